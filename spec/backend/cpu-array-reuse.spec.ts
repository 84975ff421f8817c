/**
 * The cpu backend's reuse of disposed results' arrays (src/backend/cpu/array-pool.ts):
 * a result of the jit's kernels takes the array of a disposed result of the same size,
 * and never one that something can still see. Each safety rule has a spec that fails
 * without it: a `dataSync()` kept after `dispose()` (the read hands out the stored array),
 * a reshape sharing the data id kept alive (tfjs-cpu frees the array only when the last
 * reference goes), a slice stored as a view of the array (tfjs-cpu's `Slice` keeps a
 * `subarray`), and an output its kernel writes only in part (a pooled array is not
 * zeroed). The limits are lowered here so that small tensors are pooled.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { pooledBytes } from '../../src/backend/cpu/memory';
import { runOnBackendMemory } from '../../src/backend/targets';
import { ConfigError } from '../../src/errors';
import { expectNoLeaks, expectThrowsWith } from '../helpers';

const N = 4096; // 16 KiB float32 results
const initial = bst.backend.cpuMemoryOptions();

describe('backend: cpu reuses the arrays of disposed jit results', () => {
  // A fused loop (every element written) whose result differs per input.
  const f = bst.transform.jit((x: tf.Tensor) => tf.add(tf.mul(x, 2), 1));
  const input = (v: number) => tf.fill([N], v);

  before(function () {
    if (tf.getBackend() !== 'cpu') {
      console.log(`      the array pool is the cpu backend's (tfjs-cpu stores JS arrays); this run is on ${tf.getBackend()}`);
      this.skip();
    }
    bst.backend.setCpuMemoryOptions({ reuseArrays: true, minPooledBytes: 1024, maxPooledBytes: 1 << 20 });
  });
  after(() => {
    if (tf.getBackend() === 'cpu') bst.backend.setCpuMemoryOptions(initial);
  });
  beforeEach(() => {
    // An empty pool: turning reuse off drops what it holds.
    bst.backend.setCpuMemoryOptions({ reuseArrays: false });
    bst.backend.setCpuMemoryOptions({ reuseArrays: true });
  });

  /** f(fill(v)), its input disposed. */
  function call(v: number): tf.Tensor {
    const x = input(v);
    const y = f(x) as tf.Tensor;
    x.dispose();
    return y;
  }

  it('a disposed result\'s array serves the next result of that size, with the new values', () => {
    call(0).dispose(); // traced and compiled
    const y = call(1);
    expect(pooledBytes()).to.equal(0);
    y.dispose();
    expect(pooledBytes(), 'the freed array is held').to.equal(4 * N);
    const z = call(5);
    expect(pooledBytes(), 'and taken by the next result').to.equal(0);
    expect(Array.from(z.dataSync().subarray(0, 3))).to.deep.equal([11, 11, 11]);
    expect(z.dataSync().every((v) => v === 11)).to.equal(true);
    z.dispose();
  });

  it('an array read with dataSync() is never reused: the kept values do not change after dispose', () => {
    call(0).dispose();
    const y = call(1);
    const kept = y.dataSync();
    y.dispose();
    expect(pooledBytes(), 'a read array is not pooled').to.equal(0);
    const z = call(7);
    expect(kept.every((v) => v === 3), 'the values read before dispose').to.equal(true);
    z.dispose();
  });

  it('an array read with data() is never reused either', async () => {
    call(0).dispose();
    const y = call(1);
    const kept = await y.data();
    y.dispose();
    const z = call(7);
    expect(kept.every((v) => v === 3)).to.equal(true);
    z.dispose();
  });

  it('a reshape sharing the data id keeps the array: freed only when the last reference goes', () => {
    call(0).dispose();
    const y = call(1);
    const r = tf.reshape(y, [64, 64]);
    y.dispose();
    expect(pooledBytes(), 'still referenced by the reshape').to.equal(0);
    const z = call(7);
    expect(Array.from(r.dataSync()).every((v) => v === 3), 'the reshape\'s values').to.equal(true);
    r.dispose();
    z.dispose();
  });

  it('a slice stored as a view of the array (tfjs-cpu Slice: subarray) keeps it', () => {
    call(0).dispose();
    const y = call(1);
    const s = tf.slice(y, [0], [16]);
    y.dispose();
    expect(pooledBytes(), 'a view of it is stored under another data id').to.equal(0);
    const z = call(7);
    expect(Array.from(s.dataSync())).to.deep.equal(new Array<number>(16).fill(3));
    s.dispose();
    z.dispose();
  });

  it('an output its kernel writes only in part gets a zeroed array, not a pooled one', () => {
    call(0).dispose();
    call(1).dispose();
    expect(pooledBytes()).to.equal(4 * N);
    // A memory kernel writing only the even elements (a scatter-like kernel relies on zeros).
    const [info] = runOnBackendMemory('cpu', [], [{ shape: [N], dtype: 'float32' }], (_ins, outs) => {
      for (let i = 0; i < N; i += 2) outs[0][i] = 9;
    });
    const t = tf.engine().makeTensorFromTensorInfo(info);
    const v = t.dataSync();
    expect(v.every((x, i) => x === (i % 2 === 0 ? 9 : 0)), 'odd elements are zero').to.equal(true);
    t.dispose();
    expect(pooledBytes(), 'the pooled array was left alone').to.equal(4 * N);
  });

  it('the same bits with and without reuse (matMul, outer product, fused loop, intermediates)', () => {
    const w = tf.randomNormal([64, 64], 0, 1, 'float32', 3);
    const g = bst.transform.jit((x: tf.Tensor) => {
      const h = tf.relu(tf.matMul(x, w));
      return [tf.matMul(tf.reshape(x, [64, 64, 1]), tf.reshape(h, [64, 1, 64])), tf.mul(h, 3)];
    });
    const x = tf.randomNormal([64, 64], 0, 1, 'float32', 4);
    const bitsOf = () => {
      const outs = g(x) as tf.Tensor[];
      const b = outs.map((o) => Array.from(new Int32Array(new Float32Array(o.dataSync()).buffer)));
      tf.dispose(outs);
      return b;
    };
    bst.backend.setCpuMemoryOptions({ reuseArrays: false });
    const fresh = bitsOf();
    bst.backend.setCpuMemoryOptions({ reuseArrays: true });
    for (let r = 0; r < 3; r++) {
      // Results read with dataSync are not pooled: dispose unread ones so arrays are reused.
      tf.dispose(g(x) as tf.Tensor[]);
      expect(bitsOf()).to.deep.equal(fresh);
    }
    w.dispose();
    x.dispose();
  });

  it('stays bounded over thousands of calls: tf.memory() flat, bytes held within maxPooledBytes', () => {
    bst.backend.setCpuMemoryOptions({ maxPooledBytes: 3 * 4 * N });
    const sizes = [N, 2 * N, N / 2, N];
    const g = bst.transform.jit((x: tf.Tensor) => tf.sub(tf.mul(x, x), 1));
    const xs = sizes.map((n) => tf.fill([n], 2));
    let most = 0;
    const arrays = process.memoryUsage().arrayBuffers;
    expectNoLeaks((i) => {
      const held = xs.map((x) => g(x) as tf.Tensor);
      if (i % 3 === 0) tf.dispose(held.slice(0, 2));
      tf.dispose(held);
      most = Math.max(most, pooledBytes());
    }, 2000);
    expect(most).to.be.at.most(3 * 4 * N);
    expect(most, 'something was pooled').to.be.greaterThan(0);
    // 2000 calls x 4 results x up to 32 KiB each were made; reused arrays keep the growth small.
    expect(process.memoryUsage().arrayBuffers - arrays).to.be.below(64 << 20);
    tf.dispose(xs);
  });

  it('a state update in place never writes into an array read with dataSync() or passed to tf.tensor', () => {
    const s = new bst.HiddenState(tf.fill([64], 1));
    const step = bst.transform.jit(() => { s.value = tf.add(tf.mul(s.value, 2), 1); });
    for (let k = 0; k < 3; k++) step();
    const id = s.value.dataId;
    step();
    expect(s.value.dataId, 'written in place when nothing else holds the array').to.equal(id);
    const kept = s.value.dataSync();
    const before = Array.from(kept);
    step();
    step();
    expect(Array.from(kept), 'the array read out keeps its values').to.deep.equal(before);
    const mine = new Float32Array(64).fill(4);
    s.value = tf.tensor1d(mine); // tfjs-cpu stores the user's array without a copy
    step();
    step();
    expect(Array.from(mine)).to.deep.equal(new Array<number>(64).fill(4));
    expect(s.value.dataSync()[0]).to.equal(19);
    s.value.dispose();
  });

  it('setCpuMemoryOptions({ reuseArrays: false }) drops the pool and allocates fresh arrays', () => {
    call(0).dispose();
    call(1).dispose();
    expect(pooledBytes()).to.equal(4 * N);
    bst.backend.setCpuMemoryOptions({ reuseArrays: false });
    expect(pooledBytes()).to.equal(0);
    call(2).dispose();
    expect(pooledBytes(), 'nothing kept while off').to.equal(0);
    expect(bst.backend.cpuMemoryOptions().reuseArrays).to.equal(false);
  });

  it('bad options are a ConfigError naming the option', () => {
    expectThrowsWith(() => bst.backend.setCpuMemoryOptions({ maxPooledBytes: -1 }), ConfigError, 'maxPooledBytes', '-1');
    expectThrowsWith(() => bst.backend.setCpuMemoryOptions({ reuseArrays: 'yes' as unknown as boolean }), ConfigError,
      'reuseArrays');
  });
});
