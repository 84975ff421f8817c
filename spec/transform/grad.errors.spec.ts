/**
 * transform.grad misuse: each error is a GradientError whose message says what was
 * expected, what was given, where, and how to fix it; none leaves states changed.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectThrowsWith } from '../helpers';

describe('grad: errors', () => {
  it('a non-scalar loss names its shape and says to reduce with tf.mean / tf.sum', () => {
    expectThrowsWith(() => bst.transform.grad((x: tf.Tensor) => tf.square(x))(tf.tensor1d([1, 2, 3])),
      bst.GradientError, 'expected a scalar loss (shape [])', 'shape [3] (float32)', 'tf.mean(...)', 'tf.sum(...)');
    expectThrowsWith(() => bst.transform.valueAndGrad((x: tf.Tensor) => tf.reshape(tf.sum(x), [1]))(tf.ones([2])),
      bst.GradientError, 'valueAndGrad(anonymous)', 'shape [1]');
  });

  it('a loss that is not a tensor, or not float32, or hasAux without a pair', () => {
    const x = tf.scalar(1);
    expectThrowsWith(() => bst.transform.grad((_t: tf.Tensor) => 3 as unknown as tf.Scalar)(x),
      bst.GradientError, 'scalar tf.Tensor loss', 'the number 3');
    expectThrowsWith(() => bst.transform.grad((t: tf.Tensor) => [tf.sum(t), t])(x),
      bst.GradientError, 'an array of length 2', 'hasAux: true');
    expectThrowsWith(() => bst.transform.grad((t: tf.Tensor) => tf.sum(t), { hasAux: true })(x),
      bst.GradientError, 'with hasAux: true the function must return [loss, aux]', 'a tf.Tensor float32[]');
    expectThrowsWith(() => bst.transform.grad((t: tf.Tensor) => tf.cast(tf.sum(t), 'int32'))(x),
      bst.GradientError, 'expected a float32 loss', 'int32');
  });

  it('gradStates that are not states name the index / path and what was given', () => {
    const s = new bst.ParamState(tf.scalar(1));
    const loss = (): tf.Scalar => tf.square(s.value) as tf.Scalar;
    expectThrowsWith(() => bst.transform.grad(loss, { gradStates: [s, tf.scalar(2) as never] })(),
      bst.GradientError, 'expected every leaf of gradStates to be a State', 'the leaf at [1]', 'a tf.Tensor float32[]');
    expectThrowsWith(() => bst.transform.grad(loss, { gradStates: { layer: { w: 'weight' as never } } })(),
      bst.GradientError, "the leaf at ['layer', 'w']", 'the string "weight"');
    const tree = new bst.NestedDict({ w: new bst.TreefyState(bst.ParamState, tf.scalar(1)) });
    expectThrowsWith(() => bst.transform.grad(loss, { gradStates: tree })(),
      bst.GradientError, "the leaf at ['w']", 'TreefyStates are detached copies', 'argnums');
  });

  it('integer states and integer argument leaves are refused with the path', () => {
    const n = new bst.HiddenState(tf.scalar(1, 'int32'));
    expectThrowsWith(() => bst.transform.grad(() => tf.cast(n.value, 'float32') as tf.Scalar, { gradStates: n })(),
      bst.GradientError, 'expected float32 values in gradStates', 'HiddenState', 'int32');
    expectThrowsWith(() => bst.transform.grad((p: { ids: tf.Tensor }) => tf.sum(tf.cast(p.ids, 'float32')))(
      { ids: tf.tensor1d([1, 2], 'int32') }), bst.GradientError, "argument 0, but the leaf at ['ids']", 'int32',
    "tf.cast(x, 'float32')");
    expectThrowsWith(() => bst.transform.grad((p: { name: string; w: tf.Tensor }) => tf.sum(p.w))(
      { name: 'w', w: tf.ones([2]) }), bst.GradientError, "the leaf at ['name'] is the string \"w\"");
  });

  it('argnums out of range names the argument count; duplicates and non-integers are refused', () => {
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(a, b));
    const a = tf.ones([2]);
    expectThrowsWith(() => bst.transform.grad(f, { argnums: 2 })(a, a),
      bst.GradientError, 'argnums 2 is out of range for a call with 2 arguments', 'valid: 0..1');
    // issue 12: negative argnums are errors (as BrainState), already when the transform is made.
    expectThrowsWith(() => bst.transform.grad(f, { argnums: [0, -3] }), bst.GradientError, 'argnums -3 is negative',
      'non-negative index');
    expectThrowsWith(() => bst.transform.valueAndGrad(f, { argnums: -1 }), bst.GradientError, 'argnums -1 is negative');
    expectThrowsWith(() => bst.transform.grad(f, { argnums: [1, 1] })(a, a), bst.GradientError, 'twice');
    expectThrowsWith(() => bst.transform.grad(f, { argnums: 0.5 })(a, a), bst.GradientError, 'integer', '0.5');
    expectThrowsWith(() => bst.transform.grad(() => tf.scalar(1))(), bst.GradientError,
      'out of range for a call with 0 arguments');
  });

  it('a State passed as a differentiated argument points to gradStates', () => {
    const s = new bst.ParamState(tf.scalar(1));
    expectThrowsWith(() => bst.transform.grad((st: bst.ParamState) => st.value as tf.Scalar)(s),
      bst.GradientError, 'is a ParamState', 'gradStates');
  });

  it('not a function, or an async function', () => {
    expectThrowsWith(() => bst.transform.grad(42 as never), bst.GradientError, 'expected a function', 'number');
    expectThrowsWith(() => bst.transform.grad(async () => tf.scalar(1)), bst.GradientError, 'async functions');
  });

  it('errors under jit leave states unchanged and the next call works', () => {
    const s = new bst.ParamState(tf.tensor1d([1, 2]));
    const h = new bst.HiddenState(tf.scalar(0));
    let bad = true;
    const step = bst.transform.jit(() => bst.transform.grad(() => {
      h.value = tf.add(h.value, 1);
      return bad ? tf.mul(s.value, 2) as tf.Scalar : tf.sum(tf.mul(s.value, 2));
    }, { gradStates: s })());
    expectThrowsWith(() => step(), bst.GradientError, 'shape [2]');
    expect(h.value.dataSync()[0]).to.equal(0);
    bad = false;
    expect(Array.from(step().dataSync())).to.deep.equal([2, 2]);
    expect(h.value.dataSync()[0]).to.equal(1);
  });

  it('issue 12: a gradStates state the function never reads is an error naming its path, unless checkStates: false', () => {
    const first = new bst.nn.Linear(2, 3);
    const net = new bst.nn.Sequential(first, new bst.nn.Linear(3, 1));
    const h = new bst.HiddenState(tf.scalar(0), { name: 'h' });
    const x = tf.ones([4, 2]);
    // Only the first layer is used: the second's weight would get a zero gradient whatever the loss.
    const loss = () => {
      h.value = tf.add(h.value, 1);
      return tf.mean(first.call(x) as tf.Tensor);
    };
    const params = net.states(bst.ParamState);
    const msg = expectThrowsWith(() => bst.transform.grad(loss, { gradStates: params })(), bst.GradientError,
      "never read ['layers', 1, 'weight'] (ParamState 'weight')", 'checkStates: false').message;
    expect(msg).to.not.contain("['layers', 0, 'weight']");
    expect(h.value.dataSync()[0]).to.equal(0);                       // nothing was written
    const unnamed = new bst.ParamState(tf.scalar(1), { name: 'w' });
    expectThrowsWith(() => bst.transform.valueAndGrad(() => tf.sum(x), { gradStates: { w: unnamed } })(),
      bst.GradientError, "valueAndGrad(anonymous)", "never read ['w'] (ParamState 'w')");
    // Under jit the same error, and the call changes nothing.
    expectThrowsWith(() => bst.transform.jit(() => bst.transform.grad(loss, { gradStates: params })())(),
      bst.GradientError, "['layers', 1, 'weight']");
    expect(h.value.dataSync()[0]).to.equal(0);
    // checkStates: false: zero gradients for the unread state, as BrainState's check_states=False.
    const grads = bst.transform.grad(loss, { gradStates: params, checkStates: false })();
    const g1 = grads.get(['layers', 1, 'weight']) as unknown as { weight: tf.Tensor; bias: tf.Tensor };
    expect(Array.from(g1.weight.dataSync())).to.deep.equal([0, 0, 0]);
    expect(h.value.dataSync()[0]).to.equal(1);
  });
});
