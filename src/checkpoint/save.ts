/**
 * `checkpoint.save`: the states of a module (or a state tree) into one safetensors file,
 * written atomically.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as nodePath from 'path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from '../errors';
import { NestedDictBase, NestedDict } from '../graph/nested-dict';
import { formatPath, Key, Path } from '../graph/path';
import { states as graphStates } from '../graph/split';
import { TreefyState } from '../graph/treefy-state';
import { isGraphNode } from '../graph/walker';
import { State } from '../state/state';
import { observerDepth } from '../state/stack';
import { isTensor, StateValue } from '../state/tree';
import {
  DTYPES, FORMAT_NAME, FORMAT_VERSION, MANIFEST_KEY, Manifest, StateRecord, TensorRecord, ValueLayout,
  isCheckpointDtype, manifestToJson, tensorName,
} from './format';
import { encodeHeader } from './safetensors';
import { removeStaleTemps, tempPathFor } from './temp-files';

/**
 * What `checkpoint.save` accepts: a module (or an array / plain object of modules and
 * states, as the graph walker takes), or a `NestedDict` whose leaves are live `State`s
 * or `TreefyState`s.
 *
 * @example
 * ```ts
 * const tree: bst.checkpoint.SaveTree = bst.graph.treefyStates(model, bst.ParamState);
 * ```
 */
export type SaveTree = object | NestedDict<State<StateValue>> | NestedDict<TreefyState<StateValue>>;

/** One state to write, whichever form it came in. */
export interface CollectedState {
  readonly path: Path;
  readonly kind: string;
  readonly tag: string | undefined;
  readonly name: string | undefined;
  readonly value: StateValue;
}

/** The states of `tree` by path, in path order. */
export function collectStates(fnName: string, tree: unknown): CollectedState[] {
  if (tree instanceof NestedDictBase) {
    const out: CollectedState[] = [];
    const bad: string[] = [];
    for (const [path, leaf] of (tree as NestedDictBase<unknown>).toFlat()) {
      if (leaf instanceof State) {
        out.push({ path, kind: leaf.kind, tag: leaf.tag, name: leaf.name, value: leaf.rawValue() as StateValue });
      } else if (leaf instanceof TreefyState) {
        out.push({ path, kind: leaf.type.name, tag: leaf.tag, name: leaf.name, value: leaf.value as StateValue });
      } else {
        bad.push(formatPath(path));
      }
    }
    if (bad.length > 0) {
      throw new CheckpointError(`${fnName}: expected a NestedDict of State or TreefyState leaves, but the leaves at ` +
        `${bad.join(', ')} are neither; pass a module, graph.states(module) or graph.treefyStates(module).`);
    }
    return out;
  }
  if (tree === null || typeof tree !== 'object' || !(isGraphNode(tree) || Array.isArray(tree) ||
    Object.getPrototypeOf(tree) === Object.prototype || tree instanceof Map)) {
    const got = tree === null || typeof tree !== 'object' ? String(tree) : `an instance of ${tree.constructor.name}`;
    throw new CheckpointError(`${fnName}: expected a module or a NestedDict of states, but got ${got}; ` +
      'pass an nn.Module, graph.states(module) or graph.treefyStates(module).');
  }
  return graphStates(tree).toFlat().entries().map(([path, s]) =>
    ({ path, kind: s.kind, tag: s.tag, name: s.name, value: s.rawValue() as StateValue }));
}

/** A tensor's bytes as the file stores them: little-endian, bools as one byte 0/1. */
function tensorBytes(t: tf.Tensor): Buffer {
  const data = t.dataSync();
  let typed: Float32Array | Int32Array | Uint8Array;
  if (t.dtype === 'float32') typed = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  else if (t.dtype === 'int32') typed = data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
  else typed = Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
  const bytes = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  // Copy when swapping so the backend's own storage is never modified.
  return os.endianness() === 'LE' || typed.BYTES_PER_ELEMENT === 1 ? bytes : Buffer.from(bytes).swap32();
}

/** Builds the manifest and the tensors' bytes, or throws listing every state that cannot be saved. */
function encodeStates(fnName: string, states: readonly CollectedState[]): { manifest: Manifest; chunks: Buffer[] } {
  const problems: string[] = [];
  const taken = new Set<string>();
  const chunks: Buffer[] = [];
  const hash = createHash('sha256');
  const records = states.map((s) => {
    const rec = new StateRecord();
    Object.assign(rec, { path: [...s.path], kind: s.kind, tag: s.tag, name: s.name, tensors: [] });
    const visit = (v: StateValue, at: Key[]): ValueLayout => {
      if (isTensor(v)) {
        const where = `${formatPath(s.path)}${at.map((k) => `[${JSON.stringify(k)}]`).join('')}`;
        if (v.isDisposed) problems.push(`${where} is a disposed tensor`);
        else if (!isCheckpointDtype(v.dtype)) problems.push(`${where} is ${v.dtype} (supported: ${Object.keys(DTYPES).join(', ')})`);
        let name = tensorName([...s.path, ...at]);
        // Distinct paths can only collide through the key 0 vs '0'; '~~' cannot come out of escaping.
        for (let k = 2; taken.has(name); k++) name = `${tensorName([...s.path, ...at])}~~${k}`;
        taken.add(name);
        const t = new TensorRecord();
        Object.assign(t, { name, dtype: v.dtype, shape: [...v.shape] });
        rec.tensors.push(t);
        if (problems.length === 0) {
          const b = tensorBytes(v);
          hash.update(b);
          chunks.push(b);
        }
        return name;
      }
      if (Array.isArray(v)) return v.map((c, i) => visit(c, [...at, i]));
      const obj = v as Record<string, StateValue>;
      return Object.fromEntries(Object.keys(obj).map((k) => [k, visit(obj[k], [...at, k])]));
    };
    rec.layout = visit(s.value, []);
    return rec;
  });
  if (problems.length > 0) {
    throw new CheckpointError(`${fnName}: expected live float32, int32 or bool tensors, but ${problems.join('; ')}. ` +
      'Cast other dtypes (tf.cast) into a state of a supported dtype before saving. Nothing was written.');
  }
  const manifest = new Manifest();
  Object.assign(manifest, { format: FORMAT_NAME, version: FORMAT_VERSION, dataSha256: hash.digest('hex'), states: records });
  return { manifest, chunks };
}

/** fsync a directory so a rename in it is durable; some platforms (Windows) cannot, which is fine. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported here: the rename is still atomic, only its durability is up to the OS
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes `chunks` to `file` atomically: a temporary file in the same directory, written,
 * fsynced and renamed over `file`, then the directory fsynced. A process killed at any
 * point leaves either the old file or the new one, never a mix; the temporary file it may
 * leave is removed by the next save of `file` (see temp-files.ts).
 */
export function writeAtomic(fnName: string, file: string, chunks: readonly Buffer[]): void {
  const dir = nodePath.dirname(nodePath.resolve(file));
  removeStaleTemps(file); // left by writers killed before their rename
  const tmp = tempPathFor(file);
  let fd: number | undefined;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fd = fs.openSync(tmp, 'wx', 0o644);
    for (const c of chunks) {
      for (let off = 0; off < c.length;) off += fs.writeSync(fd, c, off, c.length - off);
    }
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new CheckpointError(`${fnName}: expected to write ${file}, but ${(e as Error).message}; check that the ` +
      'directory is writable and has room. The previous checkpoint, if any, is unchanged.');
  }
  syncDir(dir);
}

/**
 * Saves the states of a module (or a state tree) to `file`, in the safetensors layout:
 * one tensor per state path (`layers/0/weight/bias` for a tree value), and a manifest
 * (paths, kinds, tags, names, shapes, dtypes, format version, a SHA-256 of the data)
 * in the header's `__metadata__`. The write is atomic: a crash mid-save leaves the
 * previous file intact, and the temporary file a killed save leaves beside it is removed
 * by the next save of the same file. Runs eagerly (not inside `jit`, `grad` or loops).
 *
 * @example
 * ```ts
 * const lin = new bst.nn.Linear(3, 2);
 * bst.checkpoint.save('lin.safetensors', lin);
 * bst.checkpoint.save('params.safetensors', bst.graph.treefyStates(lin, bst.ParamState));
 * ```
 * @param file - the file to write (its directory is created if needed).
 * @param tree - a module, or a NestedDict of `State`s or `TreefyState`s.
 * @throws CheckpointError for unsupported dtypes, disposed tensors, a call inside a
 *   transform, or a failed write (the previous file is then unchanged).
 * @see load
 * @see inspect
 */
export function save(file: string, tree: SaveTree): void {
  const fnName = 'checkpoint.save';
  if (observerDepth() > 0) {
    throw new CheckpointError(`${fnName}: expected to run eagerly, but it was called inside a traced call (jit, grad ` +
      'or a loop), where tensor values are not known; save after the call returns.');
  }
  const { manifest, chunks } = encodeStates(fnName, collectStates(fnName, tree));
  const slots = manifest.states.flatMap((s) => s.tensors);
  const header = encodeHeader(slots, { [MANIFEST_KEY]: manifestToJson(manifest) });
  writeAtomic(fnName, file, [header, ...chunks]);
}
