/**
 * `transform.jit`: trace a function once per signature into a program of tfjs kernels,
 * cache it, and replay it, reading and writing the states it touched.
 */
import * as tf from '@tensorflow/tfjs';
import { noteUse } from '../backend/readiness';
import { cpuFormsThreshold } from '../backend/targets';
import { isTapeOn, readsAreAsync, tensorFromInfo } from '../backend/tfjs-engine';
import { Executable, executeAsync, StateSlots } from '../compiler/executable';
import { disposeProgram } from '../compiler/ir';
import { printProgram } from '../compiler/print';
import { TraceError } from '../errors';
import { holderCount, type State, type StateValue } from '../state/state';
import { tensorLeaves, valueSignature } from '../state/tree';
import { unflatten } from '../util/pytree';
import { CallPlan, planCall, StaticSpec } from './signature';
import { assertLiveState, isTracing, StateLabeler, traceCall, Traced } from './trace';
import { isJitDisabled } from './disable';
import { withPlaceholderControl } from './loop-util';

/**
 * Whether the backend chooses where a kernel runs (host forms or the device) by where its inputs
 * are: webgpu, whose CPU forms run kernels on small host data.
 */
function placementFollowsData(): boolean {
  return cpuFormsThreshold(tf.getBackend()) > 0;
}

/** Options of {@link jit}. */
export interface JitOptions {
  /** Indices of arguments that are static: part of the cache key, passed to the function as is. */
  staticArgnums?: number | readonly number[];
  /** Keys of a last options-object argument that are static. */
  staticArgnames?: string | readonly string[];
  /** A name for messages and printing (defaults to the function's name). */
  name?: string;
}

/** Any function a jit can wrap. */
// The argument list is checked at the call site through Parameters<F>.
export type AnyFunction = (...args: never[]) => unknown;

/** The traced program of one signature, as `lower(...)` returns it. */
export interface Lowered {
  /** The program as stable text (inputs with state paths, kernels with attributes, outputs, writes). */
  toString(): string;
  /** Number of kernels the program runs per call. */
  readonly numKernels: number;
}

/** The object `jit` returns: callable like the function, plus cache controls. */
export interface JittedFunction<F extends AnyFunction> {
  (...args: Parameters<F>): ReturnType<F>;
  /**
   * Calls the function, awaiting the predicates of its while loops and branches where they
   * live on the GPU (webgpu), which a synchronous call cannot read there. Same results and
   * state writes as a synchronous call; on cpu and wasm it just runs. Calls of one jitted
   * function run one after another, in the order made; a synchronous call of it while some
   * are pending is a `TraceError`. Keep the arguments alive until the promise settles.
   * A `forLoop` / `scan` (static trip count) and a branch on a value still on the host need
   * no read: such programs also run with a synchronous call on webgpu.
   *
   * @example
   * ```ts
   * const grow = bst.transform.jit((x: tf.Tensor) => bst.transform.whileLoop(
   *   (v: tf.Tensor) => tf.less(tf.sum(v), 100), (v: tf.Tensor) => tf.mul(v, 2), x));
   * const y = await grow.callAsync(tf.ones([4]));   // on webgpu: each predicate is awaited
   * // y = [32, 32, 32, 32]
   * ```
   */
  callAsync(...args: Parameters<F>): Promise<ReturnType<F>>;
  /** Traces and compiles for these arguments; runs nothing and writes no state. */
  compile(...args: Parameters<F>): void;
  /** Drops every cached program (`traceCount` keeps counting). */
  clearCache(): void;
  /** The program traced for these arguments (tracing it if needed). */
  lower(...args: Parameters<F>): Lowered;
  /** The wrapped function. */
  readonly originFun: F;
  /** How many traces so far (`compile` and `lower` included); never reset. */
  readonly traceCount: number;
  /** How many programs are cached now. */
  readonly cacheSize: number;
}

interface CacheEntry {
  readonly traced: Traced;
  readonly executable: Executable;
  readonly states: readonly [State<StateValue>, string][];
  /** How the executable reads the states behind the program's slots. */
  readonly slots: StateSlots;
}

/** The executable's view of the states behind a program's slots. */
function slotAccess(slots: readonly State<StateValue>[]): StateSlots {
  return { leaves: (k) => tensorLeaves(slots[k].rawValue()), holders: holderCount };
}

function toList<T>(x: T | readonly T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? [...(x as T[])] : [x as T];
}

/** The engine behind one jitted function (one per instance for `@jit` methods). */
export class JitCore {
  private readonly cache = new Map<string, CacheEntry[]>();
  private readonly spec: StaticSpec;
  readonly name: string;
  traceCount = 0;

  constructor(readonly fn: (...args: unknown[]) => unknown, opts: JitOptions, private readonly thisArg: unknown,
    private readonly label: StateLabeler) {
    this.name = opts.name ?? (fn.name || 'anonymous');
    if (fn.constructor?.name === 'AsyncFunction') {
      throw new TraceError(`jit(${this.name}): async functions cannot be jitted; a traced call must be synchronous. ` +
        'Make the function synchronous and read values after the call.');
    }
    const argnums = toList(opts.staticArgnums);
    for (const k of argnums) {
      if (!Number.isInteger(k)) {
        throw new TraceError(`jit(${this.name}): expected staticArgnums to be non-negative integers, got ${String(k)}; ` +
          'e.g. staticArgnums: [1].');
      }
      if (k < 0) {
        // As BrainState: an index from the end would change meaning with the number of arguments passed.
        throw new TraceError(`jit(${this.name}): staticArgnums ${k} is negative; negative indices are not supported ` +
          '(as in BrainState). Use the non-negative index of the positional argument.');
      }
    }
    this.spec = { argnums, argnames: toList(opts.staticArgnames) };
  }

  get cacheSize(): number {
    let n = 0;
    for (const list of this.cache.values()) n += list.length;
    return n;
  }

  /** Awaiting calls (callAsync) made and not finished yet, and the last of them. */
  private pendingAsync = 0;
  private lastAsync: Promise<unknown> = Promise.resolve();

  /**
   * Calls the function: replays a cached program, or traces one (then returns the traced results;
   * on webgpu it runs the program it traced, see {@link callNow}).
   */
  call(args: unknown[]): unknown {
    // Inline when disabled, when nested in another trace, or under a gradient tape
    // (a replay runs kernels behind the tape's back).
    if (isJitDisabled() || isTracing() || isTapeOn()) return this.fn.apply(this.thisArg, args);
    if (this.pendingAsync > 0) {
      throw new TraceError(`jit(${this.name}): called while ${this.pendingAsync} callAsync call(s) of it are still ` +
        'running; they write their states when they end, so this call would read stale states. Await them first ' +
        `(await jitted.callAsync(...)), or call it with callAsync too (such calls run in order).`);
    }
    return this.callNow(args);
  }

  /** {@link call} without the check for pending awaiting calls. */
  private callNow(args: unknown[]): unknown {
    if (isJitDisabled() || isTracing() || isTapeOn()) return this.fn.apply(this.thisArg, args);
    const plan = planCall(args, this.spec, this.name);
    noteUse(`jit(${this.name}) was called`);
    try {
      let entry = this.find(plan);
      if (entry === undefined) {
        // The trace runs the function on copies of the arguments and states. On webgpu where a
        // kernel runs (tfjs's CPU forms or the GPU) depends on which inputs are the same data and
        // what earlier kernels uploaded, which copies do not share: there the first call runs the
        // traced program on the real inputs, as every later call does (and as callAsync does).
        if (!placementFollowsData()) return this.trace(plan, true).result;
        entry = this.trace(plan, false).entry;
      }
      const states = entry.states;
      for (let i = 0; i < states.length; i++) assertLiveState(states[i][0], this.name, this.label);
      const { outputs, writes } = entry.executable.run(plan.leaves, entry.slots);
      const p = entry.executable.program;
      const slots = entry.traced.slots;
      p.writes.forEach((w, i) => slots[w.slot].setRaw(unflatten(w.tree, writes[i]) as StateValue));
      let k = 0;
      return unflatten(p.outputTree, p.outputs.map((o) => (o.kind === 'value' ? outputs[k++] : (k++, o.value))));
    } finally {
      for (const t of plan.madeScalars) t.dispose();
    }
  }

  /**
   * Calls the function awaiting loop and branch predicates that live on the GPU (see
   * `JittedFunction.callAsync`). Where reads need no waiting (cpu, wasm) this is {@link call}.
   * A signature not traced yet is traced with its control nodes that may wait for a predicate
   * on the GPU not run (their results are placeholders the trace cannot read; a scan and a
   * branch on host data run, as in a plain call's trace), then the program runs awaiting its
   * predicates.
   */
  callAsync(args: unknown[]): Promise<unknown> {
    const awaiting = !(isJitDisabled() || isTracing() || isTapeOn() || !readsAreAsync());
    const start = () => (awaiting ? this.runAwaiting(args) : new Promise<unknown>((ok) => ok(this.callNow(args))));
    // The first call starts at once (reading the states as they are now); later ones after it.
    this.pendingAsync++;
    const run = (this.pendingAsync === 1 ? start() : this.lastAsync.then(start)).finally(() => { this.pendingAsync--; });
    this.lastAsync = run.catch(() => undefined);
    return run;
  }

  private async runAwaiting(args: unknown[]): Promise<unknown> {
    const plan = planCall(args, this.spec, this.name);
    noteUse(`jit(${this.name}) was called`);
    try {
      const entry = this.find(plan) ?? withPlaceholderControl(() => this.trace(plan, false)).entry;
      const states = entry.states;
      for (let i = 0; i < states.length; i++) assertLiveState(states[i][0], this.name, this.label);
      const tensors = (await executeAsync(entry.executable, plan.leaves, entry.slots)).map(tensorFromInfo);
      const p = entry.executable.program;
      let k = 0;
      const outputs = p.outputs.map((o) => (o.kind === 'value' ? tensors[k++] : undefined));
      const slots = entry.traced.slots;
      p.writes.forEach((w) => {
        const leaves = w.values.map(() => tensors[k++]);
        slots[w.slot].setRaw(unflatten(w.tree, leaves) as StateValue);
      });
      let j = 0;
      return unflatten(p.outputTree, p.outputs.map((o) => (o.kind === 'value' ? outputs[j++] : (j++, o.value))));
    } finally {
      for (const t of plan.madeScalars) t.dispose();
    }
  }

  private find(plan: CallPlan): CacheEntry | undefined {
    const list = this.cache.get(plan.key);
    if (list === undefined) return undefined;
    // A state whose shape or dtype changed since the trace needs a new trace, never a wrong replay.
    return list.find((e) => e.states.every(([s, sig]) => valueSignature(s.rawValue()) === sig));
  }

  private trace(plan: CallPlan, commit: boolean): { entry: CacheEntry; result: unknown } {
    this.traceCount++;
    const { traced, result } = traceCall(this.name, this.fn, this.thisArg, plan, this.label, commit);
    let executable: Executable;
    try {
      executable = new Executable(traced.program, tf.getBackend());
    } catch (e) {
      disposeProgram(traced.program);
      throw e;
    }
    const entry: CacheEntry = { traced, executable, states: [...traced.states], slots: slotAccess(traced.slots) };
    const list = this.cache.get(plan.key);
    if (list === undefined) this.cache.set(plan.key, [entry]);
    else list.push(entry);
    return { entry, result };
  }

  /** The cache entry for `args`, tracing (without running) when there is none. */
  entryFor(args: unknown[]): CacheEntry {
    const plan = planCall(args, this.spec, this.name);
    try {
      return this.find(plan) ?? this.trace(plan, false).entry;
    } finally {
      for (const t of plan.madeScalars) t.dispose();
    }
  }

  lower(args: unknown[]): Lowered {
    const entry = this.entryFor(args);
    const p = entry.executable.program;
    const slots = entry.traced.slots;
    const text = printProgram(p, (k) => ({ label: this.label(slots[k]), kind: slots[k].kind }));
    return { toString: () => text, numKernels: p.nodes.length };
  }

  clearCache(): void {
    for (const list of this.cache.values()) for (const e of list) e.executable.dispose();
    this.cache.clear();
  }
}

/**
 * Default state names: the state's name, else its kind; numbered (`weight#1`) when two
 * different states would print alike.
 */
export function defaultLabeler(): StateLabeler {
  const seen = new Map<State<StateValue>, string>();
  const taken = new Set<string>();
  return (s) => {
    let l = seen.get(s);
    if (l === undefined) {
      const base = s.name ?? s.kind;
      l = base;
      for (let k = 1; taken.has(l); k++) l = `${base}#${k}`;
      seen.set(s, l);
      taken.add(l);
    }
    return l;
  };
}

/** Wraps a {@link JitCore} in a callable {@link JittedFunction}. */
export function makeJitted<F extends AnyFunction>(core: JitCore, fn: F): JittedFunction<F> {
  const jitted = ((...args: unknown[]) => core.call(args)) as unknown as JittedFunction<F>;
  Object.defineProperties(jitted, {
    callAsync: { value: (...args: unknown[]) => core.callAsync(args) },
    compile: { value: (...args: unknown[]) => { core.entryFor(args); } },
    clearCache: { value: () => core.clearCache() },
    lower: { value: (...args: unknown[]) => core.lower(args) },
    originFun: { value: fn },
    traceCount: { get: () => core.traceCount },
    cacheSize: { get: () => core.cacheSize },
    name: { value: `jit(${core.name})` },
  });
  return jitted;
}

/**
 * Compiles `fn`: the first call with a new signature traces it into a program of tfjs
 * kernels; later calls replay that program. States read inside are inputs (read
 * afresh each call), states written are outputs (written back after the call).
 *
 * Arguments that are not static are trees (arrays, plain objects) whose leaves are
 * tensors; a number becomes a float32 scalar input (as in JAX), and an array of numbers
 * or a typed array becomes one tensor input, exactly as `tf.tensor(value)` makes it (as
 * eager tfjs ops accept them). `undefined` / `null` are empty, booleans are keyed by
 * value, modules by identity. Anything else (a string, a function, a `Date`, another
 * class instance) is a `TraceError` saying to mark it static: the trace would bake it in.
 * The signature also holds the backend: a program runs only on the backend it was traced
 * on, and after `backend.init()` switches backends the function traces again.
 *
 * @param fn the function; it may read and write states, captured or through `this`.
 * @param opts `staticArgnums` (non-negative indices), `staticArgnames`, `name`.
 * @throws TraceError for an argument it cannot trace (see above), a cyclic argument, or a
 *   negative `staticArgnums`; StateError for a state whose value was disposed outside it.
 * @returns a {@link JittedFunction}, callable like `fn`.
 * @example
 * ```ts
 * const softplus = bst.transform.jit((x: tf.Tensor) =>
 *   tf.add(tf.log1p(tf.exp(tf.neg(tf.abs(x)))), tf.maximum(x, 0)));
 * softplus(tf.linspace(-5, 5, 7)).print();   // traced once
 * softplus(tf.linspace(-5, 5, 7)).print();   // replayed
 * console.log(softplus.traceCount);           // 1
 * ```
 * @see disableJit
 */
export function jit<F extends AnyFunction>(fn: F, opts?: JitOptions): JittedFunction<F>;
export function jit(opts: JitOptions): <F extends AnyFunction>(fn: F) => JittedFunction<F>;
export function jit<F extends AnyFunction>(fnOrOpts: F | JitOptions, opts: JitOptions = {}):
  JittedFunction<F> | (<G extends AnyFunction>(fn: G) => JittedFunction<G>) {
  if (typeof fnOrOpts !== 'function') {
    const o = fnOrOpts ?? {};
    return <G extends AnyFunction>(fn: G) => jit(fn, o);
  }
  const fn = fnOrOpts;
  const core = new JitCore(fn as unknown as (...args: unknown[]) => unknown, opts, undefined, defaultLabeler());
  return makeJitted(core, fn);
}
