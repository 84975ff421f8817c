/**
 * Issue 12: every program the differential fuzzer (or the issue) ever found failing,
 * replayed on the backend under test: eager and jit (traced, replayed; SIMD, scalar wasm and
 * JS kernels; fusion off) must agree. A program found on one backend runs on every backend.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expect } from 'chai';
import * as bst from '../../src';
import { checkCase, Disagreement } from './check';
import { variantsFor } from './variants';
import { fromJson, toCase } from './program';

const DIR = path.join(__dirname, 'corpus');
const fmt = (d: Disagreement) => `${d.variant}, call ${d.call}, ${d.what}: ${d.detail}`;

describe('issue 12: the fuzz corpus replays without disagreement', () => {
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
    const p = fromJson(fs.readFileSync(path.join(DIR, file), 'utf8'));
    it(`issue 12: ${file.replace(/\.json$/, '')}${p.note === undefined ? '' : ` (${p.note.slice(0, 90)})`}`, async () => {
      const r = await checkCase(toCase(p), variantsFor(bst.backend.name(), 'all'));
      expect(r.eagerError, 'eager tfjs ran the program').to.equal(undefined);
      expect(r.disagreements.map(fmt)).to.deep.equal([]);
    });
  }
});
