/**
 * Screenshots the demo page (browser/index.html) in headless Chromium after a few
 * seconds of running: `npm run demo:screenshot -- out.png [backend]` (backend `webgpu`
 * turns Chromium's WebGPU on).
 *
 * `npm run demo:screenshot -- out.png check` screenshots the browser check instead: the
 * check page (browser/check.ts) runs on wasm, webgl and webgpu in a headless Chromium and
 * posts its results; they are written as a static report page and screenshotted (a
 * screenshot's virtual-time budget does not wait for GPU or WebAssembly work).
 */
import * as fs from 'fs';
import * as path from 'path';
import { findChromium, openHeadless, screenshot, WEBGPU_FLAG } from '../spec/integration/chromium';
import { BUILD_DIR, buildBundles, startServer } from './browser-server';

interface CheckResult {
  requested: string;
  backend?: string;
  skipped?: string;
  error?: string;
  quickStart?: { means: number[]; jitMeans: number[]; traces: number };
  spiking?: { eagerSpikes: number; jitSpikes: number; equalRasters: boolean; traces: number; rateHz: number };
  raster?: number[];
  awaited?: { doublings: number; sum: number };
  adapter?: string;
}

const escape = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]!));

/** The report page of a check run: one row per backend, the webgpu adapter, agreement with wasm. */
function reportPage(report: { results?: CheckResult[]; userAgent?: string; webglRenderer?: string; pageError?: string }): string {
  const results = report.results ?? [];
  const wasm = results.find((r) => r.requested === 'wasm');
  const rows = results.map((r) => {
    const differ = r.raster !== undefined && wasm?.raster !== undefined
      ? r.raster.reduce((n, v, i) => n + (v !== wasm.raster![i] ? 1 : 0), 0) : undefined;
    const cells = r.skipped !== undefined || r.error !== undefined
      ? [`<td colspan="5">${escape(r.skipped ?? r.error ?? '')}</td>`]
      : [`<td>${r.quickStart?.jitMeans.join(', ')} (traces ${r.quickStart?.traces})</td>`,
        `<td>${r.spiking?.jitSpikes} spikes, eager ${r.spiking?.eagerSpikes}, ${r.spiking?.rateHz.toFixed(1)} Hz</td>`,
        `<td>${r.raster?.length ?? 0} cells, ${differ === 0 ? 'equal to wasm' : `${differ} differ from wasm`}</td>`,
        `<td>${r.awaited?.doublings} doublings, sum ${r.awaited?.sum}</td>`,
        `<td>${escape(r.adapter ?? '')}</td>`];
    return `<tr><th>${escape(r.requested)}</th>${cells.join('')}</tr>`;
  }).join('\n');
  return `<!doctype html><meta charset="utf-8"><title>brainstate-ts browser check</title>
<style>body{font:14px system-ui,sans-serif;margin:20px}table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:6px 8px;text-align:left}
caption{text-align:left;margin-bottom:8px}small{color:#555}</style>
<h2>brainstate-ts: the browser check in headless Chromium</h2>
<p><small>${escape(report.userAgent ?? '')}<br>WebGL renderer: ${escape(report.webglRenderer ?? '?')}</small></p>
${report.pageError !== undefined ? `<p>page error: ${escape(report.pageError)}</p>` : ''}
<table><tr><th>backend</th><th>quick start, jitted means</th><th>jitted E/I network (200 neurons, 20 ms)</th>
<th>jitted raster</th><th>jitted whileLoop via callAsync</th><th>WebGPU adapter</th></tr>
${rows}</table>`;
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? 'demo.png';
  const backend = process.argv[3] ?? 'wasm';
  const chromium = findChromium();
  if ('missing' in chromium) throw new Error(chromium.missing);
  await buildBundles();
  let received: (body: string) => void = () => undefined;
  const posted = new Promise<string>((resolve) => { received = resolve; });
  const server = await startServer(0, (body) => received(body));
  try {
    if (backend === 'check') {
      const browser = openHeadless(chromium.path, `${server.url}check.html`, [WEBGPU_FLAG]);
      let body: string;
      try {
        body = await posted;
      } finally {
        browser.close();
      }
      fs.writeFileSync(path.join(BUILD_DIR, 'check-report.html'), reportPage(JSON.parse(body)));
      await screenshot(chromium.path, `${server.url}build/check-report.html`, out, [1100, 380], 2000);
    } else {
      await screenshot(chromium.path, `${server.url}?backend=${backend}&n=1000&frames=18`, out, [960, 620], 400000,
        backend === 'webgpu' ? [WEBGPU_FLAG] : []);
    }
    console.log(`written: ${out}`);
  } finally {
    await server.close();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
