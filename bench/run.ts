/**
 * `npm run bench`: every workload on every backend, variants side by side, one table,
 * and the results as JSON in bench/results/latest.json.
 *
 * Each backend runs in its own child process (a backend is chosen before the first
 * tensor); within it the variants are interleaved (see harness.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as bst from 'brainstate-ts';
import { CaseResult, formatTable, timeCase, Case } from './harness';
import { lifCase } from './workloads/lif';
import { lifSimCase } from './workloads/lif-sim';
import { withJaxMlp } from './workloads/mlp-jax';
import { cobaDuration, CobaRow, formatCobaTable, runCoba } from './workloads/coba';
import { findBrian2, runBrian2Coba } from './brian2';

const QUICK = process.env.BENCH_QUICK === '1';
/** COBA sizes (BENCH_COBA_SIZES, comma-separated; empty or 0 skips COBA). */
const COBA_SIZES = (process.env.BENCH_COBA_SIZES ?? '4000,40000,400000').split(',').map(Number).filter((n) => n > 0);

function cases(): (() => Promise<Case>)[] {
  return [
    () => lifCase(1e3),
    () => lifCase(1e6),
    () => lifSimCase(1e4),
    () => import('./workloads/mlp').then(async (m) => withJaxMlp(await m.mlpCase(128), 128)),
  ];
}

async function child(backendName: string): Promise<void> {
  await bst.backend.init(backendName);
  const results: CaseResult[] = [];
  for (const make of cases()) results.push(timeCase(await make(), backendName, QUICK ? 3 : 9));
  process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
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

function main(): void {
  const backends = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',');
  const all: CaseResult[] = [];
  const coba: CobaRow[] = [];
  const spawnChild = (mode: string, b: string) => spawnSync(process.execPath, ['--conditions=brainstate-source', '-r',
    'ts-node/register/transpile-only', __filename, mode, b], { encoding: 'utf8',
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, maxBuffer: 1 << 26 });
  for (const b of backends) {
    const r = spawnChild('--child', b);
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULTS '));
    if (r.status !== 0 || line === undefined) {
      console.error(`bench on ${b} failed:\n${r.stderr}`);
      process.exitCode = 1;
      continue;
    }
    all.push(...(JSON.parse(line.slice(8)) as CaseResult[]));
    if (COBA_SIZES.length === 0) continue;
    const c = spawnChild('--coba-child', b);
    const cobaLine = c.stdout.split('\n').find((l) => l.startsWith('COBA '));
    if (c.status !== 0 || cobaLine === undefined) {
      console.error(`COBA bench on ${b} failed:\n${c.stderr}`);
      process.exitCode = 1;
      continue;
    }
    coba.push(...(JSON.parse(cobaLine.slice(5)) as CobaRow[]));
  }
  coba.push(...brian2Rows());
  console.log(formatTable(all));
  if (coba.length > 0) {
    coba.sort((a, b) => a.n - b.n);
    console.log(`\n${formatCobaTable(coba)}`);
  }
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), results: all, coba }, null, 2));
  console.log(`\nwritten: bench/results/latest.json (medians of interleaved blocks; speed-up = eager / variant)`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3]).catch((e) => { console.error(e); process.exit(1); });
} else if (process.argv[2] === '--coba-child') {
  cobaChild(process.argv[3]).catch((e) => { console.error(e); process.exit(1); });
} else {
  main();
}
