/**
 * Comparing a checkpoint with the target it is loaded into: every missing path, extra
 * path, and kind, structure, shape or dtype mismatch, collected into one error.
 */
import { CheckpointError } from '../errors';
import { formatPath, Key, Path, pathKey } from '../graph/path';
import type { State } from '../state/state';
import { describeValue, isPlainObject, isTensor, StateValue } from '../state/tree';
import { Manifest, ValueLayout } from './format';
import { HeaderEntry } from './safetensors';

/** `float32[3,2]`, as mismatch messages print a tensor. */
function sig(dtype: string, shape: readonly number[]): string {
  return `${dtype}[${shape.join(',')}]`;
}

/** A layout printed like `describeValue` prints a value: `{weight: float32[3,2], bias: float32[2]}`. */
export function describeLayout(layout: ValueLayout, entries: ReadonlyMap<string, HeaderEntry>): string {
  if (typeof layout === 'string') {
    const e = entries.get(layout);
    return e === undefined ? `'${layout}'` : sig(e.dtype, e.shape);
  }
  if (Array.isArray(layout)) return `[${layout.map((l) => describeLayout(l, entries)).join(', ')}]`;
  return `{${Object.keys(layout).map((k) => `${k}: ${describeLayout(layout[k], entries)}`).join(', ')}}`;
}

/** A compact description of a live value for messages: `float32[3,2]` or a tree of them. */
function describeLive(value: StateValue): string {
  return describeValue(value).replace(/Tensor\[([^\]]*)\] (\w+)/g, '$2[$1]');
}

/** `['layers', 0, 'weight'].bias[1]`: a state's path, then the position inside its value. */
function where(path: Path, at: readonly Key[]): string {
  return formatPath(path) + at.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('');
}

/** Compares one state's value with the layout it was saved with; pushes each difference. */
function compareValue(value: StateValue, layout: ValueLayout, entries: ReadonlyMap<string, HeaderEntry>,
  path: Path, at: Key[], problems: string[]): void {
  const structure = (): void => void problems.push(`${where(path, at)}: value structure differs: checkpoint ` +
    `${describeLayout(layout, entries)}, target ${describeLive(value)}`);
  if (typeof layout === 'string') {
    if (!isTensor(value)) return structure();
    const e = entries.get(layout)!;
    const dtypeDiffers = e.dtype !== value.dtype;
    const shapeDiffers = e.shape.join(',') !== value.shape.join(',');
    if (dtypeDiffers || shapeDiffers) {
      const what = dtypeDiffers && shapeDiffers ? 'shape and dtype differ' : dtypeDiffers ? 'dtype differs' : 'shape differs';
      problems.push(`${where(path, at)}: ${what}: checkpoint ${sig(e.dtype, e.shape)}, target ${sig(value.dtype, value.shape)}`);
    }
    return;
  }
  if (Array.isArray(layout)) {
    if (!Array.isArray(value) || value.length !== layout.length) return structure();
    layout.forEach((l, i) => {
      at.push(i);
      compareValue(value[i] as StateValue, l, entries, path, at, problems);
      at.pop();
    });
    return;
  }
  if (!isPlainObject(value)) return structure();
  const keys = Object.keys(layout);
  const liveKeys = Object.keys(value);
  if (keys.length !== liveKeys.length || !keys.every((k) => Object.prototype.hasOwnProperty.call(value, k))) {
    return structure();
  }
  for (const k of keys) {
    at.push(k);
    compareValue((value as Record<string, StateValue>)[k], layout[k], entries, path, at, problems);
    at.pop();
  }
}

/**
 * Checks the whole target against the manifest. Throws one CheckpointError listing every
 * problem: paths the target has and the checkpoint lacks, paths the checkpoint has and
 * the target lacks, and per state a different kind, value structure, shape or dtype.
 */
export function checkTarget(fnName: string, file: string, manifest: Manifest,
  entries: ReadonlyMap<string, HeaderEntry>, live: readonly (readonly [Path, State<StateValue>])[]): void {
  const problems: string[] = [];
  const liveByPath = new Map(live.map(([p, s]) => [pathKey(p), [p, s] as const]));
  const saved = new Set(manifest.states.map((s) => pathKey(s.path)));
  for (const [p, s] of live) {
    if (!saved.has(pathKey(p))) {
      problems.push(`missing from the checkpoint: ${formatPath(p)} (${s.kind}, ${describeLive(s.rawValue())})`);
    }
  }
  for (const rec of manifest.states) {
    const hit = liveByPath.get(pathKey(rec.path));
    if (hit === undefined) {
      problems.push(`not in the target: ${formatPath(rec.path)} (${rec.kind}, ${describeLayout(rec.layout, entries)})`);
      continue;
    }
    const state = hit[1];
    if (state.kind !== rec.kind) {
      problems.push(`${formatPath(rec.path)}: kind differs: checkpoint ${rec.kind}, target ${state.kind}`);
    }
    compareValue(state.rawValue(), rec.layout, entries, rec.path, [], problems);
  }
  if (problems.length === 0) return;
  throw new CheckpointError(`${fnName}: expected ${file} to match the target state for state, but found ` +
    `${problems.length} problem${problems.length === 1 ? '' : 's'}:\n` + problems.map((p) => `  - ${p}`).join('\n') +
    '\nNothing was written. Load into a model built the same way as the one saved (checkpoint.inspect(file) lists ' +
    'what the file holds), or pass a filtered target such as graph.states(model, bst.ParamState) when only some ' +
    'states were saved.');
}
