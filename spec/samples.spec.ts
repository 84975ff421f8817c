import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import * as bst from '../src';
import { captureLogs } from './helpers';

describe('samples', () => {
  it('running-mean prints the seed numbers (means 1.50, 2.00, 2.50; sum 30, count 12)', async () => {
    const backendBefore = bst.backend.name();
    const { main } = await import('../samples/running-mean');
    process.env.BRAINSTATE_BACKEND = backendBefore;
    const { result, logs } = await captureLogs(() => main());
    expect(result.means.map((m) => m.toFixed(2))).to.deep.equal(['1.50', '2.00', '2.50']);
    expect(result.sum).to.equal(30);
    expect(result.count).to.equal(12);
    expect(logs).to.include('step 1: mean=2.00');
    expect(tf.getBackend()).to.equal(backendBefore);
  });
});
