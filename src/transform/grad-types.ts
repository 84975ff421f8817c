/**
 * The types of `grad` and `valueAndGrad`: options, and the result type computed from the
 * function and the options as written (`hasAux: true`, `argnums: [0, 2]`, ...), so a
 * call site gets the exact tuple back without casts.
 */
import type * as tf from '@tensorflow/tfjs';
import type { NestedDict, NestedDictBase } from '../graph/nested-dict';
import type { TreefyState } from '../graph/treefy-state';
import type { State, StateValue } from '../state/state';
import type { PytreeContainer } from '../util/pytree';

/** Any function `grad` can differentiate: it returns a scalar loss, or `[loss, aux]` with `hasAux`. */
export type GradFunction = (...args: never[]) => unknown;

/**
 * The states to differentiate: one state, an array or plain object of them, or a tree of
 * live states such as `module.states(ParamState)` (a `NestedDict`).
 *
 * @example
 * ```ts
 * bst.transform.grad(loss, { gradStates: w });                              // one tensor back
 * bst.transform.grad(loss, { gradStates: { w, b } });                       // { w, b } back
 * bst.transform.grad(loss, { gradStates: model.states(bst.ParamState) });   // a NestedDict back
 * ```
 */
export type GradStatesSpec =
  | State<StateValue>
  | readonly GradStatesSpec[]
  | { readonly [key: string]: GradStatesSpec }
  | PytreeContainer;

/**
 * Options of {@link grad} (BrainState's `grad_states`, `argnums`, `has_aux`, `return_value`).
 * Write them inline so that `hasAux: true` / `returnValue: true` shape the result type.
 *
 * @example
 * ```ts
 * const f = bst.transform.grad(lossFn, { gradStates: model.states(bst.ParamState), argnums: 0, hasAux: true });
 * const [[paramGrads, xGrad], aux] = f(x, y);
 * ```
 */
export interface GradOptions {
  /** States whose values to differentiate; their gradients come back in the same structure. */
  readonly gradStates?: GradStatesSpec;
  /** Arguments to differentiate: one index (one gradient tree) or several (an array). Default 0 without gradStates. */
  readonly argnums?: number | readonly number[];
  /** The function returns `[loss, aux]`; aux comes back untouched (as tensors the caller owns). */
  readonly hasAux?: boolean;
  /** Also return the loss: `[grads, value]` (`[grads, value, aux]` with hasAux). */
  readonly returnValue?: boolean;
  /**
   * Whether a `gradStates` state the function never reads is an error (default true, as
   * BrainState's `check_states`); false gives such states zero gradients.
   */
  readonly checkStates?: boolean;
}

/** Options of {@link valueAndGrad}: as {@link GradOptions} without `returnValue` (the value is always returned). */
export type ValueAndGradOptions = Omit<GradOptions, 'returnValue'>;

/** The gradient of a state tree: each live state replaced by a gradient of its value's structure. */
export type StateGradsOf<S> =
  S extends State<infer V> ? V :
  S extends NestedDictBase<infer L> ? NestedDict<StateGradsOf<L>> :
  S extends readonly unknown[] ? { -readonly [K in keyof S]: StateGradsOf<S[K]> } :
  S extends PytreeContainer ? S :
  S extends object ? { -readonly [K in keyof S]: StateGradsOf<S[K]> } :
  never;

/** The gradient of an argument: the same tree with a gradient at each tensor (numbers give scalars). */
export type ArgGradsOf<T> =
  T extends tf.Tensor ? T :
  T extends number ? tf.Scalar :
  T extends TreefyState<infer V> ? TreefyState<V> :
  T extends NestedDictBase<infer L> ? NestedDict<ArgGradsOf<L>> :
  T extends readonly unknown[] ? { -readonly [K in keyof T]: ArgGradsOf<T[K]> } :
  T extends PytreeContainer ? T :
  T extends object ? { -readonly [K in keyof T]: ArgGradsOf<T[K]> } :
  T;

type At<P, N> = N extends keyof P ? P[N] : unknown;
type Params<F> = F extends (...args: infer P) => unknown ? P : never;

/** Which argnums the options select: the option, else 0 without gradStates, else none. */
type ArgnumsOf<O> =
  O extends { readonly argnums: infer N extends number | readonly number[] } ? N :
  O extends { readonly gradStates: GradStatesSpec } ? undefined : 0;

type ArgGradsFor<F, N> =
  N extends number ? ArgGradsOf<At<Params<F>, N>> :
  N extends readonly number[] ? { -readonly [K in keyof N]: ArgGradsOf<At<Params<F>, N[K]>> } :
  never;

/** The gradients part of the result: state grads, argument grads, or `[stateGrads, argGrads]`. */
export type GradsOf<F, O> =
  O extends { readonly gradStates: infer S extends GradStatesSpec }
    ? (ArgnumsOf<O> extends undefined ? StateGradsOf<S> : [StateGradsOf<S>, ArgGradsFor<F, ArgnumsOf<O>>])
    : ArgGradsFor<F, ArgnumsOf<O>>;

/** The aux value of a function returning `[loss, aux]`. */
export type AuxOf<F> =
  F extends (...args: never[]) => infer R
    ? (R extends readonly [unknown, infer A] ? A : R extends readonly (infer E)[] ? E : unknown)
    : unknown;

// Options written inline keep their literal types (`hasAux: true`); a value typed just
// `boolean` reads as false here, so pass such flags inline for exact result types.
type WithAux<O> = O extends { readonly hasAux: true } ? true : false;
type WithValue<O> = O extends { readonly returnValue: true } ? true : false;

/** What `grad(fn, opts)(...)` returns. */
export type GradResult<F, O> =
  WithAux<O> extends true
    ? (WithValue<O> extends true ? [GradsOf<F, O>, tf.Scalar, AuxOf<F>] : [GradsOf<F, O>, AuxOf<F>])
    : WithValue<O> extends true ? [GradsOf<F, O>, tf.Scalar] : GradsOf<F, O>;

/** What `valueAndGrad(fn, opts)(...)` returns: `[value, grads]`, or `[[value, aux], grads]` with hasAux. */
export type ValueAndGradResult<F, O> =
  WithAux<O> extends true ? [[tf.Scalar, AuxOf<F>], GradsOf<F, O>] : [tf.Scalar, GradsOf<F, O>];

/** The function `grad` returns. */
export type GradFn<F extends GradFunction, O> = (...args: Params<F>) => GradResult<F, O>;

/** The function `valueAndGrad` returns. */
export type ValueAndGradFn<F extends GradFunction, O> = (...args: Params<F>) => ValueAndGradResult<F, O>;
