/**
 * `environ`: global settings (`dt`, `fit`, ...) read by dynamics and layers, as
 * BrainState's `brainstate.environ`.
 *
 * @example
 * ```ts
 * bst.environ.set({ dt: 0.1 });
 * bst.environ.context({ fit: true }, () => bst.environ.get('fit'));   // true
 * ```
 */
export { set, get, getDt, context, all, reset } from './environ';
export type { EnvironSettings } from './environ';
