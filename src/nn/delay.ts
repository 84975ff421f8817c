/**
 * `Delay`: a ring buffer of past values, as BrainState's `brainstate.nn.Delay`, for
 * axonal delays (a projection reads the spikes of some steps ago).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as environ from '../environ';
import { HiddenState, ShortTermState } from '../state';
import { Module } from './module';
import { hiddenOf, shortTermOf } from './neuron';

/** Options of {@link Delay}. */
export interface DelayOptions {
  /** The value of the history before the first `update` (default 0). */
  init?: number;
  /** The dtype of the buffered values (default float32). */
  dtype?: 'float32' | 'int32' | 'bool';
}

/** `ceil(time / dt)` steps, robust to rounding (1 / 0.1 is 10 steps). */
function stepsOf(time: number, dt: number, where: string): number {
  if (typeof time !== 'number' || !Number.isFinite(time) || time < 0) {
    throw new BrainStateError(`${where}: expected a delay time >= 0 (in the unit of dt), got ${time}.`);
  }
  return Math.ceil(time / dt - 1e-6);
}

/**
 * Keeps the last `ceil(time / dt) + 1` values written by `update(x)` in a ring buffer
 * (`history`, with the write position `writePtr`), so that `retrieveAtStep(k)` returns
 * the value written `k` updates ago (0: the latest), and `at(entry)` the value at a
 * delay registered with `registerEntry(entry, time)`. Works under jit and in loops (the
 * buffer and the pointer are states). `dt` is read when the delay is made.
 *
 * @example
 * ```ts
 * bst.environ.set({ dt: 0.1 });
 * const delay = new bst.nn.Delay([100], 2.0);      // up to 2 ms
 * delay.registerEntry('E', 1.5);                    // 15 steps
 * delay.initState();
 * // each step: delay.update(spikes); const late = delay.at('E');
 * ```
 */
export class Delay extends Module {
  readonly shape: number[];
  readonly maxTime: number;
  /** Slots in the buffer: the longest delay in steps, plus one. */
  readonly maxLength: number;
  readonly init: number;
  readonly dtype: 'float32' | 'int32' | 'bool';
  private readonly entries = new Map<string, number>();
  /** `[maxLength, ...shape]`: slot `(writePtr - 1 - k) mod maxLength` holds the value of `k` updates ago. */
  history!: HiddenState;
  /** The slot the next `update` writes (int32 scalar). */
  writePtr!: ShortTermState;

  constructor(shape: number | readonly number[], time: number, options: DelayOptions = {}) {
    super();
    const where = 'Delay';
    this.shape = typeof shape === 'number' ? [shape] : [...shape];
    if (!this.shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new BrainStateError(`${where}: expected a shape of positive integers, got ${JSON.stringify(shape)}.`);
    }
    this.maxTime = time;
    this.maxLength = stepsOf(time, environ.getDt(), where) + 1;
    this.init = options.init ?? 0;
    this.dtype = options.dtype ?? 'float32';
  }

  /** Names a delay of `time` (at most the delay's maximum); returns this, for chaining. */
  registerEntry(entry: string, time: number): this {
    const steps = stepsOf(time, environ.getDt(), 'Delay.registerEntry');
    if (steps >= this.maxLength) {
      throw new BrainStateError(`Delay.registerEntry: expected a delay of at most ${this.maxTime} ` +
        `(${this.maxLength - 1} steps), got ${time} (${steps} steps) for entry '${entry}'; make the Delay longer.`);
    }
    this.entries.set(entry, steps);
    return this;
  }

  override initState(batchSize?: number): void {
    const shape = [this.maxLength, ...(batchSize === undefined ? [] : [batchSize]), ...this.shape];
    this.history = hiddenOf(this.history, tf.tidy(() => tf.cast(tf.fill(shape, this.init), this.dtype)), 'history');
    this.writePtr = shortTermOf(this.writePtr, tf.scalar(0, 'int32'), 'writePtr');
  }

  override resetState(batchSize?: number): void {
    this.initState(batchSize);
  }

  /** Writes `x` as the newest value. */
  override update(x: tf.Tensor): void {
    const h = this.need('update');
    const slotShape = h.value.shape.slice(1);
    if (!(x instanceof tf.Tensor) || x.shape.join(',') !== slotShape.join(',')) {
      throw new BrainStateError(`Delay.update: expected a tensor of shape [${slotShape.join(',')}], got ` +
        `${x instanceof tf.Tensor ? `[${x.shape.join(',')}]` : typeof x}.`);
    }
    const ptr = this.writePtr;
    const [hist, next] = tf.tidy(() => {
      const mask = tf.reshape(tf.equal(tf.range(0, this.maxLength, 1, 'int32'), ptr.value),
        [this.maxLength, ...slotShape.map(() => 1)]);
      const value = x.dtype === this.dtype ? x : tf.cast(x, this.dtype);
      return [tf.where(mask, tf.broadcastTo(tf.expandDims(value, 0), h.value.shape), h.value),
        tf.mod(tf.add(ptr.value, tf.scalar(1, 'int32')), tf.scalar(this.maxLength, 'int32'))];
    });
    h.value = hist;
    ptr.value = next;
  }

  override call(x: tf.Tensor): void {
    this.update(x);
  }

  /** The value written `step` updates ago (0: the latest), `0 <= step < maxLength`. */
  retrieveAtStep(step: number): tf.Tensor {
    const h = this.need('retrieveAtStep');
    if (!Number.isInteger(step) || step < 0 || step >= this.maxLength) {
      throw new BrainStateError(`Delay.retrieveAtStep: expected an integer step in [0, ${this.maxLength - 1}], got ${step}.`);
    }
    const ptr = this.writePtr;
    return tf.tidy(() => {
      const slot = tf.mod(tf.add(ptr.value, tf.scalar(this.maxLength - 1 - step, 'int32')),
        tf.scalar(this.maxLength, 'int32'));
      return tf.gather(h.value, slot);
    });
  }

  /** The value at the delay registered as `entry`. */
  at(entry: string): tf.Tensor {
    const steps = this.entries.get(entry);
    if (steps === undefined) {
      throw new BrainStateError(`Delay.at: expected a registered entry, got '${entry}' (registered: ` +
        `${[...this.entries.keys()].map((k) => `'${k}'`).join(', ') || 'none'}); call registerEntry(entry, time) first.`);
    }
    return this.retrieveAtStep(steps);
  }

  private need(where: string): HiddenState {
    if (this.history === undefined) {
      throw new BrainStateError(`Delay.${where}: the buffer does not exist yet; call initState() (or ` +
        'nn.initAllStates(model)) first.');
    }
    return this.history;
  }
}
