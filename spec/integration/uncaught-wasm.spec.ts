// An application's own uncaught error after the wasm backend started must print as Node
// prints it (the error and its stack, no minified emscripten line) and exit with code 1,
// not 7: src/backend/process-handlers.ts removes the glue's rethrowing handlers.
import { spawnSync } from 'child_process';
import { expect } from 'chai';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const fixture = path.join(__dirname, 'fixtures', 'throw-after-wasm.ts');
const tsxCli = require.resolve('tsx/cli', { paths: [root] });

const runners: [string, (mode: string) => string[]][] = [
  ['node --enable-source-maps + ts-node', (mode) => ['--enable-source-maps', '--conditions=brainstate-source',
    '-r', 'ts-node/register/transpile-only', fixture, mode]],
  ['tsx', (mode) => ['--conditions=brainstate-source', tsxCli, fixture, mode]],
];

describe('an uncaught error after the wasm backend starts', () => {
  for (const [runner, args] of runners) {
    for (const [mode, message] of [['throw', 'user error after wasm start'], ['reject', 'user rejection after wasm start']]) {
      it(`${runner}, ${mode === 'throw' ? 'uncaught exception' : 'unhandled rejection'}: exit code 1, the error first`, () => {
        const r = spawnSync(process.execPath, args(mode), {
          cwd: root, encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, timeout: 120000,
        });
        const stderr = r.stderr;
        expect(r.status, stderr.slice(0, 2000)).to.equal(1);
        expect(stderr).to.contain(`Error: ${message}`);
        expect(stderr).to.contain('throw-after-wasm.ts');
        expect(stderr).to.not.contain('tfjs-backend-wasm');
        const longest = Math.max(...stderr.split('\n').map((l) => l.length));
        expect(longest, 'longest stderr line').to.be.below(500);
        expect(stderr.length).to.be.below(4000);
      });
    }
  }
});
