/**
 * `UnsortedSegmentSum` for tfjs-wasm, which has none (so the gradient of `tf.gather`,
 * and thus of `nn.Embedding`, failed on wasm): `out[ids[i], ...] += x[i, ...]`, a
 * scatter-add written in JavaScript over tfjs-wasm's heap (a fallback through the
 * backend's memory; memory-bound, one pass). Ids outside `[0, numSegments)` are
 * dropped, as TensorFlow does.
 */
import { BrainStateError } from '../../errors';
import { KernelFunc, TensorInfo } from '../tfjs-engine';
import { runOnBackendMemory } from '../targets';
import type { KernelRecord } from './record';

function unsortedSegmentSum({ inputs, attrs }: Parameters<KernelFunc>[0]): TensorInfo {
  const { x, segmentIds } = inputs as Record<string, TensorInfo>;
  const numSegments = (attrs as { numSegments: number }).numSegments;
  if (segmentIds.dtype !== 'int32') {
    throw new BrainStateError(`UnsortedSegmentSum (wasm): expected int32 segmentIds, got ${segmentIds.dtype}.`);
  }
  const nIds = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(segmentIds.shape.length);
  const width = inner.reduce((a, b) => a * b, 1);
  const [out] = runOnBackendMemory('wasm', [x, segmentIds], [{ shape: [numSegments, ...inner], dtype: x.dtype }],
    (ins, outs) => {
      const xs = ins[0];
      const ids = ins[1];
      const o = outs[0] as unknown as Float32Array | Int32Array;
      o.fill(0);
      for (let i = 0; i < nIds; i++) {
        const s = ids[i];
        if (s < 0 || s >= numSegments) continue;
        const src = i * width;
        const dst = s * width;
        for (let k = 0; k < width; k++) o[dst + k] += xs[src + k];
      }
    });
  return out;
}

/** The kernel record. */
export const UNSORTED_SEGMENT_SUM: KernelRecord = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
  reason: 'missing',
  why: 'the gradient of gather (Embedding)',
};
