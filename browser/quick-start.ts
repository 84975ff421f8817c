/**
 * The README's quick start, as a function the browser check runs (compiled here with
 * standard decorators, as Vite and esbuild compile an app by default).
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { hidden, jit, jitted, param } from 'brainstate-ts/decorators';

class RunningMean extends bst.nn.Module {
  sum = new bst.HiddenState(tf.scalar(0));
  @hidden count = tf.scalar(0, 'int32');

  call(batch: tf.Tensor): tf.Tensor {
    this.sum.value = tf.add(this.sum.value, tf.sum(batch));
    this.count = tf.add(this.count, tf.scalar(batch.size, 'int32'));
    return tf.div(this.sum.value, tf.cast(this.count, 'float32'));
  }

  @jit() step(batch: tf.Tensor): tf.Tensor {
    return this.call(batch);
  }
}

class TinyLinear extends bst.nn.Module {
  @param weight = tf.tensor2d([[1]]);
  @param bias = tf.tensor1d([0]);
  call(x: tf.Tensor): tf.Tensor { return tf.add(tf.matMul(x, this.weight), this.bias); }
}

/**
 * What the quick start prints, as values: eager means, jitted means, trace count, the weight
 * state. Values are read with `await data()`: on webgpu in Chromium a synchronous read
 * (tfjs-webgpu's OffscreenCanvas path) works, but later asynchronous reads then fail
 * ("A valid external Instance reference no longer exists", Chromium 156 on SwiftShader).
 */
export async function quickStart(): Promise<{ means: number[]; jitMeans: number[]; traces: number; weight: string }> {
  const tracker = new RunningMean();
  const means: number[] = [];
  for (let step = 0; step < 3; step++) means.push((await tracker.call(tf.add(tf.range(0, 4), step)).data())[0]);
  const jitted3 = new RunningMean();
  const jitMeans: number[] = [];
  for (let step = 0; step < 3; step++) jitMeans.push((await jitted3.step(tf.add(tf.range(0, 4), step)).data())[0]);
  const lin = new TinyLinear();
  return { means, jitMeans, traces: jitted(jitted3.step).traceCount, weight: bst.stateOf(lin, 'weight').toString() };
}
