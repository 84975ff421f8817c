/**
 * Argument checks shared by the optimisers: one message pattern for every number.
 */
import { OptimizerError } from '../errors';

/** `v` must be a finite number in `[lo, hi]` (or `(lo, hi)` ends when `open`). */
export function checkRange(where: string, name: string, v: unknown, lo: number, hi: number,
  open: { lo?: boolean; hi?: boolean } = {}): number {
  const ok = typeof v === 'number' && Number.isFinite(v) && (open.lo ? v > lo : v >= lo) && (open.hi ? v < hi : v <= hi);
  if (!ok) {
    throw new OptimizerError(`${where}: expected ${name} in ${open.lo ? '(' : '['}${lo}, ${hi}${open.hi ? ')' : ']'}, ` +
      `got ${String(v)}.`);
  }
  return v as number;
}

/** `betas` must be two numbers in `[0, 1)`. */
export function checkBetas(where: string, betas: unknown): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2 || !betas.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
    throw new OptimizerError(`${where}: expected betas to be two numbers in [0, 1), got ${JSON.stringify(betas)}; ` +
      'e.g. betas: [0.9, 0.999].');
  }
  return [betas[0], betas[1]];
}
