/**
 * Control-flow nodes for runs that await their predicates (`jitted.callAsync` on webgpu):
 * a while loop or a branch whose predicate lives on the GPU is read back asynchronously
 * between the segments of work around it, instead of synchronously (which webgpu in Node
 * cannot do, and which stalls a browser page). A predicate already on the host is read
 * at once; a scan (`forLoop`) has a static trip count and reads nothing. Sub-programs
 * (loop bodies, branches) run through their own asynchronous form, so a loop inside a
 * branch inside a scan waits where it must and nowhere else.
 *
 * The steps are those of the synchronous kernels in ./control.ts (both drive the
 * generators of ./control-steps.ts), so the results are the same, step for step.
 */
import { readFirst, TensorInfo } from '../backend/tfjs-engine';
import type { ControlSpec, Program, ValueType } from './ir';
import { condSteps, ControlSteps, scanSteps, StepsOf, whileSteps } from './control-steps';

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
      // Row 0 of each residual (ScanSpec.residualFirstRows) is one step's carry.
      const firsts = spec.residualFirstRows === true ? body.slice(body.length - (spec.residualYs ?? 0)) : [];
      // And row 0 of each x as its step found it, in a loop of one step or more.
      const firstXs = spec.residualFirstRows === true && spec.length > 0 ? inputs.slice(nC, nC + spec.xArgs.length).map((t) => ({ shape: t.shape.slice(1), dtype: t.dtype })) : [];
      // The invariants as the loop leaves them, as it finds them, and the step each is device data from (ScanSpec.residualInvariants).
      // Then the xs as it finds them and the step each is device data from.
      const inv = inputs.slice(nC + spec.xArgs.length).map((t) => ({ shape: [...t.shape], dtype: t.dtype }));
      const xs = inputs.slice(nC, nC + spec.xArgs.length).map((t) => ({ shape: [...t.shape], dtype: t.dtype }));
      const invariants = spec.residualInvariants === true ? [...inv, ...inv, { shape: [inv.length], dtype: 'int32' as const },
        ...xs, { shape: [xs.length], dtype: 'int32' as const }] : [];
      return [...body.slice(0, nC), ...body.slice(nC).map((t) => ({ shape: [spec.length, ...t.shape], dtype: t.dtype })), ...firsts,
        ...firstXs, ...invariants];
    }
  }
}

/** Runs `sub` on `args`, awaiting only when it may have to. */
function run(sub: AsyncSub, args: readonly TensorInfo[]): TensorInfo[] | Promise<TensorInfo[]> {
  return sub.awaitsPredicates ? sub.executeAsync(args) : sub.execute(args);
}

/** Runs `steps` to the end, awaiting each need. */
async function drive(steps: ControlSteps<AsyncSub>): Promise<TensorInfo[]> {
  let next = steps.next();
  while (next.done !== true) {
    const need = next.value;
    let answer: TensorInfo[] | number;
    try {
      answer = need.kind === 'run' ? await run(need.sub, need.args) : await readFirst(need.value);
    } catch (e) {
      next = steps.throw(e); // the steps clean up (and rethrow)
      continue;
    }
    next = steps.next(answer);
  }
  return next.value;
}

/** The awaiting kernel of a control node (its sub-programs compiled through `compile`). */
export function asyncControlKernel(spec: ControlSpec, backendName: string, compile: CompileAsyncSub): AsyncControlKernel {
  const steps = ((): StepsOf<AsyncSub> => {
    switch (spec.kind) {
      case 'scan':
        return scanSteps(spec, backendName, compile(spec.body));
      case 'while':
        return whileSteps(spec, compile(spec.cond), compile(spec.body));
      case 'cond':
        return condSteps(spec, spec.branches.map((b) => compile(b)));
    }
  })();
  return (ins) => drive(steps(ins));
}
