/**
 * Finding the spiking neurons of a float32 spike vector that lives on tfjs-wasm's heap with
 * one small WebAssembly SIMD function: it skips sixteen silent neurons per test (four
 * 16-byte loads, or-ed, sign bits masked off), where the JavaScript scan takes eight. At
 * 400,000 neurons and ~1,000 spikes a step the scan reads 1.6 MB to find them, which was
 * a sixth of the event-driven products' time.
 *
 * A spike is any value whose bits are not those of +0 or -0 (NaN included), exactly the
 * values JavaScript's `s[i] !== 0` takes, so the rows found are the same.
 */
import * as tf from '@tensorflow/tfjs';
import { targetNamed } from '../backend/targets';
import { buildModule, I32, i32x4Const, memarg, op, simd } from '../util/wasm-binary';

/** `run(ptr, i, n)`: the first index `j` in `[i, n)` whose float32 at `ptr + 4j` is not +-0, else `n`. */
type NextSpike = (ptr: number, i: number, n: number) => number;

const WA = (globalThis as unknown as {
  WebAssembly?: {
    Module: new (bytes: Uint8Array) => object;
    Instance: new (m: object, imports: object) => { exports: { run: NextSpike } };
  };
}).WebAssembly;

const ABS_BITS = 0x7fffffff;
const i32Ne = [0x47];
const i32GtU = [0x4b];
const anyTrue = op.simd(0x53);
const ret = [0x0f];
const ifVoid = [0x04, 0x40];

/** The function's bytes: params (ptr, i, n), one local (the address), result i32. */
function nextSpikeBody(): number[] {
  const [ptr, i, n, addr] = [0, 1, 2, 3];
  const load = (offset: number) => [...op.localGet(addr), ...op.simd(simd.load, ...memarg(0, offset))];
  return [
    ...op.block, ...op.loop,
    ...op.localGet(i), ...op.localGet(n), ...op.i32GeU, ...op.brIf(1),
    ...op.localGet(ptr), ...op.localGet(i), ...op.i32Const(2), ...op.i32Shl, ...op.i32Add, ...op.localSet(addr),
    // Sixteen at once where i is a multiple of 16 and sixteen remain: skip them if all are +-0.
    ...op.block,
    ...op.localGet(i), ...op.i32Const(15), ...op.i32And, ...op.brIf(0),
    ...op.localGet(i), ...op.i32Const(16), ...op.i32Add, ...op.localGet(n), ...i32GtU, ...op.brIf(0),
    ...load(0), ...load(16), ...op.simd(simd.or), ...load(32), ...op.simd(simd.or), ...load(48), ...op.simd(simd.or),
    ...i32x4Const(ABS_BITS), ...op.simd(simd.and), ...anyTrue, ...op.brIf(0),
    ...op.localGet(i), ...op.i32Const(16), ...op.i32Add, ...op.localSet(i), ...op.br(1),
    ...op.end,
    // One element.
    ...op.localGet(addr), ...op.i32Load, ...op.i32Const(ABS_BITS), ...op.i32And, ...op.i32Const(0), ...i32Ne,
    ...ifVoid, ...op.localGet(i), ...ret, ...op.end,
    ...op.localGet(i), ...op.i32Const(1), ...op.i32Add, ...op.localSet(i), ...op.br(0),
    ...op.end, ...op.end,
    ...op.localGet(n),
  ];
}

const compiled = new WeakMap<object, NextSpike | null>();
let on = true;

/** Runs `fn` with the SIMD scan off (the JavaScript scan runs instead): the COBA profile compares both. Restored on return or throw. */
export function withoutHeapSpikeScan<R>(fn: () => R): R {
  const was = on;
  on = false;
  try {
    return fn();
  } finally {
    on = was;
  }
}

/**
 * The scan for `s` when it is a float32 view on the running backend's heap (tfjs-wasm's) and WebAssembly SIMD
 * compiles here, else undefined (then the caller scans in JavaScript).
 */
export function heapSpikeScan(s: ArrayLike<number>): NextSpike | undefined {
  if (!on || !(s instanceof Float32Array) || WA === undefined) return undefined;
  // The running backend's heap, where it keeps its tensors on one (tfjs-wasm).
  const placement = targetNamed(tf.getBackend())?.simd;
  const heap = placement?.kind === 'heap' ? placement.heap() : undefined;
  if (heap === undefined || heap.buffer !== s.buffer) return undefined;
  let fn = compiled.get(heap);
  if (fn === undefined) {
    try {
      const module = new WA.Module(buildModule([I32, I32, I32], [I32], nextSpikeBody(), [I32]));
      fn = new WA.Instance(module, { env: { memory: heap } }).exports.run;
    } catch {
      fn = null; // no WebAssembly SIMD here: scan in JavaScript
    }
    compiled.set(heap, fn);
  }
  return fn ?? undefined;
}
