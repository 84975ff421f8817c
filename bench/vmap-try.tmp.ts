import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { timeCase } from './harness';
import { vmapLifCase, perExampleGradCase, mlpPerExample, leaves } from './vmap';
async function main() {
  await bst.backend.init(process.argv[2] ?? 'cpu');
  const { grad } = mlpPerExample(0);
  const x = tf.randomNormal([4, 784]); const y = tf.oneHot(tf.tensor1d([1, 2, 3, 4], 'int32'), 10).toFloat();
  const g = bst.transform.vmap((a: tf.Tensor, b: tf.Tensor) => grad(a, b))(x, y);
  const l = leaves(g); console.log(l.map((t) => t.shape));
  const ref = [0,1,2,3].map((i) => leaves(grad(tf.unstack(x)[i], tf.unstack(y)[i])));
  l.forEach((t, k) => { const want = tf.stack(ref.map((r) => r[k])); console.log(k, tf.max(tf.abs(tf.sub(t, want))).dataSync()[0]); });
  for (const c of [vmapLifCase(), perExampleGradCase()]) console.log(JSON.stringify(timeCase(c, process.argv[2] ?? 'cpu', 3)));
}
main().catch((e) => { console.error(e); process.exit(1); });
