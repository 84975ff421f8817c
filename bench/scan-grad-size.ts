/**
 * Program size and trace time of a gradient through a 1,000-step loop inside jit
 * (issue 16): the loop is one traced body (a forward scan and a reverse scan over the
 * body's VJP); `unrolled` is the same loop written as a JS for loop, which is what the
 * jit recorded before (one copy of the body per step).
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only bench/scan-grad-size.ts [cpu|wasm] [steps]
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from '../src';

async function main(): Promise<void> {
  const backend = process.argv[2] ?? 'cpu';
  const steps = Number(process.argv[3] ?? 1000);
  await bst.backend.init(backend as 'cpu');
  const n = 64;
  const w = new bst.ParamState(tf.randomNormal([n], 0, 0.1, 'float32', 1));
  const v = new bst.HiddenState(tf.zeros([n]));
  const xs = tf.randomNormal([steps, n], 0, 1, 'float32', 2);
  // A leaky integrator with a nonlinearity: v ← 0.9 v + tanh(w · x); loss = Σ v².
  const step = (x: tf.Tensor): tf.Tensor => {
    v.value = tf.add(tf.mul(v.value, 0.9), tf.tanh(tf.mul(w.value, x)));
    return tf.sum(tf.square(v.value));
  };
  const looped = (x: tf.Tensor): tf.Tensor => { v.value = tf.zeros([n]); return tf.sum(bst.transform.forLoop(step, x) as tf.Tensor); };
  const unrolled = (x: tf.Tensor): tf.Tensor => {
    v.value = tf.zeros([n]);
    let total = tf.scalar(0);
    for (let i = 0; i < steps; i++) total = tf.add(total, step(tf.squeeze(tf.slice(x, [i, 0], [1, n]), [0])));
    return total;
  };
  const rows: string[] = [];
  for (const [name, f] of [['forLoop', looped], ['unrolled (before)', unrolled]] as const) {
    const g = bst.transform.jit(bst.transform.grad(f, { gradStates: w, returnValue: true }));
    const t0 = performance.now();
    const lowered = g.lower(xs);
    const ms = performance.now() - t0;
    const text = lowered.toString();
    const nodes = text.split('\n').filter((l) => /^\s*let\s/.test(l)).length;
    const [gw] = g(xs) as unknown as tf.Tensor[];
    rows.push(`| ${name} | ${steps} | ${lowered.numKernels} | ${nodes} | ${text.length} | ${ms.toFixed(0)} | ${gw.dataSync()[0].toExponential(4)} |`);
  }
  console.log(`backend ${backend}, ${steps} steps, ${n} units (shared machine)`);
  console.log('| variant | steps | kernels per call | IR nodes (let lines, bodies included) | lower() length | trace ms | dL/dw[0] |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

void main();
