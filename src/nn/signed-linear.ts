/**
 * `SignedWLinear`, as BrainState's: a dense layer whose effective weights are
 * `|W| * sign`, so each connection keeps a fixed sign (e.g. excitatory / inhibitory).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { ParamState } from '../state';
import { InitSpec, KaimingNormal, param } from './init';
import { Module, Size, toSize } from './module';

/**
 * `y = x (|W| * wSign)` with `W` of shape `[inSize, outSize]` in one `ParamState`
 * `weight`; no bias (as BrainState). Without `wSign` every weight is positive.
 *
 * @example
 * ```ts
 * const sign = tf.tensor2d([[1, -1], [1, -1], [1, -1]]);   // second output inhibitory
 * const layer = new bst.nn.SignedWLinear(3, 2, { wSign: sign });
 * layer.call(tf.ones([4, 3])).shape;                        // [4, 2]
 * ```
 * @see Linear
 */
export class SignedWLinear extends Module {
  declare inSize: Size;
  declare outSize: Size;
  readonly weight: ParamState;
  /** The fixed signs, or undefined (all positive). */
  readonly wSign: tf.Tensor | undefined;

  constructor(inSize: number | readonly number[], outSize: number | readonly number[],
    options: { wInit?: InitSpec; wSign?: tf.Tensor | number[][]; name?: string } = {}) {
    super(options.name);
    this.inSize = toSize(inSize, 'SignedWLinear(inSize)');
    this.outSize = toSize(outSize, 'SignedWLinear(outSize)');
    const nIn = this.inSize[this.inSize.length - 1];
    const nOut = this.outSize[this.outSize.length - 1];
    this.weight = new ParamState(param(options.wInit ?? new KaimingNormal(), [nIn, nOut], 'SignedWLinear(wInit)'),
      { name: 'weight' });
    if (options.wSign !== undefined) {
      const s = options.wSign instanceof tf.Tensor ? tf.clone(options.wSign) : tf.tensor2d(options.wSign);
      if (s.shape.length !== 2 || s.shape[0] !== nIn || s.shape[1] !== nOut) {
        s.dispose();
        throw new BrainStateError(`SignedWLinear: expected wSign of shape [${nIn}, ${nOut}], got ` +
          `[${(options.wSign instanceof tf.Tensor ? options.wSign.shape : [options.wSign.length]).join(',')}].`);
      }
      this.wSign = tf.keep(s);
    }
  }

  override update(x: tf.Tensor): tf.Tensor {
    const w = this.weight.value;
    return tf.tidy(() => {
      const eff = this.wSign === undefined ? tf.abs(w) : tf.mul(tf.abs(w), this.wSign);
      return x.rank === 2 ? tf.matMul(x, eff)
        : tf.reshape(tf.matMul(tf.reshape(x, [-1, x.shape[x.rank - 1]]), eff), [...x.shape.slice(0, -1), this.outSize[this.outSize.length - 1]]);
    });
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}
