/**
 * Elementwise fusion: fused programs equal unfused ones bit for bit on the whole op
 * suite, the LIF step becomes one kernel, and fused calls do not leak.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { allTargets } from '../../src/backend/targets';
import { isFusionTarget } from '../../src/compiler/fusion/ops';

const FUSION_BACKENDS = allTargets().filter((t) => isFusionTarget(t.name)).map((t) => t.name);
import { fusedLoopSource } from '../../src/compiler/fusion/codegen-js';
import { CASES, tensorsOf } from '../transform/op-cases';
import { withCompilerOptions } from '../../src/compiler/options';
import { periodOf, simdSupports } from '../../src/compiler/fusion/codegen-wasm';
import type { FusedSpec } from '../../src/compiler/ir';

/** Runs `fn` with fusion on or off. */
function withFusion<R>(on: boolean, fn: () => R): R {
  return withCompilerOptions({ fusion: on }, fn);
}

describe('elementwise fusion', () => {
  before(function () {
    if (!isFusionTarget(bst.backend.name())) {
      console.log(`      fusion specs skipped: no fused kernels on ${bst.backend.name()} yet (fusion runs on ${FUSION_BACKENDS.join(', ')})`);
      this.skip();
    }
  });

  describe('fused equals unfused bit for bit on the op suite', () => {
    for (const [name, fn, inputs] of CASES) {
      it(name, () => {
        tf.tidy(() => {
          const xs = inputs();
          const unfused = bst.transform.jit(fn, { name });
          const fused = bst.transform.jit(fn, { name });
          withFusion(false, () => unfused.compile(...xs));
          withFusion(true, () => fused.compile(...xs));
          const a = tensorsOf(fused(...xs));
          const b = tensorsOf(unfused(...xs));
          expect(a.length).to.equal(b.length);
          a.forEach((t, i) => {
            expect(t.shape).to.deep.equal(b[i].shape);
            expect(t.dtype).to.equal(b[i].dtype);
            const x = t.dataSync();
            const y = b[i].dataSync();
            for (let k = 0; k < x.length; k++) {
              if (!Object.is(Number(x[k]), Number(y[k]))) expect.fail(`output ${i} element ${k}: fused ${x[k]} vs unfused ${y[k]}`);
            }
          });
          fused.clearCache();
          unfused.clearCache();
        });
      });
    }
  });

  it('turns the LIF step into one fused kernel (the scalar 0 inlined, no Tile)', () => {
    const v = new bst.HiddenState(tf.zeros([100]), { name: 'v' });
    const step = bst.transform.jit(function lif(i: tf.Tensor) {
      const next = tf.add(v.value, tf.mul(0.01, tf.add(tf.neg(v.value), i)));
      const spike = tf.greaterEqual(next, 1);
      v.value = tf.where(spike, 0 as unknown as tf.Tensor, next);
      return spike;
    });
    const lowered = withFusion(true, () => step.lower(tf.ones([100])));
    expect(lowered.numKernels).to.equal(1);
    expect(lowered.toString()).to.equal([
      'program lif',
      '  in    a:f32[100]  arg 0',
      '  in    b:f32[100]  state v (HiddenState)',
      '  let   c:bool[100] d:f32[100] = Fused(b, a) { t0=Neg(b); t1=Add(t0, a); t2=Multiply(0.009999999776482582, t1); ' +
        't3=Add(b, t2); t4=GreaterEqual(t3, 1); t5=Select(t4, 0, t3) -> t4, t5 }',
      '  out   (c)',
      '  write v <- d',
    ].join('\n'));
  });

  it('BRAINSTATE_FUSION=0 keeps the kernels apart', () => {
    const f = bst.transform.jit((x: tf.Tensor) => tf.sqrt(tf.neg(tf.abs(x))));
    expect(withFusion(false, () => f.lower(tf.ones([4]))).numKernels).to.equal(3);
    f.clearCache();
    expect(withFusion(true, () => f.lower(tf.ones([4]))).numKernels).to.equal(1);
  });

  it('generates one loop reading each input once (nested loops for broadcasts)', () => {
    const src = fusedLoopSource({
      shape: [2, 3],
      inputs: [{ mode: 'full', dtype: 'float32' }, { mode: 'strided', dtype: 'float32', strides: [0, 1] }],
      ops: [{ kernel: 'Add', args: [0, 1], attrs: {}, dtype: 'float32' }, { kernel: 'Exp', args: [2], attrs: {}, dtype: 'float32' }],
      outputs: [3],
    }, 'cpu');
    expect(src).to.contain('for (let i0 = 0; i0 < 2; i0++)').and.contain('const j1 = b0_1 + i1 * 1;')
      .and.contain('Math.fround(Math.exp(v0))');
    expect(src.match(/x0\[/g)!.length).to.equal(1);
  });

  it('SIMD kernels (in place on wasm, copying on cpu) equal the JS loop and eager bit for bit, at edge values', () => {
    const edge = [0, -0, 1e-8, -1e-8, 0.5, -0.5, 1, -1, 10, -10, 30, -30, 80, -80, 88.5, 88.8, -87, -88, -95, -103, -104,
      200, -200, NaN, Infinity, -Infinity, 3.3, -7.1, 12.25, 1e-40, -1e-40];
    const x = tf.tensor1d(edge);
    const f = (t: tf.Tensor) => [tf.maximum(tf.mul(t, 0.3), tf.neg(t)), tf.relu6(tf.add(t, 1)),
      tf.clipByValue(tf.sqrt(t), -1, 2), tf.greater(tf.abs(t), 5), tf.div(tf.sub(t, 2), tf.square(t))];
    const simd = bst.transform.jit(f);
    const loop = bst.transform.jit(f);
    withCompilerOptions({ simd: false }, () => loop.compile(x));
    withCompilerOptions({ simd: true }, () => simd.compile(x));
    const a = simd(x) as tf.Tensor[];
    const b = loop(x) as tf.Tensor[];
    const eager = f(x);
    const bits = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => (Object.is(v, -0) ? '-0' : String(v)));
    a.forEach((t, i) => {
      expect(bits(t), `output ${i}: SIMD vs eager`).to.deep.equal(bits(eager[i]));
      expect(bits(b[i]), `output ${i}: JS loop vs eager`).to.deep.equal(bits(eager[i]));
    });
  });

  it('SIMD kernels take int32 inputs cast to float32 (wasm; tfjs-cpu shares the int32 storage), and step', () => {
    const f = (m: tf.Tensor, x: tf.Tensor) => tf.add(tf.mul(tf.cast(m, 'float32'), x), tf.step(tf.sub(x, 0.5), 0.3));
    const m = tf.tensor1d([0, 1, -3, 7, 2147483647, -2147483648, 5, 16777217, 1], 'int32');
    const x = tf.tensor1d([0.5, NaN, -1, 2, 1e-8, 3, 0.25, -0.5, 0.75]);
    const simd = bst.transform.jit(f);
    const loop = bst.transform.jit(f);
    withCompilerOptions({ simd: false }, () => loop.compile(m, x));
    // On cpu the cast is tfjs's own (free: it shares the Int32Array), then one fused kernel.
    expect(simd.lower(m, x).numKernels).to.equal(bst.backend.name() === 'cpu' ? 2 : 1);
    const a = Array.from(simd(m, x).dataSync()).map(String);
    const b = Array.from(loop(m, x).dataSync()).map(String);
    const e = Array.from(f(m, x).dataSync()).map(String);
    expect(a).to.deep.equal(e);
    expect(b).to.deep.equal(e);
  });

  it('SIMD kernels read a row-broadcast input (a bias) bit for bit, and only when its period fills vectors', () => {
    const spec = (shape: number[], strides: number[]): FusedSpec => ({
      shape, inputs: [{ mode: 'full', dtype: 'float32' }, { mode: 'strided', dtype: 'float32', strides }],
      ops: [{ kernel: 'Add', args: [0, 1], attrs: {}, dtype: 'float32' }], outputs: [2],
    });
    expect(periodOf(spec([128, 256], [0, 1]), 1)).to.equal(256);
    expect(periodOf(spec([2, 3, 4], [0, 4, 1]), 1)).to.equal(12);
    expect(periodOf(spec([5, 6], [0, 1]), 1)).to.equal(undefined); // 6 lanes: a vector would straddle rows
    expect(periodOf(spec([4, 8], [1, 0]), 1)).to.equal(undefined); // a column broadcast
    expect(periodOf(spec([2, 3, 4], [0, 1, 0]), 1)).to.equal(undefined);
    for (const target of ['cpu', 'wasm'] as const) {
      expect(simdSupports(spec([6, 8], [0, 1]), target), target).to.equal(true);
      expect(simdSupports(spec([5, 6], [0, 1]), target), target).to.equal(false);
    }
    const f = (x: tf.Tensor, b: tf.Tensor) => [tf.add(x, b), tf.step(tf.add(x, b)), tf.mul(tf.sub(b, x), b)];
    // Deterministic values over [-20, 20] with some exact zeros of either sign.
    const spread = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.fround(20 * Math.sin(seed * 7.3 + i * 1.7)));
    for (const [xs, bs] of [[[6, 8], [8]], [[3, 2, 4], [2, 4]], [[2, 3, 4], [1, 4]], [[5, 6], [6]]] as [number[], number[]][]) {
      const x = tf.tensor(spread(xs.reduce((a, c) => a * c, 1), 1).map((v, i) => (i % 7 === 0 ? -0 : v)), xs);
      const b = tf.tensor(spread(bs.reduce((a, c) => a * c, 1), 2), bs);
      const simd = bst.transform.jit(f);
      const loop = bst.transform.jit(f);
      withCompilerOptions({ simd: false }, () => loop.compile(x, b));
      withCompilerOptions({ simd: true }, () => simd.compile(x, b));
      const eager = f(x, b);
      const bits = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => (Object.is(v, -0) ? '-0' : String(v)));
      (simd(x, b) as tf.Tensor[]).forEach((t, i) => expect(bits(t), `[${xs}] + [${bs}] output ${i}: SIMD vs eager`)
        .to.deep.equal(bits(eager[i])));
      (loop(x, b) as tf.Tensor[]).forEach((t, i) => expect(bits(t), `output ${i}: JS loop vs eager`).to.deep.equal(bits(eager[i])));
    }
  });

  describe('state updates in place', () => {
    const make = () => {
      const v = new bst.HiddenState(tf.fill([64], 0.5));
      const step = bst.transform.jit((i: tf.Tensor) => {
        const next = tf.add(v.value, tf.mul(0.1, tf.sub(i, v.value)));
        v.value = tf.where(tf.greaterEqual(next, 1), tf.zerosLike(next), next);
        return tf.sum(next); // a non-fused kernel after the update: no in-place
      });
      const pure = bst.transform.jit((i: tf.Tensor) => {
        v.value = tf.add(v.value, tf.mul(0.1, tf.sub(i, v.value)));
      });
      return { v, step, pure };
    };

    it('write the new value into the old buffer when nothing else holds it', () => {
      const { v, pure } = make();
      const i = tf.fill([64], 1.5);
      pure(i); // trace
      pure(i); // on cpu into a new array the jit owns (it never writes into one it did not make)
      const id = v.value.dataId;
      pure(i);
      expect(v.value.dataId).to.equal(id);
      // Three steps of v + 0.1 * (i - v), each rounded to float32 as tfjs stores it.
      const step = (x: number) => Math.fround(x + Math.fround(Math.fround(0.1) * Math.fround(1.5 - x)));
      expect(v.value.dataSync()[0]).to.equal(step(step(step(0.5))));
    });

    it('never when the old value is still referenced (a clone), which keeps its numbers', () => {
      const { v, pure } = make();
      const i = tf.fill([64], 1.5);
      pure(i);
      const kept = tf.clone(v.value);
      const before = Array.from(kept.dataSync());
      pure(i);
      expect(v.value.dataId).to.not.equal(kept.dataId);
      expect(Array.from(kept.dataSync())).to.deep.equal(before);
    });

    it('never when a kernel that could fail runs after the update', () => {
      const { v, step } = make();
      const i = tf.fill([64], 1.5);
      step(i).dispose();
      const id = v.value.dataId;
      step(i).dispose();
      expect(v.value.dataId).to.not.equal(id);
    });
  });

  it('10,000 fused calls leave numTensors and numBytes flat', function () {
    this.timeout(120000);
    const v = new bst.HiddenState(tf.zeros([64]));
    const step = bst.transform.jit((i: tf.Tensor) => {
      const next = tf.add(v.value, tf.mul(0.1, tf.sub(i, v.value)));
      const spike = tf.greaterEqual(next, 1);
      v.value = tf.where(spike, tf.zerosLike(next), next);
      return spike;
    });
    const i = tf.fill([64], 1.5);
    withFusion(true, () => step(i).dispose());
    expect(step.lower(i).toString()).to.contain('Fused');
    const before = tf.memory();
    for (let k = 0; k < 10000; k++) step(i).dispose();
    const after = tf.memory();
    expect(after.numTensors).to.equal(before.numTensors);
    expect(after.numBytes).to.equal(before.numBytes);
    expect((after as { numDataBuffers: number }).numDataBuffers).to.equal((before as { numDataBuffers: number }).numDataBuffers);
  });
});
