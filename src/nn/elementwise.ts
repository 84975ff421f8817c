/**
 * Activation modules (BrainState's element-wise blocks): each wraps one function of
 * `activations.ts` so it can sit in a `Sequential`.
 */
import * as tf from '@tensorflow/tfjs';
import * as act from './activations';
import { Module } from './module';

/**
 * The base of the activation modules: `call(x)` applies one element-wise function.
 * @example
 * ```ts
 * const square = new bst.nn.ElementWise((x) => tf.square(x));
 * square.call(tf.tensor1d([2])).print();   // [4]
 * ```
 */
export class ElementWise extends Module {
  constructor(private readonly fn: (x: tf.Tensor) => tf.Tensor) {
    super();
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.fn(x);
  }
}

/**
 * {@link act.relu} as a module.
 * @example
 * ```ts
 * new bst.nn.ReLU().call(tf.tensor1d([-1, 1])).print();   // [0, 1]
 * ```
 */
export class ReLU extends ElementWise {
  constructor() { super(act.relu); }
}

/**
 * {@link act.sigmoid} as a module.
 * @example
 * ```ts
 * new bst.nn.Sigmoid().call(tf.scalar(0)).print();   // 0.5
 * ```
 */
export class Sigmoid extends ElementWise {
  constructor() { super(act.sigmoid); }
}

/**
 * {@link act.tanh} as a module.
 * @example
 * ```ts
 * new bst.nn.Tanh().call(tf.scalar(0)).print();   // 0
 * ```
 */
export class Tanh extends ElementWise {
  constructor() { super(act.tanh); }
}

/**
 * {@link act.gelu} as a module (`approximate` defaults to true).
 * @example
 * ```ts
 * new bst.nn.GELU(false).call(tf.scalar(1));
 * ```
 */
export class GELU extends ElementWise {
  constructor(approximate = true) { super((x) => act.gelu(x, approximate)); }
}

/**
 * {@link act.silu} as a module.
 * @example
 * ```ts
 * new bst.nn.SiLU().call(tf.scalar(1));
 * ```
 */
export class SiLU extends ElementWise {
  constructor() { super(act.silu); }
}

/**
 * {@link act.softplus} as a module.
 * @example
 * ```ts
 * new bst.nn.Softplus().call(tf.scalar(0));   // log 2
 * ```
 */
export class Softplus extends ElementWise {
  constructor() { super(act.softplus); }
}

/**
 * {@link act.leakyRelu} as a module.
 * @example
 * ```ts
 * new bst.nn.LeakyReLU(0.1).call(tf.scalar(-1)).print();   // -0.1
 * ```
 */
export class LeakyReLU extends ElementWise {
  constructor(negativeSlope = 0.01) { super((x) => act.leakyRelu(x, negativeSlope)); }
}

/**
 * {@link act.elu} as a module.
 * @example
 * ```ts
 * new bst.nn.ELU(1).call(tf.scalar(-1));
 * ```
 */
export class ELU extends ElementWise {
  constructor(alpha = 1) { super((x) => act.elu(x, alpha)); }
}

/**
 * {@link act.softmax} as a module.
 * @example
 * ```ts
 * new bst.nn.Softmax().call(tf.tensor2d([[1, 2]]));
 * ```
 */
export class Softmax extends ElementWise {
  constructor(axis = -1) { super((x) => act.softmax(x, axis)); }
}

/**
 * {@link act.logSoftmax} as a module.
 * @example
 * ```ts
 * new bst.nn.LogSoftmax().call(tf.tensor2d([[1, 2]]));
 * ```
 */
export class LogSoftmax extends ElementWise {
  constructor(axis = -1) { super((x) => act.logSoftmax(x, axis)); }
}
