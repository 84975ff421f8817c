/**
 * The SIMD kernels' and JS loops' shorter forms (fusion/simd-rewrites.ts: `x + (-y)` as `x - y`, a
 * select against a literal +0 as one bitwise and) give eager tfjs's bits, on the values
 * where a wrong form would show: -0 (a literal -0 is not all zero bits), infinities (inf -
 * inf), NaN, and a neg whose value is also a result (it must still be computed).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { isFusionTarget } from '../../src/compiler/fusion/ops';
import { liveOps, rewrittenOp } from '../../src/compiler/fusion/simd-rewrites';
import { fusedLoopSource } from '../../src/compiler/fusion/codegen-js';
import { withCompilerOptions } from '../../src/compiler/options';
import type { FusedSpec } from '../../src/compiler/ir';
import { expectBitEqual } from '../helpers';

/** The LIF step's fused spec as the jit builds it (inputs v, I, then the literals dt/tau, 1, 0). */
const LIF: FusedSpec = {
  shape: [64],
  inputs: [{ mode: 'full', dtype: 'float32' }, { mode: 'full', dtype: 'float32' },
    { mode: 'literal', dtype: 'float32', value: Math.fround(0.01), shape: [] }, { mode: 'literal', dtype: 'float32', value: 1, shape: [] },
    { mode: 'literal', dtype: 'float32', value: 0, shape: [] }],
  ops: [
    { kernel: 'Neg', args: [0], attrs: {}, dtype: 'float32' },
    { kernel: 'Add', args: [5, 1], attrs: {}, dtype: 'float32' },
    { kernel: 'Multiply', args: [2, 6], attrs: {}, dtype: 'float32' },
    { kernel: 'Add', args: [0, 7], attrs: {}, dtype: 'float32' },
    { kernel: 'GreaterEqual', args: [8, 3], attrs: {}, dtype: 'bool' },
    { kernel: 'Select', args: [9, 4, 8], attrs: {}, dtype: 'float32' },
  ],
  outputs: [9, 10],
};

describe('fused SIMD kernels: shorter forms of neg-add and select-zero (issue 19)', () => {
  it('the LIF step: its neg folds into a subtraction (not computed), its reset select is rewritten', () => {
    expect(liveOps(LIF)).to.deep.equal([false, true, true, true, true, true]);
    const get = (r: number) => [r];
    expect(rewrittenOp(LIF, 1, get)).to.not.equal(undefined); // -v + I
    expect(rewrittenOp(LIF, 3, get)).to.equal(undefined); // v + t: no neg
    expect(rewrittenOp(LIF, 5, get)).to.not.equal(undefined); // where(spike, 0, v)
  });

  it('a select on a bool read from memory keeps the general form (a stored byte 2 is lane -2, not a mask)', () => {
    const onInput: FusedSpec = {
      ...LIF, inputs: [...LIF.inputs, { mode: 'full', dtype: 'bool' }],
      ops: LIF.ops.map((o, j) => (j === 5 ? { ...o, args: [5, 4, 9] } : { ...o, args: o.args.map((a) => (a >= 5 ? a + 1 : a)) })),
      outputs: [10, 11],
    };
    expect(rewrittenOp(onInput, 5, (r) => [r])).to.equal(undefined);
  });

  it('a select against -0, or against a non-zero literal, keeps the general form', () => {
    const withReset = (value: number): FusedSpec => ({
      ...LIF, inputs: [...LIF.inputs.slice(0, 4), { mode: 'literal', dtype: 'float32', value, shape: [] }],
    });
    expect(rewrittenOp(withReset(-0), 5, (r) => [r])).to.equal(undefined);
    expect(rewrittenOp(withReset(-65), 5, (r) => [r])).to.equal(undefined);
  });

  it('the JS loop folds the neg and skips the select\'s rounding only where inputs hold float32 values', () => {
    const fast = fusedLoopSource(LIF, 'cpu', true);
    const general = fusedLoopSource(LIF, 'cpu', false);
    expect(fast).to.contain('Math.fround((a1 - a0))').and.not.contain('(-a0)');
    // tfjs-cpu may keep a float32 tensor in an Int32Array (a cast shares storage): there the neg rounds first.
    expect(general).to.contain('Math.fround((-a0))').and.contain('Math.fround((v0 + a1))');
    for (const src of [fast, general]) expect(src).to.contain('const v5 = (v4 === 1 ? a4 : v3);'); // tfjs-cpu selects on a byte 1
  });

  describe('results against eager', () => {
    before(function () {
      if (!isFusionTarget(bst.backend.name())) {
        console.log(`      SIMD rewrite specs skipped: no fused elementwise kernels on ${bst.backend.name()}`);
        this.skip();
      }
    });

    const specials = [0, -0, 1, -1, 0.1, -2.5, Infinity, -Infinity, NaN, 3e38, -3e38, 1e-45, 7, -7, 0.5, 1.5];
    const values = (n: number, shift: number) => tf.tensor(Array.from({ length: n }, (_, i) => specials[(i * 7 + shift) % specials.length]));

    it('x + (-y), (-y) + x, a neg that is also a result, and the four select forms: eager bits, sizes 1..40', () => {
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor[] => {
        const ny = tf.neg(y);
        const a = tf.add(x, ny);
        const b = tf.add(tf.neg(x), y);
        const c = tf.greater(a, b);
        return [a, b, ny, tf.where(c, tf.zerosLike(a), a), tf.where(c, b, tf.zerosLike(b)),
          tf.where(c, tf.fill(a.shape, -0), a), tf.where(c, a, tf.fill(a.shape, -0)), c];
      };
      const g = bst.transform.jit(f);
      for (let n = 1; n <= 40; n++) {
        const x = values(n, 0);
        const y = values(n, 5);
        g.compile(x, y); // a first call would return the trace's own (eager) results
        const jitted = g(x, y);
        const eager = f(x, y);
        jitted.forEach((t, k) => expectBitEqual(t, eager[k], `size ${n}, output ${k}`));
        tf.dispose([x, y, ...jitted, ...eager]);
      }
    });

    it('x + (-y) where y is a float32 cast of int32 beyond 2^24 (shared storage on cpu): eager bits, SIMD on and off', () => {
      const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.add(x, tf.neg(y));
      const x = tf.tensor([1, 1, 3, 0.5, -1, 2, 7, 1]);
      const yi = tf.tensor([16777217, 16777219, 33554435, 16777217, -16777217, 1, 2147483647, -2147483647], undefined, 'int32');
      const y = tf.cast(yi, 'float32');
      for (const simd of [true, false]) {
        const g = bst.transform.jit(f);
        withCompilerOptions({ simd }, () => g.compile(x, y));
        const r = g(x, y);
        const e = f(x, y);
        expectBitEqual(r, e, `SIMD ${simd ? 'on' : 'off'}`);
        tf.dispose([r, e]);
      }
      tf.dispose([x, yi, y]);
    });

    it('the LIF step (neg-add and the zero reset together) over 1,000 neurons and 20 steps: eager bits', () => {
      const step = (v: tf.Tensor, i: tf.Tensor): tf.Tensor[] => {
        const next = tf.add(v, tf.mul(0.01, tf.add(tf.neg(v), i)));
        const spike = tf.greaterEqual(next, 1);
        return [tf.where(spike, tf.zerosLike(next), next), spike];
      };
      const g = bst.transform.jit(step);
      const input = tf.tidy(() => tf.add(tf.mul(tf.sin(tf.range(0, 1000)), 40), 20));
      let vj = tf.zeros([1000]);
      let ve = tf.zeros([1000]);
      g.compile(vj, input);
      for (let s = 0; s < 20; s++) {
        const [nj, sj] = g(vj, input);
        const [ne, se] = step(ve, input);
        expectBitEqual(nj, ne, `step ${s}, v`);
        expectBitEqual(sj, se, `step ${s}, spike`);
        tf.dispose([vj, ve, sj, se]);
        vj = nj;
        ve = ne;
      }
      tf.dispose([vj, ve, input]);
    });
  });
});
