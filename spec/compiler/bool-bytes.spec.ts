/**
 * tfjs-wasm's eager Cast to bool stores the byte a Uint8Array store gives (int32 2 stays 2,
 * -1 gives 255, 256 and 0.5 give 0), and its eager kernels read bool bytes raw: a cast back to
 * float32 gives 2, logicalNot flips the low bit (2 gives 3), logicalAnd / logicalOr are the
 * bitwise and / or of the bytes, where() takes any nonzero byte as true. A jitted function
 * given such a bool must give the same bits as eager tfjs (on cpu the cast stores 0 / 1, and
 * the same specs check the ordinary forms). Each kernel kind (SIMD, scalar WebAssembly, JS
 * loop) runs at every size from 1 to 40 (SIMD's 16 / 4 / tail split), with call counts
 * checking which kind ran; then a captured bool constant and a whole jitted loop.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { isFusionTarget } from '../../src/compiler/fusion/ops';
import { CompilerOptions, withCompilerOptions } from '../../src/compiler/options';
import { callsOf, expectBitEqual } from '../helpers';

const KINDS: { name: string; kind: 'simd' | 'scalar' | 'js'; options: Partial<CompilerOptions> }[] = [
  { name: 'SIMD', kind: 'simd', options: { simd: true, wasmKernels: true } },
  { name: 'scalar wasm', kind: 'scalar', options: { simd: false, wasmKernels: true } },
  { name: 'JS loop', kind: 'js', options: { wasmKernels: false } },
];

/** Values whose cast to bool is a byte other than 0 / 1 on wasm (and a few that are 0 / 1). */
const INTS = [2, 3, -1, 255, 256, 0, 1, 129, 128, -128, 254, 65539];
const FLOATS = [0.5, NaN, 2.5, -1, 1, 0, 3, 256.5, 255.9, -0.5, Infinity, 1e10, 129];

/** Bools made by tfjs's own eager cast of `values` (cycled to length n). */
const boolsOf = (values: number[], n: number, dtype: 'int32' | 'float32', shift: number): tf.Tensor => tf.tidy(() =>
  tf.cast(tf.tensor1d(Array.from({ length: n }, (_, i) => values[(i * 5 + shift) % values.length]), dtype), 'bool'));

describe('fused kernels read bools as the backend stores them (tfjs-wasm: raw bytes)', () => {
  before(function () {
    if (!isFusionTarget(bst.backend.name()) || bst.backend.name() === 'webgpu') {
      console.log(`      bool byte specs skipped: no host-memory fused kernels on ${bst.backend.name()}`);
      this.skip();
    }
  });

  for (const k of KINDS) {
    it(`${k.name}: casts, logic and where on cast bools, sizes 1..40, eager bits`, () => {
      const f = (c: tf.Tensor, d: tf.Tensor, x: tf.Tensor): tf.Tensor[] => [
        tf.add(tf.cast(c, 'float32'), x),
        tf.logicalNot(c),
        tf.mul(tf.cast(tf.logicalNot(d), 'float32'), x),
        tf.logicalAnd(c, d),
        tf.logicalOr(c, tf.logicalNot(d)),
        tf.where(c, x, tf.neg(x)),
        tf.where(c, tf.zerosLike(x), x),
        tf.where(tf.logicalNot(d), x, tf.zerosLike(x)),
        tf.where(tf.logicalXor(c, d), tf.mul(x, 2), x),
        tf.logicalAnd(tf.greater(x, 3), c),
        tf.equal(c, d),
        tf.greater(c, d),
      ];
      const g = bst.transform.jit(f);
      let ran = 0;
      for (let n = 1; n <= 40; n++) {
        const c = boolsOf(INTS, n, 'int32', 0);
        const d = boolsOf(FLOATS, n, 'float32', 3);
        const x = tf.tidy(() => tf.add(tf.range(0, n), 0.25));
        withCompilerOptions(k.options, () => g.compile(c, d, x));
        let jitted: tf.Tensor[] = [];
        ran += callsOf(k.kind, () => { jitted = g(c, d, x); });
        const eager = f(c, d, x);
        jitted.forEach((t, i) => expectBitEqual(t, eager[i], `${k.name}, size ${n}, output ${i}`));
        tf.dispose([c, d, x, ...jitted, ...eager]);
        g.clearCache();
      }
      // At least one fused kernel of the kind per call; SIMD needs four elements (sizes 1..3 run the JS loop).
      expect(ran, `${k.name} kernel calls`).to.be.at.least(k.kind === 'simd' ? 37 : 40);
    });

    it(`${k.name}: a captured bool constant and a jitted loop over cast bools, eager bits`, () => {
      // fill(…, 2, 'bool') stores a byte 2 on cpu too (its cast stores 0 / 1).
      const two = tf.cast(tf.scalar(2, 'int32'), 'bool');
      const h = (x: tf.Tensor, b: tf.Tensor): tf.Tensor[] => [tf.logicalAnd(tf.greater(x, 1), two), tf.add(tf.cast(two, 'float32'), x),
        tf.add(tf.cast(b, 'float32'), x), tf.where(b, x, tf.sub(1, x)), tf.logicalNot(tf.logicalOr(b, tf.less(x, 0))),
        tf.equal(b, tf.greater(x, 0)), tf.logicalAnd(b, tf.greater(x, 0)), tf.where(b, tf.zerosLike(x), x), tf.where(b, x, tf.zerosLike(x)),
        // tfjs-cpu stores JS `a || b` and `a && b` of the bytes (2 || 1 is 2, 1 && 2 is 2).
        tf.logicalOr(b, tf.less(x, 0)), tf.logicalAnd(tf.greater(x, 0), b), tf.logicalOr(tf.less(x, 0), b)];
      const hj = bst.transform.jit(h);
      const x = tf.tidy(() => tf.sub(tf.range(0, 23), 5.5));
      const filled = tf.fill([23], 2, 'bool');
      withCompilerOptions(k.options, () => hj.compile(x, filled));
      const got = hj(x, filled);
      const want = h(x, filled);
      got.forEach((t, i) => expectBitEqual(t, want[i], `${k.name}, bool constant and fill, output ${i}`));
      tf.dispose([two, x, filled, ...got, ...want]);
      hj.clearCache();

      const n = 37;
      const run = (v0: tf.Tensor, ms: tf.Tensor): tf.Tensor[] => bst.transform.scan((v: tf.Tensor, m: tf.Tensor) => {
        const next = tf.add(tf.mul(v, 0.5), tf.cast(m, 'float32'));
        return [next, tf.logicalNot(m)];
      }, v0, ms) as unknown as tf.Tensor[];
      const v0 = tf.zeros([n]);
      const ms = tf.tidy(() => tf.cast(tf.reshape(tf.tensor1d(Array.from({ length: 20 * n }, (_, i) => INTS[i % INTS.length]), 'int32'),
        [20, n]), 'bool'));
      const lj = bst.transform.jit(run);
      withCompilerOptions(k.options, () => lj.compile(v0, ms));
      let out: tf.Tensor[] = [];
      const calls = callsOf(k.kind, () => { out = lj(v0, ms); });
      const eager = run(v0, ms);
      out.forEach((t, i) => expectBitEqual(t, eager[i], `${k.name}, loop output ${i}`));
      expect(calls, `${k.name} loop kernel calls`).to.be.at.least(1);
      tf.dispose([v0, ms, ...out, ...eager]);
      lj.clearCache();
    });
  }
});

/**
 * Bools whose stored value is not 0 / 1 on every backend, webgpu included (tfjs-webgpu
 * stores a bool as an i32: `tf.fill(s, 2, 'bool')` writes 2, -1 or 256 there, and a
 * Uint8Array given to `tf.tensor` is uploaded byte by byte; its kernels read `f32(x)`, so
 * logicalNot, where and logicalAnd / logicalOr test `x >= 1`, and the cast of such a bool to
 * a number keeps the value, while the cast of a number to bool gives 0 / 1). Reads are
 * asynchronous, so the same spec runs on webgpu, where small host inputs (below 1,000
 * elements) run on tfjs-webgpu's CPU kernels and larger ones on the GPU.
 */
describe('jitted code reads bools with stored values other than 0 / 1 as eager tfjs does, on every backend', () => {
  const f = (c: tf.Tensor, d: tf.Tensor, x: tf.Tensor): tf.Tensor[] => [
    tf.cast(tf.cast(c, 'int32'), 'bool'),
    tf.where(tf.cast(tf.cast(d, 'float32'), 'bool'), x, tf.neg(x)),
    tf.add(tf.cast(tf.cast(tf.cast(c, 'int32'), 'bool'), 'float32'), x),
    tf.add(tf.cast(c, 'float32'), x),
    tf.logicalNot(c),
    tf.mul(tf.cast(tf.logicalNot(d), 'float32'), x),
    tf.logicalAnd(c, d),
    tf.logicalOr(c, tf.logicalNot(d)),
    tf.where(c, x, tf.neg(x)),
    tf.where(tf.logicalNot(d), tf.mul(x, 2), tf.zerosLike(x)),
    tf.logicalAnd(tf.greater(x, 3), c),
    tf.equal(c, d),
    tf.greater(c, d),
  ];
  const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));
  const VALUES = [2, 3, -1, 255, 256, 0, 1, 128, -128];

  /** Bools of `n` elements holding `VALUES` (cycled from `shift`), made the way `how` says. */
  function bools(how: 'fill' | 'bytes', n: number, shift: number): tf.Tensor {
    if (how === 'bytes') return tf.tensor1d(Uint8Array.from({ length: n }, (_, i) => VALUES[(i + shift) % VALUES.length] & 255), 'bool');
    // One fill per value, concatenated: each part is a Fill kernel's output (a GPU program on webgpu).
    return tf.tidy(() => tf.concat(VALUES.map((v, k) => tf.fill([Math.ceil(n / VALUES.length)], VALUES[(k + shift) % VALUES.length], 'bool')))
      .slice(0, n));
  }

  for (const how of ['fill', 'bytes'] as const) {
    for (const n of [7, 1200]) {
      it(`${how === 'fill' ? 'tf.fill(…, v, \'bool\')' : 'a Uint8Array'} bools, ${n} elements: casts, logic, where, comparisons, eager bits`, async () => {
        const c = bools(how, n, 0);
        const d = bools(how, n, 4);
        const x = tf.tidy(() => tf.add(tf.range(0, n), 0.25));
        const g = bst.transform.jit(f);
        g(c, d, x).forEach((t) => t.dispose()); // the first call traces
        const jitted = g(c, d, x);
        const eager = f(c, d, x);
        for (let k = 0; k < eager.length; k++) {
          expect(jitted[k].dtype, `output ${k} dtype`).to.equal(eager[k].dtype);
          const [a, b] = [await jitted[k].data(), await eager[k].data()];
          for (let i = 0; i < n; i++) {
            if (!Object.is(Number(a[i]), Number(b[i]))) {
              expect.fail(`output ${k}, element ${i}: jit ${show(Number(a[i]))}, eager ${show(Number(b[i]))}`);
            }
          }
        }
        tf.dispose([c, d, x, ...jitted, ...eager]);
        g.clearCache();
      });
    }
  }
});
