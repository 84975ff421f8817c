/**
 * Issue 15: fused elementwise kernels on webgpu are generated WGSL programs, one dispatch
 * per group, that reproduce tfjs-backend-webgpu's own kernels bit for bit: each op's WGSL
 * form against the eager kernel on edge values, the op suite fused vs unfused vs eager (on
 * GPU data, and on small host data, which tfjs-webgpu runs on its CPU kernels and the
 * fused kernel then replays unfused), multiple outputs, broadcasting, in-place state
 * updates, dispatch counts (LIF: 1 per step; MLP SGD step: 18 against 37 unfused, with
 * spec/compiler/wgsl-mlp.spec.ts), and
 * flat memory over many calls.
 *
 * Runs in the webgpu suite only (BRAINSTATE_BACKEND=webgpu); reads are asynchronous.
 * `BRAINSTATE_WGSL_FLAT_CALLS` sets the number of calls of the memory spec (default 1,000:
 * SwiftShader runs about 3 ms per call; `npm run test:webgpu:flat` runs 10,000).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import type { TensorInfo } from '../../src/backend/tfjs-engine';
import { tensorFromInfo } from '../../src/backend/tfjs-engine';
import { countDispatches, uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { BIND_GROUP_LIMIT, recordCacheStats, UNIFORM_LIMIT } from '../../src/backend/webgpu/record-cache';
import { fusedKernel } from '../../src/compiler/executable';
import type { FusedSpec } from '../../src/compiler/ir';
import { ELEMENTWISE_OPS, formFor, fusionTargetOf, resultDtype } from '../../src/compiler/fusion/ops';
import { WGSL_FORMULAS, WGSL_OPS } from '../../src/compiler/fusion/wgsl-ops';
import { withCompilerOptions } from '../../src/compiler/options';
import { CASES, tensorsOf } from '../transform/op-cases';

const FLOATS = [0, -0, 1, -1, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.3, -0.3, 0.2, 1e-8, -1e-8, 1e-40, -1e-40, 1.1754944e-38,
  1.1920928955078125e-7, 3.4028235e38, -3.4028235e38, NaN, Infinity, -Infinity, 6, -6, 6.5, 7, -7, 88.7, -88.7, 89, -104,
  16777217, -16777217, 2147483647, 3.14159, 1e10, -1e10, 20, -20, 2, 3, -3];
const INTS = [0, 1, -1, 2, -2, 3, 5, 6, 7, -7, 46341, -46341, 65536, 16777217, -16777217, 2147483647, -2147483648,
  1000000000, -1000000000];
const ATTRS: Record<string, Record<string, unknown>[]> = {
  LeakyRelu: [{ alpha: 0.2 }],
  Step: [{ alpha: 0.3 }, { alpha: -2 }],
  ClipByValue: [{ clipValueMin: -1, clipValueMax: 1 }, { clipValueMin: -0, clipValueMax: 0.1 }],
  Cast: [{ dtype: 'float32' }, { dtype: 'int32' }, { dtype: 'bool' }],
};
/** Above tfjs-webgpu's CPU hand-off size (1,000), so the eager kernels run on the GPU. */
const MIN_GPU = 1024;

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

/** Repeats `cols` (all of one length) until they hold at least MIN_GPU rows. */
function padded(cols: number[][]): number[][] {
  const reps = Math.ceil(MIN_GPU / cols[0].length);
  return cols.map((c) => Array.from({ length: c.length * reps }, (_, i) => c[i % c.length]));
}

function columns(kernel: string, dtypes: tf.DataType[]): number[][] {
  const pool = (d: tf.DataType) => (d === 'float32' ? FLOATS : d === 'int32' ? INTS : [0, 1]);
  if (kernel === 'Select') {
    const c: number[] = [];
    const t: number[] = [];
    const e: number[] = [];
    for (const k of [0, 1]) for (const x of pool(dtypes[1])) for (const y of pool(dtypes[1]).slice(0, 8)) { c.push(k); t.push(x); e.push(y); }
    return padded([c, t, e]);
  }
  if (dtypes.length === 1) return padded([pool(dtypes[0])]);
  const a: number[] = [];
  const b: number[] = [];
  for (const x of pool(dtypes[0])) for (const y of pool(dtypes[1])) { a.push(x); b.push(y); }
  return padded([a, b]);
}

/** Equal bit for bit (NaN as NaN, the sign of zero), else a failure naming the first differences. */
function expectSame(what: string, got: ArrayLike<number>, want: ArrayLike<number>, inputs?: number[][]): void {
  expect(got.length, `${what}: length`).to.equal(want.length);
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(Number(got[i]), Number(want[i]))) {
      const at = inputs === undefined ? `[${i}]` : `(${inputs.map((c) => show(c[i])).join(', ')})`;
      bad.push(`${at} -> ${show(Number(want[i]))} expected, got ${show(Number(got[i]))}`);
    }
  }
  if (bad.length > 0) expect.fail(`${what}: ${bad.length} of ${want.length} differ, e.g. ${bad.slice(0, 4).join('; ')}`);
}

/** Runs `fn` with fusion on or off. */
const withFusion = <R>(on: boolean, fn: () => R): R => withCompilerOptions({ fusion: on }, fn);

/** A copy of `t` whose data lives on the GPU (tfjs-webgpu then runs every kernel on it as a GPU program). */
function onGpu(t: tf.Tensor): tf.Tensor {
  uploadToGpu(tf.backend(), t.dataId);
  return t;
}

describe('issue 15: fused WGSL kernels on webgpu', () => {
  before(function () {
    if (fusionTargetOf(bst.backend.name()) !== WGSL_FORMULAS) {
      console.log(`      WGSL fusion specs run in the webgpu suite; this run is on ${bst.backend.name()}`);
      this.skip();
    }
  });

  it('every elementwise kernel of the table has a WGSL form', () => {
    expect(Object.keys(ELEMENTWISE_OPS).filter((k) => WGSL_OPS[k] === undefined)).to.deep.equal([]);
  });

  describe('each op\'s WGSL form equals tfjs-webgpu\'s kernel bit for bit on edge values', () => {
    for (const kernel of Object.keys(ELEMENTWISE_OPS)) {
      it(kernel, async () => {
        const target = bst.backend.name();
        const form = formFor(kernel, WGSL_FORMULAS)!;
        const op = ELEMENTWISE_OPS[kernel];
        for (const d of ['float32', 'int32', 'bool'] as tf.DataType[]) {
          const dtypes: tf.DataType[] = kernel === 'Select' ? ['bool', d, d] : op.inputs.map(() => d);
          if (!dtypes.every((x, i) => (kernel === 'Select' && i === 0) || form.accepts.includes(x))) continue;
          for (const attrs of ATTRS[kernel] ?? [{}]) {
            const outDtype = resultDtype(kernel, dtypes, attrs, WGSL_FORMULAS);
            if (outDtype === undefined) continue;
            const cols = columns(kernel, dtypes);
            const ts = cols.map((c, k) => onGpu(tf.tensor1d(c, dtypes[k])));
            const inputs: Record<string, tf.Tensor> = {};
            op.inputs.forEach((name, k) => { inputs[name] = ts[k]; });
            const eager = tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, attrs as never) as tf.Tensor;
            expect(eager.dtype, `${kernel} output dtype`).to.equal(outDtype);
            const spec: FusedSpec = {
              shape: [cols[0].length],
              inputs: ts.map((t) => ({ mode: 'full', dtype: t.dtype })),
              ops: [{ kernel, args: ts.map((_, k) => k), attrs, dtype: outDtype }],
              outputs: [ts.length],
            };
            const run = fusedKernel(spec, [{ shape: spec.shape, dtype: outDtype }], target, undefined);
            const out = tensorFromInfo((run({ inputs: ts as unknown as TensorInfo[], backend: undefined as never, attrs: {} }) as TensorInfo[])[0]);
            expect(out.dtype).to.equal(outDtype);
            expectSame(`${kernel}(${dtypes.join(', ')}) ${JSON.stringify(attrs)}`, await out.data(), await eager.data(), cols);
            tf.dispose([...ts, eager, out]);
          }
        }
      });
    }
  });

  /** Every output leaf of `fn(...xs)` eagerly, jitted unfused and jitted fused, as numbers. */
  async function threeWays(name: string, fn: (...xs: tf.Tensor[]) => unknown, xs: tf.Tensor[]): Promise<void> {
    const unfused = bst.transform.jit(fn, { name });
    const fused = bst.transform.jit(fn, { name });
    withFusion(false, () => unfused.compile(...xs));
    withFusion(true, () => fused.compile(...xs));
    const e = tf.tidy(() => tensorsOf(fn(...xs)).map((t) => tf.keep(t)));
    const u = tensorsOf(unfused(...xs));
    const f = tensorsOf(fused(...xs));
    expect(f.length).to.equal(e.length);
    for (let i = 0; i < e.length; i++) {
      expect(f[i].shape).to.deep.equal(e[i].shape);
      expect(f[i].dtype).to.equal(e[i].dtype);
      const want = await e[i].data();
      expectSame(`${name}: output ${i} unfused vs eager`, await u[i].data(), want);
      expectSame(`${name}: output ${i} fused vs eager`, await f[i].data(), want);
    }
    tf.dispose([...e, ...u, ...f]);
    fused.clearCache();
    unfused.clearCache();
  }

  // tfjs-backend-webgpu 4.22's Prod ignores keepDims on host inputs (spec/webgpu-known.ts): eager fails there.
  const SKIP = new Set(['max/min/prod keepDims']);

  describe('the op suite: fused equals unfused equals eager, on GPU data', () => {
    for (const [name, fn, inputs] of CASES) {
      if (SKIP.has(name)) continue;
      it(name, async () => {
        const xs = inputs().map(onGpu);
        await threeWays(name, fn, xs);
        tf.dispose(xs);
      });
    }
  });

  describe('the op suite on small host data (tfjs-webgpu\'s CPU kernels; fused groups replay unfused)', () => {
    for (const [name, fn, inputs] of CASES.slice(0, 30)) {
      if (SKIP.has(name)) continue;
      it(name, async () => {
        const xs = inputs();
        await threeWays(name, fn, xs);
        tf.dispose(xs);
      });
    }
  });

  it('broadcasting (a row, a column, a scalar) and several outputs in one dispatch, equal to eager', async () => {
    const a = onGpu(tf.tensor2d(Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i) * 3), [64, 48]));
    const row = onGpu(tf.tensor1d(Array.from({ length: 48 }, (_, i) => i / 7 - 2)));
    const col = onGpu(tf.tensor2d(Array.from({ length: 64 }, (_, i) => (i % 5) - 2), [64, 1]));
    const s = onGpu(tf.scalar(0.75));
    const fn = (x: tf.Tensor, r: tf.Tensor, c: tf.Tensor, k: tf.Tensor) => {
      const y = tf.add(tf.mul(x, r), tf.div(c, tf.add(tf.abs(r), 1)));
      const z = tf.maximum(tf.sub(y, k), tf.pow(tf.abs(x), 1.5));
      return [z, tf.greater(y, z), tf.cast(tf.floor(y), 'int32')];
    };
    const f = bst.transform.jit(fn);
    withFusion(true, () => f.compile(a, row, col, s));
    // Two domains: |row| + 1 over [48], the rest over [64, 48] (three outputs).
    expect(f.lower(a, row, col, s).numKernels).to.equal(2);
    const d = countDispatches(() => tf.dispose(f(a, row, col, s) as tf.Tensor[])).dispatches;
    expect(d).to.equal(2);
    await threeWays('broadcast', fn, [a, row, col, s]);
    tf.dispose([a, row, col, s]);
  });

  it('updates a state in place through the program\'s output, equal to eager', async () => {
    const n = 4096;
    const v = new bst.HiddenState(onGpu(tf.fill([n], 0.5)));
    const vE = new bst.HiddenState(onGpu(tf.fill([n], 0.5)));
    const i = onGpu(tf.linspace(-2, 2, n));
    const update = (st: bst.HiddenState, x: tf.Tensor) => { st.value = tf.add(st.value, tf.mul(0.1, tf.sub(x, st.value))); };
    const step = bst.transform.jit((x: tf.Tensor) => update(v, x));
    withFusion(true, () => step.compile(i));
    step(i);
    const id = v.value.dataId;
    const d = countDispatches(() => step(i)).dispatches;
    expect(d).to.equal(1);
    expect(v.value.dataId, 'the new value is in the old buffer').to.equal(id);
    for (let k = 0; k < 2; k++) tf.tidy(() => update(vE, i));
    expectSame('in-place state', await v.value.data(), await vE.value.data());
    step.clearCache();
    tf.dispose([v.value, vE.value, i]);
  });

  /** One LIF Euler step (the bench's): 7 elementwise kernels eagerly. */
  function lifStep(v: bst.HiddenState, input: tf.Tensor): tf.Tensor {
    const next = tf.add(v.value, tf.mul(0.01, tf.add(tf.neg(v.value), input)));
    const spike = tf.greaterEqual(next, 1);
    v.value = tf.where(spike, tf.zerosLike(next), next);
    return spike;
  }

  it('dispatches per step: the jitted LIF step is 1 (eager 7), and equal to eager after 100 steps', async () => {
    const n = 4096;
    const input = onGpu(tf.linspace(0, 3, n));
    const vE = new bst.HiddenState(tf.zeros([n]));
    const vU = new bst.HiddenState(tf.zeros([n]));
    const vF = new bst.HiddenState(tf.zeros([n]));
    const unfused = bst.transform.jit((x: tf.Tensor) => lifStep(vU, x));
    const fused = bst.transform.jit((x: tf.Tensor) => lifStep(vF, x));
    withFusion(false, () => unfused.compile(input));
    withFusion(true, () => fused.compile(input));
    for (let k = 0; k < 100; k++) {
      tf.tidy(() => { lifStep(vE, input); });
      unfused(input).dispose();
      fused(input).dispose();
    }
    const e = countDispatches(() => tf.tidy(() => { lifStep(vE, input); })).dispatches;
    const u = countDispatches(() => unfused(input).dispose()).dispatches;
    const f = countDispatches(() => fused(input).dispose()).dispatches;
    console.log(`      LIF N=${n}: dispatches per step: eager ${e}, jitted unfused ${u}, jitted fused ${f}`);
    expect(e).to.be.at.least(7);
    expect(f).to.equal(1);
    const want = await vE.value.data();
    expectSame('LIF v, unfused', await vU.value.data(), want);
    expectSame('LIF v, fused', await vF.value.data(), want);
    fused.clearCache();
    unfused.clearCache();
    tf.dispose([input, vE.value, vU.value, vF.value]);
  });

  // At most half the unfused count, bit-equal to eager, at the bench's size: spec/compiler/wgsl-mlp.spec.ts.
  it('dispatches per step: a jitted MLP SGD step fused dispatches fewer programs than unfused, same losses', async () => {
    const make = () => {
      bst.random.seed(3);
      const net = new bst.nn.Sequential(new bst.nn.Linear(64, 48), new bst.nn.ReLU(), new bst.nn.Linear(48, 10));
      const params = net.states(bst.ParamState);
      const opt = new bst.optim.SGD(0.05);
      opt.registerTrainableWeights(params);
      const loss = (xb: tf.Tensor, yb: tf.Tensor) => tf.losses.softmaxCrossEntropy(yb, net.call(xb) as tf.Tensor) as tf.Scalar;
      return (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
        const [grads, value] = bst.transform.grad(loss, { gradStates: params, returnValue: true })(xb, yb);
        opt.update(grads);
        return value;
      };
    };
    const x = onGpu(tf.tensor2d(Array.from({ length: 32 * 64 }, (_, i) => Math.sin(i * 0.37)), [32, 64]));
    const y = onGpu(tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10));
    const unfused = bst.transform.jit(make());
    const fused = bst.transform.jit(make());
    withFusion(false, () => unfused.compile(x, y));
    withFusion(true, () => fused.compile(x, y));
    const lu: number[] = [];
    const lf: number[] = [];
    for (let k = 0; k < 3; k++) {
      const a = unfused(x, y);
      const b = fused(x, y);
      lu.push((await a.data())[0]);
      lf.push((await b.data())[0]);
      tf.dispose([a, b]);
    }
    const u = countDispatches(() => unfused(x, y).dispose()).dispatches;
    const f = countDispatches(() => fused(x, y).dispose()).dispatches;
    console.log(`      MLP 64-48-10 SGD step, batch 32: dispatches per step: jitted unfused ${u}, jitted fused ${f}`);
    expect(f).to.be.at.most(u - 10);
    expect(lf).to.deep.equal(lu);
    expect(lf[2]).to.be.lessThan(lf[0]);
    fused.clearCache();
    unfused.clearCache();
    tf.dispose([x, y]);
  });

  it('numTensors and tf.memory() stay flat over many fused jitted LIF calls', async function () {
    const calls = Number(process.env.BRAINSTATE_WGSL_FLAT_CALLS ?? 1000);
    this.timeout(Math.max(120000, calls * 60));
    const n = 4096;
    const input = onGpu(tf.linspace(0, 3, n));
    const v = new bst.HiddenState(tf.zeros([n]));
    const step = bst.transform.jit((x: tf.Tensor) => lifStep(v, x));
    withFusion(true, () => step.compile(input));
    step(input).dispose();
    await v.value.data();
    const before = tf.memory();
    const gpu = (m: tf.MemoryInfo) => m as tf.MemoryInfo & { numBytesInGPU: number; numBytesAllocatedInGPU: number };
    let warm = -1;
    for (let k = 0; k < calls; k++) {
      step(input).dispose();
      if (k % 500 === 499) await v.value.data(); // let the GPU keep up (SwiftShader queues minutes of work otherwise)
      if (k === (calls >> 1) - 1) {
        await v.value.data();
        warm = gpu(tf.memory()).numBytesAllocatedInGPU; // tfjs's pool, grown to what the calls need
      }
    }
    await v.value.data();
    const after = tf.memory();
    console.log(`      ${calls} fused calls: numTensors ${before.numTensors} -> ${after.numTensors}, numBytes ${before.numBytes} -> ${after.numBytes}`);
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
    step.clearCache();
    tf.dispose([input, v.value]);
  });
});
