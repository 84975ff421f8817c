/**
 * Short-term plasticity of brainpy.state (Tsodyks & Markram): `STP` (facilitation and
 * depression) and `STD` (depression only), applied to pre-synaptic spikes.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import type { HiddenState } from '../state';
import { Dynamics, DynParam, checkInputShape } from './dynamics';
import { decayFactor } from './integrate';
import { hiddenOf } from './neuron';

function check(m: Dynamics, state: HiddenState | undefined, spikes: tf.Tensor): HiddenState {
  const name = m.constructor.name;
  if (state === undefined) {
    throw new BrainStateError(`${name}.update: the states do not exist yet; call initState() (or ` +
      'nn.initAllStates(model)) first.');
  }
  if (!(spikes instanceof tf.Tensor)) {
    throw new BrainStateError(`${name}.update: expected the pre-synaptic spikes as a tensor, got ${typeof spikes}.`);
  }
  checkInputShape(spikes.shape, state.value.shape, `${name}.update`);
  return state;
}

function shapeOf(varshape: number[], batchSize: number | undefined, where: string): number[] {
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new BrainStateError(`${where}.initState: expected batchSize to be a positive integer or omitted, got ${batchSize}.`);
  }
  return batchSize === undefined ? [...varshape] : [batchSize, ...varshape];
}

/** Options of {@link STP}. */
export interface STPOptions {
  /** Baseline utilisation (default 0.15). */
  U?: DynParam;
  /** Facilitation time constant (default 1500). */
  tauF?: DynParam;
  /** Depression (recovery) time constant (default 200). */
  tauD?: DynParam;
}

/**
 * Short-term plasticity: `du/dt = -u / tauF`, `dx/dt = (1 - x) / tauD`; at a spike
 * `u += U (1 - u)` then `x -= u x` (the `u` and `x` of the step's start on the right,
 * as brainpy.state). `update(spikes)` returns the efficacy of this step's spikes,
 * `u x spikes`, to feed a connectivity (e.g. in `AlignPostProj`'s `modules`).
 *
 * @example
 * ```ts
 * const stp = new bst.nn.STP(100, { U: 0.2 });
 * stp.initState();
 * bst.environ.context({ dt: 0.1 }, () => stp.update(spikes));
 * ```
 * @see STD
 */
export class STP extends Dynamics {
  readonly U: DynParam;
  readonly tauF: DynParam;
  readonly tauD: DynParam;
  /** Utilisation (facilitation variable). */
  u!: HiddenState;
  /** Available resources (depression variable). */
  x!: HiddenState;

  constructor(inSize: number | readonly number[], options: STPOptions = {}) {
    super(inSize, 'STP');
    this.U = options.U ?? 0.15;
    this.tauF = options.tauF ?? 1500;
    this.tauD = options.tauD ?? 200;
  }

  override initState(batchSize?: number): void {
    const shape = shapeOf(this.varshape, batchSize, 'STP');
    this.x = hiddenOf(this.x, tf.ones(shape), 'x');
    this.u = hiddenOf(this.u, tf.tidy(() => tf.add(tf.zeros(shape), this.U)), 'u');
  }

  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  override update(spikes: tf.Tensor): tf.Tensor {
    const su = check(this, this.u, spikes);
    const sx = this.x;
    const dt = environ.getDt();
    const [u, x, out] = tf.tidy(() => {
      const s = spikes.dtype === 'float32' ? spikes : tf.cast(spikes, 'float32');
      const u0 = su.value;
      const x0 = sx.value;
      const uDecayed = tf.mul(u0, decayFactor(this.tauF, dt));
      const xRelaxed = tf.sub(1, tf.mul(tf.sub(1, x0), decayFactor(this.tauD, dt)));
      const U = tf.add(uDecayed, tf.mul(tf.mul(s, this.U), tf.sub(1, u0)));
      const X = tf.sub(xRelaxed, tf.mul(tf.mul(s, U), x0));
      return [U, X, tf.mul(tf.mul(U, X), s)];
    });
    su.value = u;
    sx.value = x;
    return out;
  }

  override call(spikes: tf.Tensor): tf.Tensor {
    return this.update(spikes);
  }
}

/** Options of {@link STD}. */
export interface STDOptions {
  /** Recovery time constant (default 200). */
  tau?: DynParam;
  /** Fraction of resources used per spike (default 0.07). */
  U?: DynParam;
}

/**
 * Short-term depression: `dx/dt = (1 - x) / tau`, and `x -= U x` at a spike (the `x` of
 * the step's start). `update(spikes)` returns `x spikes` (the new `x`), as brainpy.state.
 *
 * @example
 * ```ts
 * const std = new bst.nn.STD(100);
 * std.initState();
 * ```
 * @see STP
 */
export class STD extends Dynamics {
  readonly tau: DynParam;
  readonly U: DynParam;
  /** Available resources. */
  x!: HiddenState;

  constructor(inSize: number | readonly number[], options: STDOptions = {}) {
    super(inSize, 'STD');
    this.tau = options.tau ?? 200;
    this.U = options.U ?? 0.07;
  }

  override initState(batchSize?: number): void {
    this.x = hiddenOf(this.x, tf.ones(shapeOf(this.varshape, batchSize, 'STD')), 'x');
  }

  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  override update(spikes: tf.Tensor): tf.Tensor {
    const sx = check(this, this.x, spikes);
    const dt = environ.getDt();
    const [x, out] = tf.tidy(() => {
      const s = spikes.dtype === 'float32' ? spikes : tf.cast(spikes, 'float32');
      const x0 = sx.value;
      const relaxed = tf.sub(1, tf.mul(tf.sub(1, x0), decayFactor(this.tau, dt)));
      const X = tf.sub(relaxed, tf.mul(tf.mul(s, this.U), x0));
      return [X, tf.mul(X, s)];
    });
    sx.value = x;
    return out;
  }

  override call(spikes: tf.Tensor): tf.Tensor {
    return this.update(spikes);
  }
}
