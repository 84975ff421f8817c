export { State, ShortTermState, HiddenState, LongTermState, ParamState, RandomState, BatchState, holderCount } from './state';
export type { StateOptions, StateClass } from './state';
export type { StateValue } from './tree';
export { currentObserver, withObserver, withoutObservers, observerDepth } from './stack';
export type { StateObserver } from './stack';
export { isTensor, isPlainObject, tensorLeaves, describeValue, valueSignature, stateValueProblem } from './tree';
