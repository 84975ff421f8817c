/**
 * switch and ifelse (BrainState's `_conditions_test.py`, ported: the Python test name is
 * in each title): eager and jitted agree, every branch is traced once, states written in
 * any branch are carried through the others, out-of-range indices clamp, bad input is a
 * clear error, nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import {
  callJitted, expectNoLeaks, expectNoLeaksAsync, expectTensorClose, expectThrowsWith, firstValue,
} from '../helpers';

const T = bst.transform;
const i32 = (i: number) => tf.scalar(i, 'int32');
const num = (t: unknown) => (t as tf.Tensor).dataSync()[0];

describe('switch', () => {
  it('TestSwitch.testSwitch: branch by index, clamped, eagerly and jitted (traced once)', () => {
    const branches = [
      (x: tf.Tensor) => [x, x],
      (x: tf.Tensor) => { const y = tf.mul(2, x); return [y, tf.mul(2, y)]; },
      (x: tf.Tensor) => [x, tf.neg(x)],
    ];
    const fun = (x: number) => (x <= 0 ? [x, x] : x === 1 ? [2 * x, 4 * x] : [x, -x]);
    const cfun = (i: tf.Tensor) => T.switch(i, branches, tf.cast(i, 'float32'));
    const j = T.jit(cfun);
    for (const x of [-1, 0, 1, 2, 3]) {
      const e = cfun(i32(x)) as tf.Tensor[];
      const c = j(i32(x)) as tf.Tensor[];
      expect(e.map(num), `eager ${x}`).to.deep.equal(fun(x));
      expect(c.map(num), `jit ${x}`).to.deep.equal(fun(x));
    }
    expect(j.traceCount).to.equal(1);
  });

  it('TestSwitch.testSwitchMultiOperands: several operands reach the branch', () => {
    const branches = [(a: tf.Tensor, b: tf.Tensor) => tf.add(a, b), (a: tf.Tensor, b: tf.Tensor) => tf.mul(a, b)];
    const cfun = (i: tf.Tensor) => { const x = tf.cast(i, 'float32'); return T.switch(i, branches, x, x); };
    const j = T.jit(cfun);
    for (const x of [-1, 0, 1, 2]) {
      const want = x <= 0 ? x + x : x * x;
      expect(num(cfun(i32(x)))).to.equal(want);
      expect(num(j(i32(x)))).to.equal(want);
    }
  });

  it('TestSwitch.testOneBranchSwitch: one branch runs for any index', () => {
    const f = (i: tf.Tensor | number, x: tf.Tensor) => T.switch(i, [(y: tf.Tensor) => tf.neg(y)], x);
    for (const i of [-1, 0, 1]) {
      expect(num(f(i, tf.scalar(7)))).to.equal(-7);
      expect(num(f(i32(i), tf.scalar(7)))).to.equal(-7);
      expect(num(T.jit(f)(i32(i), tf.scalar(7)))).to.equal(-7);
    }
  });

  it('TestSwitchValidation: non-function branch, non-scalar / non-integer index, empty branches', () => {
    const id = (x: tf.Tensor) => x;
    expectThrowsWith(() => T.switch(0, [id, 5 as unknown as typeof id], tf.scalar(1)), bst.TraceError, 'branch 1 to be a function');
    expectThrowsWith(() => T.switch(tf.tensor1d([0, 1], 'int32'), [id, id], tf.scalar(1)), bst.TraceError,
      'int32 scalar tensor', 'int32[2]');
    expectThrowsWith(() => T.switch(1.5, [id, id], tf.scalar(1)), bst.TraceError, 'integer index, got 1.5');
    expectThrowsWith(() => T.switch(tf.scalar(1), [id, id], tf.scalar(1)), bst.TraceError, 'float32[]', "tf.cast(index, 'int32')");
    expectThrowsWith(() => T.switch(0, [], tf.scalar(1)), bst.TraceError, 'at least one branch');
  });

  it('TestSwitchValidation.test_disable_jit_fast_path: a concrete index runs the branch directly', () => {
    expect(num(T.switch(1, [(x: tf.Tensor) => x, (x: tf.Tensor) => tf.add(x, 100)], tf.scalar(1)))).to.equal(101);
  });

  it('branches returning different structures or shapes are an error naming the branch', () => {
    const j = T.jit((i: tf.Tensor, x: tf.Tensor) => T.switch(i, [(y: tf.Tensor) => y, (y: tf.Tensor) => y,
      (y: tf.Tensor) => [y, y] as unknown as tf.Tensor], x));
    expectThrowsWith(() => j(i32(0), tf.scalar(1)), bst.TraceError, 'same structure', 'branch 0', 'branch 2');
    const k = T.jit((i: tf.Tensor, x: tf.Tensor) => T.switch(i, [(y: tf.Tensor) => y, (y: tf.Tensor) => tf.stack([y, y])], x));
    expectThrowsWith(() => k(i32(0), tf.scalar(1)), bst.TraceError, 'result leaf 0 is float32[] in the branch 0',
      'float32[2] in the branch 1');
  });

  it('TestCrossBranchStateAccess.test_switch_mixed_read_write_branches (eager and jitted)', () => {
    for (const mode of ['eager', 'jit'] as const) {
      const a = new bst.State(tf.scalar(1));
      const c = new bst.State(tf.scalar(10));
      const branches = [
        (x: tf.Tensor) => { a.value = tf.mul(x, 2); },
        (x: tf.Tensor) => { c.value = tf.add(a.value, x); },
        (x: tf.Tensor) => { void tf.add(a.value, c.value); void x; },
      ];
      const f = (i: tf.Tensor) => T.switch(i, branches, tf.scalar(3));
      const run = mode === 'jit' ? T.jit(f) : f;
      expect(run(i32(0))).to.equal(undefined);
      expect([num(a.value), num(c.value)], mode).to.deep.equal([6, 10]);
      run(i32(1));
      expect([num(a.value), num(c.value)], mode).to.deep.equal([6, 9]);
      run(i32(2));
      expect([num(a.value), num(c.value)], mode).to.deep.equal([6, 9]);
    }
  });

  it('trees as operands and results; a state written in one branch only; random draws per branch', () => {
    const count = new bst.HiddenState(tf.scalar(0));
    const branches = [
      (p: { x: tf.Tensor; k: tf.Tensor }) => ({ y: tf.mul(p.x, p.k) }),
      (p: { x: tf.Tensor; k: tf.Tensor }) => { count.value = tf.add(count.value, 1); return { y: tf.add(p.x, p.k) }; },
    ];
    const f = (i: tf.Tensor, x: tf.Tensor) => T.switch(i, branches, { x, k: tf.scalar(3) }).y;
    const j = T.jit(f);
    expectTensorClose(j(i32(0), tf.tensor1d([1, 2])), [3, 6]);
    expect(num(count.value)).to.equal(0);
    expectTensorClose(j(i32(5), tf.tensor1d([1, 2])), [4, 5]);
    expect(num(count.value)).to.equal(1);
    expectTensorClose(f(i32(1), tf.tensor1d([1, 2])), [4, 5]);
    expect(num(count.value)).to.equal(2);
  });

  it('1,000 jitted switch calls leave numTensors flat', () => {
    const s = new bst.HiddenState(tf.scalar(0));
    const j = T.jit((i: tf.Tensor, x: tf.Tensor) => T.switch(i, [
      (y: tf.Tensor) => { s.value = tf.add(s.value, y); return tf.neg(y); },
      (y: tf.Tensor) => tf.mul(y, 2),
      (y: tf.Tensor) => tf.square(y),
    ], x));
    const x = tf.scalar(2);
    const idx = [0, 1, 2, 3].map(i32);
    tf.dispose(j(idx[0], x));
    expectNoLeaks((k) => tf.dispose(j(idx[k % 4], x)), 1000);
    expect(num(s.value)).to.equal(2 * 251);
  });
});

describe('ifelse', () => {
  it('TestIfElse.test1: the first true condition picks the branch', () => {
    const f = (a: number) => T.ifelse([a < 0, a >= 0 && a < 2, a >= 2 && a < 5, a >= 5 && a < 10, a >= 10],
      [() => 1, () => 2, () => 3, () => 4, () => 5]);
    expect(f(3)).to.equal(3);
    expect(f(1)).to.equal(2);
    expect(f(-1)).to.equal(1);
  });

  // Jitted calls go through callJitted (callAsync on webgpu, where the branch index lives on the GPU).
  it('checkCond: false: traced conditions, eagerly and jitted; the first true wins, the last branch is the fallback', async () => {
    const f = (a: tf.Tensor) => T.ifelse({ checkCond: false })(
      [tf.greater(a, 10), tf.greater(a, 5), tf.greater(a, 2), tf.greater(a, 0), true],
      [() => tf.scalar(1), () => tf.scalar(2), () => tf.scalar(3), () => tf.scalar(4), () => tf.scalar(5)]);
    const j = T.jit(f);
    const want = (a: number) => (a > 10 ? 1 : a > 5 ? 2 : a > 2 ? 3 : a > 0 ? 4 : 5);
    for (const a of [-20, 0, 1, 3, 6, 11, 20]) {
      expect(await firstValue(f(tf.scalar(a))), `eager ${a}`).to.equal(want(a));
      expect(await firstValue(await callJitted(j, tf.scalar(a))), `jit ${a}`).to.equal(want(a));
    }
    expect(j.traceCount).to.equal(1);
    // None true: the last branch, whatever its own condition says (first-true-wins, BrainState's check_cond=False).
    const g = T.jit((a: tf.Tensor) => T.ifelse({ checkCond: false })([tf.greater(a, 0), tf.greater(a, 100)], [() => tf.scalar(1), () => tf.scalar(2)]));
    expect(await firstValue(await callJitted(g, tf.scalar(-1)))).to.equal(2);
    // A bool vector of conditions.
    expect(await firstValue(T.ifelse({ checkCond: false })(tf.tensor1d([0, 1, 1], 'bool'), [() => tf.scalar(1), () => tf.scalar(2), () => tf.scalar(3)])))
      .to.equal(2);
  });

  it('TestIfElse.test_grad1 / test_grad2: gradients through the branch taken (eager and jitted)', () => {
    const F2 = (x: tf.Tensor) => T.ifelse([tf.greaterEqual(x, 10), tf.less(x, 10)],
      [(y: tf.Tensor) => y, (y: tf.Tensor) => tf.pow(y, 2)], x);
    const F3 = (x: tf.Tensor) => T.ifelse([tf.greaterEqual(x, 10), tf.logicalAnd(tf.greaterEqual(x, 0), tf.less(x, 10)), tf.less(x, 0)],
      [(y: tf.Tensor) => y, (y: tf.Tensor) => tf.pow(y, 2), (y: tf.Tensor) => tf.pow(y, 4)], x);
    for (const F of [F2, F3]) {
      const g = T.grad(F);
      const jg = T.jit(g);
      expect(num(g(tf.scalar(9)))).to.equal(18);
      expect(num(g(tf.scalar(11)))).to.equal(1);
      expect(num(jg(tf.scalar(9)))).to.equal(18);
      expect(num(jg(tf.scalar(11)))).to.equal(1);
    }
    expect(num(T.jit(T.grad(F3))(tf.scalar(-2)))).to.equal(-32);
  });

  it('TestIfElseValidation: non-function branch, empty, single branch, mismatched lengths', () => {
    expectThrowsWith(() => T.ifelse([true, false], [() => 1, 2 as unknown as () => number]), bst.TraceError, 'branch 1 to be a function');
    expectThrowsWith(() => T.ifelse([], []), bst.TraceError, 'at least one branch');
    expect(num(T.ifelse([true], [(x: tf.Tensor) => tf.add(x, 1)], tf.scalar(5)))).to.equal(6);
    expectThrowsWith(() => T.ifelse([true, false, false], [() => 1, () => 2]), bst.TraceError, '3 conditions for 2 branches');
    expectThrowsWith(() => T.ifelse([true, false], [() => 42]), bst.TraceError, '2 conditions for 1 branch');
    expectThrowsWith(() => T.ifelse([tf.tensor1d([1, 0]), true], [() => 1, () => 2]), bst.TraceError, 'condition 0', 'scalar');
  });

  it('eager and jitted ifelse over a vector of conditions leave numTensors flat', async () => {
    const v = tf.tensor1d([0, 1, 0], 'bool');
    const branches = [(x: tf.Tensor) => tf.neg(x), (x: tf.Tensor) => tf.mul(x, 2), (x: tf.Tensor) => x];
    const x = tf.scalar(3);
    const j = T.jit((c: tf.Tensor, y: tf.Tensor) => T.ifelse(c, branches, y));
    tf.dispose(await callJitted(j, v, x));
    await expectNoLeaksAsync(async () => {
      // Eager ifelse reads its conditions at once: a fresh vector, as the jitted calls upload v (webgpu).
      const host = tf.tensor1d([0, 1, 0], 'bool');
      const a = T.ifelse(host, branches, x);
      const b = await callJitted(j, v, x);
      expect([await firstValue(a), await firstValue(b)]).to.deep.equal([6, 6]);
      tf.dispose([a, b, host]);
    }, 20);
  });

  it('TestIfElseValidation.test_check_cond_false_skips_validation: first true wins', () => {
    expect(T.ifelse({ checkCond: false })([true, true], [() => 1, () => 2])).to.equal(1);
  });

  it('TestCrossBranchStateAccess.test_ifelse_mixed_read_write_branches (eager and jitted)', async () => {
    for (const mode of ['eager', 'jit'] as const) {
      const a = new bst.State(tf.scalar(0));
      const f = (x: tf.Tensor) => T.ifelse([tf.greaterEqual(x, 0), tf.less(x, 0)],
        [() => { a.value = tf.add(a.value, 1); }, () => { void a.value; }]);
      const j = T.jit(f);
      const run = (x: tf.Tensor) => (mode === 'jit' ? callJitted(j, x) : Promise.resolve(f(x)));
      await run(tf.scalar(1));
      expect(await firstValue(a.value), mode).to.equal(1);
      await run(tf.scalar(-1));
      expect(await firstValue(a.value), mode).to.equal(1);
    }
  });
});

describe('cond (BrainState ports)', () => {
  it('TestCrossBranchStateAccess.test_cond_cross_writes_under_jit', () => {
    const a = new bst.State(tf.scalar(1));
    const b = new bst.State(tf.scalar(2));
    const step = T.jit((pred: tf.Tensor, x: tf.Tensor) => {
      T.cond(pred, () => { a.value = tf.add(b.value, x); }, () => { b.value = tf.mul(a.value, 10); });
      return tf.add(a.value, b.value);
    });
    expect(num(step(tf.scalar(true, 'bool'), tf.scalar(3)))).to.equal(7);
    expect([num(a.value), num(b.value)]).to.deep.equal([5, 2]);
    expect(num(step(tf.scalar(false, 'bool'), tf.scalar(3)))).to.equal(55);
    expect([num(a.value), num(b.value)]).to.deep.equal([5, 50]);
  });

  it('TestCondValidation.test_integer_predicate_is_truthy: a number predicate is true when non-zero, jitted too', () => {
    const j = T.jit((p: tf.Tensor) => T.cond(p, () => tf.scalar(1), () => tf.scalar(0)));
    expect(num(j(tf.scalar(2, 'int32')))).to.equal(1);
    expect(num(j(tf.scalar(-1, 'int32')))).to.equal(1);
    expect(num(j(tf.scalar(0, 'int32')))).to.equal(0);
  });
});
