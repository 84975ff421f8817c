/**
 * Reverse-mode gradients through a traced branch (`cond`, `switch`, `ifelse`) when a
 * gradient is taken inside `jit`.
 *
 * A compiled branch node runs outside tfjs's gradient tape. So, as JAX differentiates
 * `lax.cond` by a `cond` over the branches' transposes, the node is wrapped in a
 * `tf.customGrad` whose gradient runs a second branch node, with the same index, over
 * the vector-Jacobian products of the branches. Those are traced at forward time (while
 * the closures' tensors are alive and states hold the values the branch saw): each
 * replays its branch under a nested tape and differentiates `sum(out · dy)` with respect
 * to the operands, the states read and the captured tensors. `customGrad` takes one
 * output, so the node's float results travel packed in one vector and are sliced back.
 *
 * The forward node keeps the backward programs alive (`CondSpec.retained`); the backward
 * node holds its own references to them, so each node's programs are freed with it,
 * including when the loss never reaches the branch and the backward node is never made.
 */
import * as tf from '@tensorflow/tfjs';
import { aliasTensor, isTapeOn, unrecorded } from '../backend/tfjs-engine';
import { tapeGradients } from '../backend/tfjs-tape';
import { ControlSpec, disposeProgram, KernelNode, Program, ValueType } from '../compiler/ir';
import { TraceError } from '../errors';
import type { State, StateValue } from '../state/state';
import { currentObserver, StateObserver, withObserver } from '../state/stack';
import { isTensor, tensorLeaves } from '../state/tree';
import { flatten, unflatten } from '../util/pytree';
import { alignBranch, StateSlot } from './branch-layout';
import { runAndRecord } from './loop-util';
import { SubTrace, subTrace } from './subtrace';

/** What the traced branching hands over: its traces, layout and the node's inputs. */
export interface BranchNode {
  readonly what: string;
  readonly kernel: string;
  readonly index: tf.Tensor;
  readonly subs: readonly SubTrace[];
  readonly names: readonly string[];
  readonly call: (k: number) => (args: tf.Tensor[]) => unknown;
  readonly opLeaves: readonly tf.Tensor[];
  readonly layout: readonly StateSlot[];
  readonly written: readonly State<StateValue>[];
  readonly captured: readonly tf.Tensor[];
  readonly stateIns: readonly tf.Tensor[];
  /** The forward node's run-time check of its index (`CondSpec.check`). */
  readonly check?: (index: number) => void;
}

/** State access while a branch is replayed for its gradient: reads see the given values, writes stay here. */
export class ReplayObserver implements StateObserver {
  readonly pending = new Map<State<StateValue>, StateValue>();

  constructor(private readonly parent: StateObserver, private readonly given: ReadonlyMap<State<StateValue>, StateValue>) {}

  read(state: State<StateValue>): StateValue {
    return this.pending.get(state) ?? this.given.get(state) ?? this.parent.read(state);
  }

  write(state: State<StateValue>, value: StateValue): void {
    this.pending.set(state, value);
  }

  holds(tensor: tf.Tensor): boolean {
    for (const v of [...this.pending.values(), ...this.given.values()]) if (tensorLeaves(v).includes(tensor)) return true;
    return false;
  }

  created(state: State<StateValue>): void {
    this.parent.created?.(state);
  }
}

function aliasOf(t: tf.Tensor): tf.Tensor {
  return unrecorded(() => tf.keep(aliasTensor(t)));
}

/** A copy of `p` holding its own references to every tensor it owns (so either copy may be freed first). */
export function retainProgram(p: Program): Program {
  const node = (n: KernelNode): KernelNode => ({
    ...n,
    folded: n.folded?.map(aliasOf),
    control: n.control === undefined ? undefined : retainControl(n.control),
  });
  return { ...p, constants: p.constants.map((c) => ({ ...c, tensor: aliasOf(c.tensor) })), nodes: p.nodes.map(node) };
}

function retainControl(c: ControlSpec): ControlSpec {
  switch (c.kind) {
    case 'scan': return { ...c, body: retainProgram(c.body), retained: c.retained?.map(retainProgram) };
    case 'while': return { ...c, cond: retainProgram(c.cond), body: retainProgram(c.body) };
    case 'cond': return { ...c, branches: c.branches.map(retainProgram), retained: c.retained?.map(retainProgram) };
  }
}

const typeOf = (p: Program, j: number): ValueType => p.values[(p.outputs[j] as { value: number }).value];

/**
 * Traces branch `k`'s vector-Jacobian product: arguments `[operands..., state leaves...,
 * dys...]` (plus captured tensors), results the gradients of the `floatIn` inputs.
 */
function traceBackward(b: BranchNode, k: number, inputs: readonly tf.Tensor[], floatIn: readonly number[],
  floatOut: readonly number[], outTypes: readonly ValueType[]): SubTrace {
  const nOps = b.opLeaves.length;
  const nS = b.stateIns.length;
  const dyTemplates = unrecorded(() => floatOut.map((j) => tf.keep(tf.zeros([...outTypes[j].shape], 'float32'))));
  try {
    return subTrace(`${b.what} ${b.names[k]} gradient`, (args) => {
      const ops = args.slice(0, nOps);
      const sv = args.slice(nOps, nOps + nS);
      const dys = args.slice(nOps + nS);
      const given = new Map<State<StateValue>, StateValue>();
      let at = 0;
      for (const { state, types } of b.layout) {
        const [, def] = flatten(b.subs.map((s) => s.stateArgs.find((a) => a.state === state)).find((a) => a !== undefined)!.outer, isTensor);
        given.set(state, unflatten(def, sv.slice(at, at + types.length)) as StateValue);
        at += types.length;
      }
      const observer = new ReplayObserver(currentObserver()!, given);
      const here = [...ops, ...sv, ...b.captured];
      const xs = floatIn.map((i) => here[i]);
      const loss = (): tf.Scalar => {
        const out = withObserver(observer, () => b.call(k)(ops));
        const leaves = [...flatten(out, isTensor)[0] as tf.Tensor[],
          ...b.written.flatMap((s) => tensorLeaves(observer.read(s)))];
        const terms = floatOut.map((j, q) => tf.sum(tf.mul(leaves[j], dys[q])));
        return (terms.length === 1 ? terms[0] : tf.addN(terms)) as tf.Scalar;
      };
      const { grads } = tapeGradients(loss, xs);
      return grads.map((g, i) => g ?? tf.zerosLike(xs[i]));
    }, [...b.opLeaves, ...b.stateIns, ...dyTemplates]);
  } finally {
    dyTemplates.forEach((t) => t.dispose());
  }
}

/** Packs `ts` into one vector: the tensors and the custom-gradient plumbing to slice them back. */
export function packed(ts: readonly tf.Tensor[]): tf.Tensor {
  return ts.length === 1 ? tf.reshape(ts[0], [-1]) : tf.concat(ts.map((t) => tf.reshape(t, [-1])));
}

export function unpacked(p: tf.Tensor, like: readonly tf.Tensor[]): tf.Tensor[] {
  let offset = 0;
  return like.map((t) => {
    const part = tf.reshape(tf.slice(p, [offset], [t.size]), t.shape);
    offset += t.size;
    return part;
  });
}

/** `outputs` as seen by the tape: results of `inputs` whose own gradient is an error. */
export function opaque(outputs: readonly tf.Tensor[], inputs: readonly tf.Tensor[], what: string, why?: Error): tf.Tensor[] {
  if (inputs.length === 0) return [...outputs];
  const floats = outputs.filter((t) => t.dtype === 'float32');
  if (floats.length === 0) return [...outputs];
  const wrapped = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    void args;
    return {
      value: packed(floats),
      gradFunc: (): tf.Tensor[] => {
        if (why !== undefined) {
          throw new TraceError(`${what}: the gradient through this traced branch inside jit could not be built: ` +
            `${why.message.replace(/\.$/, '')}. Take the gradient outside jit, or keep ops without a gradient out of the branch.`);
        }
        throw new TraceError(`${what}: a second-order gradient through a traced branch inside jit is not supported ` +
          '(the backward branch is compiled and invisible to the tape); take the higher-order gradient outside jit, ' +
          'or select with tf.where(pred, a, b).');
      },
    };
  });
  const back = unpacked(wrapped(...inputs), floats);
  return outputs.map((t) => (t.dtype === 'float32' ? back[floats.indexOf(t)] : t));
}

/**
 * Records the branch node (as `runAndRecord` would) wrapped so that tfjs's tape
 * differentiates it; returns its results (explicit, then written states' leaves).
 */
export function differentiableBranches(b: BranchNode): tf.Tensor[] {
  const nOps = b.opLeaves.length;
  const fwd = b.subs.map((s) => alignBranch(s, nOps, b.layout, b.written, b.captured));
  const inputs = [...b.opLeaves, ...b.stateIns, ...b.captured];
  const outTypes = fwd[0].outputs.map((_, j) => typeOf(fwd[0], j));
  const floatOut = outTypes.flatMap((t, j) => (t.dtype === 'float32' ? [j] : []));
  const floatIn = inputs.flatMap((t, i) => (t.dtype === 'float32' ? [i] : []));
  if (floatOut.length === 0 || floatIn.length === 0) {
    return runAndRecord(b.kernel, { kind: 'cond', branches: fwd, check: b.check }, [b.index, ...inputs], b.what);
  }
  const bwdSubs: SubTrace[] = [];
  try {
    for (let k = 0; k < b.subs.length; k++) {
      const s = traceBackward(b, k, inputs, floatIn, floatOut, outTypes);
      bwdSubs.push(s);
      if (s.stateArgs.length > 0 || s.written.length > 0) {
        throw new TraceError(`internal: ${b.what} ${b.names[k]} read or wrote state ` +
          `${(s.stateArgs[0] ?? s.written[0]).state.label()} when replayed for its gradient but not when traced`);
      }
    }
  } catch (e) {
    // A branch without a gradient (an op tfjs cannot differentiate): as eagerly, that is an
    // error only if the loss needs the gradient through the branch.
    for (const s of bwdSubs) disposeProgram(s.program);
    const results = runAndRecord(b.kernel, { kind: 'cond', branches: fwd, check: b.check }, [b.index, ...inputs], b.what);
    return opaque(results, floatIn.map((i) => inputs[i]), b.what, e as Error);
  }
  const bwdCaptured = [...new Set(bwdSubs.flatMap((s) => s.captured.map((c) => c.tensor)))];
  const nExplicit = nOps + b.stateIns.length + floatOut.length;
  const bwd = bwdSubs.map((s) => alignBranch(s, nExplicit, [], [], bwdCaptured));
  const results = runAndRecord(b.kernel, { kind: 'cond', branches: fwd, retained: bwd, check: b.check }, [b.index, ...inputs], b.what);

  const floatRes = floatOut.map((j) => results[j]);
  const sizes = floatRes.map((t) => t.size);
  // tfjs frees the forward pass's tensors before the backward pass: what the backward
  // node reads (index, inputs, captured tensors) travels as the custom gradient's saved clones.
  const nArgs = nOps + b.stateIns.length;
  const toSave = [b.index, ...inputs.slice(0, nArgs), ...bwdCaptured];
  const packedFn = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    (args[args.length - 1] as tf.GradSaveFunc)(toSave);
    const value = packed(floatRes);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [index, ...rest] = saved;
      const parts = sizes.length === 1 ? [dy] : tf.split(dy, sizes);
      const dys = parts.map((d, q) => tf.reshape(d, floatRes[q].shape));
      const grads = runAndRecord(`${b.kernel}Grad`, { kind: 'cond', branches: bwd.map(retainProgram) },
        [index, ...rest.slice(0, nArgs), ...dys, ...rest.slice(nArgs)], `${b.what} gradient`);
      // Recorded on a tape (a branch inside a branch being differentiated, or a higher-order
      // gradient): the backward node is opaque to it, so differentiating it again must fail loudly.
      const out = floatIn.map((_, q) => grads[q]);
      return isTapeOn() ? opaque(out, [...rest, ...dys].filter((t) => t.dtype === 'float32'), b.what) : out;
    };
    return { value, gradFunc };
  });
  const floats = unpacked(packedFn(...floatIn.map((i) => inputs[i])), floatRes);
  return results.map((t, j) => {
    const q = floatOut.indexOf(j);
    return q < 0 ? t : floats[q];
  });
}
