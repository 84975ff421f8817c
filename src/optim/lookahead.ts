/**
 * Lookahead (Zhang et al. 2019), as braintools' `Lookahead`: an inner ("fast")
 * optimiser steps every update; every `syncPeriod` updates the slow weights move
 * `alpha` of the way to the fast ones and the fast weights are reset to them.
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError, InternalError } from '../errors';
import { StateValue } from '../state/state';
import { tensorLeaves } from '../state/tree';
import { unflatten, flatten } from '../util/pytree';
import { LeafUpdate, Optimizer } from './base';
import { checkRange } from './check';
import type { TrainableWeights } from './weights';

/** Options of {@link Lookahead} (braintools' names and defaults). */
export interface LookaheadOptions {
  /** Fast updates between synchronisations (default 5). */
  syncPeriod?: number;
  /** How far the slow weights move towards the fast ones at a sync (default 0.5). */
  alpha?: number;
}

const isTensor = (x: unknown): boolean => x instanceof tf.Tensor;

/**
 * Wraps an optimiser: `update(grads)` runs `inner.update(grads)`, then, every
 * `syncPeriod`-th update, `slow ← slow + alpha (fast − slow)` and `fast ← slow`.
 * The slow weights are states of the Lookahead; the inner optimiser's are its own.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Lookahead(new bst.optim.Adam(1e-3), { syncPeriod: 5, alpha: 0.5 });
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * opt.update(grads);
 * ```
 */
export class Lookahead extends Optimizer {
  protected readonly slotNames: readonly string[] = ['slow'];
  readonly syncPeriod: number;
  readonly alpha: number;

  /**
   * @param inner - the fast optimiser (not registered yet).
   * @param options - `syncPeriod`, `alpha`.
   */
  constructor(readonly inner: Optimizer, options: LookaheadOptions = {}) {
    super(0);
    const where = new.target.name;
    if (!(inner instanceof Optimizer)) throw new OptimizerError(`${where}: expected an optimiser to wrap, got ${String(inner)}.`);
    const k = options.syncPeriod ?? 5;
    if (!Number.isInteger(k) || k < 1) throw new OptimizerError(`${where}: expected syncPeriod >= 1, got ${k}.`);
    this.syncPeriod = k;
    this.alpha = checkRange(where, 'alpha', options.alpha ?? 0.5, 0, 1);
  }

  /** Registers the weights with the inner optimiser too; the slow weights start as copies of them. */
  override registerTrainableWeights(weights: TrainableWeights): void {
    this.inner.registerTrainableWeights(weights);
    super.registerTrainableWeights(weights);
    const slots = this.slots.slow;
    this.trainableStates.forEach((st, i) => {
      slots[i].value = flattenMap(st.value as StateValue, (t) => tf.clone(t));
    });
  }

  /** One inner update, then the synchronisation when due. */
  override update(grads: unknown): void {
    this.inner.update(grads);
    const states = this.trainableStates;
    const fast = states.map((s) => s.value as StateValue);
    const slow = this.slots.slow.map((s) => s.value);
    const step = this.step.value;
    const out = tf.tidy(() => {
      const next = tf.add(step, tf.scalar(1, 'int32'));
      const sync = tf.equal(tf.mod(next, this.syncPeriod), 0);
      const pairs = fast.map((f, i) => {
        const fl = tensorLeaves(f);
        const sl = tensorLeaves(slow[i]);
        const synced = sl.map((s, k) => tf.add(s, tf.mul(this.alpha, tf.sub(fl[k], s))));
        return {
          params: synced.map((y, k) => tf.where(sync, y, fl[k])),
          slow: synced.map((y, k) => tf.where(sync, y, sl[k])),
        };
      });
      return { pairs, next };
    });
    states.forEach((st, i) => {
      const def = flatten(fast[i], isTensor)[1];
      st.value = unflatten(def, out.pairs[i].params) as StateValue;
      this.slots.slow[i].value = unflatten(def, out.pairs[i].slow) as StateValue;
    });
    this.step.value = out.next as tf.Scalar;
  }

  protected updateLeaf(): LeafUpdate {
    throw new InternalError('Lookahead updates through its inner optimiser');
  }
}

function flattenMap(v: StateValue, fn: (t: tf.Tensor) => tf.Tensor): StateValue {
  const [leaves, def] = flatten(v, isTensor);
  return unflatten(def, (leaves as tf.Tensor[]).map(fn)) as StateValue;
}

