/**
 * Weight initialisers, as BrainState's `brainstate.nn.init`: objects whose `call(shape)`
 * draws a tensor with `random` (never with tfjs's random ops). `param(spec, shape)`
 * turns an initialiser, a tensor, a number or a function into a tensor of that shape.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as random from '../random';

/** Something that makes an initial tensor for a shape. */
export interface Initializer {
  /** Returns a new tensor of `shape` (the caller owns it). */
  call(shape: number[]): tf.Tensor;
}

/** What layers accept as an initial value: an initialiser, a function of the shape, a tensor or a number. */
export type InitSpec = Initializer | ((shape: number[]) => tf.Tensor) | tf.Tensor | number;

/**
 * A tensor of `shape` from `spec`: initialisers and functions are called, numbers filled
 * in, tensors broadcast (and copied, so the caller keeps its own).
 *
 * @example
 * ```ts
 * bst.nn.init.param(new bst.nn.init.KaimingNormal(), [3, 4]);   // Tensor[3,4]
 * bst.nn.init.param(0, [4]);                                   // zeros
 * ```
 */
export function param(spec: InitSpec, shape: number[], where = 'init.param'): tf.Tensor {
  let out: tf.Tensor;
  if (typeof spec === 'number') out = tf.fill(shape, spec);
  else if (spec instanceof tf.Tensor) out = tf.tidy(() => tf.add(tf.zeros(shape), spec));
  else if (typeof spec === 'function') out = spec(shape);
  else if (spec != null && typeof (spec as Initializer).call === 'function') out = spec.call(shape);
  else {
    throw new BrainStateError(`${where}: expected an initialiser (e.g. new nn.init.KaimingNormal()), a function ` +
      `of the shape, a tensor or a number, got ${String(spec)}.`);
  }
  if (out.shape.join(',') !== shape.join(',')) {
    const got = out.shape;
    out.dispose();
    throw new BrainStateError(`${where}: the initialiser made shape [${got.join(',')}], expected ` +
      `[${shape.join(',')}]; make it return a tensor of the shape it is given.`);
  }
  return out;
}

/**
 * Zeros.
 * @example
 * ```ts
 * new bst.nn.init.ZeroInit().call([2]).print();   // [0, 0]
 * ```
 */
export class ZeroInit implements Initializer {
  call(shape: number[]): tf.Tensor { return tf.zeros(shape); }
}

/**
 * A constant.
 * @example
 * ```ts
 * new bst.nn.init.Constant(0.5).call([2]).print();   // [0.5, 0.5]
 * ```
 */
export class Constant implements Initializer {
  constructor(readonly value: number) {}
  call(shape: number[]): tf.Tensor { return tf.fill(shape, this.value); }
}

/**
 * Normal with `mean` and `scale` (std).
 * @example
 * ```ts
 * new bst.nn.init.Normal(0, 0.01).call([3, 3]);
 * ```
 */
export class Normal implements Initializer {
  constructor(readonly mean = 0, readonly scale = 1) {}
  call(shape: number[]): tf.Tensor { return random.normal(shape, { mean: this.mean, std: this.scale }); }
}

/**
 * Uniform in `[min, max)`.
 * @example
 * ```ts
 * new bst.nn.init.Uniform(-0.1, 0.1).call([3]);
 * ```
 */
export class Uniform implements Initializer {
  constructor(readonly min = 0, readonly max = 1) {}
  call(shape: number[]): tf.Tensor { return random.uniform(shape, { minval: this.min, maxval: this.max }); }
}

/** The fan used as the variance denominator. */
export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
/** The distribution a {@link VarianceScaling} initialiser draws from. */
export type VarianceDistribution = 'truncated_normal' | 'normal' | 'uniform';

/** std of a standard normal truncated to (-2, 2): truncated draws are divided by it. */
const TRUNCATED_STD = 0.87962566103423978;

/**
 * Variance scaling, as BrainState's `VarianceScaling`: variance `scale / n` with `n` the
 * fan in, fan out or their mean (axes -2 and -1 are in and out, the rest the receptive
 * field), drawn from a normal truncated to two std, a normal, or a uniform.
 * @example
 * ```ts
 * new bst.nn.init.VarianceScaling(1, 'fan_avg', 'uniform').call([64, 32]);
 * ```
 */
export class VarianceScaling implements Initializer {
  constructor(readonly scale: number, readonly mode: FanMode, readonly distribution: VarianceDistribution) {
    if (!['fan_in', 'fan_out', 'fan_avg'].includes(mode)) {
      throw new BrainStateError(`VarianceScaling: expected mode 'fan_in', 'fan_out' or 'fan_avg', got '${mode}'.`);
    }
    if (!['truncated_normal', 'normal', 'uniform'].includes(distribution)) {
      throw new BrainStateError(`VarianceScaling: expected distribution 'truncated_normal', 'normal' or ` +
        `'uniform', got '${distribution}'.`);
    }
  }

  call(shape: number[]): tf.Tensor {
    if (shape.length < 2) {
      throw new BrainStateError(`${this.constructor.name}: expected a weight shape of rank 2 or more ` +
        `([in, out] or [..., in, out]), got [${shape.join(',')}]; use Constant or Normal for biases.`);
    }
    const receptive = tf.util.sizeFromShape(shape.slice(0, -2) as number[]);
    const fanIn = shape[shape.length - 2] * receptive;
    const fanOut = shape[shape.length - 1] * receptive;
    const n = this.mode === 'fan_in' ? fanIn : this.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / n;
    if (this.distribution === 'normal') return random.normal(shape, { std: Math.sqrt(variance) });
    const std = Math.sqrt(variance) / TRUNCATED_STD;
    if (this.distribution === 'truncated_normal') {
      return tf.tidy(() => tf.mul(random.truncatedNormal(-2, 2, shape), std));
    }
    const limit = Math.sqrt(3 * variance);
    return random.uniform(shape, { minval: -limit, maxval: limit });
  }
}

/**
 * He / Kaiming normal: variance `2 / fan_in`, truncated normal (BrainState's default for `Linear`).
 * @example
 * ```ts
 * new bst.nn.init.KaimingNormal().call([128, 64]);
 * ```
 */
export class KaimingNormal extends VarianceScaling {
  constructor(scale = 2, mode: FanMode = 'fan_in', distribution: VarianceDistribution = 'truncated_normal') {
    super(scale, mode, distribution);
  }
}

/**
 * He / Kaiming uniform: variance `2 / fan_in`, uniform.
 * @example
 * ```ts
 * new bst.nn.init.KaimingUniform().call([128, 64]);
 * ```
 */
export class KaimingUniform extends VarianceScaling {
  constructor(scale = 2, mode: FanMode = 'fan_in') { super(scale, mode, 'uniform'); }
}

/**
 * Xavier / Glorot normal: variance `1 / fan_avg`, truncated normal.
 * @example
 * ```ts
 * new bst.nn.init.XavierNormal().call([128, 64]);
 * ```
 */
export class XavierNormal extends VarianceScaling {
  constructor(scale = 1) { super(scale, 'fan_avg', 'truncated_normal'); }
}

/**
 * Xavier / Glorot uniform: variance `1 / fan_avg`, uniform.
 * @example
 * ```ts
 * new bst.nn.init.XavierUniform().call([128, 64]);
 * ```
 */
export class XavierUniform extends VarianceScaling {
  constructor(scale = 1) { super(scale, 'fan_avg', 'uniform'); }
}

/**
 * LeCun normal: variance `1 / fan_in`, truncated normal.
 * @example
 * ```ts
 * new bst.nn.init.LecunNormal().call([128, 64]);
 * ```
 */
export class LecunNormal extends VarianceScaling {
  constructor(scale = 1) { super(scale, 'fan_in', 'truncated_normal'); }
}

/**
 * LeCun uniform: variance `1 / fan_in`, uniform (BrainState's default for `Embedding`).
 * @example
 * ```ts
 * new bst.nn.init.LecunUniform().call([100, 16]);
 * ```
 */
export class LecunUniform extends VarianceScaling {
  constructor(scale = 1) { super(scale, 'fan_in', 'uniform'); }
}

/**
 * A (semi-)orthogonal matrix times `scale`, as BrainState's `Orthogonal` (the default
 * weight initialiser of `GRUCell` and `MGUCell`): the Q of a QR decomposition of a
 * normal matrix, sign-corrected so it is uniformly distributed; `axis` is the axis of
 * the rows.
 * @example
 * ```ts
 * const q = new bst.nn.init.Orthogonal().call([4, 4]);   // q qᵀ = I
 * ```
 */
export class Orthogonal implements Initializer {
  constructor(readonly scale = 1, readonly axis = -1) {}

  call(shape: number[]): tf.Tensor {
    if (shape.length < 2) {
      throw new BrainStateError(`Orthogonal: expected a shape of rank 2 or more, got [${shape.join(',')}].`);
    }
    const axis = this.axis < 0 ? this.axis + shape.length : this.axis;
    const nRows = shape[axis];
    const nCols = tf.util.sizeFromShape(shape as number[]) / nRows;
    const m = nRows > nCols ? [nRows, nCols] : [nCols, nRows];
    const a = random.normal(m);
    return tf.tidy(() => {
      const [q, r] = tf.linalg.qr(a as tf.Tensor2D);
      a.dispose();
      const d = tf.sign(tf.sum(tf.mul(r, tf.eye(r.shape[0], r.shape[1])), 0));
      let qm: tf.Tensor = tf.mul(q, d);
      if (nRows < nCols) qm = tf.transpose(qm);
      const rest = shape.filter((_, i) => i !== axis);
      qm = tf.reshape(qm, [nRows, ...rest]);
      const perm = Array.from({ length: shape.length }, (_, i) => i).slice(1);
      perm.splice(axis, 0, 0);
      return tf.mul(tf.transpose(qm, perm), this.scale);
    });
  }
}
