/**
 * `LIF`: the leaky integrate-and-fire neuron of brainpy.state, with a surrogate-gradient
 * spike function so that networks of it train.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import { HiddenState } from '../state';
import { InitSpec, param } from './init';
import { Module } from './module';
import { SpikeFunction, reluGrad, stopGradient } from './surrogate';

/** A parameter: a number, or a tensor that broadcasts against the neurons' shape. */
export type DynParam = number | tf.Tensor;

/** Options of {@link LIF} (defaults are brainpy.state's, without units). */
export interface LIFOptions {
  /** Membrane resistance (default 1). */
  R?: DynParam;
  /** Membrane time constant, in the unit of `dt` (default 5). */
  tau?: DynParam;
  /** Firing threshold (default 1). */
  vTh?: DynParam;
  /** Reset potential (default 0). */
  vReset?: DynParam;
  /** Resting potential (default 0). */
  vRest?: DynParam;
  /** Initial membrane potential (default 0). */
  vInit?: InitSpec;
  /** Spike function of the scaled potential (default `surrogate.reluGrad()`, as brainpy.state). */
  spkFun?: SpikeFunction;
  /** `'soft'` subtracts `vTh - vReset` after a spike (default); `'hard'` sets `V = vReset`. */
  spkReset?: 'soft' | 'hard';
  /**
   * `'euler'` (default): `V += (-(V - vRest) + R x) / tau * dt`; `'expEuler'`: the exact
   * step for constant input, `V += (vRest + R x - V) (1 - exp(-dt / tau))`, as brainpy.state.
   */
  method?: 'euler' | 'expEuler';
}

/** `[batchSize, ...varshape]`, or `varshape` without a batch. */
export function batchedShape(varshape: readonly number[], batchSize: number | undefined, where: string): number[] {
  if (batchSize === undefined) return [...varshape];
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new BrainStateError(`${where}: expected batchSize to be a positive integer or omitted, got ${batchSize}.`);
  }
  return [batchSize, ...varshape];
}

/** The neurons' shape from a size given as a number or a shape. */
export function toVarshape(inSize: number | readonly number[], where: string): number[] {
  const shape = typeof inSize === 'number' ? [inSize] : [...inSize];
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new BrainStateError(`${where}: expected inSize to be a positive integer or a shape of them, got ` +
      `${JSON.stringify(inSize)}.`);
  }
  return shape;
}

/** Throws unless an input of `xShape` broadcasts to the state's shape without changing it. */
export function checkInputShape(xShape: readonly number[], stateShape: readonly number[], where: string): void {
  let ok = xShape.length <= stateShape.length;
  for (let i = 1; ok && i <= xShape.length; i++) {
    const a = xShape[xShape.length - i];
    ok = a === 1 || a === stateShape[stateShape.length - i];
  }
  if (!ok) {
    throw new BrainStateError(`${where}: expected an input that broadcasts to the state's shape ` +
      `[${stateShape.join(',')}], got shape [${xShape.join(',')}]; pass a number or a tensor of that shape.`);
  }
}

/**
 * Leaky integrate-and-fire neurons: `tau dV/dt = -(V - vRest) + R x`, a spike when `V`
 * reaches `vTh`. As in brainpy.state, `update(x)` first resets the neurons that spiked at
 * the previous step (soft: `V -= (vTh - vReset)`; hard: `V = vReset`), then integrates one
 * step of `environ.get('dt')`, stores `V` and returns the spikes
 * `spkFun((V - vTh) / (vTh - vReset))` (1 where `V >= vTh`). So right after a spiking
 * step `V` is still above threshold; the reset shows at the next step.
 *
 * The membrane potential `V` is a `HiddenState` made by `initState(batchSize?)` (call it,
 * or `nn.initAllStates(model)`, before the first `update`).
 *
 * @example
 * ```ts
 * const lif = new bst.nn.LIF(100, { tau: 10, vTh: 1 });
 * lif.initState();
 * bst.environ.set({ dt: 0.1 });
 * const spikes = lif.update(tf.fill([100], 2));   // Tensor[100], 0 or 1
 * lif.V.value;                                     // the membrane potentials
 * ```
 * @see Expon
 */
export class LIF extends Module {
  /** The neurons' shape. */
  readonly varshape: number[];
  readonly R: DynParam;
  readonly tau: DynParam;
  readonly vTh: DynParam;
  readonly vReset: DynParam;
  readonly vRest: DynParam;
  readonly vInit: InitSpec;
  readonly spkFun: SpikeFunction;
  readonly spkReset: 'soft' | 'hard';
  readonly method: 'euler' | 'expEuler';
  /** The membrane potential (made by `initState`). */
  V!: HiddenState;

  constructor(inSize: number | readonly number[], options: LIFOptions = {}) {
    super();
    this.varshape = toVarshape(inSize, 'LIF');
    this.R = options.R ?? 1;
    this.tau = options.tau ?? 5;
    this.vTh = options.vTh ?? 1;
    this.vReset = options.vReset ?? 0;
    this.vRest = options.vRest ?? 0;
    this.vInit = options.vInit ?? 0;
    this.spkFun = options.spkFun ?? reluGrad();
    this.spkReset = options.spkReset ?? 'soft';
    this.method = options.method ?? 'euler';
    if (this.spkReset !== 'soft' && this.spkReset !== 'hard') {
      throw new BrainStateError(`LIF: expected spkReset 'soft' or 'hard', got '${String(this.spkReset)}'.`);
    }
    if (this.method !== 'euler' && this.method !== 'expEuler') {
      throw new BrainStateError(`LIF: expected method 'euler' or 'expEuler', got '${String(this.method)}'.`);
    }
  }

  /** Makes `V` (or, when it exists, rewrites its value) from `vInit`, with an optional batch axis. */
  override initState(batchSize?: number): void {
    const v = param(this.vInit, batchedShape(this.varshape, batchSize, 'LIF.initState'), 'LIF(vInit)');
    if (this.V === undefined) this.V = new HiddenState(v, { name: 'V' });
    else this.V.value = v;
  }

  /** Sets `V` back to `vInit`. */
  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  /** The spikes of potential `V` (default: the current one): `spkFun((V - vTh) / (vTh - vReset))`. */
  getSpike(V?: tf.Tensor): tf.Tensor {
    const v = V ?? this.requireV('getSpike').value;
    return tf.tidy(() => this.spkFun(tf.div(tf.sub(v, this.vTh), tf.sub(this.vTh, this.vReset))));
  }

  /** One step with input current `x` (default 0); returns the spikes. */
  override update(x: tf.Tensor | number = 0): tf.Tensor {
    const state = this.requireV('update');
    const dt = environ.getDt();
    if (typeof x !== 'number') checkInputShape(x.shape, state.value.shape, 'LIF.update');
    const [v, spike] = tf.tidy(() => {
      const last = state.value;
      const lastSpike = this.getSpike(last);
      const top = this.spkReset === 'soft' ? this.vTh : stopGradient(last);
      let V = tf.sub(last, tf.mul(tf.sub(top, this.vReset), lastSpike));
      if (this.method === 'euler') {
        const dv = tf.div(tf.add(tf.neg(tf.sub(V, this.vRest)), tf.mul(this.R, x)), this.tau);
        V = tf.add(V, tf.mul(dv, dt));
      } else {
        const target = tf.add(this.vRest, tf.mul(this.R, x));
        const factor = tf.sub(1, tf.exp(tf.div(-dt, this.tau)));
        V = tf.add(V, tf.mul(tf.sub(target, V), factor));
      }
      return [V, this.getSpike(V)];
    });
    state.value = v;
    return spike;
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }

  private requireV(where: string): HiddenState {
    if (this.V === undefined) {
      throw new BrainStateError(`LIF.${where}: the membrane potential V does not exist yet; call ` +
        'lif.initState() (or nn.initAllStates(model)) before running the neurons.');
    }
    return this.V;
  }
}
