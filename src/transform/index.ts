export { jit } from './jit';
export type { JitOptions, JittedFunction, Lowered, AnyFunction } from './jit';
export { disableJit } from './disable';
export { grad, valueAndGrad } from './grad';
export type {
  GradOptions, ValueAndGradOptions, GradStatesSpec, GradFunction, GradFn, ValueAndGradFn, GradResult,
  ValueAndGradResult, GradsOf, StateGradsOf, ArgGradsOf, AuxOf,
} from './grad-types';
export { scan, forLoop } from './scan';
export type { LoopOptions } from './scan';
export { checkpointedScan, checkpointedForLoop } from './checkpointed-scan';
export type { CheckpointedLoopOptions } from './checkpointed-scan';
export { ProgressBar } from './progress';
export type { ProgressReporter, ProgressBarOptions } from './progress';
export { whileLoop } from './while-loop';
export { cond } from './cond';
export { switchBranches as switch, switchBranches, ifelse } from './switch';
export type { Branch, Condition, IfElseOptions, IfElseFn } from './switch';
export { vectorGrad, jacrev, jacfwd, hessian } from './jacobian';
export type {
  VectorGradFn, VectorGradResult, JacobianFn, JacobianResult, HessianFn, HessianResult, JacobianOf, OutputOf, WithExtras,
} from './jacobian';
export { vmap } from './vmap';
export type { VmapOptions, VmappedFunction } from './vmap';
export type { AxisSpec, StateSelector, VmapStates } from './vmap-axes';
