/**
 * Running control-flow nodes: a scan or while loop runs its compiled body step after
 * step on tensor infos (no signature check, no op dispatch per step), carrying values
 * from one step to the next; a cond (or switch) runs one of its compiled branches.
 */
import {
  disposeInfo, KernelFunc, lookupKernel, readScalar, TensorInfo, currentBackend, incRef,
} from '../backend/tfjs-engine';
import { InternalError } from '../errors';
import type { CondSpec, ControlSpec, Program, ScanSpec, WhileSpec } from './ir';
import { hostMemory } from '../backend/targets';
import { loopKernelFor } from './fusion/loop-kernel';

function kernelOrThrow(name: string, backendName: string): KernelFunc {
  const k = lookupKernel(name, backendName);
  if (k === undefined) throw new InternalError(`kernel '${name}' is not registered for backend '${backendName}'`);
  return k;
}

/** The kernel function of a control node. */
/** Compiles a sub-program (a loop body, a branch) for the same backend: the executable's constructor, passed in. */
export type CompileSub = (program: Program) => { execute(args: readonly TensorInfo[]): TensorInfo[] };

export function controlKernel(spec: ControlSpec, backendName: string, compile: CompileSub): KernelFunc {
  switch (spec.kind) {
    case 'scan':
      return scanKernel(spec, backendName, compile);
    case 'while':
      return whileKernel(spec, backendName, compile);
    case 'cond':
      return condKernel(spec, backendName, compile);
  }
}

/** A new reference to `t` (an input handed out as an output). */
function shared(t: TensorInfo): TensorInfo {
  incRef(t);
  return { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
}

/** A scan: one whole-loop kernel where the body allows (fusion/loop-kernel.ts), else step by step. */
function scanKernel(spec: ScanSpec, backendName: string, compile: CompileSub): KernelFunc {
  const stepwise = stepwiseScanKernel(spec, backendName, compile);
  return loopKernelFor(spec, backendName, stepwise) ?? stepwise;
}

function stepwiseScanKernel(spec: ScanSpec, backendName: string, compile: CompileSub): KernelFunc {
  const body = compile(spec.body);
  const slice = kernelOrThrow('Slice', backendName);
  const reshape = kernelOrThrow('Reshape', backendName);
  const pack = kernelOrThrow('Pack', backendName);
  const direct = hostMemory(backendName)?.rows;
  const nC = spec.carryArgs.length;
  const nX = spec.xArgs.length;
  const argCount = spec.body.inputs.length;
  return ({ inputs }) => {
    const ins = inputs as TensorInfo[];
    const backend = currentBackend();
    const xs = ins.slice(nC, nC + nX);
    const args: TensorInfo[] = new Array(argCount);
    spec.invariantArgs.forEach((a, k) => { args[a] = ins[nC + nX + k]; });
    let carry = ins.slice(0, nC);
    let ownCarry = false;
    const ys: TensorInfo[][] = Array.from({ length: spec.numYs }, () => []);
    const rows = (x: TensorInfo, i: number): TensorInfo => {
      if (direct !== undefined && x.dtype !== 'string' && x.dtype !== 'complex64') return direct.row(x, i);
      const rest = x.shape.slice(1);
      const one = slice({ inputs: { x }, backend, attrs: { begin: [i, ...rest.map(() => 0)], size: [1, ...rest] } }) as TensorInfo;
      const row = reshape({ inputs: { x: one }, backend, attrs: { shape: rest } }) as TensorInfo;
      disposeInfo(one);
      return row;
    };
    try {
      for (let step = 0; step < spec.length; step++) {
        const i = spec.reverse === true ? spec.length - 1 - step : step;
        const slices = xs.map((x) => rows(x, i));
        slices.forEach((t, k) => { args[spec.xArgs[k]] = t; });
        carry.forEach((t, k) => { args[spec.carryArgs[k]] = t; });
        let out: TensorInfo[];
        try {
          out = body.execute(args);
        } finally {
          slices.forEach(disposeInfo);
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
      const stacked = ys.map((list) => {
        const t = direct !== undefined && list[0].dtype !== 'string' && list[0].dtype !== 'complex64'
          ? direct.stack(list) : pack({ inputs: list, backend, attrs: { axis: 0 } }) as TensorInfo;
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

function whileKernel(spec: WhileSpec, backendName: string, compile: CompileSub): KernelFunc {
  const cond = compile(spec.cond);
  const body = compile(spec.body);
  const nC = spec.bodyCarryArgs.length;
  const nCI = spec.condInvariantArgs.length;
  return ({ inputs }) => {
    const ins = inputs as TensorInfo[];
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
        const [p] = cond.execute(condArgs);
        const go = readScalar(p) !== 0;
        disposeInfo(p);
        if (!go) break;
        const next = body.execute(bodyArgs);
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

function condKernel(spec: CondSpec, backendName: string, compile: CompileSub): KernelFunc {
  const branches = spec.branches.map((b) => compile(b));
  return ({ inputs }) => {
    const [index, ...args] = inputs as TensorInfo[];
    // Clamped to the branch range, as JAX's lax.switch (a bool reads 0 or 1).
    const k = Math.min(Math.max(Math.trunc(readScalar(index)), 0), branches.length - 1);
    return branches[k].execute(args);
  };
}
