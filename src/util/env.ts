/**
 * Reading environment variables where there may be none: in a browser bundle there is no
 * `process`, and a bare `process.env.X` would throw at load time. Every BRAINSTATE_*
 * variable is read through {@link envVar} (issue 13 turns this into the one validated
 * config module).
 */

/** The environment variable `name`, or undefined where it is unset or there is no `process` (browsers). */
export function envVar(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env?.[name];
}
