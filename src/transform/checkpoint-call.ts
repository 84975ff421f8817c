/**
 * Gradient checkpointing of one call under tfjs's eager gradient tape (`checkpointedScan`'s
 * blocks): the call runs with the tape paused, so nothing it computes is kept for the
 * backward pass, and it is recorded on the tape as one custom op whose gradient runs the
 * call again under a tape of its own and takes the vector-Jacobian product there.
 *
 * The op's inputs are everything the call depends on: its arguments, the values of the
 * states it reads (through the enclosing transform, so a `grad`'s differentiated states
 * are seen as such) and the tensors its closures use (found by listening to the kernels
 * it runs: an input made before the call started is one). The op saves its arguments and
 * the states' values; the closures' tensors are held past the forward pass's scope until
 * the backward pass ran (tfjs would free those made in the forward pass before it).
 */
import * as tf from '@tensorflow/tfjs';
import { EngineListener, invocationInputList, KernelInvocation, startListening, stopListening } from '../backend/tfjs-engine';
import { holdPastScope, nestedTapeGradients, withTapePaused } from '../backend/tfjs-tape';
import type { State, StateValue } from '../state/state';
import { currentObserver, StateObserver, withObserver } from '../state/stack';
import { isTensor, tensorLeaves } from '../state/tree';
import { flatten, TreeDef, unflatten } from '../util/pytree';
import { packed, unpacked } from './branch-grad';
import { ShadowStates } from './shadow';

/**
 * State access of a checkpointed call: first reads go to the enclosing context (or see the
 * given values, when recomputing) and are recorded; writes are kept as shadow values.
 */
function callStates(parent: StateObserver | undefined, given?: ReadonlyMap<State<StateValue>, StateValue>):
  { shadow: ShadowStates; reads: Map<State<StateValue>, StateValue> } {
  const reads = new Map<State<StateValue>, StateValue>();
  const mine = new Set<tf.Tensor>();
  const shadow = new ShadowStates({
    firstRead: (state) => {
      const v = given?.get(state) ?? (parent !== undefined ? parent.read(state) : state.rawValue());
      reads.set(state, v);
      return { value: v, cache: true };
    },
    acceptWrite: (state, value, ctx) => {
      // As an eager write disposes the value it replaces, a value this call wrote and
      // overwrites is freed (else a block would keep one value per step: O(steps) memory).
      const fresh = new Set(tensorLeaves(value));
      const old = ctx.current.get(state);
      for (const t of old === undefined ? [] : tensorLeaves(old)) {
        if (!mine.has(t) || fresh.has(t)) continue;
        let elsewhere = false;
        for (const [s, v] of ctx.current) if (s !== state && tensorLeaves(v).includes(t)) elsewhere = true;
        if (!elsewhere) {
          t.dispose();
          mine.delete(t);
        }
      }
      for (const t of fresh) mine.add(t);
      return value;
    },
    created: (state) => parent?.created?.(state),
  });
  return { shadow, reads };
}

/** Collects the tensors made before the call (ids below `firstId`) that its kernels read. */
class CaptureListener implements EngineListener {
  readonly used = new Set<tf.Tensor>();

  constructor(private readonly firstId: number) {}

  onKernel(inv: KernelInvocation): void {
    for (const t of invocationInputList(inv.inputs)) if (t != null && t.id < this.firstId) this.used.add(t);
  }

  onNestedIdentity(): void { /* clones made for the tape: not the call's own reads */ }
  onMakeTensor(): void { /* constants made inside belong to the call */ }
  onRead(): void { /* reads of values are the call's business */ }
}

const isFloat = (t: tf.Tensor): boolean => t.dtype === 'float32';

/**
 * Runs `fn(args)` (a list of tensors in, a list out) checkpointed on the current tape;
 * writes the states it wrote to the enclosing observer. Call only while the tape is on.
 */
export function checkpointCall(fn: (args: tf.Tensor[]) => tf.Tensor[], args: readonly tf.Tensor[]): tf.Tensor[] {
  const parent = currentObserver();
  const probe = tf.scalar(0);
  const firstId = probe.id;
  probe.dispose();
  const { shadow: obs, reads } = callStates(parent);
  const listener = new CaptureListener(firstId);
  let nOut = 0;
  const written: { state: State<StateValue>; def: TreeDef; count: number }[] = [];
  startListening(listener);
  let outs: tf.Tensor[];
  try {
    outs = withTapePaused(() => tf.tidy(() => {
      const r = withObserver(obs, () => fn([...args]));
      nOut = r.length;
      const stateLeaves: tf.Tensor[] = [];
      for (const [state, v] of obs.writes()) {
        const [leaves, def] = flatten(v, isTensor);
        written.push({ state, def, count: leaves.length });
        stateLeaves.push(...(leaves as tf.Tensor[]));
      }
      return [...r, ...stateLeaves];
    }));
  } finally {
    stopListening();
  }
  const readStates = [...reads.keys()];
  const readDefs = readStates.map((s) => flatten(reads.get(s), isTensor) as [tf.Tensor[], TreeDef]);
  const readLeaves = readDefs.flatMap(([l]) => l);
  const known = new Set([...args, ...readLeaves]);
  const captured = [...listener.used].filter((t) => !known.has(t) && !t.isDisposed);
  const all = [...args, ...readLeaves, ...captured];
  const floatIn = all.flatMap((t, i) => (isFloat(t) ? [i] : []));
  const floatOut = outs.flatMap((t, j) => (isFloat(t) ? [j] : []));
  let results = outs;
  if (floatIn.length > 0 && floatOut.length > 0) {
    const releases = captured.map(holdPastScope);
    const floatRes = floatOut.map((j) => outs[j]);
    const nA = args.length;
    const g = tf.customGrad((...a: (tf.Tensor | tf.GradSaveFunc)[]) => {
      (a[a.length - 1] as tf.GradSaveFunc)([...args, ...readLeaves]);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
        const sArgs = saved.slice(0, nA);
        const sRead = saved.slice(nA);
        const given = new Map<State<StateValue>, StateValue>();
        let at = 0;
        readStates.forEach((s, k) => {
          const n = readDefs[k][0].length;
          given.set(s, unflatten(readDefs[k][1], sRead.slice(at, at + n)) as StateValue);
          at += n;
        });
        const sizes = floatRes.map((t) => t.size);
        const parts = sizes.length === 1 ? [dy] : tf.split(dy, sizes);
        const douts = parts.map((d, q) => tf.reshape(d, floatRes[q].shape));
        const here = [...sArgs, ...sRead, ...captured];
        const targets = floatIn.map((i) => here[i]);
        const { shadow: o } = callStates(undefined, given);
        try {
          const { grads } = nestedTapeGradients(() => {
            const r = withObserver(o, () => fn(sArgs));
            const again = [...r, ...written.flatMap((w) => tensorLeaves(o.read(w.state)))];
            const terms = floatOut.map((j, q) => tf.sum(tf.mul(again[j], douts[q])));
            return terms.length === 1 ? terms[0] : tf.addN(terms);
          }, targets);
          return grads.map((t, i) => t ?? tf.zerosLike(targets[i]));
        } finally {
          o.finish('checkpointedScan');
          releases.forEach((release) => release());
        }
      };
      return { value: packed(floatRes), gradFunc };
    });
    const floats = unpacked(g(...floatIn.map((i) => all[i])), floatRes);
    results = outs.map((t, j) => (floatOut.includes(j) ? floats[floatOut.indexOf(j)] : t));
  }
  let k = nOut;
  for (const w of written) {
    const v = unflatten(w.def, results.slice(k, k + w.count)) as StateValue;
    if (parent !== undefined) parent.write(w.state, v);
    else w.state.value = v;
    k += w.count;
  }
  obs.finish('checkpointedScan');
  return results.slice(0, nOut);
}
