/**
 * `transform.grad` and `transform.valueAndGrad`: gradients of a scalar loss with respect
 * to states and/or arguments, as BrainState's `brainstate.transform.grad`, built on
 * tfjs's own gradient tape. Under `jit` the backward kernels are recorded with the
 * forward ones, so `jit(grad(f))` and a whole jitted training step are one cached program.
 */
import { GradientError } from '../errors';
import { isPlainObject } from '../state/tree';
import { computeGradients, GradRequest } from './grad-core';
import type {
  GradFn, GradFunction, GradOptions, ValueAndGradFn, ValueAndGradOptions,
} from './grad-types';

/** Checks `fn` and the options, and resolves what to differentiate (shared with the jacobians). */
export function request(name: string, fn: unknown, opts: GradOptions | undefined): GradRequest {
  if (typeof fn !== 'function') {
    throw new GradientError(`${name}: expected a function to differentiate, but got ${fn === null ? 'null' :
      typeof fn}; pass the loss function, e.g. ${name}((x) => tf.sum(tf.square(x))).`);
  }
  if (fn.constructor?.name === 'AsyncFunction') {
    throw new GradientError(`${name}(${fn.name || 'anonymous'}): async functions cannot be differentiated; the ` +
      'gradient tape records synchronous tfjs ops only. Make the function synchronous.');
  }
  const o = opts ?? {};
  const negative = (o.argnums === undefined ? [] : Array.isArray(o.argnums) ? o.argnums : [o.argnums])
    .find((k) => typeof k === 'number' && k < 0);
  if (negative !== undefined) {
    // Checked here too, so the mistake shows where the transform is made (as BrainState does).
    throw new GradientError(`${name}(${fn.name || 'anonymous'}): argnums ${negative} is negative; negative indices ` +
      'are not supported (as in BrainState). Use the non-negative index of the positional argument.');
  }
  return {
    name: `${name}(${fn.name || 'anonymous'})`,
    gradStates: o.gradStates,
    hasGradStates: o.gradStates !== undefined,
    argnums: o.argnums,
    hasAux: o.hasAux === true,
    checkStates: o.checkStates !== false,
  };
}

/** The gradients as the options ask for them: argument grads, state grads, or `[stateGrads, argGrads]`. */
export function pack(grads: { stateGrads: unknown; argGrads: unknown }, req: GradRequest): unknown {
  if (!req.hasGradStates) return grads.argGrads;
  return req.argnums === undefined ? grads.stateGrads : [grads.stateGrads, grads.argGrads];
}

/**
 * Transforms `fn` into a function that returns gradients of its scalar loss (BrainState's
 * `grad`). What it differentiates:
 * - `gradStates`: states read inside `fn` (a state, an array or object of states, or
 *   `module.states(ParamState)`); their gradients come back in the same structure, each
 *   state replaced by a tensor (or tree, for a state holding a tree);
 * - `argnums`: arguments (default 0 when there are no `gradStates`); a number gives one
 *   gradient tree mirroring the argument (a `NestedDict` of `TreefyState` gives one
 *   back), an array gives an array of them.
 *
 * Results: the gradients; `[stateGrads, argGrads]` when both are asked for; with
 * `returnValue` `[grads, value]`; with `hasAux` (`fn` returns `[loss, aux]`)
 * `[grads, aux]` or `[grads, value, aux]`. Gradients of leaves the loss does not depend
 * on are zeros; but a `gradStates` state the function never reads at all is an error
 * naming it (a wrong state list, as BrainState), unless `checkStates: false`. `argnums`
 * are non-negative (as BrainState). Every returned tensor is the caller's (never a state's own tensor).
 * States `fn` writes are written after the backward pass; if `fn` throws, none is.
 *
 * @param fn - the loss function (synchronous, returning a float32 scalar).
 * @param opts - `gradStates`, `argnums`, `hasAux`, `returnValue`, `checkStates`.
 * @returns the gradient function, taking `fn`'s arguments.
 * @throws GradientError for a loss that is not a float32 scalar, gradStates that are
 *   not states or that the function never reads, negative or out-of-range argnums, or
 *   integer tensors to differentiate.
 * @example
 * ```ts
 * const w = new bst.ParamState(tf.tensor1d([1, 2]));
 * const loss = (x: tf.Tensor) => tf.sum(tf.mul(w.value, x));
 * const gw = bst.transform.grad(loss, { gradStates: w })(tf.tensor1d([3, 4]));       // [3, 4]
 * const [gs, gx] = bst.transform.grad(loss, { gradStates: [w], argnums: 0 })(tf.tensor1d([3, 4]));
 * const [g, value] = bst.transform.grad(loss, { gradStates: w, returnValue: true })(tf.tensor1d([3, 4]));
 * const dx = bst.transform.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2]));   // [2, 4]
 * // Decorator form (BrainState's grad(grad_states=...)(fn)): options first, the function after.
 * const gradW = bst.transform.grad({ gradStates: w })(loss);
 * ```
 * @see valueAndGrad
 * @see jit
 */
export function grad<F extends GradFunction, const O extends GradOptions = Record<never, never>>(fn: F, opts?: O): GradFn<F, O>;
/**
 * The decorator form, `grad(opts)(fn)` (BrainState's transform called without the function).
 *
 * @param opts - the options, as in the form above.
 * @returns a function taking `fn` and returning what `grad(fn, opts)` returns.
 */
export function grad<const O extends GradOptions>(opts: O): <F extends GradFunction>(fn: F) => GradFn<F, O>;
export function grad(fn: GradFunction | GradOptions, opts?: GradOptions): unknown {
  if (isDecoratorCall(fn, opts)) return (f: GradFunction) => grad(f, fn);
  const req = request('grad', fn, opts);
  const returnValue = opts?.returnValue === true;
  const run = function (this: unknown, ...args: unknown[]): unknown {
    const out = computeGradients(fn as unknown as (...a: unknown[]) => unknown, this, args, req);
    const grads = pack(out, req);
    if (req.hasAux) return returnValue ? [grads, out.value, out.aux] : [grads, out.aux];
    return returnValue ? [grads, out.value] : grads;
  };
  Object.defineProperty(run, 'name', { value: req.name });
  return run;
}

/**
 * Whether a transform was called in its decorator form, `transform(opts)(fn)`: one plain
 * options object and nothing else (as BrainState's transforms called without `fun`).
 */
export function isDecoratorCall(first: unknown, second: unknown): first is GradOptions {
  return second === undefined && isPlainObject(first);
}

/**
 * Transforms `fn` into a function returning `[value, grads]` (JAX's `value_and_grad`);
 * with `hasAux` (`fn` returns `[loss, aux]`) it returns `[[value, aux], grads]`.
 * Options and gradient structure as {@link grad}.
 *
 * @param fn - the loss function.
 * @param opts - `gradStates`, `argnums`, `hasAux`, `checkStates`.
 * @returns the function, taking `fn`'s arguments.
 * @throws GradientError as {@link grad}.
 * @example
 * ```ts
 * // The seed's mse_loss: gradients of a NestedDict of TreefyState come back as one.
 * const [graphDef, params, others] = bst.graph.treefySplit(lin, bst.ParamState, '...');
 * const mseLoss = (p: bst.NestedDict, o: bst.NestedDict, x: tf.Tensor) => {
 *   const model = bst.graph.treefyMerge(graphDef, p, o) as TinyLinear;
 *   return tf.mean(tf.square(tf.sub(model.call(x), tf.add(tf.mul(x, 2), 1))));
 * };
 * const [loss, grads] = bst.transform.valueAndGrad(mseLoss)(params, others, tf.tensor2d([[0], [1]]));
 * loss.print();                                    // 2.5
 * for (const [path, g] of grads.items()) console.log('grad', path, g.toString());
 * // Decorator form: bst.transform.valueAndGrad({ argnums: 0 })(mseLoss)
 * ```
 * @see grad
 */
export function valueAndGrad<F extends GradFunction, const O extends ValueAndGradOptions = Record<never, never>>(
  fn: F, opts?: O): ValueAndGradFn<F, O>;
/**
 * The decorator form, `valueAndGrad(opts)(fn)` (BrainState's transform called without the function).
 *
 * @param opts - the options, as in the form above.
 * @returns a function taking `fn` and returning what `valueAndGrad(fn, opts)` returns.
 */
export function valueAndGrad<const O extends ValueAndGradOptions>(opts: O):
  <F extends GradFunction>(fn: F) => ValueAndGradFn<F, O>;
export function valueAndGrad(fn: GradFunction | ValueAndGradOptions, opts?: ValueAndGradOptions): unknown {
  if (isDecoratorCall(fn, opts)) return (f: GradFunction) => valueAndGrad(f, fn);
  const req = request('valueAndGrad', fn, opts);
  const run = function (this: unknown, ...args: unknown[]): unknown {
    const out = computeGradients(fn as unknown as (...a: unknown[]) => unknown, this, args, req);
    const grads = pack(out, req);
    return req.hasAux ? [[out.value, out.aux], grads] : [out.value, grads];
  };
  Object.defineProperty(run, 'name', { value: req.name });
  return run;
}
