/**
 * Issue 15: binary kernels of rank 5 and 6 with a short rank-1 operand on webgpu
 * (src/backend/webgpu/binary-shared-rank.ts). tfjs-webgpu 4.22's shared-memory variant of
 * `BinaryOpProgram` does not compile there, and Dawn then drops the whole submit: the
 * kernel and the kernels batched with it computed nothing (fuzz seed 5718831). Each wrapped
 * kernel, on GPU data, against tfjs's cpu kernel on the same values, with the rank-1 operand
 * first and second, of length 2, 3 and 127 (the shared variant's) and 128 (the border past
 * it), and a neighbour kernel batched before it, whose results used to be lost too.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { binaryProgramVec4 } from '../../src/backend/webgpu/gpu-fusion';
import { uploadToGpu } from '../../src/backend/webgpu/webgpu-engine';
import { expectNoLeaksAsync, runOnlyInWebgpuSuite } from '../helpers';

type Domain = 'any' | 'positive' | 'bool';

/** The wrapped kernels, their inputs' names, and the values each input takes (no NaN, no division by 0). */
const KERNELS: ReadonlyArray<[string, string, string, Domain, Domain]> = [
  ['Add', 'a', 'b', 'any', 'any'], ['Atan2', 'a', 'b', 'any', 'any'], ['Equal', 'a', 'b', 'any', 'any'],
  ['FloorDiv', 'a', 'b', 'any', 'any'], ['Greater', 'a', 'b', 'any', 'any'], ['GreaterEqual', 'a', 'b', 'any', 'any'],
  ['Less', 'a', 'b', 'any', 'any'], ['LessEqual', 'a', 'b', 'any', 'any'], ['LogicalAnd', 'a', 'b', 'bool', 'bool'],
  ['LogicalOr', 'a', 'b', 'bool', 'bool'], ['Maximum', 'a', 'b', 'any', 'any'], ['Minimum', 'a', 'b', 'any', 'any'],
  ['Mod', 'a', 'b', 'any', 'any'], ['Multiply', 'a', 'b', 'any', 'any'], ['NotEqual', 'a', 'b', 'any', 'any'],
  ['Pow', 'a', 'b', 'positive', 'any'], ['RealDiv', 'a', 'b', 'any', 'any'],
  ['SquaredDifference', 'a', 'b', 'any', 'any'], ['Sub', 'a', 'b', 'any', 'any'], ['Prelu', 'x', 'alpha', 'any', 'any'],
];

/** Deterministic values of mixed sign, |v| in [0.5, 2.5] (a few repeat, so Equal and the like see both answers). */
function hostValues(n: number, seed: number, domain: Domain): Float32Array | Uint8Array {
  const raw = Array.from({ length: n }, (_, i) => Math.sin(seed * 12.9898 + (i % 97) * 78.233));
  if (domain === 'bool') return Uint8Array.from(raw, (v) => (v > 0 ? 1 : 0));
  return Float32Array.from(raw, (v) => {
    const m = 0.5 + Math.round(Math.abs(v) * 8) / 4;
    return domain === 'positive' || v >= 0 ? m : -m;
  });
}

/** A tensor on the GPU (so tfjs-webgpu runs its GPU kernel, not its CPU form for small host data). */
function onGpu(values: Float32Array | Uint8Array, shape: number[]): tf.Tensor {
  const t = tf.tensor(values, shape, values instanceof Uint8Array ? 'bool' : 'float32');
  uploadToGpu(tf.backend(), t.dataId);
  return t;
}

/** tfjs's cpu kernel `name` on the given host values. */
function cpuKernel(name: string, inputs: Record<string, [Float32Array | Uint8Array, number[]]>): ArrayLike<number> {
  const cpu = tf.findBackend('cpu');
  if (cpu == null) throw new Error('the cpu backend is not registered');
  const infos: Record<string, tf.TensorInfo> = {};
  for (const [key, [values, shape]] of Object.entries(inputs)) {
    const dtype = values instanceof Uint8Array ? 'bool' : 'float32';
    infos[key] = { dataId: cpu.write(values, shape, dtype), shape, dtype };
  }
  const out = tf.getKernel(name, 'cpu')!.kernelFunc({ inputs: infos, backend: cpu, attrs: {} }) as tf.TensorInfo;
  const values = Array.from(cpu.readSync(out.dataId) as ArrayLike<number>);
  for (const info of [...Object.values(infos), out]) cpu.disposeData(info.dataId);
  return values;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).to.equal(want.length);
  for (let i = 0; i < want.length; i++) {
    const tol = 1e-5 * Math.max(1, Math.abs(want[i]));
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      expect.fail(`${what}: element ${i}: ${got[i]}, expected ${want[i]}`);
    }
  }
}

const HIGH_SHAPES = [[2, 1, 3, 2], [1, 2, 1, 2, 2]];

describe('backend: webgpu binary kernels at rank 5 and 6 with a short rank-1 operand (tfjs-webgpu\'s shared variant)', () => {
  runOnlyInWebgpuSuite('the shared binary variant specs');

  for (const [name, first, second, firstDomain, secondDomain] of KERNELS) {
    it(`${name} equals tfjs's cpu kernel, and the kernel batched before it runs too`, async () => {
      for (const lead of HIGH_SHAPES) {
        for (const n of [2, 3, 127, 128]) {
          for (const rowFirst of [true, false]) {
            const high = [...lead, n];
            const firstShape = rowFirst ? [n] : high;
            const secondShape = rowFirst ? high : [n];
            const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
            const fv = hostValues(size(firstShape), n * 7 + high.length, firstDomain);
            const sv = hostValues(size(secondShape), n * 13 + high.length, secondDomain);
            const what = `${name}(${first} [${firstShape}], ${second} [${secondShape}])`;
            const x = onGpu(fv, firstShape);
            const y = onGpu(sv, secondShape);
            const neighbourIn = onGpu(hostValues(size(high), n, 'any'), high);
            // Dispatched before the binary kernel, in the same batch until the reads submit it.
            const neighbour = tf.neg(neighbourIn);
            const got = tf.engine().runKernel(name, { [first]: x, [second]: y }) as tf.Tensor;
            const [gotValues, neighbourValues, neighbourInValues] =
              await Promise.all([got.data(), neighbour.data(), neighbourIn.data()]);
            expectClose(neighbourValues as ArrayLike<number>, Array.from(neighbourInValues as Float32Array, (v) => -v),
              `the neg batched before ${what}`);
            expect(got.shape, what).to.deep.equal(high);
            expectClose(gotValues as ArrayLike<number>,
              cpuKernel(name, { [first]: [fv, firstShape], [second]: [sv, secondShape] }), what);
            tf.dispose([x, y, neighbourIn, neighbour, got]);
          }
        }
      }
    });
  }

  it('the compiler\'s mirror of the program choice (binaryProgramVec4) agrees with the program eager runs', async function () {
    // pow(-3.9, Infinity): +Infinity in the vec4 program; -Infinity in the scalar one on SwiftShader
    // (its `round(abs(b) % 2.0) != 1.0` is false for NaN), where the two can be told apart.
    const powOf = async (baseShape: number[], expShape: number[]) => {
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const base = onGpu(new Float32Array(size(baseShape)).fill(-3.9), baseShape);
      const exp = onGpu(new Float32Array(size(expShape)).fill(Infinity), expShape);
      const out = tf.pow(base, exp);
      const first = (await out.data())[0];
      tf.dispose([base, exp, out]);
      return first;
    };
    const scalar = await powOf([2, 3], [3]);
    expect(binaryProgramVec4([2, 3], [3])).to.equal(false);
    if (scalar === Infinity) {
      console.log('      this adapter\'s scalar and vec4 Pow programs agree on pow(-3.9, Infinity): nothing to tell apart');
      this.skip();
    }
    const cases: [number[], number[]][] = [
      [[4], [2, 1, 1, 1, 4]], [[2, 1, 1, 1, 4], [4]], [[4], [1, 2, 1, 1, 1, 4]], [[3], [2, 1, 1, 1, 3]],
      [[4], [2, 4]], [[2, 1, 1, 1, 8], [8]], [[2, 1, 1, 1, 6], [6]],
    ];
    for (const [a, b] of cases) {
      const got = await powOf(a, b);
      expect(got, `pow([${a}], [${b}]) ran the ${got === Infinity ? 'vec4' : 'scalar'} program`)
        .to.equal(binaryProgramVec4(a, b) ? Infinity : scalar);
    }
  });

  it('leaves tf.memory() flat', async () => {
    await expectNoLeaksAsync(async () => {
      const x = onGpu(hostValues(3, 1, 'any'), [3]);
      const y = onGpu(hostValues(2 * 3 * 3, 2, 'any'), [1, 2, 1, 3, 1, 3]);
      const z = tf.add(x, y);
      await z.data();
      tf.dispose([x, y, z]);
    }, 5);
  });
});
