// One suite, two compilations: see ./world.ts.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from 'brainstate-ts';
import { hidden, jit, jitted, param } from 'brainstate-ts/decorators';
import { expectThrowsWith } from '../helpers';
import { compilation } from './world';

class Accumulator extends bst.nn.Module {
  @hidden total = tf.scalar(0);
  @param gain = tf.scalar(2);
  @jit() step(x: tf.Tensor): tf.Tensor {
    this.total = tf.add(this.total, tf.mul(this.gain, tf.sum(x)));
    return this.total;
  }
  @jit(1) scaled(x: tf.Tensor, k: number): tf.Tensor {
    return tf.mul(tf.add(x, this.total), k);
  }
}

describe(`@jit (${compilation})`, () => {
  it('jits per instance: traced once, replayed after, states written back; eager gives the same numbers', () => {
    const a = new Accumulator();
    const b = new Accumulator();
    for (let i = 0; i < 3; i++) a.step(tf.ones([4]));
    expect(a.total.dataSync()[0]).to.equal(24);
    expect(jitted(a.step).traceCount).to.equal(1);
    expect(jitted(b.step).traceCount).to.equal(0);
    expect(b.total.dataSync()[0]).to.equal(0);
    expect(a.step).to.not.equal(b.step);
    expect(a.step).to.equal(a.step);
    const eager = jitted(b.step).originFun.call(b, tf.ones([4])) as tf.Tensor;
    expect(eager.dataSync()[0]).to.equal(8);
  });

  it('labels states by their path in the module and names the program Class.method', () => {
    const a = new Accumulator();
    const text = jitted(a.step).lower(tf.ones([2])).toString();
    expect(text).to.contain('Accumulator.step');
    expect(text).to.contain('total');
    expect(text).to.contain('gain');
  });

  it('static argnums: `@jit(1)` retraces per static value only', () => {
    const a = new Accumulator();
    expect(a.scaled(tf.ones([2]), 3).dataSync()[0]).to.equal(3);
    a.scaled(tf.ones([2]), 3);
    expect(jitted(a.scaled).traceCount).to.equal(1);
    expect(a.scaled(tf.ones([2]), 5).dataSync()[0]).to.equal(5);
    expect(jitted(a.scaled).traceCount).to.equal(2);
    jitted(a.scaled).clearCache();
    expect(jitted(a.scaled).cacheSize).to.equal(0);
  });

  it('a subclass inherits jitted methods and may override them with another @jit', () => {
    class Doubler extends Accumulator {
      @jit() step(x: tf.Tensor): tf.Tensor {
        this.total = tf.add(this.total, tf.mul(2, tf.sum(x)));
        return this.total;
      }
    }
    const d = new Doubler();
    d.step(tf.ones([3]));
    expect(d.total.dataSync()[0]).to.equal(6);
    expect(jitted(d.step).traceCount).to.equal(1);
    expect(d.scaled(tf.ones([1]), 2).dataSync()[0]).to.equal(14);
  });

  it('a merged module gets its own jitted methods on its own states', () => {
    const a = new Accumulator();
    a.step(tf.ones([1]));
    const [def, st] = bst.graph.treefySplit(a, '...');
    const copy = bst.graph.treefyMerge(def, st) as Accumulator;
    copy.step(tf.ones([1]));
    expect(copy.total.dataSync()[0]).to.equal(4);
    expect(a.total.dataSync()[0]).to.equal(2);
    expect(jitted(copy.step).traceCount).to.equal(1);
  });

  it('jitted() refuses a plain function, naming it', () => {
    expectThrowsWith(() => jitted(function plain() { return 1; }), bst.DecoratorError, 'plain function plain');
  });
});
