/**
 * The compiler's switches (elementwise fusion, WebAssembly SIMD kernels): a view of the
 * validated configuration in `../config.ts`, read when a program is compiled, never
 * while it runs.
 */
import { config, withConfig } from '../config';

/** The compiler switches. */
export interface CompilerOptions {
  /** Merge elementwise kernels into generated loops (`BRAINSTATE_FUSION`). */
  readonly fusion: boolean;
  /** Run fused kernels as WebAssembly SIMD where the ops allow, else scalar WebAssembly (`BRAINSTATE_SIMD`). */
  readonly simd: boolean;
  /** Run fused kernels as generated WebAssembly at all; off: the JS loops (`BRAINSTATE_WASM_KERNELS`). */
  readonly wasmKernels: boolean;
}

/** The switches in force now: the innermost override, else the environment. */
export function compilerOptions(): CompilerOptions {
  const c = config();
  return { fusion: c.fusion, simd: c.simd, wasmKernels: c.wasmKernels };
}

/** Runs `fn` with some switches overridden (nested calls stack); restores them on return or throw. */
export function withCompilerOptions<R>(opts: Partial<CompilerOptions>, fn: () => R): R {
  return withConfig(opts, fn);
}
