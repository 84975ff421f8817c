import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as bst from '../../src';
import * as tf from '@tensorflow/tfjs';
import { captureLogs, expectNoLeaks } from '../helpers';

/**
 * samples/coba and samples/cuba, small (800 neurons, in-degree 80 as at full size, 200 ms):
 * they print the rates in the documented format, write the plots, give plausible rates
 * (full size, Brian2 2.5.1 here: COBA E 20.9 / I 21.2 Hz, CUBA E 5.4 / I 5.6 Hz) and the
 * same numbers twice.
 */
describe('samples/coba and samples/cuba (small)', () => {
  for (const [name, band] of [['coba', [10, 45]], ['cuba', [2, 15]]] as const) {
    it(`${name}: prints E and I rates, writes a raster and a rate plot, plausible and reproducible`, async function () {
      this.timeout(180000);
      const backendBefore = bst.backend.name();
      const { main } = await import(`../../samples/${name}`) as typeof import('../../samples/coba');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
      const out = path.join(dir, 'raster.svg');
      const rates = path.join(dir, 'rates.svg');
      const saved = process.env.BRAINSTATE_BACKEND;
      process.env.BRAINSTATE_BACKEND = backendBefore;
      try {
        const { result: a, logs } = await captureLogs(() => main({ n: 800, duration: 200, chunk: 500, out, rates }));
        const b = await main({ n: 800, duration: 200, chunk: 500, out, rates, quiet: true });
        expect(logs.some((l) => /^E \d+\.\d Hz$/.test(l)), logs.join('\n')).to.equal(true);
        expect(logs.some((l) => /^I \d+\.\d Hz$/.test(l))).to.equal(true);
        expect(logs.some((l) => /ms per simulated step/.test(l))).to.equal(true);
        expect(a.rateE).to.be.within(band[0], band[1]);
        expect(a.rateI).to.be.within(band[0], band[1]);
        expect(b.totalSpikes).to.equal(a.totalSpikes);
        const svg = fs.readFileSync(out, 'utf8');
        expect((svg.match(/<rect x=/g) ?? []).length).to.equal(b.rasterSpikes);
        expect(fs.readFileSync(rates, 'utf8')).to.contain('<polyline');
      } finally {
        if (saved === undefined) delete process.env.BRAINSTATE_BACKEND; else process.env.BRAINSTATE_BACKEND = saved;
      }
    });
  }

  it('numTensors and numBytes stay flat over 100 jitted forLoop chunks of the COBA network', async () => {
    const { CobaNet } = await import('../../samples/coba');
    bst.environ.set({ dt: 0.1 });
    const net = new CobaNet(400, 1);
    bst.nn.initAllStates(net);
    const chunk = bst.transform.jit(() => bst.transform.forLoop(() => net.update(), { length: 5 }) as tf.Tensor);
    chunk().dispose();
    expectNoLeaks(() => chunk().dispose(), 100);
    expect(chunk.traceCount).to.equal(1);
  });
});
