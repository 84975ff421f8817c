/**
 * The page spec/integration/browser.spec.ts opens in headless Chromium: on each backend
 * (wasm, webgl) it runs the quick start and a jitted E/I spiking network (checked against
 * the same network run eagerly), then POSTs the results to /result.
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
  quickStart?: ReturnType<typeof quickStart>;
  spiking?: { eagerSpikes: number; jitSpikes: number; equalRasters: boolean; traces: number; rateHz: number };
  error?: string;
}

async function spiking(): Promise<NonNullable<BackendResult['spiking']>> {
  const n = 200;
  const chunk = 50;
  const eager = makeSimulation(n, chunk, 7, false);
  const jitted = makeSimulation(n, chunk, 7, true);
  let eagerSpikes = 0;
  let jitSpikes = 0;
  let equalRasters = true;
  for (let c = 0; c < 4; c++) {
    const a = await eager.run(15).data();
    const b = await jitted.run(15).data();
    for (let i = 0; i < a.length; i++) {
      eagerSpikes += a[i];
      jitSpikes += b[i];
      if (a[i] !== b[i]) equalRasters = false;
    }
  }
  const seconds = (4 * chunk * 0.1) / 1000;
  return { eagerSpikes, jitSpikes, equalRasters, traces: jitted.traceCount, rateHz: jitSpikes / n / seconds };
}

async function runOn(requested: string): Promise<BackendResult> {
  try {
    await bst.backend.init(requested);
  } catch (e) {
    return { requested, skipped: (e as Error).message };
  }
  try {
    return { requested, backend: tf.getBackend(), quickStart: quickStart(), spiking: await spiking() };
  } catch (e) {
    return { requested, backend: tf.getBackend(), error: `${(e as Error).message}\n${(e as Error).stack ?? ''}` };
  }
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
  for (const b of ['wasm', 'webgl']) results.push(await runOn(b));
  await fetch('/result', {
    method: 'POST', body: JSON.stringify({ results, userAgent: navigator.userAgent, webglRenderer: webglRenderer() }),
  });
  document.body.textContent = JSON.stringify(results, null, 2);
}

window.addEventListener('error', (e) => {
  void fetch('/result', { method: 'POST', body: JSON.stringify({ pageError: String(e.message) }) });
});
void main();
