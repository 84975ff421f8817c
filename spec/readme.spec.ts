import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '..');

/** The first ```ts block after the `## Quick start` heading of README.md. */
function quickStart(): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.split('## Quick start')[1];
  const match = /```ts\n([\s\S]*?)```/.exec(section ?? '');
  if (match == null) throw new Error('README.md has no ```ts block under "## Quick start"');
  return match[1];
}

describe('README quick start', () => {
  it('runs as written and prints what it says', function () {
    this.timeout(120000);
    fs.mkdirSync(path.join(root, '.test-results'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, '.test-results', 'readme-'));
    const file = path.join(dir, 'quick-start.ts');
    fs.writeFileSync(file, quickStart());
    try {
      const r = spawnSync(process.execPath,
        ['--conditions=brainstate-source', '-r', 'ts-node/register/transpile-only', file],
        { cwd: root, encoding: 'utf8', env: { ...process.env } });
      expect(r.stderr, 'stderr').to.not.match(/Error/);
      expect(r.status).to.equal(0);
      expect(r.stdout).to.contain('step 0: mean=1.50').and.contain('step 2: mean=2.50')
        .and.contain('ParamState(value=Tensor[1,1] float32, tag=undefined)');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
