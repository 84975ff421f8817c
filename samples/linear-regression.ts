/**
 * The seed's TinyLinear, fitted to y = 2x + 1 with a jitted training step: the forward
 * pass, the gradients (transform.grad over the module's ParamStates) and the SGD update
 * are one cached program, replayed at every step.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only samples/linear-regression.ts
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { param } from 'brainstate-ts/decorators';

/** The seed's module: one weight, one bias, both ParamStates. */
class TinyLinear extends bst.nn.Module {
  @param weight = tf.tensor2d([[1]]);
  @param bias = tf.tensor1d([0]);

  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.weight), this.bias);
  }
}

/** Sizes of the run (small values make a quick check). */
export interface LinearRegressionOptions {
  /** Number of training points on [-1, 1] (default 64). */
  points?: number;
  /** Training steps (default 150). */
  steps?: number;
  /** SGD learning rate (default 0.1). */
  lr?: number;
  /** Print the loss every this many steps (default steps / 10). */
  logEvery?: number;
}

/** What the run produced, for a caller (or a spec) to check. */
export interface LinearRegressionResult {
  /** The loss at every logged step, in order (the first is step 0). */
  losses: number[];
  weight: number;
  bias: number;
  /** How many times the training step was traced (1: every other step was a replay). */
  traceCount: number;
}

/**
 * Fits TinyLinear to 2x + 1 and prints the falling loss and the fitted parameters.
 *
 * @example
 * ```ts
 * const { weight, bias } = await main({ steps: 100 });   // weight ≈ 2, bias ≈ 1
 * ```
 * @param opts - sizes of the run.
 * @returns the logged losses, the fitted weight and bias, and the trace count.
 */
export async function main(opts: LinearRegressionOptions = {}): Promise<LinearRegressionResult> {
  const backendName = await bst.backend.init();
  const points = opts.points ?? 64;
  const steps = opts.steps ?? 150;
  const logEvery = opts.logEvery ?? Math.max(1, Math.floor(steps / 10));
  console.log(`backend: ${backendName}; fitting y = 2x + 1 with ${points} points, ${steps} jitted SGD steps`);

  const model = new TinyLinear();
  const params = model.states(bst.ParamState);             // NestedDict { bias, weight } of live states
  const optimizer = new bst.optim.SGD(opts.lr ?? 0.1);
  optimizer.registerTrainableWeights(params);

  const x = tf.linspace(-1, 1, points).reshape([points, 1]);
  const y = tf.add(tf.mul(x, 2), 1);

  const mseLoss = (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => tf.mean(tf.square(tf.sub(model.call(xb), yb)));
  // One program: forward, backward and update. Grads come back as a NestedDict like params.
  const trainStep = bst.transform.jit((xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
    const [grads, loss] = bst.transform.grad(mseLoss, { gradStates: params, returnValue: true })(xb, yb);
    optimizer.update(grads);
    return loss;
  });

  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = trainStep(x, y);
    if (step % logEvery === 0 || step === steps - 1) {
      const value = (await loss.data())[0]; // await: webgpu cannot read GPU data synchronously in Node
      losses.push(value);
      console.log(`step ${String(step).padStart(4)}: loss=${value.toExponential(3)}`);
    }
    loss.dispose();
  }
  const weight = (await model.weight.data())[0];
  const bias = (await model.bias.data())[0];
  console.log(`fitted: weight=${weight.toFixed(4)} bias=${bias.toFixed(4)} (target 2, 1); ` +
    `traced ${trainStep.traceCount} time(s)`);
  x.dispose();
  y.dispose();
  return { losses, weight, bias, traceCount: trainStep.traceCount };
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
