/**
 * The decorators of brainstate-ts, published as `brainstate-ts/decorators`.
 *
 * @example
 * ```ts
 * import { param, hidden, jit } from 'brainstate-ts/decorators';
 * ```
 * They work under standard (TC39) decorators, TypeScript 5's default (`@param accessor w
 * = ...` or `@param w = ...`), and under `experimentalDecorators` with
 * `useDefineForClassFields: false` (`@param w = ...`); see the README's tsconfig section.
 * @module brainstate-ts/decorators
 */
import '../src/side-effects';

export { param, hidden, stateOf } from './fields';
export type { FieldOptions, FieldDecorator } from './fields';
export { jit, jitted } from './methods';
export type { JitMethodDecorator } from './methods';
