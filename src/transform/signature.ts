/**
 * The cache key of a jitted call: the backend, the tree structure of the arguments, the
 * shape and dtype of each tensor leaf, and the value of each static argument.
 *
 * What a traced (non-static) argument may hold, leaf by leaf:
 * - tensors; numbers (float32 scalars, as in JAX); arrays of numbers and typed arrays
 *   (one tensor each, exactly as `tf.tensor(value)` makes it, as eager tfjs ops accept them);
 * - `undefined` / `null` (empty trees), booleans (keyed by value: a traced boolean would be
 *   truthy in an `if`, so each value gets its own trace), and modules (keyed by identity,
 *   like `this` of a jitted method; their states are read afresh at every call).
 * Anything else (a string, a Date, a function, another class instance) is an error that
 * says to mark the argument static: a value the trace would bake in must be part of the key.
 *
 * Static values key as: primitives by value (NaN equal to NaN, -0 apart from 0), symbols by
 * identity (`Symbol.for` ones by their registry key), arrays and plain objects
 * structurally, anything else by identity. Cyclic arguments are errors naming the cycle.
 */
import * as tf from '@tensorflow/tfjs';
import { TraceError } from '../errors';
import { isGraphNode } from '../graph/walker';
import { State } from '../state/state';
import { describeNonTensor, isPlainObject, isTensor } from '../state/tree';
import { CyclicTreeError, flatten, formatTreeSteps, TreeDef, treeDefKey, unflatten } from '../util/pytree';
import { formatTreePath, leavesWithPaths } from './grad-tree';
import { typeString } from '../util/type-string';

/** Which arguments are static. */
export interface StaticSpec {
  readonly argnums: readonly number[];
  readonly argnames: readonly string[];
}

/** One call, taken apart: the cache key, the traced tensor leaves, and how to rebuild the arguments. */
export interface CallPlan {
  readonly key: string;
  /** Tensor leaves of the non-static arguments (numbers and numeric arrays already made tensors). */
  readonly leaves: tf.Tensor[];
  /** Tensors this plan made from numbers and arrays; dispose them after the call. */
  readonly madeScalars: tf.Tensor[];
  /** The arguments with each tensor leaf replaced by `leaves[i]` of the given list. */
  rebuild(leaves: readonly tf.Tensor[]): unknown[];
}

const identityIds = new WeakMap<object, number>();
let nextIdentity = 1;

/** A number per object (or unregistered symbol), stable for its lifetime. */
function identityOf(x: object | symbol): number {
  // Node >= 20 accepts unregistered symbols as WeakMap keys (ES2023), which our ES2021 lib does not type.
  const k = x as object;
  let id = identityIds.get(k);
  if (id === undefined) identityIds.set(k, (id = nextIdentity++));
  return id;
}

/** A static value's key; `open` holds the containers on the way here with their names (cycle check). */
function keyOf(v: unknown, where: string, fnName: string, open: Map<object, string>): string {
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) ? 'n-0' : `n${v}`;
    case 'string':
      return `s${JSON.stringify(v)}`;
    case 'boolean':
      return v ? 'T' : 'F';
    case 'undefined':
      return 'u';
    case 'bigint':
      return `i${v}`;
    case 'symbol': {
      // Two `Symbol('k')` are different values: key by identity, never by description.
      const registered = Symbol.keyFor(v);
      return registered !== undefined ? `Y${JSON.stringify(registered)}` : `y${identityOf(v)}`;
    }
    case 'function':
      return `f${identityOf(v)}`;
    default:
      break;
  }
  if (v === null) return 'null';
  if (isTensor(v)) {
    throw new TraceError(`jit(${fnName}): static ${where} is a tensor; static arguments must be hashable ` +
      'JS values (numbers, strings, arrays or objects of them). Pass the tensor as a normal argument.');
  }
  if (!Array.isArray(v) && !isPlainObject(v)) return `o${identityOf(v as object)}`;
  const back = open.get(v);
  if (back !== undefined) {
    throw new TraceError(`jit(${fnName}): static ${where} is ${back} again (a cycle); static arrays and plain ` +
      'objects are keyed by their contents, which a cycle has no end to. Break the cycle, or pass an instance of ' +
      'a class (keyed by identity) as the static argument.');
  }
  open.set(v, where);
  try {
    if (Array.isArray(v)) return `[${v.map((x, i) => keyOf(x, `${where}[${i}]`, fnName, open)).join(',')}]`;
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${keyOf(v[k], `${where}.${k}`, fnName, open)}`).join(',')}}`;
  } finally {
    open.delete(v);
  }
}

/** A string equal for two static values exactly when they are equal (see module doc). */
export function staticKey(v: unknown, where: string, fnName: string): string {
  return keyOf(v, where, fnName, new Map());
}

type TypedArray = Float32Array | Int32Array | Uint8Array | Uint8ClampedArray | Float64Array | Int16Array |
  Int8Array | Uint16Array | Uint32Array;

function isTypedArray(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/**
 * For a non-empty array made only of numbers and (nested) arrays of numbers: its shape
 * when rectangular, 'ragged' when not. Undefined for anything else (a pytree).
 */
function numericArrayShape(x: unknown): number[] | 'ragged' | undefined {
  if (!Array.isArray(x) || x.length === 0) return undefined;
  if (x.every((e) => typeof e === 'number')) return [x.length];
  const inner = x.map(numericArrayShape);
  if (inner.some((s) => s === undefined)) {
    // Numbers mixed with numeric arrays are ragged; anything else makes it a pytree.
    return x.every((e, i) => typeof e === 'number' || inner[i] !== undefined) ? 'ragged' : undefined;
  }
  const first = inner[0];
  if (first === 'ragged' || inner.some((s) => s === 'ragged' || (s as number[]).join() !== first!.join())) return 'ragged';
  return [x.length, ...first!];
}

function isTreeLeaf(x: unknown): boolean {
  return isTensor(x) || x instanceof State || isTypedArray(x) || numericArrayShape(x) !== undefined;
}

/** How an argument is named in messages: `argument 1`, or its leaf `argument 1 at ['opts', 0]`. */
function leafName(value: unknown, j: number, where: string, def: TreeDef): string {
  if (def.kind === 'leaf') return where;
  const path = leavesWithPaths(value, isTreeLeaf, false)[j]?.path ?? [];
  return path.length === 0 ? where : `${where} at ${formatTreePath(path)}`;
}

/** Takes a call's arguments apart into a {@link CallPlan}. */
export function planCall(args: readonly unknown[], spec: StaticSpec, fnName: string): CallPlan {
  // A program belongs to the backend it was traced on. With none started yet, start tfjs's
  // default now, so that the key names the backend the trace will run on.
  let backendName = tf.getBackend();
  if (backendName == null) {
    tf.backend();
    backendName = tf.getBackend();
  }
  const parts: string[] = [backendName];
  const leaves: tf.Tensor[] = [];
  const madeScalars: tf.Tensor[] = [];
  // Per argument: static (kept as is) or a flattened tree whose leaf i is tensor or static.
  type TreePlan = { kind: 'tree'; def: TreeDef; items: ({ t: number } | { s: unknown })[] };
  type ArgPlan = { kind: 'static'; value: unknown } | TreePlan |
    { kind: 'options'; staticPart: Record<string, unknown>; tree: TreePlan };
  const plans: ArgPlan[] = [];

  const addTensor = (t: tf.Tensor, items: ({ t: number } | { s: unknown })[], sig: string[]) => {
    items.push({ t: leaves.length });
    leaves.push(t);
    sig.push(`${typeString(t)}`);
  };

  /** `argIndex`: the argument's index, or -1 for the traced part of the options object (for messages). */
  const planTree = (value: unknown, where: string, argIndex: number): TreePlan => {
    const howStatic = () => (argIndex < 0 ? 'add its key to staticArgnames' : `staticArgnums: [${argIndex}]`);
    let flat: unknown[];
    let def: TreeDef;
    try {
      [flat, def] = flatten(value, isTreeLeaf);
    } catch (e) {
      if (!(e instanceof CyclicTreeError)) throw e;
      throw new TraceError(`jit(${fnName}): ${where}${formatTreeSteps(e.path)} is ${where}${formatTreeSteps(e.back)} ` +
        'again (a cycle); a traced argument must be a tree of tensors, which a cycle has no end to. Pass the parts ' +
        'that hold tensors, or hold the structure in a module (read through states) or a class instance marked static.');
    }
    const items: ({ t: number } | { s: unknown })[] = [];
    const sig: string[] = [];
    flat.forEach((leaf, j) => {
      if (isTensor(leaf) && !leaf.isDisposed) {
        addTensor(leaf, items, sig); // the common case first
        return;
      }
      const name = () => leafName(value, j, where, def);
      if (leaf instanceof State) {
        throw new TraceError(`jit(${fnName}): ${name()} is a ${leaf.kind}; ` +
          'states cannot be passed to a jitted function: pass state.value, or read the state inside the function ' +
          '(the jit tracks it and writes it back).');
      }
      if (isTensor(leaf)) {
        if (leaf.isDisposed) {
          throw new TraceError(`jit(${fnName}): ${name()} is a disposed tensor; keep it alive until the call returns.`);
        }
        addTensor(leaf, items, sig);
      } else if (typeof leaf === 'number') {
        const t = tf.scalar(leaf, 'float32');
        madeScalars.push(t);
        addTensor(t, items, sig);
      } else if (isTypedArray(leaf) || Array.isArray(leaf)) {
        if (numericArrayShape(leaf) === 'ragged') {
          throw new TraceError(`jit(${fnName}): ${name()} is a ragged array of numbers (rows of different lengths); ` +
            'an array of numbers becomes one tensor, as tf.tensor(value) makes it, which needs a rectangular array. ' +
            `Pass tensors (tf.tensor per row), or mark the argument static (${howStatic()}).`);
        }
        // As eager tfjs ops take a TensorLike: exactly the tensor tf.tensor(value) makes (dtype inferred likewise).
        const t = tf.tensor(leaf as TypedArray | number[]);
        madeScalars.push(t);
        addTensor(t, items, sig);
      } else if (typeof leaf === 'boolean' || isGraphNode(leaf)) {
        items.push({ s: leaf });
        sig.push(`=${staticKey(leaf, name(), fnName)}`);
      } else {
        throw new TraceError(`jit(${fnName}): ${name()} is ${describeArgument(leaf)}; a traced argument holds ` +
          'tensors, numbers or arrays of numbers (each becomes a traced tensor), and the trace would bake anything ' +
          `else in. Mark it static (${howStatic()}) so that its value is part of the cache key, or pass a tensor.`);
      }
    });
    parts.push(`${treeDefKey(def)}:${sig.join(';')}`);
    return { kind: 'tree', def, items };
  };

  const n = args.length;
  try {
    args.forEach((arg, i) => {
      const where = `argument ${i}`;
      if (spec.argnums.includes(i)) {
        parts.push(`S${staticKey(arg, where, fnName)}`);
        plans.push({ kind: 'static', value: arg });
        return;
      }
      if (i === n - 1 && spec.argnames.length > 0 && isPlainObject(arg)) {
        // The options object: listed keys are static, the rest is traced.
        const staticPart: Record<string, unknown> = {};
        const dynamicPart: Record<string, unknown> = {};
        for (const k of Object.keys(arg)) (spec.argnames.includes(k) ? staticPart : dynamicPart)[k] = arg[k];
        parts.push(`O${staticKey(staticPart, `${where} (static names)`, fnName)}`);
        plans.push({ kind: 'options', staticPart, tree: planTree(dynamicPart, where, -1) });
        return;
      }
      plans.push(planTree(arg, where, i));
    });
  } catch (e) {
    for (const t of madeScalars) t.dispose();
    throw e;
  }

  const rebuildTree = (p: TreePlan, ls: readonly tf.Tensor[]): unknown =>
    unflatten(p.def, p.items.map((it) => ('t' in it ? ls[it.t] : it.s)));

  return {
    key: parts.join('|'),
    leaves,
    madeScalars,
    rebuild(ls) {
      return plans.map((p) => {
        switch (p.kind) {
          case 'tree':
            return rebuildTree(p, ls);
          case 'options':
            return { ...(rebuildTree(p.tree, ls) as Record<string, unknown>), ...p.staticPart };
          case 'static':
            return p.value;
        }
      });
    },
  };
}

/** What a non-tensor argument is, for messages: `the string "relu"`, `an instance of Date`, `a function`. */
function describeArgument(x: unknown): string {
  if (typeof x === 'function') return `a function${x.name ? ` (${x.name})` : ''}`;
  if (typeof x === 'symbol') return `the symbol ${String(x)}`;
  if (typeof x === 'bigint') return `the bigint ${x}n`;
  return describeNonTensor(x);
}
