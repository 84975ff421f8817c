/**
 * Synaptic outputs, brainpy.state's `COBA` and `CUBA`: they turn a conductance bound at
 * each step into the current a post-synaptic neuron receives at its membrane potential.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import type { DynParam } from './dynamics';
import { Module } from './module';

/**
 * The base of synaptic outputs: `bindCond(g)` sets the conductance of the current step,
 * `call(V)` gives the current at potential `V`. Neurons call it through
 * `sumCurrentInputs` once a projection has registered it with `post.addCurrentInput`.
 */
export abstract class SynOut extends Module {
  private conductance: tf.Tensor | undefined;

  /** Binds the conductance of this step (the output keeps a reference; the binder owns it). */
  bindCond(g: tf.Tensor): void {
    this.conductance = g;
  }

  /** The conductance bound last, if any. */
  get boundConductance(): tf.Tensor | undefined {
    return this.conductance;
  }

  /** The current for conductance `g` at potential `V`. */
  abstract output(g: tf.Tensor, V: tf.Tensor): tf.Tensor;

  override update(V: tf.Tensor): tf.Tensor {
    if (this.conductance === undefined || this.conductance.isDisposed) {
      throw new BrainStateError(`${this.constructor.name}.call: no conductance is bound for this step; a ` +
        'projection binds it (proj.update(spikes)) before the post-synaptic neurons update, or call ' +
        'bindCond(g) yourself.');
    }
    return this.output(this.conductance, V);
  }

  override call(V: tf.Tensor): tf.Tensor {
    return this.update(V);
  }
}

/**
 * Conductance-based output: `I = g (E - V)`, with reversal potential `E`.
 *
 * @example
 * ```ts
 * const out = new bst.nn.COBA(0);
 * out.bindCond(tf.tensor1d([0.5]));
 * out.call(tf.tensor1d([-60])).print();   // [30]
 * ```
 * @see CUBA
 */
export class COBA extends SynOut {
  constructor(readonly E: DynParam) {
    super();
  }

  output(g: tf.Tensor, V: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mul(g, tf.sub(this.E, V)));
  }
}

/**
 * Current-based output: `I = g * scale` (default scale 1), independent of the potential.
 *
 * @example
 * ```ts
 * const out = new bst.nn.CUBA();
 * out.bindCond(tf.tensor1d([2]));
 * out.call(tf.tensor1d([-60])).print();   // [2]
 * ```
 * @see COBA
 */
export class CUBA extends SynOut {
  constructor(readonly scale: DynParam = 1) {
    super();
  }

  output(g: tf.Tensor): tf.Tensor {
    return typeof this.scale === 'number' && this.scale === 1 ? tf.clone(g) : tf.mul(g, this.scale);
  }
}
