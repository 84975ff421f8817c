/**
 * `Linear`: `y = x W + b`, as BrainState's `brainstate.nn.Linear` (one `ParamState`
 * field `weight` whose value is `{ weight, bias }`).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { ParamState } from '../state';
import { InitSpec, KaimingNormal, ZeroInit, param } from './init';
import { Module } from './module';

/** The value of {@link Linear.weight}: the matrix, and the bias unless the layer has none. */
export type LinearParams = { weight: tf.Tensor } | { weight: tf.Tensor; bias: tf.Tensor };

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Weight initialiser (default `KaimingNormal()`, as BrainState). */
  wInit?: InitSpec;
  /** Bias initialiser (default zeros); `null` for no bias. */
  bInit?: InitSpec | null;
  /** `false` for no bias (same as `bInit: null`). */
  bias?: boolean;
}

function checkSize(n: number, name: string): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new BrainStateError(`Linear: expected ${name} to be a positive integer, got ${n}.`);
  }
}

/**
 * A dense layer `y = x W + b` with `W` of shape `[inSize, outSize]`. Its parameters are
 * one `ParamState`, `weight`, holding `{ weight, bias }` (BrainState's layout), so
 * `grad` and optimisers see them as one tree. Inputs may have any leading dimensions.
 *
 * @example
 * ```ts
 * const layer = new bst.nn.Linear(3, 2);
 * const y = layer.call(tf.ones([5, 3]));                 // Tensor[5,2]
 * layer.weight.value;                                     // { weight: Tensor[3,2], bias: Tensor[2] }
 * new bst.nn.Linear(3, 2, { bias: false, wInit: new bst.nn.init.XavierNormal() });
 * ```
 * @see Sequential
 */
export class Linear extends Module {
  /** The parameters `{ weight, bias }`. */
  readonly weight: ParamState<LinearParams>;

  constructor(readonly inSize: number, readonly outSize: number, options: LinearOptions = {}) {
    super();
    checkSize(inSize, 'inSize');
    checkSize(outSize, 'outSize');
    const weight = param(options.wInit ?? new KaimingNormal(), [inSize, outSize], 'Linear(wInit)');
    const bInit = options.bias === false ? null : options.bInit === undefined ? new ZeroInit() : options.bInit;
    const params: LinearParams = bInit === null ? { weight } : { weight, bias: param(bInit, [outSize], 'Linear(bInit)') };
    this.weight = new ParamState<LinearParams>(params, { name: 'weight' });
  }

  /** `x W + b` over the last axis of `x` (which must be `inSize` long). */
  override update(x: tf.Tensor): tf.Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.inSize) {
      throw new BrainStateError(`Linear(${this.inSize}, ${this.outSize}).call: expected an input whose last ` +
        `axis has size ${this.inSize}, got shape [${x.shape.join(',')}].`);
    }
    const params = this.weight.value;
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, this.inSize]);
      let y = tf.matMul(x2, params.weight);
      if ('bias' in params) y = tf.add(y, params.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, this.outSize]);
    });
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}
