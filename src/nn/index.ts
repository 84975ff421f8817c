export { Module } from './module';
export { Linear } from './linear';
export type { LinearOptions, LinearParams } from './linear';
export { Sequential } from './sequential';
export type { Layer } from './sequential';
export { Dropout } from './dropout';
export { relu, sigmoid, tanh, gelu, silu, softplus, leakyRelu, elu, softmax, logSoftmax } from './activations';
export {
  ElementWise, ReLU, Sigmoid, Tanh, GELU, SiLU, Softplus, LeakyReLU, ELU, Softmax, LogSoftmax,
} from './elementwise';
export { LIF } from './lif';
export type { LIFOptions, DynParam } from './lif';
export { Expon } from './synapse';
export type { ExponOptions } from './synapse';
export { initAllStates, resetAllStates } from './states';
export type { SpikeFunction } from './surrogate';
import * as init from './init';
import * as surrogate from './surrogate';
export { init, surrogate };
