/**
 * Modules and helpers shared by the checkpoint specs: a nested model with float32,
 * int32 and bool states, a Linear-style `{ weight, bias }` tree value, tags and names,
 * and byte-level comparison of tensors.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { hidden, param } from '../../decorators';

/** As BrainState's Linear: one ParamState `weight` whose value is `{ weight, bias }`. */
export class DenseTree extends bst.nn.Module {
  weight: bst.ParamState<{ weight: tf.Tensor; bias: tf.Tensor }>;
  constructor(nIn: number, nOut: number, seed: number) {
    super();
    this.weight = new bst.ParamState({
      weight: tf.randomNormal([nIn, nOut], 0, 1, 'float32', seed),
      bias: tf.randomUniform([nOut], -1, 1, 'float32', seed + 1),
    }, { name: 'weight' });
  }
}

/** A block with a dense tree, an int32 counter and a bool mask (tagged). */
export class Block extends bst.nn.Module {
  dense: DenseTree;
  @hidden steps = tf.scalar(0, 'int32');
  mask = new bst.ShortTermState(tf.tensor([true, false, true], [3], 'bool'), { tag: 'mask' });
  constructor(seed: number) {
    super();
    this.dense = new DenseTree(3, 4, seed);
  }
}

/**
 * Nested modules in an array, a decorated param holding awkward float32 bit patterns
 * (NaN, -0, ±Infinity, denormals), and an array/object tree value in a LongTermState.
 */
export class Net extends bst.nn.Module {
  blocks: Block[];
  @param({ tag: 'gain' }) scale = tf.tensor1d(specialFloats());
  pair = new bst.LongTermState([tf.zeros([2, 1]), { ids: tf.tensor1d([7, -3], 'int32') }], { name: 'pair' });
  constructor(seed = 1) {
    super();
    this.blocks = [new Block(seed), new Block(seed + 10)];
  }
}

/** float32 values whose bits a round trip must keep: NaN payloads, signed zero, infinities, denormals. */
export function specialFloats(): Float32Array {
  const bits = new Uint32Array([0x7fc00001, 0xffc12345, 0x80000000, 0x00000000, 0x7f800000, 0xff800000,
    0x00000001, 0x807fffff, 0x3f800000, 0xc2f6e979]);
  return new Float32Array(bits.buffer);
}

/** Every state value of a module, rewritten with `fill(path)`-derived values (to tell loaded from initial). */
export function scramble(model: bst.nn.Module, salt: number): void {
  for (const [, s] of bst.graph.states(model).toFlat()) {
    const st = s as bst.State<bst.StateValue>;
    st.value = mapTensors(st.value, (t) => tf.tidy(() => {
      if (t.dtype === 'bool') return tf.logicalNot(t);
      return tf.add(t, tf.scalar(salt, t.dtype));
    }));
  }
}

function mapTensors(v: bst.StateValue, fn: (t: tf.Tensor) => tf.Tensor): bst.StateValue {
  if (v instanceof tf.Tensor) return fn(v);
  if (Array.isArray(v)) return v.map((c: bst.StateValue) => mapTensors(c, fn));
  const o = v as Record<string, bst.StateValue>;
  return Object.fromEntries(Object.keys(o).map((k) => [k, mapTensors(o[k], fn)]));
}

/** The raw bytes of every tensor of every state, by tensor position: a bit-exact fingerprint. */
export function snapshot(tree: bst.nn.Module | bst.NestedDict<bst.State<bst.StateValue>>): Map<string, string> {
  const out = new Map<string, string>();
  const states = tree instanceof bst.nn.Module ? bst.graph.states(tree) : tree;
  for (const [p, s] of states.toFlat()) {
    const walk = (v: bst.StateValue, at: string): void => {
      if (v instanceof tf.Tensor) {
        const d = v.dataSync();
        const bytes = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('hex');
        out.set(at, `${v.dtype}[${v.shape}] ${bytes}`);
      } else if (Array.isArray(v)) {
        v.forEach((c: bst.StateValue, i: number) => walk(c, `${at}[${i}]`));
      } else {
        const o = v as Record<string, bst.StateValue>;
        for (const k of Object.keys(o)) walk(o[k], `${at}.${k}`);
      }
    };
    walk((s as bst.State<bst.StateValue>).value, JSON.stringify(p));
  }
  return out;
}

/** Asserts two snapshots are equal, naming the first tensor that differs. */
export function expectSameBits(actual: Map<string, string>, expected: Map<string, string>): void {
  expect([...actual.keys()]).to.deep.equal([...expected.keys()]);
  for (const [k, v] of expected) expect(actual.get(k), k).to.equal(v);
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-ckpt-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Asserts `fn` throws a CheckpointError and returns its message. */
export function checkpointError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e, String(e)).to.be.instanceOf(bst.CheckpointError);
    return (e as Error).message;
  }
  throw new Error('expected a CheckpointError, but nothing was thrown');
}

/** Rows of {@link Big}'s weight: 2048 × 4096 float32 is 32 MiB, so a save takes long enough to be killed in. */
export const BIG_ROWS = 2048;
const BIG_COLS = 4096;

/** The deterministic values of {@link Big} at save number `i`: weight, ids, mask, counter. */
export function bigValues(i: number, rows = BIG_ROWS): { weight: Float32Array; ids: Int32Array; mask: Uint8Array } {
  const weight = new Float32Array(rows * BIG_COLS);
  for (let j = 0; j < weight.length; j++) weight[j] = ((j * 7919) % 10007) / 10007 - 0.5 + i;
  const ids = new Int32Array(1000);
  for (let j = 0; j < ids.length; j++) ids[j] = (j * 2654435761) ^ i;
  const mask = new Uint8Array(777);
  for (let j = 0; j < mask.length; j++) mask[j] = (j + i) % 3 === 0 ? 1 : 0;
  return { weight, ids, mask };
}

/** A large model for the save → kill → load spec (see save-loop.child.ts). */
export class Big extends bst.nn.Module {
  weight: bst.ParamState;
  ids: bst.LongTermState;
  mask: bst.ShortTermState;
  counter = new bst.HiddenState(tf.scalar(-1, 'int32'));
  constructor(readonly rows = BIG_ROWS) {
    super();
    this.weight = new bst.ParamState(tf.zeros([rows, BIG_COLS]));
    this.ids = new bst.LongTermState(tf.zeros([1000], 'int32'));
    this.mask = new bst.ShortTermState(tf.zeros([777], 'bool'));
  }

  /** Sets every state to {@link bigValues}(i). */
  fill(i: number): void {
    const v = bigValues(i, this.rows);
    this.weight.value = tf.tensor(v.weight, [this.rows, BIG_COLS], 'float32');
    this.ids.value = tf.tensor(v.ids, [1000], 'int32');
    this.mask.value = tf.tensor(v.mask, [777], 'bool');
    this.counter.value = tf.scalar(i, 'int32');
  }
}
