/**
 * `AdEx`: the adaptive exponential integrate-and-fire neuron (brainpy.state's `AdExIF`).
 */
import * as tf from '@tensorflow/tfjs';
import type { HiddenState } from '../state';
import { DynParam } from './dynamics';
import { InitSpec } from './init';
import { relax, stepOf } from './integrate';
import { hiddenOf, Neuron, NeuronOptions } from './neuron';
import { stopGradient } from './surrogate';

/** Options of {@link AdEx} (defaults are brainpy.state's `AdExIF`, in mV and ms). */
export interface AdExOptions extends NeuronOptions {
  R?: DynParam;
  /** Membrane time constant (default 10). */
  tau?: DynParam;
  /** Adaptation time constant (default 30). */
  tauW?: DynParam;
  /** Spike threshold (default -55). */
  vTh?: DynParam;
  /** Reset potential (default -68). */
  vReset?: DynParam;
  /** Resting potential (default -65). */
  vRest?: DynParam;
  /** Threshold of the exponential term (default -59.9). */
  vT?: DynParam;
  /** Slope factor of the exponential term (default 3.48). */
  deltaT?: DynParam;
  /** Subthreshold adaptation coupling (default 1). */
  a?: DynParam;
  /** Spike-triggered adaptation increment (default 1). */
  b?: DynParam;
  /** Initial potential (default -65). */
  vInit?: InitSpec;
  /** Initial adaptation current (default 0). */
  wInit?: InitSpec;
}

/**
 * Adaptive exponential integrate-and-fire neurons (Brette & Gerstner 2005), brainpy.state's
 * `AdExIF`: `tau dV/dt = -(V - vRest) + deltaT exp((V - vT) / deltaT) - R w + R I`,
 * `tauW dw/dt = a (V - vRest) - w`. A spike when `V >= vTh`; at the next step `V` resets
 * (soft by default: `V -= vTh - vReset`; hard: `V = vReset`) and `w += b`. Exponential
 * Euler by default (the potential linearised at each step, the adaptation exact).
 *
 * @example
 * ```ts
 * const n = new bst.nn.AdEx(10, { tauW: 100, a: 0.5, b: 7 });
 * n.initState();
 * bst.environ.context({ dt: 0.1 }, () => n.update(20));
 * ```
 * @see Izhikevich
 */
export class AdEx extends Neuron {
  readonly R: DynParam;
  readonly tau: DynParam;
  readonly tauW: DynParam;
  readonly vTh: DynParam;
  readonly vReset: DynParam;
  readonly vRest: DynParam;
  readonly vT: DynParam;
  readonly deltaT: DynParam;
  readonly a: DynParam;
  readonly b: DynParam;
  readonly vInit: InitSpec;
  readonly wInit: InitSpec;
  V!: HiddenState;
  /** The adaptation current. */
  w!: HiddenState;

  constructor(inSize: number | readonly number[], options: AdExOptions = {}) {
    super(inSize, options, { spkReset: 'soft', method: 'expEuler' }, 'AdEx');
    this.R = options.R ?? 1;
    this.tau = options.tau ?? 10;
    this.tauW = options.tauW ?? 30;
    this.vTh = options.vTh ?? -55;
    this.vReset = options.vReset ?? -68;
    this.vRest = options.vRest ?? -65;
    this.vT = options.vT ?? -59.9;
    this.deltaT = options.deltaT ?? 3.48;
    this.a = options.a ?? 1;
    this.b = options.b ?? 1;
    this.vInit = options.vInit ?? -65;
    this.wInit = options.wInit ?? 0;
  }

  override initState(batchSize?: number): void {
    this.V = hiddenOf(this.V, this.initial(this.vInit, batchSize, 'vInit'), 'V');
    this.w = hiddenOf(this.w, this.initial(this.wInit, batchSize, 'wInit'), 'w');
  }

  /** `spkFun((V - vTh) / (vTh - vReset))`. */
  getSpike(V?: tf.Tensor): tf.Tensor {
    const v = V ?? this.need(this.V, 'V', 'getSpike').value;
    return tf.tidy(() => this.spkFun(tf.div(tf.sub(v, this.vTh), tf.sub(this.vTh, this.vReset))));
  }

  override update(x: tf.Tensor | number = 0): tf.Tensor {
    const sV = this.need(this.V, 'V', 'update');
    const sW = this.need(this.w, 'w', 'update');
    const dt = this.stepInput(x, sV.value, 'update');
    const [v, w, spike] = tf.tidy(() => {
      const lastV = sV.value;
      const spk = this.getSpike(lastV);
      const top = this.spkReset === 'soft' ? this.vTh : stopGradient(lastV);
      const reset = tf.sub(lastV, tf.mul(tf.sub(top, this.vReset), spk));
      const wReset = tf.add(sW.value, tf.mul(this.b, spk));
      const I = this.sumCurrentInputs(x, reset);
      const ex = tf.exp(tf.div(tf.sub(reset, this.vT), this.deltaT));
      const f = tf.div(tf.add(tf.add(tf.sub(this.vRest, reset), tf.mul(this.deltaT, ex)),
        tf.mul(this.R, tf.sub(I, wReset))), this.tau);
      const dfdv = tf.div(tf.sub(ex, 1), this.tau);
      const V = this.withDeltaInputs(stepOf(this.method, reset, f, dfdv, dt));
      // tauW dw/dt = a (V - vRest) - w, with the new V: a relaxation to a (V - vRest).
      const W = relax(this.method, wReset, tf.mul(this.a, tf.sub(V, this.vRest)), this.tauW, dt);
      return [V, W, this.getSpike(V)];
    });
    sV.value = v;
    sW.value = w;
    return spike;
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}
