/**
 * Modules shared by the graph specs: the seed's TinyLinear (explicit and decorated) and
 * RunningMean, and small nested models with arrays, Maps, sharing and cycles.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../../src';
import { hidden, param } from '../../decorators';

/** The seed's TinyLinear, with explicit ParamState fields as in BrainState. */
export class TinyLinearExplicit extends bst.nn.Module {
  weight = new bst.ParamState(tf.tensor2d([[1]]));
  bias = new bst.ParamState(tf.tensor1d([0]));
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.weight.value), this.bias.value);
  }
}

/** The seed's TinyLinear, with `@param` fields. */
export class TinyLinear extends bst.nn.Module {
  @param weight = tf.tensor2d([[1]]);
  @param bias = tf.tensor1d([0]);
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.weight), this.bias);
  }
}

/** The seed's RunningMean: one explicit HiddenState, one `@hidden` field. */
export class RunningMean extends bst.nn.Module {
  sum = new bst.HiddenState(tf.scalar(0));
  @hidden count = tf.scalar(0, 'int32');
  call(batch: tf.Tensor): tf.Tensor {
    this.sum.value = tf.add(this.sum.value, tf.sum(batch));
    this.count = tf.add(this.count, tf.scalar(batch.size, 'int32'));
    return tf.div(this.sum.value, tf.cast(this.count, 'float32'));
  }
}

/** A dense layer whose weights are filled with `scale`. */
export class Dense extends bst.nn.Module {
  @param w: tf.Tensor;
  @param({ tag: 'bias' }) b: tf.Tensor;
  constructor(nIn: number, nOut: number, scale: number) {
    super();
    this.w = tf.fill([nIn, nOut], scale);
    this.b = tf.zeros([nOut]);
  }
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.w), this.b);
  }
}

/** Not a Module: held as a static attribute, by reference. */
export class Config {
  constructor(readonly gain: number) {}
}

/** Two Dense layers in an array, a step counter, and non-state attributes of every sort. */
export class MLP extends bst.nn.Module {
  layers = [new Dense(2, 3, 0.5), new Dense(3, 1, 1)];
  steps = new bst.LongTermState(tf.scalar(0, 'int32'), { tag: 'stats' });
  act = 'relu';
  gain = 2;
  mask = tf.tensor1d([1, 0, 1]);
  config = new Config(3);
  sizes = [2, 3, 1];
  call(x: tf.Tensor): tf.Tensor {
    const h = tf.relu(this.layers[0].call(x));
    this.steps.value = tf.add(this.steps.value, tf.scalar(1, 'int32'));
    return tf.mul(this.layers[1].call(tf.mul(h, this.mask)), this.gain);
  }
}

/** Reads a tensor's values as a plain number array (flattened). */
export function values(t: unknown): number[] {
  return Array.from((t as tf.Tensor).dataSync());
}
