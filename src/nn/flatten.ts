/**
 * `Flatten` and `Unflatten`, as BrainState's: merge a range of axes into one, or split
 * one axis into several.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { Module } from './module';

function flatShape(shape: readonly number[], start: number, end: number, where: string): number[] {
  const r = shape.length;
  const s = start < 0 ? start + r : start;
  const e = end < 0 ? end + r : end;
  if (s < 0 || e >= r || s > e) {
    throw new BrainStateError(`${where}: axes ${start}..${end} are not a range of a rank-${r} input [${shape.join(',')}].`);
  }
  return [...shape.slice(0, s), tf.util.sizeFromShape(shape.slice(s, e + 1) as number[]), ...shape.slice(e + 1)];
}

/**
 * Flattens axes `startAxis..endAxis` (inclusive) into one (BrainState's `nn.Flatten`;
 * defaults 0 and -1). Given `inSize`, the axes count within it, so a leading batch
 * axis is kept: `new Flatten(0, -1, { inSize: [7, 7, 8] })` maps `[B, 7, 7, 8]` to `[B, 392]`.
 *
 * @example
 * ```ts
 * new bst.nn.Flatten(1).call(tf.ones([32, 7, 7, 8])).shape;   // [32, 392]
 * ```
 * @see Unflatten
 */
export class Flatten extends Module {
  constructor(readonly startAxis = 0, readonly endAxis = -1, options: { inSize?: readonly number[]; name?: string } = {}) {
    super(options.name);
    if (options.inSize !== undefined) {
      this.inSize = Object.freeze([...options.inSize]);
      this.outSize = Object.freeze(flatShape(options.inSize, startAxis, endAxis, 'Flatten'));
    }
  }

  override update(x: tf.Tensor): tf.Tensor {
    let s = this.startAxis;
    let e = this.endAxis;
    if (this.inSize !== undefined) {
      const diff = x.rank - this.inSize.length;
      if (diff < 0 || this.inSize.some((d, i) => d !== x.shape[diff + i])) {
        throw new BrainStateError(`Flatten.call: expected an input ending in [${this.inSize.join(', ')}], got ` +
          `[${x.shape.join(',')}].`);
      }
      if (s >= 0) s += diff;
      if (e >= 0) e += diff;
    }
    return tf.reshape(x, flatShape(x.shape, s, e, 'Flatten.call'));
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}

/**
 * Splits axis `axis` into `sizes` (BrainState's `nn.Unflatten`).
 *
 * @example
 * ```ts
 * new bst.nn.Unflatten(1, [7, 7, 8]).call(tf.ones([32, 392])).shape;   // [32, 7, 7, 8]
 * ```
 * @see Flatten
 */
export class Unflatten extends Module {
  readonly sizes: readonly number[];

  constructor(readonly axis: number, sizes: readonly number[], options: { inSize?: readonly number[]; name?: string } = {}) {
    super(options.name);
    if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) {
      throw new BrainStateError(`Unflatten: expected sizes to be a non-empty array of positive integers, got ` +
        `${JSON.stringify(sizes)}.`);
    }
    this.sizes = Object.freeze([...sizes]);
    if (options.inSize !== undefined) {
      this.inSize = Object.freeze([...options.inSize]);
      this.outSize = Object.freeze(this.shapeFor(options.inSize));
    }
  }

  private shapeFor(shape: readonly number[]): number[] {
    const a = this.axis < 0 ? this.axis + shape.length : this.axis;
    if (a < 0 || a >= shape.length) {
      throw new BrainStateError(`Unflatten.call: axis ${this.axis} is not an axis of [${shape.join(',')}].`);
    }
    const known = this.sizes.filter((d) => d > 0).reduce((p, q) => p * q, 1);
    const sizes = this.sizes.map((d) => (d === -1 ? shape[a] / known : d));
    if (tf.util.sizeFromShape(sizes as number[]) !== shape[a]) {
      throw new BrainStateError(`Unflatten.call: sizes [${this.sizes.join(', ')}] do not multiply to ${shape[a]} ` +
        `(axis ${this.axis} of [${shape.join(',')}]).`);
    }
    return [...shape.slice(0, a), ...sizes, ...shape.slice(a + 1)];
  }

  override update(x: tf.Tensor): tf.Tensor {
    return tf.reshape(x, this.shapeFor(x.shape));
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}
