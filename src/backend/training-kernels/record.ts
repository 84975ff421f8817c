/**
 * One kernel brainstate-ts registers with a tfjs backend: name, backend, function, and
 * why (kept with the kernel so the registry can say what it did and why).
 */
import type { KernelFunc } from '../tfjs-engine';

/** A training kernel a tfjs backend lacks, or has with a wrong result. */
export interface KernelRecord {
  readonly kernelName: string;
  readonly backendName: 'cpu' | 'wasm' | 'webgpu';
  readonly kernelFunc: KernelFunc;
  /**
   * `'missing'`: the backend has none, and ours is registered only while that holds.
   * `'wrong'`: the backend's own gives wrong numbers (measured against finite differences
   * in spec/backend/training-kernels.spec.ts) and is replaced. `'slow'`: the backend's
   * own is right but far too slow to train with, and is replaced.
   */
  readonly reason: 'missing' | 'wrong' | 'slow';
  /** What fails without it. */
  readonly why: string;
  /**
   * Called with the backend's own kernel when this one replaces it (a `'slow'` kernel
   * may hand small inputs back to it).
   */
  readonly keepReplaced?: (replaced: KernelFunc) => void;
}
