/**
 * Timing variants of one workload side by side: interleaved blocks, medians, ratios.
 *
 * The host drifts (up to 2x within a minute), so variants are never timed one after
 * the other in long runs: each block times every variant once, in rotating order,
 * and the median of the blocks is reported.
 */

/** One way to run a workload step (eager tfjs, our jit, ...). */
export interface Variant {
  readonly name: string;
  /** Runs `reps` steps and waits for the last result (e.g. reads one element). */
  run(reps: number): void;
  /** Releases what the variant allocated. */
  dispose?(): void;
  /** A figure computed rather than timed (e.g. the bandwidth limit), in ms per step. */
  fixedMs?: number;
}

/** A workload at one size, with the variants to compare. */
export interface Case {
  readonly workload: string;
  readonly size: string;
  /** Steps per timed block: enough for a block to last a few milliseconds. */
  readonly reps: number;
  readonly variants: Variant[];
  /** Floating-point operations of one step (matrix-product rows: the table shows GFLOP/s). */
  readonly flops?: number;
}

/** Median milliseconds per step of each variant. */
export interface CaseResult {
  readonly workload: string;
  readonly size: string;
  readonly backend: string;
  readonly msPerStep: Record<string, number>;
  readonly flops?: number;
}

/** The median of `xs` (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** CPU and wall milliseconds of `fn` (CPU time counts this process only, all its threads). */
export function timed(fn: () => void): [number, number] {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  fn();
  const c = process.cpuUsage(c0);
  return [(c.user + c.system) / 1000, performance.now() - w0];
}

/** Times every variant of `c` in `blocks` interleaved blocks after one warm-up block each. */
export function timeCase(c: Case, backend: string, blocks = 9): CaseResult {
  const timed = c.variants.filter((v) => v.fixedMs === undefined);
  for (const v of timed) v.run(Math.max(1, Math.ceil(c.reps / 4))); // warm-up (and first traces)
  const samples: Record<string, number[]> = {};
  for (const v of c.variants) samples[v.name] = v.fixedMs === undefined ? [] : [v.fixedMs];
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < timed.length; k++) {
      const v = timed[(b + k) % timed.length];
      const t0 = performance.now();
      v.run(c.reps);
      samples[v.name].push((performance.now() - t0) / c.reps);
    }
  }
  const msPerStep: Record<string, number> = {};
  for (const v of c.variants) msPerStep[v.name] = median(samples[v.name]);
  for (const v of c.variants) v.dispose?.();
  return { workload: c.workload, size: c.size, backend, msPerStep, ...(c.flops === undefined ? {} : { flops: c.flops }) };
}

/** Formats results as one table: time per step of each variant, and each one's speed-up over the first (eager). */
export function formatTable(results: readonly CaseResult[]): string {
  const names: string[] = [];
  for (const r of results) for (const n of Object.keys(r.msPerStep)) if (!names.includes(n)) names.push(n);
  const header = ['workload', 'size', 'backend', ...names.map((n) => `${n} (ms)`), ...names.slice(1).map((n) => `${n} speed-up`)];
  const rows = results.map((r) => {
    const base = r.msPerStep[names[0]];
    return [r.workload, r.size, r.backend,
      ...names.map((n) => (r.msPerStep[n] === undefined ? '-' : fmt(r.msPerStep[n]))),
      // A row without an eager variant (vmap, per-example gradients) has no speed-up column:
      // its own line in the bench output gives its ratios.
      ...names.slice(1).map((n) => (r.msPerStep[n] === undefined || base === undefined ? '-' : `${(base / r.msPerStep[n]).toFixed(2)}x`))];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * Formats matrix-product rows (results with `flops`): each variant's time and GFLOP/s,
 * and each one's speed-up over the first (tfjs's own kernel).
 */
export function formatGemmTable(results: readonly CaseResult[]): string {
  const names: string[] = [];
  for (const r of results) for (const n of Object.keys(r.msPerStep)) if (!names.includes(n)) names.push(n);
  const header = ['product', 'size', 'backend', ...names.map((n) => `${n} (ms, GFLOP/s)`),
    ...names.slice(1).map((n) => `${n} speed-up`)];
  const rows = results.map((r) => {
    const base = r.msPerStep[names[0]];
    const cell = (n: string) => {
      const ms = r.msPerStep[n];
      return ms === undefined ? '-' : `${fmt(ms)} (${((r.flops ?? 0) / ms / 1e6).toFixed(1)})`;
    };
    return [r.workload.replace(/^GEMM /, ''), r.size, r.backend, ...names.map(cell),
      ...names.slice(1).map((n) => (r.msPerStep[n] === undefined ? '-' : `${(base / r.msPerStep[n]).toFixed(2)}x`))];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function fmt(ms: number): string {
  return ms >= 10 ? ms.toFixed(1) : ms >= 0.1 ? ms.toFixed(3) : ms.toFixed(4);
}

/**
 * The rows timed beside an in-process memcpy floor (variant `floorName`): each jit
 * variant's time as a multiple of the floor's, measured in the same interleaved blocks.
 */
export function formatFloorTable(results: readonly CaseResult[], floorName: string): string {
  const rows = results.filter((r) => r.msPerStep[floorName] !== undefined);
  if (rows.length === 0) return '';
  const names: string[] = [];
  for (const r of rows) for (const n of Object.keys(r.msPerStep)) if (n.startsWith('jit') && !n.includes('unfused') && !names.includes(n)) names.push(n);
  const header = ['workload', 'size', 'backend', `${floorName} (ms)`, ...names.map((n) => `${n} / floor`)];
  const body = rows.map((r) => [r.workload, r.size, r.backend, fmt(r.msPerStep[floorName]),
    ...names.map((n) => (r.msPerStep[n] === undefined ? '-' : `${(r.msPerStep[n] / r.msPerStep[floorName]).toFixed(2)}x`))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
