/**
 * The traced program: plain data that passes rewrite, the printer prints and the
 * executor replays. It holds no live state: a state the program reads or writes is a
 * slot, an index into the list of states the caller keeps beside the program (the jit's
 * cache entry), which feeds the slots' values at each call and writes the results back.
 * So one program (and its compiled kernels) can serve any states of the same structure.
 *
 * Values are numbered; each is defined once, by an input, a constant or a kernel node.
 */
import type * as tf from '@tensorflow/tfjs';
import type { TreeDef } from '../util/pytree';

/** Index of a value in {@link Program.values}. */
export type ValueId = number;

/** Static type of a value. */
export interface ValueType {
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
}

/** Where an input value comes from at each call: an argument leaf, or a leaf of the value of state slot `slot`. */
export type InputSource =
  | { readonly kind: 'arg'; readonly leaf: number }
  | { readonly kind: 'state'; readonly slot: number; readonly leaf: number };

/** One program input. */
export interface ProgramInput {
  readonly value: ValueId;
  readonly source: InputSource;
  /**
   * The value's data was on the device when it was traced (webgpu: uploaded, so tfjs-webgpu
   * runs no kernel on it on its CPU forms). Fusion keeps the order of first reads only of
   * small values that may be host data (passes/upload-order.ts).
   */
  readonly onDevice?: boolean;
  /**
   * An earlier input whose data this one's was when traced (the same tensor passed twice, or
   * an argument that is a state's value, or a reshape of it): one data for tfjs-webgpu, which
   * uploads both at the first GPU kernel reading either (passes/upload-order.ts).
   */
  readonly sharesData?: ValueId;
}

/** A value fixed at trace time (a literal, a captured tensor, or a folded result); the program owns `tensor`. */
export interface ProgramConstant {
  readonly value: ValueId;
  readonly tensor: tf.Tensor;
}

/** One kernel application. */
export interface KernelNode {
  /** The tfjs kernel name (`Add`, `MatMul`, ...) or a fused kernel's name. */
  readonly kernel: string;
  /** Input names for a named-input kernel, or null when the kernel takes an array of inputs. */
  readonly inputNames: readonly string[] | null;
  /** Input values, in `inputNames` order; -1 where a named input was absent. */
  readonly inputs: readonly ValueId[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly outputs: readonly ValueId[];
  /** Set on a control-flow node (kernels `Scan`, `While`, `Cond`): its sub-programs. */
  readonly control?: ControlSpec;
  /** Set on a fused kernel (kernel `Fused`): what it computes per element. */
  readonly fused?: FusedSpec;
  /**
   * Set on independent fused kernels run as one program (kernel `FusedParts`, GPU targets):
   * part m computes `outputs[m]`.
   */
  readonly fusedParts?: readonly FusedPart[];
  /**
   * Set by the recorder when every input was a constant: the outputs the trace
   * computed (owned by the node until a pass folds or drops it).
   */
  readonly folded?: readonly tf.Tensor[];
}

/** How a fused kernel reads one of its inputs. */
export type FusedInput =
  /** Same shape as the domain: element i. */
  | { readonly mode: 'full'; readonly dtype: tf.DataType }
  /** One value for every element (size 1, read once). */
  | { readonly mode: 'scalar'; readonly dtype: tf.DataType }
  /**
   * A constant whose elements are all equal: inlined into the code, never read. `shape` is the
   * constant's own (what the group's kernels read unfused: a GPU backend that replays the group
   * kernel by kernel makes it as one tensor of that shape, as the program's constant is one).
   */
  | { readonly mode: 'literal'; readonly dtype: tf.DataType; readonly value: number; readonly shape: readonly number[] }
  /** Broadcast along some axes: element strides per domain axis (0 where broadcast). */
  | { readonly mode: 'strided'; readonly dtype: tf.DataType; readonly strides: readonly number[] };

/** One elementwise op inside a fused kernel; `args` are refs (inputs first, then earlier ops). */
export interface FusedOp {
  readonly kernel: string;
  readonly args: readonly number[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly dtype: tf.DataType;
}

/** What a fused elementwise kernel computes over its domain, element by element. */
export interface FusedSpec {
  /** The iteration domain: every op's result has this shape. */
  readonly shape: readonly number[];
  readonly inputs: readonly FusedInput[];
  readonly ops: readonly FusedOp[];
  /** Refs of the ops whose results leave the kernel, in `node.outputs` order. */
  readonly outputs: readonly number[];
}

/** One part of a `FusedParts` kernel: a one-output fused kernel over its own domain. */
export interface FusedPart {
  readonly spec: FusedSpec;
  /** The node's inputs this part reads, by index into `node.inputs`, in the order of the spec's non-literal inputs. */
  readonly inputs: readonly number[];
}

/** Called every `every` steps of a loop while it runs (progress bars). */
export interface ProgressHook {
  readonly every: number;
  tick(step: number, total: number): void;
}

/**
 * A scan: `length` steps of `body`. Outer inputs are [carry init..., xs..., invariants...],
 * outer outputs [final carry..., stacked ys...]. The body's argument leaves receive
 * carries (`carryArgs[k]`), row i of each x (`xArgs[k]`) and invariants; its outputs
 * are [new carry..., ys...].
 */
export interface ScanSpec {
  readonly kind: 'scan';
  readonly body: Program;
  readonly length: number;
  readonly carryArgs: readonly number[];
  readonly xArgs: readonly number[];
  readonly invariantArgs: readonly number[];
  readonly numYs: number;
  readonly progress?: ProgressHook;
  /** Run the steps from the last row to the first; ys stay aligned with the xs (a gradient's backward scan). */
  readonly reverse?: boolean;
  /** Programs the node keeps alive for a later node (a gradient's backward body); never run by it. */
  readonly retained?: readonly Program[];
  /**
   * How many of the last ys are a gradient's residuals (the carry each step started
   * from): stacked keeping every row's stored values, since the eager tape reads each
   * step's tensor as it is; rows whose data comes from outside the loop (the initial
   * carries) are stacked from host copies, so tfjs-webgpu's Pack uploads none of it (eager
   * stacks no residuals). Other ys are stacked as tfjs's Pack does (eager `tf.stack`).
   */
  readonly residualYs?: number;
  /**
   * With `residualYs`: the node also outputs, after the stacked ys, row 0 of each residual as
   * the loop starts (a host copy of the initial carry while it is host data, else the carry).
   * A gradient's backward scan on webgpu recomputes the step of row 0 on it (its `firstRows`),
   * placed as eager's forward kernels of step 0 found the carry: the initial carry itself may
   * be uploaded by a kernel of the loop, or a later one, before the backward scan runs (fuzz
   * seed 1607689). Then, in a loop of one step or more, row 0 of each x as the step that read
   * it found it (a host copy of that step's slice while host data, else the slice): the backward
   * step of row 0 recomputes the step on it, not on a slice taken after kernels that may have
   * uploaded the xs (fuzz seed 8403049: the xs were the initial carry's data, which step 0's
   * `pow` uploaded after step 0's `exp` had read row 0 on the host).
   */
  readonly residualFirstRows?: boolean;
  /**
   * With `residualYs`: the node also outputs, after those rows, each invariant input as the loop
   * leaves it (a host copy while it is host data, else the input). A gradient's backward scan on
   * webgpu recomputes the body's forward kernels on them, placed as eager's forward kernels found
   * them: a gradient kernel of a later step (eager's as well) may upload the invariant itself
   * before the backward scan recomputes an earlier step (fuzz seed 2507652: an unrolled step's
   * `floorDiv` of a captured argument, recomputed on the GPU, where eager's ran on the host).
   * Then each invariant as the loop finds it (a host copy while host data, else the input), and
   * one int32 vector: per invariant, the first step at whose start it is device data (`length`
   * if none). A kernel of the loop may upload an invariant: the steps before that one found it
   * on the host, and the backward steps of their rows recompute on a host copy of it
   * (`foundInvariants`; fuzz seed 8403049). Then each x as the loop finds it and the int32
   * vector of the first step at whose start each x is device data: the steps before it sliced
   * their rows on the host (`foundXs`).
   */
  readonly residualInvariants?: boolean;
  /**
   * Invariants read per row as the forward loop found them (a gradient's backward scan on
   * webgpu): `args[q]` indexes `invariantArgs`; node input `found + q` holds that invariant as
   * the forward node found it and node input `from` the forward node's int32 vector of steps
   * (`residualInvariants`). The step of row i reads a new host copy of input `found + q` while
   * i < `from`[q] and that input is host data (new at each step: the recomputed kernels of the
   * step may upload it, as eager's forward kernels uploaded the invariant in that step), else
   * its invariant input, the invariant as the forward loop left it.
   */
  readonly foundInvariants?: { readonly args: readonly number[]; readonly found: number; readonly from: number };
  /**
   * Likewise for xs (a gradient's backward scan on webgpu): `args[q]` indexes `xArgs`; the step
   * of row i slices its row from node input `found + q` (the forward node's xs as it found them)
   * while i < `from`[q], else from its x. Row 0 reads `firstRows` where set.
   */
  readonly foundXs?: { readonly args: readonly number[]; readonly found: number; readonly from: number };
  /**
   * Per x, the node input (index into the outer inputs, after the invariants) that row 0 of
   * that x holds the data of, or -1: the step of row 0 reads that input itself rather than a
   * slice. A gradient's backward scan on webgpu: row 0 of the residuals is the loop's initial
   * carry, which eager's tape reads as it is, so a GPU kernel of that step uploads it. That
   * backward scan takes the residuals twice: the carry its gradient kernels read has the
   * initial carry for first row, the carry its recomputed forward kernels read has the
   * forward node's `residualFirstRows` (scan-grad.ts `traceBackward`).
   */
  readonly firstRows?: readonly number[];
}

/**
 * A while loop. Outer inputs are [carry init..., cond invariants..., body invariants...],
 * outputs the final carry. `cond` returns one bool scalar; `body` returns the new carry.
 * `condCarryArgs[k]` / `bodyCarryArgs[k]` is the argument leaf receiving carry k (-1: unused).
 */
export interface WhileSpec {
  readonly kind: 'while';
  readonly cond: Program;
  readonly body: Program;
  readonly condCarryArgs: readonly number[];
  readonly condInvariantArgs: readonly number[];
  readonly bodyCarryArgs: readonly number[];
  readonly bodyInvariantArgs: readonly number[];
}

/**
 * A branch (`cond`, `switch`): outer inputs [index, args...]; every branch takes `args` and
 * returns alike. The index is clamped to the branch range (a bool picks [false, true]).
 */
export interface CondSpec {
  readonly kind: 'cond';
  /** The branches by index: [false branch, true branch] for a `cond`. */
  readonly branches: readonly Program[];
  /** Programs the node keeps alive for a later node (a gradient's backward branches); never run by it. */
  readonly retained?: readonly Program[];
  /**
   * Called with the index as read at run time, before it is clamped; throws to fail the
   * call (`ifelse`'s `checkCond`: a negative index says which conditions held). A node
   * with a check is kept even when nothing reads its results.
   */
  readonly check?: (index: number) => void;
}

export type ControlSpec = ScanSpec | WhileSpec | CondSpec;

/** The sub-programs of a control node. */
export function subPrograms(c: ControlSpec): Program[] {
  return c.kind === 'scan' ? [c.body, ...(c.retained ?? [])] : c.kind === 'while' ? [c.cond, c.body] : [...c.branches, ...(c.retained ?? [])];
}

/** A state slot written by the program: the leaves of its new value, in its tree's order. */
export interface StateWrite {
  readonly slot: number;
  readonly tree: TreeDef;
  readonly values: readonly ValueId[];
}

/** A leaf of the program's result: a computed value, or a non-tensor returned as is. */
export type OutputLeaf = { readonly kind: 'value'; readonly value: ValueId } | { readonly kind: 'static'; readonly value: unknown };

/** A traced program. */
export interface Program {
  /** A name for printing (the traced function's name). */
  readonly name: string;
  readonly values: readonly ValueType[];
  readonly inputs: readonly ProgramInput[];
  readonly constants: readonly ProgramConstant[];
  readonly nodes: readonly KernelNode[];
  readonly outputTree: TreeDef;
  readonly outputs: readonly OutputLeaf[];
  readonly writes: readonly StateWrite[];
}

/** Every value the program reads at its end: outputs and state writes. */
export function liveOuts(p: Program): ValueId[] {
  const out: ValueId[] = [];
  for (const o of p.outputs) if (o.kind === 'value') out.push(o.value);
  for (const w of p.writes) out.push(...w.values);
  return out;
}

/** Releases the tensors a program owns (constants and unfolded trace results). */
export function disposeProgram(p: Program): void {
  for (const c of p.constants) if (!c.tensor.isDisposed) c.tensor.dispose();
  for (const n of p.nodes) {
    for (const t of n.folded ?? []) if (!t.isDisposed) t.dispose();
    if (n.control !== undefined) for (const sub of subPrograms(n.control)) disposeProgram(sub);
  }
}
