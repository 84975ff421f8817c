/**
 * `Neuron`: what the spiking neuron models share, as brainpy.state's `Neuron`: a spike
 * function with a surrogate gradient, the reset mode, the integration method, and the
 * making and checking of their hidden states.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import { HiddenState, ShortTermState } from '../state';
import { Dynamics, checkInputShape } from './dynamics';
import { InitSpec, param } from './init';
import { checkMethod, checkReset, Method } from './integrate';
import { SpikeFunction, reluGrad } from './surrogate';

/** Options every neuron model takes. */
export interface NeuronOptions {
  /** Spike function of the scaled potential (default `surrogate.reluGrad()`, as brainpy.state). */
  spkFun?: SpikeFunction;
  /** `'soft'` subtracts the threshold distance after a spike; `'hard'` sets the reset value. */
  spkReset?: 'soft' | 'hard';
  /** `'expEuler'` (brainpy.state's) or `'euler'`. */
  method?: Method;
}

/** The state a model keeps in field `name`: made on first use, else its value rewritten. */
export function hiddenOf(existing: HiddenState | undefined, value: tf.Tensor, name: string): HiddenState {
  if (existing === undefined) return new HiddenState(value, { name });
  existing.value = value;
  return existing;
}

/** Like {@link hiddenOf}, for bookkeeping states that carry no gradient (refractory counters). */
export function shortTermOf(existing: ShortTermState | undefined, value: tf.Tensor, name: string): ShortTermState {
  if (existing === undefined) return new ShortTermState(value, { name });
  existing.value = value;
  return existing;
}

/**
 * The base of the neuron models. Subclasses make their states in `initState(batchSize?)`,
 * advance one step of `environ.get('dt')` in `update(x)` and return the spikes (float
 * 0/1, with a surrogate gradient). Synaptic outputs registered with `addCurrentInput`
 * (projections do it) are added to the input current at every step.
 */
export abstract class Neuron extends Dynamics {
  readonly spkFun: SpikeFunction;
  readonly spkReset: 'soft' | 'hard';
  readonly method: Method;

  protected constructor(inSize: number | readonly number[], options: NeuronOptions,
    defaults: { spkReset: 'soft' | 'hard'; method: Method }, where: string) {
    super(inSize, where);
    this.spkFun = options.spkFun ?? reluGrad();
    this.spkReset = checkReset(options.spkReset ?? defaults.spkReset, where);
    this.method = checkMethod(options.method ?? defaults.method, where);
  }

  /** The spikes of the current state (or of the potential given). */
  abstract getSpike(V?: tf.Tensor): tf.Tensor;

  /** One step of `environ.get('dt')` with input current `x`; returns the spikes. */
  abstract override update(x?: tf.Tensor | number): tf.Tensor;

  /** An initial value of the neurons' shape (with an optional batch axis). */
  protected initial(spec: InitSpec, batchSize: number | undefined, name: string): tf.Tensor {
    const where = `${this.constructor.name}.initState`;
    const shape = batchSize === undefined ? [...this.varshape] : [batchSize, ...this.varshape];
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
      throw new BrainStateError(`${where}: expected batchSize to be a positive integer or omitted, got ${batchSize}.`);
    }
    return param(spec, shape, `${this.constructor.name}(${name})`);
  }

  /** `state`, or an error saying to call `initState` first. */
  protected need<S>(state: S | undefined, name: string, where: string): S {
    if (state === undefined) {
      throw new BrainStateError(`${this.constructor.name}.${where}: the state ${name} does not exist yet; call ` +
        `${this.constructor.name.toLowerCase()}.initState() (or nn.initAllStates(model)) before running the neurons.`);
    }
    return state;
  }

  /** `dt`, and a check that a tensor input broadcasts to `like`'s shape. */
  protected stepInput(x: tf.Tensor | number, like: tf.Tensor, where: string): number {
    const dt = environ.getDt();
    if (typeof x !== 'number') checkInputShape(x.shape, like.shape, `${this.constructor.name}.${where}`);
    return dt;
  }

  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }
}
