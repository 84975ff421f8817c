/**
 * Specs that cannot pass on the webgpu backend yet, and why. spec/setup.ts skips them on
 * webgpu (printing the reason), so `npm test`'s webgpu suite stays meaningful; they run on
 * every other backend. `npm run test:webgpu:all` runs them anyway. Each entry names what
 * would make it pass; remove it when that lands.
 *
 * Specs that read GPU data synchronously in their own code (spec/, samples/) are skipped
 * without an entry here (setup.ts sees where the read came from and prints it): they need
 * `await t.data()` instead of `dataSync()`.
 */

/** A full-title fragment (describe titles and the test title, space-joined) and the reason. */
export interface KnownWebGPULimit {
  readonly title: string;
  readonly reason: string;
}

export const WEBGPU_KNOWN_LIMITS: readonly KnownWebGPULimit[] = [
  {
    title: 'gradients through scan inside jit a carry the body makes as a float32 cast of an int32 row beyond 2^24 keeps its stored values in the residuals',
    reason: 'the residuals are stacked exactly only where the jit addresses host memory (cpu; wasm stores canonically); on ' +
      'webgpu they go through tfjs-webgpu\'s Pack, whose CPU form writes a Float32Array and rounds 16777217, which the eager ' +
      'tape reads as it is (an int32 cast to float32 shares its Int32Array there too). Needs an exact stack for webgpu host data',
  },
  {
    title: 'transform.vmap of loops and branches whileLoop with a per-lane predicate runs until every lane is done',
    reason: 'the batched loop\'s predicate (any lane still going) is computed by GPU kernels; the jitted call could await it ' +
      '(callAsync), but the eager transform.vmap the spec compares with runs its lane program with a synchronous call, which ' +
      'webgpu in Node cannot read (a BackendError naming callAsync); it needs an awaiting vmap call',
  },
  {
    title: 'transform.vmap of loops and branches whileLoop on a per-lane predicate: a lane goes on while its predicate byte is nonzero',
    reason: 'as the spec above: the eager per-lane loops and the eager transform.vmap it compares with read their predicates ' +
      'synchronously, which webgpu in Node cannot do; it needs an awaiting eager whileLoop',
  },
  {
    title: 'constants made inside a trace are literals of the fused kernel (issue 19) LIF reset written as tf.fill(vNew.shape, V_RESET): no constant tensor input, results bit-equal to eager',
    reason: 'the reset value is folded into a constant on the GPU at trace time, which the compiler cannot read without a ' +
      'synchronous GPU read, so the fused WGSL program takes it as an input instead of a literal (one dispatch still)',
  },
  {
    title: 'constants made inside a trace are literals of the fused kernel (issue 19) LIF reset written as a broadcast scalar: no constant tensor input, results bit-equal to eager',
    reason: 'the reset value is folded into a constant on the GPU at trace time, which the compiler cannot read without a ' +
      'synchronous GPU read, so the fused WGSL program takes it as an input instead of a literal (one dispatch still)',
  },
  {
    title: 'constants made inside a trace are literals of the fused kernel (issue 19) LIF reset written as a cast of an int32 fill: no constant tensor input, results bit-equal to eager',
    reason: 'the reset value is folded into a constant on the GPU at trace time, which the compiler cannot read without a ' +
      'synchronous GPU read, so the fused WGSL program takes it as an input instead of a literal (one dispatch still)',
  },
  {
    title: 'elementwise fusion turns the LIF step into one fused kernel (the scalar 0 inlined, no Tile)',
    reason: 'one fused kernel on webgpu too, but tf.where\'s broadcast 0 is folded into a constant on the GPU, which ' +
      'the compiler cannot read without a GPU read, so it is passed as an input instead of inlined (printed program differs)',
  },
  {
    title: 'elementwise fusion SIMD kernels take int32 inputs cast to float32',
    reason: 'on webgpu a cast from int32 to float32 stays unfused by design (tfjs-webgpu shares the int32 buffer, ' +
      'which keeps ints beyond 2^24 exact; a fused f32 result would round them): two kernels, not one',
  },
  {
    title: 'elementwise fusion 10,000 fused calls leave numTensors and numBytes flat',
    reason: 'SwiftShader runs about 3 ms per call: spec/compiler/wgsl-fusion.spec.ts checks 1,000 fused calls on webgpu, ' +
      'and `npm run test:webgpu:flat` 10,000',
  },
  {
    title: 'elementwise fusion fused equals unfused bit for bit on the op suite max/min/prod keepDims',
    reason: 'tfjs-backend-webgpu 4.22 bug: Prod on small host inputs (run on its CPU kernels) ignores keepDims, ' +
      'so eager tf.concat fails before the jit runs',
  },
  {
    title: 'checkpoint: save → load round trip saves a model with its optimizer',
    reason: 'checkpoint.save is synchronous and reads tensors with dataSync (src/checkpoint/save.ts); on webgpu ' +
      'it needs an asynchronous save that awaits t.data()',
  },
  {
    title: 'testing.noLeaks passes for a @jit method that writes a state at every call',
    reason: "brainstate-ts/testing's expectTensorClose reads with dataSync (testing/assert.ts); it needs an async form",
  },
  {
    title: 'forLoop under a gradient (eager or inside jit) the loop unrolls on the tape and differentiates',
    reason: "compares with Math.sin at tol 1e-5; WGSL allows sin an absolute error of 2^-11 and SwiftShader's is " +
      '1.7e-5 here',
  },
  {
    title: 'gradients through transform.scan: eager, and under jit',
    reason: "compares with Math.cos at tol 1e-6; WGSL allows cos an absolute error of 2^-11 and SwiftShader's is " +
      '4e-5 here',
  },
  {
    title: 'jit equals eager on the op suite max/min/prod keepDims',
    reason: 'tfjs-backend-webgpu 4.22 bug: Prod on small host inputs (run on its CPU kernels) ignores keepDims, ' +
      'so eager tf.concat fails before the jit runs',
  },
  {
    title: 'gradients through scan inside jit a nested scan, a cond in the body, an int carry and int ys',
    reason: 'the body\'s cond predicate is tf.sum(x) > 0, computed on the GPU; the jitted gradient could await it ' +
      '(callAsync), but the eager gradient the spec compares with runs transform.cond eagerly, which reads its predicate ' +
      'synchronously (webgpu in Node cannot)',
  },
  {
    title: 'gradients through scan inside jit ys only, no xs ({ length }), zero steps',
    reason: 'tfjs-backend-webgpu 4.22 bug: tf.sum of an empty tensor (the ys of zero steps) asks createBuffer for ' +
      'an out-of-range size, eagerly, before the jit runs',
  },
  {
    title: 'gradients through branches cond: operands, a captured tensor and a read state',
    reason: 'the predicate is tf.sum(x) > 0, computed on the GPU; the jitted gradient runs through callAsync (spec ' +
      'rewritten), but the eager gradient it is compared with runs transform.cond eagerly, which reads its predicate ' +
      'synchronously (webgpu in Node cannot)',
  },
];
