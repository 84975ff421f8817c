export { jit } from './jit';
export type { JitOptions, JittedFunction, Lowered, AnyFunction } from './jit';
export { disableJit } from './disable';
