/**
 * `npm run bench`: every workload on every backend, variants side by side, one table,
 * and the results as JSON in bench/results/latest.json.
 *
 * Each backend runs in its own child process (a backend is chosen before the first
 * tensor); within it the variants are interleaved (see harness.ts). A line is printed
 * as each row finishes. BENCH_QUICK=1 times 3 blocks instead of 9 (about a third of the
 * time); BENCH_BACKENDS=cpu (or wasm) runs one backend; BENCH_ONLY=MLP (a regular
 * expression) runs the rows whose name matches; BENCH_COBA_SIZES=0 skips COBA.
 *
 * Elementwise rows (the LIF step) also time the in-process memcpy floor (peers.ts,
 * `memcpyFloor`: a native TypedArray.set moving the step's bytes per element, interleaved
 * with the other variants) and print each jit variant as a multiple of it, in its own table.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import * as bst from 'brainstate-ts';
import { CaseResult, formatFloorTable, formatGemmTable, formatTable, timeCase, Case } from './harness';
import { MEMCPY_FLOOR } from './peers';
import { lifCase } from './workloads/lif';
import { lifSimCase } from './workloads/lif-sim';
import { withJaxMlp } from './workloads/mlp-jax';
import { cobaDuration, CobaRow, formatCobaGrowth, formatCobaTable, runCoba } from './workloads/coba';
import { findBrian2, runBrian2Coba } from './brian2';
import { PRODUCTS as GEMM_PRODUCTS } from './workloads/gemm';

const QUICK = process.env.BENCH_QUICK === '1';
/** COBA sizes (BENCH_COBA_SIZES, comma-separated; empty or 0 skips COBA). */
const COBA_SIZES = (process.env.BENCH_COBA_SIZES ?? '4000,40000,400000').split(',').map(Number).filter((n) => n > 0);

/** Only the rows whose name matches BENCH_ONLY (a regular expression; e.g. `MLP|GEMM`), when set. */
const ONLY = process.env.BENCH_ONLY === undefined || process.env.BENCH_ONLY === '' ? undefined : new RegExp(process.env.BENCH_ONLY);

function cases(): (() => Promise<Case>)[] {
  const all: [string, () => Promise<Case>][] = [
    ['LIF step 1e3', () => lifCase(1e3)],
    ['LIF step 1e6', () => lifCase(1e6)],
    ['LIF simulation 1e4', () => lifSimCase(1e4)],
    ['MLP step', () => import('./workloads/mlp').then(async (m) => withJaxMlp(await m.mlpCase(128), 128))],
    ['conv-net step', () => import('./workloads/conv-net').then((m) => m.convNetCase(64))],
    ['LSTM step', () => import('./workloads/lstm').then((m) => m.lstmCase(16))],
    ['vmap LIF 64x1e3', () => import('./vmap').then((m) => m.vmapLifCase())],
    ['per-example grads MLP', () => import('./vmap').then((m) => m.perExampleGradCase())],
    ...GEMM_PRODUCTS.map((p): [string, () => Promise<Case>] =>
      [`GEMM ${p.label}`, () => import('./workloads/gemm').then((m) => m.gemmCase(p))]),
  ];
  return all.filter(([name]) => ONLY === undefined || ONLY.test(name)).map(([, make]) => make);
}

async function child(backendName: string): Promise<void> {
  await bst.backend.init(backendName);
  const results: CaseResult[] = [];
  const makers = cases();
  for (const [i, make] of makers.entries()) {
    const result = timeCase(await make(), backendName, QUICK ? 3 : 9);
    results.push(result);
    // One line per finished row, so the parent can show progress while the rest runs.
    process.stdout.write(`ROW ${JSON.stringify({ index: i + 1, of: makers.length, result })}\n`);
  }
  process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
}

/** `LIF step N=1e+6 on cpu: eager 117.8 ms, jit 1.79 ms (65.8x)`: a finished row, in one line. */
function describeRow(r: CaseResult): string {
  const entries = Object.entries(r.msPerStep);
  const [firstName, first] = entries[0] ?? ['-', NaN];
  const parts = entries.map(([name, ms]) => `${name} ${ms < 1 ? ms.toPrecision(3) : ms.toFixed(1)} ms`);
  const jit = r.msPerStep.jit;
  const ratio = jit !== undefined && firstName !== 'jit' ? ` (jit ${(first / jit).toFixed(1)}x faster than ${firstName})` : '';
  const floor = r.msPerStep[MEMCPY_FLOOR];
  const vsFloor = floor === undefined ? '' : `; vs the in-process memcpy floor: ${entries.filter(([n]) => n.startsWith('jit') &&
    !n.includes('unfused')).map(([n, ms]) => `${n} ${(ms / floor).toFixed(2)}x`).join(', ')}`;
  // Rows with write floors of their own (per-example gradients): each vmap variant as a multiple of each.
  const ownFloors = entries.filter(([n]) => n.endsWith(' floor') && n !== MEMCPY_FLOOR);
  const vsOwn = ownFloors.map(([f, fms]) => `; vs the ${f}: ${entries.filter(([n]) => n.includes('vmap'))
    .map(([n, ms]) => `${n} ${(ms / fms).toFixed(2)}x`).join(', ')}`).join('');
  // Rows with one-at-a-time baselines (per-example gradients): how many times faster each vmap variant is.
  const baselines = entries.filter(([n]) => n.endsWith('grad calls'));
  const vsCalls = baselines.map(([b, bms]) => `; vs ${b}: ${entries.filter(([n]) => n.includes('vmap'))
    .map(([n, ms]) => `${n} ${(bms / ms).toFixed(1)}x faster`).join(', ')}`).join('');
  return `${r.workload} ${r.size} on ${r.backend}: ${parts.join(', ')}${ratio}${vsFloor}${vsOwn}${vsCalls}`;
}

/** Runs one backend's child process, printing each row as it finishes; resolves to its rows. */
function runBackend(b: string, started: number, at: string): Promise<CaseResult[] | undefined> {
  return new Promise((resolve) => {
    console.log(`${at} starting ${b} (each row below takes from seconds to minutes${QUICK ? '; BENCH_QUICK=1' : ''})`);
    const proc = spawn(process.execPath, ['--conditions=brainstate-source', '-r', 'ts-node/register/transpile-only',
      __filename, '--child', b], { env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let results: CaseResult[] | undefined;
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line.startsWith('ROW ')) {
        const row = JSON.parse(line.slice(4)) as { index: number; of: number; result: CaseResult };
        const elapsed = ((Date.now() - started) / 1000).toFixed(0);
        console.log(`${at} ${b} ${row.index}/${row.of} [${elapsed} s] ${describeRow(row.result)}`);
      } else if (line.startsWith('RESULTS ')) {
        results = JSON.parse(line.slice(8)) as CaseResult[];
      }
    });
    proc.on('close', (code) => {
      if (code !== 0 || results === undefined) {
        console.error(`bench on ${b} failed (exit ${code}):\n${stderr}`);
        process.exitCode = 1;
        resolve(undefined);
        return;
      }
      resolve(results);
    });
  });
}

/** COBA in a process of its own, so its memory figures are its own. */
async function cobaChild(backendName: string): Promise<void> {
  await bst.backend.init(backendName);
  const coba: CobaRow[] = COBA_SIZES.map((n) => runCoba(n, cobaDuration(n, QUICK)));
  process.stdout.write(`COBA ${JSON.stringify(coba)}\n`);
}

/** Brian2's COBA rows (cython and C++ standalone, one thread) at the same sizes, or why they were skipped. */
function brian2Rows(): CobaRow[] {
  if (COBA_SIZES.length === 0) return [];
  if (process.env.BENCH_BRIAN2 === '0') {
    console.log('Brian2 skipped: BENCH_BRIAN2=0');
    return [];
  }
  const found = findBrian2();
  if ('skip' in found) {
    console.log(found.skip);
    return [];
  }
  const rows: CobaRow[] = [];
  for (const n of COBA_SIZES) {
    for (const target of ['cython', 'cpp_standalone'] as const) {
      const r = runBrian2Coba(found.python, target, n, cobaDuration(n, QUICK));
      if (typeof r === 'string') console.log(r); else rows.push(r);
    }
  }
  return rows;
}

/** Runs COBA for backend `b` in a child process of its own; its rows, or undefined when it failed. */
function runCobaChild(b: string, started: number, at: string): CobaRow[] | undefined {
  console.log(`${at} ${b}: COBA at ${COBA_SIZES.join(', ')} neurons (a process of its own)`);
  const c = spawnSync(process.execPath, ['--conditions=brainstate-source', '-r', 'ts-node/register/transpile-only',
    __filename, '--coba-child', b], { encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
    maxBuffer: 1 << 26 });
  const cobaLine = c.stdout.split('\n').find((l) => l.startsWith('COBA '));
  if (c.status !== 0 || cobaLine === undefined) {
    console.error(`COBA bench on ${b} failed:\n${c.stderr}`);
    process.exitCode = 1;
    return undefined;
  }
  const rows = JSON.parse(cobaLine.slice(5)) as CobaRow[];
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  for (const r of rows) {
    const cpu = r.cpuMsPerStep === undefined ? '' : ` (CPU ${r.cpuMsPerStep.toPrecision(3)})`;
    console.log(`${at} ${b} [${elapsed} s] COBA ${r.n} neurons: ${r.msPerStep.toPrecision(3)} ms/step${cpu}, ` +
      `E ${r.rateE.toFixed(1)} Hz, I ${r.rateI.toFixed(1)} Hz`);
  }
  return rows;
}

async function main(): Promise<void> {
  const backends = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',');
  const all: CaseResult[] = [];
  const coba: CobaRow[] = [];
  const started = Date.now();
  for (const [i, b] of backends.entries()) {
    const at = `[backend ${i + 1}/${backends.length}]`;
    const rows = await runBackend(b, started, at);
    if (rows !== undefined) all.push(...rows);
    if (COBA_SIZES.length > 0) coba.push(...(runCobaChild(b, started, at) ?? []));
  }
  coba.push(...brian2Rows());
  console.log('');
  console.log(formatTable(all.filter((r) => r.flops === undefined)));
  const floors = formatFloorTable(all, MEMCPY_FLOOR);
  if (floors !== '') console.log(`\n${floors}`);
  const gemm = all.filter((r) => r.flops !== undefined);
  if (gemm.length > 0) console.log(`\n${formatGemmTable(gemm)}`);
  if (coba.length > 0) {
    coba.sort((a, b) => a.n - b.n);
    console.log(`\n${formatCobaTable(coba)}`);
    const growth = formatCobaGrowth(coba);
    if (growth !== '') console.log(`\n${growth}`);
  }
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), results: all, coba }, null, 2));
  console.log(`\nwritten: bench/results/latest.json (medians of interleaved blocks; speed-up = eager / variant; ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3]).catch((e) => { console.error(e); process.exit(1); });
} else if (process.argv[2] === '--coba-child') {
  cobaChild(process.argv[3]).catch((e) => { console.error(e); process.exit(1); });
} else if (process.argv[2] === '--backend' && process.argv[3] === 'webgpu') {
  // Dispatches and ms per step on webgpu, beside @jax-js/jax on the same adapter (bench/webgpu.ts).
  import('./webgpu').then((m) => m.benchWebGPU()).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
} else {
  void main();
}
