/**
 * `checkpoint.load` and `checkpoint.inspect`: read a file written by `checkpoint.save`,
 * validate all of it, check it against the target, and only then write the values.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors';
import { NestedDict, NestedDictBase } from '../graph/nested-dict';
import { formatPath, Path, pathKey } from '../graph/path';
import { states as graphStates } from '../graph/split';
import { TreefyState } from '../graph/treefy-state';
import { State } from '../state/state';
import { observerDepth } from '../state/stack';
import { StateValue } from '../state/tree';
import { MANIFEST_KEY, Manifest, StateRecord, corrupt, manifestFromJson } from './format';
import { HeaderEntry, ParsedFile, parseFile } from './safetensors';
import { checkTarget } from './match';
import { SaveTree } from './save';
import { isPlainFile, LoadOptions, loadPlain } from './plain';
import { typeString } from '../util/type-string';

/**
 * What `checkpoint.load` writes into: a module (or a container of modules and states),
 * or a `NestedDict` of live states such as `graph.states(module)` returns.
 *
 * @example
 * ```ts
 * const target: bst.checkpoint.LoadTarget = bst.graph.states(model, bst.ParamState);
 * ```
 */
export type LoadTarget = object | NestedDict<State<StateValue>>;

/** A validated checkpoint: its manifest and its tensors' bytes. */
interface Checkpoint {
  readonly manifest: Manifest;
  readonly file: ParsedFile;
}

/** Reads and validates all of `file`: layout, manifest, manifest against header, checksum. */
function readCheckpoint(fnName: string, file: string): Checkpoint {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new CheckpointError(`${fnName}: expected a checkpoint file at ${file}, but it cannot be read ` +
      `(${(e as Error).message}); check the path, or save one first with checkpoint.save.`);
  }
  const parsed = parseFile(buf, file);
  const json = parsed.metadata[MANIFEST_KEY];
  if (json === undefined) {
    throw corrupt(file, `its __metadata__ has no "${MANIFEST_KEY}" manifest (a safetensors file written by another ` +
      'tool has no state kinds or paths to load by)');
  }
  const manifest = manifestFromJson(json, file);
  const problems: string[] = [];
  const used = new Set<string>();
  const paths = new Set<string>();
  for (const s of manifest.states) {
    if (paths.has(pathKey(s.path))) problems.push(`the path ${formatPath(s.path)} appears twice`);
    paths.add(pathKey(s.path));
    for (const t of s.tensors) {
      const e = parsed.entries.get(t.name);
      if (e === undefined) problems.push(`tensor '${t.name}' of ${formatPath(s.path)} is not in the header`);
      else if (e.dtype !== t.dtype || e.shape.join(',') !== t.shape.join(',')) {
        problems.push(`tensor '${t.name}' is ${typeString(e)} in the header but ` +
          `${typeString(t)} in the manifest`);
      }
      if (used.has(t.name)) problems.push(`tensor '${t.name}' is used twice`);
      used.add(t.name);
    }
  }
  for (const name of parsed.entries.keys()) if (!used.has(name)) problems.push(`tensor '${name}' belongs to no state`);
  if (problems.length > 0) throw corrupt(file, `its manifest and header disagree: ${problems.join('; ')}`);
  checkManifestOrder(manifest, parsed, file);
  const sha = createHash('sha256').update(parsed.data).digest('hex');
  if (sha !== manifest.dataSha256) {
    throw corrupt(file, `its tensor bytes have SHA-256 ${sha.slice(0, 12)}…, but the manifest recorded ` +
      `${manifest.dataSha256.slice(0, 12)}… (the data was changed or damaged after saving)`);
  }
  for (const e of parsed.entries.values()) {
    if (e.dtype === 'bool' && parsed.data.subarray(e.begin, e.end).some((b) => b > 1)) {
      throw corrupt(file, `the bool tensor '${e.name}' holds bytes other than 0 and 1`);
    }
  }
  return { manifest, file: parsed };
}

/**
 * `save` writes the tensors back to back in manifest order, so each must sit exactly
 * where that order puts it. The layout checks (as Python's safetensors does them) cannot
 * see two same-sized tensors whose data_offsets were swapped, and the data checksum does
 * not cover the header: this does, naming the first misplaced tensor.
 */
function checkManifestOrder(manifest: Manifest, parsed: ParsedFile, file: string): void {
  let at = 0;
  for (const s of manifest.states) {
    for (const t of s.tensors) {
      const e = parsed.entries.get(t.name)!;
      if (e.begin !== at) {
        throw corrupt(file, `tensor '${t.name}' of ${formatPath(s.path)} has data_offsets [${e.begin}, ${e.end}], but ` +
          `checkpoint.save writes tensors back to back in manifest order, which puts it at [${at}, ${at + e.end - e.begin}] ` +
          '(the header\'s offsets were reordered or swapped between tensors)');
      }
      at = e.end;
    }
  }
}

/** A new tensor with an entry's bytes (copied, so the file buffer can be collected). */
function toTensor(e: HeaderEntry, data: Buffer): tf.Tensor {
  const bytes = Buffer.from(data.subarray(e.begin, e.end));
  if (os.endianness() === 'BE' && e.dtype !== 'bool') bytes.swap32();
  const n = tf.util.sizeFromShape(e.shape as number[]);
  let values: Float32Array | Int32Array | Uint8Array;
  if (e.dtype === 'float32') values = new Float32Array(n);
  else if (e.dtype === 'int32') values = new Int32Array(n);
  else values = new Uint8Array(n);
  new Uint8Array(values.buffer).set(bytes);
  return tf.tensor(values, [...e.shape], e.dtype);
}

/** The value a layout describes, with new tensors (appended to `made` for clean-up). */
function buildValue(rec: StateRecord, file: ParsedFile, made: tf.Tensor[]): StateValue {
  const go = (layout: unknown): StateValue => {
    if (typeof layout === 'string') {
      const t = toTensor(file.entries.get(layout)!, file.data);
      made.push(t);
      return t;
    }
    if (Array.isArray(layout)) return layout.map(go);
    const obj = layout as Record<string, unknown>;
    return Object.fromEntries(Object.keys(obj).map((k) => [k, go(obj[k])]));
  };
  return go(rec.layout);
}

/** The live states of a target by path, or a CheckpointError naming leaves that are not live states. */
function targetStates(fnName: string, target: unknown): [Path, State<StateValue>][] {
  if (target instanceof NestedDictBase) {
    const entries = (target as NestedDictBase<unknown>).toFlat().entries();
    const bad = entries.filter(([, leaf]) => !(leaf instanceof State)).map(([p]) => formatPath(p));
    if (bad.length > 0) {
      throw new CheckpointError(`${fnName}: expected a NestedDict of live states to write into, but the leaves at ` +
        `${bad.join(', ')} are not States (a TreefyState is a detached copy); pass graph.states(module) or the module.`);
    }
    return entries as [Path, State<StateValue>][];
  }
  const saveTree = target as SaveTree;
  if (saveTree === null || typeof saveTree !== 'object') {
    throw new CheckpointError(`${fnName}: expected a module or a NestedDict of live states, but got ${String(target)}; ` +
      'pass the module to load into, or graph.states(module).');
  }
  try {
    return graphStates(saveTree).toFlat().entries() as [Path, State<StateValue>][];
  } catch (e) {
    throw new CheckpointError(`${fnName}: expected a module or a NestedDict of live states, but walking the target ` +
      `failed: ${(e as Error).message}`);
  }
}

/**
 * Loads a checkpoint written by {@link save} into a module (or a NestedDict of live
 * states). The whole file is validated first (layout, manifest, checksum) and compared
 * with the whole target; every missing path, extra path, and kind, structure, shape or
 * dtype mismatch is listed in one `CheckpointError`, and nothing is written unless all
 * of it matches. Runs eagerly (not inside `jit`, `grad` or loops).
 *
 * @example
 * ```ts
 * const lin = new bst.nn.Linear(3, 2);
 * bst.checkpoint.save('lin.safetensors', lin);
 * const fresh = new bst.nn.Linear(3, 2);
 * const loaded = bst.checkpoint.load('lin.safetensors', fresh);   // fresh now holds lin's values
 * loaded.toFlat().keys();                                          // [['weight']]
 * ```
 * A plain safetensors file (no manifest, e.g. written by Python's `safetensors` from a
 * BrainState, JAX or PyTorch model) is loaded by tensor name: each tensor leaf's path
 * joined by `.` or `/` (`layers.0.weight.bias`), or as `options.names` says; F64, F16,
 * BF16 and other integer widths are converted to the state's dtype.
 *
 * @param file - a file written by `checkpoint.save`, or a plain safetensors file.
 * @param target - the module, or `graph.states(module)` (possibly filtered).
 * @param options - `names` (tensor names by leaf path, or a function), `strict` (plain
 *   files: unused tensors are an error unless `false`).
 * @returns the loaded tree: a NestedDict of TreefyStates holding the values now in the states.
 * @throws CheckpointError when the file cannot be read, is corrupt or truncated, or does not match.
 * @see save
 * @see inspect
 */
export function load(file: string, target: LoadTarget, options: LoadOptions = {}): NestedDict<TreefyState<StateValue>> {
  const fnName = 'checkpoint.load';
  if (observerDepth() > 0) {
    throw new CheckpointError(`${fnName}: expected to run eagerly, but it was called inside a traced call (jit, grad ` +
      'or a loop), where loaded values would become constants; load before the call.');
  }
  const live = targetStates(fnName, target);
  if (options.names !== undefined || isPlainFile(file, MANIFEST_KEY)) {
    // A file from Python's safetensors (or a names mapping): tensors matched by name (plain.ts).
    loadPlain(fnName, file, live, options);
    return NestedDict.fromFlat(live.map(([p, s]): [Path, TreefyState<StateValue>] => [p, TreefyState.fromState(s)]));
  }
  const ckpt = readCheckpoint(fnName, file);
  checkTarget(fnName, file, ckpt.manifest, ckpt.file.entries, live);
  const byPath = new Map(live.map(([p, s]) => [pathKey(p), s]));
  const made: tf.Tensor[] = [];
  let values: [State<StateValue>, StateValue][];
  try {
    values = ckpt.manifest.states.map((rec) => [byPath.get(pathKey(rec.path))!, buildValue(rec, ckpt.file, made)]);
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
  for (const [state, value] of values) state.value = value;
  return NestedDict.fromFlat(live.map(([p, s]): [Path, TreefyState<StateValue>] => [p, TreefyState.fromState(s)]));
}

/**
 * Reads and validates a checkpoint's manifest (and the whole file) without loading it:
 * the states' paths, kinds, tags, shapes and dtypes.
 *
 * @example
 * ```ts
 * const m = bst.checkpoint.inspect('lin.safetensors');
 * m.states.map((s) => s.path);   // [['weight']]
 * m.states[0].tensors.map((t) => `${t.name} ${t.dtype}[${t.shape}]`);   // ['weight/bias float32[2]', 'weight/weight float32[3,2]']
 * ```
 * @param file - a file written by `checkpoint.save`.
 * @returns the manifest.
 * @throws CheckpointError when the file cannot be read or is corrupt.
 */
export function inspect(file: string): Manifest {
  return readCheckpoint('checkpoint.inspect', file).manifest;
}
