/**
 * How a dispatch is recorded on webgpu: tfjs-backend-webgpu 4.22's `recordAndSubmit`,
 * with the per-dispatch work a repeated dispatch does not need cached. Part of the adapter
 * over tfjs-webgpu's private members (./webgpu-engine.ts installs it from its self-test).
 *
 * Why: on a real GPU a small step's time is the CPU cost per dispatch (the MLP 784-256-10
 * SGD step on an H200: about 175 us per dispatch, where the GPU's arithmetic takes
 * microseconds). tfjs records every dispatch from scratch: it packs the uniforms (NaN,
 * Infinity, every buffer's shape and strides, the size, the program's own values) into a
 * new uniform buffer taken from its pool and written through the queue, asks the pipeline
 * for its bind group layout, and creates a bind group; Dawn's `createBindGroup` alone cost
 * about 23 us per call on SwiftShader's host. A jitted program replays the same dispatches
 * on the same shapes call after call, and tfjs's buffer pool hands the same buffers back
 * in the same order, so here:
 *
 * - uniform values live in a persistent uniform buffer per distinct content (keyed by the
 *   packed bytes, so -0 and 0 are told apart as the GPU reads them), written once when made
 *   (mapped at creation) and never again;
 * - a bind group is kept per pipeline and bound buffers (output, inputs, uniforms), and
 *   reused when a dispatch binds the same ones again; the layout is read once per pipeline.
 *
 * What the GPU runs is unchanged: the same pipeline, the same buffers, the same uniform
 * bytes and workgroup counts (results are bit-identical; `spec/backend/webgpu-record.spec.ts`
 * checks it against tfjs's own recording). The pass and submit rules are tfjs's
 * (`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`). Dispatches this path does not take go to tfjs's own
 * `recordAndSubmit`: timed programs (`tf.time`), programs drawing to a canvas
 * (`pixelsOpType`), pipelines still compiling, textures bound.
 *
 * Memory: both caches are bounded ({@link UNIFORM_LIMIT}, {@link BIND_GROUP_LIMIT}) and
 * emptied whole when full. Uniform buffers are made outside tfjs's buffer pool (so
 * `tf.memory()`'s GPU bytes count tensors only, as before) and dropped, not destroyed, when
 * emptied: a recorded but unsubmitted dispatch may still bind one, and Dawn frees it when
 * the last command or bind group holding it goes. Bind groups hold the pool's buffers, which
 * tfjs never destroys before the backend is disposed; a disposed backend's caches go with it.
 */
import * as tf from '@tensorflow/tfjs';

/** The most uniform buffers kept at once (a few hundred bytes each). */
export const UNIFORM_LIMIT = 2048;
/** The most bind groups kept at once. */
export const BIND_GROUP_LIMIT = 4096;

/** The WebGPU objects used here (globals where Dawn or a browser provides WebGPU). */
interface Buffer { readonly size: number }
interface BindGroup { readonly label?: string }
interface Layout { readonly label?: string }
interface Pipeline { getBindGroupLayout(index: number): Layout }
interface Pass {
  setPipeline(p: Pipeline): void;
  setBindGroup(index: number, g: BindGroup): void;
  dispatchWorkgroups(x: number, y: number, z: number): void;
}
interface Device {
  createBuffer(d: { size: number; usage: number; mappedAtCreation?: boolean }): Buffer & { getMappedRange(): ArrayBuffer; unmap(): void };
  createBindGroup(d: { layout: Layout; entries: { binding: number; resource: { buffer: Buffer } }[] }): BindGroup;
}
interface Uniform { type: string; data: number[] }
interface Program {
  pipeline: Pipeline | Promise<Pipeline>;
  pixelsOpType?: unknown;
  size?: boolean;
  outputShape: number[];
  outputComponent?: number;
  dispatch: [number, number, number];
}
interface Info { readonly dataId: object; readonly shape: number[] }

/** The members of tfjs-webgpu's `WebGPUBackend` this recorder reads and writes (self-tested). */
export interface RecordingBackend {
  device: Device;
  tensorMap: { get(dataId: object): { resource: unknown } | undefined };
  commandQueueOwnedIds: { add(dataId: object): void };
  commandEncoder: { beginComputePass(d: object): Pass } | null;
  computePassEncoder: Pass | null;
  dispatchCountInPass: number;
  activeTimers: unknown;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  recordAndSubmit(program: Program, output: Info, inputs: Info[], uniforms?: Uniform[]): void;
}

/** Per backend: its caches and counters. */
interface Caches {
  /** By hash of the key; each entry with its key (packed uniform words, or pipeline and buffer ids). */
  readonly uniforms: Map<number, { key: Uint32Array; value: Buffer }[]>;
  readonly bindGroups: Map<number, { key: number[]; value: BindGroup }[]>;
  uniformCount: number;
  bindGroupCount: number;
  readonly layouts: WeakMap<object, Layout>;
  readonly ids: WeakMap<object, number>;
  nextId: number;
  /** Bind groups and uniform buffers made (for specs: a steady replay makes none). */
  made: { bindGroups: number; uniformBuffers: number };
}

let enabled = true;
const RECORDER = Symbol('brainstate.recordCache');

function cachesOf(b: RecordingBackend): Caches {
  return (b as unknown as Record<symbol, Caches>)[RECORDER];
}

/** Whether `v` is a GPUBuffer (the global class where WebGPU exists). */
function isBuffer(v: unknown): v is Buffer {
  const cls = (globalThis as { GPUBuffer?: new () => unknown }).GPUBuffer;
  return cls !== undefined && v instanceof cls;
}

/**
 * tfjs-webgpu's uniform packing (`recordAndSubmit` then `makeUniforms`), written into one
 * scratch buffer reused from dispatch to dispatch: the fields NaN, Infinity, each input's
 * shape and strides, the output's, the size, then the program's own; each aligned as WGSL
 * aligns a field of its length (4 bytes for 1 element, 8 for 2, 16 for 3 to 6, and 16 after
 * a field of 5 or 6), an empty field written as [1], the end rounded to the widest alignment.
 */
class UniformPacker {
  private bytes = new ArrayBuffer(1024);
  private i32 = new Int32Array(this.bytes);
  private u32 = new Uint32Array(this.bytes);
  private f32 = new Float32Array(this.bytes);
  private offset = 0;
  private previous = 0;
  private maxAlign = 4;

  /** Packs the uniforms of a dispatch; undefined where tfjs itself refuses them (a field over 6 elements). */
  pack(program: Program, output: Info, inputs: Info[], own: Uniform[] | undefined): Uint32Array | undefined {
    // Room for every field before writing (a field takes at most 24 bytes and 12 of padding).
    const fields = 2 + 2 * (inputs.length + 1) + 1 + (own?.length ?? 0);
    if (fields * 40 > this.bytes.byteLength) this.grow(fields * 40);
    this.offset = 0;
    this.previous = 0;
    this.maxAlign = 4;
    this.f32[this.field(1)] = NaN;
    this.f32[this.field(1)] = Infinity;
    for (let k = 0; k <= inputs.length; k++) {
      const shape = k < inputs.length ? inputs[k].shape : output.shape;
      if (shape.length > 6) return undefined;
      this.ints(shape);
      this.strides(shape);
    }
    if (program.size) {
      const size = tf.util.sizeFromShape(program.outputShape);
      this.i32[this.field(1)] = program.outputComponent ? size / program.outputComponent : size;
    }
    if (own !== undefined) {
      for (const d of own) {
        if (d.data.length === 0) d.data = [1]; // as tfjs does to the program's own uniforms
        if (d.data.length > 6) return undefined;
        const at = this.field(d.data.length);
        const view = d.type === 'int32' ? this.i32 : d.type === 'uint32' ? this.u32 : this.f32;
        for (let i = 0; i < d.data.length; i++) view[at + i] = d.data[i];
      }
    }
    const end = Math.ceil(this.offset / this.maxAlign) * this.maxAlign;
    for (let w = this.offset / 4; w < end / 4; w++) this.u32[w] = 0;
    return this.u32.subarray(0, end / 4);
  }

  /** Starts a field of `n` elements; returns its first word. */
  private field(n: number): number {
    let align = n === 1 ? 4 : n === 2 ? 8 : 16;
    if (this.previous === 5 || this.previous === 6) align = 16;
    if (align > this.maxAlign) this.maxAlign = align;
    const at = Math.ceil(this.offset / align) * align;
    for (let w = this.offset / 4; w < at / 4; w++) this.u32[w] = 0; // padding, zero as in tfjs's fresh buffer
    this.previous = n;
    this.offset = at + n * 4;
    return at / 4;
  }

  private ints(values: readonly number[]): void {
    if (values.length === 0) {
      this.i32[this.field(1)] = 1;
      return;
    }
    const at = this.field(values.length);
    for (let i = 0; i < values.length; i++) this.i32[at + i] = values[i];
  }

  /** `tf.util.computeStrides(shape)` (none below rank 2), written as a field. */
  private strides(shape: readonly number[]): void {
    const n = shape.length - 1;
    if (n <= 0) {
      this.i32[this.field(1)] = 1;
      return;
    }
    const at = this.field(n);
    let stride = shape[n];
    this.i32[at + n - 1] = stride;
    for (let i = n - 2; i >= 0; i--) {
      stride *= shape[i + 1];
      this.i32[at + i] = stride;
    }
  }

  private grow(size: number): void {
    const bytes = new ArrayBuffer(Math.max(size, this.bytes.byteLength * 2));
    this.bytes = bytes;
    this.i32 = new Int32Array(bytes);
    this.u32 = new Uint32Array(bytes);
    this.f32 = new Float32Array(bytes);
  }
}

const packer = new UniformPacker();

/** FNV-1a over 32-bit words. */
function hashWords(words: ArrayLike<number>): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return h >>> 0;
}

function sameWords(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function idOf(c: Caches, o: object): number {
  let id = c.ids.get(o);
  if (id === undefined) {
    id = c.nextId++;
    c.ids.set(o, id);
  }
  return id;
}

/** The persistent uniform buffer holding `words` (made and written on first use). */
function uniformBuffer(b: RecordingBackend, c: Caches, words: Uint32Array): Buffer {
  const h = hashWords(words);
  const bucket = c.uniforms.get(h);
  const hit = bucket?.find((e) => sameWords(e.key, words));
  if (hit !== undefined) return hit.value;
  if (c.uniformCount >= UNIFORM_LIMIT) {
    c.uniforms.clear();
    c.uniformCount = 0;
  }
  // Written at creation (mapped), so no queue write orders against other dispatches.
  const usage = (globalThis as unknown as { GPUBufferUsage: { UNIFORM: number } }).GPUBufferUsage.UNIFORM;
  const made = b.device.createBuffer({ size: words.byteLength, usage, mappedAtCreation: true });
  new Uint32Array(made.getMappedRange()).set(words);
  made.unmap();
  const entry = { key: words.slice(), value: made as Buffer };
  if (bucket !== undefined && c.uniforms.has(h)) bucket.push(entry); else c.uniforms.set(h, [entry]);
  c.uniformCount++;
  c.made.uniformBuffers++;
  return made;
}

/** The bind group of `pipeline` over `buffers` (output, inputs, then the uniforms), made on first use. */
function bindGroup(b: RecordingBackend, c: Caches, pipeline: Pipeline, buffers: Buffer[]): BindGroup {
  const ids = [idOf(c, pipeline)];
  for (const buffer of buffers) ids.push(idOf(c, buffer));
  const h = hashWords(ids);
  const bucket = c.bindGroups.get(h);
  const hit = bucket?.find((e) => sameWords(e.key, ids));
  if (hit !== undefined) return hit.value;
  let layout = c.layouts.get(pipeline);
  if (layout === undefined) {
    layout = pipeline.getBindGroupLayout(0);
    c.layouts.set(pipeline, layout);
  }
  if (c.bindGroupCount >= BIND_GROUP_LIMIT) {
    c.bindGroups.clear();
    c.bindGroupCount = 0;
  }
  const group = b.device.createBindGroup({ layout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const entry = { key: ids, value: group };
  if (bucket !== undefined && c.bindGroups.has(h)) bucket.push(entry); else c.bindGroups.set(h, [entry]);
  c.bindGroupCount++;
  c.made.bindGroups++;
  return group;
}

/**
 * tfjs-webgpu's `recordAndSubmit` with cached uniforms and bind groups (see the module
 * comment); `original` records what this path does not take.
 */
function record(this: RecordingBackend, original: RecordingBackend['recordAndSubmit'], program: Program, output: Info,
  inputs: Info[], own?: Uniform[]): void {
  const c = cachesOf(this);
  if (!enabled || c === undefined || program.pipeline instanceof Promise || this.activeTimers != null ||
    program.pixelsOpType != null) {
    original.call(this, program, output, inputs, own);
    return;
  }
  const buffers: Buffer[] = [];
  for (const t of [output, ...inputs]) {
    const resource = this.tensorMap.get(t.dataId)?.resource;
    if (!isBuffer(resource)) {
      original.call(this, program, output, inputs, own);
      return;
    }
    buffers.push(resource);
  }
  const words = packer.pack(program, output, inputs, own);
  if (words === undefined) {
    original.call(this, program, output, inputs, own);
    return;
  }
  const pipeline = program.pipeline;
  buffers.push(uniformBuffer(this, c, words));
  const group = bindGroup(this, c, pipeline, buffers);
  // As tfjs: the bound tensors' buffers stay owned by the queued commands until submitted.
  for (const t of inputs) this.commandQueueOwnedIds.add(t.dataId);
  this.commandQueueOwnedIds.add(output.dataId);
  this.ensureCommandEncoderReady();
  if (this.computePassEncoder === null || this.computePassEncoder === undefined) {
    this.computePassEncoder = this.commandEncoder!.beginComputePass({});
  }
  const pass = this.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(program.dispatch[0], program.dispatch[1], program.dispatch[2]);
  this.dispatchCountInPass++;
  if ((tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number) <= this.dispatchCountInPass) {
    this.endComputePassEncoder();
    this.submitQueue();
  }
}

/** Installs the cached recorder on `backend` (once). */
export function installRecordCache(backend: RecordingBackend): void {
  const own = backend as unknown as Record<symbol, Caches>;
  if (own[RECORDER] !== undefined) return;
  own[RECORDER] = {
    uniforms: new Map(), bindGroups: new Map(), uniformCount: 0, bindGroupCount: 0, layouts: new WeakMap(), ids: new WeakMap(), nextId: 1,
    made: { bindGroups: 0, uniformBuffers: 0 },
  };
  const original = backend.recordAndSubmit;
  backend.recordAndSubmit = function (this: RecordingBackend, program, output, inputs, uniforms) {
    record.call(this, original, program, output, inputs, uniforms);
  };
}

/**
 * Turns the cached recorder on or off (on by default); off, every dispatch is recorded by
 * tfjs's own `recordAndSubmit`. For specs and benchmarks comparing the two. Returns the
 * previous setting.
 */
export function setRecordCache(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Bind groups and uniform buffers the cached recorder has made on `backend`, and how many it holds now. */
export function recordCacheStats(backend: unknown): { bindGroupsMade: number; uniformBuffersMade: number;
  bindGroupsHeld: number; uniformBuffersHeld: number } | undefined {
  const c = cachesOf(backend as RecordingBackend);
  if (c === undefined) return undefined;
  return { bindGroupsMade: c.made.bindGroups, uniformBuffersMade: c.made.uniformBuffers,
    bindGroupsHeld: c.bindGroupCount, uniformBuffersHeld: c.uniformCount };
}

/**
 * The uniform bytes this recorder binds for a dispatch (a copy; for specs comparing them with
 * what tfjs-webgpu's own `makeUniforms` writes), or undefined where it leaves the dispatch to tfjs.
 */
export function packedUniforms(program: unknown, output: Info, inputs: Info[], own?: Uniform[]): Uint8Array | undefined {
  const words = packer.pack(program as Program, output, inputs, own);
  return words === undefined ? undefined : new Uint8Array(words.slice().buffer);
}
