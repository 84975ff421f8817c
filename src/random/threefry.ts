/**
 * The bit mixing behind `random`, in plain JavaScript: JAX's Threefry-2x32 generator
 * (20 rounds, as Random123 and `jax.random` define it) and the conversions JAX applies
 * to its bits (uniform floats, the standard normal through `erfinv`, bounded integers).
 *
 * Numbers are `uint32` bit patterns held in JS numbers (`>>> 0`); float32 arithmetic is
 * emulated with `Math.fround` at every step where JAX computes in float32, so the
 * outputs match `jax.random` to float32 rounding. Only the kernels in `kernels.ts` call
 * these functions: user code draws through tfjs kernels so that a jit can record them.
 */

/** The two output words of the last {@link threefryBlock} call (no allocation per call). */
export const OUT = new Uint32Array(2);

/**
 * One Threefry-2x32-20 block: encrypts the counter `(x0, x1)` under the key `(k0, k1)`;
 * the result lands in {@link OUT}. Arguments are uint32 values; the arithmetic runs in
 * int32 (`| 0`), which is the same modulo 2^32. Rotations 13 15 26 6 / 17 29 16 24, a key
 * injection after every four rounds, as Random123 and JAX.
 */
export function threefryBlock(k0: number, k1: number, x0: number, x1: number): void {
  const ks2 = k0 ^ k1 ^ 0x1bd11bda;
  let a = (x0 + k0) | 0;
  let b = (x1 + k1) | 0;
  // Injected key words rotate (k1, ks2, k0) -> (ks2, k0, k1) -> ... after each group.
  let i0 = k1 | 0;
  let i1 = ks2;
  let i2 = k0 | 0;
  for (let g = 1; g <= 5; g++) {
    if (g & 1) {
      a = (a + b) | 0; b = ((b << 13) | (b >>> 19)) ^ a;
      a = (a + b) | 0; b = ((b << 15) | (b >>> 17)) ^ a;
      a = (a + b) | 0; b = ((b << 26) | (b >>> 6)) ^ a;
      a = (a + b) | 0; b = ((b << 6) | (b >>> 26)) ^ a;
    } else {
      a = (a + b) | 0; b = ((b << 17) | (b >>> 15)) ^ a;
      a = (a + b) | 0; b = ((b << 29) | (b >>> 3)) ^ a;
      a = (a + b) | 0; b = ((b << 16) | (b >>> 16)) ^ a;
      a = (a + b) | 0; b = ((b << 24) | (b >>> 8)) ^ a;
    }
    a = (a + i0) | 0;
    b = (b + i1 + g) | 0;
    const t = i0;
    i0 = i1;
    i1 = i2;
    i2 = t;
  }
  OUT[0] = a;
  OUT[1] = b;
}

/**
 * JAX's `threefry_2x32(key, counts)`: the flat counts are padded to even length with a
 * zero, split into halves that form the counter pairs, and the two output words are
 * concatenated (then the padding dropped).
 */
export function threefry2x32(k0: number, k1: number, counts: ArrayLike<number>): Uint32Array {
  const n = counts.length;
  const half = (n + (n & 1)) / 2;
  const out = new Uint32Array(2 * half);
  for (let j = 0; j < half; j++) {
    const c1 = half + j < n ? counts[half + j] : 0;
    threefryBlock(k0, k1, counts[j] >>> 0, c1 >>> 0);
    out[j] = OUT[0];
    out[half + j] = OUT[1];
  }
  return n === out.length ? out : out.subarray(0, n);
}

/** The counter of flat element `i` split into its high and low 32-bit words. */
function hi32(i: number): number {
  return Math.floor(i / 4294967296) >>> 0;
}

/**
 * `num` new keys from `key`, flat as `[k0, k1, k0, k1, ...]`. `partitionable` picks JAX's
 * layout: `true` is `jax_threefry_partitionable` (JAX's default since 0.5.0, key `i` is
 * the block of counter `(0, i)`), `false` the original `threefry_2x32(key, iota(2 num))`.
 */
export function splitKeys(k0: number, k1: number, num: number, partitionable: boolean): Uint32Array {
  if (!partitionable) {
    const iota = new Uint32Array(2 * num);
    for (let i = 0; i < iota.length; i++) iota[i] = i;
    return threefry2x32(k0, k1, iota);
  }
  const out = new Uint32Array(2 * num);
  for (let i = 0; i < num; i++) {
    threefryBlock(k0, k1, hi32(i), i >>> 0);
    out[2 * i] = OUT[0];
    out[2 * i + 1] = OUT[1];
  }
  return out;
}

/** `size` random uint32 words from `key`, as JAX's `random_bits(key, 32, shape)`. */
export function randomBits(k0: number, k1: number, size: number, partitionable: boolean): Uint32Array {
  if (!partitionable) {
    const iota = new Uint32Array(size);
    for (let i = 0; i < size; i++) iota[i] = i;
    return threefry2x32(k0, k1, iota);
  }
  const out = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    threefryBlock(k0, k1, hi32(i), i >>> 0);
    out[i] = (OUT[0] ^ OUT[1]) >>> 0;
  }
  return out;
}

/** A uint32 word to a float32 in [0, 1) from its top 23 bits, exactly as JAX does. */
export function bitsToUnit(bits: number): number {
  return (bits >>> 9) * 1.1920928955078125e-7; // 2^-23: exact in float32
}

/** JAX's `uniform`: `max(minval, u * (maxval - minval) + minval)` in float32. */
export function uniformFromBits(bits: number, minval: number, maxval: number): number {
  const lo = Math.fround(minval);
  const span = Math.fround(Math.fround(maxval) - lo);
  return Math.max(lo, Math.fround(Math.fround(bitsToUnit(bits) * span) + lo));
}

/** Giles' single-precision `erfinv` coefficients, as XLA's `ErfInv` (float32) uses them. */
const ERFINV_SMALL = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087,
  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941].map(Math.fround);
const ERFINV_LARGE = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682].map(Math.fround);

/** The inverse error function in float32 (XLA's polynomial). */
export function erfinv32(x: number): number {
  const xf = Math.fround(x);
  if (Math.abs(xf) === 1) return xf * Infinity;
  let w = Math.fround(-Math.log1p(Math.fround(-Math.fround(xf * xf))));
  const small = w < 5;
  const c = small ? ERFINV_SMALL : ERFINV_LARGE;
  w = small ? Math.fround(w - 2.5) : Math.fround(Math.fround(Math.sqrt(w)) - 3);
  let p = c[0];
  for (let i = 1; i < c.length; i++) p = Math.fround(c[i] + Math.fround(p * w));
  return Math.fround(p * xf);
}

/** float32 `nextafter(-1, 0)`: JAX's lower bound for the uniform behind `normal`. */
const NORMAL_LO = Math.fround(-1 + 2 ** -24);
const SQRT2_F32 = Math.fround(Math.SQRT2);

/** JAX's `normal`: `sqrt(2) * erfinv(uniform(lo=nextafter(-1, 0), hi=1))` in float32. */
export function normalFromBits(bits: number): number {
  const u = uniformFromBits(bits, NORMAL_LO, 1);
  return Math.fround(SQRT2_F32 * erfinv32(u));
}

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

/** The error function in double precision (Taylor series; +-1 beyond |x| >= 4, exact in float32). */
export function erf(x: number): number {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? NaN : Math.sign(x);
  if (Math.abs(x) >= 4) return Math.sign(x);
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return sum * 1.1283791670955126; // 2 / sqrt(pi)
}

/** float32 `nextafter(x, +-inf)`. */
export function nextafter32(x: number, up: boolean): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  if (f[0] === 0) i[0] = up ? 1 : -2147483647;
  else if ((f[0] > 0) === up) i[0] += 1;
  else i[0] -= 1;
  return f[0];
}

/**
 * JAX's `truncated_normal(lower, upper)`: `sqrt(2) * erfinv(u)` with `u` uniform in
 * `[erf(lower / sqrt 2), erf(upper / sqrt 2))`, clipped into the open interval.
 * (`erf` is computed in double and rounded, so values may differ from JAX by an ulp.)
 */
export function truncatedNormalFromBits(bits: number, lower: number, upper: number): number {
  const lo = Math.fround(lower);
  const hi = Math.fround(upper);
  const a = Math.fround(erf(Math.fround(lo / SQRT2_F32)));
  const b = Math.fround(erf(Math.fround(hi / SQRT2_F32)));
  const out = Math.fround(SQRT2_F32 * erfinv32(uniformFromBits(bits, a, b)));
  return Math.min(Math.max(out, nextafter32(lo, true)), nextafter32(hi, false));
}

/** uint32 multiply modulo 2^32. */
function mulU32(a: number, b: number): number {
  return Math.imul(a, b) >>> 0;
}

/**
 * JAX's `randint` for int32 from two words of bits: `minval + (hi * 2^32 + lo) mod span`,
 * computed with 32-bit wrap-around exactly as JAX does (slightly biased when the span
 * is not a power of two, as in JAX). Bounds are clipped to int32; `maxval` is exclusive,
 * and `maxval <= minval` always gives `minval`.
 */
export function randintFromBits(higher: number, lower: number, minval: number, maxval: number): number {
  const { lo, span, multiplier } = randintBounds(minval, maxval);
  if (span === 0) return (lo + lower) | 0; // span 2^32 wrapped to 0: every remainder is a no-op
  const offset = ((mulU32(higher % span, multiplier) + (lower % span)) >>> 0) % span;
  return (lo + offset) | 0;
}

/**
 * The constants of {@link randintFromBits} for bounds `[minval, maxval)`: the clipped lower
 * bound, the uint32 span (0 for 2^32) and `2^32 mod span` (the WGSL kernel gets them as uniforms).
 */
export function randintBounds(minval: number, maxval: number): { lo: number; span: number; multiplier: number } {
  const outOfRange = maxval > INT32_MAX;
  const lo = Math.min(Math.max(minval, INT32_MIN), INT32_MAX);
  const hi = Math.min(Math.max(maxval, INT32_MIN), INT32_MAX);
  let span = (hi - lo) >>> 0;
  if (hi <= lo) span = 1;
  else if (outOfRange) span = (span + 1) >>> 0;
  if (span === 0) return { lo, span, multiplier: 0 };
  const m = 65536 % span;
  return { lo, span, multiplier: mulU32(m, m) % span };
}

/**
 * The key of an integer seed, as `jax.random.PRNGKey(seed)` with JAX's default x64 off:
 * `[0, seed mod 2^32]` for every seed (negative ones and ones of 2^32 or more included:
 * JAX keeps the low 32 bits, and BrainState's `seed` reduces modulo 2^32 likewise).
 */
export function seedToKey(seed: number): [number, number] {
  const lo = ((seed % 4294967296) + 4294967296) % 4294967296;
  return [0, lo >>> 0];
}
