/**
 * `LIF`: the leaky integrate-and-fire neuron of brainpy.state (with `tauRef`, its
 * `LIFRef`), with a surrogate-gradient spike function so that networks of it train.
 */
import * as tf from '@tensorflow/tfjs';
import { ShortTermState } from '../state';
import type { HiddenState } from '../state';
import { DynParam } from './dynamics';
import { InitSpec } from './init';
import { Method, stepsWithin } from './integrate';
import { hiddenOf, Neuron, NeuronOptions, shortTermOf } from './neuron';
import { stopGradient } from './surrogate';

// Kept here for modules written against the first nn release.
export { batchedShape, checkInputShape, toVarshape } from './dynamics';
export type { DynParam } from './dynamics';

/** Options of {@link LIF} (defaults are brainpy.state's, without units). */
export interface LIFOptions extends NeuronOptions {
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
  /**
   * Refractory period, in the unit of `dt` (default 0: none). After a spike the potential
   * is held at its reset value for the steps `k = 1, 2, ...` with `k dt < tauRef` (as
   * brainpy.state's `LIFRef` and Brian2's `refractory` with `(unless refractory)`).
   */
  tauRef?: DynParam;
  /** Initial membrane potential (default 0). */
  vInit?: InitSpec;
  /** `'soft'` subtracts `vTh - vReset` after a spike (default); `'hard'` sets `V = vReset`. */
  spkReset?: 'soft' | 'hard';
  /**
   * `'euler'` (default): `V += (-(V - vRest) + R I) / tau * dt`; `'expEuler'`: the exact
   * step for constant input, `V += (vRest + R I - V) (1 - exp(-dt / tau))`, as brainpy.state.
   */
  method?: Method;
}

/**
 * Leaky integrate-and-fire neurons: `tau dV/dt = -(V - vRest) + R I`, a spike when `V`
 * reaches `vTh`. As in brainpy.state, `update(x)` first resets the neurons that spiked at
 * the previous step (soft: `V -= (vTh - vReset)`; hard: `V = vReset`), then integrates one
 * step of `environ.get('dt')` with the current `I = x +` the current inputs registered
 * (e.g. `COBA` outputs of projections, evaluated at the reset potential), adds the delta
 * inputs, and returns the spikes `spkFun((V - vTh) / (vTh - vReset))` (1 where
 * `V >= vTh`). So right after a spiking step `V` is still above threshold; the reset
 * shows at the next step. With `tauRef`, a neuron stays at its reset value for the
 * refractory steps (the counter `refractory` holds the steps left).
 *
 * The membrane potential `V` is a `HiddenState` made by `initState(batchSize?)` (call it,
 * or `nn.initAllStates(model)`, before the first `update`).
 *
 * @example
 * ```ts
 * const lif = new bst.nn.LIF(100, { tau: 10, vTh: 1, tauRef: 2 });
 * lif.initState();
 * bst.environ.set({ dt: 0.1 });
 * const spikes = lif.update(tf.fill([100], 2));   // Tensor[100], 0 or 1
 * lif.V.value;                                     // the membrane potentials
 * ```
 * @see Expon
 * @see COBA
 */
export class LIF extends Neuron {
  readonly R: DynParam;
  readonly tau: DynParam;
  readonly vTh: DynParam;
  readonly vReset: DynParam;
  readonly vRest: DynParam;
  readonly tauRef: DynParam;
  readonly vInit: InitSpec;
  /** The membrane potential (made by `initState`). */
  V!: HiddenState;
  /** Refractory steps left per neuron (only with a `tauRef`). */
  refractory?: ShortTermState;

  constructor(inSize: number | readonly number[], options: LIFOptions = {}) {
    super(inSize, options, { spkReset: 'soft', method: 'euler' }, 'LIF');
    this.R = options.R ?? 1;
    this.tau = options.tau ?? 5;
    this.vTh = options.vTh ?? 1;
    this.vReset = options.vReset ?? 0;
    this.vRest = options.vRest ?? 0;
    this.tauRef = options.tauRef ?? 0;
    this.vInit = options.vInit ?? 0;
  }

  /** Whether the neurons have a refractory period. */
  get hasRefractory(): boolean {
    return typeof this.tauRef !== 'number' || this.tauRef > 0;
  }

  /** Makes `V` (or, when it exists, rewrites its value) from `vInit`, with an optional batch axis. */
  override initState(batchSize?: number): void {
    const v = this.initial(this.vInit, batchSize, 'vInit');
    this.V = hiddenOf(this.V, v, 'V');
    if (this.hasRefractory) this.refractory = shortTermOf(this.refractory, tf.zerosLike(v), 'refractory');
  }

  /** The spikes of potential `V` (default: the current one): `spkFun((V - vTh) / (vTh - vReset))`. */
  getSpike(V?: tf.Tensor): tf.Tensor {
    const v = V ?? this.need(this.V, 'V', 'getSpike').value;
    return tf.tidy(() => this.spkFun(tf.div(tf.sub(v, this.vTh), tf.sub(this.vTh, this.vReset))));
  }

  /** One step with input current `x` (default 0); returns the spikes. */
  override update(x: tf.Tensor | number = 0): tf.Tensor {
    const state = this.need(this.V, 'V', 'update');
    const ref = this.hasRefractory ? this.need(this.refractory, 'refractory', 'update') : undefined;
    const dt = this.stepInput(x, state.value, 'update');
    const [v, spike, left] = tf.tidy(() => {
      const last = state.value;
      const lastSpike = this.getSpike(last);
      const top = this.spkReset === 'soft' ? this.vTh : stopGradient(last);
      const reset = tf.sub(last, tf.mul(tf.sub(top, this.vReset), lastSpike));
      const I = this.sumCurrentInputs(x, reset);
      let V: tf.Tensor;
      if (this.method === 'euler') {
        const dv = tf.div(tf.add(tf.neg(tf.sub(reset, this.vRest)), tf.mul(this.R, I)), this.tau);
        V = tf.add(reset, tf.mul(dv, dt));
      } else {
        const target = tf.add(this.vRest, tf.mul(this.R, I));
        const factor = tf.sub(1, tf.exp(tf.div(-dt, this.tau)));
        V = tf.add(reset, tf.mul(tf.sub(target, reset), factor));
      }
      V = this.withDeltaInputs(V);
      if (ref === undefined) return [V, this.getSpike(V)];
      // Held at the reset value while steps of the refractory period are left. The counter
      // counts down with maximum(c - 1, 0) (relu on tfjs-wasm is not fused: it works on the
      // bits of NaN), so the whole step fuses into one kernel on every backend.
      V = tf.where(tf.greater(ref.value, 0), reset, V);
      const spk = this.getSpike(V);
      const steps = tf.sub(stepsWithin(this.tauRef, dt), 1);
      const counter = tf.where(tf.greater(spk, 0), tf.add(tf.zerosLike(V), steps), tf.maximum(tf.sub(ref.value, 1), 0));
      return [V, spk, counter];
    });
    state.value = v;
    if (ref !== undefined) ref.value = left!;
    return spike;
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}
