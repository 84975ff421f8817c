/**
 * Running control-flow nodes: a scan or while loop runs its compiled body step after
 * step on tensor infos (no signature check, no op dispatch per step), carrying values
 * from one step to the next; a cond (or switch) runs one of its compiled branches.
 * The steps themselves are in ./control-steps.ts (shared with the awaiting kernels of
 * ./control-async.ts); here they are driven synchronously.
 */
import { KernelFunc, readScalar, TensorInfo } from '../backend/tfjs-engine';
import type { ControlSpec, Program, ScanSpec } from './ir';
import { loopKernelFor } from './fusion/loop-kernel';
import { condSteps, ControlSteps, scanSteps, StepsOf, whileSteps } from './control-steps';

/** Compiles a sub-program (a loop body, a branch) for the same backend: the executable's constructor, passed in. */
export type CompileSub = (program: Program) => { execute(args: readonly TensorInfo[]): TensorInfo[] };

type Sub = ReturnType<CompileSub>;

/** The kernel function of a control node. */
export function controlKernel(spec: ControlSpec, backendName: string, compile: CompileSub): KernelFunc {
  switch (spec.kind) {
    case 'scan':
      return scanKernel(spec, backendName, compile);
    case 'while':
      return driven(whileSteps(spec, compile(spec.cond), compile(spec.body)));
    case 'cond':
      return driven(condSteps(spec, spec.branches.map((b) => compile(b))));
  }
}

/** Runs `steps` to the end, answering each need at once. */
function drive(steps: ControlSteps<Sub>): TensorInfo[] {
  let next = steps.next();
  while (next.done !== true) {
    const need = next.value;
    let answer: TensorInfo[] | number;
    try {
      answer = need.kind === 'run' ? need.sub.execute(need.args) : readScalar(need.value);
    } catch (e) {
      next = steps.throw(e); // the steps clean up (and rethrow)
      continue;
    }
    next = steps.next(answer);
  }
  return next.value;
}

/** A kernel function running `steps` synchronously. */
function driven(steps: StepsOf<Sub>): KernelFunc {
  return ({ inputs }) => drive(steps(inputs as TensorInfo[]));
}

/** A scan: one whole-loop kernel where the body allows (fusion/loop-kernel.ts), else step by step. */
function scanKernel(spec: ScanSpec, backendName: string, compile: CompileSub): KernelFunc {
  const stepwise = driven(scanSteps(spec, backendName, compile(spec.body)));
  return loopKernelFor(spec, backendName, stepwise) ?? stepwise;
}
