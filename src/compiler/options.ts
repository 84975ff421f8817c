/**
 * The compiler's switches, read in one place: elementwise fusion (`BRAINSTATE_FUSION=0`
 * turns it off) and generated WebAssembly SIMD kernels (`BRAINSTATE_SIMD=0`). Both are
 * read when a program is compiled, never while it runs.
 *
 * Tests and the differential fuzzer compare the same program compiled both ways in one
 * process: {@link withCompilerOptions} overrides the environment for the duration of a
 * call, without touching `process.env`.
 */

/** The compiler switches. */
export interface CompilerOptions {
  /** Merge elementwise kernels into generated loops. */
  readonly fusion: boolean;
  /** Run fused loops as WebAssembly SIMD where the ops allow. */
  readonly simd: boolean;
}

import { envVar } from '../util/env';

const overrides: Partial<CompilerOptions>[] = [];

function envFlag(name: string): boolean {
  return envVar(name) !== '0';
}

/** The switches in force now: the innermost override, else the environment. */
export function compilerOptions(): CompilerOptions {
  let fusion = envFlag('BRAINSTATE_FUSION');
  let simd = envFlag('BRAINSTATE_SIMD');
  for (const o of overrides) {
    if (o.fusion !== undefined) fusion = o.fusion;
    if (o.simd !== undefined) simd = o.simd;
  }
  return { fusion, simd };
}

/** Runs `fn` with some switches overridden (nested calls stack); restores them on return or throw. */
export function withCompilerOptions<R>(opts: Partial<CompilerOptions>, fn: () => R): R {
  overrides.push(opts);
  try {
    return fn();
  } finally {
    overrides.pop();
  }
}
