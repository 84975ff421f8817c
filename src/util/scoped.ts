/**
 * Running a function with a setting in force, restoring it afterwards: on return, on
 * throw, and when a returned promise settles.
 */
export function withRestore<R>(fn: () => R, restore: () => void): R {
  let result: R;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as unknown as R;
  restore();
  return result;
}
