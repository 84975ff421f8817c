/**
 * `npm run bench`: every workload on every backend, variants side by side, one table,
 * and the results as JSON in bench/results/latest.json.
 *
 * Each backend runs in its own child process (a backend is chosen before the first
 * tensor); within it the variants are interleaved (see harness.ts). A line is printed
 * as each row finishes. BENCH_QUICK=1 times 3 blocks instead of 9 (about a third of the
 * time); BENCH_BACKENDS=cpu (or wasm) runs one backend.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
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
  ];
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
  return `${r.workload} ${r.size} on ${r.backend}: ${parts.join(', ')}${ratio}`;
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

async function main(): Promise<void> {
  const backends = (process.env.BENCH_BACKENDS ?? 'cpu,wasm').split(',');
  const all: CaseResult[] = [];
  const started = Date.now();
  for (const [i, b] of backends.entries()) {
    const rows = await runBackend(b, started, `[backend ${i + 1}/${backends.length}]`);
    if (rows !== undefined) all.push(...rows);
  }
  console.log('');
  console.log(formatTable(all));
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ date: new Date().toISOString(), results: all }, null, 2));
  console.log(`\nwritten: bench/results/latest.json (medians of interleaved blocks; speed-up = eager / variant; ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s in all)`);
}

if (process.argv[2] === '--child') {
  child(process.argv[3]).catch((e) => { console.error(e); process.exit(1); });
} else {
  void main();
}
