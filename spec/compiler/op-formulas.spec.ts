/**
 * Issue 12: each fusible op's per-backend formula reproduces the backend's own kernel bit
 * for bit (NaN as NaN, the sign of zero exact), on edge values (±0, NaN, ±Inf, subnormals,
 * float32 limits, int32 near ±2^31 and beyond 2^24) and random ones, through the JS loop,
 * the scalar WebAssembly kernel and SIMD, for every dtype the op is fused with on the
 * backend under test.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { tensorFromInfo, TensorInfo } from '../../src/backend/tfjs-engine';
import { fusedKernel } from '../../src/compiler/executable';
import type { FusedSpec } from '../../src/compiler/ir';
import { ELEMENTWISE_OPS, formFor, FusionTarget, fusionTargetOf, isFusionTarget, resultDtype } from '../../src/compiler/fusion/ops';
import { laneSupports } from '../../src/compiler/fusion/codegen-wasm';
import { CompilerOptions, withCompilerOptions } from '../../src/compiler/options';

/** The three kinds of fused kernel, as the switches select them (fusion/wasm-lane.ts). */
const KINDS: { name: string; lane?: 'simd' | 'scalar'; options: Partial<CompilerOptions> }[] = [
  { name: 'JS loop', options: { wasmKernels: false } },
  { name: 'scalar wasm', lane: 'scalar', options: { wasmKernels: true, simd: false } },
  { name: 'SIMD', lane: 'simd', options: { wasmKernels: true, simd: true } },
];

const FLOATS = [0, -0, 1, -1, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.3, -0.3, 0.2, 0.1, 1e-8, -1e-8, 1e-40, -1e-40, 1.1754944e-38,
  1.1920928955078125e-7, -1.1920928955078125e-7, 3.4028235e38, -3.4028235e38, NaN, Infinity, -Infinity, 6, -6, 6.5, 7, -7,
  88.7, -88.7, 89, -104, 16777217, -16777217, 2147483647, 3.14159, 1e10, -1e10, 20, -20];
const INTS = [0, 1, -1, 2, -2, 3, 5, 6, 7, -7, 46341, -46341, 65536, 16777217, -16777217, 2147483647, -2147483648, 2147483646,
  1000000000, -1000000000];

/** Deterministic float32 values spread over [-20, 20] (no tfjs random ops). */
function spread(n: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push(Math.fround((s / 2147483648 - 0.5) * 40));
  }
  return out;
}

const ATTRS: Record<string, Record<string, unknown>[]> = {
  LeakyRelu: [{ alpha: 0.2 }, { alpha: 0.25 }],
  Step: [{ alpha: 0.3 }, { alpha: -2 }],
  ClipByValue: [{ clipValueMin: -1, clipValueMax: 1 }, { clipValueMin: -0, clipValueMax: 0.1 }, { clipValueMin: 0, clipValueMax: 0 }],
  Cast: [{ dtype: 'float32' }, { dtype: 'int32' }, { dtype: 'bool' }],
};

/** Input columns for an op: every value for unary ops, pairs of edge values for binary ones. */
function columns(kernel: string, dtypes: tf.DataType[]): number[][] {
  const pool = (d: tf.DataType) => (d === 'float32' ? [...FLOATS, ...spread(60, 7)] : d === 'int32' ? INTS : [0, 1]);
  if (dtypes.length === 1) return [pool(dtypes[0])];
  if (dtypes.length === 2) {
    const a: number[] = [];
    const b: number[] = [];
    const bs = dtypes[1] === 'float32' ? FLOATS : pool(dtypes[1]);
    for (const x of pool(dtypes[0])) for (const y of bs) { a.push(x); b.push(y); }
    return [a, b];
  }
  // Select: every condition with pairs of values.
  const c: number[] = [];
  const t: number[] = [];
  const e: number[] = [];
  const vals = pool(dtypes[1]).slice(0, 12);
  for (const k of [0, 1]) for (const x of vals) for (const y of vals) { c.push(k); t.push(x); e.push(y); }
  void kernel;
  return [c, t, e];
}

const show = (v: number) => (Object.is(v, -0) ? '-0' : String(v));

function check(kernel: string, target: FusionTarget, dtypes: tf.DataType[], attrs: Record<string, unknown>): void {
  const op = ELEMENTWISE_OPS[kernel];
  const outDtype = resultDtype(kernel, dtypes, attrs, target);
  if (outDtype === undefined) return;
  const cols = columns(kernel, dtypes);
  tf.tidy(() => {
    const ts = cols.map((c, k) => tf.tensor1d(c, dtypes[k]));
    const inputs: Record<string, tf.Tensor> = {};
    op.inputs.forEach((name, k) => { inputs[name] = ts[k]; });
    const eager = tf.engine().runKernel(kernel, inputs as unknown as tf.NamedTensorMap, attrs as never) as tf.Tensor;
    expect(eager.dtype, `${kernel} output dtype`).to.equal(outDtype);
    const expected = eager.dataSync();
    const spec: FusedSpec = {
      shape: [cols[0].length],
      inputs: ts.map((t) => ({ mode: 'full', dtype: t.dtype })),
      ops: [{ kernel, args: ts.map((_, k) => k), attrs, dtype: outDtype }],
      outputs: [ts.length],
    };
    for (const kind of KINDS) {
      if (kind.lane !== undefined && !laneSupports(spec, target, kind.lane)) continue;
      const run = withCompilerOptions(kind.options, () => fusedKernel(spec, [{ shape: spec.shape, dtype: outDtype }], target, undefined));
      const out = run({ inputs: ts as unknown as TensorInfo[], backend: undefined as never, attrs: {} });
      const got = tensorFromInfo((out as TensorInfo[])[0]).dataSync();
      const bad: string[] = [];
      for (let i = 0; i < expected.length; i++) {
        if (!Object.is(Number(got[i]), Number(expected[i]))) {
          bad.push(`(${cols.map((c) => show(c[i])).join(', ')}) -> eager ${show(Number(expected[i]))}, fused ${show(Number(got[i]))}`);
        }
      }
      if (bad.length > 0) {
        expect.fail(`${kernel}(${dtypes.join(', ')}) ${JSON.stringify(attrs)} ${kind.name}: ${bad.length} of ` +
          `${expected.length} differ, e.g. ${bad.slice(0, 5).join('; ')}`);
      }
    }
  });
}

describe('issue 12: fused op formulas reproduce the backend\'s kernels bit for bit', () => {
  for (const kernel of Object.keys(ELEMENTWISE_OPS)) {
    it(kernel, function () {
      const target = bst.backend.name();
      // WGSL forms (webgpu: formulas 'wgsl') are checked by spec/compiler/wgsl-fusion.spec.ts.
      if (!isFusionTarget(target) || fusionTargetOf(target) !== target) this.skip();
      const form = formFor(kernel, target)!;
      const op = ELEMENTWISE_OPS[kernel];
      const dtypeSets: tf.DataType[][] = [];
      for (const d of ['float32', 'int32', 'bool'] as tf.DataType[]) {
        if (kernel === 'Select') dtypeSets.push(['bool', d, d]);
        else dtypeSets.push(op.inputs.map(() => d));
      }
      for (const dtypes of dtypeSets) {
        if (!dtypes.every((d, i) => (kernel === 'Select' && i === 0) || form.accepts.includes(d))) continue;
        for (const attrs of ATTRS[kernel] ?? [{}]) check(kernel, target, dtypes, attrs);
      }
    });
  }
});
