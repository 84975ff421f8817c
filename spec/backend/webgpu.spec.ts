/**
 * The `webgpu` backend (tfjs-backend-webgpu on Dawn in Node; SwiftShader where there is no
 * GPU): jitted replay on GPU data with no synchronous read, the WGSL random kernels against
 * the JS ones, dispatches per jitted step, and clear errors where a synchronous read would
 * be needed. These run in the webgpu suite (`BRAINSTATE_BACKEND=webgpu`, a backend of
 * `npm test` where webgpu starts); on other backends they are skipped, saying so.
 *
 * Tensors here have at least 1,000 elements: tfjs-webgpu runs smaller ops whose inputs
 * are on the host on its CPU kernels, and these specs are about the GPU path.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { canReadSync, isOnDevice } from '../../src/backend/tfjs-engine';
import { countDispatches, uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { expectThrowsWith } from '../helpers';

const N = 4096;

/** One LIF Euler step (the bench's): 7 elementwise kernels. */
function lifStep(v: bst.HiddenState, input: tf.Tensor): tf.Tensor {
  const next = tf.add(v.value, tf.mul(0.01, tf.add(tf.neg(v.value), input)));
  const spike = tf.greaterEqual(next, 1);
  v.value = tf.where(spike, tf.zerosLike(next), next);
  return spike;
}

/** Runs `fn` on `name` (fresh tensors only: data cannot move off the GPU synchronously), then back on webgpu. */
async function onBackend<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await bst.backend.init(name);
  try {
    return await fn();
  } finally {
    await bst.backend.init('webgpu');
  }
}

/** A small MLP with dropout and its Adam training step (fresh weights from seed 7), and a batch. */
function mlpTrainer(): { step: (x: tf.Tensor, y: tf.Tensor) => tf.Scalar; x: tf.Tensor; y: tf.Tensor } {
  bst.random.seed(7);
  const net = new bst.nn.Sequential(new bst.nn.Linear(64, 48), new bst.nn.ReLU(), new bst.nn.Dropout(0.8),
    new bst.nn.Linear(48, 10));
  const params = net.states(bst.ParamState);
  const opt = new bst.optim.Adam(1e-2);
  opt.registerTrainableWeights(params);
  const x = tf.tensor2d(Array.from({ length: 32 * 64 }, (_, i) => Math.sin(i * 0.37)), [32, 64]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32'), 10);
  const loss = (xb: tf.Tensor, yb: tf.Tensor) => tf.losses.softmaxCrossEntropy(yb, net.call(xb) as tf.Tensor) as tf.Scalar;
  const step = (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
    const [grads, value] = bst.transform.grad(loss, { gradStates: params, returnValue: true })(xb, yb);
    opt.update(grads);
    return value;
  };
  return { step, x, y };
}

/** The losses of `steps` training steps of {@link mlpTrainer}, jitted or eager (in fit mode: dropout on). */
async function mlpLosses(steps: number, jit: boolean): Promise<number[]> {
  const { step, x, y } = mlpTrainer();
  const run = jit ? bst.transform.jit(step) : (xb: tf.Tensor, yb: tf.Tensor) => tf.tidy(() => step(xb, yb));
  const losses: number[] = [];
  await bst.environ.context({ fit: true }, async () => {
    for (let i = 0; i < steps; i++) {
      const l = run(x, y);
      losses.push((await l.data())[0]);
      l.dispose();
    }
  });
  return losses;
}

describe('backend: webgpu', () => {
  before(function () {
    if (bst.backend.name() !== 'webgpu') {
      console.log(`      webgpu specs run in the webgpu suite (BRAINSTATE_BACKEND=webgpu); this run is on ${bst.backend.name()}`);
      this.skip();
    }
    const a = bst.backend.webgpuAdapter()!;
    console.log(`      webgpu adapter: ${a.description} (${a.software ? 'software' : 'hardware'}, ${a.source})`);
  });

  it('describes its adapter (backend.webgpuAdapter)', () => {
    const a = bst.backend.webgpuAdapter();
    expect(a).to.not.equal(undefined);
    expect(a!.description).to.be.a('string').and.not.equal('');
    expect(a!.software).to.be.a('boolean');
    expect(a!.featureLevel).to.be.oneOf(['core', 'compatibility']);
  });

  it('a jitted LIF step replays on GPU data with no synchronous read, equal to eager bit for bit', async () => {
    const input = tf.linspace(0, 3, N);
    const vEager = new bst.HiddenState(tf.zeros([N]));
    const vJit = new bst.HiddenState(tf.zeros([N]));
    const step = bst.transform.jit((i: tf.Tensor) => lifStep(vJit, i));
    for (let k = 0; k < 5; k++) {
      tf.tidy(() => { lifStep(vEager, input); });
      step(input).dispose();
    }
    // The states live on the GPU: a synchronous read anywhere in those calls would have thrown.
    expect(canReadSync(vJit.value)).to.equal(false);
    expect(Array.from(await vJit.value.data())).to.deep.equal(Array.from(await vEager.value.data()));
    expect(step.traceCount).to.equal(1);
    step.clearCache();
    tf.dispose([input, vEager.value, vJit.value]);
  });

  it('dispatches per step: the unfused jitted LIF and MLP steps dispatch no more GPU programs than eager', async () => {
    const input = tf.linspace(0, 3, N);
    const vEager = new bst.HiddenState(tf.zeros([N]));
    const vJit = new bst.HiddenState(tf.zeros([N]));
    const step = bst.transform.jit((i: tf.Tensor) => lifStep(vJit, i));
    step(input).dispose(); // trace
    tf.tidy(() => { lifStep(vEager, input); });
    const eager = countDispatches(() => tf.tidy(() => { lifStep(vEager, input); })).dispatches;
    const jitted = countDispatches(() => step(input).dispose()).dispatches;
    console.log(`      LIF N=${N}: ${eager} dispatches per eager step, ${jitted} per jitted (unfused) step`);
    expect(eager).to.be.greaterThan(0);
    expect(jitted).to.be.at.most(eager);
    step.clearCache();
    tf.dispose([input, vEager.value, vJit.value]);

    const mlp = mlpTrainer();
    const mlpJit = bst.transform.jit(mlp.step);
    bst.environ.context({ fit: true }, () => {
      mlpJit(mlp.x, mlp.y).dispose(); // trace
      tf.tidy(() => { mlp.step(mlp.x, mlp.y); });
      const e = countDispatches(() => tf.tidy(() => { mlp.step(mlp.x, mlp.y); })).dispatches;
      const j = countDispatches(() => mlpJit(mlp.x, mlp.y).dispose()).dispatches;
      console.log(`      MLP 64-48-10 (Adam, dropout), batch 32: ${e} dispatches per eager step, ${j} per jitted (unfused) step`);
      expect(j).to.be.at.most(e);
    });
    mlpJit.clearCache();
  });

  it('a jitted MLP step (Adam, dropout through the WGSL random kernels) gives the losses of cpu', async function () {
    this.timeout(300000);
    const cpu = await onBackend('cpu', () => mlpLosses(4, true));
    const eager = await mlpLosses(4, false);
    const jitted = await mlpLosses(4, true);
    for (let i = 0; i < cpu.length; i++) {
      expect(Math.abs(jitted[i] - cpu[i]), `step ${i}: webgpu ${jitted[i]}, cpu ${cpu[i]}`).to.be.at.most(1e-5 * Math.abs(cpu[i]) + 1e-6);
      expect(jitted[i], `step ${i}: jitted vs eager on webgpu`).to.equal(eager[i]);
    }
    expect(jitted[3]).to.be.lessThan(jitted[0]);
  });

  it('random draws equal the JS kernels: bits, keys, uniform and randint exactly, normal within 2 ulp', async () => {
    const draw = async () => {
      const key = bst.random.prngKey(2024);
      const out = {
        keys: Array.from(await bst.random.split(key, 5).data()),
        uniform: Array.from(await bst.random.uniform([N], { key, minval: -3, maxval: 4 }).data()),
        randint: Array.from(await bst.random.randint(-50, 1000, [N], { key }).data()),
        normal: Array.from(await bst.random.normal([N], { key }).data()),
        truncated: Array.from(await bst.random.truncatedNormal(-1, 2, [N], { key }).data()),
      };
      return out;
    };
    const cpu = await onBackend('cpu', draw);
    const gpu = await draw();
    expect(gpu.keys).to.deep.equal(cpu.keys);
    expect(gpu.uniform).to.deep.equal(cpu.uniform);
    expect(gpu.randint).to.deep.equal(cpu.randint);
    for (const k of ['normal', 'truncated'] as const) {
      gpu[k].forEach((g, i) => {
        const c = cpu[k][i];
        expect(Math.abs(g - c), `${k}[${i}]: webgpu ${g}, cpu ${c}`).to.be.at.most(2.4e-7 * Math.max(1, Math.abs(c)));
      });
    }
  });

  it('tf.unstack / tf.stack of int32 GPU data are exact beyond 2^24 (random keys depend on it)', async () => {
    // 1,500 keys made on the GPU by the WGSL split kernel: full-range int32 bit patterns.
    const keys = bst.random.split(bst.random.prngKey(99), 1500);
    expect(canReadSync(keys)).to.equal(false);
    const all = Array.from(await keys.data());
    expect(all.some((v) => Math.abs(v) > 2 ** 24)).to.equal(true);
    const rows = tf.unstack(keys);
    for (const i of [0, 1, 777, 1499]) expect(Array.from(await rows[i].data())).to.deep.equal(all.slice(2 * i, 2 * i + 2));
    const back = tf.stack(rows.slice(0, 3));
    expect(Array.from(await back.data())).to.deep.equal(all.slice(0, 6));
    tf.dispose([keys, back, ...rows]);
  });

  it('tf.unstack along inner axes of int32 and bool data is exact beyond 2^24, GPU and host data (an unrolled scan splits its xs so)', async () => {
    // Fuzz seed 10005859: the jit's unrolled scan unstacks its xs, reshaped to [blocks, k, ...],
    // along axis 1; tfjs-webgpu's Unpack slices through its own Slice program, which moved int32
    // through f32 (-16777217 became -16777216) where eager's rows are exact.
    const values = Array.from({ length: 1200 }, (_, i) =>
      [2147483646, 16777217, -16777217, -2147483648][i % 4] - (i % 7) * (i % 4 === 3 ? -1 : 1));
    const cases: [number[], number][] = [[[40, 30], 1], [[1, 2, 600], 1], [[10, 12, 10], 2], [[10, 12, 10], -2],
      [[2, 3, 4, 50], 3], [[2, 3, 4, 5, 10], 2], [[2, 3, 5], 1]];
    for (const [shape, axis] of cases) {
      const data = values.slice(0, shape.reduce((a, b) => a * b, 1));
      // The expected values: tfjs-cpu's Unpack of the same values.
      const want = await onBackend('cpu', async () =>
        Promise.all(tf.unstack(tf.tensor(data, shape, 'int32'), axis).map(async (t) => Array.from(await t.data()))));
      for (const onGpu of [true, false]) {
        const x = tf.tensor(data, shape, 'int32');
        if (onGpu) uploadToGpu(tf.backend(), x.dataId);
        expect(isOnDevice(x)).to.equal(onGpu);
        const pieces = tf.unstack(x, axis);
        expect(pieces).to.have.length(want.length);
        for (const [i, p] of pieces.entries()) {
          expect(p.shape).to.deep.equal(shape.filter((_, k) => k !== (axis + shape.length) % shape.length));
          expect(Array.from(await p.data()), `unstack of ${shape} along ${axis}, piece ${i}, ${onGpu ? 'GPU' : 'host'} data`)
            .to.deep.equal(want[i]);
        }
        const bits = tf.unstack(tf.greater(x, tf.scalar(0, 'int32')), axis);
        for (const [i, b] of bits.entries()) expect(Array.from(await b.data())).to.deep.equal(want[i].map((v) => (v > 0 ? 1 : 0)));
        tf.dispose([x, ...pieces, ...bits]);
      }
    }
  });

  it('tf.stack along other axes and tf.concat of int32 GPU data are exact beyond 2^24 (an unrolled scan joins its ys so)', async () => {
    // Fuzz seed 1325193: the jit's unrolled scan stacks its ys along axis 1 and concats a remainder's;
    // tfjs-webgpu's Concat program moved them through f32, where eager's Pack along axis 0 is exact.
    // Made on the GPU by the WGSL split kernel (tfjs-webgpu's own Slice program moved int32 through f32 too).
    const [a, b, a1, b1] = [700, 800, 100, 100].map((n, k) => bst.random.split(bst.random.prngKey(5 + k), n));
    expect(canReadSync(a)).to.equal(false);
    const [va, vb, va1, vb1] = await Promise.all([a, b, a1, b1].map(async (t) => Array.from(await t.data())));
    expect([...va, ...vb].some((v) => Math.abs(v) > 2 ** 24)).to.equal(true);
    const rowsOf = (v: number[]) => Array.from({ length: v.length / 2 }, (_, i) => v.slice(2 * i, 2 * i + 2));
    const cat0 = tf.concat([a, b]);
    expect(Array.from(await cat0.data())).to.deep.equal([...va, ...vb]);
    const cat1 = tf.concat([a1, b1], 1);
    const [ra, rb] = [rowsOf(va1), rowsOf(vb1)];
    expect(Array.from(await cat1.data())).to.deep.equal(ra.flatMap((r, i) => [...r, ...rb[i]]));
    const st1 = tf.stack([a1, b1], 1);
    expect(st1.shape).to.deep.equal([100, 2, 2]);
    expect(Array.from(await st1.data())).to.deep.equal(ra.flatMap((r, i) => [...r, ...rb[i]]));
    const st2 = tf.stack([a1, b1], -1);
    expect(Array.from(await st2.data())).to.deep.equal(ra.flatMap((r, i) => [r[0], rb[i][0], r[1], rb[i][1]]));
    tf.dispose([a, b, a1, b1, cat0, cat1, st1, st2]);
  });

  it('tf.slice of int32 and bool GPU data is exact beyond 2^24, at any rank (vmap\'s lanes are slices)', async () => {
    // Fuzz seed 2007636: lane by lane, each lane is a tf.slice of the mapped argument, which a
    // dead kernel had uploaded; tfjs-webgpu's Slice program moved int32 through f32 (16777217
    // became 16777216) where vmap's batched kernels read the argument whole.
    const keys = bst.random.split(bst.random.prngKey(11), 1500);
    expect(canReadSync(keys)).to.equal(false);
    const all = Array.from(await keys.data());
    expect(all.some((v) => Math.abs(v) > 2 ** 24 && Math.fround(v) !== v)).to.equal(true);
    const cases: [number[], number[], number[]][] = [
      [[3000], [7], [2990]], [[1500, 2], [3, 1], [1400, 1]], [[10, 15, 20], [1, 2, 3], [8, 10, 16]],
      [[2, 5, 3, 5, 20], [1, 0, 2, 1, 4], [1, 5, 1, 3, 9]],
    ];
    for (const [shape, begin, size] of cases) {
      const x = tf.reshape(keys, shape);
      // The expected values: tfjs-cpu's Slice of the same values.
      const wantValues = await onBackend('cpu', async () =>
        Array.from(await tf.slice(tf.tensor(all, shape, 'int32'), begin, size).data()));
      const got = tf.slice(x, begin, size);
      expect(got.shape).to.deep.equal(size);
      expect(Array.from(await got.data()), `slice of ${shape} at ${begin}`).to.deep.equal(wantValues);
      const bits = tf.slice(tf.cast(x, 'bool'), begin, size);
      expect(Array.from(await bits.data())).to.deep.equal(wantValues.map((v) => (v !== 0 ? 1 : 0)));
      tf.dispose([x, got, bits]);
    }
    keys.dispose();
  });

  it('tf.tile and tf.broadcastTo of int32 and bool GPU data are exact beyond 2^24, at ranks 1 to 4 (vmap broadcasts so)', async () => {
    // Fuzz seed 3902200: vmap broadcasts a result no lane changes onto the batch through a
    // tile, where the lanes' results are stacked by the exact Pack; tfjs-webgpu's Tile program
    // moved int32 through f32 (2147483646 became 2147483520).
    const keys = bst.random.split(bst.random.prngKey(13), 1500);
    expect(canReadSync(keys)).to.equal(false);
    const all = Array.from(await keys.data());
    expect(all.some((v) => Math.abs(v) > 2 ** 24 && Math.fround(v) !== v)).to.equal(true);
    const cases: [number[], number[]][] = [
      [[3000], [2]], [[1500, 2], [1, 3]], [[1, 5, 600], [3, 1, 2]], [[6, 1, 5, 100], [1, 4, 1, 2]], [[2, 3, 500], [1, 1, 1]],
    ];
    for (const [shape, reps] of cases) {
      const x = tf.reshape(keys, shape);
      // The expected values: tfjs-cpu's Tile of the same values.
      const wantValues = await onBackend('cpu', async () => Array.from(await tf.tile(tf.tensor(all, shape, 'int32'), reps).data()));
      const got = tf.tile(x, reps);
      expect(got.shape).to.deep.equal(shape.map((d, k) => d * reps[k]));
      expect(Array.from(await got.data()), `tile of ${shape} by ${reps}`).to.deep.equal(wantValues);
      const bits = tf.tile(tf.cast(x, 'bool'), reps);
      expect(Array.from(await bits.data())).to.deep.equal(wantValues.map((v) => (v !== 0 ? 1 : 0)));
      tf.dispose([x, got, bits]);
    }
    const row = tf.reshape(keys, [1, 3000]);
    const wide = tf.broadcastTo(row, [2, 3000]);
    expect(Array.from(await wide.data())).to.deep.equal([...all, ...all]);
    tf.dispose([keys, row, wide]);
  });

  it('tf.reverse of int32 and bool data is exact beyond 2^24, at ranks 1 to 4, and a reverse scan over random keys returns them', async () => {
    // tfjs-webgpu's Reverse program (GPU only, no CPU form) moved int32 through f32; a reverse
    // scan reverses its xs with it, eagerly and under jit, where each row alone is an exact slice.
    const keys = bst.random.split(bst.random.prngKey(17), 600);
    expect(canReadSync(keys)).to.equal(false);
    const all = Array.from(await keys.data());
    expect(all.some((v) => Math.abs(v) > 2 ** 24 && Math.fround(v) !== v)).to.equal(true);
    const cases: [number[], number[]][] = [[[1200], [0]], [[600, 2], [0]], [[20, 60], [1]], [[4, 5, 60], [0, 2]],
      [[2, 3, 4, 50], [1, 3]], [[2, 3, 4, 50], [0, 1, 2, 3]]];
    for (const [shape, dims] of cases) {
      const wantValues = await onBackend('cpu', async () => Array.from(await tf.reverse(tf.tensor(all, shape, 'int32'), dims).data()));
      for (const onGpu of [true, false]) {
        // Host data too: tfjs runs its Reverse program on the GPU for any data.
        const x = onGpu ? tf.reshape(keys, shape) : tf.tensor(all, shape, 'int32');
        const got = tf.reverse(x, dims);
        expect(Array.from(await got.data()), `reverse of ${shape} along ${dims}`).to.deep.equal(wantValues);
        const bits = tf.reverse(tf.cast(x, 'bool'), dims);
        expect(Array.from(await bits.data())).to.deep.equal(wantValues.map((v) => (v !== 0 ? 1 : 0)));
        tf.dispose([x, got, bits]);
      }
    }
    // ys come back in the xs' order (jax's reverse scan): here the keys themselves.
    const f = (xs: tf.Tensor) => bst.transform.scan((c: tf.Tensor, x: tf.Tensor) => [c, x] as [tf.Tensor, tf.Tensor],
      tf.scalar(0, 'int32'), xs, { reverse: true })[1] as tf.Tensor;
    const want = all;
    const eager = f(keys);
    expect(Array.from(await eager.data())).to.deep.equal(want);
    const jitted = bst.transform.jit(f);
    for (let call = 0; call < 2; call++) {
      const y = await jitted.callAsync(keys) as tf.Tensor;
      expect(Array.from(await y.data()), `jitted reverse scan, call ${call}`).to.deep.equal(want);
      y.dispose();
    }
    tf.dispose([keys, eager]);
  });

  it('tf.transpose of int32 and bool data is exact beyond 2^24: the 2-D swap and other permutations, GPU and host data', async () => {
    // Fuzz seed 5512255: vmap moves a batch axis to the front through a 2-D Transpose, where each
    // lane is a slice read as it is; tfjs-webgpu's 2-D program goes through an f32 workgroup tile
    // (2147483647 became 2147483520). Its program for other permutations is exact (checked here too).
    const values = Array.from({ length: 1200 }, (_, i) =>
      [2147483647, 16777217, -16777217, -2147483648][i % 4] - (i % 7) * (i % 4 === 3 ? -1 : 1));
    const cases: [number[], number[]][] = [[[40, 30], [1, 0]], [[1, 1200], [1, 0]], [[5, 5], [1, 0]], [[40, 30], [0, 1]],
      [[10, 12, 10], [2, 0, 1]], [[10, 12, 10], [0, 2, 1]], [[2, 3, 4, 50], [3, 1, 0, 2]]];
    for (const [shape, perm] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = values.slice(0, n);
      // The expected values: tfjs-cpu's Transpose of the same values.
      const wantValues = await onBackend('cpu', async () => Array.from(await tf.transpose(tf.tensor(data, shape, 'int32'), perm).data()));
      expect(wantValues.filter((v) => v === 2147483647)).to.have.length(Math.ceil(n / 28));
      for (const onGpu of [true, false]) {
        const x = tf.tensor(data, shape, 'int32');
        // Uploaded, so tfjs runs its programs (a [5, 5] of host data runs on its CPU forms otherwise).
        if (onGpu) uploadToGpu(tf.backend(), x.dataId);
        expect(isOnDevice(x)).to.equal(onGpu);
        const got = tf.transpose(x, perm);
        expect(got.shape).to.deep.equal(perm.map((k) => shape[k]));
        expect(Array.from(await got.data()), `transpose of ${shape} by ${perm}, ${onGpu ? 'GPU' : 'host'} data`).to.deep.equal(wantValues);
        const bits = tf.transpose(tf.greater(x, tf.scalar(0, 'int32')), perm);
        expect(Array.from(await bits.data())).to.deep.equal(wantValues.map((v) => (v > 0 ? 1 : 0)));
        tf.dispose([x, got, bits]);
      }
    }
  });

  it('a synchronous read of GPU data is a BackendError naming await t.data()', () => {
    const t = tf.linspace(0, 1, N).mul(2);
    expect(canReadSync(t)).to.equal(false);
    expectThrowsWith(() => t.dataSync(), bst.BackendError, 'Tensor.dataSync()', 'await t.data()');
    expectThrowsWith(() => t.arraySync(), bst.BackendError, 'Tensor.arraySync()');
    t.dispose();
  });

  it('a jitted whileLoop whose predicate is on the GPU is a BackendError naming the way out', () => {
    const x = tf.linspace(0, 1, N);
    const f = bst.transform.jit((t: tf.Tensor) => bst.transform.whileLoop(
      ([s]: tf.Tensor[]) => tf.less(tf.sum(s), 1e6), ([s]: tf.Tensor[]) => [tf.mul(s, 2)], [t]));
    expectThrowsWith(() => f(x), bst.BackendError, 'whileLoop', 'callAsync', 'wasm or cpu');
    x.dispose();
  });

  it('numTensors and numBytes stay flat over 1,000 jitted LIF steps', async function () {
    this.timeout(300000);
    const input = tf.linspace(0, 3, N);
    const v = new bst.HiddenState(tf.zeros([N]));
    const step = bst.transform.jit((i: tf.Tensor) => lifStep(v, i));
    step(input).dispose();
    await v.value.data();
    const before = tf.memory();
    for (let k = 0; k < 1000; k++) step(input).dispose();
    await v.value.data();
    const after = tf.memory();
    expect(after.numTensors).to.equal(before.numTensors);
    expect(after.numBytes).to.equal(before.numBytes);
    step.clearCache();
    tf.dispose([input, v.value]);
  });
});
