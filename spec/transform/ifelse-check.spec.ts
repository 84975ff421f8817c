/**
 * ifelse's `checkCond: true` (BrainState's `check_cond=True`, its default; ours is api.md's
 * first-true-wins, `checkCond: false`): exactly one
 * condition must hold, eagerly, in a jitted call (checked on the values the call is
 * given), under a gradient and under vmap (every lane); a failing call is a
 * ValueCheckError naming the true conditions and leaves every state as it was. BrainState's
 * `_conditions_test.py` cases carry the Python test name in the title.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { callJitted, expectNoLeaksAsync, expectThrowsWith, firstValue } from '../helpers';

const T = bst.transform;
/** BrainState's default: exactly one condition must hold. */
const checked = T.ifelse({ checkCond: true });

/** Runs `f`, expecting a ValueCheckError whose message holds every fragment. */
async function expectCheckError(f: () => unknown, ...fragments: string[]): Promise<void> {
  let caught: unknown;
  try {
    await f();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'a ValueCheckError').to.be.instanceOf(bst.ValueCheckError);
  for (const s of fragments) expect((caught as Error).message).to.contain(s);
}

describe('ifelse checkCond (BrainState default)', () => {
  it('TestIfElse.test_vmap: five exclusive conditions over 200 lanes, eager vmap and jit(vmap)', async () => {
    const f = (a: tf.Tensor) => checked(
      [tf.greater(a, 10), tf.logicalAnd(tf.lessEqual(a, 10), tf.greater(a, 5)), tf.logicalAnd(tf.lessEqual(a, 5), tf.greater(a, 2)),
        tf.logicalAnd(tf.lessEqual(a, 2), tf.greater(a, 0)), tf.lessEqual(a, 0)],
      [1, 2, 3, 4, 5].map((v) => (_: tf.Tensor) => tf.scalar(v, 'int32')), a);
    const operands = tf.randomUniformInt([200], -20, 20, 5);
    const want = Array.from(await operands.data(), (a) => (a > 10 ? 1 : a > 5 ? 2 : a > 2 ? 3 : a > 0 ? 4 : 5));
    const eager = await callJitted(T.vmap(f), operands) as tf.Tensor;
    expect(eager.size).to.equal(200);
    expect(Array.from(await eager.data())).to.deep.equal(want);
    const jitted = await callJitted(T.jit(T.vmap(f)), operands) as tf.Tensor;
    expect(Array.from(await jitted.data())).to.deep.equal(want);
  });

  it('not exactly one true condition is a ValueCheckError naming the true ones, eagerly', async () => {
    const branches = [() => tf.scalar(1), () => tf.scalar(2), () => tf.scalar(3)];
    await expectCheckError(() => checked([true, false, true], branches), 'got 2 true (conditions 0, 2)', 'checkCond: false');
    const a = tf.scalar(3);
    await expectCheckError(() => checked([tf.greater(a, 0), tf.greater(a, 1), tf.less(a, 0)], branches), 'conditions 0, 1');
    await expectCheckError(() => checked([tf.less(a, 0), false, tf.greater(a, 5)], branches), 'got none true');
    // Exactly one: its branch, wherever it is.
    expect(await firstValue(checked([tf.less(a, 0), tf.equal(a, 3), false], branches) as tf.Tensor)).to.equal(2);
    // One branch runs unchecked, as BrainState returns before its check.
    expect(checked([false], [() => 7])).to.equal(7);
  });

  it('jitted: the call checks the values it is given; a failing call leaves states as they were and leaks nothing', async () => {
    const s = new bst.State(tf.tensor1d([0, 0]));
    const hits = new bst.State(tf.scalar(0, 'int32'));
    const f = (x: tf.Tensor) => {
      s.value = tf.add(s.value, x); // written before the branch: must not stick when the branch fails
      return checked([tf.greater(x, 0), tf.greater(x, 5)], [
        (y: tf.Tensor) => { hits.value = tf.add(hits.value, tf.scalar(1, 'int32')); return tf.mul(y, 2); },
        (y: tf.Tensor) => tf.neg(y),
      ], x);
    };
    const j = T.jit(f);
    expect(await firstValue(await callJitted(j, tf.scalar(1)) as tf.Tensor)).to.equal(2);
    expect(Array.from(await s.value.data())).to.deep.equal([1, 1]);
    for (const [x, msg] of [[7, 'got 2 true (conditions 0, 1)'], [-1, 'got none true']] as const) {
      await expectCheckError(() => callJitted(j, tf.scalar(x)), msg);
      expect(Array.from(await s.value.data()), `after x = ${x}`).to.deep.equal([1, 1]);
      expect(await firstValue(hits.value), `after x = ${x}`).to.equal(1);
    }
    expect(j.traceCount).to.equal(1);
    const nine = tf.scalar(9);
    await expectNoLeaksAsync(async () => {
      await expectCheckError(() => callJitted(j, nine), 'conditions 0, 1');
    }, 10);
    expect(await firstValue(await callJitted(j, tf.scalar(3)) as tf.Tensor)).to.equal(6);
    expect(Array.from(await s.value.data())).to.deep.equal([4, 4]);
    expect(await firstValue(hits.value)).to.equal(2);
  });

  it('TestIfElse.test_grad1 with overlapping conditions: the jitted gradient fails the same check', () => {
    const F = (x: tf.Tensor) => checked([tf.greaterEqual(x, 10), tf.less(x, 12)], [(y: tf.Tensor) => y, (y: tf.Tensor) => tf.pow(y, 2)], x);
    const g = T.grad(F);
    const jg = T.jit(g);
    expect((g(tf.scalar(9)) as tf.Tensor).dataSync()[0]).to.equal(18);
    expect((jg(tf.scalar(9)) as tf.Tensor).dataSync()[0]).to.equal(18);
    expect((jg(tf.scalar(13)) as tf.Tensor).dataSync()[0]).to.equal(1);
    expectThrowsWith(() => g(tf.scalar(11)), bst.ValueCheckError, 'conditions 0, 1');
    expectThrowsWith(() => jg(tf.scalar(11)), bst.ValueCheckError, 'conditions 0, 1');
  });

  it('vmap: one lane with two true conditions fails the call, eagerly and jitted', async () => {
    const f = (a: tf.Tensor) => checked([tf.greater(a, 0), tf.less(a, 2)], [(y: tf.Tensor) => tf.neg(y), (y: tf.Tensor) => y], a);
    const ok = tf.tensor1d([-3, 5, 2, -1]);
    const bad = tf.tensor1d([-3, 5, 1, -1]);
    const v = T.vmap(f);
    const jv = T.jit(v);
    expect(Array.from(await (await callJitted(v, ok) as tf.Tensor).data())).to.deep.equal([-3, -5, -2, -1]);
    expect(Array.from(await (await callJitted(jv, ok) as tf.Tensor).data())).to.deep.equal([-3, -5, -2, -1]);
    await expectNoLeaksAsync(async () => {
      await expectCheckError(() => callJitted(v, bad), 'conditions 0, 1');
      await expectCheckError(() => callJitted(jv, bad), 'conditions 0, 1');
    }, 5);
    // The same conditions in every lane (an unbatched predicate): still checked.
    const shared = T.jit(T.vmap((y: tf.Tensor, p: tf.Tensor) => checked([tf.greater(p, 0), tf.less(p, 2)],
      [(z: tf.Tensor) => tf.neg(z), (z: tf.Tensor) => z], y), { inAxes: [0, null] }));
    expect(Array.from(await (await callJitted(shared, ok, tf.scalar(5)) as tf.Tensor).data())).to.deep.equal([3, -5, -2, 1]);
    await expectCheckError(() => callJitted(shared, ok, tf.scalar(1)), 'conditions 0, 1');
  });

  it('more than 30 conditions: the error counts the true ones; nothing else reads them', async () => {
    const n = 33;
    const f = (x: tf.Tensor) => checked(Array.from({ length: n }, (_, k) => tf.greater(x, k)),
      Array.from({ length: n }, (_, k) => () => tf.scalar(k)));
    await expectCheckError(() => callJitted(T.jit(f), tf.scalar(2.5)), `of the ${n} conditions`, 'got 3 true.');
    const g = (x: tf.Tensor) => checked(Array.from({ length: n }, (_, k) => tf.equal(x, k)), Array.from({ length: n }, (_, k) => () => tf.scalar(k)));
    expect(await firstValue(await callJitted(T.jit(g), tf.scalar(31)) as tf.Tensor)).to.equal(31);
  });

  it('a checked ifelse whose result nobody reads still checks (the node is kept)', async () => {
    const j = T.jit((x: tf.Tensor) => {
      checked([tf.greater(x, 0), tf.greater(x, 1)], [() => tf.scalar(0), () => tf.scalar(1)]);
      return tf.add(x, 1);
    });
    expect(await firstValue(await callJitted(j, tf.scalar(0.5)) as tf.Tensor)).to.equal(1.5);
    await expectCheckError(() => callJitted(j, tf.scalar(3)), 'conditions 0, 1');
  });

  it('options: checkCond must be a boolean, and no other option exists', () => {
    expectThrowsWith(() => T.ifelse({ checkCond: 'yes' } as unknown as bst.transform.IfElseOptions), bst.TraceError, 'checkCond to be a boolean');
    expectThrowsWith(() => T.ifelse({ check_cond: false } as unknown as bst.transform.IfElseOptions), bst.TraceError, "unknown option 'check_cond'");
    expect(T.ifelse({})([false, true], [() => 1, () => 2])).to.equal(2);
    // The default (api.md's contract) is first-true-wins: no check.
    expect(T.ifelse([true, true], [() => 1, () => 2])).to.equal(1);
    expect(T.ifelse({})([false, false], [() => 1, () => 2])).to.equal(2);
    expect(T.ifelse({ checkCond: true })([false, true], [() => 1, () => 2])).to.equal(2);
  });
});
