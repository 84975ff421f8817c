/**
 * `npm run demo`: an E/I spiking network in the browser, with a live spike raster and
 * sliders for the input current and the synaptic coupling. Each animation frame runs one
 * jitted chunk of steps (a forLoop traced once); moving a slider changes the argument or
 * a state, never the program. `?backend=webgl` (or wasm, cpu) picks the backend,
 * `?n=2000` the network size, `?frames=100` stops after that many frames (for screenshots).
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as bst from 'brainstate-ts';
import { makeSimulation } from './ei-net';

setWasmPaths('/wasm/');

const params = new URLSearchParams(location.search);
const N = Number(params.get('n') ?? 1000);
const CHUNK = 50; // steps per frame: 5 ms of simulated time
const MAX_FRAMES = Number(params.get('frames') ?? Infinity);

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`demo: the page has no #${id}`);
  return e as T;
}

async function main(): Promise<void> {
  const status = el<HTMLElement>('status');
  const backend = await bst.backend.init(params.get('backend') ?? undefined);
  const sim = makeSimulation(N, CHUNK);
  const current = el<HTMLInputElement>('current');
  const coupling = el<HTMLInputElement>('coupling');
  const canvas = el<HTMLCanvasElement>('raster');
  const ctx = canvas.getContext('2d')!;
  const w = canvas.width;
  const h = canvas.height;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  const showValues = (): void => {
    el('current-value').textContent = `${Number(current.value).toFixed(1)} mV`;
    el('coupling-value').textContent = `${Number(coupling.value).toFixed(2)}×`;
  };
  current.addEventListener('input', showValues);
  coupling.addEventListener('input', () => {
    showValues();
    sim.net.coupling.value = tf.scalar(Number(coupling.value));
  });
  showValues();

  let simulatedMs = 0;
  const rates: { e: number; i: number }[] = [];
  const t0 = performance.now();
  const frame = async (): Promise<void> => {
    const raster = sim.run(Number(current.value));
    const spikes = await raster.data();
    raster.dispose();
    // Scroll left by CHUNK columns (one pixel per step), draw the new steps on the right.
    ctx.drawImage(canvas, -CHUNK, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(w - CHUNK, 0, CHUNK, h);
    let sE = 0;
    let sI = 0;
    for (let t = 0; t < CHUNK; t++) {
      for (let i = 0; i < N; i++) {
        if (spikes[t * N + i] === 0) continue;
        if (i < sim.net.nE) sE++; else sI++;
        ctx.fillStyle = i < sim.net.nE ? '#1f5fbf' : '#c0392b';
        ctx.fillRect(w - CHUNK + t, Math.floor((i / N) * h), 1, Math.max(1, h / N));
      }
    }
    simulatedMs += CHUNK * 0.1;
    rates.push({ e: sE / sim.net.nE / (CHUNK * 1e-4), i: sI / sim.net.nI / (CHUNK * 1e-4) });
    if (rates.length > 20) rates.shift();
    const mean = (k: 'e' | 'i') => rates.reduce((a, r) => a + r[k], 0) / rates.length;
    // A page opened for a fixed number of frames is a headless screenshot, whose clock is
    // Chromium's virtual time (--virtual-time-budget), not wall time: leave the time out there.
    const wall = Number.isFinite(MAX_FRAMES) ? '' : ` in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    status.textContent = `${N} neurons on ${backend} · ${simulatedMs.toFixed(0)} ms simulated${wall} · ` +
      `rate E ${mean('e').toFixed(1)} Hz, I ${mean('i').toFixed(1)} Hz · jit traces: ${sim.traceCount}`;
    const frames = Number(document.body.dataset.frames ?? 0) + 1;
    document.body.dataset.frames = String(frames);
    if (frames < MAX_FRAMES) requestAnimationFrame(() => void frame());
  };
  await frame();
}

main().catch((e: Error) => {
  el('status').textContent = `error: ${e.message}`;
  throw e;
});
