/**
 * The WebAssembly SIMD spike scan (src/event/spike-scan.ts) finds exactly the elements
 * JavaScript's `s[i] !== 0` takes (everything but +0 and -0: NaN, infinities and
 * subnormals included), from any start, for any length (sixteen-element blocks and tails).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { targetNamed } from '../../src/backend/targets';
import { heapSpikeScan } from '../../src/event/spike-scan';

describe('event: the SIMD spike scan on the wasm heap', () => {
  it('lists the same neurons as s[i] !== 0, for every start and length', function () {
    const memory = targetNamed(bst.backend.name())?.memory;
    if (bst.backend.name() !== 'wasm' || memory === undefined) {
      console.log(`      skipped on ${bst.backend.name()}: the scan runs on tfjs-wasm's heap only (elsewhere the JavaScript scan runs)`);
      this.skip();
    }
    const specials = [0, -0, 0, 0, -0, NaN, 1e-45, -1e-45, Infinity, -Infinity, 1, -0.5, 3e38];
    let state = 7;
    const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let len = 0; len <= 70; len++) {
      // Mostly silent, as spikes are: long runs of +-0 with a special value here and there.
      const values = Array.from({ length: len }, () => (rand() < 0.1 ? specials[Math.floor(rand() * specials.length)] : rand() < 0.5 ? -0 : 0));
      const t = tf.tensor1d(values);
      memory!.run([t as unknown as Parameters<typeof memory.run>[0][0]], [], (ins) => {
        const s = ins[0] as Float32Array;
        const next = heapSpikeScan(s)!;
        expect(next, 'a scan for a float32 vector on the heap').to.not.equal(undefined);
        for (let start = 0; start <= len; start++) {
          const want: number[] = [];
          for (let i = start; i < len; i++) if (s[i] !== 0) want.push(i);
          const got: number[] = [];
          for (let i = next(s.byteOffset, start, len); i < len; i = next(s.byteOffset, i + 1, len)) got.push(i);
          expect(got, `length ${len}, from ${start}: ${values.join(',')}`).to.deep.equal(want);
        }
      });
      t.dispose();
    }
    expect(heapSpikeScan(new Float32Array(32)), 'an array off the heap').to.equal(undefined);
  });
});
