/**
 * The page spec/integration/browser.spec.ts opens in headless Chromium: on each backend
 * (wasm, webgl, webgpu) it runs the quick start and a jitted E/I spiking network (checked
 * against the same network run eagerly), then POSTs the results to /result. On webgpu
 * (Chromium's WebGPU with --enable-unsafe-webgpu; SwiftShader's adapter without a GPU) it
 * also runs a jitted whileLoop through `callAsync`, which awaits its GPU predicate.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as bst from 'brainstate-ts';
import { makeSimulation } from './ei-net';
import { quickStart } from './quick-start';

// tfjs-backend-wasm fetches its .wasm files from here (the server maps /wasm/ to its dist/).
setWasmPaths('/wasm/');

interface BackendResult {
  requested: string;
  backend?: string;
  skipped?: string;
  quickStart?: Awaited<ReturnType<typeof quickStart>>;
  spiking?: { eagerSpikes: number; jitSpikes: number; equalRasters: boolean; traces: number; rateHz: number };
  /** The spike raster of the jitted run (0/1 per neuron and step), to compare backends. */
  raster?: number[];
  /** A jitted whileLoop called with callAsync: its result and trip count. */
  awaited?: { doublings: number; sum: number };
  adapter?: string;
  error?: string;
}

async function spiking(): Promise<{ summary: NonNullable<BackendResult['spiking']>; raster: number[] }> {
  const n = 200;
  const chunk = 50;
  const eager = makeSimulation(n, chunk, 7, false);
  const jitted = makeSimulation(n, chunk, 7, true);
  let eagerSpikes = 0;
  let jitSpikes = 0;
  let equalRasters = true;
  const raster: number[] = [];
  for (let c = 0; c < 4; c++) {
    const a = await eager.run(15).data();
    const b = await jitted.run(15).data();
    for (let i = 0; i < a.length; i++) {
      eagerSpikes += a[i];
      jitSpikes += b[i];
      raster.push(b[i]);
      if (a[i] !== b[i]) equalRasters = false;
    }
  }
  const seconds = (4 * chunk * 0.1) / 1000;
  return { summary: { eagerSpikes, jitSpikes, equalRasters, traces: jitted.traceCount, rateHz: jitSpikes / n / seconds }, raster };
}

/** A jitted whileLoop whose predicate is computed on the backend, called with callAsync. */
async function awaited(): Promise<NonNullable<BackendResult['awaited']>> {
  const count = new bst.ShortTermState<tf.Tensor>(tf.scalar(0));
  const grow = bst.transform.jit((x: tf.Tensor) => bst.transform.whileLoop((v: tf.Tensor) => tf.less(tf.sum(v), 5000),
    (v: tf.Tensor) => {
      count.value = tf.add(count.value, 1);
      return tf.mul(v, 2);
    }, x));
  const y = await grow.callAsync(tf.div(tf.range(0, 4096), 4096)) as tf.Tensor;
  const result = { doublings: (await count.value.data())[0], sum: (await tf.sum(y).data())[0] };
  y.dispose();
  return result;
}

async function runOn(requested: string): Promise<BackendResult> {
  try {
    await bst.backend.init(requested);
  } catch (e) {
    return { requested, skipped: (e as Error).message };
  }
  let phase = 'the quick start';
  try {
    const qs = await quickStart();
    phase = 'the spiking network';
    const { summary, raster } = await spiking();
    phase = 'the callAsync loop';
    return { requested, backend: tf.getBackend(), quickStart: qs, spiking: summary, raster,
      awaited: await awaited(), adapter: adapterText() };
  } catch (e) {
    return { requested, backend: tf.getBackend(), error: `in ${phase}: ${(e as Error).message}\n${(e as Error).stack ?? ''}` };
  }
}

/** The WebGPU adapter in use (Chromium reports no description for SwiftShader's: vendor and architecture say it). */
function adapterText(): string | undefined {
  const a = bst.backend.webgpuAdapter();
  return a === undefined || tf.getBackend() !== 'webgpu' ? undefined
    : `${a.vendor} ${a.architecture} ${a.description}${a.software ? ' (software)' : ''}`;
}

/** The WebGL renderer (e.g. SwiftShader in a headless browser without a GPU), for the report. */
function webglRenderer(): string {
  const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
  if (gl === null) return 'no WebGL context';
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info !== null ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

async function main(): Promise<void> {
  const results: BackendResult[] = [];
  for (const b of ['wasm', 'webgl', 'webgpu']) results.push(await runOn(b));
  await fetch('/result', {
    method: 'POST', body: JSON.stringify({ results, userAgent: navigator.userAgent, webglRenderer: webglRenderer() }),
  });
  // What the screenshot shows: per backend, what it ran and whether it agreed (rasters left out).
  document.body.style.cssText = 'font: 14px monospace; white-space: pre; margin: 16px';
  document.body.textContent = `brainstate-ts browser check (${navigator.userAgent.split(' ').filter((w) => /Chrom/.test(w)).join(' ')})\n\n` +
    JSON.stringify(results.map(({ raster, ...r }) => ({ ...r, rasterLength: raster?.length })), null, 2);
}

window.addEventListener('error', (e) => {
  void fetch('/result', { method: 'POST', body: JSON.stringify({ pageError: String(e.message) }) });
});
void main();
