/**
 * One Euler step of N leaky integrate-and-fire neurons, as the issue states it:
 * v += dt/tau * (-v + I); spike = v >= 1; v = where(spike, 0, v).
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import type { Case, Variant } from '../harness';
import { bandwidthMs, JaxArray, loadJax, memcpyFloor } from '../peers';
import { withConfig } from '../../src/config';

const DT = 0.1;
const TAU = 10;
const K = DT / TAU;

/**
 * How the step writes its reset value: a scalar broadcast by `where`, `zerosLike`, or
 * `fill` with the reset potential (all three are constants the jit makes literals of).
 */
type Reset = 'scalar' | 'zerosLike' | 'fill';

function lifStep(v: bst.HiddenState, input: tf.Tensor, reset: Reset = 'scalar'): tf.Tensor {
  const next = tf.add(v.value, tf.mul(K, tf.add(tf.neg(v.value), input)));
  const spike = tf.greaterEqual(next, 1);
  const value = reset === 'zerosLike' ? tf.zerosLike(next) : reset === 'fill' ? tf.fill(next.shape, 0) : 0 as unknown as tf.Tensor;
  v.value = tf.where(spike, value, next);
  return spike;
}

/**
 * A jitted LIF step compiled (and run) with fusion on or off and its fused kernels as SIMD,
 * scalar WebAssembly (`simd` false) or JS loops (`wasmKernels` false).
 */
function jitVariant(name: string, n: number, input: tf.Tensor, fusion: boolean, reset: Reset = 'scalar', simd = true,
  wasmKernels = true): Variant {
  const v = new bst.HiddenState(tf.zeros([n]));
  const step = bst.transform.jit((i: tf.Tensor) => lifStep(v, i, reset));
  withConfig({ fusion, simd, wasmKernels }, () => step.compile(input));
  return {
    name,
    run(k) {
      // SIMD is decided when a program compiles; compiled above, so the calls need no override.
      for (let r = 0; r < k; r++) step(input).dispose();
      v.value.dataSync().subarray(0, 1);
    },
    dispose() { step.clearCache(); },
  };
}

/**
 * Eager tfjs, our jit (unfused, fused, the reset written three ways, SIMD off: scalar
 * WebAssembly kernels, and the JS kernels of an engine without WebAssembly), the
 * in-process memcpy floor, @jax-js/jax, a hand-written loop, and the bandwidth floor.
 */
export async function lifCase(n: number): Promise<Case> {
  const input = tf.keep(tf.fill([n], 1.5));
  const vEager = new bst.HiddenState(tf.zeros([n]));
  const variants: Variant[] = [
    {
      name: 'eager',
      run(k) {
        for (let r = 0; r < k; r++) tf.tidy(() => { lifStep(vEager, input); });
        vEager.value.dataSync().subarray(0, 1);
      },
    },
    jitVariant('jit unfused', n, input, false),
    jitVariant('jit', n, input, true),
    jitVariant('jit zerosLike reset', n, input, true, 'zerosLike'),
    jitVariant('jit fill reset', n, input, true, 'fill'),
    jitVariant('jit SIMD off', n, input, true, 'scalar', false),
    jitVariant('jit JS kernels', n, input, true, 'scalar', false, false),
    // Reads v and I (8 bytes per neuron), writes v and spike (5 bytes).
    memcpyFloor(n, 13),
  ];

  const jax = await loadJax();
  if (jax !== null) {
    const np = jax.numpy as unknown as { zeros(s: number[]): JaxArray; full(s: number[], v: number): JaxArray;
      where(c: JaxArray, a: number, b: JaxArray): JaxArray };
    const step = jax.jit((v: JaxArray, i: JaxArray) => {
      const next = v.ref.add(i.sub(v).mul(K));
      const spike = next.ref.greaterEqual(1);
      return [np.where(spike.ref, 0, next), spike];
    });
    let v = np.zeros([n]);
    const I = np.full([n], 1.5);
    variants.push({
      name: 'jax-js jit',
      run(k) {
        for (let r = 0; r < k; r++) {
          const [vn, s] = step(v, I.ref) as unknown as [JaxArray, JaxArray];
          v = vn;
          s.dispose();
        }
        v.ref.dataSync();
      },
      dispose() { v.dispose(); I.dispose(); },
    });
  }

  const hv = new Float32Array(n);
  const hi = new Float32Array(n).fill(1.5);
  variants.push({
    name: 'JS loop',
    run(k) {
      for (let r = 0; r < k; r++) {
        const spike = new Uint8Array(n);
        for (let j = 0; j < n; j++) {
          const x = Math.fround(hv[j] + Math.fround(K * Math.fround(hi[j] - hv[j])));
          const s = x >= 1;
          spike[j] = s ? 1 : 0;
          hv[j] = s ? 0 : x;
        }
      }
    },
  });
  // Reads v and I (8 bytes per neuron), writes v and spike (5 bytes).
  const floor = bandwidthMs(13 * n);
  variants.push({ name: 'bandwidth limit', run() { /* a computed figure */ }, fixedMs: floor });

  const reps = Math.max(3, Math.min(2000, Math.round(2e5 / Math.sqrt(n) / 2)));
  return { workload: 'LIF step', size: `N=${n.toExponential(0)}`, reps, variants };
}
