/**
 * The one layout helper every printed structure goes through (GraphDef, TreefyState,
 * NestedDict, later the recorded Program): objects describe themselves as records and
 * lists of {@link Doc}s, and {@link pprint} alone decides indentation and line breaks,
 * so every printout in the library has the same shape and stays stable.
 */

/** A printable document: plain text, a record `Name(k=v, ...)`, or a list `[a, b]`. */
export type Doc = string | DocRecord | DocList;

/** One `label=value` line of a record. */
export type DocField = readonly [label: string, value: Doc];

/** `Name(label=value, ...)`: broken over lines unless made `inline`. */
export interface DocRecord {
  readonly kind: 'record';
  readonly name: string;
  readonly fields: readonly DocField[];
  /** Print on one line (`Name(a=1, b=2)`) instead of one field per line. */
  readonly inline: boolean;
}

/** `[item, ...]`, one item per line. */
export interface DocList {
  readonly kind: 'list';
  readonly items: readonly Doc[];
}

/**
 * Makes a record document.
 *
 * @example
 * ```ts
 * pprint(record('TreefyState', [['type', 'ParamState'], ['tag', 'undefined']]));
 * // TreefyState(
 * //   type=ParamState,
 * //   tag=undefined
 * // )
 * ```
 * @param name - printed before the parenthesis.
 * @param fields - `[label, value]` pairs, printed in this order.
 * @param options - `inline: true` prints the record on one line.
 * @returns the record, for {@link pprint}.
 * @see pprint
 */
export function record(name: string, fields: readonly DocField[], options: { inline?: boolean } = {}): DocRecord {
  return { kind: 'record', name, fields, inline: options.inline === true };
}

/**
 * Makes a list document, printed one item per line.
 *
 * @example
 * ```ts
 * pprint(list(['a', 'b']));   // "[\n  a,\n  b\n]"
 * ```
 * @param items - the items, in order.
 * @returns the list, for {@link pprint}.
 * @see pprint
 */
export function list(items: readonly Doc[]): DocList {
  return { kind: 'list', items };
}

/** Prefixes every line but the first with `pad` (the first line continues a `label=`). */
function indentTail(text: string, pad: string): string {
  return text.indexOf('\n') < 0 ? text : text.split('\n').join(`\n${pad}`);
}

/**
 * Renders a document as text: records and lists open on the current line and put one
 * field or item per line, `indent` spaces deeper than their parent, closing on a line of
 * their own; inline records stay on one line.
 *
 * @example
 * ```ts
 * pprint(record('GraphDef', [['nodes', list([record('#0 Linear', [], { inline: true })])]]));
 * // GraphDef(
 * //   nodes=[
 * //     #0 Linear()
 * //   ]
 * // )
 * ```
 * @param doc - the document.
 * @param indent - spaces per level (default 2).
 * @returns the text, without a trailing newline.
 * @see record
 * @see list
 */
export function pprint(doc: Doc, indent = 2): string {
  const pad = ' '.repeat(indent);
  const render = (d: Doc): string => {
    if (typeof d === 'string') return d;
    if (d.kind === 'list') {
      if (d.items.length === 0) return '[]';
      return `[\n${d.items.map((item) => pad + indentTail(render(item), pad)).join(',\n')}\n]`;
    }
    if (d.fields.length === 0) return `${d.name}()`;
    if (d.inline) return `${d.name}(${d.fields.map(([k, v]) => `${k}=${render(v)}`).join(', ')})`;
    const lines = d.fields.map(([k, v]) => `${pad}${k}=${indentTail(render(v), pad)}`);
    return `${d.name}(\n${lines.join(',\n')}\n)`;
  };
  return render(doc);
}

/**
 * Quotes a string the way every printout shows strings: single quotes, with `\` and `'`
 * escaped, so printed names and tags read like TypeScript literals.
 *
 * @example
 * ```ts
 * quote("it's");   // 'it\'s'
 * ```
 * @param s - the string.
 * @returns the quoted string.
 */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}
