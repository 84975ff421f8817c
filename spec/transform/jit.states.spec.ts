/**
 * jit and states: reads are inputs read afresh, writes are committed after the call,
 * a throwing call changes nothing, changed state shapes retrace, no leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { hidden, jit, jitted, param } from '../../decorators';
import { expectTensorClose, expectThrowsWith } from '../helpers';

class Counter extends bst.nn.Module {
  @hidden n = tf.scalar(0);
  @param w = tf.tensor1d([1, 2, 3]);

  @jit() bump(x: tf.Tensor): tf.Tensor {
    this.n = tf.add(this.n, 1);
    return tf.mul(this.w, x);
  }

  @jit({ staticArgnums: [1] }) scaled(x: tf.Tensor, k: number): tf.Tensor {
    return tf.mul(x, k);
  }
}

function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array(new Float32Array(t.dataSync() as Float32Array).buffer));
}

describe('jit and states', () => {
  it('reads states afresh at every call (closures and this)', () => {
    const w = new bst.ParamState(tf.scalar(2));
    const f = bst.transform.jit((x: tf.Tensor) => tf.mul(x, w.value));
    expectTensorClose(f(tf.scalar(3)), [6]);
    w.value = tf.scalar(5);
    expectTensorClose(f(tf.scalar(3)), [15]);
    expect(f.traceCount).to.equal(1);
  });

  it('writes states back after each call, traced or replayed', () => {
    const c = new Counter();
    for (let i = 0; i < 5; i++) c.bump(tf.scalar(1)).dispose();
    expect(c.n.dataSync()[0]).to.equal(5);
    expect(jitted(c.bump).traceCount).to.equal(1);
  });

  it('a state written inside a tf.tidy in the traced function keeps its value (as eagerly)', () => {
    const s = new bst.HiddenState(tf.scalar(1));
    const f = bst.transform.jit((x: tf.Tensor) => tf.tidy(() => { s.value = tf.add(s.value, x); return tf.mul(s.value, 2); }));
    expectTensorClose(f(tf.scalar(1)), [4]);
    expectTensorClose(f(tf.scalar(1)), [6]);
    expect(s.value.dataSync()[0]).to.equal(3);
    const g = bst.transform.jit((x: tf.Tensor) => bst.transform.forLoop((r: tf.Tensor) => tf.tidy(() => {
      s.value = tf.add(s.value, r);
      return s.value;
    }), x));
    expectTensorClose(g(tf.ones([3])) as tf.Tensor, [4, 5, 6]);
    expect(s.value.dataSync()[0]).to.equal(6);
  });

  it('returns tensors the caller owns, never a state\'s own value', () => {
    const s = new bst.HiddenState(tf.scalar(1));
    const f = bst.transform.jit(() => {
      s.value = tf.add(s.value, 1);
      return s.value;
    });
    for (let i = 0; i < 3; i++) {
      const out = f();
      expect(out).to.not.equal(s.value);
      out.dispose();
      expect(s.value.isDisposed).to.equal(false);
    }
    expect(s.value.dataSync()[0]).to.equal(4);
  });

  it('a call that throws while tracing leaves every state bit-identical', () => {
    const a = new bst.HiddenState(tf.tensor1d([0.1, 0.2]));
    const b = new bst.HiddenState(tf.tensor1d([1, 2]));
    const before = [bits(a.value), bits(b.value)];
    const f = bst.transform.jit((x: tf.Tensor) => {
      a.value = tf.add(a.value, x);
      b.value = tf.mul(b.value, x);
      throw new Error('boom');
    });
    expect(() => f(tf.tensor1d([1, 1]))).to.throw('boom');
    expect([bits(a.value), bits(b.value)]).to.deep.equal(before);
    expect(f.cacheSize).to.equal(0);
  });

  it('a replay that throws leaves every state bit-identical', () => {
    const table = new bst.ParamState(tf.tensor2d([[1, 2], [3, 4]]));
    const hits = new bst.HiddenState(tf.scalar(0));
    const f = bst.transform.jit((i: tf.Tensor) => {
      hits.value = tf.add(hits.value, 1);
      return tf.gather(table.value, i);
    });
    expectTensorClose(f(tf.tensor1d([1], 'int32')), [[3, 4]]);
    const before = bits(hits.value);
    if (bst.backend.name() === 'cpu') {
      // The cpu Gather kernel rejects an out-of-range index at run time.
      expect(() => f(tf.tensor1d([7], 'int32'))).to.throw();
      expect(bits(hits.value)).to.deep.equal(before);
    }
    expect(hits.value.dataSync()[0]).to.equal(1);
  });

  it('retraces when a state changed shape or dtype outside the call, never replays wrongly', () => {
    const v = new bst.HiddenState(tf.zeros([3]));
    const f = bst.transform.jit(() => tf.sum(v.value));
    expectTensorClose(f(), [0]);
    v.value = tf.ones([5]);
    expectTensorClose(f(), [5]);
    expect(f.traceCount).to.equal(2);
    v.value = tf.ones([3]);
    expectTensorClose(f(), [3]);
    expect(f.traceCount).to.equal(2); // the first program fits again
    v.value = tf.ones([3], 'int32');
    expect(f().dtype).to.equal('int32');
    expect(f.traceCount).to.equal(3);
  });

  it('writing another shape inside a traced call is a StateShapeError naming the state', () => {
    const c = new Counter();
    const f = bst.transform.jit(() => {
      c.w = tf.zeros([4]);
    });
    expectThrowsWith(() => f(), bst.StateShapeError, "state w", 'float32[3]', 'float32[4]', 'keeps its shape');
    expectTensorClose(c.w, [1, 2, 3]);
  });

  it('two instances of one class keep separate caches and states', () => {
    const a = new Counter();
    const b = new Counter();
    b.w = tf.tensor1d([10, 20, 30]);
    expectTensorClose(a.bump(tf.scalar(2)), [2, 4, 6]);
    expectTensorClose(b.bump(tf.scalar(2)), [20, 40, 60]);
    expect(jitted(a.bump)).to.not.equal(jitted(b.bump));
    expect(jitted(a.bump).traceCount).to.equal(1);
    expect(jitted(b.bump).traceCount).to.equal(1);
    expect(a.n.dataSync()[0]).to.equal(1);
    jitted(b.bump).clearCache();
    expect(jitted(b.bump).cacheSize).to.equal(0);
    expect(jitted(a.bump).cacheSize).to.equal(1);
  });

  it('static arguments are part of the key; numbers otherwise become float32 scalars', () => {
    const c = new Counter();
    expectTensorClose(c.scaled(tf.ones([2]), 2), [2, 2]);
    expectTensorClose(c.scaled(tf.ones([2]), 3), [3, 3]);
    expect(jitted(c.scaled).traceCount).to.equal(2);
    const f = bst.transform.jit((x: tf.Tensor, k: number) => tf.mul(x, k));
    expectTensorClose(f(tf.ones([2]), 2), [2, 2]);
    expectTensorClose(f(tf.ones([2]), 7), [7, 7]);
    expect(f.traceCount).to.equal(1);
  });

  it('static values compare structurally, NaN equal to NaN; staticArgnames picks keys of an options object', () => {
    const f = bst.transform.jit((x: tf.Tensor, o: { k: number; shape: number[]; scale: number }) =>
      tf.mul(tf.mul(tf.reshape(x, o.shape), o.scale), Number.isNaN(o.k) ? 1 : 2), { staticArgnames: ['k', 'shape'] });
    const x = tf.ones([4]);
    expect(f(x, { k: NaN, shape: [2, 2], scale: 3 }).shape).to.deep.equal([2, 2]);
    f(x, { k: NaN, shape: [2, 2], scale: 5 });
    expect(f.traceCount).to.equal(1);
    f(x, { k: NaN, shape: [4, 1], scale: 5 });
    expect(f.traceCount).to.equal(2);
  });

  it('nested jitted functions inline into the outer program', () => {
    const inner = bst.transform.jit((x: tf.Tensor) => tf.exp(x));
    const outer = bst.transform.jit((x: tf.Tensor) => tf.add(inner(x), 1));
    expectTensorClose(outer(tf.scalar(0)), [2]);
    expect(inner.traceCount).to.equal(0);
    expect(outer.lower(tf.scalar(0)).toString()).to.contain('Exp(a)');
  });

  it('captured tensors are constants of the program', () => {
    const k = tf.tensor1d([1, 2]);
    const f = bst.transform.jit((x: tf.Tensor) => tf.add(x, k));
    expectTensorClose(f(tf.ones([2])), [2, 3]);
    k.dispose(); // the program holds its own reference
    expectTensorClose(f(tf.ones([2])), [2, 3]);
  });

  it('a state created inside a traced call cannot be used after it', () => {
    let leaked: bst.State | undefined;
    const f = bst.transform.jit((x: tf.Tensor) => {
      leaked = new bst.HiddenState(tf.add(x, 1));
      return tf.mul(leaked.value, 2);
    });
    expectTensorClose(f(tf.scalar(1)), [4]);
    expectThrowsWith(() => leaked!.value, bst.TraceError, 'created inside the traced call', 'cannot be used after it');
  });

  it('grad of a jitted function differentiates through it (runs eagerly under the tape)', () => {
    const f = bst.transform.jit((x: tf.Tensor) => tf.sum(tf.square(x)));
    f(tf.ones([3]));
    const g = tf.grad((x: tf.Tensor) => f(x))(tf.tensor1d([1, 2, 3]));
    expectTensorClose(g, [2, 4, 6]);
  });

  describe('memory', () => {
    it('10,000 replays leave numTensors and numBytes flat', function () {
      this.timeout(120000);
      const c = new Counter();
      const x = tf.scalar(2);
      c.bump(x).dispose(); // trace (its constants are owned by the cache)
      const before = tf.memory();
      for (let i = 0; i < 10000; i++) c.bump(x).dispose();
      const after = tf.memory();
      expect(after.numTensors).to.equal(before.numTensors);
      expect(after.numBytes).to.equal(before.numBytes);
      expect((after as { numDataBuffers: number }).numDataBuffers)
        .to.equal((before as { numDataBuffers: number }).numDataBuffers);
      expect(c.n.dataSync()[0]).to.equal(10001);
    });

    it('clearCache releases what the programs held; a traced call that throws leaks nothing', () => {
      const before = tf.memory().numTensors;
      const k = tf.tensor1d([1, 2]);
      const f = bst.transform.jit((x: tf.Tensor) => tf.add(tf.mul(x, k), 3));
      f(tf.ones([2])).dispose();
      f(tf.ones([3, 2])).dispose();
      f.clearCache();
      k.dispose();
      const bad = bst.transform.jit((x: tf.Tensor) => {
        tf.add(tf.mul(x, 2), 1);
        throw new Error('no');
      });
      expect(() => bad(tf.ones([2]))).to.throw('no');
      // ones([2]) / ones([3, 2]) arguments were not disposed above: count them
      expect(tf.memory().numTensors - before).to.be.at.most(3);
    });
  });
});
