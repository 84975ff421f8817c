export { jit } from './jit';
export type { JitOptions, JittedFunction, Lowered, AnyFunction } from './jit';
export { disableJit } from './disable';
export { grad, valueAndGrad } from './grad';
export type {
  GradOptions, ValueAndGradOptions, GradStatesSpec, GradFunction, GradFn, ValueAndGradFn, GradResult,
  ValueAndGradResult, GradsOf, StateGradsOf, ArgGradsOf, AuxOf,
} from './grad-types';
