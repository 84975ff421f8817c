import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as bst from '../../src';

describe('samples/ei-network (small)', () => {
  it('simulates in jitted chunks, writes a raster SVG and returns plausible, reproducible rates', async function () {
    this.timeout(120000);
    const backendBefore = bst.backend.name();
    const { main } = await import('../../samples/ei-network');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ei-')), 'raster.svg');
    const saved = process.env.BRAINSTATE_BACKEND;
    process.env.BRAINSTATE_BACKEND = backendBefore;
    try {
      const a = await main({ n: 200, steps: 200, chunk: 100, out, quiet: true });
      const b = await main({ n: 200, steps: 200, chunk: 100, out, quiet: true });
      expect(a.totalSpikes).to.be.greaterThan(0);
      expect(a.rateE).to.be.within(0.5, 500);
      expect(a.rateI).to.be.within(0.5, 500);
      expect(b).to.deep.equal(a); // the same seed, the same spikes
      const svg = fs.readFileSync(out, 'utf8');
      expect(svg.startsWith('<svg')).to.equal(true);
      expect((svg.match(/<rect x=/g) ?? []).length).to.equal(a.totalSpikes);
    } finally {
      if (saved === undefined) delete process.env.BRAINSTATE_BACKEND; else process.env.BRAINSTATE_BACKEND = saved;
    }
  });
});
