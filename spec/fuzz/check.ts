/**
 * The differential check: one stateful function run eagerly and under `transform.jit`
 * in several compiler configurations, from the same initial states, over the same calls
 * (the first jitted call traces, the others replay on new arguments). Outputs and state
 * values after every call must agree with eager tfjs; each jitted function must trace
 * once; and replays must leave `tf.memory()` flat.
 *
 * Tolerance policy, by value class:
 * - exact (the default): int32 and bool equal, float32 equal bit for bit (NaN as NaN,
 *   the sign of zero included). Fused kernels reproduce their backend's kernels exactly.
 * - approx: a value downstream of a kernel the jit replaces by an equivalent one that
 *   sums in another order (on wasm, a matMul with a transposed operand runs as a
 *   Transpose and a plain matMul): |a - b| <= 1e-4 (1 + max |value|), with NaN and the
 *   infinities in the same places. The generator gives such values only to continuous
 *   ops, so a last-bit difference cannot flip a comparison or a floor.
 */
import * as tf from '@tensorflow/tfjs';
import { withLaneReference } from './program';
import * as bst from '../../src';
import { CompilerOptions, withCompilerOptions } from '../../src/compiler/options';

/** One stateful function and its calls. */
export interface DiffCase {
  readonly calls: number;
  makeStates(): bst.State<tf.Tensor>[];
  makeFn(states: readonly bst.State<tf.Tensor>[]): (...args: tf.Tensor[]) => tf.Tensor[];
  /** The arguments of call `c` (tensors it makes go in `made`, for the checker to dispose). */
  args(c: number, states: readonly bst.State<tf.Tensor>[], made: tf.Tensor[]): tf.Tensor[];
  /** Outputs and states compared with the approx tolerance (see above). */
  readonly approxOutputs?: readonly number[];
  readonly approxStates?: readonly number[];
}

/** A jit configuration compared against eager. */
export interface JitVariant {
  readonly name: string;
  readonly options: Partial<CompilerOptions>;
}

/**
 * Every variant sets every compiler switch, so the environment (`BRAINSTATE_SIMD`...) never
 * leaks into a variant: a "SIMD off" run is SIMD off in all its variants, loops included.
 */
export const VARIANTS = {
  fused: { name: 'jit', options: { fusion: true, simd: true, wasmKernels: true } },
  fusedNoSimd: { name: 'jit, SIMD off', options: { fusion: true, simd: false, wasmKernels: true } },
  fusedJs: { name: 'jit, JS kernels', options: { fusion: true, simd: false, wasmKernels: false } },
  unfused: { name: 'jit, fusion off', options: { fusion: false, simd: true, wasmKernels: true } },
  unfusedNoSimd: { name: 'jit, fusion off, SIMD off', options: { fusion: false, simd: false, wasmKernels: true } },
  unfusedJs: { name: 'jit, fusion off, JS kernels', options: { fusion: false, simd: false, wasmKernels: false } },
} as const;

/** One disagreement with eager. */
export interface Disagreement {
  readonly variant: string;
  readonly call: number;
  readonly what: string;
  readonly detail: string;
}

/** The outcome: disagreements, or why the case could not be judged (eager itself threw). */
export interface CheckResult {
  readonly disagreements: Disagreement[];
  readonly eagerError?: string;
}

interface Snapshot {
  readonly shape: number[];
  readonly dtype: string;
  readonly values: number[];
}

/** The values of `t`, read asynchronously (webgpu in Node cannot read GPU data synchronously). */
async function snap(t: tf.Tensor): Promise<Snapshot> {
  return { shape: t.shape.slice(), dtype: t.dtype, values: Array.from(await t.data() as ArrayLike<number>, Number) };
}

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

/** Why `got` differs from `want`, or undefined when they agree under the tolerance. */
export function compareSnapshots(got: Snapshot, want: Snapshot, approx: boolean): string | undefined {
  if (got.dtype !== want.dtype) return `dtype ${got.dtype}, eager ${want.dtype}`;
  if (got.shape.join(',') !== want.shape.join(',')) return `shape [${got.shape}], eager [${want.shape}]`;
  let scale = 0;
  if (approx) for (const v of want.values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < want.values.length; i++) {
    const a = got.values[i];
    const b = want.values[i];
    if (Object.is(a, b)) continue;
    if (approx && Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= 1e-4 * (1 + scale)) continue;
    return `element ${i}: ${show(a)}, eager ${show(b)}` +
      (want.values.length <= 16 ? ` (all: [${got.values.map(show)}] vs eager [${want.values.map(show)}])` : '');
  }
  return undefined;
}

interface Trace {
  outputs: Snapshot[][];
  states: Snapshot[][];
}

function disposeStates(states: readonly bst.State<tf.Tensor>[]): void {
  for (const s of states) {
    const v = s.value;
    if (!v.isDisposed) v.dispose();
  }
}

async function runEager(c: DiffCase): Promise<Trace> {
  const states = c.makeStates();
  const fn = c.makeFn(states);
  const out: Trace = { outputs: [], states: [] };
  try {
    for (let k = 0; k < c.calls; k++) {
      const made: tf.Tensor[] = [];
      try {
        const args = c.args(k, states, made);
        // Clones: an output may be a state's own tensor, which a later write disposes.
        const res = withLaneReference(() => tf.tidy(() => fn(...args).map((t) => tf.clone(t))));
        try {
          out.outputs.push(await Promise.all(res.map(snap)));
        } finally {
          tf.dispose(res);
        }
        out.states.push(await Promise.all(states.map((s) => snap(s.value))));
      } finally {
        tf.dispose(made);
      }
    }
  } finally {
    disposeStates(states);
  }
  return out;
}

/**
 * How a jitted call is made: `plain` is `jitted(...args)`; `async` is `await jitted.callAsync(...args)`,
 * which webgpu users must use where a loop or branch predicate is on the GPU.
 */
type CallMode = 'plain' | 'async';

/** The message of the BackendError a plain call throws where it needs `callAsync`. */
const NEEDS_CALL_ASYNC = /callAsync/;

async function runJit(c: DiffCase, v: JitVariant, want: Trace, report: (d: Disagreement) => void,
  mode: CallMode = 'plain'): Promise<void> {
  const startMemory = tf.memory();
  const states = c.makeStates();
  const jitted = bst.transform.jit(c.makeFn(states), { name: 'fuzzed' });
  let steady: tf.MemoryInfo | undefined;
  const approxOut = new Set(c.approxOutputs ?? []);
  const approxState = new Set(c.approxStates ?? []);
  const awaitCalls = mode === 'async';
  try {
    for (let k = 0; k < c.calls; k++) {
      const made: tf.Tensor[] = [];
      let res: tf.Tensor[] = [];
      try {
        const args = c.args(k, states, made);
        // Where reads are asynchronous (webgpu), a program with a loop or branch predicate on the
        // GPU runs through callAsync, as its users must call it (see checkCase); else the plain call.
        res = awaitCalls
          ? await withCompilerOptions(v.options, () => jitted.callAsync(...args))
          : withCompilerOptions(v.options, () => jitted(...args));
        for (const [i, t] of res.entries()) {
          const d = compareSnapshots(await snap(t), want.outputs[k][i], approxOut.has(i));
          if (d !== undefined) report({ variant: v.name, call: k, what: `output ${i}`, detail: d });
        }
        for (const [j, s] of states.entries()) {
          const d = compareSnapshots(await snap(s.value), want.states[k][j], approxState.has(j));
          if (d !== undefined) report({ variant: v.name, call: k, what: `state ${j}`, detail: d });
        }
      } catch (e) {
        report({ variant: v.name, call: k, what: 'throws', detail: (e as Error).message.split('\n')[0] });
        return;
      } finally {
        tf.dispose(res);
        tf.dispose(made);
      }
      // After the first replay, every call must leave memory where it found it.
      const m = tf.memory();
      if (k === 1) steady = m;
      if (steady !== undefined && k > 1 && (m.numTensors !== steady.numTensors || m.numBytes !== steady.numBytes)) {
        report({ variant: v.name, call: k, what: 'memory', detail: `numTensors ${m.numTensors} (was ${steady.numTensors}), ` +
          `numBytes ${m.numBytes} (was ${steady.numBytes})` });
      }
    }
    if (jitted.traceCount !== 1) report({ variant: v.name, call: c.calls - 1, what: 'traceCount', detail: `${jitted.traceCount}, expected 1` });
  } finally {
    jitted.clearCache();
    disposeStates(states);
  }
  const end = tf.memory();
  if (end.numTensors !== startMemory.numTensors || end.numBytes !== startMemory.numBytes) {
    report({ variant: v.name, call: c.calls - 1, what: 'memory', detail: `after clearCache: numTensors ${end.numTensors} ` +
      `(was ${startMemory.numTensors}), numBytes ${end.numBytes} (was ${startMemory.numBytes})` });
  }
}

/** Runs `c` eagerly and under each jit variant; returns every disagreement. */
export async function checkCase(c: DiffCase, variants: readonly JitVariant[]): Promise<CheckResult> {
  let want: Trace;
  try {
    want = await runEager(c);
  } catch (e) {
    const message = (e as Error).message.split('\n')[0];
    // tfjs rejects invalid programs with a plain Error, and brainstate-ts with a BrainStateError:
    // such a program cannot be judged. A TypeError or RangeError is a crash, of tfjs or of our own
    // eager transforms (an eager loop once disposed a tensor its body returned from outside):
    // that is a finding, not a skip.
    if (e instanceof TypeError || e instanceof RangeError) {
      return { disagreements: [{ variant: 'eager', call: 0, what: 'crash', detail: message }] };
    }
    return { disagreements: [], eagerError: message };
  }
  const disagreements: Disagreement[] = [];
  const webgpu = bst.backend.name() === 'webgpu';
  for (const v of variants) {
    // On webgpu a program is called plainly, as users call a loop-free step, so the call that
    // traces is checked too; where the plain call throws the error that names callAsync (a
    // predicate on the GPU), the variant runs again from fresh states through callAsync.
    const found: Disagreement[] = [];
    await runJit(c, v, want, (d) => found.push(d), 'plain');
    const needsAsync = webgpu && found.some((d) => d.what === 'throws' && NEEDS_CALL_ASYNC.test(d.detail));
    if (needsAsync) {
      const plainOnly = found.filter((d) => !(d.what === 'throws' && NEEDS_CALL_ASYNC.test(d.detail)));
      disagreements.push(...plainOnly);
      await runJit(c, v, want, (d) => disagreements.push(d), 'async');
    } else {
      disagreements.push(...found);
    }
  }
  return { disagreements };
}
