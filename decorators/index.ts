/**
 * The decorators of brainstate-ts, published as `brainstate-ts/decorators`.
 *
 * @example
 * ```ts
 * import { param, hidden } from 'brainstate-ts/decorators';
 * ```
 */
import '../src/side-effects';

export { param, hidden, stateOf } from './fields';
export type { FieldOptions, FieldDecorator } from './fields';
export { jit, jitted } from './methods';
