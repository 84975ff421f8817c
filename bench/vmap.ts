/**
 * vmap rows (issue 16):
 *
 * - `vmap LIF 64x1e3`: 64 instances of a 1,000-neuron LIF network (each its own input
 *   current: a parameter sweep) stepped by one jit(vmap(step)), against 64 separately
 *   jitted networks stepped in a loop, and against one 64,000-neuron network doing the
 *   same work in one jitted step (the floor vmap should reach: within 1.5x).
 * - `per-example grads MLP`: the gradients of the MLP 784-256-10 (softmax cross-entropy)
 *   for each of 128 examples, by vmap(grad) in one call against 128 single-example
 *   grad calls, as a user writes them and jitted.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case, Variant } from './harness';

const INSTANCES = 64;
const NEURONS = 1000;
const K = 0.1 / 10;

/** One Euler step of a LIF population: v += dt/tau (I - v); spike = v >= 1; reset to 0. */
function lifStep(v: bst.HiddenState, current: tf.Tensor): tf.Tensor {
  const next = tf.add(v.value, tf.mul(K, tf.sub(current, v.value)));
  const spike = tf.greaterEqual(next, 1);
  v.value = tf.where(spike, tf.zerosLike(next), next);
  return tf.sum(tf.cast(spike, 'float32'));
}

/** Each instance's input currents (instance k around 1 + k/64, so instances differ). */
function currents(): tf.Tensor {
  return tf.keep(tf.add(tf.reshape(tf.linspace(1.0, 2.0, INSTANCES), [INSTANCES, 1]), tf.mul(0.2, tf.randomUniform([INSTANCES, NEURONS]))));
}

/** 64 x 1,000 LIF neurons, each with its own input current: jit(vmap), 64 jits, one 64,000-neuron jit. */
export function vmapLifCase(): Case {
  const I = currents();
  // jit(vmap(step)): the 64 instances' states stacked on axis 0.
  const vAll = new bst.HiddenState(tf.zeros([INSTANCES, NEURONS]));
  const stepAll = bst.transform.jit(bst.transform.vmap((i: tf.Tensor) => lifStep(vAll, i), { inStates: vAll }));
  stepAll(I).dispose();
  // 64 separate networks.
  const nets = Array.from({ length: INSTANCES }, (_, k) => {
    const v = new bst.HiddenState(tf.zeros([NEURONS]));
    const step = bst.transform.jit((i: tf.Tensor) => lifStep(v, i));
    const ik = tf.keep(tf.reshape(tf.slice(I, [k, 0], [1, NEURONS]), [NEURONS]));
    step(ik).dispose();
    return { v, step, ik };
  });
  // One network of 64,000 neurons, each with its instance's current.
  const vBig = new bst.HiddenState(tf.zeros([INSTANCES * NEURONS]));
  const IBig = tf.keep(tf.reshape(I, [INSTANCES * NEURONS]));
  const stepBig = bst.transform.jit((i: tf.Tensor) => lifStep(vBig, i));
  stepBig(IBig).dispose();
  const variants: Variant[] = [
    {
      name: '64 jits',
      run(k) {
        for (let r = 0; r < k; r++) for (const n of nets) n.step(n.ik).dispose();
        nets[INSTANCES - 1].v.value.dataSync();
      },
    },
    {
      name: 'jit(vmap)',
      run(k) {
        for (let r = 0; r < k; r++) stepAll(I).dispose();
        vAll.value.dataSync();
      },
    },
    {
      name: '64k network',
      run(k) {
        for (let r = 0; r < k; r++) stepBig(IBig).dispose();
        vBig.value.dataSync();
      },
    },
  ];
  // Warmed up past the engines' tiering (a first block of the jit(vmap) variant ran 15x slower on wasm).
  for (const v of variants) v.run(50);
  return { workload: 'vmap LIF', size: `${INSTANCES}x${NEURONS}`, reps: 20, variants };
}

const SIZES = [784, 256, 10] as const;

/** The tensors of a gradient tree (arrays, plain objects, the graph's dicts). */
export function leaves(tree: unknown): tf.Tensor[] {
  if (tree instanceof tf.Tensor) return [tree];
  if (Array.isArray(tree)) return tree.flatMap(leaves);
  if (tree !== null && typeof tree === 'object') {
    const t = tree as { toFlat?: () => { values(): unknown[] } };
    return typeof t.toFlat === 'function' ? t.toFlat().values().flatMap(leaves) : Object.values(tree).flatMap(leaves);
  }
  return [];
}
const BATCH = 128;

/** The MLP and its per-example loss gradient (one example: x [784], y [10]). */
export function mlpPerExample(seed: number, sizes: readonly number[] = SIZES) {
  bst.random.seed(seed);
  const net = new bst.nn.Sequential(new bst.nn.Linear(sizes[0], sizes[1]), new bst.nn.ReLU(), new bst.nn.Linear(sizes[1], sizes[2]));
  const params = net.states(bst.ParamState);
  const loss = (x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
    tf.losses.softmaxCrossEntropy(tf.expandDims(y, 0), net.call(tf.expandDims(x, 0)) as tf.Tensor) as tf.Scalar;
  const grad = bst.transform.grad(loss, { gradStates: params });
  return { net, params, grad };
}

/** The smallest of `ts` (read to wait for a call: reading a 103 MB gradient would time the read, not the call). */
function smallest(ts: tf.Tensor[]): tf.Tensor {
  return ts.reduce((a, b) => (b.size < a.size ? b : a));
}

/**
 * Per-example gradients of the MLP for a batch of 128: vmap(grad) (vmap compiles its own
 * program) and jit(vmap(grad)) against 128 single-example grads (the issue's baseline:
 * `grad` called as a user writes it) and 128 jitted ones, beside the floor
 * of the output itself: 128 x 203,530 float32 gradients (104 MB) written once, into an
 * array that exists (`fill floor`: the wasm heap reuses freed memory) and, on cpu, into a
 * fresh one (`fresh fill floor`: a new tfjs-cpu tensor is a new array, which glibc maps
 * fresh above 32 MB, so the OS zeroes each page on first write). On cpu the jit's kernels
 * write a large result into the array of a disposed one (backend/cpu/array-pool.ts), as
 * each step here disposes its gradients; `jit(vmap(grad)), fresh arrays` is the same call
 * with that reuse off. Every variant holds all 128 gradients until the step ends and waits
 * by reading its smallest result (a read array is never reused: the others are). (The
 * fresh variants not on wasm: there no variant makes fresh arrays, and that one's garbage
 * set off collections that landed in the other variants' blocks: jit(vmap(grad)) 6 -> 21 ms
 * CPU time.)
 */
export function perExampleGradCase(): Case {
  const { grad, params } = mlpPerExample(0);
  const x = tf.keep(tf.randomNormal([BATCH, SIZES[0]]));
  const y = tf.keep(tf.oneHot(tf.randomUniform([BATCH], 0, SIZES[2], 'int32'), SIZES[2]).toFloat());
  const perExample = bst.transform.vmap((xi: tf.Tensor, yi: tf.Tensor) => grad(xi, yi));
  const jitted = bst.transform.jit((xs: tf.Tensor, ys: tf.Tensor) => perExample(xs, ys));
  const single = bst.transform.jit((xi: tf.Tensor, yi: tf.Tensor) => grad(xi, yi));
  const rows = { x: tf.unstack(x).map((t) => tf.keep(t)), y: tf.unstack(y).map((t) => tf.keep(t)) };
  tf.dispose(leaves(perExample(x, y)));
  tf.dispose(leaves(jitted(x, y)));
  tf.dispose(leaves(single(rows.x[0], rows.y[0])));
  tf.dispose(leaves(grad(rows.x[0], rows.y[0])));
  const floats = BATCH * params.toFlat().values().reduce((n: number, s) => n + tensorSize(s.value), 0);
  const existing = new Float32Array(floats);
  const batched = (f: (a: tf.Tensor, b: tf.Tensor) => unknown) => (k: number) => {
    for (let r = 0; r < k; r++) {
      const g = leaves(f(x, y));
      if (r === k - 1) smallest(g).dataSync();
      tf.dispose(g);
    }
  };
  // All 128 gradients are held until the step ends, as vmap's result holds them.
  const oneByOne = (f: (a: tf.Tensor, b: tf.Tensor) => unknown) => (k: number) => {
    for (let r = 0; r < k; r++) {
      const held: tf.Tensor[] = [];
      for (let i = 0; i < BATCH; i++) held.push(...leaves(f(rows.x[i], rows.y[i])));
      if (r === k - 1) smallest(held).dataSync();
      tf.dispose(held);
    }
  };
  const variants: Variant[] = [
    // The baseline: `grad` called once per example, as a user writes it.
    { name: '128 grad calls', run: oneByOne(grad) },
    // The same calls, each one jitted program: the strongest one-at-a-time baseline.
    { name: '128 jitted grad calls', run: oneByOne(single) },
    { name: 'vmap(grad)', run: batched(perExample) },
    { name: 'jit(vmap(grad))', run: batched(jitted) },
    {
      name: 'fill floor',
      run(k) { for (let r = 0; r < k; r++) existing.fill(r + 1); },
    },
  ];
  if (tf.getBackend() === 'cpu') {
    const fresh = batched(jitted);
    variants.push({
      name: 'jit(vmap(grad)), fresh arrays',
      run(k) {
        // No array is small enough to be taken or kept; the ones held stay for the next variant
        // (turning reuse off would drop them, and the next variant would pay a fresh array).
        const before = bst.backend.cpuMemoryOptions();
        bst.backend.setCpuMemoryOptions({ minPooledBytes: Number.MAX_SAFE_INTEGER });
        try {
          fresh(k);
        } finally {
          bst.backend.setCpuMemoryOptions(before);
        }
      },
    });
    variants.push({
      name: 'fresh fill floor',
      run(k) {
        for (let r = 0; r < k; r++) {
          const a = new Float32Array(floats);
          a.fill(r + 1);
          if (a[floats - 1] !== r + 1) throw new Error('fresh fill floor: the fill did not happen');
        }
      },
    });
  }
  return { workload: 'per-example grads MLP', size: `${BATCH}`, reps: 2, variants };
}

function tensorSize(v: unknown): number {
  return leaves(v).reduce((n, t) => n + t.size, 0);
}
