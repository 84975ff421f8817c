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

const QUICK = process.env.BENCH_QUICK === '1';

function cases(): (() => Promise<Case>)[] {
  return [
    () => lifCase(1e3),
    () => lifCase(1e6),
    () => lifSimCase(1e4),
    () => import('./workloads/mlp').then(async (m) => withJaxMlp(await m.mlpCase(128), 128)),
    () => import('./workloads/conv-net').then((m) => m.convNetCase(64)),
    () => import('./workloads/lstm').then((m) => m.lstmCase(16)),
  ];
}

async function child(backendName: string): Promise<void> {
  await bst.backend.init(backendName);
  const results: CaseResult[] = [];
  for (const make of cases()) results.push(timeCase(await make(), backendName, QUICK ? 3 : 9));
  process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
}

function main(): void {
  const backends = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',');
  const all: CaseResult[] = [];
  for (const b of backends) {
    const r = spawnSync(process.execPath, ['--conditions=brainstate-source', '-r', 'ts-node/register/transpile-only',
      __filename, '--child', b], { encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
      maxBuffer: 1 << 26 });
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULTS '));
    if (r.status !== 0 || line === undefined) {
      console.error(`bench on ${b} failed:\n${r.stderr}`);
      process.exitCode = 1;
      continue;
    }
    all.push(...(JSON.parse(line.slice(8)) as CaseResult[]));
  }
  console.log(formatTable(all));
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), results: all }, null, 2));
  console.log(`\nwritten: bench/results/latest.json (medians of interleaved blocks; speed-up = eager / variant)`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3]).catch((e) => { console.error(e); process.exit(1); });
} else {
  main();
}
