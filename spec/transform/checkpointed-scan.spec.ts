/**
 * checkpointedScan / checkpointedForLoop (BrainState's checkpointed_scan / checkpointed_for_loop):
 * the results of scan / forLoop, and gradients equal to the plain loop's, eagerly and under
 * jit; the memory a gradient keeps grows far slower than the number of steps.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const T = bst.transform;

function leavesOf(x: unknown): tf.Tensor[] {
  if (x instanceof tf.Tensor) return [x];
  if (Array.isArray(x)) return x.flatMap(leavesOf);
  return [];
}

function expectSame(a: unknown, b: unknown, tol: number, what: string): void {
  const la = leavesOf(a);
  const lb = leavesOf(b);
  expect(la.length, what).to.equal(lb.length);
  la.forEach((t, k) => expectTensorClose(t, lb[k], tol, `${what} leaf ${k}`));
}

/** A loss over a loop with a carry, xs, a captured tensor, a read state and a written state. */
function model(loop: 'plain' | 'checkpointed', base?: number) {
  const w = new bst.ParamState(tf.tensor1d([0.5, -0.3, 0.8]));
  const v = new bst.HiddenState(tf.zeros([3]));
  const f = (x0: tf.Tensor, xs: tf.Tensor, k: tf.Tensor) => {
    v.value = tf.zeros([3]);
    const h = tf.mul(k, 2); // made inside the loss: freed by tfjs before the backward pass
    const body = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => {
      const n = tf.add(tf.mul(tf.tanh(c), w.value), tf.mul(x, h));
      v.value = tf.add(tf.mul(v.value, 0.9), n);
      return [n, tf.square(n)];
    };
    const [c, ys] = loop === 'plain' ? T.scan(body, x0, xs) : T.checkpointedScan(body, x0, xs, { base });
    return tf.add(tf.sum(tf.mul(c, v.value)), tf.sum(ys));
  };
  return { w, v, g: T.grad(f, { gradStates: w, argnums: [0, 1, 2], returnValue: true }) };
}

describe('checkpointedScan', () => {
  for (const [steps, base] of [[37, 4], [16, 4], [5, 16], [50, 7]] as const) {
    it(`${steps} steps, base ${base}: gradients equal the plain scan's, eagerly and under jit`, () => {
      const x0 = tf.tensor1d([0.1, 0.2, 0.3]);
      const xs = tf.randomNormal([steps, 3], 0, 1, 'float32', 5);
      const k = tf.scalar(0.7);
      const plain = model('plain');
      const ck = model('checkpointed', base);
      const want = plain.g(x0, xs, k);
      // The same kernels run, but the gradients of the loop invariants (w, the captured h)
      // and of the carry are summed block by block rather than step by step: float rounding.
      expectSame(ck.g(x0, xs, k), want, 1e-5, 'eager');
      expectSame(ck.v.value, plain.v.value, 0, 'state');
      expectSame(T.jit(ck.g)(x0, xs, k), want, 1e-5, 'jit');
      expectSame(ck.v.value, plain.v.value, 0, 'state (jit)');
    });
  }

  it('values: checkpointedScan and checkpointedForLoop return what scan and forLoop return', () => {
    const xs = tf.randomNormal([23, 2], 0, 1, 'float32', 1);
    const body = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor[]] => [tf.add(c, x), [tf.mul(c, x), tf.cast(tf.greater(x, 0), 'int32')]];
    expectSame(T.checkpointedScan(body, tf.zeros([2]), xs, { base: 3 }), T.scan(body, tf.zeros([2]), xs), 0, 'eager');
    expectSame(T.jit((a: tf.Tensor) => T.checkpointedScan(body, tf.zeros([2]), a, { base: 3 }))(xs),
      T.scan(body, tf.zeros([2]), xs), 0, 'jit');
    const s = new bst.HiddenState(tf.scalar(1));
    const f = (x: tf.Tensor) => { s.value = tf.mul(s.value, tf.add(x, 1)); return s.value; };
    const a = T.checkpointedForLoop(f, tf.range(0, 10), { base: 2 }) as tf.Tensor;
    expectTensorClose(a, tf.tensor1d([1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800]), 0);
  });

  it('errors: zero steps and a bad base', () => {
    expectThrowsWith(() => T.checkpointedScan((c: tf.Tensor, x: tf.Tensor) => [c, x], tf.scalar(0), tf.zeros([0])),
      bst.TraceError, 'at least one step');
    expectThrowsWith(() => T.checkpointedScan((c: tf.Tensor, x: tf.Tensor) => [c, x], tf.scalar(0), tf.zeros([3]), { base: 1 }),
      bst.TraceError, 'base to be an integer >= 2');
  });
});

/** Runs `f` eagerly and jitted (a fresh jit each time), returning both results. */
function bothWays<R>(f: () => R): R[] {
  return [f(), T.jit(f)()];
}

describe('checkpointedScan memory', () => {
  it('eagerly the tape keeps about base carries per level instead of every step (memory is deterministic)', () => {
    // What a gradient keeps after the forward pass: tf.memory().numBytes right after the
    // loop, inside the loss, minus before it. For the plain scan the tape saves tensors of
    // every step; checkpointed, one carry per block per level.
    const n = 64;
    const w = new bst.ParamState(tf.fill([n], 0.1));
    const v = new bst.HiddenState(tf.zeros([n]));
    const kept = (steps: number, checkpointed: boolean): number => {
      let bytes = 0;
      const body = (c: tf.Tensor): [tf.Tensor, undefined] => {
        v.value = tf.add(tf.mul(v.value, 0.95), tf.tanh(tf.add(tf.mul(w.value, v.value), tf.mul(c, 0.01))));
        return [tf.add(c, 1), undefined];
      };
      const loss = () => {
        v.value = tf.zeros([n]);
        const before = tf.memory().numBytes;
        if (checkpointed) T.checkpointedScan(body, tf.scalar(0), undefined, { length: steps });
        else T.scan(body, tf.scalar(0), undefined, { length: steps });
        bytes = tf.memory().numBytes - before;
        return tf.sum(tf.square(v.value)) as tf.Scalar;
      };
      tf.dispose(T.grad(loss, { gradStates: w })() as tf.Tensor);
      return bytes;
    };
    const plain = [kept(128, false), kept(512, false)];
    const ck = [kept(128, true), kept(512, true)];
    const carry = n * 4;
    // The plain tape grows with the steps (4x steps: ~4x bytes); checkpointed it stays
    // at a few carries per block (the block's inputs and states, its packed results):
    // 8 blocks of 16 at 128 steps, 2 of 256 at 512 (whose recompute nests 16 more in the backward).
    expect(plain[1] / plain[0], `plain ${plain}`).to.be.above(3.5);
    expect(plain[0], `plain ${plain}`).to.be.above(128 * carry);
    expect(ck[0], `plain ${plain}, checkpointed ${ck}`).to.be.below(plain[0] / 4);
    expect(ck[1], `checkpointed ${ck}`).to.be.at.most(ck[0]);
    expect(plain[1] / ck[1], `plain ${plain}, checkpointed ${ck}`).to.be.above(10);
  });
});

describe('checkpointedScan (BrainState ports)', () => {
  it('TestForLoop.test_checkpointed_for_loop: states carried, 18 steps with base 2, a progress reporter', () => {
    for (const mode of ['eager', 'jit'] as const) {
      const a = new bst.ShortTermState(tf.scalar(0));
      const b = new bst.ShortTermState(tf.scalar(0));
      const ticks: number[] = [];
      const pbar = { every: 1, tick: (s: number) => ticks.push(s) };
      const run = () => T.checkpointedForLoop((_i: tf.Tensor) => {
        a.value = tf.add(a.value, tf.add(1, b.value));
        return a.value;
      }, tf.range(0, 18), { base: 2, pbar }) as tf.Tensor;
      const r = mode === 'eager' ? run() : T.jit(run)();
      expectTensorClose(a.value, [18], 0, mode);
      expectTensorClose(r, tf.add(tf.range(0, 18), 1), 0, mode);
      expect(ticks[ticks.length - 1], mode).to.equal(18);
    }
  });

  it('a jitted checkpointed loop reports its steps at every call, up to the last (a remainder block and a short loop too)', () => {
    for (const n of [19, 2]) {
      const ticks: number[] = [];
      const pbar = { every: 1, tick: (s: number) => ticks.push(s) };
      const run = (xs: tf.Tensor) => T.checkpointedScan((c: tf.Tensor, x: tf.Tensor) => [tf.add(c, x), c], tf.scalar(0), xs,
        { base: 4, pbar }) as [tf.Tensor, tf.Tensor];
      const xs = tf.range(0, n);
      tf.dispose(run(xs));
      const eager = ticks.splice(0);
      expect(eager[eager.length - 1], `n ${n}`).to.equal(n);
      const jitted = T.jit(run);
      tf.dispose(jitted(xs));
      const first = ticks.splice(0);
      tf.dispose(jitted(xs));
      const replay = ticks.splice(0);
      // Eagerly (no tape) the loop is one scan, which reports its end; the jit reports block ends
      // (not every one at a replay: a known gap of progress bars in nested loops).
      expect(first[first.length - 1], `n ${n}: the call that traces reports the last step`).to.equal(n);
      expect(replay[replay.length - 1], `n ${n}: a replay reports the last step`).to.equal(n);
      xs.dispose();
    }
  });

  it('TestCheckpointedScanSkipPath.test_carry_collect_and_state_values: 5 steps with base 2', () => {
    for (const k of [0, 1]) {
      const st = new bst.ShortTermState(tf.scalar(0));
      const run = () => T.checkpointedScan((c: tf.Tensor, x: tf.Tensor) => {
        st.value = tf.add(st.value, 1);
        return [tf.add(c, x), tf.mul(c, 2)];
      }, tf.scalar(0), tf.range(0, 5, 1, 'float32'), { base: 2 });
      const [carry, ys] = k === 0 ? run() : T.jit(run)();
      expectTensorClose(carry, [10], 0);
      expectTensorClose(ys, [0, 0, 2, 6, 12], 0);
      expectTensorClose(st.value, [5], 0);
    }
  });

  it('TestCheckpointedScanValidation: mismatched lengths, no xs and no length, length disagreeing, not a pair', () => {
    const f = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => [c, x];
    expectThrowsWith(() => T.checkpointedScan(f as never, tf.scalar(0), [tf.zeros([3]), tf.zeros([5])]), bst.TraceError, 'same leading length');
    expectThrowsWith(() => T.checkpointedScan(f as never, tf.scalar(0), []), bst.TraceError, 'no xs');
    expectThrowsWith(() => T.checkpointedScan(f, tf.scalar(0), tf.zeros([5]), { length: 3 }), bst.TraceError, 'same leading length');
    const single = ((c: tf.Tensor, x: tf.Tensor) => tf.add(c, x)) as unknown as typeof f;
    expectThrowsWith(() => T.checkpointedScan(single, tf.scalar(0), tf.zeros([4])), bst.TraceError, '[carry, y]');
    const triple = ((c: tf.Tensor, x: tf.Tensor) => [c, x, x]) as unknown as typeof f;
    expectThrowsWith(() => T.checkpointedScan(triple, tf.scalar(0), tf.zeros([4])), bst.TraceError, '[carry, y]');
  });

  it('TestCheckpointedScanValidation.test_checkpointed_scan_length_matches_xs / TestCheckpointedScanBasic.test_checkpointed_scan_basic', () => {
    const xs = tf.range(1, 9, 1, 'float32');
    const f = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => [tf.add(c, x), tf.mul(x, 2)];
    const want = T.scan(f, tf.scalar(0), xs);
    for (const got of bothWays(() => T.checkpointedScan(f, tf.scalar(0), xs, { base: 2, length: 8 }))) expectSame(got, want, 0, 'basic');
  });

  it('TestCheckpointedScanBasic.test_checkpointed_scan_pbar_integer / _state_write', () => {
    const acc = new bst.ShortTermState(tf.scalar(0));
    const xs = tf.range(1, 5, 1, 'float32');
    const [carry] = T.checkpointedScan((c: tf.Tensor, x: tf.Tensor) => {
      acc.value = tf.add(acc.value, x);
      return [tf.add(c, x), x];
    }, tf.scalar(0), xs, { base: 2 });
    expectTensorClose(carry, [10], 0);
    expectTensorClose(acc.value, [10], 0);
    const lines: string[] = [];
    const pbar = new T.ProgressBar({ every: 2, stream: { write: (s: string) => { lines.push(s); return true; } } as unknown as NodeJS.WritableStream });
    const [c2] = T.checkpointedScan((c: tf.Tensor, x: tf.Tensor) => [tf.add(c, x), x], tf.scalar(0), xs, { pbar });
    expectTensorClose(c2, [10], 0);
  });

  it('TestCheckpointedForLoop.test_checkpointed_for_loop_basic / _multiple_xs', () => {
    const a = tf.range(1, 5, 1, 'float32');
    const b = tf.range(2, 6, 1, 'float32');
    expectSame(T.checkpointedForLoop((x: tf.Tensor) => tf.mul(x, 2), a), T.forLoop((x: tf.Tensor) => tf.mul(x, 2), a), 0, 'basic');
    for (const got of bothWays(() => T.checkpointedForLoop((x: tf.Tensor, y: tf.Tensor) => tf.mul(x, y), a, b, { base: 3 }))) {
      expectSame(got, T.forLoop((x: tf.Tensor, y: tf.Tensor) => tf.mul(x, y), a, b), 0, 'two xs');
    }
  });

  it('TestCheckpointedScanLengthValidation / TestCheckpointedScanBaseValidation: zero steps; base 1, 0, -2, true, 2.5', () => {
    const f = (c: tf.Tensor, x: tf.Tensor): [tf.Tensor, tf.Tensor] => [tf.add(c, x), c];
    expectThrowsWith(() => T.checkpointedScan(f, tf.scalar(0), tf.zeros([0, 2])), bst.TraceError, 'length 0');
    expectThrowsWith(() => T.checkpointedScan(f, tf.scalar(0), tf.zeros([0]), { length: 0 }), bst.TraceError, 'length 0');
    for (const base of [1, 0, -2, true, 2.5]) {
      expectThrowsWith(() => T.checkpointedScan(f, tf.scalar(0), tf.range(0, 5, 1, 'float32'), { base: base as number }),
        bst.TraceError, 'base');
    }
  });

  it('numTensors and numBytes stay flat over many eager and jitted gradient calls', () => {
    const { g } = model('checkpointed', 3);
    const jg = T.jit(g);
    const x0 = tf.tensor1d([0.1, 0.2, 0.3]);
    const xs = tf.randomNormal([20, 3], 0, 1, 'float32', 5);
    const k = tf.scalar(0.7);
    tf.dispose(g(x0, xs, k) as unknown as tf.Tensor[]);
    tf.dispose(jg(x0, xs, k) as unknown as tf.Tensor[]);
    expectNoLeaks(() => { tf.dispose(g(x0, xs, k) as unknown as tf.Tensor[]); tf.dispose(jg(x0, xs, k) as unknown as tf.Tensor[]); }, 20);
  });
});
