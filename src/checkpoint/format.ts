/**
 * The checkpoint manifest: what a checkpoint file says about the states it holds (their
 * paths, kinds, tags, names, value layouts, shapes and dtypes), as classes that
 * class-transformer turns into plain JSON and back. The manifest travels as one JSON
 * string in the safetensors header's `__metadata__` (whose values must be strings).
 */
import { Expose, Type, instanceToPlain, plainToInstance } from 'class-transformer';
import { CheckpointError } from '../errors';
import type { Key, Path } from '../graph/path';

/**
 * The manifest format version this version of brainstate-ts writes; `load` reads this
 * version and older ones, and names a newer one as needing an upgrade.
 *
 * @example
 * ```ts
 * bst.checkpoint.inspect('model.safetensors').version === bst.checkpoint.FORMAT_VERSION;   // true
 * ```
 */
export const FORMAT_VERSION = 1;

/** The `format` field of every manifest, so other JSON in `__metadata__` is not mistaken for one. */
export const FORMAT_NAME = 'brainstate-ts/checkpoint';

/** The `__metadata__` key under which the manifest JSON is stored. */
export const MANIFEST_KEY = 'brainstate_ts.manifest';

/**
 * A tensor dtype a checkpoint can hold (safetensors `F32`, `I32`, `BOOL`).
 *
 * @example
 * ```ts
 * const d: bst.checkpoint.CheckpointDtype = 'float32';
 * ```
 */
export type CheckpointDtype = 'float32' | 'int32' | 'bool';

/** The tensor dtypes a checkpoint stores: tfjs name → safetensors name and bytes per element. */
export const DTYPES: { readonly [D in CheckpointDtype]: { readonly code: string; readonly bytes: number } } = {
  float32: { code: 'F32', bytes: 4 },
  int32: { code: 'I32', bytes: 4 },
  bool: { code: 'BOOL', bytes: 1 },
};

/** True for the tfjs dtypes a checkpoint can store. */
export function isCheckpointDtype(d: unknown): d is CheckpointDtype {
  return typeof d === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, d);
}

/** The tfjs dtype of a safetensors dtype code (`F32` → `float32`), or undefined. */
export function dtypeOfCode(code: unknown): CheckpointDtype | undefined {
  return (Object.keys(DTYPES) as CheckpointDtype[]).find((d) => DTYPES[d].code === code);
}

/**
 * Where a state's tensors sit inside its value: a tensor name for a tensor value, an
 * array or plain object of layouts for a tree value (`{ weight: 'lin/weight/weight',
 * bias: 'lin/weight/bias' }` for a Linear's `weight` state).
 *
 * @example
 * ```ts
 * const layout: bst.checkpoint.ValueLayout = { weight: 'weight/weight', bias: 'weight/bias' };
 * ```
 */
export type ValueLayout = string | ValueLayout[] | { [key: string]: ValueLayout };

/**
 * One tensor of a state: its name in the safetensors header, its dtype and shape.
 *
 * @example
 * ```ts
 * const m = bst.checkpoint.inspect('model.safetensors');
 * m.states[0].tensors[0].shape;   // e.g. [3, 2]
 * ```
 */
export class TensorRecord {
  /** The tensor's name in the safetensors header (`layers/0/weight/bias`). */
  @Expose() name!: string;
  /** The tfjs dtype. */
  @Expose() dtype!: CheckpointDtype;
  /** The shape. */
  @Expose() shape!: number[];
}

/**
 * One state of a checkpoint: where it sits, what kind it is, and its tensors.
 *
 * @example
 * ```ts
 * const m = bst.checkpoint.inspect('model.safetensors');
 * m.states.map((s) => `${JSON.stringify(s.path)} ${s.kind}`);   // ['["bias"] ParamState', ...]
 * ```
 */
export class StateRecord {
  /** The state's path in the module (`['layers', 0, 'weight']`). */
  @Expose() path!: Key[];
  /** The state's class name (`ParamState`, `HiddenState`, ...). */
  @Expose() kind!: string;
  /** The state's tag, if it had one. */
  @Expose() tag?: string;
  /** The state's name, if it had one. */
  @Expose() name?: string;
  /** How the tensors below make up the value. */
  @Expose() layout!: ValueLayout;
  /** The value's tensors, in layout order. */
  @Expose() @Type(() => TensorRecord) tensors!: TensorRecord[];
}

/**
 * What a checkpoint file holds, as `checkpoint.inspect` returns it.
 *
 * @example
 * ```ts
 * const m = bst.checkpoint.inspect('model.safetensors');
 * console.log(m.version, m.states.length);
 * ```
 */
export class Manifest {
  /** Always `'brainstate-ts/checkpoint'`. */
  @Expose() format!: string;
  /** The manifest format version ({@link FORMAT_VERSION} when written by this version of brainstate-ts). */
  @Expose() version!: number;
  /** SHA-256 (hex) of the tensor bytes, checked on load. */
  @Expose() dataSha256!: string;
  /** The states, in path order. */
  @Expose() @Type(() => StateRecord) states!: StateRecord[];
}

/** The manifest as the JSON string stored under {@link MANIFEST_KEY}. */
export function manifestToJson(m: Manifest): string {
  return JSON.stringify(instanceToPlain(m));
}

/**
 * Parses and validates the manifest JSON of `file`.
 * @throws CheckpointError listing what is malformed.
 */
export function manifestFromJson(json: string, file: string): Manifest {
  let plain: unknown;
  try {
    plain = JSON.parse(json);
  } catch (e) {
    throw corrupt(file, `its manifest is not valid JSON (${(e as Error).message})`);
  }
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw corrupt(file, 'its manifest is not a JSON object');
  }
  const m = plainToInstance(Manifest, plain, { excludeExtraneousValues: true });
  const problems: string[] = [];
  if (m.format !== FORMAT_NAME) problems.push(`format is ${JSON.stringify(m.format)}, not "${FORMAT_NAME}"`);
  if (typeof m.version !== 'number' || !Number.isInteger(m.version) || m.version < 1) {
    problems.push(`version is ${JSON.stringify(m.version)}, not a positive integer`);
  } else if (m.version > FORMAT_VERSION) {
    throw new CheckpointError(`checkpoint.load: expected a checkpoint of format version ${FORMAT_VERSION} or older, ` +
      `but ${file} has version ${m.version}; it was written by a newer brainstate-ts: upgrade to read it.`);
  }
  if (typeof m.dataSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.dataSha256)) problems.push('dataSha256 is not a hex SHA-256');
  if (!Array.isArray(m.states)) problems.push('states is not an array');
  else m.states.forEach((s, i) => checkStateRecord(s, `states[${i}]`, problems));
  if (problems.length > 0) throw corrupt(file, `its manifest is malformed: ${problems.join('; ')}`);
  return m;
}

function checkStateRecord(s: StateRecord, where: string, problems: string[]): void {
  if (!(s instanceof StateRecord)) {
    problems.push(`${where} is not an object`);
    return;
  }
  const isKeyValue = (k: unknown): boolean => typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k));
  if (!Array.isArray(s.path) || !s.path.every(isKeyValue)) problems.push(`${where}.path is not an array of keys`);
  if (typeof s.kind !== 'string' || s.kind === '') problems.push(`${where}.kind is not a class name`);
  if (s.tag !== undefined && s.tag !== null && typeof s.tag !== 'string') problems.push(`${where}.tag is not a string`);
  if (s.name !== undefined && s.name !== null && typeof s.name !== 'string') problems.push(`${where}.name is not a string`);
  if (!Array.isArray(s.tensors)) {
    problems.push(`${where}.tensors is not an array`);
    return;
  }
  s.tensors.forEach((t, j) => {
    const w = `${where}.tensors[${j}]`;
    if (!(t instanceof TensorRecord)) return void problems.push(`${w} is not an object`);
    if (typeof t.name !== 'string') problems.push(`${w}.name is not a string`);
    if (!isCheckpointDtype(t.dtype)) problems.push(`${w}.dtype is ${JSON.stringify(t.dtype)}`);
    if (!isShape(t.shape)) problems.push(`${w}.shape is not an array of sizes`);
  });
  const names = layoutNames(s.layout);
  if (names === undefined) problems.push(`${where}.layout is not a tree of tensor names`);
  else if (names.join('\n') !== s.tensors.map((t) => t?.name).join('\n')) {
    problems.push(`${where}.layout names other tensors than ${where}.tensors`);
  }
}

/** True for an array of non-negative integer sizes. */
export function isShape(s: unknown): s is number[] {
  return Array.isArray(s) && s.every((n) => Number.isInteger(n) && n >= 0);
}

/** The tensor names of a layout in order, or undefined when it is not a layout. */
export function layoutNames(layout: unknown, out: string[] = []): string[] | undefined {
  if (typeof layout === 'string') {
    out.push(layout);
    return out;
  }
  if (layout === null || typeof layout !== 'object') return undefined;
  const children = Array.isArray(layout) ? layout : Object.values(layout as Record<string, unknown>);
  for (const c of children) if (layoutNames(c, out) === undefined) return undefined;
  return out;
}

/**
 * The safetensors name of a tensor: the keys of the state's path and of the leaf inside
 * its value, joined by `/` (`layers/0/weight/bias`); `~` and `/` inside a key are escaped
 * as `~0` and `~1` (as in JSON pointers), so distinct paths give distinct names.
 */
export function tensorName(path: Path): string {
  return path.map((k) => String(k).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/** A CheckpointError for a file that is not a valid checkpoint. */
export function corrupt(file: string, what: string): CheckpointError {
  return new CheckpointError(`checkpoint.load: expected a brainstate-ts checkpoint (safetensors layout), but ${file} ` +
    `is corrupt or truncated: ${what}. Nothing was loaded; load an intact copy (save writes atomically, so the ` +
    'last completed save is intact unless the file was changed by something else).');
}
