/**
 * `npm run fuzz -- --seconds N --seed S [--backend cpu|wasm] [--simd on|off|js] [--count N] [--save DIR] [--quiet]`
 *
 * `--simd` picks the fused kernels the jit variants run (spec/fuzz/variants.ts): `on` (the
 * default) SIMD and scalar WebAssembly, `off` scalar WebAssembly only (as on an engine without
 * SIMD), `js` the JS loops only (as without WebAssembly). The summary counts the fused kernel
 * calls of each kind and the jitted loops run as whole-loop kernels, so a run shows what it
 * exercised.
 * Generates programs from seeds S, S+1, ... and checks each (see check.ts) until the time
 * or the count runs out. Each disagreement is printed with its seed, minimised, as a
 * standalone TypeScript program; `--save DIR` also writes it as JSON for the corpus
 * (spec/fuzz/corpus/, replayed by corpus.spec.ts on every backend).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import * as bst from '../../src';
import { checkCase, Disagreement } from './check';
import { KernelMode, variantsFor } from './variants';
import { generate } from './generate';
import { minimise } from './minimise';
import { printProgram } from './print';
import { pointwiseLoopCallCount, wholeLoopCallCount } from '../../src/compiler/fusion/loop-kernel';
import { fusedCallCounts } from '../../src/compiler/fusion/wasm-lane';
import { FuzzProgram, toCase, toJson } from './program';

interface Args {
  seconds: number;
  seed: number;
  count: number;
  backend: string;
  simd: KernelMode;
  save?: string;
  quiet: boolean;
  /** Print each seed before running it (to find a program that crashes the process). */
  trace?: boolean;
  /** Run in this process (a chunk); otherwise chunks run in child processes. */
  child?: boolean;
  /** Programs per child process. */
  chunk: number;
}

function parse(argv: string[]): Args {
  const a: Args = { seconds: 60, seed: 1, count: Infinity, backend: 'wasm', simd: 'on', quiet: false, chunk: 2000 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--seconds': a.seconds = Number(v); i++; break;
      case '--seed': a.seed = Number(v); i++; break;
      case '--count': a.count = Number(v); i++; break;
      case '--backend': a.backend = v; i++; break;
      case '--simd':
        if (v !== 'on' && v !== 'off' && v !== 'js') throw new Error(`fuzz: --simd takes on, off or js, got '${v}'`);
        a.simd = v;
        i++;
        break;
      case '--save': a.save = v; i++; break;
      case '--quiet': a.quiet = true; break;
      case '--trace': a.trace = true; break;
      case '--child': a.child = true; break;
      case '--chunk': a.chunk = Number(v); i++; break;
      default:
        throw new Error(`fuzz: unknown option ${argv[i]}; use --seconds N --seed S [--backend cpu|wasm] [--simd on|off|js] ` +
          '[--count N] [--save DIR] [--quiet]');
    }
  }
  if (!Number.isFinite(a.seconds) || !Number.isInteger(a.seed)) throw new Error('fuzz: --seconds and --seed take numbers');
  return a;
}

const fmt = (d: Disagreement) => `${d.variant}, call ${d.call}, ${d.what}: ${d.detail}`;

/** Counts of one run of seeds. */
interface Tally {
  checked: number;
  skipped: number;
  failed: number;
  /** The next seed to run. */
  next: number;
  crashes: string[];
  /** Why eager tfjs threw, by message (numbers and shapes blanked), with counts. */
  skipReasons: Record<string, number>;
  /** Jitted loops that ran as one whole-loop kernel (src/compiler/fusion/loop-kernel.ts). */
  wholeLoops?: number;
  pointwiseLoops?: number;
  /** Fused kernel calls per kind (fusion/wasm-lane.ts), whole-loop steps included. */
  simdCalls?: number;
  scalarCalls?: number;
  jsCalls?: number;
}

/** Checks seeds from `a.seed` in this process (a chunk of a larger run). */
async function runChunk(a: Args): Promise<Tally> {
  const backend = await bst.backend.init(a.backend);
  const variants = variantsFor(backend, a.simd);
  // A smaller program counts only if it fails the same way (same kind: output, state, memory, throws, ...).
  const kind = (d: Disagreement) => d.what.split(' ')[0];
  const failsLike = (k: string) => async (p: FuzzProgram) => (await checkCase(toCase(p), variants)).disagreements.some((d) => kind(d) === k);
  const t0 = Date.now();
  const t: Tally = { checked: 0, skipped: 0, failed: 0, next: a.seed, crashes: [], skipReasons: {} };
  for (; t.checked + t.skipped < a.count && (Date.now() - t0) / 1000 < a.seconds; t.next++) {
    const seed = t.next;
    // The parent reads this to know where a crashed chunk stopped.
    if (a.trace) console.log(`seed ${seed}`);
    const p = generate({ seed, backend });
    const r = await checkCase(toCase(p), variants);
    if (r.eagerError !== undefined) {
      t.skipped++;
      const why = r.eagerError.replace(/\d+(\.\d+)?/g, 'N').slice(0, 90);
      t.skipReasons[why] = (t.skipReasons[why] ?? 0) + 1;
      if (a.trace) console.log(`outcome ${seed} skipped`);
      continue;
    }
    t.checked++;
    if (r.disagreements.length > 0) {
      // Told before minimising, which may crash the process (a tfjs-wasm abort kills the module).
      if (a.trace) console.log(`outcome ${seed} failed`);
      t.failed++;
      const small = await minimise(p, failsLike(kind(r.disagreements[0])));
      const d = (await checkCase(toCase(small), variants)).disagreements.filter((x) => kind(x) === kind(r.disagreements[0]));
      const first = d[0] ?? r.disagreements[0];
      const v = variants.find((x) => x.name === first.variant) ?? variants[0];
      console.log(`\n=== seed ${seed}: ${r.disagreements.length} disagreement(s) on ${backend}, e.g. ${fmt(r.disagreements[0])}`);
      console.log(`minimised (${small.body.length} statements): ${d.slice(0, 3).map(fmt).join('; ')}`);
      console.log(printProgram(small, v.options, `fuzz seed ${seed} on ${backend}: ${fmt(first)}`));
      if (a.save !== undefined) {
        fs.mkdirSync(a.save, { recursive: true });
        const file = path.join(a.save, `seed-${seed}-${backend}.json`);
        fs.writeFileSync(file, toJson({ ...small, note: `fuzz seed ${seed} on ${backend}: ${fmt(first)}` }));
        console.log(`saved ${file}`);
      }
    } else if (a.trace) {
      console.log(`outcome ${seed} checked`);
    }
  }
  if (tf.memory().numTensors !== 0) console.log(`fuzz: ${tf.memory().numTensors} tensors left at the end of the chunk`);
  return t;
}

/**
 * Runs the seeds in chunks, each in a fresh process: tfjs-wasm's own kernels corrupt its
 * heap now and then (seen after ~25,000 programs, with eager tfjs alone), and one chunk's
 * crash must not end the run or leak into the next chunk's results.
 */
function runChunked(a: Args): Tally {
  const total: Tally = { checked: 0, skipped: 0, failed: 0, next: a.seed, crashes: [], skipReasons: {} };
  const t0 = Date.now();
  const retried = new Set<number>();
  while (total.checked + total.skipped < a.count) {
    const left = a.seconds - (Date.now() - t0) / 1000;
    if (left <= 0) break;
    const count = Math.min(a.chunk, a.count - total.checked - total.skipped);
    const args = [...process.execArgv, __filename, '--child', '--seed', String(total.next), '--count', String(count),
      '--seconds', String(left), '--backend', a.backend, '--simd', a.simd, '--trace',
      ...(a.save === undefined ? [] : ['--save', a.save])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28, env: process.env });
    let sawResult = false;
    let lastSeed = total.next - 1;
    // Every seed's outcome is tallied as the child tells it, so a crash loses none of the
    // seeds before it (and a program that failed, then crashed its minimiser, still counts).
    const outcomes = new Map<number, string>();
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('seed ')) {
        lastSeed = Number(line.slice(5));
      } else if (line.startsWith('outcome ')) {
        const [, seed, what] = line.split(' ');
        outcomes.set(Number(seed), what);
      } else if (line.startsWith('RESULT ')) {
        const c = JSON.parse(line.slice(7)) as Tally;
        total.next = c.next;
        total.wholeLoops = (total.wholeLoops ?? 0) + (c.wholeLoops ?? 0);
        total.pointwiseLoops = (total.pointwiseLoops ?? 0) + (c.pointwiseLoops ?? 0);
        total.simdCalls = (total.simdCalls ?? 0) + (c.simdCalls ?? 0);
        total.scalarCalls = (total.scalarCalls ?? 0) + (c.scalarCalls ?? 0);
        total.jsCalls = (total.jsCalls ?? 0) + (c.jsCalls ?? 0);
        for (const [k, n] of Object.entries(c.skipReasons)) total.skipReasons[k] = (total.skipReasons[k] ?? 0) + n;
        sawResult = true;
      } else if (line.length > 0 || r.stdout.includes('===')) {
        console.log(line); // disagreements, as standalone programs
      }
    }
    if (!sawResult) {
      const why = (r.stderr.split('\n').find((l) => /Error|Abort/.test(l)) ?? `exit ${r.status}`).trim();
      total.crashes.push(`seed ${lastSeed}: ${why}`);
      console.log(`fuzz: the process crashed at seed ${lastSeed} (${why}); continuing with a fresh process`);
      // A crash counts as a failing program (the jit's, or tfjs's own kernels: the program
      // shows which), unless that seed had already failed before its minimiser crashed.
      // A seed right after a failing one may have run on a module that the failure's
      // minimiser left broken (a wasm abort): it runs once more, in a fresh process.
      if (outcomes.get(lastSeed - 1) === 'failed' && !retried.has(lastSeed)) {
        retried.add(lastSeed);
        total.crashes.pop();
        total.next = lastSeed;
      } else {
        if (!outcomes.has(lastSeed)) outcomes.set(lastSeed, 'failed');
        total.next = lastSeed + 1;
      }
    }
    for (const what of outcomes.values()) {
      if (what === 'checked') total.checked++;
      else if (what === 'skipped') total.skipped++;
      else { total.checked++; total.failed++; }
    }
    if (!a.quiet) {
      console.log(`... ${total.checked} checked, ${total.skipped} skipped, ${total.failed} failing, ` +
        `${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  return total;
}

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  if (a.child) {
    const t = await runChunk(a);
    const k = fusedCallCounts();
    console.log(`RESULT ${JSON.stringify({ ...t, wholeLoops: wholeLoopCallCount(), pointwiseLoops: pointwiseLoopCallCount(),
      simdCalls: k.simd, scalarCalls: k.scalar, jsCalls: k.js })}`);
    return;
  }
  const t0 = Date.now();
  const t = runChunked(a);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`fuzz: backend ${a.backend}, SIMD ${a.simd}, seeds ${a.seed}..${t.next - 1}: ${t.checked} programs ` +
    `checked (${t.skipped} skipped: eager tfjs threw), ` +
    `${t.failed} with disagreements${t.crashes.length > 0 ? ` (${t.crashes.length} of them crashed the process)` : ''}, ${secs} s; fused kernel calls: ${t.simdCalls ?? 0} SIMD, ${t.scalarCalls ?? 0} scalar wasm, ` +
    `${t.jsCalls ?? 0} JS; ${t.wholeLoops ?? 0} jitted loops ran as whole-loop kernels (${t.pointwiseLoops ?? 0} as pointwise SIMD calls)`);
  const reasons = Object.entries(t.skipReasons).sort((x, y) => y[1] - x[1]).slice(0, 8);
  if (reasons.length > 0) console.log(`skipped because eager tfjs threw:\n${reasons.map(([k, n]) => `  ${n} x ${k}`).join('\n')}`);
  process.exitCode = t.failed > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
