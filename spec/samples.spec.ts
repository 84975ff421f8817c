import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import * as bst from '../src';

describe('samples', () => {
  it('running-mean prints the seed numbers (means 1.50, 2.00, 2.50; sum 30, count 12)', async () => {
    const backendBefore = bst.backend.name();
    const { main } = await import('../samples/running-mean');
    const logs: string[] = [];
    const saved = console.log;
    console.log = (...a: unknown[]) => { logs.push(a.join(' ')); };
    let result: Awaited<ReturnType<typeof main>>;
    try {
      process.env.BRAINSTATE_BACKEND = backendBefore;
      result = await main();
    } finally {
      console.log = saved;
    }
    expect(result.means.map((m) => m.toFixed(2))).to.deep.equal(['1.50', '2.00', '2.50']);
    expect(result.sum).to.equal(30);
    expect(result.count).to.equal(12);
    expect(logs).to.include('step 1: mean=2.00');
    expect(tf.getBackend()).to.equal(backendBefore);
  });
});
