/**
 * Running a per-lane program on a whole batch: each value is a tensor with its batch axis
 * or none (JAX's BatchTracer: `val`, `batch_dim`). A kernel whose inputs are all
 * unbatched runs as recorded; otherwise its batching rule from the kernel table runs
 * (src/compiler/kernels/batching/), which moves batch axes only where the kernel needs
 * it. Control-flow nodes (loops, branches) are batched by vmap-control.ts.
 *
 * Everything runs as ordinary tfjs ops, so a trace around vmap (jit, or vmap's own cache)
 * records the batched kernels into one program, and a gradient tape sees them.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchKernel } from '../backend/custom-kernels';
import { isOnDevice } from '../backend/tfjs-engine';
import type { FusedSpec, KernelNode, Program, ValueId, ValueType } from '../compiler/ir';
import { ELEMENTWISE_OPS, literalValues } from '../compiler/fusion/ops';
import { SUM_LEADING_AXES } from '../kernels/names';
import { kernelInfo } from '../compiler/kernels';
import type { Batched, BatchContext } from '../compiler/kernels';
import { TraceError } from '../errors';
import { isTracing } from './trace';
import { hostUnbatched, uploadAsLanes } from './vmap-uploads';

/** Batches a control node (set by vmap-control.ts, which imports the loop transforms). */
export type ControlBatcher = (node: KernelNode, inputs: readonly Batched[], size: number, what: string) => Batched[];

let controlBatcher: ControlBatcher | undefined;

/** Installs the control-node batcher (vmap-control.ts calls it on import). */
export function setControlBatcher(b: ControlBatcher): void {
  controlBatcher = b;
}

function runAsRecorded(n: KernelNode, ins: readonly (Batched | undefined)[]): tf.Tensor[] {
  let named: tf.NamedTensorMap;
  if (n.inputNames === null) {
    named = ins.map((b) => b!.t) as unknown as tf.NamedTensorMap;
  } else {
    named = {};
    n.inputNames.forEach((name, k) => { if (ins[k] !== undefined) named[name] = ins[k]!.t; });
  }
  const out = dispatchKernel(n.kernel, named, n.attrs as tf.NamedAttrMap);
  return Array.isArray(out) ? out : [out];
}

/** Batches one kernel application with its rule; `types` are the program's per-lane value types. */
export function batchKernel(n: Pick<KernelNode, 'kernel' | 'inputNames' | 'attrs'>, ins: readonly (Batched | undefined)[],
  inTypes: readonly (ValueType | undefined)[], outTypes: readonly ValueType[], size: number, what: string): Batched[] {
  if (ins.every((b) => b === undefined || b.axis === null)) {
    const out = runAsRecorded(n as KernelNode, ins);
    return out.map((t) => ({ t, axis: null }));
  }
  const rule = kernelInfo(n.kernel)?.batch;
  if (rule === undefined) {
    throw new TraceError(`${what}: kernel ${n.kernel} has no batching rule, so vmap cannot batch it. Compute it ` +
      'outside the vmapped function, pass its inputs with inAxes null (the same in every lane), or add a rule ' +
      `for ${n.kernel} to the kernel table (src/compiler/kernels/batching/; docs/architecture.md says how).`);
  }
  const ctx: BatchContext = { kernel: n.kernel, inputNames: n.inputNames, attrs: n.attrs, inTypes, outTypes, size };
  // Each lane's kernel reads its unbatched inputs themselves; the rule may read copies (vmap-uploads.ts).
  const unbatched = hostUnbatched(ins);
  const batchedOnDevice = unbatched.length > 0 && ins.some((b) => b !== undefined && b.axis !== null && isOnDevice(b.t));
  const outs = rule.apply(ins, ctx);
  if (unbatched.length > 0) uploadAsLanes(ins, unbatched, outs, batchedOnDevice);
  return outs;
}

/** A fused elementwise kernel batched op by op (see {@link batchOptimised}). */
function batchFused(spec: FusedSpec, ins: readonly Batched[], size: number, what: string): Batched[] {
  const refs: Batched[] = [];
  const types: ValueType[] = [];
  let k = 0;
  for (const input of spec.inputs) {
    if (input.mode === 'literal') {
      // At the constant's own shape, which may be what gave the ops the domain's shape (fuzz seed
      // 304154 on every backend: a scan gradient's `[1]` mean times a literal 1 of shape [3]; a
      // scalar 1 made the batched scan's carry [1]). Made from host values, as the program's
      // constant is (and replayUnfused makes it), not by `tf.fill`, a kernel that tfjs-webgpu
      // runs on the GPU: a kernel on a GPU fill runs there too, an int32 one through f32 (fuzz
      // seed 10010027: a forLoop's `sub(v0, 1)` of a captured 2147483646 gave 2147483520 where
      // eager's lanes, on host data, give 2147483645).
      refs.push({ t: tf.tensor(literalValues(input), [...input.shape], input.dtype), axis: null });
      types.push({ shape: input.shape, dtype: input.dtype });
    } else {
      const b = ins[k++];
      refs.push(b);
      const laneShape = b.axis === null ? b.t.shape : b.t.shape.filter((_, j) => j !== b.axis);
      types.push({ shape: laneShape, dtype: input.dtype });
    }
  }
  for (const op of spec.ops) {
    const names = ELEMENTWISE_OPS[op.kernel]?.inputs ?? op.args.map((_, j) => String(j));
    const outType: ValueType = { shape: spec.shape, dtype: op.dtype };
    const [r] = batchKernel({ kernel: op.kernel, inputNames: names, attrs: op.attrs }, op.args.map((a) => refs[a]),
      op.args.map((a) => types[a]), [outType], size, what);
    refs.push(r);
    types.push(outType);
  }
  return spec.outputs.map((o) => refs[o]);
}

/**
 * A node the optimiser made, batched as the tfjs kernels it stands for, or undefined for any
 * other node. A loop body or branch is optimised when traced (subtrace.ts), before vmap batches
 * the per-lane program holding it, so such nodes reach vmap there; they have no batching rule
 * and, but for `_FusedMatMul` (a tfjs kernel with its own rule) and the sum over leading axes,
 * no tfjs kernel to run unbatched either. The kernels they stand for run at the node's place,
 * where the pass that made it placed their work (fuzz seeds 300146, 300199: the backward body of
 * a scan gradient as a `FusedParts` node on webgpu, its parts the cotangents of independent
 * values). The enclosing trace (a jit, vmap's own program) optimises the batched kernels again.
 */
function batchOptimised(n: KernelNode, ins: readonly (Batched | undefined)[], p: Program, size: number, what: string):
  Batched[] | undefined {
  if (n.fused !== undefined) return batchFused(n.fused, ins as Batched[], size, what);
  if (n.fusedParts !== undefined) {
    return n.fusedParts.map((part) => batchFused(part.spec, part.inputs.map((k) => ins[k]!), size, what)[0]);
  }
  // A Sum whose batch axis may not be leading any more: Sum's own rule, on Sum.
  if (n.kernel === SUM_LEADING_AXES) {
    return batchKernel({ ...n, kernel: 'Sum' }, ins, n.inputs.map((v) => (v < 0 ? undefined : p.values[v])),
      n.outputs.map((o) => p.values[o]), size, what);
  }
  return undefined;
}

/**
 * Runs `p` on batched arguments (`args[leaf]`), returning its outputs batched. The caller
 * runs it inside a `tf.tidy` and keeps what it returns. `constants` replaces the tensors of
 * some of `p`'s constants (by value).
 */
export function interpretBatched(p: Program, args: readonly Batched[], size: number, what: string,
  constants?: ReadonlyMap<ValueId, tf.Tensor>): Batched[] {
  const vals: (Batched | undefined)[] = new Array(p.values.length);
  for (const i of p.inputs) {
    if (i.source.kind !== 'arg') throw new TraceError(`${what}: a per-lane program read a state slot`);
    vals[i.value] = args[i.source.leaf];
  }
  for (const c of p.constants) vals[c.value] = { t: constants?.get(c.value) ?? c.tensor, axis: null };
  for (const n of p.nodes) {
    let outs: Batched[];
    // A kernel over the lane program's constants computed its result in the lane trace, but
    // where it ran there (webgpu: on the CPU forms or the GPU) followed the trace's own copies
    // of the arguments, which are other data than the captured tensors they copy. Inside a
    // trace (a jit, vmap's own program) it runs again, so the enclosing program records it
    // among the batched kernels and its passes place it as eager's lanes would (fuzz seed
    // 1122671: the lane trace ran `lessEqual(arg, c)` on host copies, so `log(c)` folded on
    // the CPU forms, where the batched `lessEqual` on the uploaded argument uploads c).
    if (n.folded !== undefined && !isTracing()) {
      outs = n.folded.map((t) => ({ t, axis: null }));
    } else {
      const ins = n.inputs.map((v) => (v < 0 ? undefined : vals[v]));
      if (n.control !== undefined) {
        if (controlBatcher === undefined) throw new TraceError(`${what}: control flow under vmap is not available`);
        outs = controlBatcher(n, ins as Batched[], size, what);
      } else {
        outs = batchOptimised(n, ins, p, size, what)
          ?? batchKernel(n, ins, n.inputs.map((v) => (v < 0 ? undefined : p.values[v])), n.outputs.map((o) => p.values[o]), size, what);
      }
    }
    n.outputs.forEach((o, j) => { vals[o] = outs[j]; });
  }
  return p.outputs.map((o) => {
    if (o.kind !== 'value') throw new TraceError(`${what}: a per-lane program returned a static value`);
    return vals[o.value]!;
  });
}
