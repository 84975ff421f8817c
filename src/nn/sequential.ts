/**
 * `Sequential`: layers applied one after another, as BrainState's `nn.Sequential`.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { Module } from './module';

/** A layer of a {@link Sequential}: a module (its `call` is used) or a function. */
export type Layer = Module | ((x: tf.Tensor) => tf.Tensor);

/**
 * Applies its layers in order: `call(x)` is `layers[n-1](... layers[0](x))`. Layers are
 * modules or functions (e.g. `bst.nn.relu`); the field `layers` holds them, so the graph
 * walker finds the modules at paths `['layers', i]`.
 *
 * @example
 * ```ts
 * const mlp = new bst.nn.Sequential(new bst.nn.Linear(4, 8), bst.nn.relu, new bst.nn.Linear(8, 2));
 * mlp.call(tf.ones([3, 4]));   // Tensor[3,2]
 * mlp.layers.length;           // 3
 * ```
 * @see Linear
 */
export class Sequential extends Module {
  /** The layers, in order. */
  readonly layers: Layer[];

  constructor(...layers: Layer[]) {
    super();
    layers.forEach((l, i) => {
      if (!(l instanceof Module) && typeof l !== 'function') {
        throw new BrainStateError(`Sequential: expected layer ${i} to be a Module or a function, got ` +
          `${l === null ? 'null' : typeof l}.`);
      }
    });
    this.layers = layers;
  }

  /** Runs the layers in order. Intermediate tensors are disposed; the last output is returned. */
  override update(x: tf.Tensor): tf.Tensor {
    let y = x;
    for (const layer of this.layers) {
      const next = layer instanceof Module ? (layer.call(y) as tf.Tensor) : layer(y);
      if (y !== x && y !== next) y.dispose();
      y = next;
    }
    return y;
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x);
  }
}
