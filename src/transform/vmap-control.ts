/**
 * Batching the control-flow nodes of a per-lane program (installed into
 * vmap-interpret.ts): each becomes the same control flow over batched values, built with
 * the loop and branch transforms, so under a trace it is again one loop or branch node.
 *
 * - A scan / forLoop runs its body batched; the xs' batch axes move behind the scanned
 *   axis, carries that differ between lanes are batched from the start.
 * - A whileLoop whose predicate is the same in every lane runs as one loop; one whose
 *   predicate differs between lanes runs until every lane is done, and a lane that is done
 *   keeps its values (JAX's batched while: the body's results are selected per lane).
 * - A cond / switch on an index the same in every lane stays a branch; on an index that
 *   differs between lanes, every branch runs and each lane takes its own branch's results
 *   (a select, as JAX), states written in any branch included.
 */
import * as tf from '@tensorflow/tfjs';
import { targetNamed } from '../backend/targets';
import type { CondSpec, KernelNode, Program, ScanSpec, WhileSpec } from '../compiler/ir';
import type { Batched } from '../compiler/kernels';
import { atFront, permute } from '../compiler/kernels/batching/helpers';
import { InternalError, TraceError } from '../errors';
import { scan } from './scan';
import { checkedSwitch, switchBranches } from './switch';
import { isTracing } from './trace';
import { interpretBatched, setControlBatcher } from './vmap-interpret';
import { whileLoop } from './while-loop';

/**
 * `where(pick, a, b)` for a per-lane select (`pick` holds 0 / 1). Bool operands go through
 * int32 where the backend's `Select` reads them wrongly (BackendTarget.boolSelectThroughInt32:
 * tfjs-wasm reads them as floats, garbage or a read out of bounds that aborts the module;
 * docs/sharp-bits.md); the casts keep each byte (2 and 255 included), as each lane's own
 * result keeps it.
 */
function selectLanes(pick: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.dtype !== 'bool' || targetNamed(tf.getBackend())?.boolSelectThroughInt32 !== true) return tf.where(pick, a, b);
  return tf.cast(tf.where(pick, tf.cast(a, 'int32'), tf.cast(b, 'int32')), 'bool');
}

/**
 * Which outputs of `p` differ between lanes when the arguments flagged in `args` do: a
 * kernel's outputs do when any input does (what every batching rule gives), a folded
 * kernel's never.
 */
function batchedOutputs(p: Program, args: readonly boolean[]): boolean[] {
  const flag: boolean[] = new Array(p.values.length).fill(false);
  for (const i of p.inputs) if (i.source.kind === 'arg') flag[i.value] = args[i.source.leaf] === true;
  for (const n of p.nodes) {
    const any = n.folded === undefined && n.inputs.some((v) => v >= 0 && flag[v]);
    for (const o of n.outputs) flag[o] = any;
  }
  return p.outputs.map((o) => o.kind === 'value' && flag[o.value]);
}


/** `b` as `batched` says: at axis 0, or as it is (then it must not be batched). */
function conform(b: Batched, batched: boolean, size: number, what: string): tf.Tensor {
  if (batched) return atFront(b, size);
  if (b.axis !== null) throw new InternalError(`${what}: a value the batching analysis called lane-independent is batched`);
  return b.t;
}

function asBatched(ts: readonly tf.Tensor[], flags: readonly boolean[]): Batched[] {
  return ts.map((t, k) => ({ t, axis: flags[k] ? 0 : null }));
}

function batchScan(spec: ScanSpec, ins: readonly Batched[], size: number, what: string): Batched[] {
  const nc = spec.carryArgs.length;
  const nx = spec.xArgs.length;
  const carries = ins.slice(0, nc);
  const xs = ins.slice(nc, nc + nx);
  const invs = ins.slice(nc + nx);
  // Which body arguments differ between lanes: xs and invariants as given, carries until nothing changes.
  const carryFlags = carries.map((c) => c.axis !== null);
  const argFlags = (): boolean[] => {
    const a: boolean[] = [];
    spec.carryArgs.forEach((leaf, k) => { a[leaf] = carryFlags[k]; });
    spec.xArgs.forEach((leaf, k) => { a[leaf] = xs[k].axis !== null; });
    spec.invariantArgs.forEach((leaf, k) => { a[leaf] = invs[k].axis !== null; });
    return a;
  };
  let outFlags = batchedOutputs(spec.body, argFlags());
  for (let changed = true; changed;) {
    changed = false;
    for (let k = 0; k < nc; k++) if (outFlags[k] && !carryFlags[k]) { carryFlags[k] = true; changed = true; }
    if (changed) outFlags = batchedOutputs(spec.body, argFlags());
  }
  const yFlags = outFlags.slice(nc);
  const init = carries.map((c, k) => conform(c, carryFlags[k], size, what));
  // A batched x with its batch axis right behind the scanned axis: each row is batched at 0.
  const xsIn = xs.map((x) => {
    if (x.axis === null) return x.t;
    if (x.axis === 1) return x.t;
    const t = atFront(x, size);
    return permute(t, [1, 0, ...[...Array(t.rank).keys()].slice(2)]);
  });
  const body = (carry: tf.Tensor[], row: tf.Tensor[]): [tf.Tensor[], tf.Tensor[]] => {
    const args: Batched[] = [];
    spec.carryArgs.forEach((leaf, k) => { args[leaf] = { t: carry[k], axis: carryFlags[k] ? 0 : null }; });
    spec.xArgs.forEach((leaf, k) => { args[leaf] = { t: row[k], axis: xs[k].axis === null ? null : 0 }; });
    spec.invariantArgs.forEach((leaf, k) => { args[leaf] = invs[k]; });
    const out = interpretBatched(spec.body, args, size, what);
    return [out.slice(0, nc).map((b, k) => conform(b, carryFlags[k], size, what)),
      out.slice(nc).map((b, k) => conform(b, yFlags[k], size, what))];
  };
  // A gradient's backward scan runs last row first (ScanSpec.reverse); its ys stay in row order, as the scan option does.
  const [finalCarry, ys] = scan(body, init, xsIn, { length: spec.length, reverse: spec.reverse === true });
  // A gradient's forward scan also hands out row 0 of its residuals, the initial carries (ScanSpec.residualFirstRows).
  const firsts = spec.residualFirstRows === true ? init.map((t, k) => ({ t, axis: carryFlags[k] ? 0 : null })) : [];
  // Then row 0 of each x, in a loop of one step or more.
  const firstXs = spec.residualFirstRows === true && spec.length > 0 ? xsIn.map((x, k) => ({ t: tf.squeeze(tf.slice(x, 0, 1), [0]),
    axis: xs[k].axis === null ? null : 0 })) : [];
  // And its invariants as it leaves and finds them, the steps from which each is device data, and the same of
  // its xs (ScanSpec.residualInvariants): here steps 0, so the backward steps read the invariants and xs as they are.
  const invariants = spec.residualInvariants === true ? [...invs, ...invs, { t: tf.zeros([invs.length], 'int32'), axis: null },
    ...xsIn.map((t, k) => ({ t, axis: xs[k].axis === null ? null : 1 })), { t: tf.zeros([nx], 'int32'), axis: null }] : [];
  return [...asBatched(finalCarry, carryFlags), ...(ys ?? []).map((y, k) => ({ t: y, axis: yFlags[k] ? 1 : null })), ...firsts,
    ...firstXs, ...invariants];
}

function batchWhile(spec: WhileSpec, ins: readonly Batched[], size: number, what: string): Batched[] {
  const nc = spec.bodyCarryArgs.length;
  const carries = ins.slice(0, nc);
  const condInv = ins.slice(nc, nc + spec.condInvariantArgs.length);
  const bodyInv = ins.slice(nc + spec.condInvariantArgs.length);
  const carryFlags = carries.map((c) => c.axis !== null);
  const args = (carryArgs: readonly number[], invArgs: readonly number[], inv: readonly Batched[], flags: readonly boolean[]) => {
    const a: boolean[] = [];
    carryArgs.forEach((leaf, k) => { if (leaf >= 0) a[leaf] = flags[k]; });
    invArgs.forEach((leaf, k) => { a[leaf] = inv[k].axis !== null; });
    return a;
  };
  let predBatched = false;
  for (let changed = true; changed;) {
    changed = false;
    predBatched = batchedOutputs(spec.cond, args(spec.condCarryArgs, spec.condInvariantArgs, condInv, carryFlags))[0];
    const outFlags = batchedOutputs(spec.body, args(spec.bodyCarryArgs, spec.bodyInvariantArgs, bodyInv, carryFlags));
    // With a per-lane predicate every carry is per lane (lanes stop at different steps).
    for (let k = 0; k < nc; k++) {
      if ((outFlags[k] || predBatched) && !carryFlags[k]) { carryFlags[k] = true; changed = true; }
    }
  }
  const feed = (carry: readonly tf.Tensor[], carryArgs: readonly number[], invArgs: readonly number[], inv: readonly Batched[]) => {
    const a: Batched[] = [];
    carryArgs.forEach((leaf, k) => { if (leaf >= 0) a[leaf] = { t: carry[k], axis: carryFlags[k] ? 0 : null }; });
    invArgs.forEach((leaf, k) => { a[leaf] = inv[k]; });
    return a;
  };
  const pred = (carry: readonly tf.Tensor[]): Batched =>
    interpretBatched(spec.cond, feed(carry, spec.condCarryArgs, spec.condInvariantArgs, condInv), size, what)[0];
  const step = (carry: readonly tf.Tensor[]): tf.Tensor[] =>
    interpretBatched(spec.body, feed(carry, spec.bodyCarryArgs, spec.bodyInvariantArgs, bodyInv), size, what)
      .map((b, k) => conform(b, carryFlags[k], size, what));
  const init = carries.map((c, k) => conform(c, carryFlags[k], size, what));
  let final: tf.Tensor[];
  if (!predBatched) {
    final = whileLoop((carry: tf.Tensor[]) => tf.reshape(pred(carry).t, []), step, init);
  } else {
    // Run while any lane is still going; a finished lane keeps its carry.
    final = whileLoop((carry: tf.Tensor[]) => tf.any(tf.reshape(atFront(pred(carry), size), [size])), (carry: tf.Tensor[]) => {
      // A lane goes on while its predicate is nonzero, as the loop reads it (tfjs-cpu's
      // Select takes only a byte 1 as true, tfjs-wasm's any nonzero byte).
      const going = tf.notEqual(tf.cast(tf.reshape(atFront(pred(carry), size), [size]), 'int32'), tf.scalar(0, 'int32'));
      const next = step(carry);
      return next.map((t, k) => selectLanes(tf.reshape(going, [size, ...new Array(t.rank - 1).fill(1)]), t, carry[k]));
    }, init);
  }
  return asBatched(final, carryFlags);
}

function batchCond(spec: CondSpec, ins: readonly Batched[], size: number, what: string): Batched[] {
  const [index, ...ops] = ins;
  const opFlags = ops.map((o) => o.axis !== null);
  const flags = spec.branches.map((b) => batchedOutputs(b, opFlags));
  const outFlags = flags[0].map((_, k) => flags.some((f) => f[k]));
  const n = spec.branches.length;
  const run = (b: Program, operands: readonly tf.Tensor[]) =>
    interpretBatched(b, operands.map((t, k) => ({ t, axis: ops[k].axis })), size, what);
  if (index.axis === null) {
    // One branch for every lane: a branch node whose branches run batched.
    const idx = index.t.dtype === 'int32' ? tf.reshape(index.t, []) : tf.cast(tf.reshape(index.t, []), 'int32');
    const branches = spec.branches.map((b) => (...operands: tf.Tensor[]) =>
      run(b, operands).map((r, k) => conform(r, outFlags[k], size, what)));
    const operands = ops.map((o) => o.t);
    const out = spec.check === undefined ? switchBranches(idx, branches, ...operands) : checkedSwitch(idx, branches, operands, spec.check);
    return asBatched(out as tf.Tensor[], outFlags);
  }
  // A checked node (ifelse's checkCond) checks every lane: eagerly before any branch runs.
  const lanes = spec.check === undefined ? undefined : tf.cast(tf.reshape(atFront(index, size), [size]), 'int32');
  if (lanes !== undefined && !isTracing()) lanes.dataSync().forEach((raw) => spec.check!(raw));
  // Each lane its own branch: run them all and select per lane.
  // Clamped as the branch node clamps (minimum/maximum: tfjs-wasm's int32 clipByValue goes through float).
  const idx = tf.minimum(tf.maximum(tf.cast(tf.reshape(atFront(index, size), [size]), 'int32'), tf.scalar(0, 'int32')),
    tf.scalar(n - 1, 'int32'));
  const results = spec.branches.map((b) => run(b, ops.map((o) => o.t)).map((r) => atFront(r, size)));
  const selected = results[0].map((first, k) => {
    let acc = first;
    for (let j = 1; j < n; j++) {
      const pick = tf.reshape(tf.equal(idx, j), [size, ...new Array(acc.rank - 1).fill(1)]);
      acc = selectLanes(tf.broadcastTo(pick, acc.shape), results[j][k], acc);
    }
    return acc;
  });
  // Traced: the results pass through a one-branch node checking the smallest lane's index
  // (a failed lane's is negative), so the compiled call fails before it returns.
  const checked = lanes === undefined || !isTracing() ? selected
    : checkedSwitch(tf.min(lanes), [(...r: tf.Tensor[]) => r], selected, spec.check!) as tf.Tensor[];
  return checked.map((t) => ({ t, axis: 0 }));
}

setControlBatcher((node: KernelNode, ins, size, what) => {
  const c = node.control!;
  if (c.kind === 'scan') return batchScan(c, ins, size, what);
  if (c.kind === 'while') return batchWhile(c, ins, size, what);
  if (c.kind === 'cond') return batchCond(c, ins, size, what);
  // A control node added later (checkpointed loops...) needs its case here.
  throw new TraceError(`${what}: vmap cannot batch the control node ${node.kernel} (kind ` +
    `'${(c as { kind: string }).kind}') yet; add its case to src/transform/vmap-control.ts, or call it outside the vmapped function.`);
});
