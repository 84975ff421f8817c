/**
 * brainstate-ts: BrainState's programming model (states, modules, a graph walker and a
 * jit for stateful code) in TypeScript on TensorFlow.js.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import * as bst from 'brainstate-ts';
 * await bst.backend.init();
 * const s = new bst.HiddenState(tf.scalar(0));
 * ```
 * @module brainstate-ts
 */
import './side-effects';

import * as backend from './backend';
import * as nn from './nn';
import * as graph from './graph';
import * as environ from './environ';
import * as random from './random';
import * as transform from './transform';
import * as optim from './optim';
import * as checkpoint from './checkpoint';
import * as event from './event';

export { backend, nn, transform };
export { environ, random };
export {
  State, ShortTermState, HiddenState, LongTermState, ParamState, BatchState,
} from './state';
/** BrainState's `random.RandomState`: the `RandomState` kind, with the distributions as methods. */
export { RandomState } from './random';
export type { StateOptions, StateClass, StateValue } from './state';
export {
  BrainStateError, BackendError, StateError, StateShapeError, DecoratorError, FilterError, GraphError,
  TraceError, TracerValueError, BatchAxisError, ValueCheckError, GradientError, OptimizerError, CheckpointError, ConfigError, InternalError,
} from './errors';
export { graph };
export { TreefyState, NestedDict, FlatDict, stateOf } from './graph';
export { optim };
export { checkpoint };
export { event };
