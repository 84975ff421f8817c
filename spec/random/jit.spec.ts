/**
 * `random` and the random-driven layers under `transform.jit`: the key is a state input
 * and output of the compiled program, so every call draws fresh numbers, the same seed
 * gives the same numbers eagerly and jitted, and nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { jit } from '../../src/transform';
import { expectNoLeaks } from '../helpers';

const { random, nn, environ } = bst;

function take(t: unknown): number[] {
  const v = Array.from((t as tf.Tensor).dataSync());
  (t as tf.Tensor).dispose();
  return v;
}

describe('random under jit', () => {
  afterEach(() => environ.reset());

  it('draws fresh numbers at every call, equal to the eager sequence for the same seed; one trace', () => {
    const draw = (): tf.Tensor[] => [random.normal([5]), random.uniform([3], { minval: -1 }),
      random.bernoulli(0.5, [4]), random.randint(0, 100, [4])];
    const f = jit(draw);
    random.seed(11);
    const eager = [0, 1, 2].map(() => draw().map(take));
    random.seed(11);
    const jitted = [0, 1, 2].map(() => (f() as tf.Tensor[]).map(take));
    expect(jitted).to.deep.equal(eager);
    expect(jitted[0]).to.not.deep.equal(jitted[1]);
    expect(f.traceCount).to.equal(1);
  });

  it('an explicit key argument gives the same numbers at every call', () => {
    const f = jit((key: tf.Tensor) => random.normal([4], { key }));
    const key = random.prngKey(5);
    const a = take(f(key));
    expect(take(f(key))).to.deep.equal(a);
    expect(take(random.normal([4], { key }))).to.deep.equal(a);
    key.dispose();
  });

  it('Dropout draws a new mask at every jitted call', () => {
    const drop = new nn.Dropout(0.5);
    const f = jit((x: tf.Tensor) => drop.call(x));
    environ.set({ fit: true });
    const x = tf.ones([64]);
    const m1 = take(f(x));
    const m2 = take(f(x));
    expect(m1).to.not.deep.equal(m2);
    expect(new Set([...m1, ...m2])).to.deep.equal(new Set([0, 2]));
    x.dispose();
  });

  it('a jitted LIF step equals the eager one, step after step', () => {
    environ.set({ dt: 0.1 });
    const a = new nn.LIF(3, { tau: 10 });
    const b = new nn.LIF(3, { tau: 10 });
    a.initState();
    b.initState();
    const step = jit((x: tf.Tensor) => a.update(x));
    const x = tf.tensor1d([0.5, 1.5, 3]);
    for (let t = 0; t < 200; t++) expect(take(step(x))).to.deep.equal(take(b.update(x)));
    expect(Array.from(a.V.value.dataSync())).to.deep.equal(Array.from(b.V.value.dataSync()));
    expect(step.traceCount).to.equal(1);
    x.dispose();
  });

  it('1,000 jitted draws leave numTensors flat', () => {
    const f = jit(() => random.normal([16]));
    take(f());
    expectNoLeaks(() => { for (let i = 0; i < 1000; i++) take(f()); });
  });
});
