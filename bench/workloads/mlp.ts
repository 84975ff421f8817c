/**
 * One SGD training step of an MLP 784-256-10 (ReLU, softmax cross-entropy) on a batch
 * of 128: forward, backward (transform.grad over the ParamStates) and the update.
 * Eager runs the same code op by op under tfjs's tape; jit replays the one program
 * (with elementwise fusion off, and on; and with tfjs's own matMul kernel instead of the
 * generated GEMM); @jax-js/jax's jit(valueAndGrad) step is the
 * reference, on the same initial weights and data.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case, Variant } from '../harness';
import { JaxArray, JaxModule, loadJax } from '../peers';
import { withConfig } from '../../src/config';

const SIZES = [784, 256, 10] as const;

type Step = (x: tf.Tensor, y: tf.Tensor) => tf.Scalar;

/** The initial [w1, b1, w2, b2] of the last trainer made (for the jax-js variant). */
let initial: tf.Tensor[] = [];

const LR = 0.01;

/** A fresh MLP (same initial weights for the same seed), its optimiser, and its training step. */
function trainer(seed: number): Step {
  bst.random.seed(seed);
  const net = new bst.nn.Sequential(new bst.nn.Linear(SIZES[0], SIZES[1]), new bst.nn.ReLU(),
    new bst.nn.Linear(SIZES[1], SIZES[2]));
  const params = net.states(bst.ParamState);
  const opt = new bst.optim.SGD(LR);
  opt.registerTrainableWeights(params);
  const loss = (x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
    tf.losses.softmaxCrossEntropy(y, net.call(x) as tf.Tensor) as tf.Scalar;
  initial = params.toFlat().values().flatMap((st) => {
    const v = st.value as unknown as { weight: tf.Tensor; bias: tf.Tensor };
    return [v.weight, v.bias];
  });
  return (x, y) => {
    const [grads, value] = bst.transform.grad(loss, { gradStates: params, returnValue: true })(x, y);
    opt.update(grads);
    return value;
  };
}

/**
 * A jitted training step compiled with fusion on or off; `matMul` (when given) are the
 * matrix-product options it runs under (e.g. `{ enabled: false }`: tfjs's own kernel).
 */
function jitVariant(name: string, x: tf.Tensor, y: tf.Tensor, fusion: boolean,
  matMul?: Parameters<typeof bst.backend.setMatMulOptions>[0]): Variant {
  const step = bst.transform.jit(trainer(0));
  const savedMatMul = bst.backend.matMulOptions();
  // Compiled under the options it runs with (the passes depend on which kernel multiplies).
  if (matMul !== undefined) bst.backend.setMatMulOptions(matMul);
  try {
    withConfig({ fusion }, () => step.compile(x, y));
  } finally {
    if (matMul !== undefined) bst.backend.setMatMulOptions(savedMatMul);
  }
  return {
    name,
    run(k) {
      const saved = bst.backend.matMulOptions();
      if (matMul !== undefined) bst.backend.setMatMulOptions(matMul);
      try {
        for (let r = 0; r < k; r++) {
          const l = step(x, y);
          if (r === k - 1) l.dataSync();
          l.dispose();
        }
      } finally {
        if (matMul !== undefined) bst.backend.setMatMulOptions(saved);
      }
    },
    dispose() { step.clearCache(); },
  };
}

type JaxParams = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray };

/** The same step in @jax-js/jax: jit of valueAndGrad plus the SGD update, params threaded through. */
function jaxVariant(jax: JaxModule, x: tf.Tensor, y: tf.Tensor, batch: number): Variant {
  const np = jax.numpy as unknown as {
    array(v: Float32Array, o: { shape: number[] }): JaxArray; matmul(a: JaxArray, b: JaxArray): JaxArray;
  };
  const jnn = jax.nn as unknown as { relu(x: JaxArray): JaxArray; logSoftmax(x: JaxArray, axis: number): JaxArray };
  const arr = (t: tf.Tensor): JaxArray => np.array(t.dataSync() as Float32Array, { shape: t.shape.slice() });
  const [w1, b1, w2, b2] = initial.map(arr);
  let p: JaxParams = { w1, b1, w2, b2 };
  const jx = arr(x);
  const jy = arr(y);
  type Sum = JaxArray & { sum(): JaxArray };
  const loss = (q: JaxParams, xb: JaxArray, yb: JaxArray): JaxArray => {
    const h = jnn.relu(np.matmul(xb, q.w1).add(q.b1));
    const logp = jnn.logSoftmax(np.matmul(h, q.w2).add(q.b2), -1);
    return (logp.mul(yb) as Sum).sum().mul(-1 / batch);
  };
  const vg = jax.valueAndGrad(loss) as unknown as (q: JaxParams, xb: JaxArray, yb: JaxArray) => [JaxArray, JaxParams];
  const step = jax.jit((q: JaxParams, xb: JaxArray, yb: JaxArray) => {
    const [l, g] = vg({ w1: q.w1.ref, b1: q.b1.ref, w2: q.w2.ref, b2: q.b2.ref }, xb, yb);
    const next: JaxParams = {
      w1: q.w1.sub(g.w1.mul(LR)), b1: q.b1.sub(g.b1.mul(LR)), w2: q.w2.sub(g.w2.mul(LR)), b2: q.b2.sub(g.b2.mul(LR)),
    };
    return [next, l];
  }) as unknown as (q: JaxParams, xb: JaxArray, yb: JaxArray) => [JaxParams, JaxArray];
  return {
    name: 'jax-js jit',
    run(k) {
      for (let r = 0; r < k; r++) {
        const [next, l] = step(p, jx.ref, jy.ref);
        p = next;
        if (r === k - 1) l.dataSync();
        else l.dispose();
      }
    },
    dispose() {
      for (const a of [p.w1, p.b1, p.w2, p.b2, jx, jy]) a.dispose();
    },
  };
}

/** Eager tfjs vs our jit for the MLP training step at batch `batch`. */
export async function mlpCase(batch = 128): Promise<Case> {
  const x = tf.keep(tf.randomUniform([batch, SIZES[0]], 0, 1, 'float32', 1));
  const y = tf.keep(tf.oneHot(tf.randomUniform([batch], 0, SIZES[2], 'int32', 2) as tf.Tensor1D, SIZES[2]));
  const eager = trainer(0);
  const variants: Variant[] = [
    {
      name: 'eager',
      run(k) {
        for (let r = 0; r < k; r++) {
          tf.tidy(() => {
            const l = eager(x, y);
            if (r === k - 1) l.dataSync();
          });
        }
      },
    },
    jitVariant('jit unfused', x, y, false),
    // The jitted step as it was before the generated GEMM: tfjs's own BatchMatMul kernel.
    jitVariant('jit, tfjs matMul', x, y, true, { enabled: false }),
    jitVariant('jit', x, y, true),
  ];
  // The other thread count of the generated GEMM (worker threads are opt-in; see backend.setMatMulOptions).
  const threads = bst.backend.matMulOptions().threads;
  if (threads === 1) variants.push(jitVariant('jit, 2 GEMM threads', x, y, true, { threads: 2 }));
  else variants.push(jitVariant('jit, 1 GEMM thread', x, y, true, { threads: 1 }));
  const jax = await loadJax();
  if (jax !== null) variants.push(jaxVariant(jax, x, y, batch));
  return { workload: 'MLP 784-256-10 SGD step', size: `batch=${batch}`, reps: 10, variants };
}
