/**
 * Issue 19: with SIMD off (or on an engine without WebAssembly SIMD) fused kernels run as
 * scalar WebAssembly (fusion/codegen-scalar.ts), and with `wasmKernels` off as the JS loops.
 * Each kind gives eager tfjs's bits: every size from 1 to 70 (the scalar kernel's four-element
 * main loop and its one-by-one tail; SIMD's 16 / 4 / JS-tail split), bool inputs and outputs,
 * an int32 input cast to float32, NaN, ±0, infinities and subnormals, a scalar, a row
 * broadcast, and a whole jitted loop. Each case also checks which kind ran (the call counts
 * of fusion/wasm-lane.ts), so a switch that stopped reaching the compiler would fail here.
 */
import * as childProcess from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { ELEMENTWISE_OPS, formFor, isFusionTarget } from '../../src/compiler/fusion/ops';
import { fusedCallCounts, hostHasWasmSimd, wasmLane } from '../../src/compiler/fusion/wasm-lane';
import { CompilerOptions, withCompilerOptions } from '../../src/compiler/options';
import { callsOf, expectBitEqual } from '../helpers';

const KINDS: { name: string; kind: 'simd' | 'scalar' | 'js'; options: Partial<CompilerOptions> }[] = [
  { name: 'SIMD', kind: 'simd', options: { simd: true, wasmKernels: true } },
  { name: 'scalar wasm', kind: 'scalar', options: { simd: false, wasmKernels: true } },
  { name: 'JS loop', kind: 'js', options: { wasmKernels: false } },
];

const EDGES = [NaN, -0, 0, Infinity, -Infinity, 1e-40, -1e-40, 0.25, -0.5, 3.4028235e38, 1, -1, 0.1];

describe('scalar WebAssembly and JS fused kernels give eager bits (issue 19)', () => {
  before(function () {
    if (!isFusionTarget(bst.backend.name()) || bst.backend.name() === 'webgpu') {
      console.log(`      scalar kernel specs skipped: no host-memory fused kernels on ${bst.backend.name()}`);
      this.skip();
    }
  });

  it('the switches select the kind: SIMD where the engine validates it, else scalar; wasmKernels off: JS', () => {
    expect(hostHasWasmSimd()).to.equal(true); // Node 20+ validates WebAssembly SIMD
    expect(withCompilerOptions({ simd: true, wasmKernels: true }, wasmLane)).to.equal('simd');
    expect(withCompilerOptions({ simd: false, wasmKernels: true }, wasmLane)).to.equal('scalar');
    expect(withCompilerOptions({ simd: true, wasmKernels: false }, wasmLane)).to.equal(undefined);
  });

  it('every op with a SIMD form on cpu or wasm has a scalar form there (SIMD off never loses a kernel to the JS loop)', () => {
    const missing: string[] = [];
    for (const target of ['cpu', 'wasm']) {
      for (const kernel of Object.keys(ELEMENTWISE_OPS)) {
        const f = formFor(kernel, target)!;
        if (f.simd !== undefined && f.scalar === undefined) missing.push(`${kernel} on ${target}`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('an engine that does not validate WebAssembly SIMD gets scalar kernels by default, with eager bits', function () {
    this.timeout(120000);
    if (bst.backend.name() !== 'cpu') this.skip(); // one child process is enough: it runs on cpu
    // The child's WebAssembly.validate rejects every module, as an engine without SIMD rejects
    // the probe (compiling still works: the scalar kernels need no validate).
    const script = `
      WebAssembly.validate = () => false;
      const tf = require('@tensorflow/tfjs');
      const bst = require('./src');
      const lanes = require('./src/compiler/fusion/wasm-lane');
      (async () => {
        await bst.backend.init('cpu');
        const step = (v, i) => {
          const next = tf.add(v.value, tf.mul(0.1, tf.sub(i, v.value)));
          const s = tf.greaterEqual(next, 1);
          v.value = tf.where(s, tf.zerosLike(next), next);
          return s;
        };
        const n = 1001;
        const input = tf.add(tf.mul(tf.sin(tf.range(0, n)), 20), 10);
        const ve = new bst.HiddenState(tf.zeros([n]));
        const vj = new bst.HiddenState(tf.zeros([n]));
        const f = bst.transform.jit((i) => step(vj, i));
        f.compile(input);
        let differ = 0;
        for (let t = 0; t < 10; t++) {
          const a = f(input);
          const b = tf.tidy(() => step(ve, input));
          const pairs = [[a, b], [vj.value, ve.value]];
          for (const [x, y] of pairs) {
            const xs = x.dataSync(); const ys = y.dataSync();
            for (let j = 0; j < ys.length; j++) if (!Object.is(xs[j], ys[j])) differ++;
          }
          tf.dispose([a, b]);
        }
        console.log('RESULT ' + JSON.stringify({ simdHost: lanes.hostHasWasmSimd(), lane: lanes.wasmLane(), counts: lanes.fusedCallCounts(), differ }));
      })().catch((e) => { console.log('ERROR ' + e.message); });`;
    const r = childProcess.spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script],
      { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8', env: { ...process.env, BRAINSTATE_BACKEND: 'cpu' } });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT ') || l.startsWith('ERROR '));
    expect(line, r.stderr).to.match(/^RESULT /);
    const got = JSON.parse(line!.slice(7)) as { simdHost: boolean; lane: string; counts: { simd: number; scalar: number }; differ: number };
    expect(got.simdHost).to.equal(false);
    expect(got.lane).to.equal('scalar');
    expect(got.counts.simd).to.equal(0);
    expect(got.counts.scalar).to.be.at.least(10);
    expect(got.differ, 'elements differing from eager').to.equal(0);
  });

  for (const k of KINDS) {
    it(`${k.name}: sizes 1..70 with bool, int32, NaN, ±0, infinities and subnormals`, () => {
      const f = (x: tf.Tensor, m: tf.Tensor, s: tf.Tensor): tf.Tensor[] => {
        const y = tf.add(tf.mul(x, s), -0.75);
        const above = tf.logicalAnd(tf.greater(y, 0.25), m);
        const v = tf.where(above, tf.zerosLike(y), tf.sub(y, 1));
        return [above, v, tf.logicalNot(tf.logicalOr(above, tf.isNaN(y))), tf.maximum(tf.neg(x), tf.minimum(y, 2)), tf.abs(tf.sqrt(x))];
      };
      const g = bst.transform.jit(f);
      let ran = 0;
      for (let n = 1; n <= 70; n++) {
        const x = tf.tensor1d(Array.from({ length: n }, (_, i) => EDGES[(i * 7) % EDGES.length]));
        const m = tf.tidy(() => tf.notEqual(tf.mod(tf.range(0, n, 1, 'int32'), 3), 0));
        const s = tf.scalar(1.25);
        withCompilerOptions(k.options, () => g.compile(x, m, s)); // a first call returns the trace's eager results
        let jitted: tf.Tensor[] = [];
        ran += callsOf(k.kind, () => { jitted = g(x, m, s); });
        const eager = f(x, m, s);
        jitted.forEach((t, i) => expectBitEqual(t, eager[i], `${k.name}, size ${n}, output ${i}`));
        tf.dispose([x, m, s, ...jitted, ...eager]);
        g.clearCache();
      }
      // At least one fused kernel of the kind per call; SIMD needs four elements (sizes 1..3 run the JS loop).
      expect(ran, `${k.name} kernel calls`).to.be.at.least(k.kind === 'simd' ? 67 : 70);

      // An int32 input cast to float32 (fused on wasm; tfjs-cpu shares the Int32Array, which the JS loop reads as is).
      const h = (x: tf.Tensor, c: tf.Tensor): tf.Tensor => tf.mul(tf.add(x, tf.cast(c, 'float32')), 0.5);
      const hj = bst.transform.jit(h);
      for (const n of [1, 5, 23]) {
        const x = tf.tensor1d(Array.from({ length: n }, (_, i) => EDGES[(i * 5) % EDGES.length]));
        const c = tf.tensor1d(Array.from({ length: n }, (_, i) => [16777217, -3, 0, 2147483647, -2147483648][i % 5]), 'int32');
        withCompilerOptions(k.options, () => hj.compile(x, c));
        const r = hj(x, c);
        const e = h(x, c);
        expectBitEqual(r, e, `${k.name}, int32 cast, size ${n}`);
        tf.dispose([x, c, r, e]);
        hj.clearCache();
      }
    });

    it(`${k.name}: a row broadcast and a LIF step, eager bits`, () => {
      const f = (x: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.maximum(tf.add(x, b), tf.mul(x, 0.5));
      const g = bst.transform.jit(f);
      const b = tf.tensor([0.5, -1, 2, 0.25, -0.125, 3, -2, NaN]);
      for (let rows = 1; rows <= 5; rows++) {
        const x = tf.tidy(() => tf.reshape(tf.cos(tf.range(0, rows * 8)), [rows, 8]));
        withCompilerOptions(k.options, () => g.compile(x, b));
        let r: tf.Tensor | undefined;
        expect(callsOf(k.kind, () => { r = g(x, b); }), `${k.name}, ${rows} rows`).to.equal(1);
        const e = f(x, b);
        expectBitEqual(r!, e, `${k.name}, ${rows} rows`);
        tf.dispose([x, r!, e]);
        g.clearCache();
      }
      b.dispose();

      const step = (v: bst.HiddenState, i: tf.Tensor): tf.Tensor => {
        const next = tf.add(v.value, tf.mul(0.01, tf.add(tf.neg(v.value), i)));
        const spike = tf.greaterEqual(next, 1);
        v.value = tf.where(spike, tf.fill(next.shape, -0.5), next);
        return spike;
      };
      const n = 1003;
      const input = tf.tidy(() => tf.add(tf.mul(tf.sin(tf.range(0, n)), 40), 60));
      const ve = new bst.HiddenState(tf.zeros([n]));
      const vj = new bst.HiddenState(tf.zeros([n]));
      const lif = bst.transform.jit((i: tf.Tensor) => step(vj, i));
      withCompilerOptions(k.options, () => lif.compile(input));
      for (let t = 0; t < 20; t++) {
        const se = tf.tidy(() => step(ve, input));
        let sj: tf.Tensor | undefined;
        expect(callsOf(k.kind, () => { sj = lif(input); }), `${k.name} LIF step ${t}`).to.equal(1);
        expectBitEqual(sj!, se, `${k.name} LIF spikes, step ${t}`);
        expectBitEqual(vj.value, ve.value, `${k.name} LIF v, step ${t}`);
        tf.dispose([se, sj!]);
      }
      lif.clearCache();
      tf.dispose([input, ve.value, vj.value]);
    });

    it(`${k.name}: a jitted forLoop (a whole-loop kernel) gives eager bits`, () => {
      const n = 37;
      const run = (v0: tf.Tensor, xs: tf.Tensor): tf.Tensor[] => bst.transform.scan((v: tf.Tensor, x: tf.Tensor) => {
        const next = tf.add(v, tf.mul(0.1, tf.sub(x, v)));
        const spike = tf.greaterEqual(next, 0.5);
        return [tf.where(spike, tf.zerosLike(next), next), spike];
      }, v0, xs) as unknown as tf.Tensor[];
      const v0 = tf.zeros([n]);
      const xs = tf.tidy(() => tf.add(tf.mul(tf.sin(tf.reshape(tf.range(0, 50 * n), [50, n])), 2), 1));
      const g = bst.transform.jit(run);
      withCompilerOptions(k.options, () => g.compile(v0, xs));
      let got: tf.Tensor[] = [];
      const calls = callsOf(k.kind, () => { got = g(v0, xs); });
      const want = run(v0, xs);
      got.forEach((t, i) => expectBitEqual(t, want[i], `${k.name} forLoop output ${i}`));
      // 50 steps of one fused kernel (SIMD runs the whole loop as one pointwise call at 36 of 37 elements: no count).
      if (k.kind !== 'simd') expect(calls, `${k.name} kernel calls`).to.equal(50);
      tf.dispose([v0, xs, ...got, ...want]);
      g.clearCache();
    });
  }
});
