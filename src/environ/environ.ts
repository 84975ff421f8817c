/**
 * The environment: global settings such as the time step `dt` and the training flag
 * `fit`, set globally with `set` or for the length of a call with `context`, as
 * BrainState's `brainstate.environ`. Values are plain JS values read when a function
 * runs (under a jit, at trace time: they are constants of the compiled program).
 */
import { BrainStateError } from '../errors';
import { withRestore } from '../util/scoped';

/** The settings brainstate-ts itself reads; any other key is allowed too. */
export interface EnvironSettings {
  /** The integration time step (e.g. in ms) that dynamics read with `environ.get('dt')`. */
  dt?: number;
  /** Whether the model is being fitted (training): `Dropout` is active only then. */
  fit?: boolean;
  /** Any other setting. */
  [key: string]: unknown;
}

const globals = new Map<string, unknown>();
/** Per key, the stack of values pushed by nested `context` calls (innermost last). */
const contexts = new Map<string, unknown[]>();

function checkSettings(settings: EnvironSettings, where: string): void {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    throw new BrainStateError(`${where}: expected an object of settings such as { dt: 0.1 }, got ` +
      `${Array.isArray(settings) ? 'an array' : String(settings)}.`);
  }
  const dt = settings.dt;
  if (dt !== undefined && (typeof dt !== 'number' || !Number.isFinite(dt) || dt <= 0)) {
    throw new BrainStateError(`${where}: expected dt to be a positive finite number, got ${String(dt)}; ` +
      'e.g. environ.set({ dt: 0.1 }).');
  }
  const fit = settings.fit;
  if (fit !== undefined && typeof fit !== 'boolean') {
    throw new BrainStateError(`${where}: expected fit to be a boolean, got ${String(fit)}.`);
  }
}

/**
 * Sets global settings (they stay until set again or {@link reset}); a value inside an
 * active {@link context} still wins until that context ends. `undefined` values are ignored.
 *
 * @example
 * ```ts
 * bst.environ.set({ dt: 0.1, fit: true });
 * bst.environ.get('dt');   // 0.1
 * ```
 * @see context
 */
export function set(settings: EnvironSettings): void {
  checkSettings(settings, 'environ.set');
  for (const [k, v] of Object.entries(settings)) if (v !== undefined) globals.set(k, v);
}

/**
 * The current value of setting `key`: the innermost {@link context} value, else the global
 * one. An unset key is a `BrainStateError` naming it (there is no default `dt`), unless a
 * `defaultValue` is given.
 *
 * @example
 * ```ts
 * bst.environ.set({ dt: 0.1 });
 * const dt = bst.environ.get('dt') as number;                 // 0.1
 * const fit = bst.environ.get('fit', false) as boolean;       // false when unset
 * ```
 * @see getDt
 */
export function get(key: string, defaultValue?: unknown): unknown {
  const stack = contexts.get(key);
  if (stack !== undefined && stack.length > 0) return stack[stack.length - 1];
  if (globals.has(key)) return globals.get(key);
  if (defaultValue !== undefined) return defaultValue;
  const known = [...new Set([...globals.keys(), ...[...contexts].filter(([, s]) => s.length > 0).map(([k]) => k)])];
  throw new BrainStateError(`environ.get: expected setting '${key}' to be set, but it is not ` +
    `(set now: ${known.length > 0 ? known.map((k) => `'${k}'`).join(', ') : 'none'}); ` +
    `set it globally with environ.set({ ${key}: ... }) or for one call with ` +
    `environ.context({ ${key}: ... }, fn).`);
}

/**
 * The time step `dt` (a number); an error naming `dt` when it is not set.
 *
 * @example
 * ```ts
 * bst.environ.context({ dt: 0.05 }, () => bst.environ.getDt());   // 0.05
 * ```
 * @see get
 */
export function getDt(): number {
  return get('dt') as number;
}

/**
 * Runs `fn` with `settings` in force and restores the previous values afterwards, also
 * when `fn` throws (or, for a promise, when it settles). Contexts nest.
 *
 * @example
 * ```ts
 * bst.environ.set({ dt: 0.1 });
 * bst.environ.context({ dt: 0.01 }, () => bst.environ.get('dt'));   // 0.01
 * bst.environ.get('dt');                                            // 0.1 again
 * ```
 * @see set
 */
export function context<R>(settings: EnvironSettings, fn: () => R): R {
  checkSettings(settings, 'environ.context');
  const keys = Object.keys(settings).filter((k) => settings[k] !== undefined);
  for (const k of keys) {
    let stack = contexts.get(k);
    if (stack === undefined) contexts.set(k, (stack = []));
    stack.push(settings[k]);
  }
  return withRestore(fn, () => {
    for (const k of keys) contexts.get(k)?.pop();
  });
}

/**
 * Every setting now in force, contexts applied, as a plain object.
 *
 * @example
 * ```ts
 * bst.environ.set({ dt: 0.1 });
 * bst.environ.all();   // { dt: 0.1 }
 * ```
 */
export function all(): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(globals);
  for (const [k, stack] of contexts) if (stack.length > 0) out[k] = stack[stack.length - 1];
  return out;
}

/**
 * Removes every global setting (active contexts are not touched). For tests and scripts
 * that want a clean environment.
 *
 * @example
 * ```ts
 * bst.environ.reset();
 * bst.environ.get('dt', 0.1);   // 0.1: dt is unset again
 * ```
 */
export function reset(): void {
  globals.clear();
}
