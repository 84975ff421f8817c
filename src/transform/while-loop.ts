/**
 * `transform.whileLoop`: `carry = body(carry)` while `cond(carry)` is true. Eagerly a JS
 * loop; under jit both functions are traced once and the compiled program loops.
 */
import * as tf from '@tensorflow/tfjs';
import { isTapeOn } from '../backend/tfjs-engine';
import { disposeProgram, WhileSpec } from '../compiler/ir';
import { TraceError } from '../errors';
import type { State, StateValue } from '../state/state';
import { currentObserver, StateObserver, withObserver } from '../state/stack';
import { isTensor } from '../state/tree';
import { flatten, mapLeaves, unflatten } from '../util/pytree';
import { checkCarry, checkEagerCarry, outerLeaves, runAndRecord, tensorTree, writeBack } from './loop-util';
import { subTrace } from './subtrace';
import { isTracing } from './trace';

function checkPredicate(p: unknown): tf.Tensor {
  if (!isTensor(p) || p.size !== 1) {
    throw new TraceError(`whileLoop: cond must return one boolean scalar tensor; got ${isTensor(p) ? `a tensor of shape [${p.shape}]` : typeof p}.`);
  }
  return p;
}

/** Observes an eager cond: reads pass through, a write is an error. */
function readOnly(parent: StateObserver | undefined): StateObserver {
  return {
    read: (s: State<StateValue>) => (parent === undefined ? s.rawValue() : parent.read(s)),
    write: (s: State<StateValue>) => {
      throw new TraceError(`whileLoop: cond wrote state ${s.label()}; a loop condition only reads states. ` +
        'Move the write into the loop body.');
    },
  };
}

/**
 * Repeats `body` while `cond` holds, starting from `init`; returns the final carry.
 * `cond` may read states but not write them; `body` may write states (carried along).
 * The carry keeps its structure, shapes and dtypes, eagerly as under jit (a `TraceError`
 * names the leaf that changed).
 *
 * @example
 * ```ts
 * const n = bst.transform.whileLoop((x: tf.Tensor) => tf.less(x, 100), (x: tf.Tensor) => tf.mul(x, 2), tf.scalar(1));
 * // n = 128
 * ```
 */
export function whileLoop<C>(cond: (carry: C) => tf.Tensor, body: (carry: C) => C, init: C): C {
  return isTracing() ? tracedWhile(cond, body, init) : eagerWhile(cond, body, init);
}

function eagerWhile<C>(cond: (carry: C) => tf.Tensor, body: (carry: C) => C, init: C): C {
  const owned = new Set(flatten(init, isTensor)[0]);
  let carry = init;
  try {
    for (;;) {
      const go = tf.tidy(() => checkPredicate(withObserver(readOnly(currentObserver()), () => cond(carry))).dataSync()[0]);
      if (!go) return carry;
      // The loop disposes old carries, so it owns what it keeps: a clone (shared data, own handle)
      // of each leaf, which may be a state's value or a tensor from outside the loop.
      const next = tf.tidy(() => {
        const r = body(carry);
        checkEagerCarry('whileLoop', init, r);
        return mapLeaves(r, (t) => (isTensor(t) ? tf.clone(t) : t), isTensor) as tf.TensorContainer;
      }) as unknown as C;
      const keep = new Set(flatten(next, isTensor)[0]);
      for (const t of flatten(carry, isTensor)[0] as tf.Tensor[]) if (!owned.has(t) && !keep.has(t)) t.dispose();
      carry = next;
    }
  } catch (e) {
    // A step threw: the carry the loop made so far goes with it.
    for (const t of flatten(carry, isTensor)[0] as tf.Tensor[]) if (!owned.has(t)) t.dispose();
    throw e;
  }
}

function tracedWhile<C>(cond: (carry: C) => tf.Tensor, body: (carry: C) => C, init: C): C {
  if (isTapeOn()) {
    throw new TraceError('whileLoop: a loop with a traced condition inside a gradient under jit cannot be ' +
      'differentiated (as in JAX, reverse-mode through while_loop is unsupported); use forLoop / scan with a fixed ' +
      'number of steps.');
  }
  const parent = currentObserver()!;
  const [carryLeaves, carryDef] = tensorTree(init, 'whileLoop: init');
  const nC = carryLeaves.length;
  const c = subTrace('whileLoop cond', (args) => checkPredicate(cond(unflatten(carryDef, args) as C)), carryLeaves,
    { forbidWrites: true, captureHostData: true });
  let b;
  try {
    b = subTrace('whileLoop body', (args) => body(unflatten(carryDef, args) as C), carryLeaves, { captureHostData: true });
    const bp = b.program;
    checkCarry('whileLoop', carryDef, carryLeaves, b.outTree, bp.outputs.slice(0, nC).map((o) => bp.values[(o as { value: number }).value]));
  } catch (e) {
    // No node will own the programs: their constants (tensors cond and body made) go with them.
    disposeProgram(c.program);
    if (b !== undefined) disposeProgram(b.program);
    throw e;
  }
  const written = b.written.map((w) => w.state);
  // Carry = explicit leaves, then the leaves of every state the body writes.
  const stateCarryLeaves = (args: readonly { state: State<StateValue>; leaves: readonly number[] }[]) =>
    written.flatMap((s) => {
      const a = args.find((x) => x.state === s);
      const n = flatten(b.stateArgs.find((x) => x.state === s)!.outer, isTensor)[0].length;
      return a === undefined ? new Array<number>(n).fill(-1) : [...a.leaves];
    });
  const condInvariant = c.stateArgs.filter((a) => !written.includes(a.state));
  const bodyInvariant = b.stateArgs.filter((a) => !written.includes(a.state));
  const spec: WhileSpec = {
    kind: 'while',
    cond: c.program,
    body: b.program,
    condCarryArgs: [...carryLeaves.map((_, k) => k), ...stateCarryLeaves(c.stateArgs)],
    bodyCarryArgs: [...carryLeaves.map((_, k) => k), ...stateCarryLeaves(b.stateArgs)],
    condInvariantArgs: [...condInvariant.flatMap((a) => a.leaves), ...c.captured.map((x) => x.leaf)],
    bodyInvariantArgs: [...bodyInvariant.flatMap((a) => a.leaves), ...b.captured.map((x) => x.leaf)],
  };
  const inputs = [
    ...carryLeaves, ...outerLeaves(b, written),
    ...outerLeaves(c, condInvariant.map((a) => a.state)), ...c.captured.map((x) => x.tensor),
    ...outerLeaves(b, bodyInvariant.map((a) => a.state)), ...b.captured.map((x) => x.tensor),
  ];
  const results = runAndRecord('While', spec, inputs, 'whileLoop');
  writeBack(parent, b, results.slice(nC));
  return unflatten(carryDef, results.slice(0, nC)) as C;
}
