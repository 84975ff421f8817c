/**
 * Where a jitted COBA forLoop step's time goes at one size (issue 14's growth from 4,000
 * to 400,000 neurons), with variants of the whole-loop kernel compared in one process:
 * interleaved blocks of chunks, medians of process CPU time (steady on a shared machine)
 * and wall time. The event-driven products are timed (wall) by a wrapper around their loop, so
 * "rest" is the fused neuron/synapse kernels and the loop's own overhead. Also prints the
 * in-process memcpy floor for the state bytes a step must move.
 *
 * Run: BRAINSTATE_BACKEND=wasm node --conditions=brainstate-source -r ts-node/register/transpile-only \
 *   bench/coba-growth-profile.ts [n=400000] [steps per chunk=100] [blocks=7]
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { memoryKernelParts } from '../src/backend/custom-kernels';
import { withInPlaceCarries } from '../src/compiler/fusion/loop-kernel';
import { withoutHeapSpikeScan } from '../src/event/spike-scan';
import { CobaNet, COBA_PARAMS } from '../samples/coba';
import { median } from './harness';

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

/** The event-driven product's loop before the rows were listed and fetched in batches (one row at a time, as read). */
function rowByRow(ins: ArrayLike<number>[], out: Float32Array, infos: readonly { shape: readonly number[] }[], attrs: { nPost?: unknown }): void {
  const [s, indptr, indices, w] = ins;
  const nPre = infos[0].shape[infos[0].shape.length - 1];
  const nPost = attrs.nPost as number;
  const batch = nPre === 0 ? 0 : s.length / nPre;
  const homogeneous = infos[3].shape.length === 0;
  const w0 = homogeneous ? w[0] : 0;
  out.fill(0);
  const pairs = s instanceof Float32Array && s.byteOffset % 8 === 0 ? new Float64Array(s.buffer, s.byteOffset, s.length >> 1) : undefined;
  for (let b = 0; b < batch; b++) {
    const sb = b * nPre;
    const ob = b * nPost;
    for (let i = 0; i < nPre; i++) {
      if (pairs !== undefined && ((sb + i) & 7) === 0 && i + 8 <= nPre) {
        const q = (sb + i) >> 1;
        if (pairs[q] === 0 && pairs[q + 1] === 0 && pairs[q + 2] === 0 && pairs[q + 3] === 0) {
          i += 7;
          continue;
        }
      }
      const si = s[sb + i];
      if (si === 0) continue;
      const end = indptr[i + 1];
      if (homogeneous) {
        const v = si * w0;
        for (let k = indptr[i]; k < end; k++) out[ob + indices[k]] += v;
      } else {
        for (let k = indptr[i]; k < end; k++) out[ob + indices[k]] += si * w[k];
      }
    }
  }
}

async function main(): Promise<void> {
  const backendName = await bst.backend.init();
  const n = Number(process.argv[2] ?? 400000);
  const k = Number(process.argv[3] ?? 100);
  const blocks = Number(process.argv[4] ?? 7);
  // The event-driven products' time, by a wrapper around their loop (the loop kernel calls it directly).
  const parts = memoryKernelParts(bst.event.EVENT_CSR_MATVEC)!;
  const current = parts.loop;
  let inner = current;
  let eventMs = 0;
  // Small sizes: wall time (performance.now costs ~50 ns; reading CPU time is a system call,
  // ~1 us, a fifth of a 4,000-neuron step). Large: CPU time (a call is ~0.3 ms, and wall time
  // on a shared machine counts other processes' time slices).
  const clock = n >= 40000 ? cpuMs : () => performance.now();
  (parts as { loop: typeof inner }).loop = (ins, out, infos, attrs) => {
    const t = clock();
    inner(ins, out, infos, attrs);
    eventMs += clock() - t;
  };
  bst.environ.set({ dt: COBA_PARAMS.dt });
  bst.random.seed(42);
  const net = new CobaNet(n, 42);
  bst.nn.initAllStates(net);
  const counts = new bst.HiddenState(tf.zeros([n]));
  const chunk = () => bst.transform.jit(() => bst.transform.forLoop(() => {
    counts.value = tf.add(counts.value, net.update());
    return [];
  }, { length: k }));
  type Loop = typeof inner;
  const variants: { name: string; run: () => void; loop: Loop; cpu: number[]; wall: number[]; event: number[] }[] = [];
  const add = (name: string, build: () => () => void, loop = current) => {
    inner = loop;
    const f = build();
    f(); // compile (under the variant's setting) and warm up
    variants.push({ name, run: f, loop, cpu: [], wall: [], event: [] });
  };
  add('in-place carries', () => withInPlaceCarries(true, () => { const f = chunk(); f(); return f; }));
  add('JS spike scan', () => { const f = chunk(); f(); return () => withoutHeapSpikeScan(f); });
  add('two buffers per carry', () => withInPlaceCarries(false, () => { const f = chunk(); f(); return f; }));
  add('in-place, rows one by one', () => withInPlaceCarries(true, () => { const f = chunk(); f(); return f; }), rowByRow as unknown as Loop);
  const spikesBefore = counts.value.sum().dataSync()[0];
  let stepsRun = 0;
  for (let b = 0; b < blocks; b++) {
    for (const v of variants) {
      eventMs = 0;
      inner = v.loop;
      const w0 = performance.now();
      const c0 = cpuMs();
      v.run();
      counts.value.dataSync();
      v.cpu.push((cpuMs() - c0) / k);
      v.wall.push((performance.now() - w0) / k);
      v.event.push(eventMs / k);
      stepsRun += k;
    }
  }
  const rate = (counts.value.sum().dataSync()[0] - spikesBefore) / n / (stepsRun * COBA_PARAMS.dt / 1000);
  console.log(`COBA ${n} neurons on ${backendName}, chunks of ${k} steps, ${blocks} interleaved blocks (medians; mean rate ${rate.toFixed(1)} Hz)`);
  for (const v of variants) {
    const c = median(v.cpu);
    const e = median(v.event);
    console.log(`  ${v.name.padEnd(24)} cpu ${c.toFixed(4)} ms/step (wall ${median(v.wall).toFixed(4)}): event products ${e.toFixed(4)}, rest ${(c - e).toFixed(4)}`);
  }
  // The floor: copying the bytes of the five per-neuron float32 states once (read + write).
  const a = new Float32Array(5 * n);
  const bArr = new Float32Array(5 * n);
  const floor: number[] = [];
  for (let r = 0; r < 21; r++) {
    const c0 = cpuMs();
    bArr.set(a);
    floor.push(cpuMs() - c0);
  }
  console.log(`  memcpy of the 5 float32 states (${(5 * n * 4 / 2 ** 20).toFixed(1)} MB): ${median(floor).toFixed(4)} ms; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
