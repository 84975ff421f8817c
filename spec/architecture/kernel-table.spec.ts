/**
 * The kernel-info table (src/compiler/kernels/): every kernel the compiler knows has one
 * record with the fields its kind requires, every kernel a pass names is in it, and the
 * project's own kernels (random, event CSR, training) are all listed.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { kernelInfo, knownKernels } from '../../src/compiler/kernels';
import { ELEMENTWISE_OPS } from '../../src/compiler/fusion/ops';
import { EVENT_KERNEL_NAMES, RANDOM_KERNEL_NAMES } from '../../src/kernels/names';
import { TRAINING_KERNELS } from '../../src/backend/training-kernels';
import { repoRoot, sourceFiles } from './source-files';
import { stripComments } from './backend-names.spec';

describe('kernel table (issue 13)', () => {
  it('lists the kernels the compiler knows, each with the fields its kind requires', () => {
    const all = knownKernels();
    const missing: string[] = [];
    for (const k of all) {
      if (typeof k.name !== 'string' || k.name === '') missing.push(`a record without a name`);
      if (typeof k.pure !== 'boolean') missing.push(`${k.name}: pure`);
      if (!['tfjs', 'random', 'event', 'training'].includes(k.origin)) missing.push(`${k.name}: origin`);
      if (k.origin !== 'tfjs' && (k.doc ?? '') === '') missing.push(`${k.name}: doc (required of the project's own kernels)`);
      const e = k.elementwise;
      if (e !== undefined) {
        if (!Array.isArray(e.inputs) || e.inputs.length === 0) missing.push(`${k.name}: elementwise.inputs`);
        if (!['same', 'bool', 'attr'].includes(e.dtype)) missing.push(`${k.name}: elementwise.dtype`);
        if (typeof e.js !== 'function') missing.push(`${k.name}: elementwise.js`);
        if (!Array.isArray(e.accepts)) missing.push(`${k.name}: elementwise.accepts`);
        for (const [backend, form] of Object.entries(e.on ?? {})) {
          if ((form.why ?? '') === '') missing.push(`${k.name}: elementwise.on.${backend}.why`);
        }
        if (e.identity !== undefined && e.inputs.length !== 2) missing.push(`${k.name}: identity on a non-binary kernel`);
      }
    }
    expect(missing, missing.join('\n')).to.deep.equal([]);
    // The list, for the reader of a failure: names and what the compiler knows of each.
    const summary = all.map((k) => `${k.name}:${k.origin}${k.elementwise ? '+elementwise' : ''}${k.passThrough ? '+pass' : ''}`);
    expect(summary.length).to.equal(all.length);
    expect(all.length).to.be.greaterThan(60);
  });

  it('every fusible op and every custom kernel has a record', () => {
    for (const name of Object.keys(ELEMENTWISE_OPS)) expect(kernelInfo(name)?.elementwise, name).to.equal(ELEMENTWISE_OPS[name]);
    for (const name of [...RANDOM_KERNEL_NAMES, ...EVENT_KERNEL_NAMES]) expect(kernelInfo(name), name).to.not.equal(undefined);
    for (const k of TRAINING_KERNELS) expect(kernelInfo(k.kernelName)?.origin, k.kernelName).to.equal('training');
  });

  it('every kernel a compiler pass names is in the table', () => {
    const named = new Set<string>();
    for (const file of sourceFiles(['src/compiler'])) {
      const code = stripComments(fs.readFileSync(file, 'utf8'));
      for (const m of code.matchAll(/kernel\s*[!=]==\s*'([A-Za-z0-9]+)'/g)) named.add(m[1]);
    }
    const missing = [...named].filter((n) => kernelInfo(n) === undefined);
    expect(named.size).to.be.greaterThan(2);
    expect(missing, `named in ${path.relative(repoRoot, 'src/compiler')} but not in the kernel table`).to.deep.equal([]);
  });

  it('pass-through kernels are exactly those elide-identities drops', () => {
    const pass = knownKernels().filter((k) => k.passThrough !== undefined).map((k) => k.name).sort();
    expect(pass).to.deep.equal(['Cast', 'ExpandDims', 'Identity', 'Reshape', 'Squeeze']);
  });

  it('vmap batching rules (issue 16): the kernels with a rule, by kind; every fusible op, random and event kernel has one', () => {
    const byKind: Record<string, string[]> = {};
    for (const k of knownKernels()) if (k.batch !== undefined) (byKind[k.batch.kind] ??= []).push(k.name);
    for (const name of [...Object.keys(ELEMENTWISE_OPS), ...RANDOM_KERNEL_NAMES, ...EVENT_KERNEL_NAMES]) {
      expect(kernelInfo(name)?.batch, name).to.not.equal(undefined);
    }
    const required = ['Sum', 'Mean', 'Max', 'Min', 'Prod', 'ArgMax', 'All', 'Any', 'BatchMatMul', '_FusedMatMul', 'Conv2D',
      'GatherV2', 'Reshape', 'Transpose', 'Slice', 'StridedSlice', 'Concat', 'Pack', 'PadV2', 'Tile', 'ExpandDims', 'Squeeze',
      'Reverse', 'Softmax', 'OneHot', 'Cumsum', 'Select', 'Cast', 'ScatterNd'];
    for (const name of required) expect(kernelInfo(name)?.batch, name).to.not.equal(undefined);
    expect(Object.keys(byKind).sort()).to.include.members(['axis', 'conv', 'elementwise', 'gather', 'matmul', 'per-lane', 'reduction', 'shape']);
  });
});
