/**
 * `bst.optim`: optimisers whose counters and moments are states, so they work eagerly
 * and inside `jit` alike, and learning-rate schedules as functions of the step state.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Adam(bst.optim.exponentialDecay(1e-2, 100, 0.5));
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * opt.update(bst.transform.grad(loss, { gradStates: model.states(bst.ParamState) })(x, y));
 * ```
 */
export { Optimizer, OptimState, clipByGlobalNorm } from './base';
export type { OptimizerOptions, LeafUpdate, StepContext } from './base';
export { SGD } from './sgd';
export { Momentum } from './momentum';
export type { MomentumOptions } from './momentum';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { constant, exponentialDecay, stepLR, cosineDecay, toSchedule } from './schedule';
export type { Schedule, LearningRate, ExponentialDecayOptions } from './schedule';
export type { TrainableWeights } from './weights';
