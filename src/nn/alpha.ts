/**
 * Two-variable synapses of brainpy.state: `Alpha` (rise and decay with one time
 * constant) and `DualExpon` (separate rise and decay time constants).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import type { HiddenState } from '../state';
import { Dynamics, DynParam, checkInputShape } from './dynamics';
import { InitSpec, param } from './init';
import { decayFactor } from './integrate';
import { hiddenOf } from './neuron';

function initial(spec: InitSpec, varshape: number[], batchSize: number | undefined, where: string): tf.Tensor {
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new BrainStateError(`${where}.initState: expected batchSize to be a positive integer or omitted, got ${batchSize}.`);
  }
  return param(spec, batchSize === undefined ? [...varshape] : [batchSize, ...varshape], `${where}(gInit)`);
}

function need<S>(s: S | undefined, name: string, where: string): S {
  if (s === undefined) {
    throw new BrainStateError(`${where}.update: the state ${name} does not exist yet; call initState() (or ` +
      'nn.initAllStates(model)) first.');
  }
  return s;
}

/** Options of {@link Alpha}. */
export interface AlphaOptions {
  /** Time constant (default 8). */
  tau?: DynParam;
  /** Initial value of `g` and `h` (default 0). */
  gInit?: InitSpec;
}

/**
 * The alpha synapse of brainpy.state: `dh/dt = -h / tau`, `dg/dt = (-g + h) / tau`;
 * inputs (delta inputs and `x`) add to `h`, and `update` returns `g`. One unit into `h`
 * gives `g(t) = (t / tau) exp(-t / tau)` in continuous time. Each step is exponential
 * Euler as brainpy.state: `h' = h e`, `g' = g e + h (1 - e)` with `e = exp(-dt / tau)`
 * and the `h` of the step's start, so after an impulse at step 0,
 * `g_n = n e^(n-1) (1 - e)`.
 *
 * @example
 * ```ts
 * const syn = new bst.nn.Alpha(100, { tau: 5 });
 * syn.initState();
 * bst.environ.context({ dt: 0.1 }, () => syn.update(spikes));
 * ```
 * @see DualExpon
 */
export class Alpha extends Dynamics {
  readonly tau: DynParam;
  readonly gInit: InitSpec;
  g!: HiddenState;
  h!: HiddenState;

  constructor(inSize: number | readonly number[], options: AlphaOptions = {}) {
    super(inSize, 'Alpha');
    this.tau = options.tau ?? 8;
    this.gInit = options.gInit ?? 0;
  }

  override initState(batchSize?: number): void {
    this.g = hiddenOf(this.g, initial(this.gInit, this.varshape, batchSize, 'Alpha'), 'g');
    this.h = hiddenOf(this.h, initial(this.gInit, this.varshape, batchSize, 'Alpha'), 'h');
  }

  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  /** One step; `x` (if given) adds to `h`. Returns `g` (a copy the caller owns). */
  override update(x?: tf.Tensor | number): tf.Tensor {
    const g = need(this.g, 'g', 'Alpha');
    const h = need(this.h, 'h', 'Alpha');
    const dt = environ.getDt();
    if (x !== undefined && typeof x !== 'number') checkInputShape(x.shape, h.value.shape, 'Alpha.update');
    const [gn, hn] = tf.tidy(() => {
      const e = decayFactor(this.tau, dt);
      const G = tf.add(tf.mul(g.value, e), tf.mul(h.value, tf.sub(1, e)));
      let H = this.withDeltaInputs(tf.mul(h.value, e));
      if (x !== undefined) H = tf.add(H, x);
      return [G, H];
    });
    g.value = gn;
    h.value = hn;
    return tf.clone(gn);
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}

/** Options of {@link DualExpon}. */
export interface DualExponOptions {
  /** Decay time constant (default 10). */
  tauDecay?: DynParam;
  /** Rise time constant (default 1). */
  tauRise?: DynParam;
  /**
   * Amplitude; default brainpy.state's factor
   * `tauDecay / (tauDecay - tauRise) * (tauRise / tauDecay) ^ (tauRise / (tauRise - tauDecay))`.
   */
  A?: DynParam;
  /** Initial value of both components (default 0). */
  gInit?: InitSpec;
}

/** `tauDecay / (tauDecay - tauRise) * (tauRise / tauDecay) ^ (tauRise / (tauRise - tauDecay))`. */
function peakNormaliser(tauDecay: DynParam, tauRise: DynParam): DynParam {
  if (typeof tauDecay === 'number' && typeof tauRise === 'number') {
    return tauDecay / (tauDecay - tauRise) * Math.pow(tauRise / tauDecay, tauRise / (tauRise - tauDecay));
  }
  return tf.tidy(() => tf.keep(tf.mul(tf.div(tauDecay, tf.sub(tauDecay, tauRise)),
    tf.pow(tf.div(tauRise, tauDecay), tf.div(tauRise, tf.sub(tauRise, tauDecay))))));
}

/**
 * The dual exponential synapse of brainpy.state: two components that decay with
 * `tauRise` and `tauDecay`, both receiving the inputs, and the output
 * `g = a (gDecay - gRise)` with `a = (tauDecay - tauRise) / (tauRise tauDecay) A`. One
 * unit of input gives, in continuous time,
 * `g(t) = a (exp(-t / tauDecay) - exp(-t / tauRise))`, which the exponential steps
 * follow exactly at the step times.
 *
 * @example
 * ```ts
 * const syn = new bst.nn.DualExpon(100, { tauRise: 1, tauDecay: 10 });
 * syn.initState();
 * ```
 * @see Alpha
 */
export class DualExpon extends Dynamics {
  readonly tauDecay: DynParam;
  readonly tauRise: DynParam;
  readonly A: DynParam;
  /** The output factor `a`. */
  readonly a: DynParam;
  readonly gInit: InitSpec;
  gRise!: HiddenState;
  gDecay!: HiddenState;

  constructor(inSize: number | readonly number[], options: DualExponOptions = {}) {
    super(inSize, 'DualExpon');
    this.tauDecay = options.tauDecay ?? 10;
    this.tauRise = options.tauRise ?? 1;
    if (typeof this.tauDecay === 'number' && typeof this.tauRise === 'number' && this.tauDecay === this.tauRise) {
      throw new BrainStateError('DualExpon: expected tauRise and tauDecay to differ (equal ones make an alpha ' +
        'synapse: use nn.Alpha), got both ' + String(this.tauDecay) + '.');
    }
    this.A = options.A ?? peakNormaliser(this.tauDecay, this.tauRise);
    const d = this.tauDecay;
    const r = this.tauRise;
    this.a = typeof d === 'number' && typeof r === 'number' && typeof this.A === 'number' ? (d - r) / r / d * this.A
      : tf.tidy(() => tf.keep(tf.mul(tf.div(tf.div(tf.sub(d, r), r), d), this.A)));
    this.gInit = options.gInit ?? 0;
  }

  override initState(batchSize?: number): void {
    this.gRise = hiddenOf(this.gRise, initial(this.gInit, this.varshape, batchSize, 'DualExpon'), 'gRise');
    this.gDecay = hiddenOf(this.gDecay, initial(this.gInit, this.varshape, batchSize, 'DualExpon'), 'gDecay');
  }

  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  /** One step; the delta inputs and `x` (if given) add to both components. Returns `g` (a copy). */
  override update(x?: tf.Tensor | number): tf.Tensor {
    const sr = need(this.gRise, 'gRise', 'DualExpon');
    const sd = need(this.gDecay, 'gDecay', 'DualExpon');
    const dt = environ.getDt();
    if (x !== undefined && typeof x !== 'number') checkInputShape(x.shape, sr.value.shape, 'DualExpon.update');
    const [r, d, g] = tf.tidy(() => {
      let inp: tf.Tensor | number = this.sumDeltaInputs(0);
      if (x !== undefined) inp = typeof inp === 'number' && typeof x === 'number' ? inp + x : tf.add(inp, x);
      const R = tf.add(tf.mul(sr.value, decayFactor(this.tauRise, dt)), inp);
      const D = tf.add(tf.mul(sd.value, decayFactor(this.tauDecay, dt)), inp);
      return [R, D, tf.mul(this.a, tf.sub(D, R))];
    });
    sr.value = r;
    sd.value = d;
    return g;
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}
