/**
 * One SGD training step of an LSTM (BrainState's LSTMCell: one Linear over [x, h],
 * gates i, g, f, o, forget bias +1) over a sequence of 100 steps, hidden 256, input 32,
 * batch 16, with a Linear readout of the last hidden state: forward through time,
 * backward through time, update. Eager vs jit vs @jax-js/jax's jit(valueAndGrad) of the
 * same unrolled loop.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case, Variant } from '../harness';
import { JaxArray, loadJax } from '../peers';
import { eagerVariant, jitVariant, sgdStep, Step } from './train-step';

const T = 100;
const HIDDEN = 256;
const INPUT = 32;
const LR = 0.01;

function lstmNet(seed: number, batch: number): { step: Step; init: tf.Tensor[] } {
  bst.random.seed(seed);
  const cell = new bst.nn.LSTMCell(INPUT, HIDDEN);
  const readout = new bst.nn.Linear(HIDDEN, 10);
  cell.initState(batch);
  const params = new bst.NestedDict({ cell: cell.states(bst.ParamState), readout: readout.states(bst.ParamState) } as never) as
    unknown as bst.NestedDict<bst.State>;
  const model = (x: tf.Tensor): tf.Tensor => {
    cell.resetState(batch);
    return readout.call(bst.nn.unrollCell(cell, x, { returnSequences: false }));
  };
  const w = cell.W.weight.value as { weight: tf.Tensor; bias: tf.Tensor };
  const r = readout.weight.value as { weight: tf.Tensor; bias: tf.Tensor };
  return { step: sgdStep(model, params, LR), init: [w.weight, w.bias, r.weight, r.bias] };
}

type JaxNs = {
  numpy: { array(v: Float32Array, o: { shape: number[] }): JaxArray; matmul(a: JaxArray, b: JaxArray): JaxArray;
    concatenate(xs: JaxArray[], axis: number): JaxArray; split(a: JaxArray, n: number, axis: number): JaxArray[];
    zeros(s: number[]): JaxArray; tanh(a: JaxArray): JaxArray; reshape(a: JaxArray, s: number[]): JaxArray };
  nn: { sigmoid(x: JaxArray): JaxArray; logSoftmax(x: JaxArray, axis: number): JaxArray };
  jit<F>(f: F): F;
  valueAndGrad<F>(f: F): F;
};
type Sum = JaxArray & { sum(): JaxArray };

async function jaxVariant(init: tf.Tensor[], x: tf.Tensor, y: tf.Tensor, batch: number): Promise<Variant | undefined> {
  const jax = (await loadJax()) as unknown as JaxNs | null;
  if (jax === null) return undefined;
  const { numpy: np, nn } = jax;
  const arr = (t: tf.Tensor): JaxArray => np.array(t.dataSync() as Float32Array, { shape: t.shape.slice() });
  let params = init.map(arr);
  // Time-major rows, each [batch, INPUT].
  const rows = tf.unstack(x, 1).map((t) => { const a = arr(t); t.dispose(); return a; });
  const jy = arr(y);
  const loss = (p: JaxArray[], xs: JaxArray[], yb: JaxArray): JaxArray => {
    let h = np.zeros([batch, HIDDEN]);
    let c = np.zeros([batch, HIDDEN]);
    for (const xt of xs) {
      const [i, g, f, o] = np.split(np.matmul(np.concatenate([xt, h], -1), p[0].ref).add(p[1].ref), 4, -1);
      c = nn.sigmoid(f.add(1)).mul(c).add(nn.sigmoid(i).mul(np.tanh(g)));
      h = nn.sigmoid(o).mul(np.tanh(c.ref));
    }
    c.dispose();
    const logits = np.matmul(h, p[2]).add(p[3]);
    p[0].dispose();
    p[1].dispose();
    return (nn.logSoftmax(logits, -1).mul(yb) as Sum).sum().mul(-1 / batch);
  };
  const vg = jax.valueAndGrad(loss) as unknown as (p: JaxArray[], xs: JaxArray[], yb: JaxArray) => [JaxArray, JaxArray[]];
  const step = jax.jit((p: JaxArray[], xs: JaxArray[], yb: JaxArray): [JaxArray[], JaxArray] => {
    const [l, g] = vg(p.map((a) => a.ref), xs, yb);
    return [p.map((a, i) => a.sub(g[i].mul(LR))), l];
  });
  return {
    name: 'jax-js jit',
    run(k) {
      for (let r = 0; r < k; r++) {
        const [next, l] = step(params, rows.map((a) => a.ref), jy.ref);
        params = next;
        if (r === k - 1) l.dataSync();
        else l.dispose();
      }
    },
    dispose() { for (const a of [...params, ...rows, jy]) a.dispose(); },
  };
}

/** Eager tfjs vs our jit (vs @jax-js/jax) for the LSTM training step. */
export async function lstmCase(batch = 16): Promise<Case> {
  const x = tf.keep(tf.randomUniform([batch, T, INPUT], -1, 1, 'float32', 3));
  const y = tf.keep(tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 4) as tf.Tensor1D, 10));
  const eager = lstmNet(0, batch);
  const variants: Variant[] = [
    eagerVariant(eager.step, x, y),
    jitVariant('jit unfused', lstmNet(0, batch).step, x, y, false),
    jitVariant('jit', lstmNet(0, batch).step, x, y, true),
  ];
  try {
    const v = await jaxVariant(eager.init, x, y, batch);
    if (v !== undefined) variants.push(v);
  } catch (e) {
    console.error(`LSTM: @jax-js/jax variant skipped: ${(e as Error).message}`);
  }
  return { workload: `LSTM SGD step (T=${T}, hidden ${HIDDEN}, input ${INPUT})`, size: `batch=${batch}`, reps: 1, variants };
}
