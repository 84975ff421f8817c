/**
 * The one shadow-state context every transform traces under (jit, loop bodies and
 * branches, grad, evalShape): inside it, a state's reads and writes go to a shadow
 * value; nothing reaches the state itself until the transform commits, so a call that
 * throws leaves every state as it was.
 *
 * What the context does the same for every transform:
 * - a state's first read asks the policy for the value seen inside (a traced copy
 *   recorded as a program input, the outer context's value, a gradient target...), later
 *   reads see that value or what was written since;
 * - a write is checked by the policy (shape and dtype, a loop condition writing...) and
 *   kept as the shadow value; its tensors are kept alive across the inner `tf.tidy`s as a
 *   state would keep them;
 * - states created inside are local (read and written directly, retired when the
 *   context ends) or handed to the enclosing context, as the policy says;
 * - `holds(tensor)` says whether a tensor is the shadow value of some state (a loop
 *   stacking its outputs clones such a tensor rather than disposing it);
 * - `finish` retires the local states and disposes the kept tensors that no state holds.
 *
 * What differs is the policy ({@link ShadowPolicy}): trace.ts (jit), subtrace.ts (loop
 * bodies, branches), grad-core.ts (grad), eval-shape.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { holderCount, State, StateValue } from '../state/state';
import type { StateObserver } from '../state/stack';
import { tensorLeaves } from '../state/tree';

/** How one transform's context treats reads, writes and new states. */
export interface ShadowPolicy {
  /**
   * The value a first read of external `state` sees inside. `cache`: remember it (later
   * reads see it without asking again); false re-asks at each read (the enclosing
   * context's value is read through).
   */
  firstRead(state: State<StateValue>, ctx: ShadowStates): { value: StateValue; cache: boolean };
  /**
   * Checks a write of `value` to external `state` (throws on a bad one) and returns the
   * value to keep as the shadow (the value itself, or a copy the transform owns).
   */
  acceptWrite(state: State<StateValue>, value: StateValue, ctx: ShadowStates): StateValue;
  /** States created inside: `'local'` to this context, or handed to `created` (the enclosing context's). */
  readonly created: 'local' | ((state: State<StateValue>) => void);
  /** Extra tensors `holds` reports (gradient targets). */
  holdsAlso?(tensor: tf.Tensor): boolean;
}

/** A transform's shadow-state context (see the module comment). */
export class ShadowStates implements StateObserver {
  /** The shadow value of each external state read (when cached) or written. */
  readonly current = new Map<State<StateValue>, StateValue>();
  /** External states written, in first-write order. */
  readonly written: State<StateValue>[] = [];
  /** States created inside (with `created: 'local'`). */
  readonly local = new Set<State<StateValue>>();
  /** Tensors kept alive for the context; disposed by {@link finish} unless a state holds them. */
  readonly kept: tf.Tensor[] = [];

  constructor(private readonly policy: ShadowPolicy) {}

  read(state: State<StateValue>): StateValue {
    if (this.local.has(state)) return state.rawValue();
    const seen = this.current.get(state);
    if (seen !== undefined) return seen;
    const { value, cache } = this.policy.firstRead(state, this);
    if (cache) this.current.set(state, value);
    return value;
  }

  write(state: State<StateValue>, value: StateValue): void {
    if (this.local.has(state)) {
      state.setRaw(value);
      return;
    }
    const shadow = this.policy.acceptWrite(state, value, this);
    for (const t of tensorLeaves(shadow)) this.keep(t);
    this.current.set(state, shadow);
    if (!this.written.includes(state)) this.written.push(state);
  }

  holds(tensor: tf.Tensor): boolean {
    for (const v of this.current.values()) if (tensorLeaves(v).includes(tensor)) return true;
    return this.policy.holdsAlso?.(tensor) === true;
  }

  created(state: State<StateValue>): void {
    if (this.policy.created === 'local') this.local.add(state);
    else this.policy.created(state);
  }

  /** Keeps `t` alive past inner `tf.tidy` scopes until {@link finish}; returns it. */
  keep(t: tf.Tensor): tf.Tensor {
    this.kept.push(tf.keep(t));
    return t;
  }

  /** The written states with their shadow values, in first-write order. */
  writes(): [State<StateValue>, StateValue][] {
    return this.written.map((s) => [s, this.current.get(s)!]);
  }

  /** Disposes the kept tensors that no state holds (after a commit, the committed ones survive). */
  disposeKept(): void {
    for (const t of this.kept) if (!t.isDisposed && holderCount(t) === 0) t.dispose();
    this.kept.length = 0;
  }

  /** Ends the context: retires the local states (`what` names the transform) and disposes what nobody holds. */
  finish(what: string): void {
    for (const s of this.local) s.retireAfterTrace(what);
    this.disposeKept();
  }
}
