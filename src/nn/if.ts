/**
 * `IF`: the integrate-and-fire neuron of brainpy.state.
 */
import * as tf from '@tensorflow/tfjs';
import type { HiddenState } from '../state';
import { DynParam } from './dynamics';
import { InitSpec } from './init';
import { negInv, stepOf } from './integrate';
import { hiddenOf, Neuron, NeuronOptions } from './neuron';
import { stopGradient } from './surrogate';

/** Options of {@link IF} (defaults are brainpy.state's, without units). */
export interface IFOptions extends NeuronOptions {
  /** Membrane resistance (default 1). */
  R?: DynParam;
  /** Time constant, in the unit of `dt` (default 5). */
  tau?: DynParam;
  /** Firing threshold, positive (default 1). */
  vTh?: DynParam;
  /** Initial potential (default 0). */
  vInit?: InitSpec;
}

/**
 * Integrate-and-fire neurons, brainpy.state's `IF`: `tau dV/dt = -V + R I`, a spike when
 * `V >= vTh` (`spkFun((V - vTh) / vTh)`), then a reset at the next step (soft:
 * `V -= vTh`, default; hard: `V = 0`). Integrated with exponential Euler by default
 * (exact for constant input: `V = R I + (V - R I) exp(-dt / tau)`).
 *
 * @example
 * ```ts
 * const n = new bst.nn.IF(10, { tau: 8, vTh: 1.2 });
 * n.initState();
 * bst.environ.context({ dt: 0.1 }, () => n.update(2));
 * ```
 * @see LIF
 */
export class IF extends Neuron {
  readonly R: DynParam;
  readonly tau: DynParam;
  readonly vTh: DynParam;
  readonly vInit: InitSpec;
  V!: HiddenState;

  constructor(inSize: number | readonly number[], options: IFOptions = {}) {
    super(inSize, options, { spkReset: 'soft', method: 'expEuler' }, 'IF');
    this.R = options.R ?? 1;
    this.tau = options.tau ?? 5;
    this.vTh = options.vTh ?? 1;
    this.vInit = options.vInit ?? 0;
  }

  override initState(batchSize?: number): void {
    this.V = hiddenOf(this.V, this.initial(this.vInit, batchSize, 'vInit'), 'V');
  }

  getSpike(V?: tf.Tensor): tf.Tensor {
    const v = V ?? this.need(this.V, 'V', 'getSpike').value;
    return tf.tidy(() => this.spkFun(tf.div(tf.sub(v, this.vTh), this.vTh)));
  }

  override update(x: tf.Tensor | number = 0): tf.Tensor {
    const state = this.need(this.V, 'V', 'update');
    const dt = this.stepInput(x, state.value, 'update');
    const [v, spike] = tf.tidy(() => {
      const last = state.value;
      const top = this.spkReset === 'soft' ? this.vTh : stopGradient(last);
      const reset = tf.sub(last, tf.mul(top, this.getSpike(last)));
      const I = this.sumCurrentInputs(x, reset);
      const f = tf.div(tf.add(tf.neg(reset), tf.mul(this.R, I)), this.tau);
      const V = this.withDeltaInputs(stepOf(this.method, reset, f, negInv(this.tau), dt));
      return [V, this.getSpike(V)];
    });
    state.value = v;
    return spike;
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}
