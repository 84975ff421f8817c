/**
 * Issue 12: a program belongs to the backend it was traced on, and using the library
 * before (or without) `backend.init()` warns once, saying what happens and what to do.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';

const root = path.join(__dirname, '..', '..');
const child = path.join(__dirname, 'before-init.child.ts');

interface ChildRun {
  out: { backendBefore: string; backendAfter: string; before: number[][]; after: number[][]; state: number[];
    eager: number[]; traceCount: number };
  warnings: string[];
}

/** Runs the child in `mode` with no BRAINSTATE_BACKEND, returning its report and its brainstate-ts warnings. */
function runChild(mode: string): ChildRun {
  const env = { ...process.env };
  delete env.BRAINSTATE_BACKEND;
  const r = spawnSync(process.execPath, ['--conditions=brainstate-source', '-r', 'ts-node/register/transpile-only',
    child, mode], { cwd: root, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`before-init child (${mode}) failed:\n${r.stdout}\n${r.stderr}`);
  return {
    out: JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildRun['out'],
    warnings: r.stderr.split('\n').filter((l) => l.startsWith('brainstate-ts:')),
  };
}

/** exp of a running sum: the states 1+k, 2+k, 3+k after k calls. */
const expected = (k: number) => [1, 2, 3].map((v) => Math.fround(Math.exp(v + k)));

describe('backend: programs and init() (issue 12)', () => {
  it('issue 12: a function jitted before init() retraces after init() switches cpu to wasm, with correct results', function () {
    this.timeout(120000);
    const { out, warnings } = runChild('late-init');
    expect([out.backendBefore, out.backendAfter]).to.deep.equal(['cpu', 'wasm']);
    expect(out.traceCount, 'one trace per backend').to.equal(2);
    out.before.forEach((v, i) => expect(v).to.deep.equal(expected(i + 1)));
    out.after.forEach((v, i) => expect(v).to.deep.equal(expected(i + 3)));
    expect(out.state).to.deep.equal([5, 6, 7]);          // the state made on cpu was moved and kept updating
    expect(out.after[1]).to.deep.equal(out.eager);
    // Two one-time warnings: use without init, then init() moving the tensors made before it.
    expect(warnings).to.have.length(2);
    expect(warnings[0]).to.contain('a State was created before backend.init() was called')
      .and.contain("tfjs's current backend 'cpu'").and.contain('await bst.backend.init()');
    expect(warnings[1]).to.contain("backend.init() switched from 'cpu' to 'wasm'")
      .and.contain('tfjs moves each one').and.contain('trace again').and.contain('before creating any tensor');
  });

  it('issue 12: skipping init() warns once that everything runs on cpu; init() first warns nothing', function () {
    this.timeout(120000);
    const none = runChild('no-init');
    expect(none.out.backendAfter).to.equal('cpu');
    expect(none.out.traceCount).to.equal(1);
    expect(none.warnings).to.have.length(1);
    expect(none.warnings[0]).to.contain('before backend.init() was called').and.contain('the slowest');
    const first = runChild('init-first');
    expect(first.out.backendBefore).to.equal('wasm');
    expect(first.out.after[1]).to.deep.equal(expected(4));
    expect(first.warnings).to.deep.equal([]);
  });

  it('issue 12: in one process, each backend gets its own program; switching back reuses the first', async () => {
    const original = bst.backend.name();
    const other = original === 'wasm' ? 'cpu' : 'wasm';
    const w = new bst.ParamState(tf.tensor1d([0.5, -2, 3]));
    const f = bst.transform.jit((x: tf.Tensor) => tf.add(tf.mul(x, w.value), tf.sqrt(tf.abs(x))));
    const x = tf.tensor1d([1, 4, -9]);
    const want = Array.from(tf.add(tf.mul(x, w.value), tf.sqrt(tf.abs(x))).dataSync());
    try {
      expect(Array.from(f(x).dataSync())).to.deep.equal(want);
      await bst.backend.init(other);
      expect(Array.from(f(x).dataSync())).to.deep.equal(want);   // made on `original`, moved by tfjs
      expect(f.traceCount).to.equal(2);
      await bst.backend.init(original);
      expect(Array.from(f(x).dataSync())).to.deep.equal(want);
      expect(f.traceCount, 'the first backend\'s program is reused').to.equal(2);
      expect(f.cacheSize).to.equal(2);
    } finally {
      if (bst.backend.name() !== original) await bst.backend.init(original);
    }
  });
});
