/**
 * How many kernels (generated JS loops, WebAssembly modules) this process compiled:
 * counted where they are compiled, so a spec can check that a program compiles none
 * (kernel-cache.ts shares them between structurally identical programs).
 */
let compiled = 0;

/** Counts one compiled kernel (codegen-js.ts, codegen-wasm.ts). */
export function noteKernelCompiled(): void {
  compiled++;
}

/** How many kernels were compiled so far. */
export function compiledKernelCount(): number {
  return compiled;
}
