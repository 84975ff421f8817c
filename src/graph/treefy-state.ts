/**
 * `TreefyState`: the leaf of a state tree. A plain record of a state's kind, value and
 * tag, detached from the live state, so trees can be passed through transforms, mapped
 * over and merged back into a module.
 */
import * as tf from '@tensorflow/tfjs';
import { State, StateClass, StateOptions } from '../state/state';
import { observerDepth } from '../state/stack';
import { isTensor, StateValue } from '../state/tree';
import { pprint, quote, record } from '../util/pprint';
import { PYTREE_NODE, PytreeContainer, PytreeParts } from '../util/pytree';

/** Above this many elements a tensor prints as its shape and dtype, not its values. */
const MAX_PRINTED_VALUES = 20;

/** tfjs's formatting of one element (tensor_format.ts `valToString`), without padding. */
function formatElement(v: unknown, dtype: tf.DataType): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'boolean') return String(v);
  if (dtype === 'bool') return v === 0 ? 'false' : 'true';
  return parseFloat((v as number).toFixed(7)).toString();
}

function formatNested(v: unknown, dtype: tf.DataType): string {
  return Array.isArray(v) ? `[${v.map((x) => formatNested(x, dtype)).join(', ')}]` : formatElement(v, dtype);
}

/**
 * A tensor on one line: `Tensor [-3]`, `Tensor [[-2]]`, with tfjs's number formatting.
 * Large tensors, disposed ones, and any tensor while a transform is tracing (its values
 * are not known yet, and reading them would be a tracer error) print as shape and dtype.
 */
function formatTensor(t: tf.Tensor): string {
  const summary = `Tensor[${t.shape.join(',')}] ${t.dtype}`;
  if (t.isDisposed) return `${summary} (disposed)`;
  if (t.size > MAX_PRINTED_VALUES || observerDepth() > 0) return summary;
  const values = t.arraySync();
  // tfjs prints a scalar with plain toString, higher ranks element by element.
  if (t.rank === 0) return `Tensor ${t.dtype === 'bool' ? formatElement(values, 'bool') : String(values)}`;
  return `Tensor ${formatNested(values, t.dtype)}`;
}

/**
 * A state value on one line: a tensor as {@link formatTensor}, a tree as `[...]` / `{k: ...}`.
 *
 * @example
 * ```ts
 * formatValue(tf.tensor1d([-3]));              // Tensor [-3]
 * formatValue({ w: tf.tensor2d([[1, 2]]) });   // {w: Tensor [[1, 2]]}
 * ```
 * @param value - a tensor or a tree of them.
 * @returns the printed value.
 */
export function formatValue(value: StateValue): string {
  if (isTensor(value)) return formatTensor(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  const obj = value as Record<string, StateValue>;
  return `{${Object.keys(obj).map((k) => `${k}: ${formatValue(obj[k])}`).join(', ')}}`;
}

/** A state constructor as merge and `toState` call it. */
type StateCtor = new (value: StateValue, options: StateOptions) => State<StateValue>;

/**
 * A detached copy of one state: its kind (`type`), its value (the same tensor objects,
 * not copies) and its tag. Trees made by `treefySplit` / `treefyStates` hold these;
 * `treefyMerge` turns them back into live states of the same kind.
 *
 * It is a pytree container with one child, its value, so `jit` and `grad` map over the
 * tensors inside and rebuild a `TreefyState` of the same type and tag around the result
 * (gradients of a tree of `TreefyState`s are such a tree).
 *
 * @example
 * ```ts
 * const t = new bst.TreefyState(bst.ParamState, tf.tensor1d([-3]));
 * console.log(t.toString());
 * // TreefyState(
 * //   type=ParamState,
 * //   value=Tensor [-3],
 * //   tag=undefined
 * // )
 * const live = t.toState();   // a new ParamState holding the same tensor
 * ```
 * @see graph.treefySplit
 * @see graph.treefyMerge
 */
export class TreefyState<T extends StateValue = tf.Tensor> implements PytreeContainer {
  /** The state class this value belongs to (`ParamState`, `HiddenState`, ...). */
  readonly type: StateClass;
  /** The value: the same tensor objects the state held when the tree was made. */
  readonly value: T;
  /** The state's tag. */
  readonly tag: string | undefined;
  /** The state's name, kept so that `toState` and merges restore it (not printed). */
  readonly name: string | undefined;

  /**
   * @param type - the state class.
   * @param value - a tensor or a tree of tensors.
   * @param options - the state's `tag` and `name`.
   */
  constructor(type: StateClass, value: T, options: StateOptions = {}) {
    this.type = type;
    this.value = value;
    this.tag = options.tag;
    this.name = options.name;
  }

  /**
   * The detached copy of a live state, read without going through transforms (so
   * making trees while tracing does not count as a read).
   *
   * @example
   * ```ts
   * const t = bst.TreefyState.fromState(new bst.HiddenState(tf.scalar(0), { tag: 'h' }));
   * t.tag;   // 'h'
   * ```
   * @param state - the live state.
   * @returns its TreefyState.
   */
  static fromState<V extends StateValue>(state: State<V>): TreefyState<V> {
    return new TreefyState<V>(state.constructor as StateClass, state.rawValue(), { tag: state.tag, name: state.name });
  }

  /**
   * A new live state of this type, name and tag holding this value (the same tensors:
   * states count their holders, so this does not copy).
   *
   * @example
   * ```ts
   * new bst.TreefyState(bst.ParamState, tf.scalar(1)).toState() instanceof bst.ParamState;   // true
   * ```
   * @returns the new state.
   */
  toState(): State<T> {
    return new (this.type as unknown as StateCtor)(this.value, { name: this.name, tag: this.tag }) as State<T>;
  }

  /**
   * The same type, tag and name around another value (for `NestedDict.map`).
   *
   * @example
   * ```ts
   * const doubled = params.map((s) => s.replace(tf.mul(s.value, 2)));
   * ```
   * @param value - the new value.
   * @returns a new TreefyState.
   */
  replace<V extends StateValue>(value: V): TreefyState<V> {
    return new TreefyState<V>(this.type, value, { tag: this.tag, name: this.name });
  }

  /** The seed's layout: type, value (on one line) and tag, one per line. */
  toString(): string {
    return pprint(record('TreefyState', [
      ['type', this.type.name],
      ['value', formatValue(this.value)],
      ['tag', this.tag === undefined ? 'undefined' : quote(this.tag)],
    ]));
  }

  /** Pytree protocol: one child (the value); the type and tag are structure. */
  [PYTREE_NODE](): PytreeParts {
    const meta = `TreefyState<${this.type.name}${this.tag === undefined ? '' : `,${JSON.stringify(this.tag)}`}>`;
    return {
      children: [this.value],
      meta,
      rebuild: (children: unknown[]) => new TreefyState(this.type, children[0] as StateValue,
        { tag: this.tag, name: this.name }),
    };
  }
}
