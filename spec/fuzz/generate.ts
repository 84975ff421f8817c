/**
 * Random fuzz programs. Each statement is run eagerly on the first call's values as it
 * is generated, which gives its result's shape and dtype and rejects what tfjs rejects
 * (mismatched shapes, ...), so the generator needs no copy of tfjs's typing rules.
 *
 * What the programs contain: elementwise unary and binary ops with broadcasting,
 * comparisons, bool logic, where, casts, reductions, matMul (with transposes), shape ops
 * (`stridedSlice` with every mask and `pad` with special fill values among them),
 * constants (special values included), state reads and writes, an argument that is a
 * state's value, forLoop / scan / cond / switch / vmap bodies and scan gradients, and
 * inside vmap bodies control statements of their own (vmap of a scan gradient, of a
 * branch on a per-lane predicate, of a loop, nested vmap). Casts to bool of ints and floats beyond
 * 0 / 1 (on wasm they store raw bytes such as 2 or 255, which its kernels read raw; see
 * docs/sharp-bits.md), and bool arguments and constants holding such bytes on every backend. Values: shapes of rank 0 to 3 with
 * size-1 and odd dimensions, NaN, ±Inf, -0, subnormals, float32 extremes, int32 near
 * ±2^31 and beyond 2^24.
 *
 * Kept out on purpose (known classes owned elsewhere, or tfjs's own undefined behaviour):
 * loop and branch bodies always return a tensor and never touch states; loops never have
 * length 0; int32 divisors are at least 1; clip bounds satisfy lo < hi in float32; no reverse of
 * bool on wasm (tfjs-wasm corrupts its heap). Widen the op lists and
 * `GenOptions` to take more in.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../../src';
import { Rng } from './rng';
import { ArgSpec, Block, callOp, DType, FuzzProgram, gradOfScan, makeTensor, runBodyStmt, Stmt, TensorSpec, vmapByLanes, withLaneReference }
  from './program';

/**
 * The state whose current value a branch statement's result may be: an eager branch may
 * return an operand as is, so a result over an operand that is a state's value dies with
 * that value at the state's next write (the memory rule), as the operand itself does.
 * Branch statements take operands of at most one state for this reason.
 */
function passedThrough(operands: readonly Val[]): number | undefined {
  return operands.find((o) => o.stateOf !== undefined)?.stateOf;
}

export interface GenOptions {
  readonly seed: number;
  /** The backend the programs target (some ops are kept out on some backends). */
  readonly backend: string;
  /** Most statements in the top-level body. */
  readonly maxOps?: number;
}

/** A value visible to the generator: its id, type, concrete first-call tensor, and tolerance class. */
interface Val {
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Downstream of a reordered kernel (see check.ts): only continuous ops may read it. */
  readonly approx: boolean;
  readonly t: tf.Tensor;
  /** Which state's current value this is (a read, or an aliasing argument): a write to it disposes it eagerly. */
  readonly stateOf?: number;
}

const FLOAT_SPECIALS = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 2.5, -2.5, 3, 0.1, 0.3, -0.3, NaN, Infinity, -Infinity, 1e-40, -1e-40,
  1.1754944e-38, 3.4028235e38, -3.4028235e38, 1e-8, 16777217, -16777217, 1e10, 88.7, -104, 6, 7];
const INT_SPECIALS = [0, 1, -1, 2, -2, 7, 2147483647, -2147483648, 2147483646, 16777217, -16777217, 46341, -46341, 65536, 20100];
/** Numbers whose byte (makeTensor stores `v & 255`, as tfjs-wasm's cast to bool does) is not 0 / 1: 2, 3, 255, 129; 256 gives 0. */
const BOOL_SPECIALS = [2, 3, -1, 255, 256, 129, -128];

/** Ops that read approx values (continuous, no amplification beyond the tolerance). */
const APPROX_SAFE = new Set(['neg', 'abs', 'relu', 'tanh', 'sigmoid', 'add', 'sub', 'mul', 'maximum', 'minimum', 'sum', 'mean',
  'reshape', 'transpose', 'expandDims', 'tile', 'concat', 'slice', 'stridedSlice', 'pad', 'reverse', 'broadcastTo', 'max', 'min']);

const UNARY_FLOAT = ['abs', 'neg', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos', 'tan',
  'tanh', 'sigmoid', 'relu', 'relu6', 'elu', 'selu', 'floor', 'ceil', 'round', 'sign', 'erf', 'softplus', 'isNaN', 'leakyRelu',
  'step', 'clipByValue'];
const UNARY_INT = ['abs', 'neg', 'square', 'relu', 'relu6', 'sign', 'round', 'step', 'floor', 'ceil'];
const BINARY_FLOAT = ['add', 'sub', 'mul', 'div', 'floorDiv', 'mod', 'pow', 'maximum', 'minimum', 'squaredDifference', 'atan2'];
const BINARY_INT = ['add', 'sub', 'mul', 'maximum', 'minimum', 'squaredDifference', 'floorDiv', 'mod'];
const COMPARE = ['greater', 'greaterEqual', 'less', 'lessEqual', 'equal', 'notEqual'];
const REDUCE_FLOAT = ['sum', 'mean', 'max', 'min', 'prod', 'logSumExp', 'argMax', 'argMin'];
const REDUCE_INT = ['sum', 'max', 'min', 'prod', 'argMax'];

const MAX_SIZE = 256;
/** FUZZ_DEBUG=1 logs every op the generator tries (to find one that crashes a backend). */
const debug = (): boolean => process.env.FUZZ_DEBUG === '1';
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

class Gen {
  nextId = 0;
  readonly tensors: tf.Tensor[] = [];
  readonly states: { spec: TensorSpec; approx: boolean; t: tf.Tensor }[] = [];

  constructor(readonly rng: Rng, readonly backend: string) {}

  id(): number {
    return this.nextId++;
  }

  keep(t: tf.Tensor): tf.Tensor {
    this.tensors.push(t);
    return t;
  }

  /** Values for a tensor: mostly ordinary, some special. */
  values(shape: readonly number[], dtype: DType): number[] {
    const r = this.rng;
    const n = size(shape);
    const scale = r.pick([1, 1, 3, 10, 1000]);
    return Array.from({ length: n }, () => {
      // Some bools beyond 0 / 1: makeTensor stores their bytes (such as 2 or 255) on every backend.
      if (dtype === 'bool') return r.chance(0.2) ? r.pick(BOOL_SPECIALS) : r.int(0, 1);
      if (dtype === 'int32') return r.chance(0.3) ? r.pick(INT_SPECIALS) : r.int(-10, 10);
      return r.chance(0.25) ? r.pick(FLOAT_SPECIALS) : Math.fround(r.normal() * scale);
    });
  }

  spec(shape: readonly number[], dtype: DType): TensorSpec {
    return { shape: [...shape], dtype, values: this.values(shape, dtype) };
  }
}

/** The shapes of one program: a base shape and variants that broadcast against it. */
function shapeFamily(r: Rng): number[][] {
  const dims = [1, 2, 3, 4, 5, 7, 8, 9, 13, 17];
  const rank = r.weighted([[0, 1], [1, 4], [2, 4], [3, 2]] as const);
  let base = Array.from({ length: rank }, () => r.pick(dims));
  while (size(base) > 64) base = base.map((d) => (d > 2 ? Math.ceil(d / 2) : d));
  const fam = [base];
  for (let k = 0; k < 3; k++) {
    const drop = r.int(0, base.length);
    fam.push(base.slice(drop).map((d) => (r.chance(0.3) ? 1 : d)));
  }
  fam.push([]);
  return fam;
}

/** Builds one block (the top level or a body): statements over the visible values. */
class Scope {
  readonly stmts: Stmt[] = [];
  vals: Val[];

  /**
   * @param nestsControl a vmap body at depth 1 may hold control statements of its own (a scan,
   * its gradient, a branch, another vmap), so programs reach `vmap(grad(scan))` and the batching
   * rules of every control node.
   */
  constructor(readonly g: Gen, outer: readonly Val[], readonly depth: number, readonly nestsControl = false) {
    this.vals = [...outer];
  }

  get r(): Rng {
    return this.g.rng;
  }

  /** Runs `make` on concrete tensors; undefined when tfjs rejects it or the result is too big. */
  private tryRun(make: () => tf.Tensor[]): tf.Tensor[] | undefined {
    try {
      const out = tf.tidy(() => make());
      if (out.some((t) => t.size > MAX_SIZE || t.dtype === 'string' || t.dtype === 'complex64')) {
        tf.dispose(out);
        return undefined;
      }
      out.forEach((t) => this.g.keep(t));
      return out;
    } catch {
      return undefined;
    }
  }

  private add(t: tf.Tensor, approx: boolean, stateOf?: number): Val {
    const v: Val = { id: this.g.id(), shape: t.shape, dtype: t.dtype as DType, approx, t, stateOf };
    this.vals.push(v);
    return v;
  }

  op(op: string, args: Val[], attrs: unknown[] = [], approxResult = false): Val | undefined {
    if (!APPROX_SAFE.has(op) && args.some((a) => a.approx)) return undefined;
    if (debug()) console.log(`gen: ${op}(${args.map((a) => `${a.dtype}[${a.shape}]`).join(', ')}) ${JSON.stringify(attrs)}`);
    const out = this.tryRun(() => [callOp(op, args.map((a) => a.t), attrs)]);
    if (out === undefined) return undefined;
    const v = this.add(out[0], approxResult || args.some((a) => a.approx));
    this.stmts.push({ k: 'op', out: v.id, op, args: args.map((a) => a.id), attrs });
    return v;
  }

  konst(shape: readonly number[], dtype: DType): Val {
    const spec = this.g.spec(shape, dtype);
    const t = this.g.keep(makeTensor(spec));
    const v = this.add(t, false);
    this.stmts.push({ k: 'const', out: v.id, t: spec });
    return v;
  }

  read(state: number): Val {
    const s = this.g.states[state];
    const v = this.add(s.t, s.approx, state);
    this.stmts.push({ k: 'read', out: v.id, state });
    return v;
  }

  /** Writes `v` (made fresh and of the state's type) to state `j`; earlier reads of it die, as eagerly. */
  write(j: number, v: Val): boolean {
    const s = this.g.states[j];
    if (v.approx && !s.approx) return false;
    let w: Val | undefined = this.coerce(v, s.spec.shape, s.spec.dtype);
    if (w === undefined) return false;
    if (!this.stmts.some((st) => st.k === 'op' && st.out === w!.id)) w = this.fresh(w);
    if (w === undefined) return false;
    this.stmts.push({ k: 'write', state: j, arg: w.id });
    // The state's old value (reads, aliasing arguments, earlier writes) is disposed eagerly;
    // the written value is now the state's, and the next write disposes it in turn.
    const written = w;
    this.vals = this.vals.filter((x) => x.stateOf !== j).map((x) => (x === written ? { ...x, stateOf: j } : x));
    return true;
  }

  /** A new tensor equal to `v` (x * 1, or x | x for bool). */
  fresh(v: Val): Val | undefined {
    if (v.dtype === 'bool') return this.op('logicalOr', [v, v]);
    return this.op('mul', [v, this.konstValue(1, v.dtype)]);
  }

  konstValue(x: number, dtype: DType, shape: readonly number[] = []): Val {
    const spec: TensorSpec = { shape: [...shape], dtype, values: Array.from({ length: size(shape) }, () => x) };
    const v = this.add(this.g.keep(makeTensor(spec)), false);
    this.stmts.push({ k: 'const', out: v.id, t: spec });
    return v;
  }

  /** `v` as dtype `dtype` and shape `shape` (cast, then broadcast, reshape or reduce). */
  coerce(v: Val, shape: readonly number[], dtype: DType): Val | undefined {
    let x: Val | undefined = v;
    if (x.dtype !== dtype) {
      x = dtype === 'bool' ? this.op('notEqual', [x, this.konstValue(0, x.dtype)]) : this.op('cast', [x], [dtype]);
      if (x === undefined) return undefined;
    }
    if (x.shape.join(',') === shape.join(',')) return x;
    if (size(x.shape) === size(shape)) return this.op('reshape', [x], [[...shape]]);
    const b = this.op('broadcastTo', [x], [[...shape]]);
    if (b !== undefined) return b;
    if (dtype === 'bool') return undefined;
    const s = this.op('sum', [x]);
    return s === undefined ? undefined : this.op('broadcastTo', [s], [[...shape]]);
  }

  /** A visible value satisfying `ok`, preferring recent ones. */
  pickVal(ok: (v: Val) => boolean): Val | undefined {
    const c = this.vals.filter(ok);
    if (c.length === 0) return undefined;
    return this.r.chance(0.5) ? c[c.length - 1 - Math.min(c.length - 1, this.r.int(0, 2))] : this.r.pick(c);
  }

  /** A second operand for `a`: another value that broadcasts with it, or a new constant. */
  partner(a: Val, dtype: DType, exact: boolean): Val {
    const fits = (v: Val) => v.dtype === dtype && v !== a && (!exact || !v.approx) && broadcasts(v.shape, a.shape);
    const b = this.r.chance(0.6) ? this.pickVal(fits) : undefined;
    if (b !== undefined) return b;
    const shape = this.r.chance(0.5) ? [] : a.shape.map((d) => (this.r.chance(0.4) ? 1 : d));
    return this.konst(shape, dtype);
  }

  step(): void {
    const r = this.r;
    const kind = r.weighted([
      ['unary', 6], ['binary', 8], ['compare', 3], ['logic', 2], ['where', 2], ['cast', 2], ['reduce', 2], ['matMul', 1],
      ['shape', 2], ['const', 1], ['read', this.g.states.length > 0 && this.depth === 0 ? 2 : 0],
      ['control', this.depth === 0 ? 2.5 : this.nestsControl ? 8 : 0],
    ] as const);
    switch (kind) {
      case 'unary': return this.unary();
      case 'binary': return this.binary();
      case 'compare': {
        const a = this.pickVal((v) => !v.approx);
        if (a) this.op(r.pick(COMPARE), [a, this.partner(a, a.dtype, true)]);
        return;
      }
      case 'logic': {
        const a = this.pickVal((v) => v.dtype === 'bool');
        if (a === undefined) return;
        const op = r.pick(['logicalAnd', 'logicalOr', 'logicalNot']);
        this.op(op, op === 'logicalNot' ? [a] : [a, this.partner(a, 'bool', true)]);
        return;
      }
      case 'where': {
        const c = this.pickVal((v) => v.dtype === 'bool');
        const a = this.pickVal((v) => v.dtype !== 'bool' || this.g.backend !== 'wasm');
        if (c && a) this.op('where', [c, a, this.partner(a, a.dtype, false)]);
        return;
      }
      case 'cast': {
        const a = this.pickVal((v) => !v.approx);
        if (a === undefined) return;
        const to = r.pick(['float32', 'int32', 'bool'].filter((d) => d !== a.dtype));
        this.op('cast', [a], [to]);
        return;
      }
      case 'reduce': return this.reduce();
      case 'matMul': return this.matMul();
      case 'shape': return this.shapeOp();
      case 'const': {
        const like = this.pickVal(() => true);
        this.konst(like ? like.shape.map((d) => (r.chance(0.3) ? 1 : d)) : [], r.pick(['float32', 'float32', 'int32', 'bool']));
        return;
      }
      case 'read': {
        this.read(r.int(0, this.g.states.length - 1));
        return;
      }
      case 'control': return this.control();
    }
  }

  private unary(): void {
    const r = this.r;
    const a = this.pickVal((v) => v.dtype !== 'bool');
    if (a === undefined) return;
    const op = r.pick(a.dtype === 'int32' ? UNARY_INT : UNARY_FLOAT);
    let attrs: unknown[] = [];
    if (op === 'leakyRelu') attrs = [r.pick([0.2, 0.25, 0.01, -1.5])];
    if (op === 'step') attrs = [r.pick([0, 0.3, -2, 1.5])];
    if (op === 'clipByValue') {
      const lo = Math.fround(r.pick([-1, -0, 0, -6, 0.1, -1e-8, -3.5]));
      let hi = Math.fround(lo + r.pick([0.5, 1, 2, 1e-6, 6.5]));
      if (!(hi > lo)) hi = lo + 1;
      attrs = [lo, hi];
    }
    this.op(op, [a], attrs);
  }

  private binary(): void {
    const r = this.r;
    const a = this.pickVal((v) => v.dtype !== 'bool');
    if (a === undefined) return;
    const op = r.pick(a.dtype === 'int32' ? BINARY_INT : BINARY_FLOAT);
    let b: Val | undefined = this.partner(a, a.dtype, !APPROX_SAFE.has(op));
    if (a.dtype === 'int32' && (op === 'floorDiv' || op === 'mod')) {
      // Divisors of at least 1: int32 division by 0 (or INT32_MIN % -1) traps in tfjs-wasm.
      const abs = this.op('abs', [b]);
      b = abs && this.op('maximum', [abs, this.konstValue(1, 'int32')]);
      if (b !== undefined) this.op(op, [a, b]);
      return;
    }
    if (r.chance(0.3)) this.op(op, [b, a]);
    else this.op(op, [a, b]);
  }

  private reduce(): void {
    const r = this.r;
    const a = this.pickVal((v) => v.dtype !== 'bool' && v.shape.length > 0);
    if (a === undefined) return;
    const op = r.pick(a.dtype === 'int32' ? REDUCE_INT : REDUCE_FLOAT);
    const axis = r.chance(0.3) && !op.startsWith('arg') ? null : r.int(0, a.shape.length - 1);
    if (op.startsWith('arg')) this.op(op, [a], [axis]);
    else this.op(op, [a], [axis, r.chance(0.3)]);
  }

  private matMul(): void {
    const r = this.r;
    const a = this.pickVal((v) => v.dtype === 'float32' && !v.approx && v.shape.length >= 1);
    const b = a && this.pickVal((v) => v.dtype === 'float32' && !v.approx && v.shape.length >= 1);
    if (a === undefined || b === undefined) return;
    const k = a.shape[a.shape.length - 1];
    if (size(b.shape) % k !== 0) return;
    const m = size(a.shape) / k;
    const n = size(b.shape) / k;
    const tA = this.depth === 0 && r.chance(0.3);
    const tB = this.depth === 0 && r.chance(0.3);
    // A transposed operand makes tfjs-wasm's jitted product sum in another order: bound the
    // operands so the approx tolerance covers it.
    const prep = (v: Val, shape: number[]) => {
      const x = this.op('reshape', [v], [shape]);
      return x && (tA || tB) ? this.op('clipByValue', [x], [-4, 4]) : x;
    };
    const a2 = prep(a, tA ? [k, m] : [m, k]);
    let b2 = a2 && prep(b, tB ? [n, k] : [k, n]);
    if (b2 && this.g.backend === 'wasm') {
      // tfjs-wasm caches the packed weight operand by buffer: a second matMul with the same
      // buffer under another shape reads out of bounds (docs/sharp-bits.md). Give every product
      // a weight buffer of its own, never used again.
      const fresh: Val | undefined = this.op('add', [b2, this.konstValue(0, 'float32')]);
      if (fresh !== undefined) this.vals = this.vals.filter((v) => v !== fresh);
      b2 = fresh;
    }
    if (a2 && b2) this.op('matMul', [a2, b2], [tA, tB], tA || tB);
  }

  private shapeOp(): void {
    const r = this.r;
    const a = this.pickVal(() => true);
    if (a === undefined) return;
    const rank = a.shape.length;
    switch (r.pick(['reshape', 'transpose', 'expandDims', 'tile', 'concat', 'slice', 'stridedSlice', 'stridedSlice', 'pad', 'pad', 'reverse',
      'broadcastTo'])) {
      case 'reshape':
        this.op('reshape', [a], [r.chance(0.5) ? [-1] : [...a.shape].reverse()]);
        return;
      case 'transpose':
        if (rank >= 2) this.op('transpose', [a], [[...Array(rank).keys()].reverse()]);
        return;
      case 'expandDims':
        this.op('expandDims', [a], [r.int(0, rank)]);
        return;
      case 'tile':
        if (rank >= 1) this.op('tile', [a], [a.shape.map(() => r.int(1, 2))]);
        return;
      case 'concat': {
        if (rank === 0) return;
        const b = this.pickVal((v) => v.dtype === a.dtype && v.shape.length === rank && v !== a && (!v.approx || a.approx));
        if (b) this.op('concat', [a, b], [r.int(0, rank - 1)]);
        return;
      }
      case 'slice':
        if (rank >= 1) {
          const begin = a.shape.map((d) => r.int(0, d - 1));
          this.op('slice', [a], [begin, a.shape.map((d, i) => r.int(1, d - begin[i]))]);
        }
        return;
      case 'stridedSlice':
        if (rank >= 1) this.stridedSlice(a);
        return;
      case 'pad':
        if (rank >= 1) {
          const fill = a.dtype === 'bool' ? r.int(0, 1) : r.pick(a.dtype === 'int32' ? [0, 0, 7, -1, 2147483647, -2147483648, 16777217]
            : [0, 0, 1, -1, 2.5, -0, NaN, Infinity, 1e-40]);
          this.op('pad', [a], [a.shape.map(() => [r.int(0, 2), r.int(0, 2)]), fill]);
        }
        return;
      case 'reverse':
        // tfjs-wasm's Reverse treats bool data as 4-byte elements and corrupts its heap.
        if (rank >= 1 && !(a.dtype === 'bool' && this.g.backend === 'wasm')) this.op('reverse', [a], [r.int(0, rank - 1)]);
        return;
      case 'broadcastTo':
        this.op('broadcastTo', [a], [[r.int(1, 3), ...a.shape]]);
        return;
    }
  }

  /**
   * `tf.stridedSlice` with tfjs's whole attribute set: negative and out-of-range bounds (clamped),
   * negative strides, begin / end masks, one shrunk axis, an ellipsis or a new axis, and fewer
   * bounds than axes. Empty results are kept out, as loops of length 0 are.
   */
  private stridedSlice(a: Val): void {
    const r = this.r;
    const rank = a.shape.length;
    const n = rank > 1 && r.chance(0.2) ? rank - 1 : rank;
    const bits = () => Array.from({ length: n }, (_, i) => (r.chance(0.25) ? 1 << i : 0)).reduce((x, y) => x | y, 0);
    const strides = Array.from({ length: n }, () => r.pick([1, 1, 1, 2, 3, -1, -2]));
    const begin = Array.from({ length: n }, (_, i) => r.int(-a.shape[i] - 1, a.shape[i]));
    const end = Array.from({ length: n }, (_, i) => r.int(-a.shape[i] - 1, a.shape[i] + 1));
    let shrink = 0;
    if (r.chance(0.3)) {
      const i = r.int(0, n - 1);
      shrink = 1 << i;
      begin[i] = r.int(-a.shape[i], a.shape[i] - 1);
      strides[i] = 1;
    }
    const ellipsis = r.chance(0.1) ? 1 << r.int(0, n - 1) : 0;
    const newAxis = !ellipsis && r.chance(0.1) ? 1 << r.int(0, n - 1) : 0;
    const attrs = [begin, end, strides, bits(), bits(), ellipsis, newAxis, shrink & ~ellipsis & ~newAxis];
    let empty = true;
    try {
      empty = tf.tidy(() => callOp('stridedSlice', [a.t], attrs).size === 0);
    } catch {
      return;
    }
    if (!empty) this.op('stridedSlice', [a], attrs);
  }

  private control(): void {
    const r = this.r;
    // Inside a vmap body: every control statement, gradients of scans most (vmap of grad of scan).
    const choice = this.depth > 0 ? r.pick(['forLoop', 'scan', 'cond', 'switch', 'gradScan', 'gradScan', 'gradScan', 'gradScan', 'vmap'])
      : r.pick(['forLoop', 'scan', 'cond', 'switch', 'gradScan', 'gradScan', 'vmap', 'vmap', 'vmap']);
    if (choice === 'vmap') return this.vmapStmt();
    if (choice === 'cond') return this.cond();
    if (choice === 'switch') return this.switchStmt();
    if (choice === 'gradScan') return this.gradScan();
    const xs = this.pickVal((v) => v.shape.length >= 1 && v.shape[0] <= 6 && !v.approx);
    if (xs === undefined) return;
    if (choice === 'forLoop') {
      const row = xs.t.shape.slice(1);
      const body = this.body([{ shape: row, dtype: xs.dtype }]);
      if (body === undefined) return;
      const out = this.tryRun(() => [bst.transform.forLoop((...rows: tf.Tensor[]) => body.run(rows)[0], xs.t)]);
      if (out === undefined) return;
      const v = this.add(out[0], false);
      this.stmts.push({ k: 'forLoop', out: v.id, xs: [xs.id], body: body.block });
      return;
    }
    const init = this.pickVal((v) => !v.approx && v !== xs);
    if (init === undefined) return;
    const body = this.body([{ shape: init.shape, dtype: init.dtype }, { shape: xs.shape.slice(1), dtype: xs.dtype }], [init.shape, init.dtype]);
    if (body === undefined) return;
    // Sometimes JAX's options: reverse, and unroll (which must never change a result).
    const opts = r.int(0, 2) === 0 ? { reverse: r.int(0, 1) === 1, unroll: r.pick([1, 2, 3, true] as (number | boolean)[]) } : undefined;
    const out = this.tryRun(() => {
      const [c, ys] = bst.transform.scan((carry: tf.Tensor, x: tf.Tensor) => {
        const [nc, y] = body.run([carry, x]);
        return [nc, y];
      }, init.t, xs.t, opts ?? {});
      return [c, ys];
    });
    if (out === undefined) return;
    const c = this.add(out[0], false);
    const ys = this.add(out[1], false);
    this.stmts.push({ k: 'scan', outs: [c.id, ys.id], init: init.id, xs: xs.id, body: body.block, ...(opts === undefined ? {} : { opts }) });
  }

  /** `vmap` of a generated body over the first or last axis of a value, sometimes with a second, shared operand. */
  private vmapStmt(): void {
    const r = this.r;
    const xs = this.pickVal((v) => v.shape.length >= 1 && !v.approx);
    if (xs === undefined) return;
    const axis = xs.shape.length >= 2 && r.chance(0.3) ? -1 : 0;
    const a = axis < 0 ? xs.shape.length - 1 : 0;
    if (xs.shape[a] < 1 || xs.shape[a] > 6) return;
    const shared = r.chance(0.5) ? this.pickVal((v) => !v.approx && v !== xs) : undefined;
    const args = shared === undefined ? [xs] : [xs, shared];
    const inAxes = shared === undefined ? [axis] : [axis, null];
    const params = args.map((v, k) => ({ shape: k === 0 ? v.shape.filter((_, j) => j !== a) : v.shape, dtype: v.dtype }));
    const body = this.body(params, undefined, this.depth === 0);
    if (body === undefined) return;
    const out = this.tryRun(() => [vmapByLanes((ps) => body.run(ps)[0], args.map((v) => v.t), inAxes)]);
    if (out === undefined) return;
    const v = this.add(out[0], false);
    this.stmts.push({ k: 'vmap', out: v.id, args: args.map((x) => x.id), inAxes, body: body.block });
  }

  /**
   * The gradient of a scan's loss with respect to its init and xs (float32): eagerly tfjs's
   * tape through the unrolled loop, under jit a reverse scan over the body's VJP. With
   * `unroll` the backward body sums k steps' gradients before adding them: approx.
   */
  private gradScan(): void {
    const r = this.r;
    const xs = this.pickVal((v) => v.dtype === 'float32' && v.shape.length >= 1 && v.shape[0] <= 6 && !v.approx);
    if (xs === undefined) return;
    const init = this.pickVal((v) => v.dtype === 'float32' && !v.approx && v !== xs);
    if (init === undefined) return;
    // The new carry must depend on the old one: else a step's carry never reaches the loss,
    // tfjs's tape skips its partial derivatives and the compiled backward multiplies them by a
    // zero cotangent, which differ where one is NaN (an open difference: docs/sharp-bits.md 21).
    let body: ReturnType<Scope['body']>;
    for (let tries = 0; tries < 4 && body === undefined; tries++) {
      const b = this.body([{ shape: init.shape, dtype: 'float32' }, { shape: xs.shape.slice(1), dtype: 'float32' }], [init.shape, 'float32']);
      if (b !== undefined && dependsOn(b.block, b.block.result[0], b.block.params[0])) body = b;
    }
    if (body === undefined) return;
    const opts = r.int(0, 2) === 0 ? { reverse: r.int(0, 1) === 1, unroll: r.pick([1, 2, 3, true] as (number | boolean)[]) } : undefined;
    const out = this.tryRun(() => gradOfScan(body.block, opts, (_b, bound) => body.run(bound))(init.t, xs.t));
    if (out === undefined) return;
    const approx = opts !== undefined && opts.unroll !== 1;
    const gi = this.add(out[0], approx);
    const gx = this.add(out[1], approx);
    this.stmts.push({ k: 'gradScan', outs: [gi.id, gx.id], init: init.id, xs: xs.id, body: body.block, ...(opts === undefined ? {} : { opts }) });
  }

  /**
   * One or two distinct operands for a branch statement (not `selector`), holding values of
   * at most one state (see {@link passedThrough}); undefined when there are none.
   */
  private branchOperands(selector: Val): Val[] | undefined {
    const operands = [this.pickVal((v) => !v.approx && v !== selector), this.pickVal((v) => !v.approx && v !== selector)]
      .filter((v, i, a): v is Val => v !== undefined && a.indexOf(v) === i);
    const states = new Set(operands.map((o) => o.stateOf).filter((j) => j !== undefined));
    return operands.length === 0 || states.size > 1 ? undefined : operands;
  }

  private cond(): void {
    const r = this.r;
    const src = this.pickVal((v) => !v.approx);
    if (src === undefined) return;
    const pred = src.dtype === 'bool' ? this.op('any', [src])
      : (() => { const s = this.op('sum', [src]); return s && this.op('greater', [s, this.konstValue(r.pick([0, 1, -3]), s.dtype)]); })();
    if (pred === undefined) return;
    const operands = this.branchOperands(pred);
    if (operands === undefined) return;
    const params = operands.map((o) => ({ shape: o.shape, dtype: o.dtype }));
    const then = this.body(params);
    if (then === undefined) return;
    const want = then.resultType;
    const other = this.body(params, [want.shape, want.dtype]);
    if (other === undefined) return;
    const out = this.tryRun(() => [bst.transform.cond(pred.t, (...ops: tf.Tensor[]) => then.run(ops)[0],
      (...ops: tf.Tensor[]) => other.run(ops)[0], ...operands.map((o) => o.t))]);
    if (out === undefined) return;
    const v = this.add(out[0], false, passedThrough(operands));
    this.stmts.push({ k: 'cond', out: v.id, pred: pred.id, operands: operands.map((o) => o.id), then: then.block, else: other.block });
  }

  /** `switch(index, branches, ...operands)`: 2 to 4 branches, an index that may fall outside them (it clamps). */
  private switchStmt(): void {
    const r = this.r;
    const src = this.pickVal((v) => !v.approx && v.dtype !== 'bool');
    if (src === undefined) return;
    const s = this.op('sum', [src]);
    const index = s && (s.dtype === 'int32' ? s : this.op('cast', [s], ['int32']));
    if (index === undefined) return;
    const operands = this.branchOperands(index);
    if (operands === undefined) return;
    const params = operands.map((o) => ({ shape: o.shape, dtype: o.dtype }));
    const first = this.body(params);
    if (first === undefined) return;
    const want = first.resultType;
    const branches = [first];
    for (let k = r.int(1, 3); k > 0; k--) {
      const b = this.body(params, [want.shape, want.dtype]);
      if (b === undefined) return;
      branches.push(b);
    }
    const out = this.tryRun(() => [bst.transform.switch(index.t, branches.map((b) => (...ops: tf.Tensor[]) => b.run(ops)[0]),
      ...operands.map((o) => o.t))]);
    if (out === undefined) return;
    const v = this.add(out[0], false, passedThrough(operands));
    this.stmts.push({ k: 'switch', out: v.id, index: index.id, operands: operands.map((o) => o.id), branches: branches.map((b) => b.block) });
  }

  /**
   * A loop or branch body: params of the given types, a few statements over them and the
   * visible values, and a result (the carry first, coerced to `carry`'s type, for scan).
   */
  private body(params: { shape: readonly number[]; dtype: DType }[], carry?: [readonly number[], DType], nestControl = false):
    { block: Block; run: (xs: tf.Tensor[]) => tf.Tensor[]; resultType: { shape: readonly number[]; dtype: DType } } | undefined {
    const inner = new Scope(this.g, this.vals.filter((v) => !v.approx && v.stateOf === undefined), this.depth + 1, nestControl);
    const paramVals = params.map((p) => {
      const t = this.g.keep(tf.zeros(p.shape as number[], p.dtype));
      const v = inner.add(t, false);
      return v;
    });
    // Typing runs on zeros; the real values only matter at run time.
    const n = this.r.int(1, 5);
    for (let k = 0; k < n; k++) inner.step();
    const own = inner.vals.filter((v) => !this.vals.includes(v) && !paramVals.includes(v));
    let res: Val | undefined = own.length > 0 ? own[own.length - 1] : paramVals[paramVals.length - 1];
    const results: Val[] = [];
    if (carry !== undefined) {
      const c = inner.coerce(res, carry[0], carry[1]);
      if (c === undefined) return undefined;
      results.push(c);
      res = inner.pickVal((v) => !paramVals.includes(v) || v === paramVals[1]) ?? res;
      results.push(res);
    } else {
      results.push(res);
    }
    const block: Block = { params: paramVals.map((p) => p.id), stmts: inner.stmts, result: results.map((v) => v.id) };
    // Runs the block on real tensors (ids bound through a fresh scope over the outer values).
    const outerVals = this.vals;
    const run = (xs: tf.Tensor[]): tf.Tensor[] => {
      const env = new Map<number, tf.Tensor>();
      for (const v of outerVals) env.set(v.id, v.t);
      block.params.forEach((id, i) => env.set(id, xs[i]));
      withLaneReference(() => { for (const s of block.stmts) runBodyStmt(s, env); });
      return block.result.map((id) => env.get(id)!);
    };
    return { block, run, resultType: { shape: results[0].shape, dtype: results[0].dtype } };
  }
}

/** Whether `result` of a body block is computed from its parameter `param` (bodies hold ops only). */
function dependsOn(b: Block, result: number, param: number): boolean {
  const reached = new Set([param]);
  for (const s of b.stmts) if (s.k === 'op' && s.args.some((a) => reached.has(a))) reached.add(s.out);
  return reached.has(result);
}

/** Whether `a` broadcasts with `b` (right-aligned, dims equal or 1). */
function broadcasts(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 1; i <= Math.min(a.length, b.length); i++) {
    const x = a[a.length - i];
    const y = b[b.length - i];
    if (x !== y && x !== 1 && y !== 1) return false;
  }
  return true;
}

/** One random program. */
export function generate(opts: GenOptions): FuzzProgram {
  const r = new Rng(opts.seed);
  const g = new Gen(r, opts.backend);
  try {
    const fam = shapeFamily(r);
    const calls = 3;
    // States: float32 mostly; some may hold approx values (then only continuous ops read them).
    const nStates = r.weighted([[0, 2], [1, 3], [2, 2]] as const);
    for (let j = 0; j < nStates; j++) {
      const spec = g.spec(r.pick(fam), r.weighted([['float32', 4], ['int32', 1]] as const));
      g.states.push({ spec, approx: r.chance(0.2), t: g.keep(makeTensor(spec)) });
    }
    const top = new Scope(g, [], 0);
    const args: ArgSpec[] = [];
    const nArgs = r.int(1, 3);
    for (let k = 0; k < nArgs; k++) {
      if (nStates > 0 && r.chance(0.2)) {
        const j = r.int(0, nStates - 1);
        args.push({ kind: 'state', state: j });
        top.vals.push({ id: g.id(), shape: g.states[j].spec.shape, dtype: g.states[j].spec.dtype, approx: g.states[j].approx,
          t: g.states[j].t, stateOf: j });
        continue;
      }
      const shape = r.pick(fam);
      const dtype = r.weighted([['float32', 5], ['int32', 2], ['bool', 1]] as const);
      const specs = Array.from({ length: calls }, () => g.spec(shape, dtype));
      args.push({ kind: 'tensor', calls: specs });
      top.vals.push({ id: g.id(), shape, dtype, approx: false, t: g.keep(makeTensor(specs[0])) });
    }
    const nOps = r.int(2, opts.maxOps ?? 14);
    const written = new Set<number>();
    for (let k = 0; k < nOps; k++) {
      top.step();
      // Sometimes write a state mid-way (later reads see the new value).
      if (nStates > 0 && r.chance(0.08)) {
        const j = r.int(0, nStates - 1);
        const v = top.pickVal((x) => !x.approx || g.states[j].approx);
        if (v && top.write(j, v)) written.add(j);
      }
    }
    for (let j = 0; j < nStates; j++) {
      if (written.has(j) || !r.chance(0.7)) continue;
      const v = top.pickVal((x) => !x.approx || g.states[j].approx);
      if (v) top.write(j, v);
    }
    const nOut = r.int(1, 3);
    const outs: Val[] = [];
    for (let k = 0; k < nOut; k++) {
      const v = top.pickVal((x) => !outs.includes(x));
      if (v) outs.push(v);
    }
    if (outs.length === 0) outs.push(top.konst([], 'float32'));
    return {
      version: 1,
      calls,
      states: g.states.map((s) => s.spec),
      args,
      body: top.stmts,
      outputs: outs.map((v) => v.id),
      approxOutputs: outs.map((v, i) => (v.approx ? i : -1)).filter((i) => i >= 0),
      approxStates: g.states.map((s, j) => (s.approx ? j : -1)).filter((j) => j >= 0),
    };
  } finally {
    tf.dispose(g.tensors);
  }
}
