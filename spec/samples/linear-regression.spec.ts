/**
 * samples/linear-regression.ts at a small size: the loss falls, the fit finds 2x + 1,
 * and the jitted training step was traced once.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';

describe('samples: linear-regression', () => {
  it('fits TinyLinear to 2x + 1 with a jitted step (weight ≈ 2, bias ≈ 1, one trace)', async () => {
    const backendBefore = bst.backend.name();
    const { main } = await import('../../samples/linear-regression');
    const logs: string[] = [];
    const saved = console.log;
    console.log = (...a: unknown[]) => { logs.push(a.join(' ')); };
    let result: Awaited<ReturnType<typeof main>>;
    const before = tf.memory().numTensors;
    try {
      process.env.BRAINSTATE_BACKEND = backendBefore;
      result = await main({ points: 16, steps: 80, lr: 0.2, logEvery: 10 });
    } finally {
      console.log = saved;
    }
    expect(tf.getBackend()).to.equal(backendBefore);
    expect(result.traceCount).to.equal(1);
    expect(result.losses).to.have.length(9);
    for (let i = 1; i < result.losses.length; i++) expect(result.losses[i]).to.be.lessThan(result.losses[i - 1]);
    expect(result.losses[0]).to.be.closeTo(1.2, 0.2);          // mean((x + 1)^2) over 16 points on [-1, 1]
    expect(result.losses[result.losses.length - 1]).to.be.lessThan(1e-6);
    expect(result.weight).to.be.closeTo(2, 1e-3);
    expect(result.bias).to.be.closeTo(1, 1e-3);
    expect(logs[0]).to.match(/^backend: \w+; fitting y = 2x \+ 1 with 16 points, 80 jitted SGD steps$/);
    expect(logs).to.include(`step    0: loss=${result.losses[0].toExponential(3)}`);
    expect(logs[logs.length - 1]).to.equal('fitted: weight=2.0000 bias=1.0000 (target 2, 1); traced 1 time(s)');
    // The module's states, the optimiser's step and the cached program stay; nothing else.
    expect(tf.memory().numTensors - before).to.be.lessThan(40);
  });
});
