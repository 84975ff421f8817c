/**
 * A fuzz program: plain data (JSON-able, so failing programs can be kept in the corpus)
 * describing a stateful tfjs function, its states, and the arguments of each call.
 *
 * Every value has a stable numeric id: arguments are 0..n-1, statements add ids as they
 * produce results, loop and branch bodies bind their parameters to fresh ids and may read
 * any id of the enclosing scope (a closure capture). Deleting a statement therefore never
 * renumbers the others, which keeps minimisation simple.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../../src';
import type { DiffCase } from './check';

export type DType = 'float32' | 'int32' | 'bool';

/** Literal tensor data. */
export interface TensorSpec {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly values: readonly number[];
}

/** One argument: a new tensor at each call, or a state's current value (aliasing it). */
export type ArgSpec =
  | { readonly kind: 'tensor'; readonly calls: readonly TensorSpec[] }
  | { readonly kind: 'state'; readonly state: number };

/** A sub-program: parameters bound to ids, statements, result ids. */
export interface Block {
  readonly params: readonly number[];
  readonly stmts: readonly Stmt[];
  readonly result: readonly number[];
}

export type Stmt =
  /** `out = tf[op](...args, ...attrs)` (concat takes its args as one array). */
  | { readonly k: 'op'; readonly out: number; readonly op: string; readonly args: readonly number[]; readonly attrs: readonly unknown[] }
  | { readonly k: 'const'; readonly out: number; readonly t: TensorSpec }
  | { readonly k: 'read'; readonly out: number; readonly state: number }
  | { readonly k: 'write'; readonly state: number; readonly arg: number }
  /** `out = forLoop((...rows) => body, ...xs)`: the body returns one tensor, stacked. */
  | { readonly k: 'forLoop'; readonly out: number; readonly xs: readonly number[]; readonly body: Block }
  /** `[carryOut, ysOut] = scan((carry, x) => [c, y], init, xs, opts)` (opts: reverse / unroll, when set). */
  | { readonly k: 'scan'; readonly outs: readonly [number, number]; readonly init: number; readonly xs: number; readonly body: Block;
    readonly opts?: { readonly reverse?: boolean; readonly unroll?: number | boolean } }
  /**
   * `[dInit, dXs] = grad((i, x) => { [c, ys] = scan(body, i, x, opts); return sum(c) (+ sum(ys) when float) },
   * { argnums: [0, 1] })(init, xs)`: under jit a reverse scan over the body's VJP.
   */
  | { readonly k: 'gradScan'; readonly outs: readonly [number, number]; readonly init: number; readonly xs: number; readonly body: Block;
    readonly opts?: { readonly reverse?: boolean; readonly unroll?: number | boolean } }
  /** `out = switch(index, [(...ops) => b0, ...], ...operands)`: index an int32 scalar, clamped. */
  | { readonly k: 'switch'; readonly out: number; readonly index: number; readonly operands: readonly number[];
    readonly branches: readonly Block[] }
  /**
   * `out = vmap((...params) => body, { inAxes })(...args)`: checked against running the body
   * on each lane eagerly ({@link vmapByLanes}), the reference when {@link withLaneReference} is on.
   */
  | { readonly k: 'vmap'; readonly out: number; readonly args: readonly number[]; readonly inAxes: readonly (number | null)[];
    readonly body: Block }
  /** `out = cond(pred, (...ops) => then, (...ops) => else, ...operands)`. */
  | { readonly k: 'cond'; readonly out: number; readonly pred: number; readonly operands: readonly number[];
    readonly then: Block; readonly else: Block };

export interface FuzzProgram {
  readonly version: 1;
  /** What this program found, for the corpus. */
  readonly note?: string;
  /** How many calls each run makes (the first traces, the others replay). */
  readonly calls: number;
  readonly states: readonly TensorSpec[];
  readonly args: readonly ArgSpec[];
  readonly body: readonly Stmt[];
  readonly outputs: readonly number[];
  /** Outputs and states compared with the approx tolerance (downstream of a reordered kernel). */
  readonly approxOutputs?: readonly number[];
  readonly approxStates?: readonly number[];
}

/** Ids a statement defines. */
export function defined(s: Stmt): number[] {
  switch (s.k) {
    case 'write':
      return [];
    case 'scan':
    case 'gradScan':
      return [...s.outs];
    default:
      return [s.out];
  }
}

/** Ids a statement reads (its bodies' free reads included). */
export function used(s: Stmt): number[] {
  switch (s.k) {
    case 'op':
      return [...s.args];
    case 'const':
    case 'read':
      return [];
    case 'write':
      return [s.arg];
    case 'forLoop':
      return [...s.xs, ...blockReads(s.body)];
    case 'scan':
    case 'gradScan':
      return [s.init, s.xs, ...blockReads(s.body)];
    case 'cond':
      return [s.pred, ...s.operands, ...blockReads(s.then), ...blockReads(s.else)];
    case 'switch':
      return [s.index, ...s.operands, ...s.branches.flatMap(blockReads)];
    case 'vmap':
      return [...s.args, ...blockReads(s.body)];
  }
}

let laneReference = false;

/** Runs `fn` with vmap statements computed lane by lane (the eager reference of the differential check). */
export function withLaneReference<R>(fn: () => R): R {
  const saved = laneReference;
  laneReference = true;
  try {
    return fn();
  } finally {
    laneReference = saved;
  }
}

/** `fn` on each lane of `args` (sliced along `inAxes`, null: whole), stacked on a new leading axis. */
export function vmapByLanes(fn: (xs: tf.Tensor[]) => tf.Tensor, args: readonly tf.Tensor[], inAxes: readonly (number | null)[]): tf.Tensor {
  return tf.tidy(() => {
    const axes = inAxes.map((a, k) => (a === null ? null : a < 0 ? a + args[k].rank : a));
    const k0 = axes.findIndex((a) => a !== null);
    const size = args[k0].shape[axes[k0]!];
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < size; i++) {
      outs.push(fn(args.map((t, k) => (axes[k] === null ? t : tf.squeeze(tf.slice(t, t.shape.map((_, j) => (j === axes[k] ? i : 0)),
        t.shape.map((d, j) => (j === axes[k] ? 1 : d))), [axes[k]!])))));
    }
    return tf.stack(outs);
  });
}

/** Ids a block reads from its enclosing scope. */
export function blockReads(b: Block): number[] {
  const own = new Set<number>(b.params);
  const out: number[] = [];
  for (const s of b.stmts) {
    for (const u of used(s)) if (!own.has(u)) out.push(u);
    for (const d of defined(s)) own.add(d);
  }
  for (const r of b.result) if (!own.has(r)) out.push(r);
  return out;
}

/**
 * Makes the tensor of a spec (the caller owns it). A bool holds the byte a Uint8Array stores
 * for each number (2 stays 2, -1 gives 255, 256 gives 0) on every backend: tfjs-wasm's cast to
 * bool stores the same bytes, and `tf.tensor` of a Uint8Array keeps them on cpu and webgpu,
 * whose kernels read them as they are (tfjs-cpu's logicalOr of 2 and 1 stores 2).
 */
export function makeTensor(t: TensorSpec): tf.Tensor {
  if (t.dtype === 'bool') return tf.tensor(Uint8Array.from(t.values as number[], (v) => v & 255), t.shape as number[], 'bool');
  return tf.tensor(t.values as number[], t.shape as number[], t.dtype);
}

/** Calls one tfjs op by name. */
export function callOp(op: string, args: tf.Tensor[], attrs: readonly unknown[]): tf.Tensor {
  if (op === 'concat') return tf.concat(args, attrs[0] as number);
  const fn = (tf as unknown as Record<string, (...a: unknown[]) => tf.Tensor>)[op];
  if (typeof fn !== 'function') throw new Error(`fuzz: unknown op tf.${op}`);
  return fn(...args, ...attrs);
}

/** Runs a block with `env` (id -> tensor) as its enclosing scope; returns its results. */
function runBlock(b: Block, env: Map<number, tf.Tensor>, states: readonly bst.State<tf.Tensor>[], bound: tf.Tensor[]): tf.Tensor[] {
  const scope = new Map(env);
  b.params.forEach((id, i) => scope.set(id, bound[i]));
  for (const s of b.stmts) runStmt(s, scope, states);
  return b.result.map((id) => scope.get(id)!);
}

/** Runs one statement of a loop, branch or vmap body (bodies never touch states). */
export function runBodyStmt(s: Stmt, env: Map<number, tf.Tensor>): void {
  runStmt(s, env, []);
}

function runStmt(s: Stmt, env: Map<number, tf.Tensor>, states: readonly bst.State<tf.Tensor>[]): void {
  const get = (id: number) => {
    const t = env.get(id);
    if (t === undefined) throw new Error(`fuzz: value ${id} is not defined`);
    return t;
  };
  switch (s.k) {
    case 'op':
      env.set(s.out, callOp(s.op, s.args.map(get), s.attrs));
      break;
    case 'const':
      env.set(s.out, makeTensor(s.t));
      break;
    case 'read':
      env.set(s.out, states[s.state].value);
      break;
    case 'write':
      states[s.state].value = get(s.arg);
      break;
    case 'forLoop':
      env.set(s.out, bst.transform.forLoop((...rows: tf.Tensor[]) => runBlock(s.body, env, states, rows)[0], ...s.xs.map(get)));
      break;
    case 'scan': {
      const [c, ys] = bst.transform.scan((carry: tf.Tensor, x: tf.Tensor) => {
        const [nc, y] = runBlock(s.body, env, states, [carry, x]);
        return [nc, y];
      }, get(s.init), get(s.xs), s.opts ?? {});
      env.set(s.outs[0], c);
      env.set(s.outs[1], ys);
      break;
    }
    case 'gradScan': {
      const [gi, gx] = gradOfScan(s.body, s.opts, (b, bound) => runBlock(b, env, states, bound))(get(s.init), get(s.xs));
      env.set(s.outs[0], gi);
      env.set(s.outs[1], gx);
      break;
    }
    case 'cond':
      env.set(s.out, bst.transform.cond(get(s.pred), (...ops: tf.Tensor[]) => runBlock(s.then, env, states, ops)[0],
        (...ops: tf.Tensor[]) => runBlock(s.else, env, states, ops)[0], ...s.operands.map(get)));
      break;
    case 'switch':
      env.set(s.out, bst.transform.switch(get(s.index), s.branches.map((b) => (...ops: tf.Tensor[]) => runBlock(b, env, states, ops)[0]),
        ...s.operands.map(get)));
      break;
    case 'vmap': {
      const body = (xs: tf.Tensor[]) => runBlock(s.body, env, states, xs)[0];
      env.set(s.out, laneReference ? vmapByLanes(body, s.args.map(get), s.inAxes)
        : bst.transform.vmap((...xs: tf.Tensor[]) => body(xs), { inAxes: [...s.inAxes] })(...s.args.map(get)));
      break;
    }
  }
}

/** The gradient function of a `gradScan` statement; `run` runs the body block on bound values. */
export function gradOfScan(body: Block, opts: { reverse?: boolean; unroll?: number | boolean } | undefined,
  run: (b: Block, bound: tf.Tensor[]) => tf.Tensor[]): (init: tf.Tensor, xs: tf.Tensor) => tf.Tensor[] {
  const loss = (init: tf.Tensor, xs: tf.Tensor): tf.Tensor => {
    const [c, ys] = bst.transform.scan((carry: tf.Tensor, x: tf.Tensor) => {
      const [nc, y] = run(body, [carry, x]);
      return [nc, y];
    }, init, xs, opts ?? {});
    return ys.dtype === 'float32' ? tf.add(tf.sum(c), tf.sum(ys)) : tf.sum(c);
  };
  return bst.transform.grad(loss, { argnums: [0, 1] }) as unknown as (init: tf.Tensor, xs: tf.Tensor) => tf.Tensor[];
}

/** The program's function over `states`: arguments in, output tensors out. */
export function makeFunction(p: FuzzProgram, states: readonly bst.State<tf.Tensor>[]): (...args: tf.Tensor[]) => tf.Tensor[] {
  return function fuzzed(...args: tf.Tensor[]): tf.Tensor[] {
    const env = new Map<number, tf.Tensor>();
    args.forEach((t, i) => env.set(i, t));
    for (const s of p.body) runStmt(s, env, states);
    return p.outputs.map((id) => env.get(id)!);
  };
}

/** New states holding the program's initial values. */
export function makeStates(p: FuzzProgram): bst.HiddenState<tf.Tensor>[] {
  return p.states.map((t, i) => new bst.HiddenState(makeTensor(t), { name: `s${i}` }));
}

/** The arguments of call `c`: new tensors (in `made`, for the caller to dispose) or state values. */
export function argsFor(p: FuzzProgram, c: number, states: readonly bst.State<tf.Tensor>[], made: tf.Tensor[]): tf.Tensor[] {
  return p.args.map((a) => {
    if (a.kind === 'state') return states[a.state].value;
    const t = makeTensor(a.calls[c]);
    made.push(t);
    return t;
  });
}

/** The program as a case for the differential check. */
export function toCase(p: FuzzProgram): DiffCase {
  return {
    calls: p.calls,
    makeStates: () => makeStates(p),
    makeFn: (states) => makeFunction(p, states),
    args: (c, states, made) => argsFor(p, c, states, made),
    approxOutputs: p.approxOutputs,
    approxStates: p.approxStates,
  };
}

// JSON cannot hold NaN, the infinities or -0: the corpus stores them as strings.
function encodeNumber(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return v;
}

function decodeNumber(v: unknown): unknown {
  switch (v) {
    case 'NaN': return NaN;
    case 'Infinity': return Infinity;
    case '-Infinity': return -Infinity;
    case '-0': return -0;
    default: return v;
  }
}

/** The program as JSON text (special numbers as strings). */
export function toJson(p: FuzzProgram): string {
  return JSON.stringify(p, (_k, v: unknown) => (typeof v === 'number' ? encodeNumber(v) : v), 1);
}

/** A program from {@link toJson} text. */
export function fromJson(text: string): FuzzProgram {
  return JSON.parse(text, (_k, v: unknown) => decodeNumber(v)) as FuzzProgram;
}
