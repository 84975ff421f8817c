/**
 * `Izhikevich`: the simple model of spiking neurons (Izhikevich 2003), as brainpy.state.
 */
import * as tf from '@tensorflow/tfjs';
import type { HiddenState } from '../state';
import { DynParam } from './dynamics';
import { InitSpec } from './init';
import { relax, stepOf } from './integrate';
import { hiddenOf, Neuron, NeuronOptions } from './neuron';

/** Options of {@link Izhikevich} (defaults are brainpy.state's: regular spiking, mV and ms). */
export interface IzhikevichOptions extends NeuronOptions {
  /** Time scale of the recovery variable (default 0.02). */
  a?: DynParam;
  /** Sensitivity of the recovery variable (default 0.2). */
  b?: DynParam;
  /** Reset potential (default -65). */
  c?: DynParam;
  /** Recovery increment after a spike (default 8). */
  d?: DynParam;
  /** Spike cut-off (default 30). */
  vTh?: DynParam;
  /** Initial potential (default -65). */
  vInit?: InitSpec;
  /** Initial recovery variable (default 0). */
  uInit?: InitSpec;
}

/**
 * Izhikevich neurons: `dV/dt = 0.04 V^2 + 5 V + 140 - u + I`, `du/dt = a (b V - u)`; a
 * spike when `V >= vTh`, after which (at the next step) `V = c` and `u += d`. Exponential
 * Euler by default, as brainpy.state (`'euler'` gives the original scheme's update).
 *
 * @example
 * ```ts
 * const n = new bst.nn.Izhikevich(10);             // regular spiking
 * n.initState();
 * bst.environ.context({ dt: 0.1 }, () => n.update(10));
 * ```
 * @see AdEx
 */
export class Izhikevich extends Neuron {
  readonly a: DynParam;
  readonly b: DynParam;
  readonly c: DynParam;
  readonly d: DynParam;
  readonly vTh: DynParam;
  readonly vInit: InitSpec;
  readonly uInit: InitSpec;
  V!: HiddenState;
  /** The recovery variable. */
  u!: HiddenState;

  constructor(inSize: number | readonly number[], options: IzhikevichOptions = {}) {
    super(inSize, options, { spkReset: 'hard', method: 'expEuler' }, 'Izhikevich');
    this.a = options.a ?? 0.02;
    this.b = options.b ?? 0.2;
    this.c = options.c ?? -65;
    this.d = options.d ?? 8;
    this.vTh = options.vTh ?? 30;
    this.vInit = options.vInit ?? -65;
    this.uInit = options.uInit ?? 0;
  }

  override initState(batchSize?: number): void {
    this.V = hiddenOf(this.V, this.initial(this.vInit, batchSize, 'vInit'), 'V');
    this.u = hiddenOf(this.u, this.initial(this.uInit, batchSize, 'uInit'), 'u');
  }

  /** `spkFun((V - vTh) / vTh)`. */
  getSpike(V?: tf.Tensor): tf.Tensor {
    const v = V ?? this.need(this.V, 'V', 'getSpike').value;
    return tf.tidy(() => this.spkFun(tf.div(tf.sub(v, this.vTh), this.vTh)));
  }

  override update(x: tf.Tensor | number = 0): tf.Tensor {
    const sV = this.need(this.V, 'V', 'update');
    const sU = this.need(this.u, 'u', 'update');
    const dt = this.stepInput(x, sV.value, 'update');
    const [v, u, spike] = tf.tidy(() => {
      const lastV = sV.value;
      const spk = this.getSpike(lastV);
      const reset = this.spkReset === 'hard' ? tf.where(tf.greater(spk, 0), tf.add(tf.zerosLike(lastV), this.c), lastV)
        : tf.sub(lastV, tf.mul(tf.sub(this.vTh, this.c), spk));
      const uReset = tf.add(sU.value, tf.mul(this.d, spk));
      const I = this.sumCurrentInputs(x, reset);
      const f = tf.add(tf.sub(tf.add(tf.mul(tf.mul(reset, reset), 0.04), tf.add(tf.mul(reset, 5), 140)), uReset), I);
      const dfdv = tf.add(tf.mul(reset, 0.08), 5);
      const V = this.withDeltaInputs(stepOf(this.method, reset, f, dfdv, dt));
      // du/dt = a (b V - u) with the new V: a relaxation to b V with time constant 1 / a.
      const tauU = typeof this.a === 'number' ? 1 / this.a : tf.div(1, this.a);
      const U = relax(this.method, uReset, tf.mul(this.b, V), tauU, dt);
      return [V, U, this.getSpike(V)];
    });
    sV.value = v;
    sU.value = u;
    return spike;
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}
