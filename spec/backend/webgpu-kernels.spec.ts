/**
 * Issue 15: brainstate-ts's own webgpu `BatchMatMul` / `_FusedMatMul` (src/backend/webgpu/
 * matmul-program.ts) and short `Sum` / `Max` (reduce-kernels.ts), registered over
 * tfjs-backend-webgpu's kernels. On every backend: products and reductions against a
 * float64 reference computed here (within float32 rounding: 1e-5 · Σ|a||b| per element),
 * transposes, batch dimensions that broadcast, odd shapes, empty shapes, bias and
 * activation epilogues against the separate kernels, jit == eager bit for bit. On webgpu:
 * the kernels are registered, and their documented bits (docs/sharp-bits.md 20): each
 * element summed in order over k in float32.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { readHeld } from '../../src/backend/tfjs-engine';
import { WEBGPU_KERNELS } from '../../src/backend/webgpu/kernel-records';
import { SERIAL_MAX } from '../../src/backend/webgpu/reduce-kernels';
import { storageDtype, uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { callJitted } from '../helpers';

const onWebGPU = () => tf.getBackend() === 'webgpu';

/** Deterministic values of mixed sign and magnitude (from a seed, on the current backend's GPU where it has one). */
function values(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * (1 + (i % 7)) / 3);
  const t = tf.tensor(v, shape);
  if (onWebGPU()) uploadToGpu(tf.backend(), t.dataId);
  return t;
}

async function read(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from(await readHeld(t));
}

/** matMul(a, b) in float64 with NumPy batch broadcasting, and Σ|a||b| per element (the tolerance's scale). */
function reference(a: Float32Array, as: number[], b: Float32Array, bs: number[], ta: boolean, tb: boolean) {
  const [a0, a1] = as.slice(-2);
  const [b0, b1] = bs.slice(-2);
  const [M, K, N] = [ta ? a1 : a0, ta ? a0 : a1, tb ? b0 : b1];
  const da = as.slice(0, -2);
  const db = bs.slice(0, -2);
  const rank = Math.max(da.length, db.length);
  const pa = [...new Array<number>(rank - da.length).fill(1), ...da];
  const pb = [...new Array<number>(rank - db.length).fill(1), ...db];
  const outer = pa.map((d, i) => Math.max(d, pb[i]));
  const batches = outer.reduce((x, y) => x * y, 1);
  const out = new Float64Array(batches * M * N);
  const scale = new Float64Array(batches * M * N);
  for (let bi = 0; bi < batches; bi++) {
    let rem = bi;
    let ia = 0;
    let ib = 0;
    for (let d = rank - 1, sa = 1, sb = 1; d >= 0; d--) {
      const c = rem % outer[d];
      rem = Math.floor(rem / outer[d]);
      if (pa[d] !== 1) ia += c * sa;
      if (pb[d] !== 1) ib += c * sb;
      sa *= pa[d];
      sb *= pb[d];
    }
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        let g = 0;
        for (let k = 0; k < K; k++) {
          const x = a[ia * M * K + (ta ? k * M + i : i * K + k)];
          const y = b[ib * K * N + (tb ? j * K + k : k * N + j)];
          s += x * y;
          g += Math.abs(x * y);
        }
        out[(bi * M + i) * N + j] = s;
        scale[(bi * M + i) * N + j] = g;
      }
    }
  }
  return { out, scale, shape: [...outer, M, N] };
}

/** The documented bits: `acc = fround(acc + fround(a · b))` for k in order (no fused multiply-add). */
function inOrderBits(a: Float32Array, b: Float32Array, M: number, K: number, N: number, ta: boolean, tb: boolean): Float32Array {
  const out = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) {
        acc = Math.fround(acc + Math.fround(a[ta ? k * M + i : i * K + k] * b[tb ? j * K + k : k * N + j]));
      }
      out[i * N + j] = acc;
    }
  }
  return out;
}

function expectWithin(got: Float32Array, ref: { out: Float64Array; scale: Float64Array }, what: string): void {
  expect(got.length, `${what}: size`).to.equal(ref.out.length);
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-5 * ref.scale[i] + 1e-30;
    if (!(Math.abs(got[i] - ref.out[i]) <= tol)) {
      expect.fail(`${what}: element ${i} is ${got[i]}, float64 reference ${ref.out[i]} (tolerance ${tol})`);
    }
  }
}

/** The tensors of a nested gradient tree, in key order. */
function leaves(t: unknown): tf.Tensor[] {
  if (t instanceof tf.Tensor) return [t];
  if (t === null || typeof t !== 'object') return [];
  return Object.keys(t).sort().flatMap((k) => leaves((t as Record<string, unknown>)[k]));
}

const bitsOf = (x: Float32Array) => Array.from(new Int32Array(x.buffer, x.byteOffset, x.length));

describe('backend: webgpu matrix product and short reductions (own WGSL kernels)', () => {
  it('are the registered webgpu kernels (BatchMatMul, _FusedMatMul, Sum, Max)', function () {
    if (!onWebGPU()) {
      console.log(`      these kernels are registered for webgpu; this run is on ${tf.getBackend()}`);
      this.skip();
    }
    for (const k of WEBGPU_KERNELS) {
      expect(tf.getKernel(k.kernelName, 'webgpu')?.kernelFunc, k.kernelName).to.equal(k.kernelFunc);
    }
  });

  const cases: [number[], number[], boolean, boolean][] = [
    [[128, 784], [784, 256], false, false], [[128, 784], [128, 256], true, false], [[128, 10], [256, 10], false, true],
    [[13, 17], [17, 11], false, false], [[17, 13], [17, 11], true, false], [[13, 17], [11, 17], false, true],
    [[17, 13], [11, 17], true, true], [[1, 5], [5, 1], false, false], [[3, 1], [1, 4], false, false],
    [[2, 3, 5, 7], [3, 7, 6], false, false], [[2, 1, 4, 5], [3, 5, 2], false, false], [[4, 6, 3], [3, 5], false, false],
    [[2, 9, 6], [2, 5, 9], true, true],
  ];
  for (const [as, bs, ta, tb] of cases) {
    it(`matMul([${as}], [${bs}], ${ta}, ${tb}) is within 1e-5 · Σ|a||b| of the float64 product`, async () => {
      const a = values(as, as.length + as[0]);
      const b = values(bs, bs.length + bs[1] + 1);
      const c = tf.matMul(a, b, ta, tb);
      const ref = reference(await read(a), as, await read(b), bs, ta, tb);
      expect(c.shape).to.deep.equal(ref.shape);
      expectWithin(await read(c), ref, 'matMul');
      tf.dispose([a, b, c]);
    });
  }

  it('sums each element in order over k in float32 on SwiftShader (sharp bits 20), K up to 784', async function () {
    if (!onWebGPU() || bst.backend.webgpuAdapter()?.software !== true) {
      console.log('      the in-order bits are checked on the software webgpu adapter (a GPU compiler may fuse a·b + acc)');
      this.skip();
    }
    // Shapes that take each tiling (4x4, 8x8, 16x16, 16x4 blocks: tilingFor) and each way of
    // reading (vec4 along k, m or n; one float at a time), with edges that cut blocks.
    const shapes = [[16, 784, 12, false, false], [9, 128, 7, true, false], [5, 33, 6, false, true], [64, 20, 40, false, false],
      [128, 64, 256, false, false], [256, 32, 128, true, false], [128, 36, 128, false, true], [130, 10, 70, true, true],
      [256, 24, 10, true, false]] as const;
    for (const [M, K, N, ta, tb] of shapes) {
      const a = values(ta ? [K, M] : [M, K], K);
      const b = values(tb ? [N, K] : [K, N], N);
      const c = tf.matMul(a, b, ta, tb);
      expect(bitsOf(await read(c))).to.deep.equal(bitsOf(inOrderBits(await read(a), await read(b), M, K, N, ta, tb)));
      tf.dispose([a, b, c]);
    }
  });

  it('reads float32 operands cast from int32 and bool (on webgpu they keep their int32 buffers), four at a time too', async () => {
    // Small integers: every order of summation gives the exact products.
    const ints = (shape: number[], seed: number) => {
      const n = shape.reduce((x, y) => x * y, 1);
      return Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13) % 11) - 5);
    };
    for (const [as, bs, ta, tb] of [[[64, 32], [32, 64], false, false], [[32, 64], [32, 64], true, false],
      [[64, 32], [64, 32], false, true]] as const) {
      const av = ints([...as], 1);
      const bv = ints([...bs], 2).map((v) => (v > 0 ? 1 : 0));
      const a = tf.cast(tf.tensor(av, [...as], 'int32'), 'float32');
      const b = tf.cast(tf.tensor(bv, [...bs], 'bool'), 'float32');
      if (onWebGPU()) {
        [a, b].forEach((t) => uploadToGpu(tf.backend(), t.dataId));
        expect([storageDtype(tf.backend(), a.dataId), storageDtype(tf.backend(), b.dataId)]).to.deep.equal(['int32', 'bool']);
      }
      const got = tf.matMul(a, b, ta, tb);
      const want = reference(Float32Array.from(av), [...as], Float32Array.from(bv), [...bs], ta, tb);
      expect(Array.from(await read(got)), `matMul([${as}], [${bs}], ${ta}, ${tb})`).to.deep.equal(Array.from(want.out));
      tf.dispose([a, b, got]);
    }
  });

  it('gives zeros for an empty shared dimension and empty results for empty operands', async () => {
    const z = tf.matMul(tf.zeros([3, 0]), tf.zeros([0, 4]));
    expect(Array.from(await read(z))).to.deep.equal(new Array<number>(12).fill(0));
    const e = tf.matMul(tf.zeros([0, 5]), values([5, 4], 1));
    expect(e.shape).to.deep.equal([0, 4]);
    tf.dispose([z, e]);
  });

  it('leaves int32 products to tfjs\'s kernel (exact)', async function () {
    if (tf.getBackend() === 'wasm') {
      console.log('      tfjs-wasm has no int32 BatchMatMul (it throws); this run is on wasm');
      this.skip();
    }
    const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), tf.tensor2d([[5, 6], [7, 8]], [2, 2], 'int32'));
    expect(c.dtype).to.equal('int32');
    expect(Array.from(await readHeld(c))).to.deep.equal([19, 22, 43, 50]);
    c.dispose();
  });

  const activations = ['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const;
  const epilogueCases = [...activations.map((act) => [act, 7, 9, 6] as const), ['relu', 130, 12, 68] as const, ['prelu', 128, 16, 256] as const];
  for (const [activation, M, K, N] of epilogueCases) {
    it(`fused.matMul([${M}, ${K}], [${K}, ${N}]) with bias and ${activation} equals matMul, add and the activation's own kernel`, async () => {
      const a = values([M, K], 3);
      const b = values([K, N], 4);
      const bias = values([N], 5);
      const alpha = values([N], 6);
      const got = tf.fused.matMul({ a, b, bias, activation, preluActivationWeights: activation === 'prelu' ? alpha : undefined,
        leakyreluAlpha: 0.3 });
      const sum = tf.add(tf.matMul(a, b), bias);
      const act = { linear: () => sum, relu: () => tf.relu(sum), relu6: () => tf.relu6(sum), elu: () => tf.elu(sum),
        sigmoid: () => tf.sigmoid(sum), leakyrelu: () => tf.leakyRelu(sum, 0.3), prelu: () => tf.prelu(sum, alpha) }[activation]();
      const [g, w] = [await read(got), await read(act)];
      if (onWebGPU()) {
        // The same product program, then tfjs-webgpu's own formulas: the bits of the separate kernels.
        expect(bitsOf(g)).to.deep.equal(bitsOf(w));
      } else {
        for (let i = 0; i < g.length; i++) expect(g[i]).to.be.closeTo(w[i], 1e-5 * (1 + Math.abs(w[i])));
      }
      tf.dispose([a, b, bias, alpha, got, sum, act]);
    });
  }

  it('fused.matMul broadcasts a bias of shape [M, 1] and batch dimensions', async function () {
    if (tf.getBackend() === 'wasm') {
      console.log('      tfjs-wasm\'s _FusedMatMul takes only rank-1 biases; this run is on wasm');
      this.skip();
    }
    const a = values([2, 5, 3], 7);
    const b = values([3, 4], 8);
    const bias = values([5, 1], 9);
    const got = tf.fused.matMul({ a, b, bias, activation: 'relu' });
    const want = tf.relu(tf.add(tf.matMul(a, b), bias));
    const [g, w] = [await read(got), await read(want)];
    for (let i = 0; i < g.length; i++) expect(g[i]).to.be.closeTo(w[i], 1e-5 * (1 + Math.abs(w[i])));
    tf.dispose([a, b, bias, got, want]);
  });

  const reductions: [string, number[], number | number[] | null][] = [
    ['sum', [128, 10], 1], ['max', [128, 10], -1], ['sum', [128, 256], 0], ['sum', [128], null], ['sum', [2, 3, 4], [0, 1]],
    ['max', [2, 3, 4], [1, 2]], ['sum', [3, 4, 5], 1], ['sum', [SERIAL_MAX + 5], 0], ['max', [5, 3], 0],
  ];
  for (const [kind, shape, axis] of reductions) {
    it(`${kind}([${shape}], ${JSON.stringify(axis)}) is within float32 rounding of the float64 reduction`, async () => {
      const x = values(shape, shape[0]);
      const y = kind === 'sum' ? tf.sum(x, axis ?? undefined) : tf.max(x, axis ?? undefined);
      const xs = await read(x);
      const rank = shape.length;
      const axes = axis === null ? [...Array(rank).keys()] : (Array.isArray(axis) ? axis : [axis]).map((v) => (v < 0 ? v + rank : v));
      const outShape = shape.filter((_, i) => !axes.includes(i));
      expect(y.shape).to.deep.equal(outShape);
      const out = new Float64Array(outShape.reduce((p, q) => p * q, 1)).fill(kind === 'sum' ? 0 : -Infinity);
      const scale = new Float64Array(out.length);
      const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, q) => p * q, 1));
      for (let f = 0; f < xs.length; f++) {
        let o = 0;
        for (let d = 0; d < rank; d++) if (!axes.includes(d)) o = o * shape[d] + Math.floor(f / strides[d]) % shape[d];
        out[o] = kind === 'sum' ? out[o] + xs[f] : Math.max(out[o], xs[f]);
        scale[o] += Math.abs(xs[f]);
      }
      const got = await read(y);
      for (let i = 0; i < got.length; i++) expect(got[i]).to.be.closeTo(out[i], kind === 'sum' ? 1e-6 * scale[i] + 1e-30 : 0);
      tf.dispose([x, y]);
    });
  }

  it('jit == eager bit for bit: a dense layer\'s value and gradients (the jit fuses bias and relu into the product)', async () => {
    bst.random.seed(3);
    const net = new bst.nn.Sequential(new bst.nn.Linear(37, 19), new bst.nn.ReLU(), new bst.nn.Linear(19, 5));
    const params = net.states(bst.ParamState);
    const x = values([11, 37], 10);
    const f = (xb: tf.Tensor) => {
      const [grads, value] = bst.transform.grad((q: tf.Tensor) => tf.sum(tf.square(net.call(q) as tf.Tensor)) as tf.Scalar,
        { gradStates: params, returnValue: true })(xb);
      return [value, ...leaves(grads)];
    };
    const eager = tf.tidy(() => f(x));
    const jitted = bst.transform.jit(f);
    const lazy = await callJitted(jitted, x);
    expect(lazy.length).to.equal(eager.length);
    for (let i = 0; i < eager.length; i++) expect(bitsOf(await read(lazy[i])), `output ${i}`).to.deep.equal(bitsOf(await read(eager[i])));
    tf.dispose([...eager, ...lazy, x]);
  });

  it('leaves tf.memory() flat over many products, fused products and reductions', async () => {
    const a = values([9, 8], 11);
    const b = values([8, 6], 12);
    const bias = values([6], 13);
    const once = () => tf.tidy(() => {
      tf.matMul(a, b, false, false);
      tf.fused.matMul({ a, b, bias, activation: 'relu' });
      tf.sum(tf.matMul(a, b), 0);
      tf.max(a, 1);
    });
    once();
    const before = tf.memory();
    for (let i = 0; i < 20; i++) once();
    const after = tf.memory();
    expect(after.numTensors).to.equal(before.numTensors);
    expect(after.numBytes).to.equal(before.numBytes);
    tf.dispose([a, b, bias]);
  });
});
