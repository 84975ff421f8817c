/**
 * Control-flow nodes for runs that await their predicates (`jitted.callAsync` on webgpu):
 * a while loop or a branch whose predicate lives on the GPU is read back asynchronously
 * between the segments of work around it, instead of synchronously (which webgpu in Node
 * cannot do, and which stalls a browser page). A predicate already on the host is read
 * at once; a scan (`forLoop`) has a static trip count and reads nothing. Sub-programs
 * (loop bodies, branches) run through their own asynchronous form, so a loop inside a
 * branch inside a scan waits where it must and nowhere else.
 *
 * Results are those of the synchronous kernels in ./control.ts, step for step.
 */
import {
  currentBackend, disposeInfo, incRef, KernelFunc, lookupKernel, readFirst, TensorInfo,
} from '../backend/tfjs-engine';
import { hostMemory } from '../backend/targets';
import { InternalError } from '../errors';
import type { CondSpec, ControlSpec, Program, ScanSpec, ValueType, WhileSpec } from './ir';

/** A compiled sub-program that can run synchronously or awaiting its predicates. */
export interface AsyncSub {
  execute(args: readonly TensorInfo[]): TensorInfo[];
  executeAsync(args: readonly TensorInfo[]): Promise<TensorInfo[]>;
  /** Whether running it may have to wait for a predicate (it holds a while loop or a branch). */
  readonly awaitsPredicates: boolean;
}

/** Compiles a sub-program for the same backend (the executable's constructor, passed in). */
export type CompileAsyncSub = (program: Program) => AsyncSub;

/** A control node's kernel in its awaiting form. */
export type AsyncControlKernel = (inputs: TensorInfo[]) => Promise<TensorInfo[]>;

/** Whether a node of this spec may have to wait for a predicate when it runs. */
export function controlAwaits(spec: ControlSpec): boolean {
  if (spec.kind !== 'scan') return true;
  return spec.body.nodes.some((n) => n.control !== undefined && controlAwaits(n.control));
}

/** The types of what `execute` returns for `p`: its value results, then its state writes. */
export function resultTypes(p: Program): ValueType[] {
  const types: ValueType[] = [];
  for (const o of p.outputs) if (o.kind === 'value') types.push(p.values[o.value]);
  for (const w of p.writes) for (const v of w.values) types.push(p.values[v]);
  return types;
}

/** The types a control node returns, given the types of its inputs. */
export function controlResultTypes(spec: ControlSpec, inputs: readonly ValueType[]): ValueType[] {
  switch (spec.kind) {
    case 'while':
      return inputs.slice(0, spec.bodyCarryArgs.length).map((t) => ({ shape: [...t.shape], dtype: t.dtype }));
    case 'cond':
      return resultTypes(spec.branches[0]);
    case 'scan': {
      const body = resultTypes(spec.body);
      const nC = spec.carryArgs.length;
      return [...body.slice(0, nC), ...body.slice(nC).map((t) => ({ shape: [spec.length, ...t.shape], dtype: t.dtype }))];
    }
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

/** Runs `sub` on `args`, awaiting only when it may have to. */
function run(sub: AsyncSub, args: readonly TensorInfo[]): TensorInfo[] | Promise<TensorInfo[]> {
  return sub.awaitsPredicates ? sub.executeAsync(args) : sub.execute(args);
}

/** The awaiting kernel of a control node (its sub-programs compiled through `compile`). */
export function asyncControlKernel(spec: ControlSpec, backendName: string, compile: CompileAsyncSub): AsyncControlKernel {
  switch (spec.kind) {
    case 'scan':
      return asyncScan(spec, backendName, compile);
    case 'while':
      return asyncWhile(spec, compile);
    case 'cond':
      return asyncCond(spec, compile);
  }
}

function asyncScan(spec: ScanSpec, backendName: string, compile: CompileAsyncSub): AsyncControlKernel {
  const body = compile(spec.body);
  const slice = kernelOrThrow('Slice', backendName);
  const reshape = kernelOrThrow('Reshape', backendName);
  const pack = kernelOrThrow('Pack', backendName);
  const direct = hostMemory(backendName)?.rows;
  const nC = spec.carryArgs.length;
  const nX = spec.xArgs.length;
  const plain = (t: TensorInfo) => direct !== undefined && t.dtype !== 'string' && t.dtype !== 'complex64';
  return async (ins) => {
    const backend = currentBackend();
    const xs = ins.slice(nC, nC + nX);
    const args: TensorInfo[] = new Array(spec.body.inputs.length);
    spec.invariantArgs.forEach((a, k) => { args[a] = ins[nC + nX + k]; });
    let carry = ins.slice(0, nC);
    let ownCarry = false;
    const ys: TensorInfo[][] = Array.from({ length: spec.numYs }, () => []);
    const row = (x: TensorInfo, i: number): TensorInfo => {
      if (plain(x)) return direct!.row(x, i);
      const rest = x.shape.slice(1);
      const one = slice({ inputs: { x }, backend, attrs: { begin: [i, ...rest.map(() => 0)], size: [1, ...rest] } }) as TensorInfo;
      const r = reshape({ inputs: { x: one }, backend, attrs: { shape: rest } }) as TensorInfo;
      disposeInfo(one);
      return r;
    };
    try {
      for (let i = 0; i < spec.length; i++) {
        const slices = xs.map((x) => row(x, i));
        slices.forEach((t, k) => { args[spec.xArgs[k]] = t; });
        carry.forEach((t, k) => { args[spec.carryArgs[k]] = t; });
        let out: TensorInfo[];
        try {
          out = await run(body, args);
        } finally {
          slices.forEach(disposeInfo);
        }
        if (ownCarry) carry.forEach(disposeInfo);
        carry = out.slice(0, nC);
        ownCarry = true;
        for (let j = 0; j < spec.numYs; j++) ys[j].push(out[nC + j]);
        if (spec.progress !== undefined && ((i + 1) % spec.progress.every === 0 || i + 1 === spec.length)) {
          spec.progress.tick(i + 1, spec.length);
        }
      }
      const stacked = ys.map((list) => {
        const t = plain(list[0]) ? direct!.stack(list) : pack({ inputs: list, backend, attrs: { axis: 0 } }) as TensorInfo;
        list.forEach(disposeInfo);
        list.length = 0;
        return t;
      });
      return [...(ownCarry ? carry : carry.map(shared)), ...stacked];
    } catch (e) {
      if (ownCarry) carry.forEach(disposeInfo);
      ys.forEach((list) => list.forEach(disposeInfo));
      throw e;
    }
  };
}

function asyncWhile(spec: WhileSpec, compile: CompileAsyncSub): AsyncControlKernel {
  const cond = compile(spec.cond);
  const body = compile(spec.body);
  const nC = spec.bodyCarryArgs.length;
  const nCI = spec.condInvariantArgs.length;
  return async (ins) => {
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
        const [p] = await run(cond, condArgs);
        let go: number;
        try {
          go = await readFirst(p);
        } finally {
          disposeInfo(p);
        }
        if (go === 0) break;
        const next = await run(body, bodyArgs);
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

function asyncCond(spec: CondSpec, compile: CompileAsyncSub): AsyncControlKernel {
  const branches = spec.branches.map((b) => compile(b));
  return async (ins) => {
    const [index, ...args] = ins;
    // Clamped to the branch range, as JAX's lax.switch (a bool reads 0 or 1).
    const k = Math.min(Math.max(Math.trunc(await readFirst(index)), 0), branches.length - 1);
    return run(branches[k], args);
  };
}
