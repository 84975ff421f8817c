/**
 * vectorGrad, jacrev, jacfwd, hessian (BrainState's `_grad_jacobian_test.py`,
 * `_grad_hessian_test.py` and `_grad_grad_test.py` cases, ported: Python test names in
 * the titles): against JAX's numbers (scripts/reference/jacobian_reference.py wrote
 * spec/fixtures/jacobian-reference.json) and central finite differences; over states and
 * arguments with grad's options; eager == jit; the decorator form; no leaks.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const T = bst.transform;
/** JAX's numbers to float32 precision; WGSL allows sin / cos / exp an absolute error of 2^-11 (SwiftShader's is ~1e-4). */
const tol = () => (tf.getBackend() === 'webgpu' ? 1e-3 : 1e-6);
const REF = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/jacobian-reference.json'), 'utf8'));

const f1 = (x: tf.Tensor) => tf.stack([tf.mul(x.gather(0), x.gather(1)), tf.sin(x.gather(0)),
  tf.mul(tf.exp(x.gather(1)), tf.square(x.gather(0)))]);
const f2 = (W: tf.Tensor, b: tf.Tensor, x: tf.Tensor) => tf.tanh(tf.add(tf.squeeze(tf.matMul(W, tf.reshape(x, [-1, 1])), [1]), b));
const h1 = (x: tf.Tensor) => tf.addN([tf.sum(tf.pow(x, 3)), tf.mul(tf.mul(x.gather(0), x.gather(1)), x.gather(2)), tf.sum(tf.log1p(tf.square(x)))]) as tf.Scalar;
const h2 = (a: tf.Tensor, b: tf.Tensor) => tf.add(tf.sum(tf.mul(tf.square(a), b)), tf.sum(tf.sin(a))) as tf.Scalar;

/** Central differences of `f` (tensor -> tensor) at `x`: shape [...out, ...in]. */
function finiteJacobian(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, eps = 1e-2): tf.Tensor {
  return tf.tidy(() => {
    const flat = x.dataSync();
    const cols = Array.from(flat, (_, j) => {
      const bump = (s: number) => { const v = Float32Array.from(flat); v[j] += s * eps; return f(tf.tensor(v, x.shape)); };
      return tf.div(tf.sub(bump(1), bump(-1)), 2 * eps);
    });
    const out = f(x);
    return tf.reshape(tf.stack(cols, -1), [...out.shape, ...x.shape]);
  });
}

describe('jacobians and hessians', () => {
  it('jacrev / jacfwd of a vector function equal JAX\'s numbers and finite differences, eager and jitted', () => {
    const x = tf.tensor1d(REF.f1.x);
    for (const jac of [T.jacrev(f1), T.jacfwd(f1), T.jit(T.jacrev(f1)), T.jit(T.jacfwd(f1))]) {
      const J = jac(x) as tf.Tensor;
      expectTensorClose(J, tf.tensor2d(REF.f1.jacrev), tol());
      expectTensorClose(J, finiteJacobian(f1, x), 2e-3);
    }
    expectTensorClose(T.jacfwd(f1)(x) as tf.Tensor, tf.tensor2d(REF.f1.jacfwd), tol());
  });

  it('jacrev over several arguments (argnums) as JAX\'s jacrev(f2, argnums=(0, 1))', () => {
    const [W, b, x] = [tf.tensor2d(REF.f2.W), tf.tensor1d(REF.f2.b), tf.tensor1d(REF.f2.x)];
    const jac = T.jacrev(f2, { argnums: [0, 1], returnValue: true });
    for (const fn of [jac, T.jit(jac)]) {
      const [[jW, jb], y] = fn(W, b, x) as [tf.Tensor[], tf.Tensor];
      expect(jW.shape).to.deep.equal([3, 3, 2]);
      expectTensorClose(jW, tf.tensor(REF.f2.jacW), tol());
      expectTensorClose(jb, tf.tensor(REF.f2.jacB), tol());
      expectTensorClose(y, tf.tensor(REF.f2.value), tol());
    }
    expectTensorClose(T.jacrev(f2, { argnums: 1 })(W, b, x) as tf.Tensor, finiteJacobian((v) => f2(W, v, x), b), 2e-3);
  });

  it('vectorGrad is the gradient of the sum (BrainState vector_grad); returnValue gives the output itself', () => {
    const x = tf.tensor1d(REF.f1.x);
    expectTensorClose(T.vectorGrad(f1)(x) as tf.Tensor, tf.tensor(REF.f1.vectorGrad), tol());
    const [g, y] = T.vectorGrad(f1, { returnValue: true })(x) as tf.Tensor[];
    expectTensorClose(g, tf.tensor(REF.f1.vectorGrad), tol());
    expectTensorClose(y, tf.tensor(REF.f1.value), tol());
    // A tree output: the sum over all its leaves.
    const tree = (v: tf.Tensor) => ({ a: tf.square(v), b: [tf.mul(v, 3)] });
    expectTensorClose(T.jit(T.vectorGrad(tree))(tf.tensor1d([1, 2])) as tf.Tensor, [5, 7]);
  });

  it('hessian equals JAX\'s hessian (one argument, and argnums=(0, 1) nested as H[i][j])', () => {
    const x = tf.tensor1d(REF.h1.x);
    for (const h of [T.hessian(h1), T.jit(T.hessian(h1))]) expectTensorClose(h(x) as tf.Tensor, tf.tensor(REF.h1.hessian), 1e-5);
    const [H, v] = T.hessian(h1, { returnValue: true })(x) as tf.Tensor[];
    expectTensorClose(H, tf.tensor(REF.h1.hessian), 1e-5);
    expectTensorClose(v, [REF.h1.value], tol());
    const a = tf.tensor1d(REF.h2.a);
    const b = tf.tensor1d(REF.h2.b);
    for (const h of [T.hessian(h2, { argnums: [0, 1] }), T.jit(T.hessian(h2, { argnums: [0, 1] }))]) {
      const HH = h(a, b) as unknown as tf.Tensor[][];
      for (const i of [0, 1]) for (const j of [0, 1]) expectTensorClose(HH[i][j], tf.tensor(REF.h2.hessian[i][j]), 1e-5, `H[${i}][${j}]`);
    }
    // Finite differences of the gradient.
    expectTensorClose(T.hessian(h1)(x) as tf.Tensor, finiteJacobian((v2) => T.grad(h1)(v2) as tf.Tensor, x), 5e-3);
  });

  it('TestJacobian (states): jacrev over gradStates and arguments, hasAux, every option combination', () => {
    const w = new bst.ParamState(tf.tensor1d([1, 2, 3]));
    const f = (x: tf.Tensor) => { const y = tf.mul(w.value, x); return [tf.sin(y), { y }] as [tf.Tensor, { y: tf.Tensor }]; };
    const x = tf.tensor1d([0.5, -1, 2]);
    // d sin(w x)_i / d w_j = cos(w_i x_i) x_i δ_ij ; / d x_j = cos(w_i x_i) w_i δ_ij.
    const c = tf.cos(tf.mul(w.value, x));
    const dW = tf.diag(tf.mul(c, x));
    const dX = tf.diag(tf.mul(c, w.value));
    const jw = T.jacrev(f, { gradStates: w, hasAux: true });
    const [J1, aux] = jw(x) as [tf.Tensor, { y: tf.Tensor }];
    expectTensorClose(J1, dW, tol());
    expectTensorClose(aux.y, tf.mul(w.value, x));
    const [[sJ, aJ], value, aux2] = T.jit(T.jacrev(f, { gradStates: { w }, argnums: 0, hasAux: true, returnValue: true }))(x) as
      [[{ w: tf.Tensor }, tf.Tensor], tf.Tensor, { y: tf.Tensor }];
    expectTensorClose(sJ.w, dW, tol());
    expectTensorClose(aJ, dX, tol());
    expectTensorClose(value, tf.sin(tf.mul(w.value, x)), tol());
    expectTensorClose(aux2.y, tf.mul(w.value, x));
    expectTensorClose(T.jacfwd(f, { gradStates: [w], hasAux: true })(x)[0][0] as tf.Tensor, dW, tol());
  });

  it('a function that writes states and draws random numbers: every row sees the same values, writes happen once', () => {
    const count = new bst.HiddenState(tf.scalar(0));
    const f = (x: tf.Tensor) => {
      count.value = tf.add(count.value, 1);
      return tf.mul(x, tf.add(bst.random.uniform([3]), count.value));
    };
    for (const mode of ['eager', 'jit'] as const) {
      count.value = tf.scalar(0);
      bst.random.seed(7);
      const J = (mode === 'jit' ? T.jit(T.jacrev(f)) : T.jacrev(f))(tf.tensor1d([1, 2, 3])) as tf.Tensor;
      expect(count.value.dataSync()[0], mode).to.equal(1);
      bst.random.seed(7);
      const u = bst.random.uniform([3]);
      expectTensorClose(J, tf.diag(tf.add(u, 1)), tol(), mode);
    }
  });

  it('the decorator form: grad(opts)(fn), valueAndGrad, vectorGrad, jacrev, jacfwd, hessian', () => {
    const w = new bst.ParamState(tf.tensor1d([1, 2]));
    const loss = (x: tf.Tensor) => tf.sum(tf.mul(tf.square(w.value), x));
    const x = tf.tensor1d([3, 4]);
    expectTensorClose(T.grad({ gradStates: w })(loss)(x), [6, 16]);
    const [gs, gx] = T.grad({ gradStates: [w], argnums: 0 })(loss)(x);
    expectTensorClose(gs[0], [6, 16]);
    expectTensorClose(gx, [1, 4]);
    const [v, g] = T.valueAndGrad({ argnums: 0 })(loss)(x);
    expectTensorClose(v, [19]);
    expectTensorClose(g, [1, 4]);
    expectTensorClose(T.vectorGrad({})((y: tf.Tensor) => tf.square(y))(x) as tf.Tensor, [6, 8]);
    expectTensorClose(T.jacrev({ argnums: 0 })((y: tf.Tensor) => tf.square(y))(x) as tf.Tensor, [[6, 0], [0, 8]]);
    expectTensorClose(T.jacfwd({})((y: tf.Tensor) => tf.square(y))(x) as tf.Tensor, [[6, 0], [0, 8]]);
    expectTensorClose(T.hessian({ gradStates: w })(loss)(x) as tf.Tensor, [[6, 0], [0, 8]]);
  });

  it('clear errors: non-float outputs, hasAux without a pair, negative argnums', () => {
    expectThrowsWith(() => T.jacrev((x: tf.Tensor) => tf.cast(x, 'int32'))(tf.tensor1d([1])), bst.GradientError,
      'output leaf 0', 'int32');
    expectThrowsWith(() => T.jacrev((x: tf.Tensor) => x, { hasAux: true })(tf.tensor1d([1])), bst.GradientError, '[output, aux]');
    expectThrowsWith(() => T.hessian((x: tf.Tensor) => tf.sum(x), { argnums: -1 }), bst.GradientError, 'negative');
    expectThrowsWith(() => T.vectorGrad(3 as never), bst.GradientError, 'expected a function');
  });

  it('eager and jitted jacobians and hessians leave numTensors flat', () => {
    const x = tf.tensor1d(REF.h1.x);
    const jh = T.jit(T.hessian(h1));
    const jj = T.jit(T.jacrev(f1));
    tf.dispose([jh(x), jj(tf.tensor1d(REF.f1.x))]);
    const x1 = tf.tensor1d(REF.f1.x);
    expectNoLeaks(() => {
      tf.dispose(T.hessian(h1)(x));
      tf.dispose(T.jacrev(f1, { returnValue: true })(x1) as tf.Tensor[]);
      tf.dispose(T.vectorGrad(f1, { returnValue: true })(x1) as tf.Tensor[]);
      tf.dispose(jh(x));
      tf.dispose(jj(x1));
    }, 20);
  });
});

describe('jacobians and hessians (BrainState ports)', () => {
  const x3 = () => tf.tensor1d([1, 2, 3]);
  const y2 = () => tf.tensor1d([10, 5]);
  // r = [x0 y0, 5 x2 y1, 4 x1² - 2 x2, x2 sin x0]
  const f1 = (x: tf.Tensor, y: tf.Tensor) => tf.stack([tf.mul(x.gather(0), y.gather(0)), tf.mul(5, tf.mul(x.gather(2), y.gather(1))),
    tf.sub(tf.mul(4, tf.square(x.gather(1))), tf.mul(2, x.gather(2))), tf.mul(x.gather(2), tf.sin(x.gather(0)))]);
  const jx = (x: number[], y: number[]) => [[y[0], 0, 0], [0, 0, 5 * y[1]], [0, 8 * x[1], -2], [x[2] * Math.cos(x[0]), 0, Math.sin(x[0])]];
  const jy = (x: number[]) => [[x[0], 0], [0, 5 * x[2]], [0, 0], [0, 0]];

  it('TestPureFuncJacobian.test1: jacfwd with hasAux', () => {
    const [jac, aux] = T.jacfwd((x: tf.Tensor) => [tf.pow(x, 3), [tf.square(x)]] as [tf.Tensor, tf.Tensor[]], { hasAux: true })(tf.scalar(3));
    expectTensorClose(jac as tf.Tensor, [27]);
    expectTensorClose(aux[0], [9]);
  });

  it('TestPureFuncJacobian.test_jacfwd_and_aux_nested: a jacobian of a function that takes a jacobian', () => {
    const f = (x: tf.Tensor) => {
      const [, aux] = T.jacfwd((v: tf.Tensor) => [tf.pow(v, 3), [tf.pow(v, 3)]] as [tf.Tensor, tf.Tensor[]], { hasAux: true })(x);
      return tf.mul(aux[0], tf.sin(x));
    };
    const want = T.jacfwd((x: tf.Tensor) => tf.mul(tf.pow(x, 3), tf.sin(x)))(tf.scalar(4)) as tf.Tensor;
    expectTensorClose(T.jacfwd(f)(tf.scalar(4)) as tf.Tensor, want, 1e-5);
    expectTensorClose(T.jit(T.jacfwd(f))(tf.scalar(4)) as tf.Tensor, want, 1e-5);
    expectTensorClose(want, [3 * 16 * Math.sin(4) + 64 * Math.cos(4)], 1e-4);
  });

  it('TestPureFuncJacobian.test_jacrev1: jacrev and jacrev(argnums=(0, 1)) equal the analytic Jacobian', () => {
    expectTensorClose(T.jacrev(f1)(x3(), y2()) as tf.Tensor, jx([1, 2, 3], [10, 5]), tol());
    const [a, b] = T.jacrev(f1, { argnums: [0, 1] })(x3(), y2()) as tf.Tensor[];
    expectTensorClose(a, jx([1, 2, 3], [10, 5]), tol());
    expectTensorClose(b, jy([1, 2, 3]), tol());
  });

  it('TestPureFuncJacobian.test_jacrev2 / test_jacrev3: tuple outputs nest as JAX (output first, then argnums)', () => {
    const f2 = (x: tf.Tensor, y: tf.Tensor) => { const r = f1(x, y); return [tf.slice(r, 0, 2), tf.slice(r, 2, 2)]; };
    const [r1, r2] = T.jacrev(f2)(x3(), y2()) as tf.Tensor[];
    const J = jx([1, 2, 3], [10, 5]);
    expectTensorClose(r1, J.slice(0, 2), tol());
    expectTensorClose(r2, J.slice(2), tol());
    const [[a1, b1], [a2, b2]] = T.jit(T.jacrev(f2, { argnums: [0, 1] }))(x3(), y2()) as tf.Tensor[][];
    expectTensorClose(a1, J.slice(0, 2), tol());
    expectTensorClose(a2, J.slice(2), tol());
    expectTensorClose(b1, jy([1, 2, 3]).slice(0, 2), tol());
    expectTensorClose(b2, jy([1, 2, 3]).slice(2), tol());
  });

  it('TestHessian: quadratic is 2I, returnValue, hasAux, over a ParamState', () => {
    const sq = (x: tf.Tensor) => tf.sum(tf.square(x));
    const H = T.hessian(sq)(tf.ones([3])) as tf.Tensor;
    expect(H.shape).to.deep.equal([3, 3]);
    expectTensorClose(H, tf.mul(tf.eye(3), 2));
    const [H2, v] = T.hessian(sq, { returnValue: true })(tf.ones([2])) as tf.Tensor[];
    expectTensorClose(H2, tf.mul(tf.eye(2), 2));
    expectTensorClose(v, [2]);
    const [H3, aux] = T.hessian((x: tf.Tensor) => [sq(x), { n: x.shape[0] }] as [tf.Scalar, { n: number }], { hasAux: true })(tf.ones([2]));
    expectTensorClose(H3 as tf.Tensor, tf.mul(tf.eye(2), 2));
    expect(Number((aux.n as unknown as tf.Tensor).dataSync()[0])).to.equal(2); // aux leaves come back as tensors, as grad's do
    const p = new bst.ParamState(tf.ones([2]));
    expectTensorClose(T.hessian(() => tf.sum(tf.square(p.value)), { gradStates: p })() as tf.Tensor, tf.mul(tf.eye(2), 2));
  });

  it('TestHessianStateStructure: one state, a list and a dict of states mirror the structure', () => {
    const w = new bst.State(tf.scalar(1));
    const cube = () => tf.pow(w.value, 3) as tf.Scalar;
    expectTensorClose(T.hessian(cube, { gradStates: w })() as tf.Tensor, [6]);
    const [h, v] = T.hessian(cube, { gradStates: w, returnValue: true })() as tf.Tensor[];
    expectTensorClose(h, [6]);
    expectTensorClose(v, [1]);
    const w1 = new bst.State(tf.scalar(1));
    const w2 = new bst.State(tf.scalar(2));
    const L = () => tf.mul(tf.square(w1.value), w2.value) as tf.Scalar;
    const hl = T.jit(T.hessian(L, { gradStates: [w1, w2] }))() as unknown as tf.Tensor[][];
    expect([[hl[0][0], hl[0][1]], [hl[1][0], hl[1][1]]].map((r) => r.map((t) => t.dataSync()[0]))).to.deep.equal([[4, 2], [2, 0]]);
    const ws = { a: w1, b: w2 };
    const hd = T.hessian(L, { gradStates: ws })() as unknown as Record<string, Record<string, tf.Tensor>>;
    expect(Object.keys(hd).sort()).to.deep.equal(['a', 'b']);
    expect(Object.keys(hd.a).sort()).to.deep.equal(['a', 'b']);
    expect([hd.a.a, hd.a.b, hd.b.a, hd.b.b].map((t) => t.dataSync()[0])).to.deep.equal([4, 2, 2, 0]);
  });

  it('TestGradDecoratorForm: grad(gradStates) and vectorGrad(gradStates) as decorators; vector_grad elementwise', () => {
    const p = new bst.ParamState(tf.tensor1d([3, 4]));
    expectTensorClose(T.grad({ gradStates: p })(() => tf.sum(tf.square(p.value)))() as tf.Tensor, [6, 8]);
    const q = new bst.ParamState(tf.tensor1d([2, 3]));
    expectTensorClose(T.vectorGrad({ gradStates: q })(() => tf.square(q.value))() as tf.Tensor, [4, 6]);
    expectTensorClose(T.vectorGrad((x: tf.Tensor) => tf.square(x))(tf.tensor1d([1, 2, 3])) as tf.Tensor, [2, 4, 6]);
  });
});
