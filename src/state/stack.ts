/**
 * The hook through which transforms see every read and write of `State.value`.
 *
 * A transform (jit, grad, a loop) pushes a {@link StateObserver} while it traces a
 * function; the innermost observer decides what a read returns and where a write
 * goes. Outside every transform the stack is empty and states read and write their
 * own storage directly, so the eager path costs one array-length check.
 */
import type { Tensor } from '@tensorflow/tfjs';
import type { State, StateValue } from './state';
import { InternalError } from '../errors';

/** What a transform implements to intercept state access while it traces. */
export interface StateObserver {
  /** Returns the value a read of `state.value` sees inside the transform. */
  read(state: State<StateValue>): StateValue;
  /** Receives a write of `state.value` (already checked to be a tensor tree). */
  write(state: State<StateValue>, value: StateValue): void;
  /** Told about every state constructed while this observer is active. */
  created?(state: State<StateValue>): void;
  /**
   * Whether `tensor` is, inside this transform, the value of some state (a shadow write or
   * the traced value a read returned): code that disposes tensors it did not make (a
   * loop stacking its outputs) must clone such a tensor instead.
   */
  holds?(tensor: Tensor): boolean;
}

/** True when some active observer holds `tensor` as a state's value (see {@link StateObserver.holds}). */
export function heldByObservers(tensor: Tensor): boolean {
  for (const o of observers) if (o.holds?.(tensor) === true) return true;
  return false;
}

const observers: StateObserver[] = [];

/** The innermost active observer, or undefined outside every transform. */
export function currentObserver(): StateObserver | undefined {
  return observers.length === 0 ? undefined : observers[observers.length - 1];
}

/** Runs `fn` with `observer` innermost; always pops it again, also when `fn` throws. */
export function withObserver<R>(observer: StateObserver, fn: () => R): R {
  observers.push(observer);
  try {
    return fn();
  } finally {
    const popped = observers.pop();
    if (popped !== observer) throw new InternalError('state observer stack out of order');
  }
}

/** Runs `fn` with no observer active (used to read or write states "for real"). */
export function withoutObservers<R>(fn: () => R): R {
  const saved = observers.splice(0, observers.length);
  try {
    return fn();
  } finally {
    observers.splice(0, observers.length, ...saved);
  }
}

/** How many observers are active (0 outside every transform). */
export function observerDepth(): number {
  return observers.length;
}
