/**
 * `State`: a named, tagged holder of a tensor (or a tree of tensors) whose every read
 * and write goes through the state, so that transforms can see it.
 */
import * as tf from '@tensorflow/tfjs';
import { noteUse } from '../backend/readiness';
import { StateError, TraceError } from '../errors';
import { currentObserver, heldByObservers } from './stack';
import { StateValue, describeValue, stateValueProblem, tensorLeaves } from './tree';

export type { StateValue } from './tree';

/** Options accepted by every state constructor. */
export interface StateOptions {
  /** A name used in messages and printing. */
  name?: string;
  /** A free-form tag; graph filters can select states by it. */
  tag?: string;
}

/**
 * How many states hold each tensor. A write disposes the value it replaces only when
 * no other state still holds it, so module copies made by split / merge, which share
 * tensors, stay valid.
 */
const holders = new WeakMap<tf.Tensor, number>();

function hold(value: StateValue): void {
  for (const t of tensorLeaves(value)) {
    tf.keep(t); // a state keeps its value alive across tf.tidy
    holders.set(t, (holders.get(t) ?? 0) + 1);
  }
}

function release(value: StateValue): void {
  for (const t of tensorLeaves(value)) {
    const n = (holders.get(t) ?? 1) - 1;
    if (n > 0) {
      holders.set(t, n);
    } else {
      holders.delete(t);
      if (!t.isDisposed) t.dispose();
    }
  }
}

/** The number of states that hold `tensor` now (0 when none does). */
export function holderCount(tensor: tf.Tensor): number {
  return holders.get(tensor) ?? 0;
}

/**
 * Whether `tensor` is a state's value: held by a state, or, inside a transform, by a
 * shadow write or as the value a state read returned. A loop or transform that hands a
 * tensor out and later disposes what it handed out must clone such a tensor first.
 */
export function isStateValue(tensor: tf.Tensor): boolean {
  return holderCount(tensor) > 0 || heldByObservers(tensor);
}

/**
 * The base of every state kind. Holds a value of type `T` (a tensor or a tree of them).
 *
 * Memory rule: a state keeps its value alive (also across `tf.tidy`); writing a new
 * value disposes the old one unless another state still holds it. Clone a value with
 * `tf.clone` before a write if you need the old one afterwards.
 *
 * @example
 * ```ts
 * const s = new bst.State(tf.zeros([2, 3]), { name: 'acc' });
 * s.value = tf.add(s.value, 1);    // the old zeros are disposed
 * console.log(s.toString());       // State(value=Tensor[2,3] float32, tag=undefined)
 * ```
 */
export class State<T extends StateValue = tf.Tensor> {
  private _value!: T;
  /** Set when the state was created inside a trace that has ended; says which. */
  private _deadTrace: string | undefined;
  /** A name used in messages and printing. */
  name: string | undefined;
  /** A free-form tag that graph filters can select on. */
  tag: string | undefined;

  constructor(value: T, options: StateOptions = {}) {
    this.name = options.name;
    this.tag = options.tag;
    this.checkValue(value, 'constructor');
    noteUse('a State was created');
    const observer = currentObserver();
    this.setRaw(value);
    if (observer?.created != null) observer.created(this as unknown as State<StateValue>);
  }

  /** The state's value. Under a transform the read is recorded (and may be a traced tensor). */
  get value(): T {
    if (this._deadTrace !== undefined) throw this.deadError();
    const observer = currentObserver();
    return observer === undefined ? this._value : (observer.read(this as unknown as State<StateValue>) as T);
  }

  set value(v: T) {
    if (this._deadTrace !== undefined) throw this.deadError();
    this.checkValue(v, 'value');
    const observer = currentObserver();
    if (observer === undefined) this.setRaw(v);
    else observer.write(this as unknown as State<StateValue>, v);
  }

  /** The class name of this kind of state (`ParamState`, `HiddenState`, ...). */
  get kind(): string {
    return this.constructor.name;
  }

  /**
   * The stored value, bypassing every transform. For transforms and the graph walker;
   * user code reads `.value`.
   * @internal
   */
  rawValue(): T {
    return this._value;
  }

  /**
   * Replaces the stored value, bypassing every transform, with the memory rule applied.
   * @internal
   */
  setRaw(v: T): void {
    const old = this._value;
    if (old === v) return;
    hold(v);
    if (old !== undefined) release(old);
    this._value = v;
  }

  /**
   * Retires a state created inside a trace once that trace has ended: its value is
   * released (under the memory rule) and any later use is a TraceError.
   * @internal
   */
  retireAfterTrace(traceName: string): void {
    if (this._deadTrace !== undefined) return;
    this._deadTrace = traceName;
    if (this._value !== undefined) release(this._value);
  }

  /** A human-readable label: the name if set, else the kind. */
  label(): string {
    return this.name != null ? `${this.kind} '${this.name}'` : this.kind;
  }

  toString(): string {
    const v = this._value === undefined ? 'undefined' : describeValue(this._value);
    return `${this.kind}(value=${v}, tag=${this.tag})`;
  }

  private checkValue(v: unknown, where: string): void {
    const problem = stateValueProblem(v);
    if (problem != null) {
      throw new StateError(`${this.label()}.${where}: expected a tf.Tensor or an array / plain object of ` +
        `tensors, but ${problem}. Wrap numbers with tf.scalar(...) or tf.tensor(...).`);
    }
  }

  private deadError(): TraceError {
    return new TraceError(`${this.label()}: this state was created inside the traced call of ${this._deadTrace} ` +
      'and cannot be used after it; create states outside the jitted function (e.g. in a module constructor) ' +
      'and only read or write them inside.');
  }
}

/** Short-lived state (BrainState's `ShortTermState`): reset between trials or batches. */
export class ShortTermState<T extends StateValue = tf.Tensor> extends State<T> {}

/** A hidden variable of a dynamical system (membrane potential, synaptic current, ...). */
export class HiddenState<T extends StateValue = tf.Tensor> extends ShortTermState<T> {}

/** Long-lived state (BrainState's `LongTermState`): kept across trials (running statistics, ...). */
export class LongTermState<T extends StateValue = tf.Tensor> extends State<T> {}

/**
 * Batch statistics (BrainState's `BatchState`): long-lived values a layer updates from
 * the data while fitting, such as `BatchNorm`'s running mean and variance. Not trainable:
 * gradients and optimisers select `ParamState`, filters can pick these by class.
 */
export class BatchState<T extends StateValue = tf.Tensor> extends LongTermState<T> {}

/** A trainable parameter (weights, biases). Gradients and optimisers select these. */
export class ParamState<T extends StateValue = tf.Tensor> extends LongTermState<T> {}

/** Holds a pseudo-random key; the `random` module reads and advances it like any state. */
export class RandomState<T extends StateValue = tf.Tensor> extends State<T> {}

/** Any state constructor, for filters and decorator options. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StateClass = abstract new (...args: any[]) => State<StateValue>;
