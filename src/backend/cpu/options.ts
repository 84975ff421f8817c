/**
 * The options of the cpu backend's memory: whether the jit's kernels reuse the arrays of
 * disposed results (./array-pool.ts), read once from the environment (validated) and
 * changeable at run time with {@link setCpuMemoryOptions}.
 *
 * - `BRAINSTATE_CPU_ARRAY_REUSE=1|0` (or `true/false`, `on/off`, as every flag): reuse
 *   (default 1).
 */
import { parseFlag, rawVariable } from '../../config';
import { ConfigError } from '../../errors';

/** Options of the cpu backend's memory (see {@link setCpuMemoryOptions}). */
export interface CpuMemoryOptions {
  /** The jit's kernels write large results into the arrays of disposed ones (false: a new array each time). */
  readonly reuseArrays: boolean;
  /** Bytes of freed arrays kept for reuse at most (the oldest go first). */
  readonly maxPooledBytes: number;
  /** Arrays smaller than this many bytes are not kept (new small arrays are cheap). */
  readonly minPooledBytes: number;
}

const MiB = 1 << 20;
let options: CpuMemoryOptions | undefined;
const listeners: ((o: CpuMemoryOptions) => void)[] = [];

/**
 * The cpu memory options now in force (read from the environment on first use; see
 * {@link setCpuMemoryOptions}).
 *
 * @returns `reuseArrays`, `maxPooledBytes` and `minPooledBytes`.
 * @example
 * ```ts
 * bst.backend.cpuMemoryOptions().reuseArrays; // true unless BRAINSTATE_CPU_ARRAY_REUSE=0
 * ```
 */
export function cpuMemoryOptions(): CpuMemoryOptions {
  options ??= {
    reuseArrays: parseFlag('BRAINSTATE_CPU_ARRAY_REUSE', rawVariable('BRAINSTATE_CPU_ARRAY_REUSE'), true),
    maxPooledBytes: 256 * MiB,
    minPooledBytes: MiB,
  };
  return options;
}

/** Calls `fn` after every change of the options. */
export function onCpuMemoryOptionsChange(fn: (o: CpuMemoryOptions) => void): void {
  listeners.push(fn);
}

function checkBytes(name: 'maxPooledBytes' | 'minPooledBytes', v: number | undefined): void {
  if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) {
    throw new ConfigError(`backend.setCpuMemoryOptions: expected ${name} a whole number of bytes >= 0, got ${String(v)}. ` +
      `Pass a byte count (e.g. ${name}: 64 * 2 ** 20 for 64 MiB), or leave it out to keep ${cpuMemoryOptions()[name]}.`);
  }
}

/**
 * Changes how the jit's kernels allocate results on the cpu backend. tfjs-cpu stores each
 * result in a new typed array, and a large new array costs the OS zeroing every page
 * (104 MB: ~95 ms, against ~3 ms to write an existing one). With `reuseArrays`, a result
 * of the jit's kernels (fused loops, matrix products) of at least `minPooledBytes` takes
 * the array of a result of the same type and size that was disposed, if nothing can still
 * see that array: it was never read (`dataSync()`, `data()`, `array()`, `buffer()` hand out
 * the stored array itself, so a read keeps it the reader's) and no other tensor shares
 * it. Results are the same either way. Fields left out keep their value; turning reuse off
 * drops the arrays held. See docs/sharp-bits.md 23.
 *
 * @param next `reuseArrays` (default true, or `BRAINSTATE_CPU_ARRAY_REUSE`);
 *   `maxPooledBytes`: bytes of freed arrays kept at most (default 256 MiB);
 *   `minPooledBytes`: smallest array kept (default 1 MiB).
 * @returns the options now in force.
 * @example
 * ```ts
 * bst.backend.setCpuMemoryOptions({ maxPooledBytes: 64 * 2 ** 20 }); // hold at most 64 MiB
 * bst.backend.setCpuMemoryOptions({ reuseArrays: false });            // a new array per result
 * ```
 */
export function setCpuMemoryOptions(next: { reuseArrays?: boolean; maxPooledBytes?: number; minPooledBytes?: number }): CpuMemoryOptions {
  const cur = cpuMemoryOptions();
  if (next.reuseArrays !== undefined && typeof next.reuseArrays !== 'boolean') {
    throw new ConfigError(`backend.setCpuMemoryOptions: expected reuseArrays true or false, got ${String(next.reuseArrays)}. ` +
      'Pass a boolean (false: a new array for every result).');
  }
  checkBytes('maxPooledBytes', next.maxPooledBytes);
  checkBytes('minPooledBytes', next.minPooledBytes);
  options = {
    reuseArrays: next.reuseArrays ?? cur.reuseArrays,
    maxPooledBytes: next.maxPooledBytes ?? cur.maxPooledBytes,
    minPooledBytes: next.minPooledBytes ?? cur.minPooledBytes,
  };
  for (const fn of listeners) fn(options);
  return options;
}
