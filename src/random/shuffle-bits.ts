/**
 * JAX's sort-based shuffle (`jax.random._shuffle`) on index arrays, in plain JavaScript
 * for the `BrainStateRandomShuffle` kernel: a few rounds, each sorting every fibre along
 * one axis by fresh 32-bit random keys, so `permutation` gives JAX's numbers for a key.
 */
import { randomBits, splitKeys } from './threefry';

/**
 * The number of sort rounds JAX uses for `size` elements (`exponent = 3`, tjablin's
 * heuristic): `ceil(3 ln(max(1, size)) / ln(2^32 - 1))`, one round up to ~1,600 elements.
 */
export function shuffleRounds(size: number): number {
  return Math.ceil(3 * Math.log(Math.max(1, size)) / Math.log(4294967295));
}

/**
 * `_shuffle(key, x, axis)` for `x` the index of each element along `axis` (so the result
 * gathers any array of that shape): every round splits the key (`key, subkey =
 * split(key)`), draws `random_bits(subkey, 32, shape)` and stably sorts each fibre by
 * those keys, as unsigned integers, carrying the values along.
 *
 * @example
 * ```ts
 * shuffleIndices(0, 42, [5], 0, true);   // a permutation of 0..4, as jax.random.permutation(PRNGKey(42), 5)
 * ```
 * @param k0 - the key's first word.
 * @param k1 - the key's second word.
 * @param shape - the shape of the array to shuffle.
 * @param axis - the axis whose fibres are permuted.
 * @param partitionable - JAX's counter layout (see `setThreefryPartitionable`).
 * @returns the indices, row-major, as int32.
 */
export function shuffleIndices(k0: number, k1: number, shape: readonly number[], axis: number,
  partitionable: boolean): Int32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = size / Math.max(1, n * inner);
  let values = new Int32Array(size);
  for (let i = 0; i < size; i++) values[i] = Math.floor(i / inner) % n;
  let next = new Int32Array(size);
  const order = new Array<number>(n);
  let key0 = k0;
  let key1 = k1;
  for (let r = shuffleRounds(size); r > 0; r--) {
    const keys = splitKeys(key0, key1, 2, partitionable);
    key0 = keys[0];
    key1 = keys[1];
    const bits = randomBits(keys[2], keys[3], size, partitionable);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const base = o * n * inner + j;
        for (let i = 0; i < n; i++) order[i] = i;
        // Array.prototype.sort is stable; the bits are uint32 values held in JS numbers.
        order.sort((a, b) => bits[base + a * inner] - bits[base + b * inner]);
        for (let i = 0; i < n; i++) next[base + i * inner] = values[base + order[i] * inner];
      }
    }
    [values, next] = [next, values];
  }
  return values;
}
