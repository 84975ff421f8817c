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
export { Optimizer, OptimState, clipByGlobalNorm, gradClipValue } from './base';
export type { OptimizerOptions, LeafUpdate, StepContext, ParamGroup, ParamGroupOptions, OptimizerStateDict } from './base';
export { SGD } from './sgd';
export { Momentum } from './momentum';
export type { MomentumOptions } from './momentum';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { RMSProp } from './rmsprop';
export type { RMSPropOptions } from './rmsprop';
export { Adagrad } from './adagrad';
export type { AdagradOptions } from './adagrad';
export { Adadelta } from './adadelta';
export type { AdadeltaOptions } from './adadelta';
export { Adamax } from './adamax';
export type { AdamaxOptions } from './adamax';
export { NAdam } from './nadam';
export type { NAdamOptions } from './nadam';
export { RAdam } from './radam';
export type { RAdamOptions } from './radam';
export { Lamb } from './lamb';
export type { LambOptions } from './lamb';
export { Lars } from './lars';
export type { LarsOptions } from './lars';
export { Lookahead } from './lookahead';
export type { LookaheadOptions } from './lookahead';
export { Yogi } from './yogi';
export type { YogiOptions } from './yogi';
export { Rprop } from './rprop';
export type { RpropOptions } from './rprop';
export { LBFGS } from './lbfgs';
export type { LBFGSOptions } from './lbfgs';
export {
  constant, exponentialDecay, stepLR, cosineDecay, toSchedule, multiStepLR, piecewiseConstant, warmupCosine, oneCycle,
  MultiStepLR, PiecewiseConstant, WarmupCosine, OneCycle,
} from './schedule';
export type { Schedule, LearningRate, ExponentialDecayOptions } from './schedule';
export type { TrainableWeights } from './weights';
