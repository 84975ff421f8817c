/**
 * How host data moves to the GPU on webgpu: tfjs-backend-webgpu 4.22's `uploadToGPU`, with
 * the values written through `queue.writeBuffer` into a pooled buffer. Part of the adapter
 * over tfjs-webgpu's private members (./webgpu-engine.ts installs it from its self-test).
 *
 * Why: tfjs takes a pooled buffer and, as it is not mapped, makes a new staging buffer
 * (never pooled: created, then destroyed at the next submit), ends the compute pass to
 * record a buffer copy, and begins a new pass for the next dispatch. A jitted program's
 * small constants are fresh host data at every call (so that tfjs-webgpu's CPU forms see
 * them as eagerly, sharp bits 24), so every call paid that for each one it uploads.
 *
 * Order: `writeBuffer` runs on the queue before the command buffer being recorded, where
 * tfjs's copy ran inside it. The data are the same, and no command already recorded can see
 * the difference: the buffer comes from tfjs's free pool, and tfjs puts a buffer back there
 * only once no unsubmitted command holds it (a tensor disposed while the recorded commands
 * use it is released at the next submit), and every upload goes through here, so no staging
 * copy into a pooled buffer is left in the commands being recorded. Work already submitted
 * runs before the write, as the queue orders it.
 *
 * Data tfjs keeps no values for (results of programs), complex64 and string data, and empty
 * tensors go to tfjs's own `uploadToGPU`.
 */

interface Buffer { readonly size: number }

/** The members of tfjs-webgpu's `WebGPUBackend` this upload reads and writes (self-tested). */
export interface UploadingBackend {
  tensorMap: { get(dataId: object): { values: unknown; resource: unknown; dtype: string; shape: number[] } | undefined };
  bufferManager: { acquireBuffer(size: number, usage: number): Buffer };
  queue: { writeBuffer(buffer: Buffer, offset: number, data: ArrayBufferView): void };
  uploadToGPU(dataId: object): void;
}

let enabled = true;
const UPLOADER = Symbol('brainstate.queueUpload');

/** tfjs-webgpu's usage of a tensor's buffer (STORAGE | COPY_SRC | COPY_DST). */
function storageUsage(): number {
  const u = (globalThis as unknown as { GPUBufferUsage: { STORAGE: number; COPY_SRC: number; COPY_DST: number } }).GPUBufferUsage;
  return u.STORAGE | u.COPY_SRC | u.COPY_DST;
}

function upload(this: UploadingBackend, original: (dataId: object) => void, dataId: object): void {
  const data = this.tensorMap.get(dataId);
  if (!enabled || data === undefined || data.resource != null || data.values == null ||
    !(data.dtype === 'float32' || data.dtype === 'int32' || data.dtype === 'bool')) {
    original.call(this, dataId);
    return;
  }
  const n = data.shape.reduce((a, b) => a * b, 1);
  const values = data.values as ArrayLike<number>;
  if (n === 0 || values.length !== n) {
    original.call(this, dataId);
    return;
  }
  // As tfjs writes them: int32 and bool data as Int32Array (a Float32Array behind int32 data converts), others as Float32Array.
  const View = data.dtype === 'float32' ? Float32Array : Int32Array;
  const words = values instanceof View ? values : View.from(values);
  const buffer = this.bufferManager.acquireBuffer(n * 4, storageUsage());
  this.queue.writeBuffer(buffer, 0, words);
  data.values = null; // as tfjs: once uploaded, the values are no longer kept on the host
  data.resource = buffer;
}

/** Installs the queue upload on `backend` (once). */
export function installQueueUpload(backend: UploadingBackend): void {
  const own = backend as unknown as Record<symbol, boolean>;
  if (own[UPLOADER] === true) return;
  own[UPLOADER] = true;
  const original = backend.uploadToGPU;
  backend.uploadToGPU = function (this: UploadingBackend, dataId: object) {
    upload.call(this, original, dataId);
  };
}

/**
 * Turns the queue upload on or off (on by default); off, tfjs's own `uploadToGPU` copies
 * through a staging buffer. For specs and benchmarks comparing the two; switch only with
 * nothing recorded and unsubmitted (after `gpuIdle`), where no staging copy of tfjs's is
 * pending. Returns the previous setting.
 */
export function setQueueUpload(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
