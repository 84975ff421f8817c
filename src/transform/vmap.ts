/**
 * `transform.vmap`: run a function on a batch of inputs as if on each lane separately,
 * with BrainState's state semantics.
 *
 * How: the function is traced once on one lane (vmap-trace.ts), then the per-lane program
 * runs on the whole batch with each kernel's batching rule (vmap-interpret.ts). Both are
 * ordinary tfjs work, so inside a jit they are recorded into the jit's one program (the
 * batched kernels, once), and outside one vmap keeps its own jit-compiled program per
 * signature: a vmapped call is as fast as the hand-batched code.
 */
import * as tf from '@tensorflow/tfjs';
import { dispatchKernel } from '../backend/custom-kernels';
import { isOnDevice, isTapeOn } from '../backend/tfjs-engine';
import { cpuFormsThreshold, targetNamed } from '../backend/targets';
import { disposeProgram } from '../compiler/ir';
import type { Batched } from '../compiler/kernels';
import { heldAsHostFloat32, heldAsHostInt32, permute } from '../compiler/kernels/batching/helpers';
import { RANDOM_SPLIT } from '../kernels/names';
import { BatchAxisError } from '../errors';
import { State, StateValue } from '../state/state';
import { currentObserver, StateObserver } from '../state/stack';
import { isTensor, tensorLeaves, valueSignature } from '../state/tree';
import { flatten, flattenWithPath, unflatten } from '../util/pytree';
import { formatPath } from '../util/path';
import { typeString } from '../util/type-string';
import { isJitDisabled } from './disable';
import { defaultLabeler, JitCore } from './jit';
import { isTracing } from './trace';
import { AxisSpec, axisAt, compileStates, normalizeAxis, stateAxisSize, StateAxisOf, VmapStates } from './vmap-axes';
import { interpretBatched } from './vmap-interpret';
import { firstLaneApart, freshLaneConstants, joinLanes, lanesOf } from './vmap-first-lane';
import { axisLength, laneOf, LaneTrace, laneTrace } from './vmap-trace';
import './vmap-control';

/** Options of {@link vmap}. */
export interface VmapOptions {
  /**
   * The batch axis of each argument: one number for all (default 0), `null` for an argument
   * every lane sees whole, or an array with one entry per argument, each a number, `null`
   * or a tree of them following that argument's structure (JAX's `in_axes`).
   */
  inAxes?: AxisSpec;
  /** Where the batch axis goes in the result (default 0), as a tree prefix of the result; `null`: the result is the same for every lane. */
  outAxes?: AxisSpec;
  /**
   * States whose values carry the batch axis on input (and keep it on output): a state, a
   * filter (a `State` subclass, a tag, a predicate), a list of them (axis 0), or an object
   * from axis to them (`{ 1: net.V }`), as BrainState's `in_states`.
   */
  inStates?: VmapStates;
  /**
   * States that get the batch axis on output: each lane writes its own value and the
   * state ends holding them stacked (BrainState's `out_states`). A state written with
   * different values per lane that is in neither list is a {@link BatchAxisError}.
   */
  outStates?: VmapStates;
  /** The number of lanes, required when no argument or state is mapped (then every lane gets the same inputs). */
  axisSize?: number;
  /** A name for messages (defaults to the function's name). */
  name?: string;
}

/** A vmapped function: callable like the original on batched inputs; its result has the original's structure, each tensor with the batch axis. */
export type VmappedFunction<F extends (...args: never[]) => unknown> = ((...args: Parameters<F>) => ReturnType<F>) & {
  /** The wrapped function. */
  readonly originFun: F;
  /** How many programs vmap compiled for its own calls (outside any jit; one per signature). */
  readonly traceCount: number;
  /**
   * The same call, awaiting every loop predicate and branch index its program reads (as
   * `jit`'s `callAsync`): on webgpu in Node, where GPU data cannot be read synchronously,
   * a vmapped `whileLoop`, `cond`, `switch` or checked `ifelse` runs this way; elsewhere it
   * is the plain call.
   */
  callAsync(...args: Parameters<F>): Promise<ReturnType<F>>;
};

/** A state write to apply once the whole call succeeded. */
interface PendingWrite {
  readonly state: State<StateValue>;
  readonly value: StateValue;
}

/** Thrown inside vmap's own jit when a state would change shape (outStates): the call then runs uncompiled. */
class NeedsEager extends Error {}

interface Compiled {
  readonly inStateAxis: StateAxisOf;
  readonly outStateAxis: StateAxisOf;
}

function checkAxisSize(n: unknown, fnName: string): void {
  if (n !== undefined && (!Number.isInteger(n) || (n as number) < 1)) {
    throw new BatchAxisError(`${fnName}: expected axisSize to be a positive integer, got ${String(n)}.`);
  }
}

/**
 * `t` with a batch axis of `size` at `axis` (every lane the same). The copy is a rank-3 tile
 * ([before, 1, after] to [before, size, after]) whatever `t`'s rank: tfjs-webgpu tiles a
 * rank-5 tensor on its CPU kernel, reading GPU data synchronously, which Node cannot (fuzz
 * seed 961291: a vmapped function returning a rank-4 value that no lane changes). One lane is
 * `t`'s own data reshaped, no copy: the lanes stacked by `tf.stack` of one tensor are an
 * expandDims of its data (tfjs's `Pack`), where a Tile copies (fuzz seed 1343927: a one-lane
 * vmap returning `cast(v, 'float32')` of int32 host data; the Tile's CPU form wrote a
 * Float32Array, 2147483647 became 2147483648, where the cast's int32 storage keeps it exact).
 * Several lanes are a Tile where the lanes stack by `Pack`: on webgpu both copy int32 GPU data
 * exactly (backend/webgpu/exact-int32.ts; fuzz seed 3902200, tfjs's Tile program had moved it
 * through f32).
 */
function broadcastAt(t: tf.Tensor, axis: number, size: number): tf.Tensor {
  const before = t.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = t.shape.slice(axis).reduce((a, b) => a * b, 1);
  const shape = t.shape.slice();
  shape.splice(axis, 0, size);
  if (size === 1) return tf.reshape(t, shape);
  return tf.tidy(() => tf.reshape(tf.tile(tf.reshape(t, [before, 1, after]), [1, size, 1]), shape));
}

/** `b` with its batch axis at `axis` (normalized over the batched rank), broadcast when unbatched. */
function placeAt(b: Batched, axis: number, size: number): tf.Tensor {
  const rank = b.axis === null ? b.t.rank + 1 : b.t.rank;
  const a = normalizeAxis(axis, rank);
  if (a < 0 || a >= rank) throw new BatchAxisError(`axis ${axis} is out of range for a batched value of rank ${rank}`);
  if (b.axis === null) return broadcastAt(b.t, a, size);
  if (b.axis === a) return b.t;
  const perm = [...Array(rank).keys()].filter((k) => k !== b.axis);
  perm.splice(a, 0, b.axis);
  return permute(b.t, perm);
}

/**
 * The batched argument `t` as lanes see it: where the backend runs kernels on small host data on
 * its CPU forms and uploads it for good otherwise (webgpu), a copy when `t` is such data. Lane by
 * lane, kernels read slices of `t`, new data each, so no kernel of the function uploads `t`
 * itself; batched kernels reading `t` would, and a later kernel of `t` would then run on the GPU
 * (fuzz seed 1009168: a dead `tf.selu` of the lane uploaded the argument, so a later
 * `tf.mul(x, 1)` flushed a denormal). The copy is host data too (tfjs-webgpu slices host data
 * on its CPU form). Taken before the lane trace, which runs lane 0 for real and may upload `t`
 * where the function also reads it whole (captured): lane by lane, lane 0's slice is taken
 * before any of its kernels ran, so it is host data whatever they upload; `undefined` when `t`
 * is read as it is. The copy has the batch axis (`axis`) first: see {@link hostAtFront}. On any
 * backend, also where the lanes' slices round what `t` holds ({@link lanesCopied}).
 */
function laneData(t: tf.Tensor, axis: number): tf.Tensor | undefined {
  const threshold = cpuFormsThreshold(tf.getBackend());
  if ((t.size >= threshold || isOnDevice(t)) && !lanesCopied(t, axis)) return undefined;
  return axis === 0 ? tf.slice(t, t.shape.map(() => 0), t.shape) : hostAtFront(t, axis);
}

/**
 * Whether each lane's slice of `t` along `axis` is a copy that rounds what `t` holds: `t` is a
 * float32 cast of int32 data held as an Int32Array (see {@link heldAsHostInt32}), and the lanes
 * are not contiguous (two lanes or more, and an axis of size over 1 before `axis`), so tfjs's
 * CPU `Slice` copies each into a Float32Array (16777217 becomes 16777216), where the batched
 * kernels would read the exact integers (`vmap(l => tf.cast(l, 'int32'), {inAxes: 1})` over a
 * cast `[2, 3]` gave 16777217 where the lanes give 16777216, on cpu). Such an argument is fed
 * through its {@link hostAtFront} copy, a `Transpose` that rounds as the lanes' slices do.
 */
function lanesCopied(t: tf.Tensor, axis: number): boolean {
  return !lanesContiguous(t.shape, axis) && heldAsHostInt32(t);
}

/**
 * Whether each lane of a tensor of `shape` along `axis` is one contiguous run of its data (one
 * lane, or no axis of size over 1 before `axis`): tfjs's CPU `Slice` then keeps a subarray of
 * the same array, where otherwise it copies the lane into an array of its dtype.
 */
function lanesContiguous(shape: readonly number[], axis: number): boolean {
  return shape[axis] === 1 || shape.slice(0, axis).every((d) => d === 1);
}

/**
 * Small host data `t` (batch axis `axis`, not 0) as a copy with its batch axis first. Lane by
 * lane, a lane is one data that the lane's kernels read as it is (a reshape of it too), so a GPU
 * kernel of the lane uploads it for the lane's later kernels; batched, the rules move a batch
 * axis elsewhere to the front through a `Transpose`, a copy of their own at each kernel, whose
 * upload leaves the lanes' data on the host (a dead `matMul(w, reshape(lane))` over inAxes -1,
 * then `cast(lane, 'int32')`: -3.4e38 cast on the CPU forms, 0, where each lane's ran on the
 * GPU, -2147483648). With the axis first at the start the rules read the data as it is, as the
 * lanes do. The copy holds the values as the lanes' slices do (tfjs's CPU `Slice`): where each
 * lane is contiguous ({@link lanesContiguous}), a subarray of the same array (a float32 cast of
 * int32 data keeps its Int32Array: see {@link asStacked}), the copy is a slice of it reshaped;
 * otherwise each lane is copied into an array of its dtype, as the CPU
 * `Transpose` copies.
 */
function hostAtFront(t: tf.Tensor, axis: number): tf.Tensor {
  const rest = [...Array(t.rank).keys()].filter((k) => k !== axis);
  if (lanesContiguous(t.shape, axis)) {
    return tf.tidy(() => tf.reshape(tf.slice(t, t.shape.map(() => 0), t.shape), [t.shape[axis]!, ...rest.map((k) => t.shape[k]!)]));
  }
  return tf.transpose(t, [axis, ...rest]);
}

/**
 * The result `t` (batch axis `axis`, `size` lanes) as the lanes stacked would hold it. A
 * float32 cast of int32 data keeps its int32 storage on cpu and webgpu (exact beyond 2^24),
 * while stacking the lanes (`Pack`, a CPU concat into a Float32Array) rounds it to float32.
 * So such a result goes through the same unstack and stack (fuzz seed 1025552: 2147483646
 * lane by lane is 2147483648). On webgpu: small host data (all of it below the CPU
 * threshold, so every kernel here runs on its CPU form and nothing is uploaded), where what
 * counts is the array holding the values, not the buffer record's dtype (tfjs-webgpu's CPU
 * `Slice` of such a cast, vmap's copy of a mapped argument, see {@link laneData}, keeps a
 * subarray of the Int32Array under a float32 record: fuzz seed 2007636, a vmapped
 * `expandDims` of the lane of `cast(x, 'float32')` gave 16777217 where the lanes stacked
 * give 16777216); and GPU data in an int32 buffer, which the lanes' `Pack` (a concat
 * program with a float32 output) converts to f32 too (the same seed with the cast uploaded
 * by a dead `atan2`). The mirror case: small int32 host data held in a Float32Array (tfjs's
 * CPU `Abs` of int32 writes one), which the lanes' `Pack` copies into an Int32Array, wrapping
 * 2147483648 to -2147483648 (fuzz seed 3110174: a vmapped `abs` of int32 lanes holding
 * 2147483646, which f32 rounds to 2^31). Other results are returned as they are.
 */
function asStacked(t: tf.Tensor, axis: number, size: number): tf.Tensor {
  if (size < 2 || (t.dtype !== 'float32' && t.dtype !== 'int32')) return t;
  const gpu = targetNamed(tf.getBackend())?.gpuFusion;
  const mixed = t.dtype === 'int32' ? heldAsHostFloat32(t)
    : gpu !== undefined && isOnDevice(t) ? gpu.storageDtype(t) === 'int32' : heldAsHostInt32(t);
  if (!mixed) return t;
  const a = normalizeAxis(axis, t.rank);
  return tf.stack(tf.unstack(t, a), a);
}

/**
 * The lane program on the batch: at once, or lane 0 first where the backend would place the
 * other lanes' slices elsewhere (vmap-first-lane.ts). `feeds` are the program's arguments
 * (mapped explicit ones through their {@link laneData} copy where they have one); `tensors`
 * and `axes` the explicit leaves, `hostCopies` their laneData copies (where they were small
 * host data when the call began).
 */
function runLanes(lt: LaneTrace, feeds: readonly Batched[], tensors: readonly tf.Tensor[], axes: readonly (number | null)[],
  hostCopies: readonly (tf.Tensor | undefined)[], size: number, what: string, perLane: (j: number) => boolean): Batched[] {
  const mapped = tensors.filter((_, i) => hostCopies[i] !== undefined);
  // Outside a jit (jit off, under a tape) a captured tensor is a constant of the lane program.
  const whole = [...tensors.filter((_, i) => axes[i] === null), ...lt.captured.map((c) => c.tensor),
    ...lt.program.constants.map((c) => c.tensor), ...lt.states.filter((s) => s.role.kind === 'shared').flatMap((s) => tensorLeaves(s.outer))];
  // Lane 0 also runs apart where it uploads small host data every lane reads whole (captured, a
  // constant, an argument with inAxes null): lane by lane, its kernels that read that data before
  // the upload ran on the CPU forms, the later lanes' on the GPU (fuzz seed 1126877: `minimum(c, b)`
  // before a dead `relu(b)` of a captured b, then `floorDiv` on it: int32 through f32 from lane 1 on).
  const uploadsWhole = lt.uploads.outside || axes.some((a, i) => a === null && lt.uploads.explicit[i] === true);
  if (!(size >= 2 && uploadsWhole) && !firstLaneApart(mapped, whole, size)) return interpretBatched(lt.program, feeds, size, what);
  // Lane 0 reads its slice of the copy taken before anything ran (the lane trace may have uploaded
  // the argument itself); the other lanes slice the arguments themselves, and only after lane 0
  // ran, as lane by lane (a slice of host data is new host data, of GPU data GPU data). Inside a
  // trace they read constants of their own where the function makes one, as each lane makes it anew.
  // Their slices that are still small host data take the batch axis first, as the copies do.
  const own = (k: number): Batched => (k < tensors.length && axes[k] !== null ? { t: tensors[k], axis: axes[k] } : feeds[k]);
  const restOf = (k: number): Batched => {
    const b = lanesOf(own(k), 1, size - 1);
    return hostCopies[k] === undefined || b.axis === 0 || b.axis === null || isOnDevice(b.t) ? b : { t: hostAtFront(b.t, b.axis), axis: 0 };
  };
  const first = interpretBatched(lt.program, feeds.map((f) => lanesOf(f, 0, 1)), 1, what);
  const rest = interpretBatched(lt.program, feeds.map((_, k) => restOf(k)), size - 1, what,
    isTracing() ? freshLaneConstants(lt.program, lt.laneMade) : undefined);
  return first.map((a, j) => joinLanes(a, rest[j], size, placeAt, perLane(j)));
}

/** Per-lane keys for a random state's key and the key the state holds after the call (BrainState splits the same way). */
function splitForLanes(key: tf.Tensor, size: number): { lanes: tf.Tensor; next: tf.Tensor } {
  const two = dispatchKernel(RANDOM_SPLIT, { key }, { num: 2 }) as tf.Tensor;
  const [next, sub] = tf.unstack(two);
  return { lanes: dispatchKernel(RANDOM_SPLIT, { key: sub }, { num: size }) as tf.Tensor, next };
}

/**
 * One vmapped call, run under the current context: inside a trace it records the batched
 * kernels, under a gradient tape the tape sees them, else they run eagerly. `parent` is
 * the enclosing shadow-state context (states are read and written through it) or none.
 */
function runVmap(fn: (...args: unknown[]) => unknown, opts: VmapOptions, c: Compiled, fnName: string, args: unknown[],
  parent: StateObserver | undefined, ownJit: boolean): unknown {
  if (Array.isArray(opts.inAxes) && opts.inAxes.length !== args.length) {
    throw new BatchAxisError(`${fnName}: inAxes has ${opts.inAxes.length} entries but the call passed ${args.length} ` +
      'arguments; give one axis (or null) per argument, or one number for all.');
  }
  const paths = flattenWithPath(args, isTensor, false);
  const [leaves, def] = flatten(args, isTensor);
  let size = opts.axisSize;
  let sizeFrom = size === undefined ? '' : 'axisSize';
  const agree = (n: number, where: string) => {
    if (size === undefined) {
      size = n;
      sizeFrom = where;
    } else if (n !== size) {
      throw new BatchAxisError(`${fnName}: ${where} has ${n} lanes along its mapped axis, but ${sizeFrom} has ${size}; ` +
        'every mapped argument and batched state must have the same size along its mapped axis.');
    }
  };
  // The explicit tensor leaves, their axes, and lane 0 of each to trace with.
  const tensors: tf.Tensor[] = [];
  const axes: (number | null)[] = [];
  const laneLeaves: unknown[] = [];
  const made: tf.Tensor[] = [];
  paths.forEach(({ path, leaf }, i) => {
    const where = `argument ${formatPath(path)}`;
    const axis = axisAt(opts.inAxes === undefined ? 0 : opts.inAxes, path, 'inAxes', fnName);
    if (!isTensor(leaf)) {
      if (axis !== null && typeof leaf === 'number') {
        throw new BatchAxisError(`${fnName}: ${where} is the number ${leaf}, which has no axis to map over; pass it ` +
          'with inAxes null (the same in every lane) or as a tensor with a batch axis.');
      }
      laneLeaves.push(leaves[i]);
      return;
    }
    const t = leaf as tf.Tensor;
    tensors.push(t);
    if (axis === null) {
      axes.push(null);
      laneLeaves.push(t);
      return;
    }
    const a = normalizeAxis(axis, t.rank);
    agree(axisLength(t, a, `${where} (${typeString(t)})`, fnName), `${where} (${typeString(t)})`);
    axes.push(a);
    const lane = laneOf(t, a);
    made.push(lane);
    laneLeaves.push(lane);
  });
  const explicit = laneLeaves.filter(isTensor) as tf.Tensor[];
  // Copies of the small host mapped arguments, taken before the lane trace, whose real run of
  // lane 0 may upload what the function reads whole (a captured argument; inside a jit its trace
  // copy, outside one or under a tape the argument itself): the lanes see them on the host.
  const hostCopies = tensors.map((t, i) => (axes[i] === null ? undefined : laneData(t, axes[i]!)));
  let lt;
  try {
    lt = laneTrace(`vmap(${fnName})`, (copies) => {
      let k = 0;
      const rebuilt = unflatten(def, laneLeaves.map((l) => (isTensor(l) ? copies[k++] : l))) as unknown[];
      return fn(...rebuilt);
    }, explicit, (state, value) => {
      const axis = c.inStateAxis(state);
      if (axis === null || value === undefined) return axis;
      const leavesOf = tensorLeaves(value);
      const n = stateAxisSize(state, leavesOf, axis, fnName);
      if (n !== undefined) agree(n, `state ${state.label()}`);
      return normalizeAxis(axis, leavesOf[0]?.rank ?? 1);
    }, parent);
  } catch (e) {
    for (const t of hostCopies) t?.dispose();
    throw e;
  } finally {
    for (const t of made) t.dispose();
  }
  try {
    if (size === undefined) {
      throw new BatchAxisError(`${fnName}: no argument or state is mapped (every inAxes is null and no inStates was ` +
        'read), so the number of lanes is unknown; pass { axisSize: n }.');
    }
    const B: number = size;
    const pending: PendingWrite[] = [];
    const out = tf.tidy(() => {
      // A result made in this call is returned as it is; one that existed before (an input,
      // a state's value, a constant of the program) or that is returned twice is copied, so
      // each result is a tensor of its own. (Copying every result cost a 104 MB copy per
      // per-example MLP gradient on wasm, where Identity copies.)
      const firstId = tf.scalar(0).id;
      const returned = new Set<number>();
      const own = (t: tf.Tensor): tf.Tensor => {
        if (t.id <= firstId || returned.has(t.id)) return tf.clone(t);
        returned.add(t.id);
        return t;
      };
      const feeds: Batched[] = [];
      tensors.forEach((t, i) => { feeds.push(hostCopies[i] !== undefined ? { t: hostCopies[i]!, axis: 0 } : { t, axis: axes[i] }); });
      const nextKeys = new Map<State<StateValue>, tf.Tensor>();
      for (const s of lt.states) {
        const ls = tensorLeaves(s.outer);
        if (s.role.kind === 'rng') {
          const { lanes, next } = splitForLanes(ls[0], B);
          nextKeys.set(s.state, next);
          s.leaves.forEach((leaf) => { feeds[leaf] = { t: lanes, axis: 0 }; });
        } else {
          const axis = s.role.kind === 'batched' ? s.role.axis : null;
          // A batched state's lanes are slices of it too: rounded copies where they are not contiguous.
          s.leaves.forEach((leaf, k) => {
            feeds[leaf] = axis !== null && lanesCopied(ls[k], axis) ? { t: hostAtFront(ls[k], axis), axis: 0 } : { t: ls[k], axis };
          });
        }
      }
      for (const cap of lt.captured) feeds[cap.leaf] = { t: cap.tensor, axis: null };
      // The result leaves, and the axis outAxes gives each (by path).
      const order = unflatten(lt.outTree, [...Array(lt.numExplicitOut).keys()]);
      const outPaths = flattenWithPath(order, (x) => typeof x === 'number', false);
      const outAxisOf = new Map(outPaths.map(({ path, leaf }) => [leaf as number,
        axisAt(opts.outAxes === undefined ? 0 : opts.outAxes, path, 'outAxes', fnName)]));
      // Where lane 0 runs apart, a result leaf with a batch axis keeps lane 0's value and the other lanes' even where neither is batched.
      const results = runLanes(lt, feeds, tensors, axes, hostCopies, B, `vmap(${fnName})`,
        (j) => j < lt.numExplicitOut && outAxisOf.get(j) !== null);
      const resultLeaves = results.slice(0, lt.numExplicitOut);
      const outs = outPaths.map(({ path, leaf }) => {
        const b = resultLeaves[leaf as number];
        const axis = axisAt(opts.outAxes === undefined ? 0 : opts.outAxes, path, 'outAxes', fnName);
        if (axis === null) {
          if (b.axis !== null) {
            throw new BatchAxisError(`${fnName}: result ${formatPath(path)} differs from lane to lane, but outAxes ` +
              'says it has no batch axis (null); give it an axis in outAxes.');
          }
          return own(b.t);
        }
        return own(asStacked(placeAt(b, axis, B), axis, B));
      });
      // The states written, each as BrainState's vmap treats it.
      let k = lt.numExplicitOut;
      for (const w of lt.written) {
        const vals = results.slice(k, k + w.count);
        k += w.count;
        const next = nextKeys.get(w.state);
        if (next !== undefined) {
          // A random state drew in every lane: it ends holding one new key.
          pending.push({ state: w.state, value: own(next) });
          continue;
        }
        const declared = c.inStateAxis(w.state) ?? c.outStateAxis(w.state);
        const batched = vals.some((b) => b.axis !== null);
        let leavesOut: tf.Tensor[];
        if (declared !== null && (batched || c.inStateAxis(w.state) !== null)) {
          leavesOut = vals.map((b) => own(placeAt(b, declared, B)));
        } else if (batched) {
          throw new BatchAxisError(`${fnName}: state ${w.state.label()} was written with a value that differs from lane ` +
            'to lane, but it is not declared in inStates or outStates, so it has no batch axis to hold them. Declare ' +
            'it in outStates (it then ends holding every lane\'s value along that axis) or inStates (its value already ' +
            'has a batch axis), or write it outside the vmapped function.');
        } else {
          leavesOut = vals.map((b) => own(b.t));
        }
        pending.push({ state: w.state, value: unflatten(w.tree, leavesOut) as StateValue });
      }
      return { outs, writes: pending.map((p) => tensorLeaves(p.value)) } as unknown as tf.TensorContainer;
    }) as unknown as { outs: tf.Tensor[] };
    if (ownJit && pending.some((p) => valueSignature(p.value) !== valueSignature(parent!.read(p.state)))) {
      for (const p of pending) for (const t of tensorLeaves(p.value)) t.dispose();
      for (const t of out.outs) t.dispose();
      throw new NeedsEager();
    }
    for (const p of pending) {
      if (parent !== undefined) parent.write(p.state, p.value);
      else p.state.setRaw(p.value);
    }
    return unflatten(lt.outTree, out.outs);
  } finally {
    for (const t of hostCopies) t?.dispose();
    disposeProgram(lt.program);
  }
}

/**
 * Vectorizes `fn`: the returned function takes inputs with an extra batch axis and
 * returns results with one, as if `fn` ran on each lane separately (JAX's `vmap`), with
 * BrainState's treatment of states:
 *
 * - a state in `inStates` holds a batch axis; each lane reads and writes its own slice;
 * - a state in `outStates` ends holding every lane's written value along its axis;
 * - any other state is the same in every lane; writing it a value that differs between
 *   lanes is a {@link BatchAxisError} naming it (writing the same value is allowed);
 * - a random state (`random.RandomState`, the default generator) gives each lane a key
 *   of its own split off its key, so lanes draw different numbers, and it ends holding
 *   one new key (the next call draws new numbers; seeding makes it reproducible).
 *
 * The function is traced once per signature on one lane, and each kernel is batched by
 * its rule in the kernel table (a kernel without one is an error naming it). Inside
 * `jit` the batched kernels are part of the jit's program (`jit(vmap(f))` traces once);
 * outside, vmap compiles its own program per signature. It composes with `grad`
 * (`vmap(grad(f))`: per-example gradients), loops and branches (a branch on a batched
 * predicate runs both sides and selects per lane), and itself (nested vmap).
 *
 * @param fn the function; its arguments are trees of tensors.
 * @param opts `inAxes`, `outAxes`, `inStates`, `outStates`, `axisSize`, `name`.
 * @throws BatchAxisError for mapped axes of different sizes (naming the arguments or
 *   states), an axis out of range, an unknown number of lanes, or a state written per
 *   lane without a batch axis. A call that throws leaves every state as it was.
 * @returns the vectorized function.
 * @example
 * ```ts
 * const w = tf.randomNormal([3, 2]);
 * const layer = (x: tf.Tensor) => tf.relu(tf.matMul(tf.reshape(x, [1, 3]), w));
 * const batched = bst.transform.vmap(layer);            // x: [8, 3] → [8, 1, 2]
 * batched(tf.randomNormal([8, 3])).print();
 * const perExample = bst.transform.vmap((x: tf.Tensor, y: tf.Tensor) => tf.dot(x, y), { inAxes: [0, null] });
 * perExample(tf.ones([4, 3]), tf.ones([3])).print();    // [3, 3, 3, 3]
 * ```
 */
export function vmap<F extends (...args: never[]) => unknown>(fn: F, opts: VmapOptions = {}): VmappedFunction<F> {
  const fnName = `vmap(${opts.name ?? (fn.name || 'anonymous')})`;
  checkAxisSize(opts.axisSize, fnName);
  const inStateAxis = compileStates(opts.inStates, fnName, 'inStates');
  const outOnly = compileStates(opts.outStates, fnName, 'outStates');
  const outStateAxis: StateAxisOf = (s) => {
    const i = inStateAxis(s);
    const o = outOnly(s);
    if (i !== null && o !== null && i !== o) {
      throw new BatchAxisError(`${fnName}: state ${s.label()} is mapped to axis ${i} in inStates but to axis ${o} in ` +
        'outStates; a state keeps its batch axis.');
    }
    return i ?? o;
  };
  const c: Compiled = { inStateAxis, outStateAxis };
  const f = fn as unknown as (...args: unknown[]) => unknown;
  let eagerOnly = false;
  const core = new JitCore((...args: unknown[]) => runVmap(f, opts, c, fnName, args, currentObserver(), true),
    { name: fnName }, undefined, defaultLabeler());
  const vmapped = ((...args: unknown[]) => {
    if (isTracing() || isTapeOn() || isJitDisabled() || eagerOnly) return runVmap(f, opts, c, fnName, args, currentObserver(), false);
    try {
      return core.call(args);
    } catch (e) {
      if (!(e instanceof NeedsEager)) throw e;
      // A state gains its batch axis (outStates): a compiled program keeps state shapes, so this function runs uncompiled.
      eagerOnly = true;
      core.clearCache();
      return runVmap(f, opts, c, fnName, args, currentObserver(), false);
    }
  }) as unknown as VmappedFunction<F>;
  const callAsync = async (...args: unknown[]): Promise<unknown> => {
    if (isTracing() || isTapeOn() || isJitDisabled() || eagerOnly) return runVmap(f, opts, c, fnName, args, currentObserver(), false);
    try {
      return await core.callAsync(args);
    } catch (e) {
      if (!(e instanceof NeedsEager)) throw e;
      eagerOnly = true;
      core.clearCache();
      return runVmap(f, opts, c, fnName, args, currentObserver(), false);
    }
  };
  Object.defineProperties(vmapped, {
    originFun: { value: fn }, name: { value: fnName }, traceCount: { get: () => core.traceCount }, callAsync: { value: callAsync },
  });
  return vmapped;
}

