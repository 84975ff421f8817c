/**
 * `Expon`: the exponential synapse of brainpy.state.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import { HiddenState } from '../state';
import { InitSpec, param } from './init';
import { Dynamics, DynParam, batchedShape, checkInputShape } from './dynamics';

/** Options of {@link Expon}. */
export interface ExponOptions {
  /** The decay time constant, in the unit of `dt` (default 8, as brainpy.state). */
  tau?: DynParam;
  /** The initial conductance (default 0). */
  gInit?: InitSpec;
}

/**
 * An exponentially decaying synaptic variable, `dg/dt = -g / tau`, plus the input `x`
 * added at each step. As brainpy.state, each `update(x)` takes one exponential-Euler step
 * (exact for this linear decay): `g = g * exp(-dt / tau) + delta inputs + x`, with `dt`
 * from `environ.get('dt')`, and returns `g` (a copy the caller owns). Projections
 * (`AlignPostProj`) add their post-synaptic input as a delta input.
 *
 * @example
 * ```ts
 * const syn = new bst.nn.Expon(10, { tau: 5 });
 * syn.initState();
 * bst.environ.context({ dt: 0.1 }, () => syn.update(tf.ones([10])));   // g = 1
 * ```
 * @see LIF
 */
export class Expon extends Dynamics {
  readonly tau: DynParam;
  readonly gInit: InitSpec;
  /** The synaptic variable (made by `initState`). */
  g!: HiddenState;

  constructor(inSize: number | readonly number[], options: ExponOptions = {}) {
    super(inSize, 'Expon');
    this.tau = options.tau ?? 8;
    this.gInit = options.gInit ?? 0;
  }

  /** Makes `g` (or, when it exists, rewrites its value) from `gInit`, with an optional batch axis. */
  override initState(batchSize?: number): void {
    const g = param(this.gInit, batchedShape(this.varshape, batchSize, 'Expon.initState'), 'Expon(gInit)');
    if (this.g === undefined) this.g = new HiddenState(g, { name: 'g' });
    else this.g.value = g;
  }

  /** Sets `g` back to `gInit`. */
  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  /** One step: decay, then add `x` (if given); returns the new `g`. */
  override update(x?: tf.Tensor | number): tf.Tensor {
    if (this.g === undefined) {
      throw new BrainStateError('Expon.update: the synaptic variable g does not exist yet; call ' +
        'syn.initState() (or nn.initAllStates(model)) first.');
    }
    const state = this.g;
    const dt = environ.getDt();
    if (x !== undefined && typeof x !== 'number') checkInputShape(x.shape, state.value.shape, 'Expon.update');
    const g = tf.tidy(() => {
      const decayed = this.withDeltaInputs(tf.mul(state.value, tf.exp(tf.div(-dt, this.tau))));
      return x === undefined ? decayed : tf.add(decayed, x);
    });
    state.value = g;
    return tf.clone(g);
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}
