// src/ never imports decorators/ (decorators/ builds on src/: the class metadata the
// graph walker reads lives in src/graph/node-metadata.ts).
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

describe('layering', () => {
  it('no file under src/ imports or requires decorators/', () => {
    const src = path.join(__dirname, '..', '..', 'src');
    const offenders = tsFiles(src).filter((f) =>
      /(from\s+|require\(\s*|import\(\s*)['"][./]*\/?decorators\b/.test(fs.readFileSync(f, 'utf8')))
      .map((f) => path.relative(src, f));
    expect(offenders).to.deep.equal([]);
  });
});
