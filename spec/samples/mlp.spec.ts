/**
 * samples/mlp.ts at a small size: the loss falls, the classifier separates the
 * spirals (held-out ones too), the step is traced once, and the SVG is written.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import * as bst from '../../src';
import { captureLogs } from '../helpers';

describe('samples: mlp', () => {
  it('learns two spirals with a jitted Adam step and writes the loss curve', async () => {
    const backendBefore = bst.backend.name();
    const { main } = await import('../../samples/mlp');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-mlp-'));
    const svgPath = path.join(dir, 'loss.svg');
    process.env.BRAINSTATE_BACKEND = backendBefore;
    const { result, logs } = await captureLogs(() =>
      main({ pointsPerClass: 50, hidden: 32, steps: 250, lr: 0.03, logEvery: 50, svgPath }));
    expect(result.traceCount).to.equal(1);
    expect(result.losses).to.have.length(250);
    expect(result.losses[249]).to.be.lessThan(result.losses[0] / 10);
    expect(result.finalAccuracy).to.be.at.least(0.9);
    expect(result.testAccuracy).to.be.at.least(0.85);
    expect(result.accuracies).to.have.length(6);
    expect(logs[0]).to.equal(`backend: ${backendBefore}; two spirals, 100 points; MLP 2-32-32-2; 250 jitted Adam steps`);
    expect(logs.filter((l) => /^step +\d+: loss=\d\.\d{4} accuracy=\d+\.\d%$/.test(l))).to.have.length(6);
    expect(logs[logs.length - 1]).to.match(/^final: loss=\d\.\d{4} accuracy=\d+\.\d% \(held-out spirals: \d+\.\d%\); training step traced 1 time\(s\)$/);

    expect(result.svgPath).to.equal(svgPath);
    const svg = fs.readFileSync(svgPath, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).to.equal(true);
    const points = /<polyline[^>]* points="([^"]+)"/.exec(svg)![1].split(' ');
    expect(points).to.have.length(250);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lossCurveSvg: one point per step, log-scaled, escaped title', async () => {
    const { lossCurveSvg } = await import('../../samples/mlp');
    const svg = lossCurveSvg([1, 0.1, 0.01], 'a < b & c');
    expect(svg).to.contain('a &lt; b &amp; c');
    expect(svg).to.contain('>1e-2<');
    expect(svg).to.contain('>1e0<');
    const pts = /points="([^"]+)"/.exec(svg)![1].split(' ').map((p) => p.split(',').map(Number));
    expect(pts).to.have.length(3);
    expect(pts[1][1] - pts[0][1]).to.be.closeTo(pts[2][1] - pts[1][1], 1e-6);   // equal steps on a log axis
  });
});
