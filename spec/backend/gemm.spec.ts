/**
 * The generated WebAssembly SIMD GEMM that brainstate-ts registers as `BatchMatMul` on
 * the cpu and wasm backends (src/backend/gemm), against tfjs's own kernel on the same
 * backend (the generated GEMM switched off with `backend.setMatMulOptions`):
 *
 * - exactly, on small integers: every product and partial sum is an integer below 2^24,
 *   so float32 holds it exactly in any order of summation, and a wrong index, stride,
 *   transpose or broadcast shows as a different integer;
 * - on normal random data, each element within 1e-5 of `sum_k |a_ik b_kj|` (the scale of
 *   float32 rounding in a sum of K products; an element-wise relative bound would fail on
 *   sums that cancel). tfjs-cpu sums in float64 within blocks of 64, tfjs-wasm (XNNPACK)
 *   and this kernel in float32, so the last bits differ (docs/sharp-bits.md).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { gemmRunsMatMul, matMulOptions, setMatMulOptions } from '../../src/backend/gemm';
import { expectNoLeaks } from '../helpers';

interface Case { a: number[]; b: number[]; ta: boolean; tb: boolean }

/** Shapes with size-1 and odd dimensions, every transpose, and broadcast batches. */
const CASES: Case[] = [];
for (const [m, k, n] of [[1, 1, 1], [1, 7, 1], [1, 33, 9], [5, 1, 3], [3, 5, 1], [4, 8, 8], [7, 13, 11],
  [9, 300, 17], [130, 70, 257], [2, 600, 40]]) {
  for (const ta of [false, true]) {
    for (const tb of [false, true]) CASES.push({ a: ta ? [k, m] : [m, k], b: tb ? [n, k] : [k, n], ta, tb });
  }
}
CASES.push(
  { a: [3, 5, 6], b: [3, 6, 4], ta: false, tb: false },
  { a: [2, 1, 5, 6], b: [3, 4, 6], ta: false, tb: true },
  { a: [1, 6, 5], b: [4, 6, 7], ta: true, tb: false },
  { a: [2, 3, 9, 7], b: [7, 10], ta: false, tb: false },
  { a: [9, 7], b: [2, 1, 7, 10], ta: false, tb: false },
  { a: [4, 1, 6, 3], b: [1, 5, 5, 6], ta: true, tb: true },
  { a: [0, 4, 5], b: [5, 3], ta: false, tb: false },
  { a: [3, 0], b: [0, 4], ta: false, tb: false },
  // Outer products (K = 1: src/backend/gemm/outer.ts), rows of 1-70 floats (vector blocks, single vectors, tails), batched and broadcast.
  { a: [37, 1], b: [1, 70], ta: false, tb: false },
  { a: [1, 20], b: [19, 1], ta: true, tb: true },
  { a: [4, 1, 9], b: [4, 1, 66], ta: true, tb: false },
  { a: [3, 1, 5, 1], b: [2, 1, 23], ta: false, tb: false },
  { a: [6, 1], b: [5, 17, 1], ta: false, tb: true },
);

const name = (c: Case): string => `[${c.a}]${c.ta ? 'ᵀ' : ''} · [${c.b}]${c.tb ? 'ᵀ' : ''}`;

/** Small integers in [-4, 4] (seeded): products and sums stay exact in float32 up to K = 2^19. */
function ints(shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => tf.floor(tf.randomUniform(shape, -4, 5, 'float32', seed)));
}

/**
 * tfjs's own kernel on `a` and `b` broadcast explicitly to the output's batch shape:
 * tfjs 4.22's kernels broadcast batches only where one side's batch is 1 or both are
 * equal (for [2, 1] against [3] tfjs-cpu returns [2, 3, M, N] holding 3 products), while
 * `tf.matMul` documents NumPy broadcasting, which the generated GEMM follows.
 */
function reference(a: tf.Tensor, b: tf.Tensor, c: Case): tf.Tensor {
  return withTfjsKernel(() => tf.tidy(() => {
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const rank = Math.max(batchA.length, batchB.length);
    const pad = (s: number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
    const batch = pad(batchA).map((x, i) => (x === 1 ? pad(batchB)[i] : x));
    const widen = (t: tf.Tensor): tf.Tensor => (t.shape.length - 2 === rank && t.shape.slice(0, -2).every((x, i) => x === batch[i])
      ? t : tf.broadcastTo(t, [...batch, ...t.shape.slice(-2)]));
    // tfjs's kernels fail on an empty batch (tfjs-wasm: 'remainder by zero'; tfjs-cpu: wrong size).
    if (batch.includes(0)) {
      const [m, n] = [a.shape[a.shape.length - (c.ta ? 1 : 2)], b.shape[b.shape.length - (c.tb ? 2 : 1)]];
      return tf.zeros([...batch, m, n]);
    }
    const out = tf.matMul(widen(a), widen(b), c.ta, c.tb);
    // tfjs-wasm's kernel leaves a product over K = 0 uninitialised (it should be zeros).
    return a.shape[c.ta ? a.shape.length - 2 : a.shape.length - 1] === 0 ? tf.zerosLike(out) : out;
  }));
}

/** `fn` with tfjs's own BatchMatMul kernel (the generated GEMM switched off). */
function withTfjsKernel<T>(fn: () => T): T {
  const saved = matMulOptions();
  setMatMulOptions({ enabled: false });
  try {
    return fn();
  } finally {
    setMatMulOptions({ enabled: saved.enabled, threads: saved.threads, fma: saved.fma });
  }
}

/** Asserts |got - want| <= tol * scale element by element, where scale = |a|·|b| (same transposes). */
function expectWithinScale(got: tf.Tensor, want: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: Case, tol: number): void {
  expect(got.shape, 'shape').to.deep.equal(want.shape);
  const scale = tf.tidy(() => reference(tf.abs(a), tf.abs(b), c).dataSync());
  const g = got.dataSync();
  const w = want.dataSync();
  for (let i = 0; i < g.length; i++) {
    if (!(Math.abs(g[i] - w[i]) <= tol * scale[i] + 1e-30)) {
      throw new Error(`${name(c)}: element ${i} is ${g[i]}, tfjs's kernel gives ${w[i]} (allowed ${tol} x ${scale[i]})`);
    }
  }
}

describe('backend: generated GEMM as BatchMatMul', () => {
  before(function () {
    if (!gemmRunsMatMul(tf.getBackend())) {
      console.log(`      the generated GEMM runs on cpu and wasm with SIMD; this run is on ${tf.getBackend()}`);
      this.skip();
    }
  });

  afterEach(() => setMatMulOptions({ enabled: true, threads: 1 }));

  for (const c of CASES) {
    it(`equals tfjs's kernel exactly on integers: ${name(c)}`, () => {
      const a = ints(c.a, 1);
      const b = ints(c.b, 2);
      const got = tf.matMul(a, b, c.ta, c.tb);
      const want = reference(a, b, c);
      expect(got.shape).to.deep.equal(want.shape);
      const [g, w] = [got.dataSync(), want.dataSync()];
      expect(g.length, 'size').to.equal(w.length);
      const bad = g.findIndex((x, i) => x !== w[i]);
      expect(bad, `first element that differs (${g[bad]} vs ${w[bad]})`).to.equal(-1);
      tf.dispose([a, b, got, want]);
    });
  }

  it('computes an outer product (K = 1) as 0 + a b per element, as the GEMM\'s accumulators do: -0 products are +0', () => {
    for (const c of CASES.filter((k) => k.a[k.a.length - (k.ta ? 2 : 1)] === 1 && !k.a.includes(0))) {
      tf.tidy(() => {
        // Random normals with zeros of both signs in each operand.
        const signedZeros = (shape: number[], seed: number) => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed),
          tf.cast(tf.greater(tf.randomUniform(shape, 0, 1, 'float32', seed + 1), 0.3), 'float32'));
        const a = signedZeros(c.a, 7);
        const b = tf.neg(signedZeros(c.b, 9));
        const got = tf.matMul(a, b, c.ta, c.tb);
        // The reference: the operands broadcast to the product's shape and multiplied element by element, plus +0.
        const col = tf.reshape(a, [...a.shape.slice(0, -2), a.shape[a.rank - (c.ta ? 1 : 2)], 1]);
        const row = tf.reshape(b, [...b.shape.slice(0, -2), 1, b.shape[b.rank - (c.tb ? 2 : 1)]]);
        const want = tf.add(tf.mul(col, row), tf.scalar(0));
        expect(got.shape, name(c)).to.deep.equal(want.shape);
        const [g, w] = [got.dataSync(), want.dataSync()];
        const bad = Array.from(g).findIndex((x, i) => !Object.is(x, w[i]));
        expect(bad, `${name(c)}: first element that differs (${g[bad]} vs ${w[bad]})`).to.equal(-1);
        expect(Array.from(g).some((x) => x === 0), 'the case has zero products').to.equal(true);
        expect(Array.from(g).some((x) => Object.is(x, -0)), 'no -0 in the product').to.equal(false);
      });
    }
  });

  it('is within 1e-5 of sum |a||b| of tfjs\'s kernel on random normal data, every shape', () => {
    for (const c of CASES) {
      tf.tidy(() => {
        const a = tf.randomNormal(c.a, 0, 1, 'float32', 3);
        const b = tf.randomNormal(c.b, 0, 1, 'float32', 4);
        expectWithinScale(tf.matMul(a, b, c.ta, c.tb), reference(a, b, c), a, b, c, 1e-5);
      });
    }
  });

  it('sums each element in one order whatever the threads (2 threads == 1 thread, bit for bit)', () => {
    // Large enough to be split across threads where workers are available (else both run on one).
    const a = tf.randomNormal([300, 500], 0, 1, 'float32', 5);
    const b = tf.randomNormal([500, 260], 0, 1, 'float32', 6);
    setMatMulOptions({ threads: 1 });
    const one = tf.matMul(a, b);
    setMatMulOptions({ threads: 2 });
    const two = tf.matMul(a, b);
    const twoT = tf.matMul(tf.transpose(a), b, true, false);
    expect(Array.from(two.dataSync())).to.deep.equal(Array.from(one.dataSync()));
    expect(Array.from(twoT.dataSync())).to.deep.equal(Array.from(one.dataSync()));
    tf.dispose([a, b, one, two, twoT]);
  });

  it('leaves int32 operands to tfjs\'s kernel (its result, or its error) and lets it reject shapes that do not multiply', () => {
    const a = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
    const outcome = (): number[] | string => {
      try {
        return tf.tidy(() => Array.from(tf.matMul(a, a).dataSync()));
      } catch (e) {
        return (e as Error).message;
      }
    };
    const own = withTfjsKernel(outcome);
    expect(outcome()).to.deep.equal(own);
    if (Array.isArray(own)) expect(own).to.deep.equal([7, 10, 15, 22]);
    const [x, y] = [tf.zeros([2, 3]), tf.zeros([2, 3])];
    expect(() => tf.matMul(x, y)).to.throw(/inner shapes|must match/);
    tf.dispose([a, x, y]);
  });

  it('leaves tf.memory() flat over many products, eager and in a jitted gradient', () => {
    const x = tf.randomNormal([33, 70], 0, 1, 'float32', 7);
    const w = new bst.ParamState(tf.randomNormal([70, 19], 0, 1, 'float32', 8));
    const loss = (): tf.Scalar => tf.sum(tf.relu(tf.matMul(x, w.value as tf.Tensor)));
    const step = bst.transform.jit(() => tf.sum(bst.transform.grad(loss, { gradStates: w })() as tf.Tensor));
    step().dispose();
    expectNoLeaks(() => {
      tf.matMul(x, w.value as tf.Tensor, false, false).dispose();
      tf.matMul(x, x, true, false).dispose();
      tf.tidy(() => { tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4])); });
      step().dispose();
    }, 10);
    step.clearCache();
    tf.dispose([x, w.value as tf.Tensor]);
  });

  it('jit == eager bit for bit through matMul and its gradients (transposed operands kept)', () => {
    const x = tf.randomNormal([17, 40], 0, 1, 'float32', 9);
    const w = new bst.ParamState(tf.randomNormal([40, 12], 0, 1, 'float32', 10));
    const f = (): tf.Tensor[] => {
      const [g, v] = bst.transform.grad(() => tf.sum(tf.square(tf.matMul(x, w.value as tf.Tensor))),
        { gradStates: w, returnValue: true })() as unknown as [tf.Tensor, tf.Tensor];
      return [g, v];
    };
    const eager = f();
    const jitted = bst.transform.jit(f);
    const out = jitted();
    out.forEach((t, i) => expect(Array.from(t.dataSync()), `output ${i}`).to.deep.equal(Array.from(eager[i].dataSync())));
    jitted.clearCache();
    tf.dispose([...eager, ...out, x, w.value as tf.Tensor]);
  });
});
