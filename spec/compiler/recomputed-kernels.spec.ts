/**
 * A scan gradient's recomputed forward kernels on webgpu: DCE keeps a dead one for the uploads
 * its forward kernel made eagerly, since the backward step reads the carries, rows and loop
 * invariants as eager's forward step found them (fuzz seeds 3206126, 3603768, 8403049).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { runOnlyInWebgpuSuite } from '../helpers';

describe('recomputed kernels: dce (webgpu)', () => {
  runOnlyInWebgpuSuite('recomputed-kernel dce specs');

  it('a jitted scan gradient with a dead body kernel on the captured initial carry agrees with eager', async () => {
    const loss = (i: tf.Tensor, x: tf.Tensor): tf.Tensor => {
      const [c, ys] = bst.transform.scan((carry: tf.Tensor, xrow: tf.Tensor) => {
        tf.sub(i, xrow);
        return [tf.pow(tf.expm1(xrow), carry), i];
      }, i, x, { reverse: true }) as [tf.Tensor, tf.Tensor];
      return tf.add(tf.sum(c), tf.sum(ys));
    };
    const g = bst.transform.grad(loss, { argnums: [0, 1] }) as unknown as (i: tf.Tensor, x: tf.Tensor) => tf.Tensor[];
    const j = bst.transform.jit(g);
    const args = () => [tf.tensor1d([-0.3230476677417755]), tf.tensor1d([7.213668346405029])];
    const [a0, b0] = args();
    const e = g(a0, b0);
    const eager = await Promise.all(e.map((t) => t.data()));
    // Fresh host arguments: the first call traces and runs the program on data as eager found it.
    const [a1, b1] = args();
    const r = j(a1, b1);
    const jitted = await Promise.all(r.map((t) => t.data()));
    tf.dispose([a0, b0, a1, b1, ...e, ...r]);
    expect(jitted.map((d) => Array.from(d))).to.deep.equal(eager.map((d) => Array.from(d)));
  });

  it('a jitted scan gradient keeps a dead body kernel on the carry, as eager uploaded it in the forward step', async () => {
    // tfjs-webgpu runs Round only on the GPU: eagerly it uploads the initial carry before step 0's exp, which then
    // runs on the GPU; the backward step of row 0 recomputes both on a host copy of the initial carry.
    const loss = (i: tf.Tensor, x: tf.Tensor): tf.Tensor => {
      const [c, ys] = bst.transform.scan((carry: tf.Tensor) => {
        const y = tf.round(carry);
        return [tf.exp(carry), y];
      }, i, x) as [tf.Tensor, tf.Tensor];
      return tf.add(tf.sum(c), tf.sum(ys));
    };
    const g = bst.transform.grad(loss, { argnums: [0, 1] }) as unknown as (i: tf.Tensor, x: tf.Tensor) => tf.Tensor[];
    const f = (v: tf.Tensor) => g(v, v)[0];
    const j = bst.transform.jit(f);
    const arg = () => tf.tensor1d([11.031229972839355]);
    const a0 = arg();
    const e = f(a0);
    const eager = Array.from(await e.data());
    // A fresh host argument: the first call traces and runs the program on data as eager found it.
    const a1 = arg();
    const r = j(a1);
    const jitted = Array.from(await r.data());
    tf.dispose([a0, a1, e, r]);
    expect(jitted).to.deep.equal(eager);
  });
});
