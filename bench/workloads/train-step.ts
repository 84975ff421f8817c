/**
 * Shared pieces of the training-step benches: a step as brainstate-ts code (eager under
 * tfjs's tape, or jitted into one program, fusion off or on), timed the same way.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Variant } from '../harness';
import { withConfig } from '../../src/config';

/** A training step: `(x, y) => loss`. */
export type Step = (x: tf.Tensor, y: tf.Tensor) => tf.Scalar;

/** A step of `model` with SGD over `params` and softmax cross-entropy. */
export function sgdStep(model: (x: tf.Tensor) => tf.Tensor, params: bst.NestedDict<bst.State>, lr: number): Step {
  const opt = new bst.optim.SGD(lr);
  opt.registerTrainableWeights(params);
  return (x, y) => {
    const [grads, loss] = bst.transform.grad(() => tf.losses.softmaxCrossEntropy(y, model(x)) as tf.Scalar,
      { gradStates: params, returnValue: true })();
    opt.update(grads);
    return loss;
  };
}

/** Eager tfjs: the step op by op under the tape. */
export function eagerVariant(step: Step, x: tf.Tensor, y: tf.Tensor): Variant {
  return {
    name: 'eager',
    run(k) {
      for (let r = 0; r < k; r++) tf.tidy(() => { const l = step(x, y); if (r === k - 1) l.dataSync(); });
    },
  };
}

/** The jitted step, compiled with elementwise fusion on or off. */
export function jitVariant(name: string, step: Step, x: tf.Tensor, y: tf.Tensor, fusion: boolean): Variant {
  const jitted = bst.transform.jit(step);
  withConfig({ fusion }, () => jitted.compile(x, y));
  return {
    name,
    run(k) {
      for (let r = 0; r < k; r++) {
        const l = jitted(x, y);
        if (r === k - 1) l.dataSync();
        l.dispose();
      }
    },
    dispose() { jitted.clearCache(); },
  };
}
