/**
 * The engine behind `grad` and `valueAndGrad`: one call of the function under tfjs's
 * gradient tape (`engine.gradients`), with state access routed through a
 * {@link GradObserver}.
 *
 * Each differentiated leaf (a state's value, an argument's tensor) is replaced by a
 * fresh `tf.clone` before the call, so every position has its own tape id (the same
 * tensor passed twice still gets two gradients) and what the function sees under jit
 * is the traced value. Writes the function makes to states are shadowed (kept alive
 * across the forward pass's tidy) and committed after the backward pass, so a call that
 * throws leaves every state as it was. Everything handed back is owned by the caller.
 */
import * as tf from '@tensorflow/tfjs';
import { GradientError } from '../errors';
import { State, StateValue, holderCount } from '../state/state';
import { currentObserver, StateObserver, withObserver } from '../state/stack';
import { isTensor, tensorLeaves } from '../state/tree';
import { flatten, mapLeaves, TreeDef, unflatten } from '../util/pytree';
import {
  collectArgLeaves, collectGradStates, describeLeaf, formatTreePath, GradStateSpec, leavesWithPaths,
} from './grad-tree';
import { dropAbandonedTape, tapeGradients } from '../backend/tfjs-tape';
import { ShadowStates } from './shadow';

/** What to differentiate, resolved from the options. */
export interface GradRequest {
  /** `grad` or `valueAndGrad`, for messages. */
  readonly name: string;
  /** The `gradStates` spec, when given. */
  readonly gradStates: unknown;
  readonly hasGradStates: boolean;
  /** The argnums option (undefined: none, unless there are no gradStates, then 0). */
  readonly argnums: number | readonly number[] | undefined;
  readonly hasAux: boolean;
  /** A gradStates state the function never reads is an error (BrainState's `check_states`). */
  readonly checkStates: boolean;
}

/** What one differentiated call produced; every tensor is the caller's. */
export interface GradOutcome {
  /** Gradients in the `gradStates` structure (undefined without gradStates). */
  readonly stateGrads: unknown;
  /** Gradients of the arguments: one tree (number argnums) or an array (undefined when none). */
  readonly argGrads: unknown;
  readonly value: tf.Tensor;
  readonly aux: unknown;
}

/**
 * A differentiated call's shadow-state context (shadow.ts): states being differentiated
 * read as their clones (the tape's inputs), other reads go through to the enclosing
 * context, writes are shadowed as copies the gradient owns (`ours`) until the commit;
 * states created inside belong to the enclosing context.
 */
class GradObserver {
  /** The differentiated states the function read (the others would get a zero gradient). */
  readonly readTargets = new Set<State<StateValue>>();
  readonly shadow: ShadowStates;

  constructor(outer: StateObserver | undefined, targets: ReadonlyMap<State<StateValue>, StateValue>, ours: Set<tf.Tensor>) {
    this.shadow = new ShadowStates({
      firstRead: (state) => {
        const target = targets.get(state);
        if (target !== undefined) {
          this.readTargets.add(state);
          return { value: target, cache: true };
        }
        if (outer === undefined) return { value: state.rawValue(), cache: false };
        const v = outer.read(state);
        // A jit makes its input copy at the first read; made inside the forward pass's tidy
        // it would be disposed when the pass ends, and a later read would see a dead tensor.
        for (const t of tensorLeaves(v)) tf.keep(t);
        return { value: v, cache: false };
      },
      acceptWrite: (_state, value) => mapLeaves(value, (t) => {
        const c = tf.keep(tf.clone(t as tf.Tensor));
        ours.add(c);
        return c;
      }, isTensor) as StateValue,
      created: (state) => outer?.created?.(state),
      holdsAlso: (tensor) => {
        for (const v of targets.values()) if (tensorLeaves(v).includes(tensor)) return true;
        return false;
      },
    });
  }
}

/** The argnums as a list of in-range indices, and whether one was asked. */
function resolveArgnums(req: GradRequest, nArgs: number): { list: number[]; single: boolean } | undefined {
  const raw = req.argnums ?? (req.hasGradStates ? undefined : 0);
  if (raw === undefined) return undefined;
  const single = !Array.isArray(raw);
  const given = (single ? [raw] : raw) as readonly unknown[];
  const list = given.map((k) => {
    if (typeof k !== 'number' || !Number.isInteger(k)) {
      throw new GradientError(`${req.name}: expected argnums to be an integer or an array of integers, but got ` +
        `${describeLeaf(k)}; e.g. argnums: 0 or argnums: [0, 2].`);
    }
    if (k < 0) {
      // As BrainState: an index from the end would change meaning with the number of arguments passed.
      throw new GradientError(`${req.name}: argnums ${k} is negative; negative indices are not supported (as in ` +
        'BrainState). Use the non-negative index of the positional argument.');
    }
    if (k >= nArgs) {
      throw new GradientError(`${req.name}: argnums ${k} is out of range for a call with ${nArgs} argument` +
        `${nArgs === 1 ? '' : 's'} (valid: 0..${nArgs - 1}); pass the argument, or differentiate states with ` +
        'gradStates instead.');
    }
    return k;
  });
  const dup = list.find((k, i) => list.indexOf(k) !== i);
  if (dup !== undefined) {
    throw new GradientError(`${req.name}: argnums lists argument ${dup} twice; list each argument once.`);
  }
  return { list, single };
}

/** Splits the function's result into loss and aux, checking the loss is a float32 scalar tensor. */
function splitResult(out: unknown, req: GradRequest): [tf.Tensor, unknown] {
  let loss: unknown = out;
  let aux: unknown;
  if (req.hasAux) {
    if (!Array.isArray(out) || out.length !== 2) {
      throw new GradientError(`${req.name}: with hasAux: true the function must return [loss, aux], but it ` +
        `returned ${Array.isArray(out) ? `an array of length ${out.length}` : describeLeaf(out)}; return ` +
        'a two-element array.');
    }
    [loss, aux] = out;
  }
  if (!isTensor(loss)) {
    const hint = Array.isArray(loss) && !req.hasAux ? ' To return extra values with the loss, return [loss, aux] ' +
      'and pass hasAux: true.' : ' Return a scalar tensor, e.g. tf.mean(tf.square(tf.sub(pred, target))).';
    throw new GradientError(`${req.name}: expected the function to return a scalar tf.Tensor loss, but it ` +
      `returned ${Array.isArray(loss) ? `an array of length ${loss.length}` : describeLeaf(loss)}.${hint}`);
  }
  if (loss.rank !== 0) {
    throw new GradientError(`${req.name}: expected a scalar loss (shape []), but the function returned a ` +
      `tensor of shape [${loss.shape.join(',')}] (${loss.dtype}); gradients are defined for scalar outputs: ` +
      'reduce it with tf.mean(...) or tf.sum(...).');
  }
  if (loss.dtype !== 'float32') {
    throw new GradientError(`${req.name}: expected a float32 loss, but it is ${loss.dtype}; compute the loss ` +
      "from float32 tensors (tf.cast(x, 'float32')).");
  }
  return [loss, aux];
}

/** A tensor the caller may own: `t` itself, or a clone when `t` belongs to a state, an input, or us. */
function owned(t: tf.Tensor, shared: (t: tf.Tensor) => boolean): tf.Tensor {
  return shared(t) ? tf.clone(t) : t;
}

/**
 * Throws naming every `gradStates` state the function never read: its gradient would be
 * zero whatever the loss, which is nearly always a wrong state list (BrainState raises too).
 */
function checkStatesRead(spec: GradStateSpec, read: ReadonlySet<State<StateValue>>, req: GradRequest): void {
  const unread = spec.states.map((s, j) => ({ s, j })).filter(({ s }) => !read.has(s));
  if (unread.length === 0) return;
  const paths = leavesWithPaths(spec.spec, (x) => x instanceof State, false);
  const names = [...new Set(unread.map(({ s, j }) => {
    const path = paths[j]?.path ?? [];
    return path.length === 0 ? s.label() : `${formatTreePath(path)} (${s.label()})`;
  }))];
  throw new GradientError(`${req.name}: expected the function to read every state in gradStates, but it never read ` +
    `${names.join(', ')}; the gradient would be zero whatever the loss. Read ${unread.length === 1 ? 'it' : 'them'} ` +
    'in the function, leave ' + (unread.length === 1 ? 'it' : 'them') + ' out of gradStates, or pass ' +
    'checkStates: false to get zero gradients (as BrainState\'s check_states=False).');
}

/**
 * Runs `fn` once under the gradient tape and returns the gradients of its scalar loss
 * with respect to the requested states and arguments (zeros where it does not depend
 * on them), the loss, and the aux value.
 */
export function computeGradients(fn: (...args: unknown[]) => unknown, thisArg: unknown, args: unknown[],
  req: GradRequest): GradOutcome {
  const argnums = resolveArgnums(req, args.length);
  const ours = new Set<tf.Tensor>();
  const made: tf.Tensor[] = [];
  const auxKept: tf.Tensor[] = [];
  const inputs = new Set(flatten(args, isTensor)[0].filter(isTensor));
  const shared = (t: tf.Tensor): boolean => ours.has(t) || inputs.has(t) || holderCount(t) > 0;
  const cloneOf = (t: tf.Tensor): tf.Tensor => {
    const c = tf.clone(t);
    ours.add(c);
    return c;
  };
  let observer: GradObserver | undefined;
  try {
    // States: read (through any outer transform) before the call, each replaced by a clone.
    const targets = new Map<State<StateValue>, StateValue>();
    const stateSpec = req.hasGradStates ? collectGradStates(req.gradStates, req.name) : undefined;
    const xs: tf.Tensor[] = [];
    const stateDefs = new Map<State<StateValue>, { def: TreeDef; first: number; count: number }>();
    for (const s of stateSpec?.states ?? []) {
      if (targets.has(s)) continue;
      const v = s.value;
      const [leaves, def] = flatten(v, isTensor);
      leaves.forEach((t, j) => {
        if ((t as tf.Tensor).dtype !== 'float32') {
          const at = leaves.length > 1 ? ` (leaf ${formatTreePath(leavesWithPaths(v, isTensor)[j].path)})` : '';
          throw new GradientError(`${req.name}: expected float32 values in gradStates, but ${s.label()}${at} holds ` +
            `${describeLeaf(t)}; leave it out of gradStates (integer states have no gradient) or store it as float32.`);
        }
      });
      const clones = (leaves as tf.Tensor[]).map(cloneOf);
      stateDefs.set(s, { def, first: xs.length, count: clones.length });
      xs.push(...clones);
      targets.set(s, unflatten(def, clones) as StateValue);
    }
    // Arguments: each differentiated leaf replaced by a clone.
    const callArgs = args.slice();
    const argDefs: { index: number; def: TreeDef; first: number; count: number }[] = [];
    for (const i of argnums?.list ?? []) {
      const { leaves, made: m, def } = collectArgLeaves(args[i], i, req.name);
      made.push(...m);
      const clones = leaves.map(cloneOf);
      argDefs.push({ index: i, def, first: xs.length, count: clones.length });
      xs.push(...clones);
      callArgs[i] = unflatten(def, clones);
    }

    observer = new GradObserver(currentObserver(), targets, ours);
    const obs = observer;
    let aux: unknown;
    const forward = (): tf.Tensor => {
      const out = withObserver(obs.shadow, () => fn.apply(thisArg, callArgs));
      const [loss, a] = splitResult(out, req);
      // The forward tidy frees everything but the loss: keep our own copies of aux.
      aux = req.hasAux ? mapLeaves(a, (t) => {
        const c = tf.keep(tf.clone(t as tf.Tensor));
        auxKept.push(c);
        return c;
      }, isTensor) : undefined;
      return loss;
    };
    let value: tf.Tensor;
    let grads: (tf.Tensor | null | undefined)[];
    try {
      ({ value, grads } = xs.length === 0 ? { value: tf.tidy(forward), grads: [] }
        : tapeGradients(forward, xs));
    } catch (e) {
      dropAbandonedTape();
      throw e;
    }

    if (req.checkStates && stateSpec !== undefined) checkStatesRead(stateSpec, observer.readTargets, req);

    // Gradients: zeros where the loss does not depend on a leaf; each tensor handed out once.
    const handed = new Set<tf.Tensor>();
    const gs = xs.map((x, i) => {
      const raw = grads[i];
      const g = raw == null ? tf.zerosLike(x) : handed.has(raw) || shared(raw) ? tf.clone(raw) : raw;
      handed.add(g);
      return g;
    });
    const valueOut = handed.has(value) ? tf.clone(value) : owned(value, shared);
    const auxOut = req.hasAux ? mapLeaves(aux, (t) => tf.clone(t as tf.Tensor), isTensor) : undefined;

    // Commit the shadowed writes, then free everything of ours that nobody holds.
    const outer = currentObserver();
    const committed = new Set<tf.Tensor>();
    for (const [state, v] of observer.shadow.writes()) {
      for (const t of tensorLeaves(v)) committed.add(t);
      if (outer !== undefined) outer.write(state, v);
      else state.setRaw(v);
    }
    for (const t of ours) if (!committed.has(t) && t !== valueOut) t.dispose();

    let stateGrads: unknown;
    if (stateSpec !== undefined) {
      const given = new Set<State<StateValue>>();
      stateGrads = unflatten(stateSpec.def, stateSpec.states.map((s) => {
        const { def, first, count } = stateDefs.get(s)!;
        const leaves = gs.slice(first, first + count);
        const repeat = given.has(s);
        given.add(s);
        return unflatten(def, repeat ? leaves.map((t) => tf.clone(t)) : leaves);
      }));
    }
    let argGrads: unknown;
    if (argnums !== undefined) {
      const trees = argDefs.map(({ def, first, count }) => unflatten(def, gs.slice(first, first + count)));
      argGrads = argnums.single ? trees[0] : trees;
    }
    return { stateGrads, argGrads, value: valueOut, aux: auxOut };
  } catch (e) {
    for (const t of ours) t.dispose();
    for (const [, v] of observer?.shadow.writes() ?? []) for (const t of tensorLeaves(v)) t.dispose();
    throw e;
  } finally {
    for (const t of auxKept) t.dispose();
    for (const t of made) t.dispose();
  }
}
