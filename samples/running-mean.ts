/**
 * The seed's RunningMean: a module with two hidden states, updated at every call.
 *
 * Run: npm start
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { hidden } from 'brainstate-ts/decorators';

class RunningMean extends bst.nn.Module {
  sum = new bst.HiddenState(tf.scalar(0));
  @hidden count = tf.scalar(0, 'int32');

  call(batch: tf.Tensor): tf.Tensor {
    this.sum.value = tf.add(this.sum.value, tf.sum(batch));
    this.count = tf.add(this.count, tf.scalar(batch.size, 'int32'));
    return tf.div(this.sum.value, tf.cast(this.count, 'float32'));
  }
}

export async function main(): Promise<{ means: number[]; sum: number; count: number }> {
  const backendName = await bst.backend.init();
  console.log(`backend: ${backendName}`);
  const tracker = new RunningMean();
  const means: number[] = [];
  for (let step = 0; step < 3; step++) {
    const m = tf.tidy(() => tracker.call(tf.add(tf.range(0, 4), step)));
    const mean = (await m.data())[0]; // await: webgpu cannot read GPU data synchronously in Node
    m.dispose();
    means.push(mean);
    console.log(`step ${step}: mean=${mean.toFixed(2)}`);
  }
  const sum = (await tracker.sum.value.data())[0];
  const count = (await tracker.count.data())[0];
  console.log(`sum=${sum} count=${count}`);
  return { means, sum, count };
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
