/**
 * Issue 15 (must show): the seed's examples, the MLP sample and the spiking samples give
 * the same numbers on webgpu as on cpu. Each case runs the sample (small sizes) on cpu and
 * then on webgpu in this process (both backends are registered; a sample starts the one
 * BRAINSTATE_BACKEND names) and compares what it returns.
 *
 * Runs on the webgpu suite only (on cpu and wasm there is no GPU result to compare):
 * the seed examples and the spiking samples in `npm test`'s webgpu subset, the MLP (250
 * Adam steps, slow on SwiftShader) with `npm run test:webgpu`.
 *
 * Tolerances: spike counts and rates must be equal (a spike is a threshold crossing, so an
 * ulp that flipped one would show); losses and accuracies of the MLP within 1e-4 relative
 * (WGSL's exp/log differ from JavaScript's by ulps, and 250 Adam steps carry them).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import type { Context } from 'mocha';
import * as bst from '../../src';
import { captureLogs } from '../helpers';

/** Runs `fn` with the sample's backend set to `name` (the env var samples read); restores it. */
async function onBackend<R>(name: string, fn: () => Promise<R>): Promise<R> {
  const saved = process.env.BRAINSTATE_BACKEND;
  process.env.BRAINSTATE_BACKEND = name;
  try {
    return (await captureLogs(fn)).result;
  } finally {
    if (saved === undefined) delete process.env.BRAINSTATE_BACKEND; else process.env.BRAINSTATE_BACKEND = saved;
  }
}

/** Runs `fn` on cpu, then on webgpu (the suite's backend, restored after), and returns both results. */
async function onCpuThenWebGPU<R>(ctx: Context, fn: () => Promise<R>): Promise<{ cpu: R; webgpu: R }> {
  if (bst.backend.name() !== 'webgpu') {
    console.log(`      skipped on ${bst.backend.name()}: compares webgpu with cpu, so it runs in the webgpu suite`);
    ctx.skip();
  }
  try {
    const cpu = await onBackend('cpu', fn);
    const webgpu = await onBackend('webgpu', fn);
    return { cpu, webgpu };
  } finally {
    await bst.backend.init('webgpu');
  }
}

const tmpFile = (name: string) => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bst-parity-')), name);

function expectClose(got: readonly number[], want: readonly number[], rel: number, what: string): void {
  expect(got.length, what).to.equal(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]), `${what} [${i}]: webgpu ${g}, cpu ${want[i]}`)
    .to.be.at.most(rel * Math.max(1, Math.abs(want[i]))));
}

describe('issue 15: samples give the same numbers on webgpu as on cpu', () => {
  it('running-mean (the seed guide\'s RunningMean): means, sum and count', async function () {
    const { main } = await import('../../samples/running-mean');
    const r = await onCpuThenWebGPU(this, () => main());
    expect(r.webgpu).to.deep.equal(r.cpu);
    expect(r.cpu.means.map((m) => m.toFixed(2))).to.deep.equal(['1.50', '2.00', '2.50']);
  });

  it('linear-regression: losses, weight and bias', async function () {
    this.timeout(300000);
    const { main } = await import('../../samples/linear-regression');
    const r = await onCpuThenWebGPU(this, () => main({ points: 16, steps: 80, lr: 0.2, logEvery: 10 }));
    expectClose(r.webgpu.losses, r.cpu.losses, 1e-5, 'loss');
    expectClose([r.webgpu.weight, r.webgpu.bias], [r.cpu.weight, r.cpu.bias], 1e-5, 'weight, bias');
    expect(r.webgpu.traceCount).to.equal(r.cpu.traceCount);
  });

  it('ei-network: the same spikes (total, E and I rates) from the same seed', async function () {
    this.timeout(600000);
    const { main } = await import('../../samples/ei-network');
    const r = await onCpuThenWebGPU(this, () => main({ n: 200, steps: 200, chunk: 100, out: tmpFile('ei.svg'), quiet: true }));
    expect(r.cpu.totalSpikes).to.be.greaterThan(0);
    expect(r.webgpu).to.deep.equal(r.cpu);
  });

  for (const name of ['coba', 'cuba'] as const) {
    it(`${name}: the same spikes (total, E and I rates) from the same seed`, async function () {
      this.timeout(600000);
      const { main } = await import(`../../samples/${name}`) as typeof import('../../samples/coba');
      const r = await onCpuThenWebGPU(this, () => main({ n: 400, duration: 50, chunk: 250, out: tmpFile('raster.svg'),
        rates: tmpFile('rates.svg'), quiet: true }));
      const pick = (x: typeof r.cpu) => ({ totalSpikes: x.totalSpikes, rateE: x.rateE, rateI: x.rateI });
      expect(r.cpu.totalSpikes).to.be.greaterThan(0);
      expect(pick(r.webgpu)).to.deep.equal(pick(r.cpu));
    });
  }

  it('mlp: losses and accuracies of 250 jitted Adam steps', async function () {
    this.timeout(900000);
    if (process.env.BRAINSTATE_WEBGPU_SUBSET === '1') {
      console.log('      skipped in npm test\'s webgpu subset: about 75 s on SwiftShader; npm run test:webgpu runs it');
      this.skip();
    }
    const { main } = await import('../../samples/mlp');
    const r = await onCpuThenWebGPU(this, () => main({ pointsPerClass: 50, hidden: 32, steps: 250, lr: 0.03, logEvery: 50,
      svgPath: null }));
    // A hardware GPU's compiler contracts a * b + c into fused multiply-adds (in matMul and
    // tfjs-webgpu's kernels), which cpu rounds twice; over 250 training steps that drifts: on an
    // NVIDIA H200 loss 141 was 0.0957558 against cpu's 0.0960028 (2.6e-3 relative). SwiftShader
    // rounds as cpu does, within 1e-4. (jit against eager on the same adapter stays exact: the
    // fuzz corpus and spec/compiler/fused-algebra.spec.ts.)
    const software = bst.backend.webgpuAdapter()?.software !== false;
    expectClose(r.webgpu.losses, r.cpu.losses, software ? 1e-4 : 1e-2, 'loss');
    if (software) {
      expectClose(r.webgpu.accuracies, r.cpu.accuracies, 1e-4, 'accuracy');
      expect([r.webgpu.finalAccuracy, r.webgpu.testAccuracy]).to.deep.equal([r.cpu.finalAccuracy, r.cpu.testAccuracy]);
    } else {
      // There a point on the decision boundary may fall the other way: one in 100 (0.01).
      expectClose([...r.webgpu.accuracies, r.webgpu.finalAccuracy, r.webgpu.testAccuracy],
        [...r.cpu.accuracies, r.cpu.finalAccuracy, r.cpu.testAccuracy], 0.02, 'accuracy');
    }
  });
});
