/**
 * The cache key of a jitted call: the tree structure of the arguments, the shape and
 * dtype of each tensor leaf, and the value of each static argument (primitives by
 * value with NaN equal to NaN, arrays and plain objects structurally, anything else by
 * identity). Numbers that are not static become float32 scalars, as in JAX.
 */
import * as tf from '@tensorflow/tfjs';
import { TraceError } from '../errors';
import { State } from '../state/state';
import { isPlainObject, isTensor } from '../state/tree';
import { flatten, TreeDef, treeDefKey, unflatten } from '../util/pytree';

/** Which arguments are static. */
export interface StaticSpec {
  readonly argnums: readonly number[];
  readonly argnames: readonly string[];
}

/** One call, taken apart: the cache key, the traced tensor leaves, and how to rebuild the arguments. */
export interface CallPlan {
  readonly key: string;
  /** Tensor leaves of the non-static arguments (numbers already made scalars). */
  readonly leaves: tf.Tensor[];
  /** Scalars this plan made from numbers; dispose them after the call. */
  readonly madeScalars: tf.Tensor[];
  /** The arguments with each tensor leaf replaced by `leaves[i]` of the given list. */
  rebuild(leaves: readonly tf.Tensor[]): unknown[];
}

const identityIds = new WeakMap<object, number>();
let nextIdentity = 1;

function identityOf(x: object): number {
  let id = identityIds.get(x);
  if (id === undefined) identityIds.set(x, (id = nextIdentity++));
  return id;
}

/** A string equal for two static values exactly when they are equal (see module doc). */
export function staticKey(v: unknown, where: string, fnName: string): string {
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
    case 'symbol':
      return `y${String(v.description)}`;
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
  if (Array.isArray(v)) return `[${v.map((x, i) => staticKey(x, `${where}[${i}]`, fnName)).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${staticKey(v[k], `${where}.${k}`, fnName)}`).join(',')}}`;
  }
  return `o${identityOf(v as object)}`;
}

/** Normalises `staticArgnums` against the call's argument count (negative counts from the end). */
function isStaticIndex(i: number, n: number, spec: StaticSpec): boolean {
  return spec.argnums.some((k) => (k < 0 ? n + k : k) === i);
}

function isTreeLeaf(x: unknown): boolean {
  return isTensor(x) || x instanceof State;
}

/** Takes a call's arguments apart into a {@link CallPlan}. */
export function planCall(args: readonly unknown[], spec: StaticSpec, fnName: string): CallPlan {
  const parts: string[] = [];
  const leaves: tf.Tensor[] = [];
  const madeScalars: tf.Tensor[] = [];
  // Per argument: static (kept as is) or a flattened tree whose leaf i is tensor or static.
  type TreePlan = { kind: 'tree'; def: TreeDef; items: ({ t: number } | { s: unknown })[] };
  type ArgPlan = { kind: 'static'; value: unknown } | TreePlan |
    { kind: 'options'; staticPart: Record<string, unknown>; tree: TreePlan };
  const plans: ArgPlan[] = [];

  const planTree = (value: unknown, where: string): TreePlan => {
    const [flat, def] = flatten(value, isTreeLeaf);
    const items: ({ t: number } | { s: unknown })[] = [];
    const sig: string[] = [];
    flat.forEach((leaf, j) => {
      if (leaf instanceof State) {
        throw new TraceError(`jit(${fnName}): ${where}${def.kind !== 'leaf' ? ` (leaf ${j})` : ''} is a ${leaf.kind}; ` +
          'states cannot be passed to a jitted function: pass state.value, or read the state inside the function ' +
          '(the jit tracks it and writes it back).');
      }
      if (isTensor(leaf)) {
        if (leaf.isDisposed) throw new TraceError(`jit(${fnName}): ${where} holds a disposed tensor (leaf ${j}).`);
        items.push({ t: leaves.length });
        leaves.push(leaf);
        sig.push(`${leaf.dtype}[${leaf.shape.join(',')}]`);
      } else if (typeof leaf === 'number') {
        const t = tf.scalar(leaf, 'float32');
        madeScalars.push(t);
        items.push({ t: leaves.length });
        leaves.push(t);
        sig.push('float32[]');
      } else {
        items.push({ s: leaf });
        sig.push(`=${staticKey(leaf, `${where} leaf ${j}`, fnName)}`);
      }
    });
    parts.push(`${treeDefKey(def)}:${sig.join(';')}`);
    return { kind: 'tree', def, items };
  };

  const n = args.length;
  args.forEach((arg, i) => {
    const where = `argument ${i}`;
    if (isStaticIndex(i, n, spec)) {
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
      plans.push({ kind: 'options', staticPart, tree: planTree(dynamicPart, where) });
      return;
    }
    plans.push(planTree(arg, where));
  });

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
