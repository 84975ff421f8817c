/**
 * The one configuration module: every BRAINSTATE_* variable parsed and validated in
 * src/config.ts, bad values are errors that list the allowed ones, and withConfig
 * overrides the environment without touching process.env.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import * as bst from '../../src';
import * as childProcess from 'child_process';
import { config, CONFIG_VARIABLES, parseConfig, RAW_VARIABLES, withConfig } from '../../src/config';
import { compilerOptions } from '../../src/compiler/options';
import { expectThrowsWith } from '../helpers';
import { sourceFiles } from './source-files';

describe('config (issue 13)', () => {
  it('parses flags: 1/0, true/false, on/off; unset means the default', () => {
    expect(parseConfig({})).to.deep.equal({ backend: undefined, fusion: true, simd: true, wasmKernels: true, disableJit: false });
    expect(parseConfig({ BRAINSTATE_SIMD: 'off' }).simd).to.equal(false);
    expect(parseConfig({ BRAINSTATE_WASM_KERNELS: 'off' }).wasmKernels).to.equal(false);
    expect(parseConfig({ BRAINSTATE_SIMD: '0' }).simd).to.equal(false);
    expect(parseConfig({ BRAINSTATE_FUSION: 'false' }).fusion).to.equal(false);
    expect(parseConfig({ BRAINSTATE_FUSION: 'ON' }).fusion).to.equal(true);
    expect(parseConfig({ BRAINSTATE_DISABLE_JIT: '1' }).disableJit).to.equal(true);
    expect(parseConfig({ BRAINSTATE_BACKEND: ' wasm ' }).backend).to.equal('wasm');
    expect(parseConfig({ BRAINSTATE_BACKEND: '' }).backend).to.equal(undefined);
  });

  it('a bad value is a ConfigError naming the variable and the allowed values', () => {
    expectThrowsWith(() => parseConfig({ BRAINSTATE_SIMD: 'yes please' }), bst.ConfigError,
      'BRAINSTATE_SIMD', "'1', 'true', 'on', '0', 'false', 'off'", "got 'yes please'");
    expectThrowsWith(() => parseConfig({ BRAINSTATE_DISABLE_JIT: '2' }), bst.ConfigError, 'BRAINSTATE_DISABLE_JIT');
  });

  it("the GEMM's flags take the same spellings as every other flag (one parser)", function () {
    this.timeout(60000);
    // The GEMM reads its variables once per module load: the child sets each environment
    // and loads the module afresh (a child, so this process's modules stay as they are).
    const settings = [
      { BRAINSTATE_GEMM: 'off', BRAINSTATE_GEMM_FMA: 'auto' },
      { BRAINSTATE_GEMM: 'True', BRAINSTATE_GEMM_FMA: 'off' },
      { BRAINSTATE_GEMM: '0', BRAINSTATE_GEMM_FMA: '1' },
      { BRAINSTATE_GEMM: 'yes' },
    ];
    const script = `
      const out = [];
      for (const env of ${JSON.stringify(settings)}) {
        delete process.env.BRAINSTATE_GEMM; delete process.env.BRAINSTATE_GEMM_FMA;
        Object.assign(process.env, env);
        const file = require.resolve('./src/backend/gemm/config');
        delete require.cache[file];
        try { const o = require(file).matMulOptions(); out.push(o.enabled + ' ' + o.fma); }
        catch (e) { out.push(e.name + ': ' + e.message); }
      }
      console.log(JSON.stringify(out));`;
    const r = childProcess.spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script],
      { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' });
    const got = JSON.parse(r.stdout.trim()) as string[];
    expect(got.slice(0, 3)).to.deep.equal(['false auto', 'true false', 'false true']);
    expect(got[3]).to.contain('ConfigError').and.contain('BRAINSTATE_GEMM').and.contain("'on'").and.contain("got 'yes'");
  });

  it('withConfig overrides the environment for a call (nested, restored on throw), without process.env', () => {
    const before = { ...process.env };
    expect(withConfig({ simd: false }, () => compilerOptions().simd)).to.equal(false);
    expect(withConfig({ simd: false }, () => withConfig({ simd: true }, () => config().simd))).to.equal(true);
    expect(() => withConfig({ fusion: false }, () => { throw new Error('x'); })).to.throw('x');
    expect(config().fusion).to.equal(parseConfig(process.env).fusion);
    expect(process.env).to.deep.equal(before);
    expectThrowsWith(() => withConfig({ simdd: false } as never, () => 0), bst.ConfigError, "unknown switch 'simdd'", 'simd');
  });

  it('no file outside src/config.ts reads a BRAINSTATE_* variable from the environment', () => {
    const known = new Set<string>([...Object.values(CONFIG_VARIABLES), ...RAW_VARIABLES]);
    for (const file of sourceFiles(['src', 'decorators', 'testing'])) {
      const text = fs.readFileSync(file, 'utf8');
      const rel = path.relative(process.cwd(), file);
      if (rel === path.join('src', 'config.ts')) continue;
      expect(/process\.env\b[^;\n]*BRAINSTATE_|env\.BRAINSTATE_|env\[['"]BRAINSTATE_/.test(text), `${rel} reads the environment`).to.equal(false);
      for (const m of text.matchAll(/rawVariable\('([A-Z_]+)'/g)) expect(known.has(m[1]), `${rel}: ${m[1]}`).to.equal(true);
    }
  });

  it('InternalError says it is a bug in brainstate-ts and what to report', () => {
    const e = new bst.InternalError('an invariant broke');
    expect(e).to.be.instanceOf(bst.BrainStateError);
    expect(e.message).to.contain('internal: an invariant broke').and.contain('This is a bug in brainstate-ts')
      .and.contain('please report it');
  });
});
