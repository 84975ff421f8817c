// The package as users get it: packed, installed offline into a temporary app, and run
// by every runtime and compiler setting the README lists. `npm test` runs the fast subset;
// `npm run test:package` (BRAINSTATE_PACKAGE_FULL=1) runs all of it, packing with the
// `prepare` build as `npm pack` and git installs do.
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  APP_TS, appJs, ensureBuilt, EXPECTED, makeApp, node, pack, resultOf, root, sh, tarballFiles, tsconfig, writeFiles,
} from './package-fixture';

const FULL = process.env.BRAINSTATE_PACKAGE_FULL === '1';
const LEGACY = { experimentalDecorators: true, emitDecoratorMetadata: true, useDefineForClassFields: false };

function expectQuickStart(stdout: string, backend = 'cpu'): void {
  const r = resultOf(stdout);
  expect(r.backend).to.equal(backend);
  expect(r.means).to.deep.equal(EXPECTED.means);
  expect(r.traces).to.equal(EXPECTED.traces);
  expect(r.keys).to.deep.equal(EXPECTED.keys);
  expect(r.y).to.equal(EXPECTED.y);
}

describe(`the packed package in a fresh app${FULL ? ' (full)' : ' (fast subset; npm run test:package runs all)'}`, () => {
  let tmp: string;
  let tarball: string;
  let app: string;
  const tsc = (project: string): string => node([path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], app);

  before(function () {
    this.timeout(600000);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstate-pack-'));
    if (!FULL) ensureBuilt();
    tarball = pack(tmp, FULL);
    app = makeApp(tarball);
  });

  after(() => {
    if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    if (app !== undefined) fs.rmSync(app, { recursive: true, force: true });
  });

  it('ships the build, its sources (so source maps resolve), types and the LICENSE; no specs', () => {
    const files = tarballFiles(tarball);
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts',
      'dist/src/index.js.map', 'dist/src/index.d.ts.map', 'dist/decorators/index.js', 'dist/testing/index.d.ts',
      'src/index.ts', 'decorators/fields.ts', 'testing/index.ts']) {
      expect(files, f).to.include(f);
    }
    expect(files.filter((f) => f.startsWith('spec/') || f.startsWith('bench/') || f.startsWith('samples/'))).to.deep.equal([]);
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).to.contain('Apache License');
    // Every source a map names exists in the package.
    const installed = path.join(app, 'node_modules', 'brainstate-ts');
    for (const map of ['dist/src/index.js.map', 'dist/src/graph/walker.js.map', 'dist/decorators/fields.js.map']) {
      const file = path.join(installed, map);
      const { sources } = JSON.parse(fs.readFileSync(file, 'utf8')) as { sources: string[] };
      for (const s of sources) expect(fs.existsSync(path.resolve(path.dirname(file), s)), `${map} -> ${s}`).to.equal(true);
    }
  });

  it('CommonJS: plain node require()s it (on the wasm backend)', () => {
    writeFiles(app, { 'app.cjs': appJs('cjs') });
    expectQuickStart(node(['app.cjs'], app, { BRAINSTATE_BACKEND: 'wasm' }), 'wasm');
  });

  it('ESM: plain node imports it, named exports included', () => {
    writeFiles(app, { 'app.mjs': appJs('esm') });
    expectQuickStart(node(['app.mjs'], app));
  });

  it('tsc, module node16 (CommonJS), experimentalDecorators', () => {
    writeFiles(app, {
      'legacy/app.ts': APP_TS,
      'tsconfig.legacy.json': tsconfig({ target: 'ES2022', module: 'node16', moduleResolution: 'node16', outDir: 'out/legacy', ...LEGACY }, ['legacy']),
    });
    tsc('tsconfig.legacy.json');
    expectQuickStart(node(['out/legacy/app.js'], app));
  });

  it('tsx with standard decorators (no tsconfig)', () => {
    writeFiles(app, { 'tsx-standard/app.ts': APP_TS });
    expectQuickStart(node([path.join(app, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'tsx-standard/app.ts'], app));
  });

  if (!FULL) return;

  it('tsc, module node16, ESM (.mts), standard decorators, target ES2022', () => {
    writeFiles(app, {
      'esm/app.mts': APP_TS,
      'tsconfig.esm.json': tsconfig({ target: 'ES2022', module: 'node16', moduleResolution: 'node16', outDir: 'out/esm' }, ['esm']),
    });
    tsc('tsconfig.esm.json');
    expectQuickStart(node(['out/esm/app.mjs'], app));
  });

  it('tsc, moduleResolution bundler, both decorator worlds; esbuild bundles and runs it', () => {
    writeFiles(app, {
      'bundler/app.ts': APP_TS,
      'tsconfig.bundler.json': tsconfig({ target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', noEmit: true }, ['bundler']),
      'tsconfig.bundler-legacy.json': tsconfig({ target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', noEmit: true, ...LEGACY }, ['bundler']),
    });
    tsc('tsconfig.bundler.json');
    tsc('tsconfig.bundler-legacy.json');
    const esbuildBin = path.join(app, 'node_modules', 'esbuild', 'bin', 'esbuild');
    sh(esbuildBin, ['bundler/app.ts', '--bundle', '--platform=node', '--format=cjs',
      '--outfile=out/bundle.cjs', '--target=es2022', '--external:@tensorflow/*', '--external:class-transformer', '--external:reflect-metadata',
      '--external:cli-progress', '--log-level=warning'], app);
    expectQuickStart(node(['out/bundle.cjs'], app));
  });

  it('tsc, moduleResolution node10 (TypeScript default for module commonjs): typesVersions finds the subpaths', () => {
    writeFiles(app, {
      'node10/app.ts': APP_TS,
      'tsconfig.node10.json': tsconfig({ target: 'ES2020', module: 'commonjs', outDir: 'out/node10', ...LEGACY }, ['node10']),
    });
    tsc('tsconfig.node10.json');
    expectQuickStart(node(['out/node10/app.js'], app));
  });

  it('tsx with a tsconfig that turns on experimentalDecorators', () => {
    writeFiles(app, {
      'tsx-legacy/app.ts': APP_TS,
      'tsx-legacy/tsconfig.json': tsconfig({ target: 'ES2022', module: 'node16', ...LEGACY }, ['.']),
    });
    expectQuickStart(node([path.join(app, 'node_modules', 'tsx', 'dist', 'cli.mjs'), '--tsconfig', 'tsx-legacy/tsconfig.json',
      'tsx-legacy/app.ts'], app));
  });

  it('without skipLibCheck, the only type errors are in tfjs\'s own typings, none in brainstate-ts', () => {
    writeFiles(app, {
      'strict/app.ts': APP_TS,
      'tsconfig.strict.json': tsconfig({ target: 'ES2022', module: 'node16', moduleResolution: 'node16', noEmit: true, skipLibCheck: false }, ['strict']),
    });
    let out = '';
    try {
      tsc('tsconfig.strict.json');
    } catch (e) {
      out = (e as Error).message;
    }
    const errorFiles = [...out.matchAll(/^(\S+?)\(\d+,\d+\): error/gm)].map((m) => m[1]);
    expect(errorFiles.filter((f) => !f.includes('@tensorflow')), out.slice(0, 3000)).to.deep.equal([]);
  });

  it('an error from inside the library maps, through the shipped source maps, to its TypeScript source', () => {
    writeFiles(app, {
      'maps.cjs': `const bst = require('brainstate-ts');
class Empty extends bst.nn.Module {}
try { bst.stateOf(new Empty(), 'w'); } catch (e) { console.log(e.stack); }`,
    });
    const stack = node(['--enable-source-maps', 'maps.cjs'], app);
    expect(stack).to.contain('stateOf: Empty.w is not a state field');
    const frame = /\((\S*brainstate-ts\/src\/graph\/state-of\.ts):\d+:\d+\)/.exec(stack);
    expect(frame, stack).to.not.equal(null);
    expect(fs.existsSync(frame![1])).to.equal(true);
  });
});
