/**
 * An MLP classifier on two interleaved spirals (a data set this sample makes itself),
 * trained with a jitted step (forward, backward, Adam update: one cached program),
 * printing loss and accuracy and writing the loss curve as an SVG file.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only samples/mlp.ts
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';

/** Sizes of the run (small values make a quick check). */
export interface MlpOptions {
  /** Points per spiral (default 200). */
  pointsPerClass?: number;
  /** Hidden units per layer (default 64). */
  hidden?: number;
  /** Full-batch training steps (default 600). */
  steps?: number;
  /** Adam learning rate (default 1e-2). */
  lr?: number;
  /** Print every this many steps (default steps / 10). */
  logEvery?: number;
  /** Where to write the loss curve (default `mlp-loss.svg` in the working directory); null for none. */
  svgPath?: string | null;
  /** Seed of the data noise and of the weight initialisation (default 0). */
  seed?: number;
}

/** What the run produced. */
export interface MlpResult {
  /** The loss at every step. */
  losses: number[];
  /** Training-set accuracy at each logged step, and at the end. */
  accuracies: number[];
  finalAccuracy: number;
  /** Accuracy on a second, held-out pair of spirals (other noise). */
  testAccuracy: number;
  traceCount: number;
  svgPath: string | null;
}

/** A small deterministic generator (mulberry32), so the data is the same everywhere. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Two spirals of `n` points each, 2.25 turns, with a little noise: x [2n, 2], labels [2n] (0 / 1). */
export function twoSpirals(n: number, seed = 0): { x: tf.Tensor2D; labels: tf.Tensor1D } {
  const rand = rng(seed + 1);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let cls = 0; cls < 2; cls++) {
    for (let i = 0; i < n; i++) {
      const t = 0.15 + (0.85 * i) / n;                 // radius grows along the arm
      const angle = 4.5 * Math.PI * t + cls * Math.PI;   // the second arm is the first turned by pi
      xs.push(t * Math.cos(angle) + 0.04 * (rand() - 0.5), t * Math.sin(angle) + 0.04 * (rand() - 0.5));
      ys.push(cls);
    }
  }
  return { x: tf.tensor2d(xs, [2 * n, 2]), labels: tf.tensor1d(ys, 'int32') };
}

/**
 * A loss curve as a standalone SVG document: a polyline over the steps, a log-scaled
 * loss axis, and labelled extremes.
 */
export function lossCurveSvg(losses: readonly number[], title: string, width = 640, height = 360): string {
  const m = { left: 64, right: 16, top: 32, bottom: 40 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const logs = losses.map((l) => Math.log10(Math.max(l, 1e-12)));
  const lo = Math.floor(Math.min(...logs));
  const hi = Math.ceil(Math.max(...logs));
  const span = Math.max(hi - lo, 1);
  const px = (i: number): number => m.left + (losses.length <= 1 ? 0 : (i / (losses.length - 1)) * w);
  const py = (v: number): number => m.top + ((hi - v) / span) * h;
  const points = logs.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
  const ticks: string[] = [];
  for (let e = lo; e <= hi; e++) {
    ticks.push(`<line x1="${m.left}" x2="${m.left + w}" y1="${py(e)}" y2="${py(e)}" stroke="#ddd"/>`,
      `<text x="${m.left - 6}" y="${py(e) + 4}" text-anchor="end">1e${e}</text>`);
  }
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    ...ticks,
    `<line x1="${m.left}" x2="${m.left}" y1="${m.top}" y2="${m.top + h}" stroke="black"/>`,
    `<line x1="${m.left}" x2="${m.left + w}" y1="${m.top + h}" y2="${m.top + h}" stroke="black"/>`,
    `<text x="${m.left}" y="${height - 12}">0</text>`,
    `<text x="${m.left + w}" y="${height - 12}" text-anchor="end">${losses.length - 1}</text>`,
    `<text x="${m.left + w / 2}" y="${height - 12}" text-anchor="middle">step</text>`,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>`,
    '</svg>',
    '',
  ].join('\n');
}

/**
 * Trains the MLP on two spirals and reports loss and accuracy.
 *
 * @example
 * ```ts
 * const { finalAccuracy } = await main({ pointsPerClass: 50, steps: 200, svgPath: null });
 * ```
 * @param opts - sizes of the run.
 * @returns losses, accuracies, the trace count and where the SVG went.
 */
export async function main(opts: MlpOptions = {}): Promise<MlpResult> {
  const backendName = await bst.backend.init();
  const n = opts.pointsPerClass ?? 200;
  const hidden = opts.hidden ?? 64;
  const steps = opts.steps ?? 600;
  const logEvery = opts.logEvery ?? Math.max(1, Math.floor(steps / 10));
  console.log(`backend: ${backendName}; two spirals, ${2 * n} points; MLP 2-${hidden}-${hidden}-2; ` +
    `${steps} jitted Adam steps`);

  bst.random.seed(opts.seed ?? 0);
  const net = new bst.nn.Sequential(
    new bst.nn.Linear(2, hidden), new bst.nn.ReLU(),
    new bst.nn.Linear(hidden, hidden), new bst.nn.ReLU(),
    new bst.nn.Linear(hidden, 2));
  const params = net.states(bst.ParamState);
  const optimizer = new bst.optim.Adam(opts.lr ?? 1e-2);
  optimizer.registerTrainableWeights(params);

  const { x, labels } = twoSpirals(n, opts.seed ?? 0);
  const test = twoSpirals(n, (opts.seed ?? 0) + 1000);
  const targets = tf.oneHot(labels, 2);

  const loss = (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar =>
    tf.losses.softmaxCrossEntropy(yb, net.call(xb) as tf.Tensor) as tf.Scalar;
  const trainStep = bst.transform.jit((xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
    const [grads, value] = bst.transform.grad(loss, { gradStates: params, returnValue: true })(xb, yb);
    optimizer.update(grads);
    return value;
  });
  const accuracy = bst.transform.jit((xb: tf.Tensor, lb: tf.Tensor): tf.Scalar =>
    tf.mean(tf.cast(tf.equal(tf.argMax(net.call(xb) as tf.Tensor, 1), lb), 'float32')));

  const losses: number[] = [];
  const accuracies: number[] = [];
  for (let step = 0; step < steps; step++) {
    const l = trainStep(x, targets);
    losses.push((await l.data())[0]); // await: webgpu cannot read GPU data synchronously in Node
    l.dispose();
    if (step % logEvery === 0 || step === steps - 1) {
      const a = accuracy(x, labels);
      accuracies.push((await a.data())[0]);
      a.dispose();
      console.log(`step ${String(step).padStart(4)}: loss=${losses[step].toFixed(4)} ` +
        `accuracy=${(100 * accuracies[accuracies.length - 1]).toFixed(1)}%`);
    }
  }
  const finalAccuracy = accuracies[accuracies.length - 1];
  const testAcc = accuracy(test.x, test.labels);
  const testAccuracy = (await testAcc.data())[0];
  testAcc.dispose();

  let svgPath: string | null = null;
  if (opts.svgPath !== null) {
    svgPath = path.resolve(opts.svgPath ?? 'mlp-loss.svg');
    fs.writeFileSync(svgPath, lossCurveSvg(losses, `MLP on two spirals: training loss (${backendName})`));
    console.log(`loss curve written to ${svgPath}`);
  }
  console.log(`final: loss=${losses[losses.length - 1].toFixed(4)} accuracy=${(100 * finalAccuracy).toFixed(1)}% ` +
    `(held-out spirals: ${(100 * testAccuracy).toFixed(1)}%); ` +
    `training step traced ${trainStep.traceCount} time(s)`);
  for (const t of [x, labels, targets, test.x, test.labels]) t.dispose();
  return { losses, accuracies, finalAccuracy, testAccuracy, traceCount: trainStep.traceCount, svgPath };
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
