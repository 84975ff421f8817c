/**
 * `ALIF`: the adaptive leaky integrate-and-fire neuron of brainpy.state.
 */
import * as tf from '@tensorflow/tfjs';
import type { HiddenState } from '../state';
import { DynParam } from './dynamics';
import { InitSpec } from './init';
import { decayFactor, negInv, stepOf } from './integrate';
import { hiddenOf, Neuron, NeuronOptions } from './neuron';
import { stopGradient } from './surrogate';

/** Options of {@link ALIF} (defaults are brainpy.state's, without units). */
export interface ALIFOptions extends NeuronOptions {
  R?: DynParam;
  /** Membrane time constant (default 5). */
  tau?: DynParam;
  /** Adaptation time constant (default 100). */
  tauA?: DynParam;
  /** Base threshold (default 1). */
  vTh?: DynParam;
  vReset?: DynParam;
  vRest?: DynParam;
  /** Threshold increase per unit of adaptation (default 0.1). */
  beta?: DynParam;
  vInit?: InitSpec;
  /** Initial adaptation (default 0). */
  aInit?: InitSpec;
}

/**
 * Adaptive LIF neurons, brainpy.state's `ALIF`: `tau dV/dt = -(V - vRest) + R I`,
 * `tauA da/dt = -a`; a spike when `V >= vTh + beta a`, after which (at the next step) `V`
 * resets (soft: `V -= vTh - vReset`; hard: `V = vReset`) and `a` grows by 1.
 *
 * @example
 * ```ts
 * const n = new bst.nn.ALIF(10, { tauA: 200, beta: 0.2 });
 * n.initState();
 * bst.environ.context({ dt: 0.1 }, () => n.update(1.5));
 * ```
 * @see LIF
 */
export class ALIF extends Neuron {
  readonly R: DynParam;
  readonly tau: DynParam;
  readonly tauA: DynParam;
  readonly vTh: DynParam;
  readonly vReset: DynParam;
  readonly vRest: DynParam;
  readonly beta: DynParam;
  readonly vInit: InitSpec;
  readonly aInit: InitSpec;
  V!: HiddenState;
  /** The adaptation variable. */
  a!: HiddenState;

  constructor(inSize: number | readonly number[], options: ALIFOptions = {}) {
    super(inSize, options, { spkReset: 'soft', method: 'expEuler' }, 'ALIF');
    this.R = options.R ?? 1;
    this.tau = options.tau ?? 5;
    this.tauA = options.tauA ?? 100;
    this.vTh = options.vTh ?? 1;
    this.vReset = options.vReset ?? 0;
    this.vRest = options.vRest ?? 0;
    this.beta = options.beta ?? 0.1;
    this.vInit = options.vInit ?? 0;
    this.aInit = options.aInit ?? 0;
  }

  override initState(batchSize?: number): void {
    this.V = hiddenOf(this.V, this.initial(this.vInit, batchSize, 'vInit'), 'V');
    this.a = hiddenOf(this.a, this.initial(this.aInit, batchSize, 'aInit'), 'a');
  }

  /** `spkFun((V - vTh - beta a) / (vTh - vReset))` of the current (or given) state. */
  getSpike(V?: tf.Tensor, a?: tf.Tensor): tf.Tensor {
    const v = V ?? this.need(this.V, 'V', 'getSpike').value;
    const ad = a ?? this.need(this.a, 'a', 'getSpike').value;
    return tf.tidy(() => this.spkFun(tf.div(tf.sub(tf.sub(v, this.vTh), tf.mul(this.beta, ad)),
      tf.sub(this.vTh, this.vReset))));
  }

  override update(x: tf.Tensor | number = 0): tf.Tensor {
    const sV = this.need(this.V, 'V', 'update');
    const sA = this.need(this.a, 'a', 'update');
    const dt = this.stepInput(x, sV.value, 'update');
    const [v, a, spike] = tf.tidy(() => {
      const lastV = sV.value;
      const spk = this.getSpike(lastV, sA.value);
      const top = this.spkReset === 'soft' ? this.vTh : stopGradient(lastV);
      const reset = tf.sub(lastV, tf.mul(tf.sub(top, this.vReset), spk));
      const I = this.sumCurrentInputs(x, reset);
      const f = tf.div(tf.add(tf.sub(this.vRest, reset), tf.mul(this.R, I)), this.tau);
      const V = this.withDeltaInputs(stepOf(this.method, reset, f, negInv(this.tau), dt));
      const aNew = tf.add(sA.value, spk);
      const A = this.method === 'euler' ? tf.sub(aNew, tf.mul(tf.div(aNew, this.tauA), dt))
        : tf.mul(aNew, decayFactor(this.tauA, dt));
      return [V, A, this.getSpike(V, A)];
    });
    sV.value = v;
    sA.value = a;
    return spike;
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}
