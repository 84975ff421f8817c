/** Plain objects: the containers trees of tensors are made of (with arrays). */

/** True for objects made by `{}` or `Object.create(null)` (not class instances). */
export function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}
