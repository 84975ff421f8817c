/**
 * Issue 15: the jitted MLP training step on webgpu at most half the unfused dispatches,
 * with eager's bits. What takes it there, each checked against tfjs-backend-webgpu's own
 * kernels bit for bit:
 * - dense layers as tfjs's `_FusedMatMul` (bias and Relu in the product's program;
 *   compiler/passes/matmul-epilogue.ts), Relu's gradient reading the activation;
 * - bias-gradient sums over leading axes in one dispatch, without tfjs's transpose first
 *   (backend/webgpu/sum-leading-axes.ts);
 * - the optimiser's updates of all parameters in one multi-part fused program.
 * And numTensors and `tf.memory()` flat over many jitted MLP steps.
 *
 * Runs in the webgpu suite only (BRAINSTATE_BACKEND=webgpu). `BRAINSTATE_WGSL_FLAT_CALLS`
 * sets the calls of the memory spec (default 200 here: an MLP step costs about 20 ms on
 * SwiftShader; `npm run test:webgpu:flat` runs 10,000).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { countDispatches, uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { BIND_GROUP_LIMIT, recordCacheStats, UNIFORM_LIMIT } from '../../src/backend/webgpu/record-cache';
import { fusionTargetOf } from '../../src/compiler/fusion/ops';
import { WGSL_FORMULAS } from '../../src/compiler/fusion/wgsl-ops';
import { withCompilerOptions } from '../../src/compiler/options';

const withFusion = <R>(on: boolean, fn: () => R): R => withCompilerOptions({ fusion: on }, fn);

/** `t` with its data on the GPU (tfjs-webgpu then runs every kernel on it as a GPU program). */
function onGpu<T extends tf.Tensor>(t: T): T {
  uploadToGpu(tf.backend(), t.dataId);
  return t;
}

/** Deterministic values in [-1, 1) of `n` elements, with some exact zeros and negative zeros. */
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => (i % 97 === 0 ? 0 : i % 89 === 0 ? -0 : Math.sin(i * 0.731 + seed) * 0.999));
}

/** Bit-for-bit equality of float32 arrays (NaN equal to NaN, -0 apart from 0). */
function expectBits(what: string, got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length, `${what}: length`).to.equal(want.length);
  const g = new Uint32Array(Float32Array.from(got).buffer);
  const w = new Uint32Array(Float32Array.from(want).buffer);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i]) expect.fail(`${what}: element ${i}: ${got[i]}, eager ${want[i]}`);
  }
}

type Step = (x: tf.Tensor, y: tf.Tensor) => tf.Scalar;

/** The tensors of a state value (a tensor, or a tree of them: a Linear's weight is {weight, bias}). */
const leaves = (v: unknown): tf.Tensor[] => (v instanceof tf.Tensor ? [v] : Object.values(v as object).flatMap(leaves));

/** An MLP training step (784-256-10 as bench/webgpu.ts, or smaller), its parameters, with SGD or Adam. */
function mlpStep(sizes: readonly number[], optimiser: 'sgd' | 'adam'): { step: Step; params: bst.ParamState[] } {
  bst.random.seed(5);
  const layers: bst.nn.Module[] = [];
  for (let k = 0; k + 1 < sizes.length; k++) {
    if (k > 0) layers.push(new bst.nn.ReLU());
    layers.push(new bst.nn.Linear(sizes[k], sizes[k + 1]));
  }
  const net = new bst.nn.Sequential(...layers);
  const params = net.states(bst.ParamState);
  const opt = optimiser === 'sgd' ? new bst.optim.SGD(0.05) : new bst.optim.Adam(0.001);
  opt.registerTrainableWeights(params);
  const loss = (xb: tf.Tensor, yb: tf.Tensor) => tf.losses.softmaxCrossEntropy(yb, net.call(xb) as tf.Tensor) as tf.Scalar;
  const step = (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
    const [grads, value] = bst.transform.grad(loss, { gradStates: params, returnValue: true })(xb, yb);
    opt.update(grads);
    return value;
  };
  return { step, params: params.toFlat().values() as bst.ParamState[] };
}

function batch(n: number, features: number, classes: number): [tf.Tensor, tf.Tensor] {
  const x = onGpu(tf.tensor2d(values(n * features, 1), [n, features]));
  const y = onGpu(tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7) % classes), 'int32'), classes));
  return [x, y];
}

describe('issue 15: the jitted MLP step on webgpu (dispatches, bits, memory)', () => {
  before(function () {
    if (fusionTargetOf(bst.backend.name()) !== WGSL_FORMULAS) {
      console.log(`      webgpu MLP specs run in the webgpu suite; this run is on ${bst.backend.name()}`);
      this.skip();
    }
  });

  describe('sums over leading axes in one dispatch equal tfjs-webgpu\'s Sum bit for bit', () => {
    const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
      { shape: [128, 256], axis: 0 },
      { shape: [128, 10], axis: [0], keepDims: true },
      { shape: [5000, 3], axis: 0 }, // 4,096 rows or more: tfjs's workgroup of 256
      { shape: [4, 33, 7], axis: [0, 1] },
      { shape: [3, 2, 70], axis: [0, -2], keepDims: true },
      { shape: [1, 300], axis: 0 },
    ];
    for (const c of cases) {
      it(`[${c.shape}] over ${JSON.stringify(c.axis)}${c.keepDims === true ? ', keepDims' : ''}`, async () => {
        const x = onGpu(tf.tensor(values(c.shape.reduce((a, b) => a * b, 1), 2), c.shape));
        const f = bst.transform.jit((t: tf.Tensor) => tf.sum(t, c.axis, c.keepDims));
        withFusion(true, () => f.compile(x));
        expect(f.lower(x).toString()).to.contain('BrainStateSumLeadingAxes');
        // Axes out of order are summed in that order by tfjs: its own Sum runs.
        if (Array.isArray(c.axis) && c.axis.length > 1) {
          const g = bst.transform.jit((t: tf.Tensor) => tf.sum(t, [...(c.axis as number[])].reverse()));
          withFusion(true, () => g.compile(x));
          expect(g.lower(x).toString()).to.not.contain('BrainStateSumLeadingAxes');
          g.clearCache();
        }
        const eager = tf.sum(x, c.axis, c.keepDims);
        const { result, dispatches } = countDispatches(() => f(x));
        expect(dispatches).to.equal(1);
        expect(result.shape).to.deep.equal(eager.shape);
        expectBits('sum', await result.data(), await eager.data());
        f.clearCache();
        tf.dispose([x, eager, result]);
      });
    }
  });

  it('a dense layer with Relu, and its gradients, run as _FusedMatMul with eager\'s bits (transposed operands too)', async () => {
    const x = onGpu(tf.tensor2d(values(64 * 40, 3), [64, 40]));
    const w = onGpu(tf.tensor2d(values(40 * 24, 4), [40, 24]));
    const wt = onGpu(tf.tensor2d(values(24 * 40, 5), [24, 40]));
    const b = onGpu(tf.tensor1d(values(24, 6)));
    const dense = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, tb: boolean) => tf.relu(tf.add(tf.matMul(xx, ww, false, tb), bb));
    const loss = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, tb: boolean) => tf.sum(tf.square(dense(xx, ww, bb, tb)));
    for (const tb of [false, true]) {
      const weights = tb ? wt : w;
      const f = bst.transform.jit((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
        const [gw, gb] = tf.grads((a: tf.Tensor, c: tf.Tensor) => loss(xx, a, c, tb))([ww, bb]);
        return [dense(xx, ww, bb, tb), gw, gb];
      });
      withFusion(true, () => f.compile(x, weights, b));
      const text = f.lower(x, weights, b).toString();
      expect(text).to.contain('_FusedMatMul{activation=relu');
      expect(text).to.not.contain('= Relu(');
      const got = f(x, weights, b) as tf.Tensor[];
      const want = tf.tidy(() => {
        const [gw, gb] = tf.grads((a: tf.Tensor, c: tf.Tensor) => loss(x, a, c, tb))([weights, b]);
        return [dense(x, weights, b, tb), gw, gb];
      });
      for (let k = 0; k < 3; k++) expectBits(`transposeB ${tb}, output ${k}`, await got[k].data(), await want[k].data());
      f.clearCache();
      tf.dispose([...got, ...want]);
    }
    tf.dispose([x, w, wt, b]);
  });

  for (const where of ['gpu', 'host'] as const) {
    it(`independent state updates over different shapes run as one program, equal to eager (inputs on the ${where})`, async () => {
      // On the host (below tfjs-webgpu's hand-off size), eager runs the ops on tfjs's CPU kernels: the parts run alone.
      const place = <T extends tf.Tensor>(t: T): T => (where === 'gpu' ? onGpu(t) : t);
      const shapes = [[40, 30], [30], [30, 10], [10]];
      const make = () => shapes.map((s, k) => new bst.ParamState(place(tf.tensor(values(s.reduce((a, b) => a * b, 1), k), s))));
      const eagerS = make();
      const jitS = make();
      const grads = shapes.map((s, k) => place(tf.tensor(values(s.reduce((a, b) => a * b, 1), k + 10), s)));
      const lr = place(tf.scalar(0.3));
      const update = (states: bst.ParamState[], g: tf.Tensor[], r: tf.Tensor) => {
        states.forEach((st, k) => { st.value = tf.sub(tf.mul(st.value as tf.Tensor, 0.9), tf.mul(g[k], r)); });
      };
      const f = bst.transform.jit((g: tf.Tensor[], r: tf.Tensor) => update(jitS, g, r));
      withFusion(true, () => f.compile(grads, lr));
      expect(f.lower(grads, lr).toString()).to.contain('FusedParts(');
      for (let k = 0; k < 2; k++) {
        tf.tidy(() => update(eagerS, grads, lr));
        const d = countDispatches(() => f(grads, lr)).dispatches;
        // Each part binds 3 inputs (state, gradient, rate): two parts per program within WebGPU's 8 storage buffers.
        if (where === 'gpu') expect(d).to.equal(2);
      }
      for (let k = 0; k < shapes.length; k++) {
        expectBits(`state ${k}`, await (jitS[k].value as tf.Tensor).data(), await (eagerS[k].value as tf.Tensor).data());
      }
      f.clearCache();
      tf.dispose([...grads, lr, ...eagerS.map((s) => s.value as tf.Tensor), ...jitS.map((s) => s.value as tf.Tensor)]);
    });
  }

  for (const optimiser of ['sgd', 'adam'] as const) {
    it(`MLP 784-256-10 ${optimiser} step, batch 128: fused dispatches at most half the unfused, losses and parameters equal to eager`,
      async function () {
        this.timeout(300000);
        const [x, y] = batch(128, 784, 10);
        const eager = mlpStep([784, 256, 10], optimiser);
        const unfusedM = mlpStep([784, 256, 10], optimiser);
        const fusedM = mlpStep([784, 256, 10], optimiser);
        const unfused = bst.transform.jit(unfusedM.step);
        const fused = bst.transform.jit(fusedM.step);
        withFusion(false, () => unfused.compile(x, y));
        withFusion(true, () => fused.compile(x, y));
        const le: number[] = [];
        const lf: number[] = [];
        for (let k = 0; k < 3; k++) {
          const a = tf.tidy(() => eager.step(x, y));
          const c = fused(x, y);
          le.push((await a.data())[0]);
          lf.push((await c.data())[0]);
          unfused(x, y).dispose();
          tf.dispose([a, c]);
        }
        expectBits('losses', lf, le);
        const got = fusedM.params.flatMap((p) => leaves(p.value));
        const want = eager.params.flatMap((p) => leaves(p.value));
        expect(got.length).to.equal(want.length);
        for (let k = 0; k < want.length; k++) expectBits(`parameter ${k}`, await got[k].data(), await want[k].data());
        const u = countDispatches(() => unfused(x, y).dispose()).dispatches;
        const f = countDispatches(() => fused(x, y).dispose()).dispatches;
        const e = countDispatches(() => tf.tidy(() => { eager.step(x, y); })).dispatches;
        console.log(`      MLP 784-256-10 ${optimiser}: dispatches per step: eager ${e}, jitted unfused ${u}, jitted fused ${f}`);
        expect(f).to.be.at.most(Math.floor(u / 2));
        expect(lf[2]).to.be.lessThan(lf[0]);
        fused.clearCache();
        unfused.clearCache();
        tf.dispose([x, y]);
      });
  }

  it('numTensors and tf.memory() stay flat over many fused jitted MLP steps (Adam)', async function () {
    const calls = Number(process.env.BRAINSTATE_WGSL_FLAT_CALLS ?? 200);
    this.timeout(Math.max(300000, calls * 200));
    const [x, y] = batch(32, 64, 10);
    const { step, params } = mlpStep([64, 48, 10], 'adam');
    const jitted = bst.transform.jit(step);
    withFusion(true, () => jitted.compile(x, y));
    jitted(x, y).dispose();
    await leaves(params[0].value)[0].data();
    const before = tf.memory();
    const gpu = (m: tf.MemoryInfo) => m as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
    let warm = -1;
    for (let k = 0; k < calls; k++) {
      jitted(x, y).dispose();
      if (k % 250 === 249) await leaves(params[0].value)[0].data(); // let the GPU keep up
      if (k === (calls >> 1) - 1) {
        await leaves(params[0].value)[0].data();
        warm = gpu(tf.memory()).numBytesAllocatedInGPU; // tfjs's pool, grown to what the calls need
      }
    }
    await leaves(params[0].value)[0].data();
    const after = tf.memory();
    console.log(`      ${calls} fused MLP steps: numTensors ${before.numTensors} -> ${after.numTensors}, numBytes ${before.numBytes} -> ${after.numBytes}`);
    expect(after.numTensors).to.equal(before.numTensors);
    expect(after.numBytes).to.equal(before.numBytes);
    expect(after.numDataBuffers).to.equal(before.numDataBuffers);
    // tfjs-webgpu's buffer pool: no buffer held past its tensor's dispose, none added in the second half.
    expect(gpu(after).numBytesInGPU).to.equal(gpu(before).numBytesInGPU);
    expect(gpu(after).numBytesAllocatedInGPU).to.equal(warm);
    // The dispatch recorder's caches stay within their bounds.
    const held = recordCacheStats(tf.backend())!;
    expect(held.bindGroupsHeld).to.be.at.most(BIND_GROUP_LIMIT);
    expect(held.uniformBuffersHeld).to.be.at.most(UNIFORM_LIMIT);
    jitted.clearCache();
    tf.dispose([x, y]);
  });
});
