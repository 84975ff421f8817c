/**
 * The `cpu` backend (tfjs-backend-cpu, bundled with @tensorflow/tfjs): plain JavaScript,
 * always available, the last choice of `backend.init()`. Its tensors live in JS typed
 * arrays the jit reads and writes directly (./memory.ts).
 */
import { registerTarget } from '../targets';
import { cpuMemory, selfTestCpu } from './memory';

export { cpuMemoryOptions, setCpuMemoryOptions } from './options';
export type { CpuMemoryOptions } from './options';

registerTarget({
  name: 'cpu',
  priority: 50,
  load: () => null, // bundled with @tensorflow/tfjs
  autoFailureIsUnavailable: true,
  installHint: 'reinstall @tensorflow/tfjs@4.22.0',
  memory: cpuMemory,
  simd: { kind: 'scratch' },
  explicitMatMulTranspose: false,
  customKernels: 'js',
  selfTest: selfTestCpu,
});
