/**
 * Issue 15: a generated WGSL program never binds more storage buffers than the device
 * accepts (`maxStorageBuffersPerShaderStage`: 8 by default, which the device here gives; a
 * browser's compatibility-mode device may give 4). A program over the limit fails WebGPU's
 * validation, and the whole command buffer with it. The limit is read from the device when
 * a program is compiled; these specs compile under a forced lower limit (as on such a
 * device) and count the storage buffers of every bind group created.
 *
 * Runs in the webgpu suite only; reads are asynchronous.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { countDispatches, uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { wgslStorageBufferLimit, withStorageBufferLimit } from '../../src/compiler/fusion/codegen-wgsl';
import { runOnlyInWebgpuSuite } from '../helpers';

interface BindGroupEntry { resource?: { buffer?: { usage: number } } }
interface DeviceLike {
  limits: { maxStorageBuffersPerShaderStage: number };
  createBindGroup(desc: { entries: BindGroupEntry[] }): unknown;
}

const STORAGE = 0x80; // GPUBufferUsage.STORAGE

/** Runs `fn`; returns the most storage buffers one bind group created meanwhile held. */
function mostStorageBuffers(fn: () => void): number {
  const device = (tf.backend() as unknown as { device: DeviceLike }).device;
  const create = device.createBindGroup;
  let most = 0;
  device.createBindGroup = function (this: DeviceLike, desc) {
    most = Math.max(most, desc.entries.filter((e) => ((e.resource?.buffer?.usage ?? 0) & STORAGE) !== 0).length);
    return create.call(this, desc);
  };
  try {
    fn();
  } finally {
    device.createBindGroup = create;
  }
  return most;
}

const onGpu = <T extends tf.Tensor>(t: T): T => { uploadToGpu(tf.backend(), t.dataId); return t; };

async function expectSameBits(got: tf.Tensor, want: tf.Tensor, what: string): Promise<void> {
  const [g, w] = [await got.data(), await want.data()];
  expect(g.length, what).to.equal(w.length);
  for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) expect.fail(`${what}: element ${i} is ${g[i]}, eagerly ${w[i]}`);
}

describe('issue 15: generated WGSL programs bind at most the device\'s storage buffers', () => {
  runOnlyInWebgpuSuite('storage-buffer limit specs');

  it('the limit is the device\'s maxStorageBuffersPerShaderStage', () => {
    const device = (tf.backend() as unknown as { device: DeviceLike }).device;
    expect(wgslStorageBufferLimit()).to.equal(device.limits.maxStorageBuffersPerShaderStage);
    expect(withStorageBufferLimit(4, () => wgslStorageBufferLimit())).to.equal(4);
  });

  it('an elementwise group of 5 inputs: one program at the device\'s limit; at a limit of 4, none binds more, same bits', async () => {
    const n = 1200;
    const xs = [1, 2, 3, 4, 5].map((k) => onGpu(tf.tensor1d(Array.from({ length: n }, (_, i) => Math.sin(i * k) * k))));
    const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor, e: tf.Tensor) =>
      tf.add(tf.mul(tf.sub(a, b), tf.add(c, d)), tf.div(e, tf.add(tf.abs(a), 1)));
    const want = f(xs[0], xs[1], xs[2], xs[3], xs[4]);
    for (const limit of [undefined, 4, 3]) {
      const j = bst.transform.jit(f);
      const compile = () => j.compile(xs[0], xs[1], xs[2], xs[3], xs[4]);
      if (limit === undefined) compile();
      else withStorageBufferLimit(limit, compile);
      let got: tf.Tensor | undefined;
      let dispatches = 0;
      const most = mostStorageBuffers(() => { dispatches = countDispatches(() => { got = j(xs[0], xs[1], xs[2], xs[3], xs[4]); }).dispatches; });
      await expectSameBits(got!, want, `limit ${limit ?? 'of the device'}`);
      expect(most, `storage buffers of one program, limit ${limit ?? 'of the device'}`).to.be.at.most(limit ?? wgslStorageBufferLimit());
      if (limit === undefined) expect(dispatches, 'one fused program').to.equal(1);
      else expect(dispatches, 'the group runs as smaller programs').to.be.above(1);
      got!.dispose();
      j.clearCache();
    }
    tf.dispose([...xs, want]);
  });

  it('an optimiser-like update of three states of different shapes: one merged program, or one per state at a limit of 4', async () => {
    const shapes = [[32, 40], [1024], [40, 30]];
    const make = () => shapes.map((s, k) => new bst.ParamState(onGpu(tf.tidy(() => tf.mul(tf.ones(s), k + 1)))));
    const grads = shapes.map((s, k) => onGpu(tf.tidy(() => tf.sin(tf.mul(tf.range(0, tf.util.sizeFromShape(s)), k + 0.5)).reshape(s))));
    const step = (ps: bst.ParamState[]) => (...gs: tf.Tensor[]) => { ps.forEach((p, k) => { p.value = tf.sub(p.value, tf.mul(gs[k], 0.1)); }); };
    const eager = make();
    tf.tidy(() => step(eager)(...grads));
    for (const limit of [undefined, 4]) {
      const ps = make();
      const j = bst.transform.jit(step(ps));
      const compile = () => j.compile(...grads);
      if (limit === undefined) compile();
      else withStorageBufferLimit(limit, compile);
      let dispatches = 0;
      const most = mostStorageBuffers(() => { dispatches = countDispatches(() => j(...grads)).dispatches; });
      for (let k = 0; k < shapes.length; k++) await expectSameBits(ps[k].value, eager[k].value, `state ${k}, limit ${limit ?? 'of the device'}`);
      expect(most, `storage buffers of one program, limit ${limit ?? 'of the device'}`).to.be.at.most(limit ?? wgslStorageBufferLimit());
      expect(dispatches, `dispatches, limit ${limit ?? 'of the device'}`).to.equal(limit === undefined ? 1 : 3);
      j.clearCache();
      tf.dispose(ps.map((p) => p.value));
    }
    tf.dispose([...grads, ...eager.map((p) => p.value)]);
  });
});
