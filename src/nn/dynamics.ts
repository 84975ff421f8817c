/**
 * `Dynamics`: the base of neurons and synapses, as BrainState's `brainstate.nn.Dynamics`.
 * Besides the shape of its variables it keeps the inputs other modules give it between
 * steps: current inputs (a synaptic output such as `COBA`, called with the membrane
 * potential every step, or a tensor used once) and delta inputs (added to a variable
 * once, e.g. a projection's spikes into a synapse).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { Module } from './module';

/** A parameter: a number, or a tensor that broadcasts against the neurons' shape. */
export type DynParam = number | tf.Tensor;

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

/** Something called with the membrane potential every step (a synaptic output), returning a current. */
export interface CurrentSource {
  call(v: tf.Tensor): tf.Tensor;
}

/** A current input: a source called every step, or a value (tensor or number) used once. */
export type CurrentInput = CurrentSource | ((v: tf.Tensor) => tf.Tensor) | tf.Tensor | number;

/** A delta input: a function called every step, or a value (tensor or number) used once. */
export type DeltaInput = (() => tf.Tensor) | tf.Tensor | number;

function isSource(x: unknown): x is CurrentSource {
  return typeof x === 'object' && x !== null && !(x instanceof tf.Tensor) && typeof (x as CurrentSource).call === 'function';
}

/** `a + b` where either may be a number. */
function plus(a: tf.Tensor | number, b: tf.Tensor | number): tf.Tensor | number {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  return tf.add(a, b);
}

/**
 * The base of dynamical systems (neurons, synapses): a variable shape `varshape` and the
 * current and delta inputs other modules register. Values registered as inputs are used
 * by the next `sumCurrentInputs` / `sumDeltaInputs` and then dropped; functions and
 * sources stay until removed. The inputs are not part of the module graph (they are not
 * walked, split or saved): the modules that register them own them.
 *
 * @example
 * ```ts
 * const lif = new bst.nn.LIF(10);
 * lif.addCurrentInput('drive', tf.fill([10], 2));   // used at the next update only
 * lif.addCurrentInput('syn', new bst.nn.CUBA());     // called every update
 * ```
 */
export class Dynamics extends Module {
  /** The variables' shape (without a batch axis). */
  readonly varshape: number[];
  private readonly currentInputs!: Map<string, CurrentInput>;
  private readonly deltaInputs!: Map<string, DeltaInput>;

  constructor(inSize: number | readonly number[], where: string) {
    super();
    this.varshape = toVarshape(inSize, where);
    // Not enumerable: the graph walker treats inputs as the registering module's business.
    Object.defineProperty(this, 'currentInputs', { value: new Map(), enumerable: false });
    Object.defineProperty(this, 'deltaInputs', { value: new Map(), enumerable: false });
  }

  /** The number of elements of `varshape`. */
  get numNeurons(): number {
    return tf.util.sizeFromShape(this.varshape as number[]);
  }

  /**
   * Registers a current input under `key`: a source or function of the membrane potential
   * (kept, called at every step), or a value used once. A key holding a different kept
   * source is an error.
   */
  addCurrentInput(key: string, input: CurrentInput): void {
    const known = this.currentInputs.get(key);
    if (known !== undefined && known !== input && (typeof known === 'function' || isSource(known))) {
      throw new BrainStateError(`${this.constructor.name}.addCurrentInput: expected a new key, got '${key}', which ` +
        'already holds another current source; use another key, or removeInput(key) first.');
    }
    this.currentInputs.set(key, input);
  }

  /** Registers a delta input under `key` (a function kept and called every step, or a value used once). */
  addDeltaInput(key: string, input: DeltaInput): void {
    const known = this.deltaInputs.get(key);
    if (typeof known === 'function' && known !== input) {
      throw new BrainStateError(`${this.constructor.name}.addDeltaInput: expected a new key, got '${key}', which ` +
        'already holds another delta function; use another key, or removeInput(key) first.');
    }
    if (known !== undefined && typeof known !== 'function' && typeof input !== 'function') {
      // Two values under one key in one step add up.
      this.deltaInputs.set(key, plus(known, input));
      return;
    }
    this.deltaInputs.set(key, input);
  }

  /** Removes the input(s) registered under `key`. */
  removeInput(key: string): void {
    this.currentInputs.delete(key);
    this.deltaInputs.delete(key);
  }

  /** The keys of the current inputs now registered. */
  currentInputKeys(): string[] {
    return [...this.currentInputs.keys()];
  }

  /** `init` plus every current input at membrane potential `v`; values are used up. */
  sumCurrentInputs(init: tf.Tensor | number, v: tf.Tensor): tf.Tensor | number {
    let total = init;
    for (const [key, input] of [...this.currentInputs]) {
      if (typeof input === 'function') total = plus(total, input(v));
      else if (isSource(input)) total = plus(total, input.call(v));
      else {
        total = plus(total, input);
        this.currentInputs.delete(key);
      }
    }
    return total;
  }

  /** `x` plus every delta input (`x` itself when there is none); values are used up. */
  withDeltaInputs(x: tf.Tensor): tf.Tensor {
    if (this.deltaInputs.size === 0) return x;
    return tf.add(x, this.sumDeltaInputs(0));
  }

  /** `init` plus every delta input; values are used up. */
  sumDeltaInputs(init: tf.Tensor | number): tf.Tensor | number {
    let total = init;
    for (const [key, input] of [...this.deltaInputs]) {
      if (typeof input === 'function') total = plus(total, input());
      else {
        total = plus(total, input);
        this.deltaInputs.delete(key);
      }
    }
    return total;
  }
}
