/**
 * The shapes, dtypes and structure of what a function returns, found by running it once
 * in a sandbox that nothing escapes (JAX's `eval_shape`, BrainState's `eval_shape`): state
 * writes are shadowed and dropped, states it creates are retired, nested jitted functions
 * run inline (a replay would write states directly), and every tensor it makes is freed.
 *
 * Loops use it for a zero-length scan eagerly: the stacked ys of zero steps are empty
 * tensors whose shapes only the body knows (under jit the body trace tells them).
 */
import * as tf from '@tensorflow/tfjs';
import { TraceError } from '../errors';
import { holderCount, State, StateValue } from '../state/state';
import { currentObserver, StateObserver, withObserver } from '../state/stack';
import { isTensor, tensorLeaves } from '../state/tree';
import { flatten, TreeDef } from '../util/pytree';
import { disableJit } from './disable';

/** The shape and dtype of one result leaf. */
export interface ShapeDtype {
  readonly shape: readonly number[];
  readonly dtype: tf.DataType;
}

/** Reads see earlier sandboxed writes, else the enclosing transform's (or the stored) value; writes stay here. */
class SandboxObserver implements StateObserver {
  readonly shadow = new Map<State<StateValue>, StateValue>();
  readonly local = new Set<State<StateValue>>();
  readonly kept: tf.Tensor[] = [];

  constructor(private readonly parent: StateObserver | undefined) {}

  read(state: State<StateValue>): StateValue {
    if (this.local.has(state)) return state.rawValue();
    return this.shadow.get(state) ?? (this.parent === undefined ? state.rawValue() : this.parent.read(state));
  }

  write(state: State<StateValue>, value: StateValue): void {
    if (this.local.has(state)) {
      state.setRaw(value);
      return;
    }
    for (const t of tensorLeaves(value)) this.kept.push(tf.keep(t)); // as a state would, across inner tidies
    this.shadow.set(state, value);
  }

  holds(tensor: tf.Tensor): boolean {
    for (const v of this.shadow.values()) if (tensorLeaves(v).includes(tensor)) return true;
    return false;
  }

  created(state: State<StateValue>): void {
    this.local.add(state);
  }
}

/**
 * Runs `fn` once without any lasting effect and describes its result: its structure and
 * the shape and dtype of each leaf (numbers count as float32 scalars).
 *
 * @param what - the caller, for messages (`scan`).
 * @throws TraceError when a leaf is neither a tensor nor a number.
 */
export function evalShape(fn: () => unknown, what: string): { def: TreeDef; leaves: ShapeDtype[] } {
  const observer = new SandboxObserver(currentObserver());
  let def: TreeDef = { kind: 'leaf' };
  const leaves: ShapeDtype[] = [];
  try {
    // Only plain shapes leave the tidy: everything the function made is freed with it.
    tf.tidy(() => {
      const result = disableJit(() => withObserver(observer, fn));
      const [flat, d] = flatten(result, isTensor);
      def = d;
      flat.forEach((l, j) => {
        if (isTensor(l)) leaves.push({ shape: [...l.shape], dtype: l.dtype });
        else if (typeof l === 'number') leaves.push({ shape: [], dtype: 'float32' });
        else throw new TraceError(`${what}: result leaf ${j} is ${typeof l} ${String(l)}; expected tensors (or numbers).`);
      });
    });
    return { def, leaves };
  } finally {
    for (const s of observer.local) s.retireAfterTrace(what);
    for (const t of observer.kept) if (!t.isDisposed && holderCount(t) === 0) t.dispose();
  }
}
