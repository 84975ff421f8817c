/**
 * The `wasm` backend (@tensorflow/tfjs-backend-wasm: XNNPACK kernels compiled to
 * WebAssembly). The jit addresses its heap directly (./memory.ts): fused kernels run
 * there as generated WebAssembly SIMD, in place.
 */
import { registerTarget } from '../targets';
import { runOnWasmHeap, selfTestWasm, wasmHeap, wasmMemory } from './memory';

registerTarget({
  name: 'wasm',
  priority: 30,
  load() {
    try {
      require('@tensorflow/tfjs-backend-wasm');
      return null;
    } catch (e) {
      return `@tensorflow/tfjs-backend-wasm failed to load (${(e as Error).message})`;
    }
  },
  autoFailureIsUnavailable: true,
  installHint: 'install @tensorflow/tfjs-backend-wasm@4.22.0',
  memory: wasmMemory,
  simd: { kind: 'heap', heap: wasmHeap, run: runOnWasmHeap },
  explicitMatMulTranspose: true,
  boolSelectThroughInt32: true,
  customKernels: 'js',
  selfTest: selfTestWasm,
});
