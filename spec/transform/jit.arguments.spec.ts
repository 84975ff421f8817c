/**
 * Issue 12, API edges of jit arguments and states: a jit never silently changes a result,
 * and an argument it cannot trace is a clear error. Each case runs on every backend.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { hidden, jit } from '../../decorators';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

/** The raw bits of a float32 / int32 tensor, for bit-for-bit comparison with eager tfjs. */
function bits(t: tf.Tensor): number[] {
  const d = t.dataSync();
  return Array.from(d instanceof Float32Array ? new Uint32Array(d.buffer, d.byteOffset, d.length) : d);
}

function expectSameAsEager(got: tf.Tensor, eager: tf.Tensor): void {
  expect(got.dtype, 'dtype').to.equal(eager.dtype);
  expect(got.shape, 'shape').to.deep.equal(eager.shape);
  expect(bits(got), 'bits').to.deep.equal(bits(eager));
}

describe('jit arguments (issue 12)', () => {
  it('issue 12: two different Symbol("k") static arguments get their own programs; Symbol.for keys by its key', () => {
    const a = Symbol('k');
    const b = Symbol('k');
    const f = bst.transform.jit((x: tf.Tensor, k: symbol) => tf.add(x, k === a ? 1 : 2), { staticArgnums: 1 });
    expectTensorClose(f(tf.scalar(0), a), [1]);
    expectTensorClose(f(tf.scalar(0), b), [2]);
    expectTensorClose(f(tf.scalar(0), a), [1]);
    expect(f.traceCount).to.equal(2);
    const g = bst.transform.jit((x: tf.Tensor, k: symbol) => tf.add(x, k.description!.length), { staticArgnums: 1 });
    g(tf.scalar(0), Symbol.for('issue12.key'));
    g(tf.scalar(0), Symbol.for('issue12.key'));
    expect(g.traceCount).to.equal(1);
  });

  it('issue 12: a cyclic static or traced argument is a TraceError naming the argument and the cycle', () => {
    const cyclic: Record<string, unknown> = { a: 1, inner: { list: [] as unknown[] } };
    ((cyclic.inner as { list: unknown[] }).list).push(cyclic);
    const f = bst.transform.jit((x: tf.Tensor, o: { a: number }) => tf.add(x, o.a), { staticArgnums: 1 });
    expectThrowsWith(() => f(tf.scalar(0), cyclic as { a: number }), bst.TraceError,
      'static argument 1.inner.list[0] is argument 1 again (a cycle)', 'Break the cycle');
    const withTensor: Record<string, unknown> = { t: tf.scalar(1) };
    withTensor.self = [withTensor];
    const g = bst.transform.jit((o: { t: tf.Tensor }) => tf.add(o.t, 1));
    expectThrowsWith(() => g(withTensor as { t: tf.Tensor }), bst.TraceError,
      'argument 0.self[0] is argument 0 again (a cycle)', 'a traced argument must be a tree of tensors');
    expect(f.traceCount + g.traceCount).to.equal(0);
    // Shared (not cyclic) subtrees are fine: the same object twice is two leaves.
    const shared = { t: tf.scalar(2) };
    expectTensorClose(bst.transform.jit((p: { t: tf.Tensor }[]) => tf.add(p[0].t, p[1].t))([shared, shared]), [4]);
  });

  it('issue 12: a plain array of numbers is one tensor, as tf.tensor(array) makes it, same bits as eager', () => {
    const f = bst.transform.jit((x: tf.Tensor) => tf.mul(tf.add(x, 1), 3));
    const eagerF = (x: tf.TensorLike) => tf.mul(tf.add(x as unknown as tf.Tensor, 1), 3);
    for (const v of [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]) expectSameAsEager(f(v as never), eagerF(v));
    expectSameAsEager(f([0.1, -0.2, 3] as never), eagerF([0.1, -0.2, 3]));   // another shape: a new trace
    expect(f.traceCount).to.equal(2);
    // Typed arrays too, with the dtype tf.tensor infers (Int32Array gives int32).
    expectSameAsEager(f(new Int32Array([1, 2, 3]) as never), eagerF(new Int32Array([1, 2, 3])));
    expectSameAsEager(f(new Float32Array([0.5, 1.5]) as never), eagerF(new Float32Array([0.5, 1.5])));
    // Inside a tree, and next to tensors: still leaves of their own.
    const g = bst.transform.jit((p: { w: tf.Tensor; b: tf.Tensor }) => tf.add(p.w, p.b));
    expectTensorClose(g({ w: tf.tensor1d([1, 2]), b: [10, 20] as never }), [11, 22]);
    // The tensors made from arrays are the call's own: nothing leaks over replays.
    expectNoLeaks(() => f([[1, 2], [3, 4]] as never).dispose(), 3);
  });

  it('issue 12: a ragged array of numbers is a TraceError naming the argument', () => {
    const f = bst.transform.jit((x: tf.Tensor) => tf.add(x, 1));
    expectThrowsWith(() => f([[1, 2], [3]] as never), bst.TraceError, 'argument 0 is a ragged array of numbers',
      'staticArgnums: [0]');
    expectNoLeaks(() => expect(() => f({ a: [1, 2], b: [[1], [2, 3]] } as never)).to.throw(/argument 0 at \['b'\]/));
  });

  it('issue 12: a string, Date, function or class instance that is not static is an error saying to mark it static', () => {
    class Config { scale = 2; }
    const f = bst.transform.jit((x: tf.Tensor, _o: unknown) => tf.mul(x, 2));
    expectThrowsWith(() => f(tf.scalar(1), 'relu'), bst.TraceError, 'argument 1 is the string "relu"',
      'Mark it static (staticArgnums: [1])');
    expectThrowsWith(() => f(tf.scalar(1), new Date(0)), bst.TraceError, 'argument 1 is an instance of Date');
    expectThrowsWith(() => f(tf.scalar(1), new Config()), bst.TraceError, 'argument 1 is an instance of Config');
    expectThrowsWith(() => f(tf.scalar(1), { act: Math.tanh }), bst.TraceError,
      "argument 1 at ['act'] is a function (tanh)");
    const g = bst.transform.jit((x: tf.Tensor, o: { k: number; name: string }) => tf.mul(x, o.k),
      { staticArgnames: ['k'] });
    expectThrowsWith(() => g(tf.scalar(1), { k: 2, name: 'n' }), bst.TraceError, "argument 1 at ['name']",
      'add its key to staticArgnames');
    expect(f.traceCount + g.traceCount).to.equal(0);
    // Marked static, a class instance keys by identity; booleans and modules stay accepted as before.
    const h = bst.transform.jit((x: tf.Tensor, c: Config, neg: boolean) => (neg ? tf.neg(tf.mul(x, c.scale)) : x),
      { staticArgnums: 1 });
    expectTensorClose(h(tf.scalar(1), new Config(), true), [-2]);
    expectTensorClose(h(tf.scalar(1), new Config(), false), [1]);
  });

  it('issue 12: a complex64 argument or state gives eager results (cpu), or the same error as eager', () => {
    if (tf.getKernel('Complex', tf.getBackend()) === undefined) {
      // tfjs-wasm has no complex kernels: eager cannot even make the argument, so there is nothing to jit.
      expect(() => tf.complex([1], [2])).to.throw(/Complex' not registered/);
      return;
    }
    const f = bst.transform.jit((x: tf.Tensor) => tf.real(tf.mul(x, x)));
    const s = new bst.State(tf.complex([1, -0], [3, 4]));
    const g = bst.transform.jit((x: tf.Tensor) => {
      s.value = tf.add(s.value, x);
      return tf.abs(s.value);
    });
    let eagerState = tf.complex([1, -0], [3, 4]);
    for (let i = 0; i < 3; i++) {
      const x = tf.complex([1, i], [3, -i]);
      expectSameAsEager(f(x), tf.real(tf.mul(x, x)));
      const next = tf.add(eagerState, x);
      expectSameAsEager(g(x), tf.abs(next));
      expect(Array.from(s.value.dataSync())).to.deep.equal(Array.from(next.dataSync()));
      tf.dispose([x, eagerState]);
      eagerState = next;
    }
    expect([f.traceCount, g.traceCount]).to.deep.equal([1, 1]);
    const x = tf.complex([1, 2], [3, 4]);
    expectNoLeaks(() => { f(x).dispose(); g(x).dispose(); }, 3);
  });
});

describe('jit and disposed state values (issue 12)', () => {
  class Model extends bst.nn.Module {
    @hidden v = tf.tensor1d([1, 2]);
    @hidden other = tf.scalar(10);
    @jit() step(x: tf.Tensor): tf.Tensor {
      this.other = tf.add(this.other, 1);
      this.v = tf.add(this.v, x);
      return tf.mul(this.v, 1);
    }
  }

  it('issue 12: a state whose value was disposed is a StateError naming its path; no state changes', () => {
    const m = new Model();
    m.step(tf.ones([2])).dispose();                               // traced
    bst.stateOf(m, 'v').value.dispose();                          // behind the state's back
    const otherBefore = bst.stateOf(m, 'other').value;
    expectThrowsWith(() => m.step(tf.ones([2])), bst.StateError, 'state v (HiddenState)', 'was disposed outside the state',
      'assign a new value', 'No state was changed');
    expect(bst.stateOf(m, 'other').value).to.equal(otherBefore);   // not written
    expect(otherBefore.dataSync()[0]).to.equal(11);
    // At trace time too (a fresh function), and for a closure state labelled by name.
    const s = new bst.HiddenState(tf.scalar(1), { name: 'acc' });
    s.value.dispose();
    expectThrowsWith(() => bst.transform.jit(() => tf.add(s.value, 1))(), bst.StateError, 'state acc (HiddenState)');
    // Writing a new value repairs it.
    bst.stateOf(m, 'v').value = tf.tensor1d([5, 5]);
    expectTensorClose(m.step(tf.ones([2])), [6, 6]);
  });

  it('issue 12: passing s.value of a state the function also writes gives eager results at every call', () => {
    const s = new bst.HiddenState(tf.tensor1d([1, 2, 3, 4]));
    const f = bst.transform.jit((x: tf.Tensor) => {
      s.value = tf.mul(tf.add(s.value, 1), 2);
      return tf.sqrt(tf.exp(x));
    });
    for (let i = 0; i < 3; i++) {
      const x = s.value;
      const eager = tf.sqrt(tf.exp(x));
      expectSameAsEager(f(x), eager);
    }
  });
});
