/**
 * One SGD training step of a small conv net on MNIST-sized images (batch 64, 28x28x1):
 * Conv2d 3x3 1->16 stride 2, ReLU, Conv2d 3x3 16->32 stride 2, ReLU, Flatten, Linear
 * 1568->10 (strided convolutions instead of pooling, so @jax-js/jax, which has `conv`,
 * runs the very same network). Eager vs jit vs @jax-js/jax's jit(valueAndGrad).
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case, Variant } from '../harness';
import { JaxArray, loadJax } from '../peers';
import { eagerVariant, jitVariant, sgdStep, Step } from './train-step';

const LR = 0.01;

function convNet(seed: number): { step: Step; init: tf.Tensor[] } {
  bst.random.seed(seed);
  const nn = bst.nn;
  const net = new nn.Sequential(
    new nn.Conv2d([28, 28, 1], 16, 3, { stride: 2, bInit: 0 }), new nn.ReLU(),
    new nn.Conv2d([14, 14, 16], 32, 3, { stride: 2, bInit: 0 }), new nn.ReLU(),
    new nn.Flatten(1), new nn.Linear(7 * 7 * 32, 10));
  const params = net.states(bst.ParamState);
  const init = params.toFlat().values().flatMap((s) => {
    const v = s.value as unknown as { weight: tf.Tensor; bias: tf.Tensor };
    return [v.weight, v.bias];
  });
  return { step: sgdStep((x) => net.call(x), params, LR), init };
}

type JaxNs = {
  numpy: { array(v: Float32Array, o: { shape: number[] }): JaxArray; matmul(a: JaxArray, b: JaxArray): JaxArray;
    reshape(a: JaxArray, s: number[]): JaxArray; transpose(a: JaxArray, p: number[]): JaxArray };
  nn: { relu(x: JaxArray): JaxArray; logSoftmax(x: JaxArray, axis: number): JaxArray };
  lax: { conv(lhs: JaxArray, rhs: JaxArray, strides: number[], padding: string): JaxArray };
  jit<F>(f: F): F;
  valueAndGrad<F>(f: F): F;
};
type Sum = JaxArray & { sum(): JaxArray };
type P = JaxArray[];

/** The same network in @jax-js/jax (NCHW, kernels OIHW), from the same initial weights. */
async function jaxVariant(init: tf.Tensor[], x: tf.Tensor, y: tf.Tensor, batch: number): Promise<Variant | undefined> {
  const jax = (await loadJax()) as unknown as JaxNs | null;
  if (jax === null) return undefined;
  const { numpy: np, nn, lax } = jax;
  const arr = (t: tf.Tensor): JaxArray => np.array(t.dataSync() as Float32Array, { shape: t.shape.slice() });
  const oihw = (t: tf.Tensor) => arr(tf.tidy(() => tf.transpose(t, [3, 2, 0, 1])));
  const chw = (t: tf.Tensor) => arr(tf.tidy(() => tf.reshape(t, [1, -1, 1, 1])));
  // The Linear weight takes a channels-last flatten; reorder its rows for an NCHW flatten.
  const wFlat = tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(init[4], [7, 7, 32, 10]), [2, 0, 1, 3]), [1568, 10]));
  let params: P = [oihw(init[0]), chw(init[1]), oihw(init[2]), chw(init[3]), arr(wFlat), arr(init[5])];
  wFlat.dispose();
  const jx = arr(tf.tidy(() => tf.transpose(x, [0, 3, 1, 2])));
  const jy = arr(y);
  const loss = (p: P, xb: JaxArray, yb: JaxArray): JaxArray => {
    const h1 = nn.relu(lax.conv(xb, p[0], [2, 2], 'SAME').add(p[1]));
    const h2 = nn.relu(lax.conv(h1, p[2], [2, 2], 'SAME').add(p[3]));
    const logits = np.matmul(np.reshape(h2, [batch, 1568]), p[4]).add(p[5]);
    return (nn.logSoftmax(logits, -1).mul(yb) as Sum).sum().mul(-1 / batch);
  };
  const vg = jax.valueAndGrad(loss) as unknown as (p: P, xb: JaxArray, yb: JaxArray) => [JaxArray, P];
  const step = jax.jit((p: P, xb: JaxArray, yb: JaxArray): [P, JaxArray] => {
    const [l, g] = vg(p.map((a) => a.ref), xb, yb);
    return [p.map((a, i) => a.sub(g[i].mul(LR))), l];
  });
  return {
    name: 'jax-js jit',
    run(k) {
      for (let r = 0; r < k; r++) {
        const [next, l] = step(params, jx.ref, jy.ref);
        params = next;
        if (r === k - 1) l.dataSync();
        else l.dispose();
      }
    },
    dispose() { for (const a of [...params, jx, jy]) a.dispose(); },
  };
}

/** Eager tfjs vs our jit (vs @jax-js/jax) for the conv-net training step. */
export async function convNetCase(batch = 64): Promise<Case> {
  const x = tf.keep(tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1));
  const y = tf.keep(tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2) as tf.Tensor1D, 10));
  const eager = convNet(0);
  const variants: Variant[] = [
    eagerVariant(eager.step, x, y),
    jitVariant('jit unfused', convNet(0).step, x, y, false),
    jitVariant('jit', convNet(0).step, x, y, true),
  ];
  try {
    const v = await jaxVariant(eager.init, x, y, batch);
    if (v !== undefined) variants.push(v);
  } catch (e) {
    console.error(`conv net: @jax-js/jax variant skipped: ${(e as Error).message}`);
  }
  return { workload: 'conv net 28x28 (2 strided convs + linear) SGD step', size: `batch=${batch}`, reps: 3, variants };
}
