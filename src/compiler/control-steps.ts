/**
 * The steps of the control-flow nodes, written once for both ways of running them: a
 * scan, while loop or cond is a generator that yields what it needs from outside (run a
 * compiled sub-program, read a predicate on the host) and gets the answer back. The
 * synchronous kernels (./control.ts) answer at once; the awaiting ones (./control-async.ts,
 * `jitted.callAsync` on webgpu) answer after awaiting the GPU. So the two cannot drift
 * apart: one body decides the order of the steps, the reversal of a reverse scan, the
 * carries' ownership and the clean-up after an error.
 */
import { currentBackend, disposeInfo, hostDataCopy, hostInt32s, incRef, isOnDevice, KernelFunc, lookupKernel, readHostInt32s,
  TensorInfo } from '../backend/tfjs-engine';
import { hostMemory } from '../backend/targets';
import { InternalError } from '../errors';
import type { CondSpec, ScanSpec, WhileSpec } from './ir';

/** What a control node's steps need from the driver: a sub-program run, or a predicate read. */
export type ControlNeed<S> =
  | { readonly kind: 'run'; readonly sub: S; readonly args: readonly TensorInfo[] }
  | { readonly kind: 'read'; readonly value: TensorInfo };

/** The steps of one run of a control node: yields needs, gets back results or read numbers. */
export type ControlSteps<S> = Generator<ControlNeed<S>, TensorInfo[], TensorInfo[] | number>;

/** A control node's steps, given its (already compiled) sub-programs and its inputs. */
export type StepsOf<S> = (ins: readonly TensorInfo[]) => ControlSteps<S>;

function* runSub<S>(sub: S, args: readonly TensorInfo[]): Generator<ControlNeed<S>, TensorInfo[], TensorInfo[] | number> {
  return (yield { kind: 'run', sub, args }) as TensorInfo[];
}

/** The first element of `value`, read on the host; `value` is disposed whatever happens. */
function* readAndDispose<S>(value: TensorInfo): Generator<ControlNeed<S>, number, TensorInfo[] | number> {
  try {
    return (yield { kind: 'read', value }) as number;
  } finally {
    disposeInfo(value);
  }
}

function kernelOrThrow(name: string, backendName: string): KernelFunc {
  const k = lookupKernel(name, backendName);
  if (k === undefined) throw new InternalError(`kernel '${name}' is not registered for backend '${backendName}'`);
  return k;
}

/** A new reference to `t` (an input handed out as an output). */
function shared(t: TensorInfo): TensorInfo {
  incRef(t);
  return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
}

/** A scan stepped row by row: the body run once per step, its ys stacked at the end. */
export function scanSteps<S>(spec: ScanSpec, backendName: string, body: S): StepsOf<S> {
  const slice = kernelOrThrow('Slice', backendName);
  const reshape = kernelOrThrow('Reshape', backendName);
  const pack = kernelOrThrow('Pack', backendName);
  const direct = hostMemory(backendName)?.rows;
  const nC = spec.carryArgs.length;
  const nX = spec.xArgs.length;
  const argCount = spec.body.inputs.length;
  const plain = (t: TensorInfo) => direct !== undefined && t.dtype !== 'string' && t.dtype !== 'complex64';
  return function* (ins) {
    const backend = currentBackend();
    const xs = ins.slice(nC, nC + nX);
    const args: TensorInfo[] = new Array(argCount);
    spec.invariantArgs.forEach((a, k) => { args[a] = ins[nC + nX + k]; });
    let carry = ins.slice(0, nC);
    let ownCarry = false;
    const ys: TensorInfo[][] = Array.from({ length: spec.numYs }, () => []);
    // Row 0 of the residuals as the loop starts (a gradient's backward step of row 0 recomputes the body on it):
    // a copy of each initial carry still on the host, since a kernel of the loop may upload the carry itself.
    const firsts = spec.residualFirstRows === true ? ins.slice(0, nC).map((t) => hostDataCopy(t) ?? shared(t)) : [];
    // And row 0 of each x as the step that read it found it (a host copy of that step's slice while host data,
    // since a kernel of the step may upload the slice itself): the backward step of row 0 recomputes the step on
    // it, as eager's step ran, not on a slice taken after kernels that may have uploaded the xs (fuzz seed
    // 8403049: the xs were the initial carry's data, which step 0's `pow` uploaded after its `exp`).
    const firstXs: TensorInfo[] = [];
    // And each invariant as the loop finds it (a host copy while host data) and the first step at whose start
    // it is device data (ScanSpec.residualInvariants): a kernel of the loop may upload it, and the backward
    // steps of the rows before that step recompute on it as those forward steps found it (fuzz seed 8403049).
    // So does each x: a step slices its row from the xs as it finds them.
    const invIn = ins.slice(nC + nX);
    const foundInv = spec.residualInvariants === true ? invIn.map((t) => hostDataCopy(t) ?? shared(t)) : [];
    const foundXs = spec.residualInvariants === true ? xs.map((t) => hostDataCopy(t) ?? shared(t)) : [];
    const deviceFrom = foundInv.map(() => spec.length);
    const xsDeviceFrom = foundXs.map(() => spec.length);
    // A backward scan reads such an invariant, for the rows before that step, as a new host copy of the
    // forward loop's (ScanSpec.foundInvariants): new at each step, since the step's kernels may upload it;
    // and slices the row of such an x from the forward loop's copy (ScanSpec.foundXs).
    const per = spec.foundInvariants;
    const fromStep = per === undefined ? [] : readHostInt32s(ins[per.from]) ?? per.args.map(() => 0);
    const perX = spec.foundXs;
    const xFromStep = perX === undefined ? [] : readHostInt32s(ins[perX.from]) ?? perX.args.map(() => 0);
    const xFound = new Map(perX?.args.map((a, q) => [a, q]) ?? []);
    const row = (x: TensorInfo, i: number): TensorInfo => {
      if (plain(x)) return direct!.row(x, i);
      const rest = x.shape.slice(1);
      const one = slice({ inputs: { x }, backend, attrs: { begin: [i, ...rest.map(() => 0)], size: [1, ...rest] } }) as TensorInfo;
      const r = reshape({ inputs: { x: one }, backend, attrs: { shape: rest } }) as TensorInfo;
      disposeInfo(one);
      return r;
    };
    try {
      for (let step = 0; step < spec.length; step++) {
        const i = spec.reverse === true ? spec.length - 1 - step : step;
        xsDeviceFrom.forEach((from, k) => { if (from === spec.length && isOnDevice(xs[k])) xsDeviceFrom[k] = step; });
        const slices = xs.map((x, k) => {
          const first = i === 0 ? spec.firstRows?.[k] ?? -1 : -1;
          const q = xFound.get(k);
          return first >= 0 ? shared(ins[first]) : q !== undefined && i < xFromStep[q] ? row(ins[perX!.found + q], i) : row(x, i);
        });
        slices.forEach((t, k) => { args[spec.xArgs[k]] = t; });
        deviceFrom.forEach((from, q) => { if (from === spec.length && isOnDevice(invIn[q])) deviceFrom[q] = step; });
        const copies = per === undefined ? [] : per.args.map((a, q) => {
          const copy = i < fromStep[q] ? hostDataCopy(ins[per.found + q]) : undefined;
          args[spec.invariantArgs[a]] = copy ?? ins[nC + nX + a];
          return copy;
        });
        if (spec.residualFirstRows === true && i === 0) slices.forEach((t) => firstXs.push(hostDataCopy(t) ?? shared(t)));
        carry.forEach((t, k) => { args[spec.carryArgs[k]] = t; });
        let out: TensorInfo[];
        try {
          out = yield* runSub(body, args);
        } finally {
          slices.forEach(disposeInfo);
          copies.forEach((t) => { if (t !== undefined) disposeInfo(t); });
        }
        if (ownCarry) carry.forEach(disposeInfo);
        carry = out.slice(0, nC);
        ownCarry = true;
        for (let j = 0; j < spec.numYs; j++) ys[j].push(out[nC + j]);
        if (spec.progress !== undefined && ((step + 1) % spec.progress.every === 0 || step + 1 === spec.length)) {
          spec.progress.tick(step + 1, spec.length);
        }
      }
      // A reverse scan made its ys last row first: stack them in row order.
      if (spec.reverse === true) ys.forEach((list) => list.reverse());
      const firstResidual = spec.numYs - (spec.residualYs ?? 0);
      const outside = new Set(ins.map((t) => t.dataId));
      const stacked = ys.map((list, j) => {
        // Eager's tape has no stack of residuals: tfjs's Pack of them must upload no data from outside
        // the loop (row 0 is the initial carry, a carry may be passed through). Fuzz seed 1218630: it
        // uploaded the initial carry, an argument, so the backward step of row 0 cast Infinity to int32 on
        // the GPU (2147483647) where eager's tape, on the argument still on the host, got 0.
        if (j >= firstResidual && !plain(list[0])) {
          list.forEach((t, r) => {
            const copy = outside.has(t.dataId) ? hostDataCopy(t) : undefined;
            if (copy !== undefined) { disposeInfo(t); list[r] = copy; }
          });
        }
        const t = plain(list[0]) ? direct!.stack(list, j >= firstResidual)
          : pack({ inputs: list, backend, attrs: { axis: 0 } }) as TensorInfo;
        list.forEach(disposeInfo);
        list.length = 0;
        return t;
      });
      // The invariants as the loop leaves them (a gradient's backward steps recompute the body on them): a
      // host copy of each one still on the host, since a later kernel (a backward step's) may upload it.
      const invariants = spec.residualInvariants === true ? [...invIn.map((t) => hostDataCopy(t) ?? shared(t)), ...foundInv,
        hostInt32s(deviceFrom), ...foundXs, hostInt32s(xsDeviceFrom)] : [];
      return [...(ownCarry ? carry : carry.map(shared)), ...stacked, ...firsts, ...firstXs, ...invariants];
    } catch (e) {
      if (ownCarry) carry.forEach(disposeInfo);
      ys.forEach((list) => list.forEach(disposeInfo));
      firsts.forEach(disposeInfo);
      firstXs.forEach(disposeInfo);
      foundInv.forEach(disposeInfo);
      foundXs.forEach(disposeInfo);
      throw e;
    }
  };
}

/** A while loop: the predicate program, read on the host, then the body, until it reads 0. */
export function whileSteps<S>(spec: WhileSpec, cond: S, body: S): StepsOf<S> {
  const nC = spec.bodyCarryArgs.length;
  const nCI = spec.condInvariantArgs.length;
  return function* (ins) {
    const condArgs: TensorInfo[] = new Array(spec.cond.inputs.length);
    const bodyArgs: TensorInfo[] = new Array(spec.body.inputs.length);
    spec.condInvariantArgs.forEach((a, k) => { condArgs[a] = ins[nC + k]; });
    spec.bodyInvariantArgs.forEach((a, k) => { bodyArgs[a] = ins[nC + nCI + k]; });
    let carry = ins.slice(0, nC);
    let ownCarry = false;
    try {
      for (;;) {
        carry.forEach((t, k) => {
          if (spec.condCarryArgs[k] >= 0) condArgs[spec.condCarryArgs[k]] = t;
          if (spec.bodyCarryArgs[k] >= 0) bodyArgs[spec.bodyCarryArgs[k]] = t;
        });
        const [p] = yield* runSub(cond, condArgs);
        if ((yield* readAndDispose<S>(p)) === 0) break;
        const next = yield* runSub(body, bodyArgs);
        if (ownCarry) carry.forEach(disposeInfo);
        carry = next;
        ownCarry = true;
      }
      return ownCarry ? carry : carry.map(shared);
    } catch (e) {
      if (ownCarry) carry.forEach(disposeInfo);
      throw e;
    }
  };
}

/** A cond (or switch): the index read on the host, then that branch. */
export function condSteps<S>(spec: CondSpec, branches: readonly S[]): StepsOf<S> {
  return function* (ins) {
    const [index, ...args] = ins;
    const read = (yield { kind: 'read', value: index }) as number;
    spec.check?.(read);
    // Clamped to the branch range, as JAX's lax.switch (a bool reads 0 or 1).
    const k = Math.min(Math.max(Math.trunc(read), 0), branches.length - 1);
    return yield* runSub(branches[k], args);
  };
}
