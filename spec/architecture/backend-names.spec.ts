/**
 * Adding a backend is adding one folder under src/backend/ plus its registration
 * (src/backend/targets.ts): no file outside src/backend/ names a backend in code. A
 * backend name as a string literal there (a comparison, a switch case, a list of
 * backends, a union type) is a fact about one backend in the wrong place; ask the
 * target record instead (`targetNamed(name).memory`, `.customKernels`, ...).
 * Comments and longer strings (error messages that mention a backend) are fine.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { allTargets, targetNamed } from '../../src/backend/targets';
import { repoRoot, sourceFiles } from './source-files';

const NAMES = ['cpu', 'wasm', 'webgpu', 'webgl', 'tensorflow'];
const LITERAL = new RegExp(`(['"\`])(${NAMES.join('|')})\\1`, 'g');

/** `text` with comments blanked (line structure kept), so literals in them do not count. */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** `file:line: text` for each backend-name literal in code. */
export function backendNameLiterals(file: string, text: string): string[] {
  const out: string[] = [];
  stripComments(text).split('\n').forEach((line, i) => {
    if (line.match(LITERAL) != null) out.push(`${file}:${i + 1}: ${line.trim()}`);
  });
  return out;
}

describe('backend names (issue 13)', () => {
  it('no file outside src/backend/ names a backend as a string literal in code', () => {
    const found: string[] = [];
    for (const file of sourceFiles(['src', 'decorators', 'testing'])) {
      const rel = path.relative(repoRoot, file);
      if (rel.startsWith(`src${path.sep}backend${path.sep}`)) continue;
      found.push(...backendNameLiterals(rel, fs.readFileSync(file, 'utf8')));
    }
    expect(found, `backend names outside src/backend/ (ask the target record in src/backend/targets.ts):\n${found.join('\n')}`)
      .to.deep.equal([]);
  });

  it('the check finds a comparison, a switch case and a list, and ignores comments and messages', () => {
    const src = [
      "if (name === 'wasm') x();",
      "switch (b) { case 'cpu': break; }",
      "const L = ['tensorflow', 'webgl'];",
      "// on 'webgpu' this differs",
      "/* 'cpu' */ const ok = 1;",
      "throw new Error('run on the wasm backend');",
    ].join('\n');
    expect(backendNameLiterals('x.ts', src).map((l) => l.split(':')[1])).to.deep.equal(['1', '2', '3']);
  });

  it('every shipped backend has one folder under src/backend/ and one registered target record', () => {
    for (const name of NAMES) {
      const t = targetNamed(name);
      expect(t, `target '${name}'`).to.not.equal(undefined);
      const folder = path.join(repoRoot, 'src', 'backend', name);
      expect(fs.existsSync(folder), `src/backend/${name}/`).to.equal(true);
    }
    const names = allTargets().map((t) => t.name);
    expect(new Set(names).size).to.equal(names.length);
    // Preference order of backend.init() with no name.
    expect(names).to.deep.equal(['tensorflow', 'webgpu', 'wasm', 'webgl', 'cpu']);
  });
});
