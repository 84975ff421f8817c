/**
 * Reverse-mode gradients through a traced scan (`scan`, `forLoop`) when a gradient is
 * taken inside `jit`: one traced body, not one copy per step.
 *
 * As JAX differentiates `lax.scan` by a scan over the body's transpose, the forward scan
 * node also stacks its residuals, and its gradient is a second scan node, run from the
 * last step to the first, over the body's vector-Jacobian product:
 * - residuals: the carry each step started from (explicit carries and written states),
 *   stacked `[length, ...]`. The backward body recomputes the step from them (one
 *   forward step per backward step, as `jax.checkpoint` on the body would), so the
 *   residuals are one carry per step whatever the body computes inside.
 * - the backward body takes `[dcarry, dinvariants so far, carry_i, x_i, dy_i, (webgpu)
 *   carry_i again for the gradient kernels, read-only states]` and returns `[dcarry_(i-1),
 *   dinvariants + this step's, dx_i]`: the
 *   cotangent of the carry flows back through the steps, those of the loop-invariant
 *   inputs (read-only states, tensors the body captured) are summed over the steps,
 *   those of the xs are stacked.
 * The node is wrapped in an op on the tape whose outputs are its float results themselves,
 * not one packed vector sliced back: the cotangents then reach the backward node as the
 * tape made them (a sliced vector's cotangent goes through a `Pad`, GPU data on webgpu).
 */
import * as tf from '@tensorflow/tfjs';
import { currentListener, isTapeOn, unrecorded } from '../backend/tfjs-engine';
import { tapeGradients, thunkGradOp, thunkGradOps } from '../backend/tfjs-tape';
import { disposeProgram, Program, ScanSpec, ValueType } from '../compiler/ir';
import { TraceError } from '../errors';
import type { State, StateValue } from '../state/state';
import { currentObserver, withObserver } from '../state/stack';
import { isTensor, tensorLeaves } from '../state/tree';
import { flatten, TreeDef, unflatten } from '../util/pytree';
import { opaque, ReplayObserver, retainProgram } from './branch-grad';
import { CopyReadingRecorder } from './copy-reads';
import { rowOf, runAndRecord } from './loop-util';
import { SubTrace, subTrace } from './subtrace';
import { cpuFormsThreshold } from '../backend/targets';

/** What the traced scan hands over: its body trace, the forward node and its inputs. */
export interface ScanNode {
  /** The body traced once (results reordered as in `spec.body`). */
  readonly sub: SubTrace;
  /** The forward node, as recorded without a gradient. */
  readonly spec: ScanSpec;
  /** Outer inputs `[carry..., written states..., xs..., read-only states..., captured...]`. */
  readonly inputs: readonly tf.Tensor[];
  readonly nC: number;
  readonly nS: number;
  readonly nX: number;
  readonly nY: number;
  /** Written states (in result order) and read-only states (in input order). */
  readonly written: readonly State<StateValue>[];
  readonly invariant: readonly State<StateValue>[];
  /** Replays one step: `[carry, y]` from the explicit carry leaves and one row of each x. */
  readonly step: (carry: tf.Tensor[], rows: tf.Tensor[]) => unknown;
}

const isFloat = (t: { dtype: tf.DataType }): boolean => t.dtype === 'float32';
const indicesOf = <T>(list: readonly T[], keep: (t: T, i: number) => boolean): number[] =>
  list.flatMap((t, i) => (keep(t, i) ? [i] : []));

/** The value tree of a state as the body saw it (its outer value), to rebuild it from leaves. */
function stateDef(sub: SubTrace, s: State<StateValue>): TreeDef {
  return flatten(sub.stateArgs.find((a) => a.state === s)!.outer, isTensor)[1];
}

interface Layout {
  /** Float positions among `[carry..., states...]` (nFC leaves), `inputs` and `[carry', states', ys...]`. */
  readonly floatCarry: number[];
  readonly floatIn: number[];
  readonly floatOut: number[];
  /** Float positions among the xs and among the loop invariants (read-only states, captured). */
  readonly floatX: number[];
  readonly floatInv: number[];
}

function layoutOf(n: ScanNode, outTypes: readonly ValueType[]): Layout {
  const nFC = n.nC + n.nS;
  const invIn = n.inputs.slice(nFC + n.nX);
  // Constants of the enclosing trace the body reads (subtrace.ts `hostData`) take no gradient: eager's tape has none.
  const firstCaptured = n.inputs.length - n.sub.captured.length;
  const differentiable = (t: tf.Tensor, i: number) => isFloat(t) &&
    (i < firstCaptured || n.sub.captured[i - firstCaptured].hostData !== true);
  return {
    floatCarry: indicesOf(n.inputs.slice(0, nFC), isFloat),
    floatIn: indicesOf(n.inputs, differentiable),
    floatOut: indicesOf(outTypes, isFloat),
    floatX: indicesOf(n.inputs.slice(nFC, nFC + n.nX), isFloat),
    floatInv: indicesOf(invIn, (t, k) => differentiable(t, nFC + n.nX + k)),
  };
}

/**
 * A loss term whose gradient with respect to `out` is `cot`, with no kernel that reads `out`
 * (the vector-Jacobian product of the step, one term per output). `sum(out * cot)` would
 * give the same gradient, but its forward `Mul` reads `out`, which eager's tape never does:
 * on webgpu, where that `Mul` runs on the GPU, it uploads `out`, and when `out` is a tensor
 * from outside the step (an argument the body returns as its y) a later kernel on it then runs
 * on the GPU instead of tfjs-webgpu's CPU forms (fuzz seed 1016691: a cast to int32 and a sum).
 * The tape seeds the loss with ones, so the term's own cotangent is 1 and is not multiplied in.
 */
function cotangentTerm(out: tf.Tensor, cot: tf.Tensor): tf.Tensor {
  return thunkGradOp([out], () => tf.zeros([]), () => [() => tf.clone(cot)]);
}

/** `g`'s values through a Pad that pads its leading axis and a Slice that drops the padding. */
function viaPad(g: tf.Tensor): tf.Tensor {
  if (g.size === 0) return g;
  const padded = tf.pad(g, g.shape.map((_, k) => [0, k === 0 ? 1 : 0] as [number, number]));
  return tf.slice(padded, g.shape.map(() => 0), g.shape);
}

/**
 * Traces one backward step. Explicit arguments `[dcarry (float carry leaves), dinv so far
 * (float invariants), carry leaves, x rows, dys (float ys), (with `gradViews`) carry leaves
 * again, read-only state leaves, (with `gradViews`) the read-only state leaves and captured
 * tensors as the forward loop left them (ScanSpec.residualInvariants; the backward node gives the steps
 * of the rows before a loop kernel uploaded one a host copy as the loop found it instead:
 * ScanSpec.foundInvariants), (with `stepOuts`) the loop's
 * results `[carry..., written states..., ys...]`]`; results `[dcarry
 * before the step, dinv after it, dx (float xs)]`. Without `gradViews` captured tensors are
 * used as they are (captured again by this trace); with it the kernels run on those stand-ins
 * and the captured tensors are captured only where a gradient kernel reads them.
 *
 * The step recomputes the body's kernels from the first carry leaves; with `gradViews` the
 * gradient kernels (recorded after them) read the second ones instead. On webgpu that lets
 * the step of row 0 recompute on the initial carry as the forward loop found it
 * (ScanSpec.residualFirstRows: eager's forward kernels ran then) while its gradient
 * kernels read the initial carry itself, as eager's tape does, uploaded since or not
 * (fuzz seed 1607689: a `tf.sum` of the final carry, a passed-through initial carry,
 * uploaded it between the loops, so the recomputed `exp` of row 0 ran on the GPU, 1 ulp
 * from the `exp` eager ran on the host).
 *
 * With `stepOuts` (a loop of one step, on webgpu) the gradient kernels read what the step made
 * and returned as the loop's results, whose data it is eagerly (a y through `tf.stack` of one
 * tensor): eager's tape reads the forward step's tensors after the kernels that followed the
 * loop, which may have uploaded them (fuzz seed 5101616: the loss's `tf.sum(ys)` uploaded the
 * constant c the body returned as its y, so the tape's `GreaterEqual(carry, c)` ran on the GPU
 * and uploaded the initial carry, an argument; the recomputed c was new host data).
 *
 * With `nextCarries` (a loop of two steps or more, on webgpu) the step also takes, as carries
 * of the backward scan, the carries its row made as eager's tape reads them, and hands on the
 * carries it recomputed on: the backward step of the last row reads the loop's final carries
 * (whose data it is eagerly, uploaded since or not), that of an earlier row the next row's
 * residuals, which the next row's recomputed kernels read as eager's forward step did.
 */
function traceBackward(n: ScanNode, L: Layout, outTypes: readonly ValueType[], row0: readonly tf.Tensor[],
  gradViews: boolean, stepOuts: boolean, nextCarries: boolean): SubTrace {
  const nFC = n.nC + n.nS;
  const carryIn = n.inputs.slice(0, nFC);
  const invStates = n.inputs.slice(nFC + n.nX, n.inputs.length - n.sub.captured.length);
  const captured = n.sub.captured.map((c) => c.tensor);
  const floatY = L.floatOut.filter((j) => j >= nFC);
  const nDC = L.floatCarry.length;
  const nDI = L.floatInv.length;
  // Host zeros, not tf.zerosLike (tfjs-webgpu fills that on the GPU): the body's cotangent inputs would be
  // traced as device data, which the upload-order rule exempts, and fusion could then move a gradient
  // kernel's upload of a small cotangent before the tape's accumulation of it (fuzz seed 10106156: the
  // fused `dc * -floor(a / x)` of mod's gradient uploaded dc before `dys[1] + dc`, so the gradient of
  // the initial carry and its `exp` ran on the GPU, where eager's ran on the CPU forms).
  const zerosOf = (t: tf.Tensor) => tf.keep(tf.zeros(t.shape, t.dtype));
  const templates = unrecorded(() => [
    ...L.floatCarry.map((i) => zerosOf(carryIn[i])),
    ...L.floatInv.map((i) => zerosOf(n.inputs[nFC + n.nX + i])),
  ]);
  const dyTemplates = unrecorded(() => floatY.map((j) => tf.keep(tf.zeros([...outTypes[j].shape], 'float32'))));
  // The loop's results `[carry..., written states..., ys...]` (ys stacked: one row), with `stepOuts`.
  const outTemplates = stepOuts ? unrecorded(() => outTypes.map((t, j) =>
    tf.keep(tf.zeros(j < nFC ? [...t.shape] : [1, ...t.shape], t.dtype)))) : [];
  try {
    return subTrace('scan body gradient', (args) => {
      let at = 0;
      const take = (k: number): tf.Tensor[] => args.slice(at, (at += k));
      const dCarry = take(nDC);
      const dInv = take(nDI);
      const fc = take(nFC);
      const rows = take(n.nX);
      const dys = take(floatY.length);
      const fg = gradViews ? take(nFC) : fc;
      const ivs = take(invStates.length);
      // With gradViews the recomputed forward kernels read the invariants as the forward step of the row found
      // them (ScanSpec.residualInvariants, foundInvariants), the gradient kernels the invariants themselves (rebound below). The
      // kernels run on those stand-ins, never on the captured tensors: this trace runs before the forward
      // loop, and a GPU kernel of it must not upload what that loop reads in the same trace.
      const found = gradViews ? take(invStates.length + captured.length) : [];
      const foundStates = gradViews ? found.slice(0, invStates.length) : ivs;
      const foundCaptured = gradViews ? found.slice(invStates.length) : captured;
      const loopOuts = take(outTemplates.length);
      const next = nextCarries ? take(nFC) : [];
      const recorder = currentListener();
      if (gradViews && recorder instanceof CopyReadingRecorder) captured.forEach((c, q) => recorder.standIn(c, foundCaptured[q]));
      const given = new Map<State<StateValue>, StateValue>();
      let k = n.nC;
      for (const s of n.written) {
        const def = stateDef(n.sub, s);
        const count = flatten(n.sub.stateArgs.find((a) => a.state === s)!.outer, isTensor)[0].length;
        given.set(s, unflatten(def, fc.slice(k, k + count)) as StateValue);
        k += count;
      }
      k = 0;
      for (const s of n.invariant) {
        const count = flatten(n.sub.stateArgs.find((a) => a.state === s)!.outer, isTensor)[0].length;
        given.set(s, unflatten(stateDef(n.sub, s), foundStates.slice(k, k + count)) as StateValue);
        k += count;
      }
      const observer = new ReplayObserver(currentObserver()!, given);
      const here = [...fc, ...rows, ...foundStates, ...foundCaptured];
      const targets = L.floatIn.map((i) => here[i]);
      const cot = [...dCarry, ...dys];
      const loss = (): tf.Scalar => {
        const r = withObserver(observer, () => n.step(fc.slice(0, n.nC), rows));
        const leaves = flatten(r, isTensor)[0] as tf.Tensor[];
        const outs = [...leaves.slice(0, n.nC), ...n.written.flatMap((s) => tensorLeaves(observer.read(s))),
          ...leaves.slice(n.nC)];
        const terms = L.floatOut.map((j, q) => cotangentTerm(outs[j], cot[q]));
        if (gradViews && recorder instanceof CopyReadingRecorder) {
          fc.forEach((t, q) => recorder.readAs(t, fg[q]));
          foundStates.forEach((t, q) => recorder.readAs(t, ivs[q]));
          captured.forEach((c, q) => recorder.readAsOriginal(foundCaptured[q], c));
        }
        // The data the step was given: what it returns unchanged is not one of its own results.
        const stepInputs = new Set([...fc, ...fg, ...rows, ...ivs, ...found, ...captured].map((t) => t.dataId));
        if (stepOuts && recorder instanceof CopyReadingRecorder) {
          // One step: what it made and returned is the loop's results' data (a y through tf.stack of one
          // tensor, an expandDims), which later kernels may have uploaded before eager's tape reads it.
          outs.forEach((t, j) => {
            if (!stepInputs.has(t.dataId)) recorder.readAs(t, j < nFC ? loopOuts[j] : tf.reshape(loopOuts[j], t.shape));
          });
        }
        if (nextCarries && recorder instanceof CopyReadingRecorder) {
          // Two steps or more: eager's tape reads the carries a step made as that tensor, which the next
          // step's forward kernels read (the final carries' data, for the last step). The backward step hands
          // the carries its recomputed kernels read to the step of the row before (a carry of the backward
          // scan, started from the loop's final carries), whose gradient kernels read those instead of
          // what it recomputed (fuzz seed 9105868: the loss's tf.sum uploaded the final carry, so eager's
          // tape ran the last step's exp gradient on the GPU, and every later one; the jit's ran on the
          // host, where Infinity * 1e-42 is Infinity, not the GPU's flushed NaN).
          outs.slice(0, nFC).forEach((t, j) => { if (!stepInputs.has(t.dataId)) recorder.readAs(t, next[j]); });
        }
        return (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
      };
      // A loop nested in the body reads the captured tensors themselves (its own trace has no stand-ins): their
      // gradients there are the captured tensors' own, added to those through the stand-ins.
      const firstCaptured = here.length - foundCaptured.length;
      const nested = gradViews ? L.floatIn.filter((i) => i >= firstCaptured).map((i) => captured[i - firstCaptured]) : [];
      const { grads: all } = tapeGradients(loss, [...targets, ...nested]);
      const grads = all.slice(0, targets.length);
      nested.forEach((_, q) => {
        const k = targets.length - nested.length + q;
        const extra = all[targets.length + q];
        if (extra != null) grads[k] = grads[k] == null ? extra : tf.add(grads[k]!, extra);
      });
      const g = grads.map((t, i) => t ?? tf.zerosLike(targets[i]));
      const byInput = new Map(L.floatIn.map((i, q) => [i, g[q]]));
      return [
        ...L.floatCarry.map((i) => byInput.get(i)!),
        ...L.floatInv.map((i, q) => tf.add(dInv[q], byInput.get(nFC + n.nX + i)!)),
        ...(nextCarries ? fc : []),
        ...L.floatX.map((i) => byInput.get(nFC + i)!),
      ];
    }, [...templates, ...carryIn, ...row0, ...dyTemplates, ...(gradViews ? carryIn : []), ...invStates,
      ...(gradViews ? [...invStates, ...captured] : []), ...outTemplates, ...(nextCarries ? carryIn : [])],
    { captureHostData: true, standIns: gradViews });
  } finally {
    [...templates, ...dyTemplates, ...outTemplates].forEach((t) => t.dispose());
  }
}

/** {@link traceBackward}, checked to read and write no state of its own. */
function checkedBackward(n: ScanNode, L: Layout, outTypes: readonly ValueType[], row0: readonly tf.Tensor[],
  gradViews: boolean): SubTrace {
  const sub = traceBackward(n, L, outTypes, row0, gradViews, gradViews && n.spec.length === 1, gradViews && n.spec.length > 1);
  if (sub.stateArgs.length > 0 || sub.written.length > 0) {
    disposeProgram(sub.program);
    throw new TraceError(`internal: the scan body read or wrote state ${(sub.stateArgs[0] ?? sub.written[0]).state.label()} ` +
      'when replayed for its gradient but not when traced');
  }
  return sub;
}

/**
 * Records the scan node (as `runAndRecord` would) wrapped so that tfjs's tape
 * differentiates it; returns its results `[carry..., written states..., ys...]`.
 */
export function differentiableScan(n: ScanNode): tf.Tensor[] {
  const nFC = n.nC + n.nS;
  const body = n.spec.body;
  const outTypes = body.outputs.slice(0, nFC + n.nY).map((o) => body.values[(o as { value: number }).value]);
  let L = layoutOf(n, outTypes);
  if (L.floatOut.length === 0 || L.floatIn.length === 0) return runAndRecord('Scan', n.spec, n.inputs, 'scan');
  const row0 = unrecorded(() => n.inputs.slice(nFC, nFC + n.nX).map((x) => tf.keep(rowOf(x, 0))));
  // On webgpu the step of row 0 reads the initial carries themselves, as eager's tape does (ScanSpec.firstRows):
  // fuzz seed 1003449, a dead gradient whose first step's Square uploaded the argument the loop started from.
  // Only its gradient kernels do (traceBackward's `gradViews`): its recomputed forward kernels read the initial
  // carries as the forward loop found them (ScanSpec.residualFirstRows; fuzz seed 1607689).
  const cpuForms = cpuFormsThreshold(tf.getBackend()) > 0;
  let bwdSub: SubTrace;
  // Float inputs whose gradient cannot be built: asking for it is an error (as eagerly), others still flow.
  let bad: number[] = [];
  let why: Error | undefined;
  try {
    try {
      bwdSub = checkedBackward(n, L, outTypes, row0, cpuForms);
    } catch (e) {
      // An op without a gradient on a path from a loop invariant (a captured tensor, a read-only
      // state) need not matter: eagerly only the paths from the differentiated tensors count.
      // Retry with the carries and xs only; the invariants' gradients become errors if asked for.
      why = e as Error;
      const direct = L.floatIn.filter((i) => i < nFC + n.nX);
      if (direct.length === L.floatIn.length || direct.length === 0) throw e;
      bad = L.floatIn.filter((i) => i >= nFC + n.nX);
      L = { ...L, floatIn: direct, floatInv: [] };
      bwdSub = checkedBackward(n, L, outTypes, row0, cpuForms);
    }
  } catch (e) {
    // A body without a gradient (an op tfjs cannot differentiate): as eagerly, an error only if the loss needs it.
    const results = runAndRecord('Scan', n.spec, n.inputs, 'scan');
    return opaque(results, [...L.floatIn, ...bad].map((i) => n.inputs[i]), 'scan', (why ?? e) as Error);
  } finally {
    row0.forEach((t) => t.dispose());
  }
  // Forward: the body also hands out the carry it started from (stacked: the residuals).
  const carryValues = n.spec.carryArgs.map((leaf) => body.inputs.find((i) => i.source.kind === 'arg' && i.source.leaf === leaf)!.value);
  const fwdBody: Program = { ...body, outputs: [...body.outputs, ...carryValues.map((value) => ({ kind: 'value' as const, value }))] };
  const bwdCaptured = bwdSub.captured.map((c) => c.tensor);
  const bp = bwdSub.program;
  const nDC = L.floatCarry.length;
  const nDI = L.floatInv.length;
  const floatY = L.floatOut.filter((j) => j >= nFC);
  const nIS = n.inputs.length - nFC - n.nX - n.sub.captured.length;
  const nG = cpuForms ? nFC : 0;
  // The forward loop's invariants as it left them (ScanSpec.residualInvariants), for the recomputed kernels.
  const nFound = cpuForms ? n.inputs.length - nFC - n.nX : 0;
  // The loop's results, where the backward step of a one-step loop reads them (traceBackward's `stepOuts`).
  const nOut = cpuForms && n.spec.length === 1 ? nFC + n.nY : 0;
  // And in a loop of two steps or more, the carries each backward step hands to the one of the row before
  // (traceBackward's `nextCarries`), from the loop's final carries.
  const nNext = cpuForms && n.spec.length > 1 ? nFC : 0;
  const explicit = nDC + nDI + nFC + n.nX + floatY.length + nG + nIS + nFound + nOut + nNext;
  const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, k) => from + k);
  const inits = cpuForms ? n.inputs.slice(0, nFC) : [];
  // Row 0 of each x as its forward step found it (ScanSpec.residualFirstRows), in a loop of one step or more.
  const nFX = cpuForms && n.spec.length > 0 ? n.nX : 0;
  const nBwdIn = explicit + bwdCaptured.length;
  // The invariants as the forward loop found them and the step from which each was device data
  // (ScanSpec.residualInvariants): the backward steps of the rows before it recompute on a host copy.
  const atFound = nBwdIn + 2 * inits.length + nFX;
  // And the xs as it found them and the step from which each was device data: the backward steps of the rows
  // before it slice their rows from a host copy.
  const atFoundX = atFound + nFound + 1;
  const bwdSpec: ScanSpec = {
    kind: 'scan',
    body: bp,
    length: n.spec.length,
    carryArgs: [...range(0, nDC + nDI), ...range(explicit - nNext, nNext)],
    xArgs: range(nDC + nDI, nFC + n.nX + floatY.length + nG),
    invariantArgs: [...range(explicit - nNext - nOut - nFound - nIS, nIS + nFound + nOut), ...bwdSub.captured.map((c) => c.leaf)],
    numYs: L.floatX.length,
    reverse: true,
    firstRows: inits.length === 0 ? undefined
      : [...range(nBwdIn + nFC, nFC), ...(nFX > 0 ? range(nBwdIn + 2 * nFC, nFX) : new Array<number>(n.nX).fill(-1)),
        ...new Array<number>(floatY.length).fill(-1),
        ...range(nBwdIn, nFC)],
    foundInvariants: nFound === 0 ? undefined : { args: range(nIS, nFound), found: atFound, from: atFound + nFound },
    foundXs: !cpuForms || n.nX === 0 ? undefined : { args: range(nFC, n.nX), found: atFoundX, from: atFoundX + n.nX },
  };
  const all = runAndRecord('Scan', { ...n.spec, body: fwdBody, numYs: n.nY + nFC, residualYs: nFC, retained: [bp],
    ...(cpuForms ? { residualFirstRows: true, residualInvariants: true } : {}) }, n.inputs, 'scan');
  const results = all.slice(0, nFC + n.nY);
  const residuals = all.slice(nFC + n.nY, nFC + n.nY + nFC);
  // Row 0 of the residuals as the forward loop found it (ScanSpec.residualFirstRows): the backward step of row 0
  // recomputes its forward kernels on it (fuzz seed 1607689).
  const firsts = all.slice(nFC + n.nY + nFC, nFC + n.nY + nFC + inits.length);
  // Row 0 of each x as the forward loop's step of row 0 found it (ScanSpec.residualFirstRows): the backward step
  // of row 0 recomputes the step on it, not on a slice of xs that kernels since may have uploaded (fuzz seed 8403049).
  const firstXs = all.slice(nFC + n.nY + nFC + inits.length, nFC + n.nY + nFC + inits.length + nFX);
  const atLeft = nFC + n.nY + nFC + inits.length + nFX;
  const founds = all.slice(atLeft, atLeft + nFound);
  // The invariants as the forward loop found them, and the int32 vector of the steps from which each was device data;
  // then the same of the xs.
  const foundAtStart = cpuForms ? all.slice(atLeft + nFound) : [];
  const floatRes = L.floatOut.map((j) => results[j]);
  const xs = n.inputs.slice(nFC, nFC + n.nX);
  const invStates = n.inputs.slice(nFC + n.nX, nFC + n.nX + nIS);
  // tfjs frees the forward pass's tensors before the backward pass: what the backward
  // node reads travels as the custom gradient's saved clones.
  const toSave = [...residuals, ...xs, ...invStates, ...bwdCaptured, ...inits, ...firsts, ...founds,
    ...results.slice(0, nOut + nNext), ...firstXs, ...foundAtStart];
  const floatInputs = L.floatIn.map((i) => n.inputs[i]);
  const badInputs = bad.map((i) => n.inputs[i]);
  const gradients = (douts: tf.Tensor[], saved: tf.Tensor[]): tf.Tensor[] => {
    const dInv0 = L.floatInv.map((i) => tf.zerosLike(n.inputs[nFC + n.nX + i]));
    const sRes = saved.slice(0, nFC);
    const sX = saved.slice(nFC, nFC + n.nX);
    const sInv = saved.slice(nFC + n.nX, nFC + n.nX + nIS);
    const sCap = saved.slice(nFC + n.nX + nIS, nFC + n.nX + nIS + bwdCaptured.length);
    const sInit = saved.slice(nFC + n.nX + nIS + bwdCaptured.length, nFC + n.nX + nIS + bwdCaptured.length + inits.length);
    const atFirst = nFC + n.nX + nIS + bwdCaptured.length + inits.length;
    const sFirst = saved.slice(atFirst, atFirst + firsts.length);
    const sFound = saved.slice(atFirst + firsts.length, atFirst + firsts.length + founds.length);
    const sOut = saved.slice(atFirst + firsts.length + founds.length, atFirst + firsts.length + founds.length + nOut);
    const sNext = saved.slice(atFirst + firsts.length + founds.length + nOut, atFirst + firsts.length + founds.length + nOut + nNext);
    const atFirstX = atFirst + firsts.length + founds.length + nOut + nNext;
    const sFirstX = saved.slice(atFirstX, atFirstX + firstXs.length);
    const sFoundAtStart = saved.slice(atFirstX + firstXs.length);
    const grads = runAndRecord('Scan', { ...bwdSpec, body: retainProgram(bp) },
      [...douts.slice(0, nDC), ...dInv0, ...sNext, ...sRes, ...sX, ...douts.slice(nDC), ...(cpuForms ? sRes : []), ...sInv, ...sFound, ...sOut, ...sCap,
        ...sInit, ...sFirst, ...sFirstX, ...sFoundAtStart],
      'scan gradient');
    const dCarry0 = grads.slice(0, nDC);
    const dInv = grads.slice(nDC, nDC + nDI);
    // The carries the backward step of row 0 recomputed on, handed on to no row.
    grads.slice(nDC + nDI, nDC + nDI + nNext).forEach((t) => t.dispose());
    // Eagerly a loop reads row i of xs with a Slice, whose gradient pads the row's
    // cotangent with zeros, and the tape adds the padded rows: every element is its step's
    // partial + 0, so a -0 partial comes out +0 once there are two rows (fuzz seed 846).
    // Adding +0 to the stacked cotangents gives the same bits (x + 0 is x otherwise).
    // On webgpu the padded rows are GPU data wherever the step computed (tfjs-webgpu's Pad has no
    // CPU form), so the sum and every later kernel on it run on the GPU: the stacked cotangents go
    // through a Pad too (fuzz seed 1007415: rsqrt of a small host dx gave Infinity, whose
    // floorDiv then cast to int32 on the CPU forms: 0, eager -2147483648).
    const dX = grads.slice(nDC + nDI + nNext).map((g) => (n.spec.length < 2 ? g
      : tf.add(cpuForms ? viaPad(g) : g, tf.scalar(0, g.dtype))));
    const out = L.floatIn.map((i) => (i < nFC ? dCarry0[L.floatCarry.indexOf(i)]
      : i < nFC + n.nX ? dX[L.floatX.indexOf(i - nFC)] : dInv[L.floatInv.indexOf(i - nFC - n.nX)]));
    // On a tape (a higher-order gradient): the backward node is opaque to it, so
    // differentiating it again must fail loudly.
    return isTapeOn() ? opaque(out, [...saved, ...douts].filter(isFloat), 'scan') : out;
  };
  // The outputs are the node's results themselves (no copy): eager's later kernels read the loop's own results.
  const floats = thunkGradOps([...floatInputs, ...badInputs], (save) => {
    save(toSave);
    return floatRes;
  }, (dys, saved) => {
    const grads = gradients(dys, saved);
    return [...grads.map((g) => () => g), ...badInputs.map(() => (): tf.Tensor => {
      throw new TraceError(`scan: the gradient through this traced loop inside jit with respect to a tensor the body ` +
        `captured or a state it reads could not be built: ${why!.message.replace(/\.$/, '')}. Take the gradient outside ` +
        'jit, or keep ops without a gradient off the path from that tensor.');
    })];
  });
  return results.map((t, j) => {
    const q = L.floatOut.indexOf(j);
    return q < 0 ? t : floats[q];
  });
}
