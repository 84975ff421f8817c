/**
 * `transform.vectorGrad`, `jacrev`, `jacfwd` and `hessian` (BrainState's names and
 * options: `gradStates`, `argnums`, `hasAux`, `returnValue`, `checkStates`), on the same
 * engine as `grad`.
 *
 * tfjs has reverse mode only, so a Jacobian is built row by row: one reverse pass per
 * element of the output, each differentiating that element. Every pass sees the same
 * state values (writes are held back, and the first pass's writes are committed once at
 * the end), so random draws and state updates happen once, as in one call of the function.
 * `jacfwd` computes the same matrix this way (JAX builds it column by column with forward
 * mode; the numbers agree). `hessian` is the Jacobian of the gradient (JAX's
 * `jacfwd(jacrev(f))`), through tfjs's higher-order gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { GradientError } from '../errors';
import type { State, StateValue } from '../state/state';
import { currentObserver, StateObserver, withObserver } from '../state/stack';
import { isTensor, tensorLeaves } from '../state/tree';
import { flatten, TreeDef, unflatten } from '../util/pytree';
import { isDecoratorCall, pack, request } from './grad';
import { computeGradients, GradRequest } from './grad-core';
import { describeLeaf } from './grad-tree';
import type { AuxOf, GradFunction, GradOptions, GradsOf } from './grad-types';

type Params<F> = F extends (...args: infer P) => unknown ? P : never;
type WithAux<O> = O extends { readonly hasAux: true } ? true : false;
type WithValue<O> = O extends { readonly returnValue: true } ? true : false;

/** What the function returns as its differentiated output (the first item with `hasAux`). */
export type OutputOf<F, O> = F extends (...args: never[]) => infer R
  ? (WithAux<O> extends true ? (R extends readonly [infer Y, unknown] ? Y : unknown) : R) : unknown;


/** A Jacobian: the output's structure, each tensor replaced by the gradient structure `G` (JAX's nesting). */
export type JacobianOf<Y, G> =
  Y extends tf.Tensor ? G :
  Y extends readonly unknown[] ? { -readonly [K in keyof Y]: JacobianOf<Y[K], G> } :
  Y extends object ? { -readonly [K in keyof Y]: JacobianOf<Y[K], G> } : G;

/** Adds the value and aux the options ask for: `J`, `[J, value]`, `[J, aux]` or `[J, value, aux]`. */
export type WithExtras<J, V, F, O> =
  WithAux<O> extends true
    ? (WithValue<O> extends true ? [J, V, AuxOf<F>] : [J, AuxOf<F>])
    : WithValue<O> extends true ? [J, V] : J;

/** What `vectorGrad(fn, opts)(...)` returns. */
export type VectorGradResult<F, O> = WithExtras<GradsOf<F, O>, OutputOf<F, O>, F, O>;
/** What `jacrev` / `jacfwd` return: each output tensor replaced by the gradient structure, of shape out + in. */
export type JacobianResult<F, O> = WithExtras<JacobianOf<OutputOf<F, O>, GradsOf<F, O>>, OutputOf<F, O>, F, O>;
/** What `hessian` returns: the Jacobian of the gradient structure with respect to itself. */
export type HessianResult<F, O> = WithExtras<JacobianOf<GradsOf<F, O>, GradsOf<F, O>>, tf.Scalar, F, O>;

export type VectorGradFn<F extends GradFunction, O> = (...args: Params<F>) => VectorGradResult<F, O>;
export type JacobianFn<F extends GradFunction, O> = (...args: Params<F>) => JacobianResult<F, O>;
export type HessianFn<F extends GradFunction, O> = (...args: Params<F>) => HessianResult<F, O>;

/** Splits what `fn` returned into its output leaves (float32 tensors) and aux. */
function outputOf(out: unknown, hasAux: boolean, name: string): { y: unknown; aux: unknown; leaves: tf.Tensor[]; def: TreeDef } {
  let y = out;
  let aux: unknown;
  if (hasAux) {
    if (!Array.isArray(out) || out.length !== 2) {
      throw new GradientError(`${name}: with hasAux: true the function must return [output, aux], but it returned ` +
        `${Array.isArray(out) ? `an array of length ${out.length}` : describeLeaf(out)}; return a two-element array.`);
    }
    [y, aux] = out;
  }
  const [leaves, def] = flatten(y, isTensor);
  leaves.forEach((t, k) => {
    if (!isTensor(t) || t.dtype !== 'float32') {
      throw new GradientError(`${name}: expected the function to return float32 tensors (or a tree of them), but ` +
        `output leaf ${k} is ${describeLeaf(t)}; cast it with tf.cast(x, 'float32').`);
    }
  });
  if (leaves.length === 0) {
    throw new GradientError(`${name}: the function returned no tensor to differentiate (${describeLeaf(y)}); return ` +
      'a float32 tensor or a tree of them.');
  }
  return { y, aux, leaves: leaves as tf.Tensor[], def };
}

/**
 * State access for the passes of one Jacobian: every pass reads the values the states
 * had before the first, and writes are held (the first pass's) until all passes are done.
 */
class SamePassObserver implements StateObserver {
  private readonly pending = new Map<State<StateValue>, StateValue>();
  private readonly discarded: tf.Tensor[] = [];
  first = true;

  constructor(private readonly outer: StateObserver | undefined) {}

  read(state: State<StateValue>): StateValue {
    return this.outer === undefined ? state.rawValue() : this.outer.read(state);
  }

  write(state: State<StateValue>, value: StateValue): void {
    if (this.first && !this.pending.has(state)) this.pending.set(state, value);
    else this.discarded.push(...tensorLeaves(value));
  }

  holds(tensor: tf.Tensor): boolean {
    for (const v of this.pending.values()) if (tensorLeaves(v).includes(tensor)) return true;
    return false;
  }

  created(state: State<StateValue>): void {
    this.outer?.created?.(state);
  }

  /** Commits the held writes to the enclosing transform (or the states); frees the repeats. */
  commit(): void {
    for (const [state, v] of this.pending) {
      if (this.outer !== undefined) this.outer.write(state, v);
      else state.setRaw(v);
    }
    this.drop();
  }

  /** Frees everything held (after a throw: no state changes). */
  abandon(): void {
    for (const v of this.pending.values()) this.discarded.push(...tensorLeaves(v));
    this.pending.clear();
    this.drop();
  }

  private drop(): void {
    for (const t of this.discarded) if (!t.isDisposed) t.dispose();
    this.discarded.length = 0;
  }
}

interface JacobianOutcome {
  readonly jac: unknown;
  readonly value: unknown;
  readonly aux: unknown;
}

/**
 * The Jacobian of `fn`'s output (a float32 tensor or tree) with respect to what `req`
 * names: the output's tree with each leaf replaced by the gradient structure, each of
 * whose leaves has shape `[...out.shape, ...in.shape]`.
 */
function jacobian(fn: (...a: unknown[]) => unknown, thisArg: unknown, args: unknown[], req: GradRequest,
  hasAux: boolean): JacobianOutcome {
  const observer = new SamePassObserver(currentObserver());
  let y: { value: unknown; leaves: tf.Tensor[]; def: TreeDef } | undefined;
  let aux: unknown;
  const rows: unknown[] = [];
  const inner: GradRequest = { ...req, hasAux: true };
  try {
    let total = 1;
    for (let i = 0; i < total; i++) {
      const out = withObserver(observer, () => computeGradients((...a: unknown[]) => {
        const o = outputOf(fn.apply(thisArg, a), hasAux, req.name);
        // Row i: element i of the output leaves laid end to end.
        let e = i;
        let q = 0;
        while (q < o.leaves.length - 1 && e >= o.leaves[q].size) e -= o.leaves[q++].size;
        const leaf = o.leaves[q];
        const loss = leaf.size === 0 ? tf.sum(tf.mul(leaf, 0)) : tf.reshape(tf.slice(tf.reshape(leaf, [-1]), [e], [1]), []);
        return [loss, i === 0 ? [o.y, o.aux] : undefined];
      }, thisArg, args, inner));
      observer.first = false;
      tf.dispose(out.value);
      if (i === 0) {
        const [yv, a] = out.aux as [unknown, unknown];
        const [leaves, def] = flatten(yv, isTensor);
        y = { value: yv, leaves: leaves as tf.Tensor[], def };
        aux = a;
        total = y.leaves.reduce((n, t) => n + t.size, 0);
      }
      rows.push(pack(out, req)); // (row 0 also gives the structure when the output is empty)
    }
    observer.commit();
  } catch (e) {
    observer.abandon();
    for (const r of rows) tf.dispose(flatten(r, isTensor)[0] as tf.Tensor[]);
    throw e;
  }
  // Stack the rows: for output leaf q and input leaf p, rows [offset_q, offset_q + size_q) of p.
  const perRow = rows.map((r) => flatten(r, isTensor));
  const gradDef = perRow[0][1];
  const nIn = perRow[0][0].length;
  let offset = 0;
  const jacLeaves = y!.leaves.map((leaf) => {
    const inLeaves = Array.from({ length: nIn }, (_, p) => {
      const inShape = (perRow[0][0][p] as tf.Tensor).shape;
      if (leaf.size === 0) return tf.zeros([...leaf.shape, ...inShape]);
      const parts = perRow.slice(offset, offset + leaf.size).map((r) => r[0][p] as tf.Tensor);
      return tf.tidy(() => tf.reshape(tf.stack(parts), [...leaf.shape, ...inShape]));
    });
    offset += leaf.size;
    return unflatten(gradDef, inLeaves);
  });
  for (const [leaves] of perRow) tf.dispose(leaves as tf.Tensor[]);
  return { jac: unflatten(y!.def, jacLeaves), value: y!.value, aux };
}

function withExtras(jac: unknown, value: unknown, aux: unknown, hasAux: boolean, returnValue: boolean): unknown {
  if (hasAux) return returnValue ? [jac, value, aux] : [jac, aux];
  if (!returnValue) tf.dispose(flatten(value, isTensor)[0] as tf.Tensor[]);
  return returnValue ? [jac, value] : jac;
}

function named<T extends object>(run: T, name: string): T {
  Object.defineProperty(run, 'name', { value: name });
  return run;
}

/**
 * The gradient of `sum(fn(...))` (BrainState's `vector_grad`): for a function returning a
 * tensor (or a tree of them), the gradient of the sum of all its elements, with
 * {@link grad}'s options and result structure. With `returnValue` the value returned is
 * the function's output itself (not its sum), as in BrainState.
 *
 * @param fn - the function (synchronous, returning float32 tensors; `[output, aux]` with hasAux).
 * @param opts - `gradStates`, `argnums`, `hasAux`, `returnValue`, `checkStates` (as {@link grad}).
 * @returns the gradient function; `vectorGrad(opts)` returns a decorator taking `fn`.
 * @throws GradientError as {@link grad}, and for outputs that are not float32 tensors.
 * @example
 * ```ts
 * const f = (x: tf.Tensor) => tf.stack([tf.square(x.gather(0)), tf.pow(x.gather(1), 3)]);
 * const g = bst.transform.vectorGrad(f)(tf.tensor1d([2, 3]));   // [4, 27]
 * const [g2, y] = bst.transform.vectorGrad({ returnValue: true })(f)(tf.tensor1d([2, 3]));   // y = [4, 27]
 * ```
 * @see grad
 * @see jacrev
 */
export function vectorGrad<F extends GradFunction, const O extends GradOptions = Record<never, never>>(fn: F, opts?: O): VectorGradFn<F, O>;
/**
 * The decorator form, `vectorGrad(opts)(fn)` (BrainState's transform called without the function).
 *
 * @param opts - the options, as in the form above.
 * @returns a function taking `fn` and returning what `vectorGrad(fn, opts)` returns.
 */
export function vectorGrad<const O extends GradOptions>(opts: O): <F extends GradFunction>(fn: F) => VectorGradFn<F, O>;
export function vectorGrad(fn: GradFunction | GradOptions, opts?: GradOptions): unknown {
  if (isDecoratorCall(fn, opts)) return (f: GradFunction) => vectorGrad(f, fn);
  const req = request('vectorGrad', fn, opts);
  const hasAux = opts?.hasAux === true;
  const returnValue = opts?.returnValue === true;
  return named(function (this: unknown, ...args: unknown[]): unknown {
    const out = computeGradients((...a: unknown[]) => {
      const o = outputOf((fn as (...x: unknown[]) => unknown).apply(this, a), hasAux, req.name);
      const sums = o.leaves.map((t) => tf.sum(t));
      return [sums.length === 1 ? sums[0] : tf.addN(sums), [o.y, o.aux]];
    }, this, args, { ...req, hasAux: true });
    tf.dispose(out.value);
    const [y, aux] = out.aux as [unknown, unknown];
    return withExtras(pack(out, req), y, aux, hasAux, returnValue);
  }, req.name);
}

function makeJacobian(kind: 'jacrev' | 'jacfwd', fn: GradFunction, opts: GradOptions | undefined): unknown {
  const req = request(kind, fn, opts);
  const hasAux = opts?.hasAux === true;
  const returnValue = opts?.returnValue === true;
  return named(function (this: unknown, ...args: unknown[]): unknown {
    const { jac, value, aux } = jacobian(fn as (...a: unknown[]) => unknown, this, args, req, hasAux);
    return withExtras(jac, value, aux, hasAux, returnValue);
  }, req.name);
}

/**
 * The Jacobian of `fn` by reverse mode (JAX's / BrainState's `jacrev`): for an output of
 * shape `out` and a differentiated leaf of shape `in`, a tensor of shape `[...out, ...in]`;
 * the result has the gradient structure of {@link grad} (states, arguments, or both), and
 * for an output tree, the output's tree with that structure at each leaf (JAX's nesting).
 * Built with one reverse pass per output element; every pass sees the same state values
 * and the function's state writes are made once. `returnValue` also returns the output.
 *
 * @param fn - the function (synchronous, returning float32 tensors; `[output, aux]` with hasAux).
 * @param opts - `gradStates`, `argnums`, `hasAux`, `returnValue`, `checkStates` (as {@link grad}).
 * @returns the Jacobian function; `jacrev(opts)` returns a decorator taking `fn`.
 * @throws GradientError as {@link grad}, and for outputs that are not float32 tensors.
 * @example
 * ```ts
 * const f = (x: tf.Tensor) => tf.stack([tf.mul(x.gather(0), x.gather(1)), tf.sin(x.gather(0))]);
 * bst.transform.jacrev(f)(tf.tensor1d([2, 3])).print();   // [[3, 2], [cos 2, 0]]
 * const w = new bst.ParamState(tf.tensor1d([1, 2]));
 * const J = bst.transform.jacrev((x: tf.Tensor) => tf.mul(w.value, x), { gradStates: w })(tf.scalar(3));   // [[3, 0], [0, 3]]
 * ```
 * @see jacfwd
 * @see hessian
 */
export function jacrev<F extends GradFunction, const O extends GradOptions = Record<never, never>>(fn: F, opts?: O): JacobianFn<F, O>;
/**
 * The decorator form, `jacrev(opts)(fn)` (BrainState's transform called without the function).
 *
 * @param opts - the options, as in the form above.
 * @returns a function taking `fn` and returning what `jacrev(fn, opts)` returns.
 */
export function jacrev<const O extends GradOptions>(opts: O): <F extends GradFunction>(fn: F) => JacobianFn<F, O>;
export function jacrev(fn: GradFunction | GradOptions, opts?: GradOptions): unknown {
  if (isDecoratorCall(fn, opts)) return (f: GradFunction) => jacrev(f, fn);
  return makeJacobian('jacrev', fn as GradFunction, opts);
}

/**
 * The Jacobian of `fn` as JAX's / BrainState's `jacfwd` (same result, shapes and options
 * as {@link jacrev}). tfjs has no forward mode, so it is computed like `jacrev`, by
 * reverse mode one output element at a time: the numbers are the same; the cost is one
 * pass per output element rather than per input element.
 *
 * @param fn - the function (synchronous, returning float32 tensors; `[output, aux]` with hasAux).
 * @param opts - `gradStates`, `argnums`, `hasAux`, `returnValue`, `checkStates` (as {@link grad}).
 * @returns the Jacobian function; `jacfwd(opts)` returns a decorator taking `fn`.
 * @throws GradientError as {@link grad}.
 * @example
 * ```ts
 * const f = (x: tf.Tensor) => tf.mul(x, x);
 * bst.transform.jacfwd(f)(tf.tensor1d([1, 2])).print();   // [[2, 0], [0, 4]]
 * ```
 * @see jacrev
 */
export function jacfwd<F extends GradFunction, const O extends GradOptions = Record<never, never>>(fn: F, opts?: O): JacobianFn<F, O>;
/**
 * The decorator form, `jacfwd(opts)(fn)` (BrainState's transform called without the function).
 *
 * @param opts - the options, as in the form above.
 * @returns a function taking `fn` and returning what `jacfwd(fn, opts)` returns.
 */
export function jacfwd<const O extends GradOptions>(opts: O): <F extends GradFunction>(fn: F) => JacobianFn<F, O>;
export function jacfwd(fn: GradFunction | GradOptions, opts?: GradOptions): unknown {
  if (isDecoratorCall(fn, opts)) return (f: GradFunction) => jacfwd(f, fn);
  return makeJacobian('jacfwd', fn as GradFunction, opts);
}

/**
 * The Hessian of a scalar function (JAX's / BrainState's `hessian`, `jacfwd(jacrev(f))`):
 * the Jacobian of {@link grad}'s result with respect to the same states and arguments,
 * so for one argument of shape `in` a tensor of shape `[...in, ...in]`, and for several,
 * JAX's nesting (`H[i][j]` of shape `[...in_i, ...in_j]`). `returnValue` also returns the
 * loss; `hasAux` (`fn` returns `[loss, aux]`) the aux.
 *
 * @param fn - the scalar loss (synchronous, float32; `[loss, aux]` with hasAux).
 * @param opts - `gradStates`, `argnums`, `hasAux`, `returnValue`, `checkStates` (as {@link grad}).
 * @returns the Hessian function; `hessian(opts)` returns a decorator taking `fn`.
 * @throws GradientError as {@link grad}.
 * @example
 * ```ts
 * const f = (x: tf.Tensor) => tf.sum(tf.pow(x, 3));
 * bst.transform.hessian(f)(tf.tensor1d([1, 2])).print();   // [[6, 0], [0, 12]]
 * ```
 * @see jacrev
 */
export function hessian<F extends GradFunction, const O extends GradOptions = Record<never, never>>(fn: F, opts?: O): HessianFn<F, O>;
/**
 * The decorator form, `hessian(opts)(fn)` (BrainState's transform called without the function).
 *
 * @param opts - the options, as in the form above.
 * @returns a function taking `fn` and returning what `hessian(fn, opts)` returns.
 */
export function hessian<const O extends GradOptions>(opts: O): <F extends GradFunction>(fn: F) => HessianFn<F, O>;
export function hessian(fn: GradFunction | GradOptions, opts?: GradOptions): unknown {
  if (isDecoratorCall(fn, opts)) return (f: GradFunction) => hessian(f, fn);
  const req = request('hessian', fn, opts);
  const hasAux = opts?.hasAux === true;
  const returnValue = opts?.returnValue === true;
  const innerReq: GradRequest = { ...req, hasAux };
  return named(function (this: unknown, ...args: unknown[]): unknown {
    // The gradient (with the loss and aux as aux), differentiated again row by row.
    const gradient = (...a: unknown[]): unknown => {
      const out = computeGradients(fn as (...x: unknown[]) => unknown, this, a, innerReq);
      return [pack(out, req), [out.value, out.aux]];
    };
    const { jac, value: grads, aux } = jacobian(gradient, this, args, req, true);
    tf.dispose(flatten(grads, isTensor)[0] as tf.Tensor[]);
    const [value, userAux] = aux as [tf.Tensor, unknown];
    if (!returnValue) value.dispose();
    if (hasAux) return returnValue ? [jac, value, userAux] : [jac, userAux];
    return returnValue ? [jac, value] : jac;
  }, req.name);
}
