/**
 * The reference points every workload is measured against, besides eager tfjs:
 * @jax-js/jax's jit (its wasm device) and the memory-bandwidth limit of this machine.
 */

/** The parts of @jax-js/jax the benches use (its own types are ESM-only). */
export interface JaxArray {
  readonly ref: JaxArray;
  add(o: JaxArray | number): JaxArray;
  sub(o: JaxArray | number): JaxArray;
  mul(o: JaxArray | number): JaxArray;
  greaterEqual(o: JaxArray | number): JaxArray;
  dispose(): void;
  blockUntilReady(): Promise<JaxArray>;
  dataSync(): ArrayLike<number>;
}
export interface JaxModule {
  init(...devices: string[]): Promise<unknown>;
  defaultDevice(d?: string): unknown;
  jit<F>(f: F): F;
  grad<F>(f: F): F;
  valueAndGrad<F>(f: F): F;
  numpy: Record<string, (...args: never[]) => JaxArray>;
  nn: Record<string, (...args: never[]) => JaxArray>;
}

let jax: JaxModule | null | undefined;

/** @jax-js/jax started on its wasm device, or null when it cannot load here (the reason is printed). */
export async function loadJax(): Promise<JaxModule | null> {
  if (jax !== undefined) return jax;
  try {
    const m = (await import('@jax-js/jax')) as unknown as JaxModule;
    // Plain init() probes WebGPU, which Node lacks; ask for wasm only.
    await m.init('wasm');
    m.defaultDevice('wasm');
    jax = m;
  } catch (e) {
    console.error(`@jax-js/jax unavailable: ${(e as Error).message}`);
    jax = null;
  }
  return jax;
}

/**
 * Milliseconds to move `bytes` through memory once (read + write), from the median of
 * copies of a buffer larger than the caches: the floor under any kernel that must
 * read and write that much.
 */
export function bandwidthMs(bytes: number): number {
  const n = Math.max(1 << 22, bytes / 8); // floats per copy, at least 16 MB per buffer
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    dst.set(src);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const msPerByte = times[times.length >> 1] / (2 * 4 * n); // each copy reads and writes 4n bytes
  return msPerByte * bytes;
}

/** The name of the in-process memcpy floor variant (the table and row lines compare the jit with it). */
export const MEMCPY_FLOOR = 'memcpy floor';

/**
 * The in-process memory floor of an elementwise step, timed like the other variants
 * (interleaved with them, so it sees the same machine load): a native `TypedArray.set`
 * reading and writing as many bytes per element as the step reads and writes
 * (`bytesPerElement`, reads + writes). A fused kernel cannot beat it; its ratio to it says
 * how much room is left. Unlike {@link bandwidthMs} the buffers are the step's size, so the
 * caches help both alike.
 */
export function memcpyFloor(n: number, bytesPerElement: number): { name: string; run(reps: number): void } {
  const bytes = Math.max(16, Math.round((n * bytesPerElement) / 2)); // a copy reads and writes each byte once
  const src = new Uint8Array(bytes).fill(1);
  const dst = new Uint8Array(bytes);
  return {
    name: MEMCPY_FLOOR,
    run(reps) { for (let r = 0; r < reps; r++) dst.set(src); },
  };
}
