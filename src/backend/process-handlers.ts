/**
 * tfjs-backend-wasm's emscripten glue, when it starts in Node, adds
 * `process.on('uncaughtException', (e) => { throw e; })` and
 * `process.on('unhandledRejection', (r) => { throw r; })`. Rethrowing inside those
 * handlers makes Node exit with code 7 ("internal exception handler failure") instead
 * of 1, and with source maps enabled (`--enable-source-maps`, tsx) it first prints the
 * 38 KB minified line of the glue as the error's location. brainstate-ts removes the
 * handlers the wasm start added, so an application's errors print as Node prints them.
 */

/** The uncaughtException / unhandledRejection listeners present at one moment. */
export interface ProcessListeners {
  readonly uncaughtException: readonly unknown[];
  readonly unhandledRejection: readonly unknown[];
}

type Proc = {
  listeners(event: string): ((...a: unknown[]) => void)[];
  removeListener(event: string, fn: (...a: unknown[]) => void): unknown;
};

function nodeProcess(): Proc | undefined {
  const p = (globalThis as { process?: Partial<Proc> }).process;
  return typeof p?.listeners === 'function' && typeof p.removeListener === 'function' ? p as Proc : undefined;
}

/** The listeners now (undefined outside Node). */
export function processListeners(): ProcessListeners | undefined {
  const p = nodeProcess();
  if (p === undefined) return undefined;
  return { uncaughtException: p.listeners('uncaughtException'), unhandledRejection: p.listeners('unhandledRejection') };
}

/** Removes the listeners added since `before` was taken; returns how many. */
export function removeListenersAddedSince(before: ProcessListeners | undefined): number {
  const p = nodeProcess();
  if (p === undefined || before === undefined) return 0;
  let removed = 0;
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    for (const fn of p.listeners(event)) {
      if (!before[event].includes(fn)) {
        p.removeListener(event, fn);
        removed++;
      }
    }
  }
  return removed;
}
