/**
 * Brian2 side by side with the COBA rows: runs bench/brian2/coba.py (cython runtime and
 * C++ standalone, one thread) where Debian's python3-brian is installed, else says why
 * it skipped them.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import type { CobaRow } from './workloads/coba';

/** A Python that imports brian2 (Debian's is /usr/bin/python3), or the reason there is none. */
export function findBrian2(): { python: string } | { skip: string } {
  const candidates = [process.env.BRIAN2_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => !!p);
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import brian2, Cython; print(brian2.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { python };
  }
  return { skip: 'Brian2 skipped: no python3 here imports brian2 and Cython (install them with ' +
    '`apt-get install -y python3-brian python3-brian-lib cython3 g++`, or set BRIAN2_PYTHON)' };
}

/** One Brian2 run of COBA with `n` neurons for `duration` ms on `target`; undefined (with a message) if it failed. */
export function runBrian2Coba(python: string, target: 'cython' | 'cpp_standalone', n: number, duration: number): CobaRow | string {
  const script = path.join(__dirname, 'brian2', 'coba.py');
  const r = spawnSync(python, [script, '--target', target, '--n', String(n), '--duration', String(duration)], {
    encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 1 << 24,
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('{'));
  if (r.status !== 0 || line === undefined) {
    return `Brian2 ${target} N=${n} failed: ${(r.stderr ?? '').split('\n').filter((l) => l.trim()).slice(-2).join(' / ')}`;
  }
  const j = JSON.parse(line) as { ms_per_step: number; rate_e: number; rate_i: number; build_s: number; steps: number; brian2: string };
  return { impl: `Brian2 ${j.brian2} ${target}, 1 thread`, backend: '-', n, steps: j.steps, msPerStep: j.ms_per_step,
    rateE: j.rate_e, rateI: j.rate_i, buildSeconds: j.build_s };
}
