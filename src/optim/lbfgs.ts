/**
 * L-BFGS, as braintools' `LBFGS` without a line search (optax's `scale_by_lbfgs`
 * followed by the learning rate): the two-loop recursion over the last `memorySize`
 * parameter and gradient differences, all kept in states (so a jitted step carries
 * the memory from call to call).
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError, InternalError } from '../errors';
import { LeafUpdate, Optimizer, OptimizerOptions, OptimState, StepContext } from './base';
import type { LearningRate } from './schedule';
import type { Weights } from './weights';

/** Options of {@link LBFGS} (braintools' names and defaults). */
export interface LBFGSOptions extends OptimizerOptions {
  /** Pairs of differences remembered (default 10). */
  memorySize?: number;
  /** Scale the initial inverse Hessian by `⟨y, s⟩ / ⟨y, y⟩` (default true). */
  scaleInitPrecond?: boolean;
}

/**
 * L-BFGS over all registered tensors as one vector: `p ← p − lr · H g`, with `H` the
 * limited-memory inverse-Hessian estimate of optax's `scale_by_lbfgs` (the first step
 * is `g` scaled to norm at most 1). Pass full-batch gradients of a deterministic loss;
 * there is no line search (braintools' default), so keep `lr` at or below 1.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.LBFGS(1.0, { memorySize: 10 });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * ```
 */
export class LBFGS extends Optimizer {
  protected readonly slotNames: readonly string[] = [];
  readonly memorySize: number;
  readonly scaleInitPrecond: boolean;
  /** The parameters and gradient of the previous update (flattened). */
  prevParams!: OptimState;
  prevGrads!: OptimState;
  /** Memory of parameter differences `[memorySize, n]`, gradient differences, and `1 / ⟨y, s⟩`. */
  diffParams!: OptimState;
  diffGrads!: OptimState;
  rhos!: OptimState;

  /**
   * @param lr - learning rate or schedule (default 1).
   * @param options - `memorySize`, `scaleInitPrecond`, `weightDecay`, clipping.
   */
  constructor(lr: LearningRate = 1.0, options: LBFGSOptions = {}) {
    super(lr, options);
    const m = options.memorySize ?? 10;
    if (!Number.isInteger(m) || m < 1) {
      throw new OptimizerError(`${new.target.name}: expected memorySize to be a positive integer, got ${m}.`);
    }
    this.memorySize = m;
    this.scaleInitPrecond = options.scaleInitPrecond ?? true;
  }

  protected override initLeafStates(w: Weights): void {
    const n = w.leaves.reduce((a, l) => a + tf.util.sizeFromShape(l.shape as number[]), 0);
    const m = this.memorySize;
    this.prevParams = new OptimState(tf.zeros([n]), { name: 'prevParams' });
    this.prevGrads = new OptimState(tf.zeros([n]), { name: 'prevGrads' });
    this.diffParams = new OptimState(tf.zeros([m, n]), { name: 'diffParams' });
    this.diffGrads = new OptimState(tf.zeros([m, n]), { name: 'diffGrads' });
    this.rhos = new OptimState(tf.zeros([m]), { name: 'rhos' });
  }

  protected override extraStates(): OptimState[] {
    return this.rhos === undefined ? [] : [this.prevParams, this.prevGrads, this.diffParams, this.diffGrads, this.rhos];
  }

  protected override updateLeaves(params: tf.Tensor[], grads: tf.Tensor[], _slots: tf.Tensor[][], ctx: StepContext[],
    _decays: number[], extra: tf.Tensor[]): { params: tf.Tensor[]; slots: tf.Tensor[][]; extra: tf.Tensor[] } {
    const m = this.memorySize;
    const [prevP, prevG, memP, memG, rhos0] = extra;
    const flat = (ts: tf.Tensor[]) => tf.concat(ts.map((t) => tf.reshape(t, [-1])));
    const p = flat(params);
    const g = flat(grads);
    const count = ctx[0].step;
    const started = tf.greater(count, 0);
    const dot = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(a, b));
    const ds = tf.where(started, tf.sub(p, prevP), tf.zerosLike(p));
    const dg = tf.where(started, tf.sub(g, prevG), tf.zerosLike(g));
    const sy = dot(dg, ds);
    const rho = tf.where(tf.logicalAnd(started, tf.notEqual(sy, 0)), tf.div(1, sy), tf.zerosLike(sy));
    // Write slot (count - 1) mod m with a one-hot mask (no scatter, so it traces and replays).
    const prevIdx = tf.cast(tf.mod(tf.add(tf.sub(count, 1), m), m), 'int32');
    const hot = tf.oneHot(prevIdx, m);
    const hotCol = tf.reshape(hot, [m, 1]);
    const put = (mem: tf.Tensor, row: tf.Tensor) => tf.add(tf.mul(mem, tf.sub(1, hotCol)), tf.mul(hotCol, tf.reshape(row, [1, -1])));
    const memP2 = put(memP, ds);
    const memG2 = put(memG, dg);
    const rhos = tf.add(tf.mul(rhos0, tf.sub(1, hot)), tf.mul(hot, rho));
    let scale: tf.Tensor = tf.scalar(1);
    if (this.scaleInitPrecond) {
      const yy = dot(dg, dg);
      const later = tf.where(tf.greater(yy, 0), tf.div(sy, yy), tf.onesLike(yy));
      const first = tf.minimum(1, tf.div(1, tf.norm(g)));
      scale = tf.where(started, later, first);
    }
    // Two-loop recursion over indices (count mod m + k) mod m, k = 0..m-1.
    const idx0 = tf.cast(tf.mod(count, m), 'int32');
    const at = (k: number) => tf.reshape(tf.mod(tf.add(idx0, tf.scalar(k, 'int32')), tf.scalar(m, 'int32')), [1]);
    const rowOf = (mem: tf.Tensor, k: number) => tf.reshape(tf.gather(mem, at(k)), [-1]);
    const rhoOf = (k: number) => tf.reshape(tf.gather(rhos, at(k)), []);
    let v: tf.Tensor = g;
    const alphas: tf.Tensor[] = new Array(m);
    for (let k = m - 1; k >= 0; k--) {
      alphas[k] = tf.mul(rhoOf(k), dot(rowOf(memP2, k), v));
      v = tf.sub(v, tf.mul(alphas[k], rowOf(memG2, k)));
    }
    v = tf.mul(scale, v);
    for (let k = 0; k < m; k++) {
      const beta = tf.mul(rhoOf(k), dot(rowOf(memG2, k), v));
      v = tf.add(v, tf.mul(tf.sub(alphas[k], beta), rowOf(memP2, k)));
    }
    const newFlat = tf.sub(p, tf.mul(ctx[0].lr, v));
    let offset = 0;
    const newParams = params.map((t) => {
      const piece = tf.reshape(tf.slice(newFlat, [offset], [t.size]), t.shape);
      offset += t.size;
      return piece;
    });
    return { params: newParams, slots: [], extra: [p, g, memP2, memG2, rhos] };
  }

  protected updateLeaf(): LeafUpdate {
    throw new InternalError('LBFGS updates all leaves at once');
  }
}
