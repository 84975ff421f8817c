/**
 * Issue 12: the differential fuzzer on a fixed set of seeds, on the backend under test.
 * Longer runs: `npm run fuzz -- --seconds N --seed S [--backend cpu|wasm] [--simd on|off|js]`.
 */
import { expect } from 'chai';
import * as bst from '../../src';
import { checkCase, Disagreement } from './check';
import { generate } from './generate';
import { toCase } from './program';
import { variantsFor } from './variants';

/** Seeds checked by `npm test` (about 10 s per backend on a quiet 2-core machine). */
const SEEDS = { first: 1, count: 1200 };
const fmt = (d: Disagreement) => `${d.variant}, call ${d.call}, ${d.what}: ${d.detail}`;

describe('issue 12: differential fuzzing (fixed seeds)', () => {
  it(`issue 12: ${SEEDS.count} random programs agree with eager tfjs (seeds ${SEEDS.first}..${SEEDS.first + SEEDS.count - 1})`,
    async function () {
      this.timeout(600000);
      const backend = bst.backend.name();
      const variants = variantsFor(backend, 'on');
      const failures: string[] = [];
      let checked = 0;
      for (let seed = SEEDS.first; seed < SEEDS.first + SEEDS.count; seed++) {
        const r = await checkCase(toCase(generate({ seed, backend })), variants);
        if (r.eagerError !== undefined) continue;
        checked++;
        if (r.disagreements.length > 0) {
          failures.push(`seed ${seed}: ${fmt(r.disagreements[0])} (reproduce: npm run fuzz -- --seed ${seed} --count 1 --backend ${backend})`);
        }
      }
      expect(failures).to.deep.equal([]);
      // Eager tfjs rejects a few generated programs; most must be judged.
      expect(checked).to.be.at.least(SEEDS.count * 0.9);
    });
});
