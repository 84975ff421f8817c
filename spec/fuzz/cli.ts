/**
 * `npm run fuzz -- --seconds N --seed S [--backend cpu|wasm] [--simd off] [--count N] [--save DIR]`
 *
 * Generates programs from seeds S, S+1, ... and checks each (see check.ts) until the time
 * or the count runs out. Each disagreement is printed with its seed, minimised, as a
 * standalone TypeScript program; `--save DIR` also writes it as JSON for the corpus
 * (spec/fuzz/corpus/, replayed by corpus.spec.ts on every backend).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as bst from '../../src';
import { checkCase, Disagreement, JitVariant, VARIANTS } from './check';
import { generate } from './generate';
import { minimise } from './minimise';
import { printProgram } from './print';
import { FuzzProgram, toCase, toJson } from './program';

interface Args {
  seconds: number;
  seed: number;
  count: number;
  backend: string;
  simd: boolean;
  save?: string;
  quiet: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = { seconds: 60, seed: 1, count: Infinity, backend: 'wasm', simd: true, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--seconds': a.seconds = Number(v); i++; break;
      case '--seed': a.seed = Number(v); i++; break;
      case '--count': a.count = Number(v); i++; break;
      case '--backend': a.backend = v; i++; break;
      case '--simd': a.simd = v !== 'off'; i++; break;
      case '--save': a.save = v; i++; break;
      case '--quiet': a.quiet = true; break;
      default:
        throw new Error(`fuzz: unknown option ${argv[i]}; use --seconds N --seed S [--backend cpu|wasm] [--simd off] ` +
          '[--count N] [--save DIR] [--quiet]');
    }
  }
  if (!Number.isFinite(a.seconds) || !Number.isInteger(a.seed)) throw new Error('fuzz: --seconds and --seed take numbers');
  return a;
}

/** The jit variants a configuration compares against eager. */
export function variantsFor(simd: boolean): JitVariant[] {
  return simd ? [VARIANTS.fused, VARIANTS.fusedNoSimd, VARIANTS.unfused] : [VARIANTS.fusedNoSimd, VARIANTS.unfused];
}

const fmt = (d: Disagreement) => `${d.variant}, call ${d.call}, ${d.what}: ${d.detail}`;

async function main(): Promise<void> {
  const a = parse(process.argv.slice(2));
  const backend = await bst.backend.init(a.backend);
  const variants = variantsFor(a.simd);
  // A smaller program counts only if it fails the same way (same kind: output, state, memory, throws, ...).
  const kind = (d: Disagreement) => d.what.split(' ')[0];
  const failsLike = (k: string) => (p: FuzzProgram) => checkCase(toCase(p), variants).disagreements.some((d) => kind(d) === k);
  const t0 = Date.now();
  let checked = 0;
  let skipped = 0;
  let failed = 0;
  let seed = a.seed;
  for (; checked + skipped < a.count && (Date.now() - t0) / 1000 < a.seconds; seed++) {
    const p = generate({ seed, backend });
    const r = checkCase(toCase(p), variants);
    if (r.eagerError !== undefined) {
      skipped++;
      continue;
    }
    checked++;
    if (r.disagreements.length > 0) {
      failed++;
      const small = minimise(p, failsLike(kind(r.disagreements[0])));
      const d = checkCase(toCase(small), variants).disagreements.filter((x) => kind(x) === kind(r.disagreements[0]));
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
    }
    if (!a.quiet && (checked + skipped) % 1000 === 0) {
      console.log(`... ${checked} checked, ${skipped} skipped, ${failed} failing, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`fuzz: backend ${backend}, SIMD ${a.simd ? 'on' : 'off'}, seeds ${a.seed}..${seed - 1}: ${checked} programs checked ` +
    `(${skipped} skipped: eager tfjs threw), ${failed} with disagreements, ${secs} s`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
