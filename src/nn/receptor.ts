/**
 * Kinetic receptor synapses of brainpy.state (Destexhe, Mainen & Sejnowski 1994):
 * `AMPA` and `GABAa`, driven by a square pulse of transmitter after each spike.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import type { HiddenState, ShortTermState } from '../state';
import { Dynamics, DynParam, checkInputShape } from './dynamics';
import { InitSpec, param } from './init';
import { stepsWithin } from './integrate';
import { hiddenOf, shortTermOf } from './neuron';

/** Options of {@link AMPA} and {@link GABAa}. */
export interface ReceptorOptions {
  /** Binding rate, 1/(ms mM). */
  alpha?: DynParam;
  /** Unbinding rate, 1/ms. */
  beta?: DynParam;
  /** Transmitter concentration during a pulse, mM. */
  T?: DynParam;
  /** Pulse duration, ms. */
  TDur?: DynParam;
  /** Initial open fraction (default 0). */
  gInit?: InitSpec;
}

/**
 * The open fraction `g` of receptors: `dg/dt = alpha [T] (1 - g) - beta g`, where
 * `[T] = T` during the steps `k = 0, 1, ...` with `k dt < TDur` after a pre-synaptic
 * spike (the step of the spike included, as brainpy.state's arrival-time rule) and 0
 * otherwise. Each step is exact for the `[T]` of the step. `update(spikes)` takes the
 * spikes (bool, or float: any non-zero is a spike) of the synapses' own shape.
 */
abstract class Receptor extends Dynamics {
  readonly alpha: DynParam;
  readonly beta: DynParam;
  readonly T: DynParam;
  readonly TDur: DynParam;
  readonly gInit: InitSpec;
  /** The open fraction. */
  g!: HiddenState;
  /** Steps of transmitter pulse left per synapse. */
  pulse!: ShortTermState;

  protected constructor(inSize: number | readonly number[], options: ReceptorOptions,
    defaults: { alpha: number; beta: number; T: number; TDur: number }, where: string) {
    super(inSize, where);
    this.alpha = options.alpha ?? defaults.alpha;
    this.beta = options.beta ?? defaults.beta;
    this.T = options.T ?? defaults.T;
    this.TDur = options.TDur ?? defaults.TDur;
    this.gInit = options.gInit ?? 0;
  }

  override initState(batchSize?: number): void {
    const where = `${this.constructor.name}.initState`;
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new BrainStateError(`${where}: expected batchSize to be a positive integer or omitted, got ${batchSize}.`);
    }
    const shape = batchSize === undefined ? [...this.varshape] : [batchSize, ...this.varshape];
    this.g = hiddenOf(this.g, param(this.gInit, shape, `${this.constructor.name}(gInit)`), 'g');
    this.pulse = shortTermOf(this.pulse, tf.zeros(shape), 'pulse');
  }

  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  /** One step with the pre-synaptic `spikes`; returns `g` (a copy the caller owns). */
  override update(spikes: tf.Tensor): tf.Tensor {
    const name = this.constructor.name;
    if (this.g === undefined) {
      throw new BrainStateError(`${name}.update: the state g does not exist yet; call initState() (or ` +
        'nn.initAllStates(model)) first.');
    }
    if (!(spikes instanceof tf.Tensor)) {
      throw new BrainStateError(`${name}.update: expected the pre-synaptic spikes as a tensor, got ${typeof spikes}.`);
    }
    checkInputShape(spikes.shape, this.g.value.shape, `${name}.update`);
    const dt = environ.getDt();
    const g = this.g;
    const pulse = this.pulse;
    const [gn, left] = tf.tidy(() => {
      const spiked = tf.notEqual(spikes, 0);
      const p = tf.where(spiked, tf.add(tf.zerosLike(pulse.value), stepsWithin(this.TDur, dt)), pulse.value);
      const TT = tf.mul(tf.cast(tf.greater(p, 0), 'float32'), this.T);
      const rate = tf.mul(this.alpha, TT);
      const k = tf.add(rate, this.beta);
      const inf = tf.div(rate, k);
      const G = tf.add(inf, tf.mul(tf.sub(g.value, inf), tf.exp(tf.mul(k, -dt))));
      return [G, tf.relu(tf.sub(p, 1))];
    });
    g.value = gn;
    pulse.value = left;
    return tf.clone(gn);
  }

  override call(spikes: tf.Tensor): tf.Tensor {
    return this.update(spikes);
  }
}

/**
 * AMPA receptors (fast excitation): `alpha` 0.98, `beta` 0.18, `T` 0.5 mM for `TDur`
 * 0.5 ms, as brainpy.state. Use it pre-synaptically, e.g. in `CurrentProj`'s `modules`.
 *
 * @example
 * ```ts
 * const ampa = new bst.nn.AMPA(100);
 * ampa.initState();
 * bst.environ.context({ dt: 0.1 }, () => ampa.update(spikes));   // open fraction [100]
 * ```
 * @see GABAa
 */
export class AMPA extends Receptor {
  constructor(inSize: number | readonly number[], options: ReceptorOptions = {}) {
    super(inSize, options, { alpha: 0.98, beta: 0.18, T: 0.5, TDur: 0.5 }, 'AMPA');
  }
}

/**
 * GABA-A receptors (fast inhibition): `alpha` 0.53, `beta` 0.18, `T` 1 mM for `TDur`
 * 1 ms, as brainpy.state.
 *
 * @example
 * ```ts
 * const gaba = new bst.nn.GABAa(100);
 * gaba.initState();
 * ```
 * @see AMPA
 */
export class GABAa extends Receptor {
  constructor(inSize: number | readonly number[], options: ReceptorOptions = {}) {
    super(inSize, options, { alpha: 0.53, beta: 0.18, T: 1, TDur: 1 }, 'GABAa');
  }
}
