/**
 * `checkpoint.load` for plain safetensors files (no brainstate-ts manifest), such as a
 * BrainState, JAX or PyTorch model's weights saved from Python. Each tensor leaf of each
 * target state is matched to a tensor by name: the leaf's path joined by `.`
 * (`layers.0.weight.bias`, as BrainState's `treefy_states(model).to_flat()` keys joined
 * by '.') or by `/` (`layers/0/weight/bias`, as `checkpoint.save` names them), or
 * through the `names` option. As for manifest files, everything is checked first and
 * nothing is written unless every leaf matches.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors';
import { formatPath, Key, Path } from '../graph/path';
import { State } from '../state/state';
import { isTensor, StateValue } from '../state/tree';
import { tensorName } from './format';
import { decodeEntry, PlainEntry, PlainFile, parsePlainFile } from './plain-file';
import { typeString } from '../util/type-string';

/**
 * How `checkpoint.load` finds a state's tensors in a plain safetensors file: a map from
 * a tensor leaf's path (`'layers.0.weight.weight'` or `'layers/0/weight/weight'`) to the
 * file's tensor name, or a function from the leaf's path to the name (`undefined` falls
 * back to the default names).
 *
 * @example
 * ```ts
 * const names: bst.checkpoint.TensorNames = { 'layers.0.weight.weight': 'fc1.kernel', 'layers.0.weight.bias': 'fc1.bias' };
 * const byFn: bst.checkpoint.TensorNames = (path) => `model.${path.join('.')}`;
 * ```
 */
export type TensorNames = Readonly<Record<string, string>> | ((leafPath: Path) => string | undefined);

/** Options of `checkpoint.load`. */
export interface LoadOptions {
  /**
   * Read the file as a plain safetensors file and find each state's tensors by these
   * names (files without a brainstate-ts manifest are read that way even without it).
   */
  names?: TensorNames;
  /**
   * Plain files only: tensors that no state uses are an error (default `true`); `false`
   * ignores them (a file with more than the target holds, e.g. optimiser moments).
   */
  strict?: boolean;
}

/** One tensor leaf of a live state: where it is, and the tensor now there. */
interface Leaf {
  readonly state: State<StateValue>;
  readonly path: Path;
  readonly inner: readonly Key[];
  readonly current: tf.Tensor;
}

function leavesOf(state: State<StateValue>, path: Path): Leaf[] {
  const out: Leaf[] = [];
  const go = (v: StateValue, inner: Key[]): void => {
    if (isTensor(v)) out.push({ state, path: [...path, ...inner], inner: [...inner], current: v });
    else if (Array.isArray(v)) v.forEach((c, i) => go(c as StateValue, [...inner, i]));
    else for (const k of Object.keys(v)) go((v as Record<string, StateValue>)[k], [...inner, k]);
  };
  go(state.rawValue(), []);
  return out;
}

/** The names a leaf may have in the file, most specific first. */
function candidates(path: Path, names: TensorNames | undefined): string[] {
  if (typeof names === 'function') {
    const n = names(path);
    if (n !== undefined) return [n];
  } else if (names !== undefined) {
    for (const key of [path.join('.'), path.join('/'), tensorName(path)]) {
      if (Object.prototype.hasOwnProperty.call(names, key)) return [names[key]];
    }
  }
  return [...new Set([path.join('.'), path.join('/'), tensorName(path)])];
}

/** The value a state gets: its tree with each leaf replaced by the loaded tensor. */
function rebuild(v: StateValue, inner: Key[], loaded: Map<string, tf.Tensor>): StateValue {
  if (isTensor(v)) return loaded.get(JSON.stringify(inner))!;
  if (Array.isArray(v)) return v.map((c, i) => rebuild(c as StateValue, [...inner, i], loaded));
  const obj = v as Record<string, StateValue>;
  return Object.fromEntries(Object.keys(obj).map((k) => [k, rebuild(obj[k], [...inner, k], loaded)]));
}

/** True when the file has no brainstate-ts manifest in its `__metadata__`. */
export function isPlainFile(file: string, manifestKey: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const len = Buffer.alloc(8);
    if (fs.readSync(fd, len, 0, 8, 0) < 8) return false;
    const n = len.readBigUInt64LE(0);
    if (n > 100_000_000n) return false;
    const head = Buffer.alloc(Number(n));
    fs.readSync(fd, head, 0, head.length, 8);
    const header = JSON.parse(head.toString('utf8')) as { __metadata__?: Record<string, unknown> };
    return header.__metadata__?.[manifestKey] === undefined;
  } catch {
    return false; // unreadable or malformed: the manifest reader reports it in full
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Loads a plain safetensors file into the live states, matching tensors by name; writes all or nothing. */
export function loadPlain(fnName: string, file: string, live: readonly (readonly [Path, State<StateValue>])[],
  options: LoadOptions): void {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new CheckpointError(`${fnName}: expected a safetensors file at ${file}, but it cannot be read ` +
      `(${(e as Error).message}); check the path.`);
  }
  const parsed: PlainFile = parsePlainFile(fnName, file, buf);
  const problems: string[] = [];
  const used = new Set<string>();
  const found: [Leaf, PlainEntry][] = [];
  for (const [path, state] of live) {
    for (const leaf of leavesOf(state, path)) {
      const names = candidates(leaf.path, options.names);
      const name = names.find((n) => parsed.entries.has(n));
      if (name === undefined) {
        problems.push(`no tensor for ${formatPath(leaf.path)} (${typeString(leaf.current)}); ` +
          `looked for ${names.map((n) => `'${n}'`).join(', ')}`);
        continue;
      }
      const e = parsed.entries.get(name)!;
      if (used.has(name)) problems.push(`tensor '${name}' is matched by two leaves (the second is ${formatPath(leaf.path)})`);
      used.add(name);
      if (e.shape.join(',') !== leaf.current.shape.join(',')) {
        problems.push(`${formatPath(leaf.path)}: tensor '${name}' has shape [${e.shape.join(',')}], the state's tensor ` +
          `[${leaf.current.shape.join(',')}]`);
        continue;
      }
      found.push([leaf, e]);
    }
  }
  if (options.strict !== false) {
    const unused = [...parsed.entries.keys()].filter((n) => !used.has(n));
    if (unused.length > 0) {
      problems.push(`tensors no state uses: ${unused.slice(0, 20).map((n) => `'${n}'`).join(', ')}` +
        `${unused.length > 20 ? ` and ${unused.length - 20} more` : ''} (pass { strict: false } to ignore them)`);
    }
  }
  const decoded: [Leaf, Float32Array | Int32Array | Uint8Array][] = [];
  for (const [leaf, e] of found) {
    const dtype = leaf.current.dtype as 'float32' | 'int32' | 'bool';
    const values = (['float32', 'int32', 'bool'] as string[]).includes(dtype) ? decodeEntry(e, parsed.data, dtype)
      : `the state's tensor is ${leaf.current.dtype}, which a checkpoint cannot hold`;
    if (typeof values === 'string') problems.push(`${formatPath(leaf.path)}: tensor '${e.name}' ${values}`);
    else decoded.push([leaf, values]);
  }
  if (problems.length > 0) {
    throw new CheckpointError(`${fnName}: expected the tensors of ${file} (a plain safetensors file, matched by name) ` +
      `to fill the target, but found ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` +
      problems.map((p) => `  - ${p}`).join('\n') + '\nNothing was written. Name the tensors after the state paths ' +
      "(keys joined by '.' or '/'), pass { names: { 'state.path': 'tensorName' } } or a function, or load into a " +
      'filtered target such as graph.states(model, bst.ParamState).');
  }
  const byState = new Map<State<StateValue>, Map<string, tf.Tensor>>();
  for (const [leaf, values] of decoded) {
    let m = byState.get(leaf.state);
    if (m === undefined) byState.set(leaf.state, m = new Map());
    m.set(JSON.stringify(leaf.inner), tf.tensor(values, [...leaf.current.shape], leaf.current.dtype));
  }
  for (const [state, loaded] of byState) state.value = rebuild(state.rawValue(), [], loaded);
}
