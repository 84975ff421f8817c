/**
 * A workload's variants (the MLP 784-256-10 SGD step, or the LIF step) timed in process CPU time as well as wall time:
 * interleaved blocks, medians, one process. On a machine shared with other work, wall
 * time counts the time the OS gives to others; the CPU time this process uses does not
 * (it still feels their cache pressure), so ratios of single-threaded variants stay
 * steady where wall-time ratios swing 2x. A variant that runs worker threads adds their
 * CPU time too: read its wall time only. (@jax-js/jax runs on one thread in Node, which
 * has no global `Worker`.)
 *
 * Run: BRAINSTATE_BACKEND=wasm node --conditions=brainstate-source -r ts-node/register/transpile-only \
 *   bench/cpu-time.ts [blocks] [mlp | per-example | vmap-lif | lif [N] [variant name regex]]
 * (`per-example`: the per-example gradient row of bench/vmap.ts, ratios against its first
 * variant, the 128 single-example grad calls as a user writes them, uncompiled; the
 * second variant is the same calls jitted. `vmap-lif`: 64 LIF networks of 1,000 neurons
 * by jit(vmap), against 64 jitted networks and one 64,000-neuron network.)
 */
import * as bst from 'brainstate-ts';
import { mlpCase } from './workloads/mlp';
import { lifCase } from './workloads/lif';
import { perExampleGradCase, vmapLifCase } from './vmap';
import type { Case } from './harness';
import { median } from './harness';

async function main(): Promise<void> {
  const backend = await bst.backend.init();
  const blocks = Number(process.argv[2] ?? 15);
  const workload = process.argv[3] ?? 'mlp';
  const c: Case =
    workload === 'lif'
      ? await lifCase(Number(process.argv[4] ?? 1e6))
      : workload === 'per-example'
        ? perExampleGradCase()
        : workload === 'vmap-lif'
          ? vmapLifCase()
          : await mlpCase(128);
  if (workload === 'lif' && process.argv[5] !== undefined) {
    // Only the named variants (and the jit, the reference of the ratios) are timed.
    const keep = new RegExp(process.argv[5]);
    const kept = c.variants.filter((v) => v.name === 'jit' || keep.test(v.name));
    for (const v of c.variants) if (!kept.includes(v)) v.dispose?.();
    c.variants.splice(0, c.variants.length, ...kept);
  }
  c.variants.splice(0, c.variants.length, ...c.variants.filter((v) => v.fixedMs === undefined));
  const reps = c.reps;
  for (const v of c.variants) v.run(Math.max(1, Math.ceil(reps / 4)));
  const wall = c.variants.map(() => [] as number[]);
  const cpu = c.variants.map(() => [] as number[]);
  for (let b = 0; b < blocks; b++) {
    for (let k = 0; k < c.variants.length; k++) {
      const i = (b + k) % c.variants.length;
      const t0 = performance.now();
      const u0 = process.cpuUsage();
      c.variants[i].run(reps);
      const u = process.cpuUsage(u0);
      wall[i].push((performance.now() - t0) / reps);
      cpu[i].push((u.user + u.system) / 1000 / reps);
    }
  }
  // The variant the others are compared with: the jit, or the first one where there is none.
  const jit = Math.max(0, c.variants.findIndex((v) => v.name === 'jit'));
  const jax = c.variants.findIndex((v) => v.name === 'jax-js jit');
  console.log(`${c.workload} (${c.size}) on ${backend}: medians of ${blocks} interleaved blocks of ${reps} steps`);
  console.log(`| variant | wall ms | CPU ms | CPU vs ${c.variants[jit].name} |`);
  console.log('|---|---|---|---|');
  c.variants.forEach((v, i) => {
    console.log(`| ${v.name} | ${median(wall[i]).toFixed(3)} | ${median(cpu[i]).toFixed(3)} | ` +
      `${(median(cpu[i]) / median(cpu[jit])).toFixed(2)}x |`);
  });
  if (jax >= 0) {
    console.log(`jit / jax-js: ${(median(wall[jit]) / median(wall[jax])).toFixed(2)} (wall), ` +
      `${(median(cpu[jit]) / median(cpu[jax])).toFixed(2)} (CPU)`);
  }
  for (const v of c.variants) v.dispose?.();
}

main().catch((e) => { console.error(e); process.exit(1); });
