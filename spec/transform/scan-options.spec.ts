/**
 * scan / forLoop options `reverse` and `unroll` (BrainState's `_loop_collect_return_test.py`,
 * ported: Python test names in the titles; JAX's `lax.scan` semantics): reverse runs the
 * steps last to first with ys aligned to xs; unroll never changes a result, eagerly or
 * jitted, with or without a remainder; states are carried in step order; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const T = bst.transform;
type Step = (c: tf.Tensor, x: tf.Tensor) => [tf.Tensor, tf.Tensor];

/** Runs `scan(f, init, xs, opts)` eagerly and jitted; returns both [carry, ys] pairs. */
function both(f: Step, init: number, xs: tf.Tensor, opts: bst.transform.LoopOptions) {
  const eager = T.scan(f, tf.scalar(init), xs, opts);
  const jitted = T.jit((v: tf.Tensor) => T.scan(f, tf.scalar(init), v, opts))(xs) as [tf.Tensor, tf.Tensor];
  return [eager, jitted];
}

describe('scan / forLoop: reverse and unroll', () => {
  it('TestScanReverse.test_scan_reverse_true: same total, ys aligned with xs (eager and jitted)', () => {
    const f: Step = (c, x) => [tf.add(c, x), tf.mul(x, 2)];
    const xs = tf.tensor1d([1, 2, 3, 4]);
    for (const [c, ys] of both(f, 0, xs, { reverse: true })) {
      expectTensorClose(c, [10]);
      expectTensorClose(ys, [2, 4, 6, 8]);
    }
  });

  it('reverse threads the carry from the right: running sums from the end (as JAX)', () => {
    // jax.lax.scan(lambda c, x: (c + x, c + x), 0., jnp.array([1., 2., 3., 4.]), reverse=True) -> (10, [10, 9, 7, 4])
    const f: Step = (c, x) => { const s = tf.add(c, x); return [s, s]; };
    for (const [c, ys] of both(f, 0, tf.tensor1d([1, 2, 3, 4]), { reverse: true })) {
      expectTensorClose(c, [10]);
      expectTensorClose(ys, [10, 9, 7, 4]);
    }
  });

  it('TestScanReverse.test_scan_disable_jit_reverse: eagerly the body sees x in reverse order', () => {
    const order: number[] = [];
    const [c] = T.scan((carry: tf.Tensor, x: tf.Tensor) => { order.push(x.dataSync()[0]); return [tf.add(carry, x), x]; },
      tf.scalar(0), tf.tensor1d([1, 2, 3, 4]), { reverse: true });
    expect(order).to.deep.equal([4, 3, 2, 1]);
    expectTensorClose(c, [10]);
  });

  it('TestScanReverse.test_scan_unroll_2 / test_scan_unroll_true: unrolling never changes the result', () => {
    const f1: Step = (c, x) => [tf.add(c, x), x];
    const f2: Step = (c, x) => [tf.add(tf.mul(c, 2), x), tf.add(c, x)];
    for (const [f, init, xs] of [[f1, 0, tf.range(0, 6)], [f2, 1, tf.range(1, 5)]] as [Step, number, tf.Tensor][]) {
      const [[c1, y1]] = both(f, init, xs, {});
      for (const unroll of [2, 3, 4, true, 100] as (number | boolean)[]) {
        for (const [c, ys] of both(f, init, xs, { unroll })) {
          expectTensorClose(c, c1, 0, `unroll ${unroll} carry`);
          expectTensorClose(ys, y1, 0, `unroll ${unroll} ys`);
        }
      }
    }
  });

  it('unroll with a remainder, tree xs and ys, states written in step order, reverse too', () => {
    const v = new bst.HiddenState(tf.scalar(0));
    const f = (c: tf.Tensor, x: { a: tf.Tensor; b: tf.Tensor }) => {
      v.value = tf.add(tf.mul(v.value, 0.5), x.a); // order-dependent
      return [tf.add(c, tf.sum(tf.mul(x.a, x.b))), { v: v.value, s: tf.sum(x.b) }] as [tf.Tensor, { v: tf.Tensor; s: tf.Tensor }];
    };
    const xs = { a: tf.range(1, 8), b: tf.reshape(tf.range(0, 14), [7, 2]) };
    const run = (opts: bst.transform.LoopOptions, jit: boolean) => {
      v.value = tf.scalar(0);
      const go = (a: tf.Tensor, b: tf.Tensor) => T.scan(f, tf.scalar(0), { a, b }, opts);
      const [c, ys] = (jit ? T.jit(go) : go)(xs.a, xs.b);
      return [c, ys.v, ys.s, tf.clone(v.value)];
    };
    for (const reverse of [false, true]) {
      const ref = run({ reverse }, false);
      for (const unroll of [1, 3, true] as (number | boolean)[]) {
        for (const jit of [false, true]) {
          run({ reverse, unroll }, jit).forEach((t, k) => expectTensorClose(t, ref[k], 0, `reverse ${reverse} unroll ${unroll} jit ${jit} #${k}`));
        }
      }
    }
    // Forward, the state after step i is v_i = v_{i-1}/2 + a_i; reversed the steps start at a = 7.
    v.value = tf.scalar(0);
    T.jit((a: tf.Tensor, b: tf.Tensor) => T.scan(f, tf.scalar(0), { a, b }, { reverse: true, unroll: 3 }))(xs.a, xs.b);
    const want = [7, 6, 5, 4, 3, 2, 1].reduce((acc, a) => acc / 2 + a, 0);
    expectTensorClose(v.value, [want], 1e-6);
  });

  it('TestForLoopEdgeCases.test_for_loop_reverse / test_for_loop_unroll_2, and a loop of { length } only', () => {
    const xs = tf.tensor1d([1, 2, 3, 4, 5, 6]);
    const fwd = T.forLoop((x: tf.Tensor) => tf.mul(x, 2), xs);
    expectTensorClose(T.forLoop((x: tf.Tensor) => tf.mul(x, 2), xs, { reverse: true }), fwd);
    expectTensorClose(T.jit((v: tf.Tensor) => T.forLoop((x: tf.Tensor) => tf.mul(x, 3), v, { unroll: 2 }))(xs), [3, 6, 9, 12, 15, 18]);
    const n = new bst.HiddenState(tf.scalar(0));
    const count = T.jit(() => T.scan((c: tf.Tensor) => { n.value = tf.add(n.value, 1); return [tf.add(c, n.value), n.value]; },
      tf.scalar(0), [], { length: 5, unroll: 2, reverse: true }));
    const [c, ys] = count() as [tf.Tensor, tf.Tensor];
    expectTensorClose(c, [15]);
    expectTensorClose(ys, [5, 4, 3, 2, 1]);
  });

  it('unroll changes the compiled loop: k steps per iteration, then a loop over the remainder', () => {
    const f = (k: number | boolean) => T.jit((v: tf.Tensor) => T.forLoop((x: tf.Tensor) => tf.neg(x), v, { unroll: k }));
    const xs = tf.range(0, 7);
    expect(String(f(1).lower(xs))).to.contain('Scan{length=7,');
    const three = String(f(3).lower(xs));
    expect(three).to.contain('Scan{length=2,');
    expect(three).to.contain('Scan{length=1,');
    expect(String(f(true).lower(xs))).to.contain('Scan{length=1,');
  });

  it('a progress bar counts every step when unrolled', () => {
    const ticks: [number, number][] = [];
    const pbar = { every: 1, tick: (s: number, t: number) => { ticks.push([s, t]); } };
    T.jit((v: tf.Tensor) => T.forLoop((x: tf.Tensor) => tf.neg(x), v, { pbar, unroll: 3 }))(tf.range(0, 7));
    expect(ticks.map((t) => t[1])).to.satisfy((ts: number[]) => ts.every((t) => t === 7));
    expect(ticks[ticks.length - 1][0]).to.equal(7);
    expect(ticks.map((t) => t[0])).to.deep.equal([...ticks.map((t) => t[0])].sort((a, b) => a - b));
  });

  it('the progress bar of a loop nested in a jitted loop or branch ticks as eagerly, the tracing call too (its trace of the enclosing body is quiet)', async () => {
    const ticks: string[] = [];
    const inner = { every: 2, tick: (s: number, t: number) => { ticks.push(`inner ${s}/${t}`); } };
    const outer = { every: 1, tick: (s: number, t: number) => { ticks.push(`outer ${s}/${t}`); } };
    const nested = (v: tf.Tensor) => T.forLoop((x: tf.Tensor) =>
      T.forLoop((y: tf.Tensor) => tf.add(y, x), tf.range(0, 5), { pbar: inner }), v, { pbar: outer });
    // Eagerly a JS predicate (webgpu reads no GPU data synchronously); the jitted one is traced.
    const inBranch = (pred: (v: tf.Tensor) => tf.Tensor | boolean) => (v: tf.Tensor) => T.cond(pred(v),
      (a: tf.Tensor) => T.forLoop((x: tf.Tensor) => tf.neg(x), a, { pbar: inner }),
      (a: tf.Tensor) => T.forLoop((x: tf.Tensor) => tf.exp(x), a, { pbar: inner }), v);
    for (const [f, jitted] of [[nested, nested], [inBranch(() => true), inBranch((v) => tf.greater(tf.sum(v), 0))]]) {
      ticks.length = 0;
      tf.dispose(f(tf.range(0, 3)));
      const eager = [...ticks];
      expect(eager.length).to.be.at.least(2);
      const j = T.jit(jitted);
      for (let call = 0; call < 2; call++) {
        ticks.length = 0;
        tf.dispose(await j.callAsync(tf.range(0, 3)));
        expect(ticks, `${f === nested ? 'nested loop' : 'loop in a branch'}, call ${call}`).to.deep.equal(eager);
      }
    }
  });

  it('bad options are clear errors', () => {
    const f: Step = (c, x) => [c, x];
    expectThrowsWith(() => T.scan(f, tf.scalar(0), tf.range(0, 3), { unroll: 0 }), bst.TraceError, 'unroll', 'positive integer');
    expectThrowsWith(() => T.scan(f, tf.scalar(0), tf.range(0, 3), { unroll: 1.5 }), bst.TraceError, 'unroll');
    expectThrowsWith(() => T.scan(f, tf.scalar(0), tf.range(0, 3), { reverse: 'yes' as unknown as boolean }), bst.TraceError, 'reverse');
  });

  it('eager and jitted reverse / unroll leave numTensors flat', () => {
    const xs = tf.range(0, 9);
    const f: Step = (c, x) => [tf.add(c, x), tf.square(x)];
    const j = T.jit((v: tf.Tensor) => T.scan(f, tf.scalar(0), v, { reverse: true, unroll: 4 }));
    const zero = tf.scalar(0);
    tf.dispose(j(xs));
    expectNoLeaks(() => {
      tf.dispose(T.scan(f, zero, xs, { reverse: true }));
      tf.dispose(j(xs));
    }, 50);
  });
});

describe('scan / forLoop: reverse of bool rows', () => {
  it('reverses bool xs and ys (through int32: tfjs-wasm\'s Reverse corrupts bool data)', () => {
    const xs = tf.tensor1d([1, 0, 0, 1, 1], 'bool');
    for (const jit of [false, true]) {
      const go = (v: tf.Tensor) => T.scan((c: tf.Tensor, x: tf.Tensor) => [tf.add(c, tf.cast(x, 'int32')), tf.logicalNot(x)] as [tf.Tensor, tf.Tensor],
        tf.scalar(0, 'int32'), v, { reverse: true, unroll: 2 });
      const [c, ys] = (jit ? T.jit(go) : go)(xs);
      expect(c.dataSync()[0]).to.equal(3);
      expect(ys.dtype).to.equal('bool');
      expect(Array.from(ys.dataSync())).to.deep.equal([0, 1, 1, 0, 0]);
    }
  });
});
