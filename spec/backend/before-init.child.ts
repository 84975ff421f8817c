/**
 * Child process of init.spec.ts: uses brainstate-ts before (or without) `backend.init()`
 * and prints what happened as one JSON line; warnings go to stderr.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only \
 *        spec/backend/before-init.child.ts <late-init|no-init|init-first>
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../../src';

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === 'init-first') await bst.backend.init('wasm');
  const s = new bst.HiddenState(tf.tensor1d([1, 2, 3]));
  new bst.ParamState(tf.scalar(1));
  const step = bst.transform.jit((x: tf.Tensor) => {
    s.value = tf.add(s.value, x);
    return tf.exp(s.value);
  });
  const before = [step(tf.ones([3])), step(tf.ones([3]))].map((t) => Array.from(t.dataSync()));
  const backendBefore = tf.getBackend();
  if (mode === 'late-init') await bst.backend.init('wasm');
  const after = [step(tf.ones([3])), step(tf.ones([3]))].map((t) => Array.from(t.dataSync()));
  const eager = Array.from(tf.exp(tf.add(s.value, 0)).dataSync());
  process.stdout.write(JSON.stringify({
    backendBefore, backendAfter: tf.getBackend(), before, after, state: Array.from(s.value.dataSync()),
    eager, traceCount: step.traceCount,
  }) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
