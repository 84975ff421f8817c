/**
 * `transform.switch` and `transform.ifelse`: BrainState's many-way branches. Eagerly the
 * index (or the conditions) is read and one branch runs; under jit every branch is traced
 * once, like `cond`, and the compiled program runs the one the index picks (see
 * `branches.ts`). Out-of-range indices clamp to the first or last branch, as JAX's
 * `lax.switch` and BrainState's `switch` do.
 */
import * as tf from '@tensorflow/tfjs';
import { storedValues } from '../backend/tfjs-engine';
import { TraceError } from '../errors';
import { isTensor } from '../state/tree';
import { tracedBranches } from './branches';
import { isTracing } from './trace';

/** A branch of {@link switchBranches} / {@link ifelse}: called with the operands. */
export type Branch<A extends unknown[], R> = (...operands: A) => R;

function describe(x: unknown): string {
  if (isTensor(x)) return `a ${x.dtype}[${x.shape.join(',')}] tensor`;
  return x === null ? 'null' : Array.isArray(x) ? `an array of length ${x.length}` : `${typeof x} ${String(x)}`;
}

function checkBranches(what: string, branches: unknown): asserts branches is readonly ((...a: never[]) => unknown)[] {
  if (!Array.isArray(branches)) {
    throw new TraceError(`${what}: expected branches to be an array of functions, got ${describe(branches)}; ` +
      `pass e.g. [(x) => tf.neg(x), (x) => x].`);
  }
  if (branches.length === 0) {
    throw new TraceError(`${what}: expected at least one branch, got an empty array; pass the functions to choose from.`);
  }
  const bad = branches.findIndex((b) => typeof b !== 'function');
  if (bad >= 0) {
    throw new TraceError(`${what}: expected branch ${bad} to be a function, got ${describe(branches[bad])}; every ` +
      'branch is called with the operands.');
  }
}

const branchNames = (n: number): string[] => Array.from({ length: n }, (_, k) => `branch ${k}`);

/**
 * Calls `branches[index](...operands)` (BrainState's `switch`, JAX's `lax.switch`).
 * `index` is an int32 scalar tensor or an integer; out of range it clamps to the first
 * or last branch. Every branch must return the same structure of tensors (same shapes
 * and dtypes), or nothing; any may write states. Under jit every branch is traced once
 * and a state written in any branch is carried through the others unchanged; a gradient
 * taken inside jit flows through the branch taken.
 *
 * Exported as `transform.switch` (`switch` is a reserved word for a declaration).
 *
 * @param index - which branch: an int32 scalar tensor, or an integer.
 * @param branches - the functions to choose from (at least one).
 * @param operands - passed to the branch (tensors, or trees of tensors).
 * @returns what the branch returns.
 * @throws TraceError for an index that is not an integer scalar, no branches, or (under
 *   jit) branches whose results disagree, naming the branch.
 * @example
 * ```ts
 * const branches = [(x: tf.Tensor) => tf.sub(x, 1), (x: tf.Tensor) => x, (x: tf.Tensor) => tf.add(x, 1)];
 * bst.transform.switch(tf.scalar(2, 'int32'), branches, tf.scalar(3)).print();   // 4
 * bst.transform.switch(7, branches, tf.scalar(3)).print();                       // 4 (clamped)
 * const f = bst.transform.jit((i: tf.Tensor, x: tf.Tensor) => bst.transform.switch(i, branches, x));
 * f(tf.scalar(0, 'int32'), tf.scalar(3)).print();                                // 2
 * ```
 * @see cond
 * @see ifelse
 */
export function switchBranches<A extends unknown[], R>(index: tf.Tensor | number, branches: readonly Branch<A, R>[],
  ...operands: A): R {
  checkBranches('switch', branches);
  const n = branches.length;
  if (typeof index === 'number') {
    if (!Number.isInteger(index)) {
      throw new TraceError(`switch: expected an integer index, got ${index}; pass Math.floor(i) or an int32 scalar tensor.`);
    }
    return branches[Math.min(Math.max(index, 0), n - 1)](...operands);
  }
  if (!isTensor(index) || index.rank !== 0 || index.dtype !== 'int32') {
    throw new TraceError(`switch: expected index to be an int32 scalar tensor (or an integer), got ${describe(index)}; ` +
      (isTensor(index) && index.rank === 0 ? "cast it with tf.cast(index, 'int32')." : 'pass one scalar index.'));
  }
  if (n === 1) return branches[0](...operands); // as BrainState: nothing to choose
  // Read as the compiled branch node reads it (the stored value; see storedValues).
  if (!isTracing()) return branches[Math.min(Math.max(Math.trunc(Number(storedValues(index)[0])), 0), n - 1)](...operands);
  return tracedBranches('switch', 'Switch', index, branches, branchNames(n), operands);
}

/** A condition of {@link ifelse}: a scalar tensor (true when non-zero) or a JS boolean. */
export type Condition = tf.Tensor | boolean;

/**
 * Multi-way `if / else if / else` (BrainState's `ifelse`): runs the branch of the first
 * true condition, the last branch when none is true (its condition is then the
 * fallback; pass `true` there to say so). `conditions` is an array of scalar tensors
 * (bool, or numbers: true when non-zero) and JS booleans, or a bool vector; there is
 * one per branch. Branches as {@link switchBranches}: same result structure, any may
 * write states, each traced once under jit.
 *
 * BrainState checks by default that exactly one condition holds; here the first true
 * one wins (BrainState's `check_cond=False`), which is what an `if / else if` chain does.
 *
 * @param conditions - one per branch.
 * @param branches - the functions, as many as conditions.
 * @param operands - passed to the branch taken.
 * @returns what the branch returns.
 * @throws TraceError when the numbers of conditions and branches differ, for a condition
 *   that is not a scalar, or for branches whose results disagree (naming the branch).
 * @example
 * ```ts
 * const grade = (a: tf.Tensor) => bst.transform.ifelse(
 *   [tf.greater(a, 5), tf.greater(a, 0), true],
 *   [() => tf.scalar(2), () => tf.scalar(1), () => tf.scalar(0)]);
 * grade(tf.scalar(7)).print();    // 2
 * grade(tf.scalar(-1)).print();   // 0
 * bst.transform.jit(grade)(tf.scalar(3)).print();   // 1
 * ```
 * @see switchBranches
 */
export function ifelse<A extends unknown[], R>(conditions: readonly Condition[] | tf.Tensor,
  branches: readonly Branch<A, R>[], ...operands: A): R {
  checkBranches('ifelse', branches);
  const n = branches.length;
  if (!Array.isArray(conditions) && !isTensor(conditions)) {
    throw new TraceError(`ifelse: expected conditions to be an array of scalar tensors or booleans, got ${describe(conditions)}.`);
  }
  const conds: Condition[] = isTensor(conditions) ? splitVector(conditions) : [...conditions as readonly Condition[]];
  if (conds.length !== n) {
    throw new TraceError(`ifelse: got ${conds.length} condition${conds.length === 1 ? '' : 's'} for ${n} branch` +
      `${n === 1 ? '' : 'es'}; pass one condition per branch (the last branch runs when none holds).`);
  }
  conds.forEach((c, k) => {
    if (typeof c !== 'boolean' && !(isTensor(c) && c.size === 1 && c.dtype !== 'string' && c.dtype !== 'complex64')) {
      throw new TraceError(`ifelse: expected condition ${k} to be a scalar tensor or a boolean, got ${describe(c)}; ` +
        'reduce it to one value (tf.all, tf.any) first.');
    }
  });
  if (n === 1) return branches[0](...operands);
  const statics = conds.slice(0, -1).map((c) => (typeof c === 'boolean' ? c : undefined));
  const firstStatic = statics.findIndex((c) => c === true);
  const dynamic = statics.slice(0, firstStatic < 0 ? n - 1 : firstStatic).some((c) => c === undefined);
  if (!dynamic) return branches[firstStatic < 0 ? n - 1 : firstStatic](...operands);
  if (!isTracing()) {
    const k = conds.slice(0, -1).findIndex((c) => (typeof c === 'boolean' ? c : (c as tf.Tensor).dataSync()[0] !== 0));
    return branches[k < 0 ? n - 1 : k](...operands);
  }
  // Index of the first true condition, n - 1 when none: min over k of (c_k ? k : n - 1).
  const index = tf.tidy(() => {
    const truth = tf.stack(conds.slice(0, -1).map((c) => (typeof c === 'boolean' ? tf.scalar(c, 'bool')
      : tf.notEqual(tf.reshape(c as tf.Tensor, []), 0))));
    const ks = tf.range(0, n - 1, 1, 'int32');
    return tf.min(tf.where(truth, ks, tf.fill([n - 1], n - 1, 'int32')));
  });
  return tracedBranches('ifelse', 'Switch', index, branches, branchNames(n), operands);
}

/** A vector of conditions as scalars (traced) or as booleans read now (eagerly: nothing to free). */
function splitVector(v: tf.Tensor): Condition[] {
  if (v.rank !== 1) {
    throw new TraceError(`ifelse: expected a vector of conditions (one per branch), got ${describe(v)}.`);
  }
  return isTracing() ? tf.unstack(v) : Array.from(v.dataSync() as ArrayLike<number>, (x) => x !== 0);
}
