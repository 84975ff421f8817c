/**
 * samples/conv-mnist.ts and samples/rnn-mnist.ts at a small size, on real MNIST digits
 * from the `mnist` package: the loss falls, held-out digits are classified far above
 * chance (10%), the training step is traced once, and the loss curve is written.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import * as bst from '../../src';
import { captureLogs } from '../helpers';

describe('samples: digit classifiers (MNIST from the mnist package)', () => {
  it('conv-mnist: a conv net learns the digits with a jitted Adam step and writes the loss curve', async function () {
    this.timeout(300000);   // tfjs-cpu's pooling and convolution kernels are slow on a shared machine
    const { main } = await import('../../samples/conv-mnist');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-conv-'));
    const svgPath = path.join(dir, 'loss.svg');
    process.env.BRAINSTATE_BACKEND = bst.backend.name();
    const { result, logs } = await captureLogs(() => main({ trainPerDigit: 30, testPerDigit: 20, steps: 40, batchSize: 32,
      channels: [4, 8], lr: 0.01, logEvery: 20, svgPath }));
    expect(result.traceCount).to.equal(1);
    expect(result.losses).to.have.length(40);
    const early = result.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const late = result.losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(late).to.be.lessThan(early / 2);
    expect(result.testAccuracy).to.be.at.least(0.7);
    expect(logs[0]).to.equal(`backend: ${bst.backend.name()}; MNIST 300 training / 200 test images; conv 4-8 net; 40 jitted Adam steps`);
    expect(logs[logs.length - 1]).to.match(/^final: loss=\d\.\d{4} train accuracy=\d+\.\d% test accuracy=\d+\.\d%; training step traced 1 time\(s\)$/);
    expect(fs.readFileSync(svgPath, 'utf8')).to.contain('<polyline');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('rnn-mnist: an LSTM reading rows learns the digits with a jitted step', async function () {
    this.timeout(300000);
    const { main } = await import('../../samples/rnn-mnist');
    process.env.BRAINSTATE_BACKEND = bst.backend.name();
    const { result, logs } = await captureLogs(() => main({ trainPerDigit: 30, testPerDigit: 20, steps: 60, batchSize: 32,
      hidden: 24, lr: 0.015, logEvery: 20, svgPath: null }));
    expect(result.traceCount).to.equal(1);
    const early = result.losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const late = result.losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(late).to.be.lessThan(early / 2);
    expect(result.testAccuracy).to.be.at.least(0.5);
    expect(logs[0]).to.contain('LSTM 24 over 28 rows; 60 jitted Adam steps');
  });
});
