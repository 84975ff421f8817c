/**
 * The only module with import-time effects: everything that must happen once, before
 * any other brainstate-ts code runs. `src/index.ts` imports it first.
 */
// experimentalDecorators: `@param` reads a field's declared type (design:type) through reflect-metadata.
import 'reflect-metadata';

// Standard decorators get `context.metadata` only where `Symbol.metadata` exists (TypeScript's
// emitted helpers test for it); Node 20 and 22 lack it. Symbol.for('Symbol.metadata') is the
// stand-in esbuild's helpers use, so classes compiled by either tool share one metadata key.
if ((Symbol as unknown as { metadata?: symbol }).metadata === undefined) {
  Object.defineProperty(Symbol, 'metadata', { value: Symbol.for('Symbol.metadata'), configurable: true });
}

// The backend targets (one folder each under src/backend/): the kernels below register for them.
import './backend/register-targets';

// The random-number kernels (Threefry-2x32), for every backend target.
import { registerRandomKernels } from './random/kernels';
registerRandomKernels();

// The event-driven connectivity kernels (CSR products and their gradients), for every backend whose memory the jit addresses.
import { registerEventKernels } from './event/csr-kernels';
registerEventKernels();
// Training kernels tfjs lacks or gets wrong (conv and max-pool gradients, UnsortedSegmentSum).
import { registerTrainingKernels } from './backend/training-kernels';
registerTrainingKernels();
// Matrix products through the generated WebAssembly SIMD GEMM on cpu and wasm (tfjs's are slow there).
import { registerMatMulKernels } from './backend/gemm';
registerMatMulKernels();
