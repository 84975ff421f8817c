/**
 * Whether `backend.init()` ran before the library was used, and the two one-time
 * warnings when it did not: using states or jitted functions with no `init()` at all
 * (everything silently runs on tfjs's default backend), and `init()` switching backends
 * after tensors already exist (they get moved, jitted programs retrace).
 *
 * A leaf module (no imports from the rest of brainstate-ts), so that states can report
 * their first use without depending on the backend loader.
 */
import * as tf from '@tensorflow/tfjs';

let initCalled = false;
let warnedNoInit = false;
let warnedSwitch = false;

function warn(message: string): void {
  console.warn(message);
}

/** What existed when `init()` was called: the backend tensors were made on, and how many there are. */
export interface PreInit {
  readonly backend: string | null;
  readonly numTensors: number;
}

/** Called by `backend.init()` first thing: remembers what was made before it. */
export function markInitCalled(): PreInit {
  // A later init() that switches backends is deliberate: only tensors made before the first one count.
  if (initCalled) return { backend: null, numTensors: 0 };
  initCalled = true;
  const backend = startedBackend();
  return { backend, numTensors: backend === null ? 0 : tf.memory().numTensors };
}

/** The backend tfjs has started, or null: it starts none until the first tensor is made. */
function startedBackend(): string | null {
  return (tf.engine() as unknown as { backendName: string | null }).backendName ?? null;
}

/**
 * Called when `init()` has chosen `chosen`: warns once when tensors made before it live on
 * another backend.
 */
export function noteInitDone(before: PreInit, chosen: string): void {
  if (warnedSwitch || before.backend === null || before.backend === chosen || before.numTensors === 0) return;
  warnedSwitch = true;
  warn(`brainstate-ts: backend.init() switched from '${before.backend}' to '${chosen}' after ${before.numTensors} ` +
    `tensor${before.numTensors === 1 ? ' was' : 's were'} created on '${before.backend}'. They stay valid: tfjs moves ` +
    `each one to '${chosen}' the first time it is used (a copy), and functions jitted before the switch trace again ` +
    `for '${chosen}'. To avoid both, \`await bst.backend.init()\` before creating any tensor, State or module (at the ` +
    'top of the program\'s entry point).');
}

/**
 * Called at the first State and the first jitted call: warns once when `init()` was never
 * called, since everything then runs on whatever backend tfjs picked by itself.
 */
export function noteUse(what: string): void {
  if (initCalled || warnedNoInit) return;
  const backend = startedBackend();
  if (backend === null) return; // no tensor yet (a state made empty, as random.DEFAULT at import)
  warnedNoInit = true;
  warn(`brainstate-ts: ${what} before backend.init() was called; it runs on tfjs's current backend ` +
    `'${backend}'${backend === 'cpu' ? ' (which tfjs picks by itself in Node: plain JavaScript, the slowest)' : ''}. Call ` +
    '`await bst.backend.init()` once at start-up, before creating tensors: it picks tensorflow, then wasm, then cpu ' +
    "(BRAINSTATE_BACKEND or init('cpu') forces one).");
}
