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
export type { Size } from './module';
export { Conv1d, Conv2d, Conv3d, ConvBase } from './conv';
export type { ConvOptions, ConvParams } from './conv';
export { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './conv-transpose';
export type { ConvTransposeOptions } from './conv-transpose';
export type { PaddingSpec, Padding } from './conv-ops';
export { MaxPool1d, MaxPool2d, MaxPool3d, AvgPool1d, AvgPool2d, AvgPool3d, Pool } from './pooling';
export type { PoolOptions, PoolKind } from './pooling';
export {
  AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d,
} from './adaptive-pooling';
export type { AdaptivePoolOptions } from './adaptive-pooling';
export { BatchNorm0d, BatchNorm1d, BatchNorm2d, BatchNorm3d } from './batch-norm';
export type { BatchNormOptions } from './batch-norm';
export { LayerNorm, RMSNorm } from './layer-norm';
export type { LayerNormOptions } from './layer-norm';
export { GroupNorm } from './group-norm';
export type { GroupNormOptions } from './group-norm';
export type { NormParams } from './norm-stats';
export { Embedding } from './embedding';
export type { EmbeddingOptions } from './embedding';
export { Flatten, Unflatten } from './flatten';
export { Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout, DropoutFixed } from './dropout-variants';
export { SignedWLinear } from './signed-linear';
export { RNNCell, ValinaRNNCell, GRUCell, MGUCell, LSTMCell, URLSTMCell } from './rnn-cells';
export type { RNNCellOptions, ActivationSpec } from './rnn-cells';
export { unrollCell } from './unroll';
export type { UnrollOptions } from './unroll';
