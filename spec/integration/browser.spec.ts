// The ESM bundle in a real browser: scripts/browser-server.ts bundles browser/check.ts
// (esbuild, 'brainstate-ts' resolved to dist/, standard decorators) and serves it on
// 127.0.0.1; headless Chromium opens it; the page runs the quick start and a jitted E/I
// spiking network on wasm, webgl and webgpu (Chromium's WebGPU, --enable-unsafe-webgpu: on
// a machine without a GPU its SwiftShader adapter) and POSTs what it got. On webgpu the
// network's raster must equal wasm's, and a jitted whileLoop runs through callAsync.
import { expect } from 'chai';
import { BrowserServer, buildBundles, startServer } from '../../scripts/browser-server';
import { findChromium, openHeadless, WEBGPU_FLAG } from './chromium';

interface BackendResult {
  requested: string;
  backend?: string;
  skipped?: string;
  error?: string;
  quickStart?: { means: number[]; jitMeans: number[]; traces: number; weight: string };
  spiking?: { eagerSpikes: number; jitSpikes: number; equalRasters: boolean; traces: number; rateHz: number };
  raster?: number[];
  awaited?: { doublings: number; sum: number };
  adapter?: string;
}

interface PageReport {
  results?: BackendResult[];
  userAgent?: string;
  webglRenderer?: string;
  pageError?: string;
}

describe('the browser bundle in headless Chromium', function () {
  this.timeout(300000);
  const chromium = findChromium();
  let report: PageReport;
  let server: BrowserServer | undefined;

  before(async function () {
    if ('missing' in chromium) {
      console.log(`    (browser specs skipped: ${chromium.missing})`);
      this.skip();
    }
    const warnings = await buildBundles();
    expect(warnings, 'esbuild warnings').to.deep.equal([]);
    let received: (body: string) => void = () => undefined;
    const posted = new Promise<string>((resolve) => { received = resolve; });
    server = await startServer(0, (body) => received(body));
    const browser = openHeadless(chromium.path, `${server.url}check.html`, [WEBGPU_FLAG]);
    const timeout = new Promise<string>((resolve) => {
      setTimeout(() => resolve(JSON.stringify({ pageError: `no result within 240 s; chromium stderr:\n${browser.stderr().slice(-3000)}` })), 240000).unref();
    });
    try {
      report = JSON.parse(await Promise.race([posted, timeout])) as PageReport;
    } finally {
      browser.close();
    }
    console.log(`    (${report.userAgent ?? 'no user agent'}; WebGL renderer: ${report.webglRenderer ?? '?'})`);
  });

  after(async () => {
    await server?.close();
  });

  for (const backend of ['wasm', 'webgl', 'webgpu']) {
    describe(`on ${backend}`, () => {
      let r: BackendResult;
      before(function () {
        expect(report.pageError, 'page error').to.equal(undefined);
        r = report.results!.find((x) => x.requested === backend)!;
        if (r.skipped !== undefined) {
          console.log(`    (${backend} skipped in this browser: ${r.skipped})`);
          this.skip();
        }
        expect(r.error ?? "", `error on ${backend}`).to.equal("");
        expect(r.backend).to.equal(backend);
      });

      it('the quick start prints what the README says, eagerly and jitted (one trace)', () => {
        expect(r.quickStart!.means).to.deep.equal([1.5, 2, 2.5]);
        expect(r.quickStart!.jitMeans).to.deep.equal([1.5, 2, 2.5]);
        expect(r.quickStart!.traces).to.equal(1);
        expect(r.quickStart!.weight).to.equal('ParamState(value=Tensor[1,1] float32, tag=undefined)');
      });

      it('the jitted E/I network spikes exactly as the eager one, traced once', () => {
        const s = r.spiking!;
        expect(s.equalRasters).to.equal(true);
        expect(s.jitSpikes).to.equal(s.eagerSpikes);
        expect(s.jitSpikes).to.be.greaterThan(0);
        expect(s.traces).to.equal(1);
      });

      it('a jitted whileLoop through callAsync doubles as often as JS says', () => {
        // sum(range(4096) / 4096) = 2047.5, doubled until it reaches 5000: twice (8190).
        expect(r.awaited).to.deep.equal({ doublings: 2, sum: 8190 });
      });

      if (backend !== 'wasm') {
        it('the jitted network\'s raster equals the wasm run\'s, spike for spike', () => {
          const wasm = report.results!.find((x) => x.requested === 'wasm')!;
          if (backend === 'webgpu') console.log(`    (WebGPU adapter: ${r.adapter ?? '?'})`);
          expect(r.raster!.length).to.equal(wasm.raster!.length);
          expect(r.raster!.reduce((n, v, i) => n + (v !== wasm.raster![i] ? 1 : 0), 0), 'spikes that differ').to.equal(0);
        });
      }
    });
  }
});
