/**
 * The README's Samples section lists every file in samples/, and nothing else, so the
 * list cannot rot as samples are added or removed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';

const root = path.join(__dirname, '..', '..');

/** The text of the README from `## Samples` to the next `## ` heading. */
function samplesSection(): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Samples\n');
  if (start < 0) throw new Error('README.md has no "## Samples" section');
  const rest = readme.slice(start + 1);
  const end = rest.indexOf('\n## ', 3);
  return end < 0 ? rest : rest.slice(0, end);
}

describe('README: Samples section', () => {
  const section = samplesSection();
  const files = fs.readdirSync(path.join(root, 'samples')).filter((f) => f.endsWith('.ts')).sort();

  it('lists every sample in samples/, with a command to run it', () => {
    const missing = files.filter((f) => !section.includes(`\`samples/${f}\``));
    expect(missing, `add a row for each of these to the README's "## Samples" table: ${missing.join(', ')}`)
      .to.deep.equal([]);
    for (const f of files) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`samples/${f}\``)) ?? '';
      expect(row, `the README row of samples/${f} says how to run it`).to.match(/`npm start`|`node .*samples\//);
    }
  });

  it('lists no sample that does not exist', () => {
    const listed = [...section.matchAll(/`samples\/([\w.-]+\.ts)`/g)].map((m) => m[1]);
    const gone = listed.filter((f) => !files.includes(f));
    expect(gone, `remove these rows from the README's "## Samples" table: ${gone.join(', ')}`).to.deep.equal([]);
  });
});
