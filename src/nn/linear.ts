/**
 * `Linear`: `y = x W + b`, as BrainState's `brainstate.nn.Linear` (one `ParamState`
 * field `weight` whose value is `{ weight, bias }`).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { ParamState } from '../state';
import { InitSpec, KaimingNormal, ZeroInit, param } from './init';
import { Module, Size, toSize } from './module';

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
  /**
   * A fixed mask multiplied into the weight at every call (BrainState's `w_mask`): a
   * tensor of shape `[inSize, outSize]` (or broadcastable to it), a number, or an
   * initialiser. Zeros cut connections; gradients through masked entries are zero.
   */
  wMask?: InitSpec;
  /** A name for the module. */
  name?: string;
}

function checkSize(n: number | readonly number[], name: string): Size {
  if (typeof n === 'number' && (!Number.isInteger(n) || n < 1)) {
    throw new BrainStateError(`Linear: expected ${name} to be a positive integer, got ${n}.`);
  }
  return toSize(n, `Linear(${name})`);
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
  declare inSize: Size;
  declare outSize: Size;
  /** The fixed weight mask, if any (a tensor of the weight's shape). */
  readonly wMask: tf.Tensor | undefined;

  /**
   * @param inSize - input features (or a shape whose last entry is the features, as BrainState).
   * @param outSize - output features (or a shape).
   * @param options - `wInit`, `bInit`, `bias`, `wMask`, `name`.
   */
  constructor(inSize: number | readonly number[], outSize: number | readonly number[], options: LinearOptions = {}) {
    super(options.name);
    this.inSize = checkSize(inSize, 'inSize');
    this.outSize = checkSize(outSize, 'outSize');
    const nIn = this.inSize[this.inSize.length - 1];
    const nOut = this.outSize[this.outSize.length - 1];
    const weight = param(options.wInit ?? new KaimingNormal(), [nIn, nOut], 'Linear(wInit)');
    const bInit = options.bias === false ? null : options.bInit === undefined ? new ZeroInit() : options.bInit;
    const params: LinearParams = bInit === null ? { weight } : { weight, bias: param(bInit, [nOut], 'Linear(bInit)') };
    this.weight = new ParamState<LinearParams>(params, { name: 'weight' });
    this.wMask = options.wMask === undefined ? undefined : tf.keep(param(options.wMask, [nIn, nOut], 'Linear(wMask)'));
  }

  /** `x (W * mask) + b` over the last axis of `x` (which must be `inSize` long). */
  override update(x: tf.Tensor): tf.Tensor {
    const nIn = this.inSize[this.inSize.length - 1];
    const nOut = this.outSize[this.outSize.length - 1];
    if (x.rank < 1 || x.shape[x.rank - 1] !== nIn) {
      throw new BrainStateError(`Linear(${nIn}, ${nOut}).call: expected an input whose last ` +
        `axis has size ${nIn}, got shape [${x.shape.join(',')}].`);
    }
    const params = this.weight.value;
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, nIn]);
      const w = this.wMask === undefined ? params.weight : tf.mul(params.weight, this.wMask);
      let y = tf.matMul(x2, w);
      if ('bias' in params) y = tf.add(y, params.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, nOut]);
    });
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}
