/**
 * Gradients against central finite differences, and the same gradients through jit:
 * jit(grad(f)) and grad(jit(f)) equal grad(f).
 *
 * Tolerance (float32, no float64 anywhere): central differences with step eps = 1e-2;
 * each element must agree within 1e-2 absolute + 1e-2 relative. The truncation error of
 * a central difference is O(eps²) ~ 1e-4 for these smooth functions, and float32
 * rounding of f(x ± eps) contributes ~ 1e-7 · |f| / eps ~ 1e-4, so 1e-2 has a wide
 * margin while still catching any wrong gradient (sign, factor, missing term).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectTensorClose } from '../helpers';

const EPS = 1e-2;
const TOL = 1e-2;

/** d f / d x by central differences, element by element (eager, values read in JS). */
function finiteDifference(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor): tf.Tensor {
  const base = Array.from(x.dataSync());
  const out = base.map((_, i) => {
    const at = (d: number): number => tf.tidy(() => {
      const v = base.slice();
      v[i] += d;
      return f(tf.tensor(v, x.shape)).dataSync()[0];
    });
    return (at(EPS) - at(-EPS)) / (2 * EPS);
  });
  return tf.tensor(out, x.shape);
}

/** A fixed pseudo-random tensor (no tfjs random ops, so the same on every backend). */
function fixed(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * scale);
  return tf.tensor(v, shape);
}

// Inputs are made on first use (a getter), after spec/setup.ts started the backend: a
// tensor made at load time would live on tfjs's default backend and be moved (issue 12).
const cases: { name: string; f: (x: tf.Tensor) => tf.Scalar; readonly x: tf.Tensor }[] = [
  { name: 'sum(sin(x) * x^2)', f: (x) => tf.sum(tf.mul(tf.sin(x), tf.square(x))),
    get x() { return lazy(this, () => fixed([5], 1, 2)); } },
  { name: 'logSumExp(x) + sum(sqrt(x^2 + 1))',
    f: (x) => tf.add(tf.logSumExp(x), tf.sum(tf.sqrt(tf.add(tf.square(x), 1)))) as tf.Scalar,
    get x() { return lazy(this, () => fixed([2, 3], 2)); } },
  { name: 'mean(tanh(x @ W + b)^2) w.r.t. x',
    f: (x) => tf.mean(tf.square(tf.tanh(tf.add(tf.matMul(x, fixed([3, 2], 3)), fixed([2], 4))))),
    get x() { return lazy(this, () => fixed([4, 3], 5)); } },
  { name: 'softmax cross-entropy of a 2-layer MLP w.r.t. its input',
    f: (x) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3),
      tf.matMul(tf.sigmoid(tf.matMul(x, fixed([4, 5], 6))), fixed([5, 3], 7))) as tf.Scalar,
    get x() { return lazy(this, () => fixed([2, 4], 8)); } },
  { name: 'prod-like: sum(exp(x) / (1 + x^2)) * mean(x)',
    f: (x) => tf.mul(tf.sum(tf.div(tf.exp(x), tf.add(1, tf.square(x)))), tf.mean(x)) as tf.Scalar,
    get x() { return lazy(this, () => fixed([3], 9, 0.5)); } },
];

const made = new WeakMap<object, tf.Tensor>();
/** The input of a case, made once. */
function lazy(c: object, make: () => tf.Tensor): tf.Tensor {
  let t = made.get(c);
  if (t === undefined) made.set(c, (t = make()));
  return t;
}

describe('grad: finite differences (float32, eps 1e-2, tol 1e-2 abs + rel)', () => {
  for (const c of cases) {
    it(`argument gradient of ${c.name}`, () => {
      const g = bst.transform.grad(c.f)(c.x);
      expectTensorClose(g, finiteDifference(c.f, c.x), TOL);
    });
  }

  it('state gradients of an MLP loss w.r.t. every weight (gradStates as a NestedDict)', () => {
    const net = new bst.nn.Sequential(new bst.nn.Linear(3, 4), new bst.nn.Tanh(), new bst.nn.Linear(4, 2));
    const x = fixed([5, 3], 10);
    const y = fixed([5, 2], 11);
    const params = net.states(bst.ParamState);
    const loss = (): tf.Scalar => tf.mean(tf.square(tf.sub(net.call(x) as tf.Tensor, y)));
    const grads = bst.transform.grad(loss, { gradStates: params })();
    const flat = grads.toFlat();
    for (const [path, state] of params.toFlat().entries()) {
      const value = state.value as unknown as Record<string, tf.Tensor>;
      // A second holder, so that swapping values in and out never disposes the originals.
      const keeper = new bst.LongTermState(state.value);
      const g = flat.get(path) as unknown as Record<string, tf.Tensor>;
      for (const key of Object.keys(value)) {
        const original = value[key];
        const viaLeaf = (t: tf.Tensor): tf.Scalar => {
          const saved = state.value;
          state.value = { ...value, [key]: t } as unknown as tf.Tensor;
          try {
            return loss();
          } finally {
            state.value = saved;
          }
        };
        expectTensorClose(g[key], finiteDifference(viaLeaf, original), TOL);
      }
      expect(keeper.value).to.equal(state.value);
    }
  });
});

describe('grad and jit compose', () => {
  for (const c of cases) {
    it(`jit(grad(f)) equals grad(f) on new inputs at every replay, traced once: ${c.name}`, () => {
      // New inputs at each call: a replay that reused trace-time values (a tape-saved
      // tensor recorded as a constant) would give the first call's gradient again.
      const jitted = bst.transform.jit(bst.transform.grad(c.f, { returnValue: true }));
      for (let i = 0; i < 3; i++) {
        const x = tf.add(c.x, 0.3 * i);
        const eager = bst.transform.grad(c.f, { returnValue: true })(x);
        const [g, v] = jitted(x);
        expectTensorClose(g, eager[0], 1e-6);
        expectTensorClose(v, eager[1], 1e-6);
      }
      expect(jitted.traceCount).to.equal(1);
    });

    it(`grad(jit(f)) equals grad(f): ${c.name}`, () => {
      const jf = bst.transform.jit(c.f);
      jf(c.x).dispose(); // traced and cached; under the tape it runs eagerly
      expectTensorClose(bst.transform.grad(jf)(c.x), bst.transform.grad(c.f)(c.x), 1e-6);
    });
  }

  it('jit(valueAndGrad) with gradStates and argnums, replayed with new data and new state values', () => {
    const w = new bst.ParamState(fixed([3, 2], 12));
    const f = (x: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.matMul(x, w.value)));
    const vg = bst.transform.valueAndGrad(f, { gradStates: w, argnums: 0 });
    const jvg = bst.transform.jit(vg);
    for (let i = 0; i < 4; i++) {
      const x = fixed([2, 3], 20 + i);
      const [v, [gw, gx]] = vg(x);
      const [jv, [jgw, jgx]] = jvg(x);
      expectTensorClose(jv, v, 1e-6);
      expectTensorClose(jgw, gw, 1e-6);
      expectTensorClose(jgx, gx, 1e-6);
      w.value = tf.add(w.value, 0.5);
    }
    expect(jvg.traceCount).to.equal(1);
  });

  it('gradients through transform.scan: eager, and under jit (the loop runs unrolled under the tape)', () => {
    // carry_t = 0.5 * carry_{t-1} + sin(x_t): d carry_T / d x_i = 0.5^(T-1-i) cos(x_i).
    const f = (x: tf.Tensor): tf.Scalar => {
      const [carry] = bst.transform.scan((c: tf.Tensor, xi: tf.Tensor): [tf.Tensor, tf.Tensor] =>
        [tf.add(tf.mul(c, 0.5), tf.sin(xi)), c], tf.scalar(0) as tf.Tensor, x);
      return tf.sum(carry);
    };
    const x = tf.tensor1d([0.1, 0.2, 0.3]);
    const expected = [0.25 * Math.cos(0.1), 0.5 * Math.cos(0.2), Math.cos(0.3)];
    expectTensorClose(bst.transform.grad(f)(x), expected, 1e-6);
    const jg = bst.transform.jit(bst.transform.grad(f));
    expectTensorClose(jg(x), expected, 1e-6);
    expectTensorClose(jg(tf.tensor1d([0.3, 0.2, 0.1])), [0.25 * Math.cos(0.3), 0.5 * Math.cos(0.2), Math.cos(0.1)], 1e-6);
    expect(jg.traceCount).to.equal(1);
  });

  it('a jitted gradient step leaks nothing over 200 replays', () => {
    const w = new bst.ParamState(fixed([4, 3], 30));
    const x = fixed([8, 4], 31);
    const step = bst.transform.jit(() => {
      const [g, loss] = bst.transform.grad(() => tf.mean(tf.square(tf.matMul(x, w.value))),
        { gradStates: w, returnValue: true })();
      w.value = tf.sub(w.value, tf.mul(0.1, g));
      return loss;
    });
    step().dispose();
    const before = tf.memory();
    for (let i = 0; i < 200; i++) step().dispose();
    expect(tf.memory().numTensors).to.equal(before.numTensors);
    expect(tf.memory().numBytes).to.equal(before.numBytes);
    expect(step.traceCount).to.equal(1);
  });
});
