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
 * - uniform values live in a persistent uniform buffer per distinct content (the packed
 *   bytes, so -0 and 0 or two NaNs are told apart exactly as the GPU reads them), written
 *   once when made and never again;
 * - a bind group is kept per pipeline and bound buffers (output, inputs, uniforms), and
 *   reused when a dispatch binds the same ones again; the layout is read once per pipeline.
 *
 * What the GPU runs is unchanged: the same pipeline, the same buffers, the same uniform
 * bytes and workgroup counts (results are bit-identical; `spec/backend/webgpu-record.spec.ts`
 * checks it against tfjs's own recording). The pass and submit rules are tfjs's
 * (`WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`). Dispatches this path does not take go to tfjs's own
 * `recordAndSubmit`: timed programs (`tf.profile` / `tf.time`), programs drawing to a canvas
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
  readonly uniforms: Map<string, Buffer>;
  readonly bindGroups: Map<string, BindGroup>;
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

/** tfjs-webgpu's uniform packing (`makeUniforms`): WGSL alignment of each field, then the bytes. */
function packUniforms(fields: Uniform[]): Uint32Array {
  let offset = 0;
  let previous = 0;
  let maxAlign = 1;
  const offsets: number[] = [];
  for (const d of fields) {
    if (d.data.length === 0) d.data = [1]; // as tfjs: a scalar's shape and strides
    const n = d.data.length;
    if (n > 6) throw new Error(`Unsupported ${n}D shape`);
    let align = n === 1 ? 4 : n === 2 ? 8 : 16;
    if (previous === 5 || previous === 6) align = 16;
    if (align > maxAlign) maxAlign = align;
    offset = Math.ceil(offset / align) * align;
    previous = n;
    offsets.push(offset);
    offset += n * 4;
  }
  offset = Math.ceil(offset / maxAlign) * maxAlign;
  const bytes = new ArrayBuffer(offset);
  fields.forEach((d, i) => {
    const View = d.type === 'int32' ? Int32Array : d.type === 'uint32' ? Uint32Array : Float32Array;
    new View(bytes, offsets[i], d.data.length).set(d.data);
  });
  return new Uint32Array(bytes);
}

/** The uniforms tfjs-webgpu's `recordAndSubmit` gives a program that draws nothing. */
function uniformsOf(program: Program, output: Info, inputs: Info[], own: Uniform[] | undefined): Uniform[] {
  const fields: Uniform[] = [{ type: 'float32', data: [NaN] }, { type: 'float32', data: [Infinity] }];
  for (const t of inputs) {
    fields.push({ type: 'int32', data: t.shape }, { type: 'int32', data: tf.util.computeStrides(t.shape) });
  }
  fields.push({ type: 'int32', data: output.shape }, { type: 'int32', data: tf.util.computeStrides(output.shape) });
  if (program.size) {
    const size = tf.util.sizeFromShape(program.outputShape);
    fields.push({ type: 'int32', data: [program.outputComponent ? size / program.outputComponent : size] });
  }
  return own === undefined ? fields : [...fields, ...own];
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
  const key = words.join(',');
  let buffer = c.uniforms.get(key);
  if (buffer === undefined) {
    if (c.uniforms.size >= UNIFORM_LIMIT) c.uniforms.clear();
    // Written at creation (mapped), so no queue write orders against other dispatches.
    const usage = (globalThis as unknown as { GPUBufferUsage: { UNIFORM: number } }).GPUBufferUsage.UNIFORM;
    const made = b.device.createBuffer({ size: words.byteLength, usage, mappedAtCreation: true });
    new Uint32Array(made.getMappedRange()).set(words);
    made.unmap();
    c.uniforms.set(key, made);
    c.made.uniformBuffers++;
    buffer = made;
  }
  return buffer;
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
  const pipeline = program.pipeline;
  const uniform = uniformBuffer(this, c, packUniforms(uniformsOf(program, output, inputs, own)));
  let key = `${idOf(c, pipeline)}:${idOf(c, uniform)}`;
  for (const buffer of buffers) key += `,${idOf(c, buffer)}`;
  let group = c.bindGroups.get(key);
  if (group === undefined) {
    let layout = c.layouts.get(pipeline);
    if (layout === undefined) {
      layout = pipeline.getBindGroupLayout(0);
      c.layouts.set(pipeline, layout);
    }
    if (c.bindGroups.size >= BIND_GROUP_LIMIT) c.bindGroups.clear();
    const entries = [...buffers, uniform].map((buffer, binding) => ({ binding, resource: { buffer } }));
    group = this.device.createBindGroup({ layout, entries });
    c.bindGroups.set(key, group);
    c.made.bindGroups++;
  }
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
    uniforms: new Map(), bindGroups: new Map(), layouts: new WeakMap(), ids: new WeakMap(), nextId: 1,
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
    bindGroupsHeld: c.bindGroups.size, uniformBuffersHeld: c.uniforms.size };
}
