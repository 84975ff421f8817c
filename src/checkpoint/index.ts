/**
 * `bst.checkpoint`: saving and loading the states of a module, in the safetensors file
 * layout (so Python's `safetensors` can read the tensors), with a manifest of paths,
 * state kinds, tags, shapes and dtypes. Writes are atomic; loads check everything first.
 *
 * @example
 * ```ts
 * bst.checkpoint.save('model.safetensors', model);
 * bst.checkpoint.load('model.safetensors', model);   // the same values, bit for bit
 * ```
 */
export { save } from './save';
export type { SaveTree } from './save';
export { load, inspect } from './load';
export type { LoadTarget } from './load';
export type { LoadOptions, TensorNames } from './plain';
export { Manifest, StateRecord, TensorRecord, FORMAT_VERSION } from './format';
export type { CheckpointDtype, ValueLayout } from './format';
