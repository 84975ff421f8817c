/**
 * Issue 15: generated WGSL programs compute groups of four consecutive elements per
 * invocation (vec4 reads of every operand contiguous over a group, a scalar path for a
 * partial last group and for operands broadcast along the last axis), several groups per
 * invocation on large domains, and keep eager's bits: each lane runs the one-element code.
 * Domains whose size is and is not a multiple of 4, every broadcast form, several outputs,
 * int32 outputs and in-place state updates, against eager.
 *
 * Runs in the webgpu suite only; reads are asynchronous.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { countDispatches, uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { generateWgslKernel, launchFor, LANES } from '../../src/compiler/fusion/codegen-wgsl';
import type { FusedSpec } from '../../src/compiler/ir';
import { withCompilerOptions } from '../../src/compiler/options';
import { runOnlyInWebgpuSuite } from '../helpers';

const onGpu = <T extends tf.Tensor>(t: T): T => { uploadToGpu(tf.backend(), t.dataId); return t; };

/** Values with the edge cases a fused program must keep (NaN, ±0, ±Infinity, subnormals) among ordinary ones. */
const EDGES = [NaN, -0, 0, Infinity, -Infinity, 1e-40, -1e-40, 3.4028235e38, 0.5, -1.5];
function values(n: number, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 7 + seed) % 23 === 0 ? EDGES[(i + seed) % EDGES.length] : Math.sin(i * 0.7 + seed) * 4));
}
const input = (shape: number[], seed: number) => onGpu(tf.tensor(values(shape.reduce((a, b) => a * b, 1), seed), shape));

async function expectSameBits(got: tf.Tensor, want: tf.Tensor, what: string): Promise<void> {
  expect(got.shape, `${what}: shape`).to.deep.equal(want.shape);
  expect(got.dtype, `${what}: dtype`).to.equal(want.dtype);
  const [g, w] = [await got.data(), await want.data()];
  for (let i = 0; i < w.length; i++) if (!Object.is(g[i], w[i])) expect.fail(`${what}: element ${i} is ${g[i]}, eagerly ${w[i]}`);
}

/** Jitted with fusion vs eager, bit for bit; returns the jitted call's dispatches. */
async function fusedVsEager(what: string, fn: (...xs: tf.Tensor[]) => tf.Tensor[], xs: tf.Tensor[]): Promise<number> {
  const jitted = bst.transform.jit(fn);
  withCompilerOptions({ fusion: true }, () => jitted.compile(...xs));
  const want = tf.tidy(() => fn(...xs));
  let got: tf.Tensor[] = [];
  const { dispatches } = countDispatches(() => { got = jitted(...xs); });
  for (let k = 0; k < want.length; k++) await expectSameBits(got[k], want[k], `${what}: output ${k}`);
  tf.dispose([...want, ...got]);
  jitted.clearCache();
  return dispatches;
}

describe('issue 15: fused WGSL programs compute four elements per lane group, several groups per invocation', () => {
  runOnlyInWebgpuSuite('WGSL lane specs');

  it('every group has an invocation, within one dispatch dimension\'s limit, several per invocation on large domains', () => {
    for (const groups of [0, 1, 3, 7, 63, 64, 1000, 2047, 2048, 8192, 50880, 1e6, 2 ** 26]) {
      const l = launchFor(groups);
      expect(l.stride, `${groups}`).to.equal(l.workgroups * l.workgroupSize);
      expect(l.stride * l.perInvocation, `${groups} groups covered`).to.be.at.least(groups);
      expect(l.workgroups, `${groups}`).to.be.within(1, 65535);
      // No invocation is left without a group but in the last workgroup.
      expect((l.workgroups - 1) * l.workgroupSize * l.perInvocation, `${groups}`).to.be.below(Math.max(1, groups));
    }
    expect(launchFor(50880).perInvocation).to.be.above(1);
    expect(launchFor(3).workgroupSize).to.be.below(64);
  });

  it('reads an operand as vec4 where a group\'s four elements are contiguous in it, else per lane', () => {
    const f32 = 'float32' as const;
    const spec = (shape: number[], strides: number[][]): FusedSpec => ({
      shape,
      inputs: [{ mode: 'full', dtype: f32 }, { mode: 'scalar', dtype: f32 }, ...strides.map((s) => ({ mode: 'strided' as const, dtype: f32, strides: s }))],
      ops: [{ kernel: 'Add', args: [0, 1], attrs: {}, dtype: f32 },
        ...strides.map((_, k) => ({ kernel: 'Multiply', args: [2 + strides.length + k, 2 + k], attrs: {}, dtype: f32 }))],
      outputs: [2 + 2 * strides.length],
    });
    const single = { kind: 'single' as const, dtype: f32, inPlaceInput: -1 };
    // [33, 8]: a row (its last axis is the domain's: vec4) and a column (one element per group).
    const rows = generateWgslKernel(spec([33, 8], [[0, 1], [1, 0]]), single).program;
    expect(rows.variableComponents).to.deep.equal([LANES, 1, LANES, 1]);
    expect(rows.outputComponent).to.equal(LANES);
    // [6, 5]: 30 elements, a partial last group: every operand per lane, per-lane stores.
    const odd = generateWgslKernel(spec([6, 5], [[0, 1], [1, 0]]), single).program;
    expect(odd.variableComponents).to.deep.equal([1, 1, 1, 1]);
    expect(odd.outputComponent).to.equal(1);
    // [4, 6]: whole groups, but a group can span two rows of a broadcast operand: those per lane.
    const span = generateWgslKernel(spec([4, 6], [[0, 1], [1, 0]]), single).program;
    expect(span.variableComponents).to.deep.equal([LANES, 1, 1, 1]);
    // Packed outputs are vec4 stores from multiples of 4 even over a partial last group.
    const packed = generateWgslKernel({ ...spec([6, 5], [[0, 1]]), outputs: [3, 4] }, { kind: 'packed', dtypes: [f32, f32] });
    expect(packed.program.outputComponent).to.equal(LANES);
    expect(packed.outOffsets).to.deep.equal([0, 32]);
    expect(packed.program.outputShape).to.deep.equal([64]);
  });

  const chain = (x: tf.Tensor, ...rest: tf.Tensor[]) => {
    let y = tf.add(tf.mul(x, 1.5), tf.sqrt(tf.abs(x)));
    for (const r of rest) y = tf.div(tf.sub(y, r), tf.add(tf.abs(tf.mul(y, r)), 0.25)); // every op over the domain
    return y;
  };

  const DOMAINS: [string, number[], number[][]][] = [
    ['[4096], whole groups', [4096], []],
    ['[1027], a partial last group', [1027], []],
    ['[3], one partial group', [3], []],
    ['[33, 8] with a row, a column and a scalar', [33, 8], [[8], [33, 1], []]],
    ['[6, 5] with a row and a column (per lane)', [6, 5], [[5], [6, 1]]],
    ['[4, 6] with a row and a column (groups span rows)', [4, 6], [[6], [4, 1]]],
    ['[3, 4, 8] broadcast along the middle axis and the first two', [3, 4, 8], [[3, 1, 8], [4, 8], [3, 4, 1]]],
    ['[100003], several groups per invocation, a partial last group', [100003], [[]]],
    ['[250, 512], several groups per invocation, a row', [250, 512], [[512]]],
  ];

  for (const [what, shape, others] of DOMAINS) {
    it(`${what}: one output, several outputs, an int32 output, equal to eager, one dispatch`, async () => {
      const x = input(shape, 1);
      const rs = others.map((s, k) => input(s, 2 + k));
      const one = await fusedVsEager(`${what} one output`, (a, ...r) => [chain(a, ...r)], [x, ...rs]);
      expect(one, 'dispatches').to.equal(1);
      const many = (a: tf.Tensor, ...r: tf.Tensor[]) => {
        const y = chain(a, ...r);
        return [y, tf.greater(y, a), tf.cast(tf.floor(tf.mul(y, 3)), 'int32'), tf.exp(tf.neg(y))];
      };
      // Several outputs: one dispatch, then buffer copies.
      expect(await fusedVsEager(`${what} outputs`, many, [x, ...rs]), 'dispatches').to.equal(1);
      tf.dispose([x, ...rs]);
    });
  }

  for (const n of [4096, 1027, 100003]) {
    it(`a state updated in place over ${n} elements, equal to eager after 3 steps`, async () => {
      const v = new bst.HiddenState(input([n], 3));
      const vE = new bst.HiddenState(input([n], 3));
      const i = input([n], 4);
      const update = (st: bst.HiddenState, x: tf.Tensor) => { st.value = tf.add(st.value, tf.mul(0.1, tf.sub(x, st.value))); };
      const step = bst.transform.jit((x: tf.Tensor) => update(v, x));
      withCompilerOptions({ fusion: true }, () => step.compile(i));
      step(i);
      const id = v.value.dataId;
      expect(countDispatches(() => step(i)).dispatches).to.equal(1);
      step(i);
      expect(v.value.dataId, 'the new value is in the old buffer').to.equal(id);
      for (let k = 0; k < 3; k++) tf.tidy(() => update(vE, i));
      await expectSameBits(v.value, vE.value, `in place over ${n}`);
      step.clearCache();
      tf.dispose([v.value, vE.value, i]);
    });
  }
});
