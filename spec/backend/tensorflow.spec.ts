/**
 * A smoke test of the native `tensorflow` backend (tfjs-node-gpu / tfjs-node): a jitted
 * stateful step that replays, `jit(grad(...))` against eager gradients, and a checkpoint
 * round trip. Where neither package loads it prints why and is skipped; the whole suite
 * runs on the backend with `BRAINSTATE_BACKEND=tensorflow npm test`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { whyUnavailable } from '../../src/backend';
import { assertMaxTraces, expectTensorClose, noLeaks } from 'brainstate-ts/testing';

/** What tfjs-node's backend object says about itself (duck-typed: it is not in tfjs's types). */
interface NodeBackendInfo {
  isGPUPackage?: boolean;
  isUsingGpuDevice?: boolean;
  binding?: { TF_Version?: string };
}

describe('backend: tensorflow (tfjs-node-gpu / tfjs-node)', () => {
  let previous: string | undefined;

  before(async function () {
    const why = whyUnavailable('tensorflow');
    if (why !== undefined) {
      console.log(`      tensorflow backend smoke test skipped: ${why}`);
      this.skip();
    }
    previous = bst.backend.name();
    if (previous !== 'tensorflow') await bst.backend.init('tensorflow');
    const info = tf.backend() as unknown as NodeBackendInfo;
    console.log(`      tensorflow backend: libtensorflow ${info.binding?.TF_Version ?? '?'}, ` +
      `package ${info.isGPUPackage === true ? 'tfjs-node-gpu' : 'tfjs-node'}, GPU in use: ${info.isUsingGpuDevice === true}`);
  });

  after(async () => {
    if (previous !== undefined && previous !== 'tensorflow') await bst.backend.init(previous);
  });

  it('runs on the tensorflow backend', () => {
    expect(bst.backend.name()).to.equal('tensorflow');
  });

  it('jit traces a stateful leaky integrator once and replays it, without leaks', () => {
    const v = new bst.HiddenState(tf.zeros([4]));
    const step = bst.transform.jit((x: tf.Tensor) => {
      v.value = tf.add(tf.mul(v.value, 0.9), x);
      return tf.sum(v.value);
    });
    const x = tf.tensor1d([1, 2, 3, 4]);
    const total = noLeaks(() => step(x), { times: 5 });
    // v after 6 calls: x * (1 - 0.9^6) / 0.1
    expectTensorClose(v.value, tf.mul(x, (1 - 0.9 ** 6) / 0.1), { rtol: 1e-5 });
    expectTensorClose(total, tf.sum(v.value));
    assertMaxTraces(step, 1);
  });

  it('jit(grad) of a state loss matches eager gradients', () => {
    const w = new bst.ParamState(tf.tensor2d([[0.5, -1], [2, 0.25]]));
    const x = tf.tensor2d([[1, 2], [3, 4]]);
    const loss = (): tf.Tensor => tf.mean(tf.square(tf.matMul(x, w.value)));
    const g = bst.transform.grad(loss, { gradStates: w });
    const eager = g() as tf.Tensor;
    const jitted = bst.transform.jit(() => g() as tf.Tensor);
    expectTensorClose(jitted(), eager, { rtol: 1e-5 });
    expectTensorClose(jitted(), eager, { rtol: 1e-5 });
    assertMaxTraces(jitted, 1);
  });

  it('saves and loads a checkpoint bit for bit', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-tf-'));
    try {
      const a = new bst.ParamState(tf.randomNormal([16, 8], 0, 1, 'float32', 3));
      const b = new bst.ParamState(tf.zeros([16, 8]));
      const file = path.join(dir, 'w.safetensors');
      bst.checkpoint.save(file, new bst.NestedDict({ w: a }));
      bst.checkpoint.load(file, new bst.NestedDict({ w: b }));
      expect(Buffer.from((b.value.dataSync() as Float32Array).buffer)
        .equals(Buffer.from((a.value.dataSync() as Float32Array).buffer))).to.equal(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
