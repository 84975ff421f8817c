/** The one spelling of a tensor's type in messages: `float32[2,3]` (`float32[]` for a scalar). */

/** `dtype[shape]` of a tensor, a tensor info or a value type. */
export function typeString(t: { readonly dtype: string; readonly shape: readonly number[] }): string {
  return `${t.dtype}[${t.shape.join(',')}]`;
}
