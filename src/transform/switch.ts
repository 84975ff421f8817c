/**
 * `transform.switch` and `transform.ifelse`: BrainState's many-way branches. Eagerly the
 * index (or the conditions) is read and one branch runs; under jit every branch is traced
 * once, like `cond`, and the compiled program runs the one the index picks (see
 * `branches.ts`). Out-of-range indices clamp to the first or last branch, as JAX's
 * `lax.switch` and BrainState's `switch` do.
 */
import * as tf from '@tensorflow/tfjs';
import { storedValues } from '../backend/tfjs-engine';
import { TraceError, ValueCheckError } from '../errors';
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

/**
 * A switch whose index is first checked: `check` sees the index as read (before it is
 * clamped) and throws to fail the call, eagerly at once, traced when the compiled node
 * runs. vmap's rule for a checked branch node (ifelse's checkCond) calls it.
 */
export function checkedSwitch(index: tf.Tensor, branches: readonly Function[], operands: readonly unknown[],
  check: (index: number) => void): unknown {
  const n = branches.length;
  if (!isTracing()) {
    const raw = Number(storedValues(index)[0]);
    check(raw);
    return (branches[Math.min(Math.max(Math.trunc(raw), 0), n - 1)] as (...a: unknown[]) => unknown)(...operands);
  }
  return tracedBranches('switch', 'Switch', index, branches, branchNames(n), operands, 0, check);
}

/** A condition of {@link ifelse}: a scalar tensor (true when non-zero) or a JS boolean. */
export type Condition = tf.Tensor | boolean;

/** Options of {@link ifelse}, given as `ifelse(options)(conditions, branches, ...operands)`. */
export interface IfElseOptions {
  /**
   * Check that exactly one condition is true, and throw a `ValueCheckError` naming the
   * true ones otherwise (BrainState's `check_cond`; default `true`, as BrainState). Eagerly
   * the conditions are read at once; under jit the compiled program reads them when it
   * reaches the branch (it reads the branch index there anyway), and a failing call
   * leaves every state as it was. With `false` the first true condition wins and the
   * last branch runs when none holds, as an `if / else if` chain does.
   */
  readonly checkCond?: boolean;
}

/** {@link ifelse} with its options fixed. */
export type IfElseFn = <A extends unknown[], R>(conditions: readonly Condition[] | tf.Tensor,
  branches: readonly Branch<A, R>[], ...operands: A) => R;

/**
 * Multi-way `if / else if / else` (BrainState's `ifelse`): runs the branch whose condition
 * is true. `conditions` is an array of scalar tensors (bool, or numbers: true when
 * non-zero) and JS booleans, or a bool vector; there is one per branch. Branches as
 * {@link switchBranches}: same result structure, any may write states, each traced once
 * under jit.
 *
 * The first true condition wins, and the last branch runs when none holds (pass `true` as
 * the last condition to say so): the contract of brainstate-ts's API. BrainState's own
 * default (`check_cond=True`) is `ifelse({ checkCond: true })(...)`: exactly one condition
 * must be true, any other count is a `ValueCheckError` naming the true ones, eagerly and in
 * a jitted call (which then leaves every state as it was). A single branch runs whatever
 * its condition, as in BrainState.
 *
 * @param conditions - one per branch.
 * @param branches - the functions, as many as conditions.
 * @param operands - passed to the branch taken.
 * @returns what the branch returns.
 * @throws ValueCheckError with `checkCond: true`, when not exactly one condition holds.
 * @throws TraceError when the numbers of conditions and branches differ, for a condition
 *   that is not a scalar, or for branches whose results disagree (naming the branch).
 * @example
 * ```ts
 * const sign = (a: tf.Tensor) => bst.transform.ifelse(
 *   [tf.greater(a, 0), tf.equal(a, 0), tf.less(a, 0)],
 *   [() => tf.scalar(1), () => tf.scalar(0), () => tf.scalar(-1)]);
 * sign(tf.scalar(7)).print();                          // 1
 * bst.transform.jit(sign)(tf.scalar(-3)).print();      // -1
 * // Overlapping conditions: the first true one wins, the last branch is the fallback.
 * const grade = (a: tf.Tensor) => bst.transform.ifelse(
 *   [tf.greater(a, 5), tf.greater(a, 0), true],
 *   [() => tf.scalar(2), () => tf.scalar(1), () => tf.scalar(0)]);
 * grade(tf.scalar(7)).print();                         // 2
 * bst.transform.jit(grade)(tf.scalar(-1)).print();     // 0
 * ```
 * @see switchBranches
 */
export function ifelse<A extends unknown[], R>(conditions: readonly Condition[] | tf.Tensor,
  branches: readonly Branch<A, R>[], ...operands: A): R;
/**
 * {@link ifelse} with options: `ifelse({ checkCond: true })(conditions, branches, ...operands)`
 * (BrainState's `ifelse(..., check_cond=True)`, its default) checks that exactly one
 * condition holds.
 *
 * @param options - `{ checkCond }` (default `false`: the first true condition wins).
 * @returns `ifelse` taking the same arguments, with these options.
 * @throws TraceError for an unknown option or a `checkCond` that is not a boolean.
 * @example
 * ```ts
 * const checked = bst.transform.ifelse({ checkCond: true });
 * checked([false, true], [() => 1, () => 2]);   // 2
 * checked([true, true], [() => 1, () => 2]);    // ValueCheckError: got 2 true (conditions 0, 1)
 * ```
 */
export function ifelse(options: IfElseOptions): IfElseFn;
export function ifelse(...args: unknown[]): unknown {
  const [first] = args;
  if (args.length === 1 && first !== null && typeof first === 'object' && !Array.isArray(first) && !isTensor(first)) {
    const options = checkOptions(first);
    return (conditions: readonly Condition[] | tf.Tensor, branches: readonly Branch<unknown[], unknown>[], ...operands: unknown[]) =>
      ifelseWith(options, conditions, branches, operands);
  }
  return ifelseWith({}, first as readonly Condition[] | tf.Tensor, args[1] as readonly Branch<unknown[], unknown>[], args.slice(2));
}

function checkOptions(o: object): IfElseOptions {
  const unknownKey = Object.keys(o).find((k) => k !== 'checkCond');
  if (unknownKey !== undefined) {
    throw new TraceError(`ifelse: unknown option '${unknownKey}'; the options are { checkCond }. Call ` +
      'ifelse(conditions, branches, ...operands), or ifelse({ checkCond: false })(conditions, branches, ...operands).');
  }
  const c = (o as IfElseOptions).checkCond;
  if (c !== undefined && typeof c !== 'boolean') {
    throw new TraceError(`ifelse: expected checkCond to be a boolean, got ${describe(c)}.`);
  }
  return o as IfElseOptions;
}

function ifelseWith(options: IfElseOptions, conditions: readonly Condition[] | tf.Tensor,
  branches: readonly Branch<unknown[], unknown>[], operands: unknown[]): unknown {
  checkBranches('ifelse', branches);
  const n = branches.length;
  if (!Array.isArray(conditions) && !isTensor(conditions)) {
    throw new TraceError(`ifelse: expected conditions to be an array of scalar tensors or booleans, got ${describe(conditions)}.`);
  }
  const conds: Condition[] = isTensor(conditions) ? splitVector(conditions) : [...conditions as readonly Condition[]];
  if (conds.length !== n) {
    throw new TraceError(`ifelse: got ${conds.length} condition${conds.length === 1 ? '' : 's'} for ${n} branch` +
      `${n === 1 ? '' : 'es'}; pass one condition per branch.`);
  }
  conds.forEach((c, k) => {
    if (typeof c !== 'boolean' && !(isTensor(c) && c.size === 1 && c.dtype !== 'string' && c.dtype !== 'complex64')) {
      throw new TraceError(`ifelse: expected condition ${k} to be a scalar tensor or a boolean, got ${describe(c)}; ` +
        'reduce it to one value (tf.all, tf.any) first.');
    }
  });
  if (n === 1) return branches[0](...operands); // as BrainState: one branch runs unchecked
  return (options.checkCond ?? DEFAULT_CHECK_COND) ? checkedIfelse(conds, branches, operands) : firstTrue(conds, branches, operands);
}

/**
 * api.md's contract: the first true condition wins, the last branch is the fallback
 * (BrainState's default, `check_cond=True`, is `checkCond: true`: code written for it has
 * exactly one true condition, which both give the same branch for).
 */
const DEFAULT_CHECK_COND = false;

/** `checkCond: false`: the first true condition wins, the last branch when none holds. */
function firstTrue(conds: readonly Condition[], branches: readonly Branch<unknown[], unknown>[], operands: unknown[]): unknown {
  const n = branches.length;
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
    const truth = truthVector(conds.slice(0, -1));
    const ks = tf.range(0, n - 1, 1, 'int32');
    return tf.min(tf.where(truth, ks, tf.fill([n - 1], n - 1, 'int32')));
  });
  return tracedBranches('ifelse', 'Switch', index, branches, branchNames(n), operands);
}

/** The conditions as one bool vector (traced). */
function truthVector(conds: readonly Condition[]): tf.Tensor {
  return tf.stack(conds.map((c) => (typeof c === 'boolean' ? tf.scalar(c, 'bool') : tf.notEqual(tf.reshape(c, []), 0))));
}

/** Up to this many conditions, a failed check's index names the true ones (a bit mask in an int32). */
const MASKED = 30;

/**
 * `checkCond`: the branch of the one true condition; a `ValueCheckError` otherwise.
 * Traced, the index is that branch's, or `-1 - mask` of the true conditions (`-1 - count`
 * beyond {@link MASKED} conditions) when not exactly one holds, which the branch node's
 * check rejects at run time before any branch runs.
 */
function checkedIfelse(conds: readonly Condition[], branches: readonly Branch<unknown[], unknown>[], operands: unknown[]): unknown {
  const n = branches.length;
  if (!isTracing() || conds.every((c) => typeof c === 'boolean')) {
    // Eagerly (or all static): read every condition now, as the compiled node would.
    const truth = conds.map((c) => (typeof c === 'boolean' ? c : Number(storedValues(c)[0]) !== 0));
    const held = truth.flatMap((t, k) => (t ? [k] : []));
    if (held.length !== 1) throw notExactlyOne(n, held.length, held);
    return branches[held[0]](...operands);
  }
  const index = tf.tidy(() => {
    const truth = truthVector(conds);
    const ones = tf.cast(truth, 'int32');
    const count = tf.sum(ones);
    const ks = tf.range(0, n, 1, 'int32');
    const pick = tf.min(tf.where(truth, ks, tf.fill([n], n - 1, 'int32')));
    const code = n <= MASKED ? tf.sum(tf.mul(ones, tf.tensor1d(Array.from({ length: n }, (_, k) => 2 ** k), 'int32'))) : count;
    return tf.where(tf.equal(count, 1), pick, tf.sub(tf.scalar(-1, 'int32'), code));
  });
  return tracedBranches('ifelse', 'Switch', index, branches, branchNames(n), operands, 0, ifelseCheck(n));
}

/** The run-time check of a traced {@link checkedIfelse}: decodes a negative index into the true conditions. */
export function ifelseCheck(n: number): (index: number) => void {
  return (index) => {
    if (index >= 0) return;
    const code = -1 - index;
    if (n > MASKED) throw notExactlyOne(n, code, undefined);
    const held = Array.from({ length: n }, (_, k) => k).filter((k) => (code & (1 << k)) !== 0);
    throw notExactlyOne(n, held.length, held);
  };
}

function notExactlyOne(n: number, count: number, held: readonly number[] | undefined): ValueCheckError {
  const which = held === undefined || count === 0 ? '' : ` (condition${count === 1 ? '' : 's'} ${held.join(', ')})`;
  return new ValueCheckError(`ifelse: expected exactly one of the ${n} conditions to be true (checkCond: true, ` +
    `BrainState's default), got ${count === 0 ? 'none' : count} true${which}. Make the conditions exclusive (e.g. the last one the ` +
    'negation of the others), or call ifelse({ checkCond: false })(conditions, branches, ...operands) for the first ' +
    'true condition to win and the last branch to run when none holds.');
}

/** A vector of conditions as scalars (traced) or as booleans read now (eagerly: nothing to free). */
function splitVector(v: tf.Tensor): Condition[] {
  if (v.rank !== 1) {
    throw new TraceError(`ifelse: expected a vector of conditions (one per branch), got ${describe(v)}.`);
  }
  return isTracing() ? tf.unstack(v) : Array.from(v.dataSync() as ArrayLike<number>, (x) => x !== 0);
}
