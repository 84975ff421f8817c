/**
 * The only module with import-time effects: everything that must happen once, before
 * any other brainstate-ts code runs. `src/index.ts` imports it first.
 */
// Decorators record field types and declarations with reflect-metadata.
import 'reflect-metadata';

// The random-number kernels (Threefry-2x32) for the cpu, wasm and tensorflow backends.
import { registerRandomKernels } from './random/kernels';
registerRandomKernels();

// Training kernels tfjs lacks or gets wrong (conv and max-pool gradients, UnsortedSegmentSum).
import { registerTrainingKernels } from './backend/training-kernels';
registerTrainingKernels();
