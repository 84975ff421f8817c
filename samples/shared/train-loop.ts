/**
 * The minibatch loop the digit samples share: a jitted training step over shuffled
 * batches, a jitted accuracy, the loss curve as SVG. One file so each sample shows only
 * its model.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { MnistSet } from '../data/mnist';
import { lossCurveSvg } from '../mlp';

/** Sizes of a training run. */
export interface LoopOptions {
  steps: number;
  batchSize: number;
  logEvery: number;
  svgPath: string | null;
  title: string;
  defaultSvg: string;
  /** Called eagerly before each jitted call with its batch size (a recurrent model sizes its states here). */
  beforeCall?: (batchSize: number) => void;
}

/** What a run produced. */
export interface LoopResult {
  losses: number[];
  testAccuracy: number;
  trainAccuracy: number;
  traceCount: number;
  svgPath: string | null;
}

/** Batch `b` of a set (wrapping around), as `[x, oneHot]`. */
function batchOf(set: MnistSet, b: number, size: number): [tf.Tensor, tf.Tensor] {
  const n = set.labels.shape[0];
  const start = (b * size) % n;
  const take = Math.min(size, n - start);
  return tf.tidy(() => [tf.slice(set.x, [start, 0, 0, 0], [take, -1, -1, -1]),
    tf.oneHot(tf.slice(set.labels, [start], [take]), 10)]);
}

/**
 * Trains `model` (images `[B, 28, 28, 1]` to logits `[B, 10]`) with `optimizer` in
 * jitted steps, printing the loss and the test accuracy, and writing the loss curve.
 */
export function trainClassifier(model: (x: tf.Tensor) => tf.Tensor, params: bst.NestedDict<bst.State>,
  optimizer: bst.optim.Optimizer, train: MnistSet, test: MnistSet, o: LoopOptions): LoopResult {
  optimizer.registerTrainableWeights(params);
  const trainStep = bst.transform.jit((xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
    const [grads, loss] = bst.transform.grad(() => tf.losses.softmaxCrossEntropy(yb, model(xb)) as tf.Scalar,
      { gradStates: params, returnValue: true })();
    optimizer.update(grads);
    return loss;
  });
  const correct = bst.transform.jit((xb: tf.Tensor, lb: tf.Tensor): tf.Scalar =>
    tf.sum(tf.cast(tf.equal(tf.argMax(model(xb), 1), lb), 'float32')));
  const accuracy = (set: MnistSet): number => {
    const n = set.labels.shape[0];
    let hits = 0;
    for (let s = 0; s < n; s += 250) {
      const [xb, lb] = tf.tidy(() => [tf.slice(set.x, [s, 0, 0, 0], [Math.min(250, n - s), -1, -1, -1]),
        tf.slice(set.labels, [s], [Math.min(250, n - s)])]);
      o.beforeCall?.(xb.shape[0]);
      const c = correct(xb, lb);
      hits += c.dataSync()[0];
      tf.dispose([xb, lb, c]);
    }
    return hits / n;
  };
  const nBatches = Math.floor(train.labels.shape[0] / o.batchSize);
  const losses: number[] = [];
  for (let step = 0; step < o.steps; step++) {
    const [xb, yb] = batchOf(train, step % nBatches, o.batchSize);
    o.beforeCall?.(xb.shape[0]);
    const l = trainStep(xb, yb);
    losses.push(l.dataSync()[0]);
    tf.dispose([xb, yb, l]);
    if (step % o.logEvery === 0 || step === o.steps - 1) {
      console.log(`step ${String(step).padStart(4)}: loss=${losses[step].toFixed(4)}`);
    }
  }
  const testAccuracy = accuracy(test);
  const trainAccuracy = accuracy(train);
  let svgPath: string | null = null;
  if (o.svgPath !== null) {
    svgPath = path.resolve(o.svgPath ?? o.defaultSvg);
    fs.writeFileSync(svgPath, lossCurveSvg(losses, `${o.title}: training loss (${bst.backend.name()})`));
    console.log(`loss curve written to ${svgPath}`);
  }
  console.log(`final: loss=${losses[losses.length - 1].toFixed(4)} train accuracy=${(100 * trainAccuracy).toFixed(1)}% ` +
    `test accuracy=${(100 * testAccuracy).toFixed(1)}%; training step traced ${trainStep.traceCount} time(s)`);
  return { losses, testAccuracy, trainAccuracy, traceCount: trainStep.traceCount, svgPath };
}
