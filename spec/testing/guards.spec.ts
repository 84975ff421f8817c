import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { jit } from '../../decorators';
import { AssertionError, assertMaxTraces, expectTensorClose, getNumTraces, noLeaks } from 'brainstate-ts/testing';

/** Runs `fn`, expects an error of class `cls`, and returns its message. */
function failure(fn: () => void, cls: new (...a: never[]) => Error = AssertionError): string {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(cls);
    return (e as Error).message;
  }
  throw new Error(`expected a ${cls.name}, but nothing was thrown`);
}

class Counter extends bst.nn.Module {
  count = new bst.HiddenState(tf.scalar(0));
  @jit() step(x: tf.Tensor): tf.Tensor {
    this.count.value = tf.add(this.count.value, tf.sum(x));
    return tf.mul(this.count.value, 1);
  }
}

describe('testing.noLeaks', () => {
  it('passes for a jitted step (its first trace is the warm-up) and returns the last result', () => {
    const double = bst.transform.jit((x: tf.Tensor) => tf.mul(x, 2));
    const x = tf.tensor([1, 2]);
    const calls: number[] = [];
    const y = noLeaks((i) => {
      calls.push(i);
      const xi = tf.add(x, i);
      const out = double(xi);
      xi.dispose();
      return out;
    }, { times: 4 });
    expect(calls).to.deep.equal([0, 1, 2, 3, 4]);
    expectTensorClose(y, [10, 12]);
    expect(y.isDisposed).to.equal(false);
  });

  it('fails for a function that leaks a tensor per call, naming it and showing the growth', () => {
    const x = tf.tensor([1, 2]);
    const msg = failure(() => noLeaks(function leaky() { tf.add(x, 1); return tf.mul(x, 2); }));
    expect(msg).to.contain('noLeaks(leaky): expected tf.memory() to stay flat over 3 calls (after 1 warm-up)')
      .and.contain('(+2)').and.contain('(+16)').and.contain('tf.tidy');
    expect(failure(() => noLeaks(() => { tf.zeros([4]); }, { name: 'stepper', times: 2 })))
      .to.contain('noLeaks(stepper)').and.contain('(+1)');
  });

  it('does not dispose results that a state holds', () => {
    const c = new Counter();
    const r = noLeaks(() => c.count.value);
    expect(r.isDisposed).to.equal(false);
    expect(c.count.value.isDisposed).to.equal(false);
  });

  it('passes for a @jit method that writes a state at every call', () => {
    const c = new Counter();
    const ones = tf.ones([3]);
    noLeaks(() => c.step(ones), { warmup: 1 });
    expectTensorClose(c.count.value, 12);
  });

  it('rejects fewer than two measured calls and async functions', () => {
    expect(failure(() => noLeaks(() => 1, { times: 1 }), bst.BrainStateError)).to.contain('times >= 2');
    expect(failure(() => noLeaks(async () => 1), bst.BrainStateError)).to.contain('returned a Promise');
  });
});

describe('testing.getNumTraces / assertMaxTraces', () => {
  it('count traces of a transform.jit function: same shapes replay, a new shape retraces once', () => {
    const f = bst.transform.jit(function addOne(x: tf.Tensor) { return tf.add(x, 1); });
    expect(getNumTraces(f)).to.equal(0);
    for (let i = 0; i < 5; i++) f(tf.ones([2])).dispose();
    expect(getNumTraces(f)).to.equal(1);
    assertMaxTraces(f, 1);
    f(tf.ones([3])).dispose();
    expect(getNumTraces(f)).to.equal(2);
    const msg = failure(() => assertMaxTraces(f, 1));
    expect(msg).to.contain('assertMaxTraces: expected jit(addOne) to be traced at most 1 time, but it was traced 2 times')
      .and.contain('2 programs cached now').and.contain('jit(addOne).lower(...)');
  });

  it('work on a @jit method, and a state write does not retrace', () => {
    const c = new Counter();
    for (let i = 0; i < 4; i++) c.step(tf.ones([3])).dispose();
    expect(getNumTraces(c.step)).to.equal(1);
    assertMaxTraces(c.step, 1);
    expect(failure(() => assertMaxTraces(c.step, 0))).to.contain('expected jit(Counter.step) to be traced at most 0 times');
  });

  it('reject a function that is not jitted, naming it', () => {
    function plain(x: tf.Tensor): tf.Tensor { return x; }
    expect(failure(() => getNumTraces(plain), bst.BrainStateError))
      .to.contain('getNumTraces: expected a jitted function').and.contain('the plain function plain');
    expect(failure(() => assertMaxTraces(plain, 1), bst.BrainStateError)).to.contain('assertMaxTraces: expected a jitted');
  });
});
