/**
 * `Sequential`: layers applied one after another, as BrainState's `nn.Sequential`.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { Dropout } from './dropout';
import { AlphaDropout, Dropout1d, Dropout2d, Dropout3d, DropoutFixed, FeatureAlphaDropout } from './dropout-variants';
import { ElementWise } from './elementwise';
import { Module } from './module';

/** A layer of a {@link Sequential}: a module (its `call` is used) or a function. */
export type Layer = Module | ((x: tf.Tensor) => tf.Tensor);

/**
 * Applies its layers in order: `call(x)` is `layers[n-1](... layers[0](x))`. Layers are
 * modules or functions (e.g. `bst.nn.relu`); the field `layers` holds them, so the graph
 * walker finds the modules at paths `['layers', i]`. As BrainState's, it can be indexed
 * (`at`, `slice`, `pick`: Python's `seq[i]`, `seq[a:b]`, `seq[[i, j]]`) and grown
 * (`append`, `extend`, `insert`), and its `inSize` / `outSize` follow its layers where
 * they know theirs (functions and element-wise modules keep the size).
 *
 * @example
 * ```ts
 * const mlp = new bst.nn.Sequential(new bst.nn.Linear(4, 8), bst.nn.relu, new bst.nn.Linear(8, 2));
 * mlp.call(tf.ones([3, 4]));   // Tensor[3,2]
 * mlp.layers.length;           // 3
 * mlp.at(-1);                  // the last Linear
 * mlp.slice(0, 2).outSize;     // [8]
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
    this.resize();
  }

  /** The number of layers. */
  get length(): number {
    return this.layers.length;
  }

  /** Layer `i` (negative counts from the end), as Python's `seq[i]`. */
  at(i: number): Layer {
    const k = i < 0 ? i + this.layers.length : i;
    if (!Number.isInteger(i) || k < 0 || k >= this.layers.length) {
      throw new BrainStateError(`Sequential.at: index ${i} is out of range for ${this.layers.length} layers.`);
    }
    return this.layers[k];
  }

  /** A new Sequential of layers `start .. end` (the same layer objects), as Python's `seq[start:end]`. */
  slice(start?: number, end?: number): Sequential {
    return new Sequential(...this.layers.slice(start, end));
  }

  /** A new Sequential of the layers at `indices` (the same layer objects), as Python's `seq[[i, j]]`. */
  pick(indices: readonly number[]): Sequential {
    return new Sequential(...indices.map((i) => this.at(i)));
  }

  /** Adds a layer at the end. */
  append(layer: Layer): this {
    return this.insert(this.layers.length, layer);
  }

  /** Adds layers at the end. */
  extend(layers: readonly Layer[]): this {
    for (const l of layers) this.append(l);
    return this;
  }

  /** Inserts a layer before position `index` (negative counts from the end, as BrainState's). */
  insert(index: number, layer: Layer): this {
    if (!(layer instanceof Module) && typeof layer !== 'function') {
      throw new BrainStateError(`Sequential.insert: expected a Module or a function, got ${layer === null ? 'null' : typeof layer}.`);
    }
    const n = this.layers.length;
    const k = index < 0 ? Math.max(0, n + index + 1) : index;
    if (!Number.isInteger(index) || k > n) {
      throw new BrainStateError(`Sequential.insert: index ${index} is out of range for ${n} layers.`);
    }
    this.layers.splice(k, 0, layer);
    this.resize();
    return this;
  }

  /** `inSize` from the first layer, `outSize` carried through the layers that know theirs. */
  private resize(): void {
    const first = this.layers[0];
    const inSize = first instanceof Module ? first.inSize : undefined;
    let size: readonly number[] | undefined = inSize;
    for (const l of this.layers) {
      if (!(l instanceof Module) || keepsSize(l)) continue;
      size = l.outSize;
    }
    // Own properties only when known, so a Sequential of size-less layers keeps the GraphDef it had.
    setOrDelete(this, 'inSize', inSize);
    setOrDelete(this, 'outSize', size);
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

/** Element-wise layers (activations, dropouts) give out what they get in. */
function keepsSize(m: Module): boolean {
  return m instanceof ElementWise || m instanceof Dropout || m instanceof Dropout1d || m instanceof Dropout2d ||
    m instanceof Dropout3d || m instanceof AlphaDropout || m instanceof FeatureAlphaDropout || m instanceof DropoutFixed;
}

function setOrDelete(m: Module, key: 'inSize' | 'outSize', v: readonly number[] | undefined): void {
  if (v === undefined) delete (m as { inSize?: unknown; outSize?: unknown })[key];
  else m[key] = v;
}
