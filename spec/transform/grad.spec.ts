/**
 * transform.grad / valueAndGrad: the seed's mse_loss, result order and structure for
 * every option, state writes, ownership of returned tensors, and memory.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { param } from '../../decorators';
import { expectTensorClose } from '../helpers';

class TinyLinear extends bst.nn.Module {
  @param weight = tf.tensor2d([[1]]);
  @param bias = tf.tensor1d([0]);
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.weight), this.bias);
  }
}

const X = (): tf.Tensor => tf.tensor2d([[0], [1]]);
const mse = (pred: tf.Tensor, x: tf.Tensor): tf.Scalar =>
  tf.mean(tf.square(tf.sub(pred, tf.add(tf.mul(x, 2), 1))));

describe('grad: the seed guide (mse_loss)', () => {
  it('valueAndGrad over treefySplit trees: loss 2.5, grad bias [-3], grad weight [[-2]], printed as TreefyState', () => {
    const lin = new TinyLinear();
    const [graphDef, params, others] = bst.graph.treefySplit(lin, bst.ParamState, '...');
    const mseLoss = (p: bst.NestedDict, o: bst.NestedDict, x: tf.Tensor): tf.Scalar => {
      const recovered = bst.graph.treefyMerge(graphDef, p, o) as TinyLinear;
      return mse(recovered.call(x), x);
    };
    const [loss, grads] = bst.transform.valueAndGrad(mseLoss)(params, others, X());
    expect(loss.dataSync()[0]).to.equal(2.5);
    const lines = grads.items().map(([path, g]) => `grad ${path} ${String(g)}`);
    expect(lines).to.deep.equal([
      'grad bias TreefyState(\n  type=ParamState,\n  value=Tensor [-3],\n  tag=undefined\n)',
      'grad weight TreefyState(\n  type=ParamState,\n  value=Tensor [[-2]],\n  tag=undefined\n)',
    ]);
    expect(grads.bias).to.be.instanceOf(bst.TreefyState);
    expect(grads.bias.type).to.equal(bst.ParamState);
  });

  it('the same numbers through gradStates (live states), eagerly and jitted', () => {
    const lin = new TinyLinear();
    const params = lin.states(bst.ParamState);
    const f = bst.transform.grad((x: tf.Tensor) => mse(lin.call(x), x), { gradStates: params, returnValue: true });
    const [g, value] = f(X());
    expect(value.dataSync()[0]).to.equal(2.5);
    expectTensorClose(g.bias, [-3]);
    expectTensorClose(g.weight, tf.tensor2d([[-2]]));
    const jf = bst.transform.jit(f);
    for (let i = 0; i < 3; i++) {
      const [jg, jv] = jf(X());
      expect(jv.dataSync()[0]).to.equal(2.5);
      expectTensorClose(jg.bias, [-3]);
      expectTensorClose(jg.weight, tf.tensor2d([[-2]]));
    }
    expect(jf.traceCount).to.equal(1);
  });
});

describe('grad: options and result order', () => {
  const w = (): bst.ParamState => new bst.ParamState(tf.tensor1d([1, 2]));
  const x = (): tf.Tensor1D => tf.tensor1d([3, 4]);

  it('argnums default 0; a number gives one tree, an array gives an array', () => {
    const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar => tf.sum(tf.mul(tf.square(a), b));
    expectTensorClose(bst.transform.grad(f)(x(), tf.tensor1d([1, 2])), [6, 16]);
    expectTensorClose(bst.transform.grad(f, { argnums: 1 })(x(), tf.tensor1d([1, 2])), [9, 16]);
    const [ga, gb] = bst.transform.grad(f, { argnums: [0, 1] })(x(), tf.tensor1d([1, 2]));
    expectTensorClose(ga, [6, 16]);
    expectTensorClose(gb, [9, 16]);
  });

  it('gradStates alone; with argnums gives [stateGrads, argGrads]; returnValue and hasAux orders', () => {
    const s = w();
    const f = (v: tf.Tensor): [tf.Scalar, { twice: tf.Tensor }] =>
      [tf.sum(tf.mul(s.value, v)), { twice: tf.mul(v, 2) }];
    const loss = (v: tf.Tensor): tf.Scalar => f(v)[0];
    expectTensorClose(bst.transform.grad(loss, { gradStates: s })(x()), [3, 4]);
    const [[gs], gx] = bst.transform.grad(loss, { gradStates: [s], argnums: 0 })(x());
    expectTensorClose(gs, [3, 4]);
    expectTensorClose(gx, [1, 2]);
    const [g1, v1] = bst.transform.grad(loss, { gradStates: s, returnValue: true })(x());
    expectTensorClose(g1, [3, 4]);
    expectTensorClose(v1, [11]);
    const [g2, aux2] = bst.transform.grad(f, { gradStates: s, hasAux: true })(x());
    expectTensorClose(g2, [3, 4]);
    expectTensorClose(aux2.twice, [6, 8]);
    const [g3, v3, aux3] = bst.transform.grad(f, { gradStates: s, hasAux: true, returnValue: true })(x());
    expectTensorClose(g3, [3, 4]);
    expectTensorClose(v3, [11]);
    expectTensorClose(aux3.twice, [6, 8]);
    const [[v4, aux4], g4] = bst.transform.valueAndGrad(f, { gradStates: s, hasAux: true })(x());
    expectTensorClose(v4, [11]);
    expectTensorClose(aux4.twice, [6, 8]);
    expectTensorClose(g4, [3, 4]);
    const [v5, g5] = bst.transform.valueAndGrad(loss, { argnums: 0 })(x());
    expectTensorClose(v5, [11]);
    expectTensorClose(g5, [1, 2]);
  });

  it('gradients mirror the structure: arrays, objects, states holding trees, NestedDicts', () => {
    const f = (p: { a: tf.Tensor; bs: tf.Tensor[] }): tf.Scalar =>
      tf.add(tf.sum(tf.square(p.a)), tf.sum(tf.mul(p.bs[0], p.bs[1])));
    const g = bst.transform.grad(f)({ a: tf.tensor1d([1, 2]), bs: [tf.scalar(3), tf.scalar(4)] });
    expectTensorClose(g.a, [2, 4]);
    expectTensorClose(g.bs[0], [4]);
    expectTensorClose(g.bs[1], [3]);

    const layer = new bst.nn.Linear(2, 1, { wInit: new bst.nn.init.Constant(1) });
    const params = layer.states(bst.ParamState);
    const gl = bst.transform.grad(() => tf.sum(layer.call(tf.tensor2d([[1, 2]]))), { gradStates: params })();
    expect(gl).to.be.instanceOf(bst.NestedDict);
    const tree = gl.weight as unknown as { weight: tf.Tensor; bias: tf.Tensor };
    expectTensorClose(tree.weight, tf.tensor2d([[1], [2]]));
    expectTensorClose(tree.bias, [1]);
    const byObject = bst.transform.grad(() => tf.sum(layer.call(tf.tensor2d([[1, 2]]))),
      { gradStates: { layer: layer.weight } })();
    expectTensorClose(byObject.layer.weight, tf.tensor2d([[1], [2]]));
  });

  it('numbers as differentiated arguments are float32 scalars inside (as jit makes them) and get scalar gradients', () => {
    const g = bst.transform.grad((a: number, b: tf.Tensor) => tf.mul(a, tf.sum(b)), { argnums: [0, 1] })(
      3, tf.tensor1d([1, 2]));
    expectTensorClose(g[0], [3]);
    expect(g[0].rank).to.equal(0);
    expectTensorClose(g[1], [3, 3]);
  });

  it('leaves the loss does not depend on get zeros of their shape, not null', () => {
    const unused = new bst.ParamState(tf.ones([2, 3]));
    const used = new bst.ParamState(tf.scalar(2));
    // A state read but not used gets zeros; one never read needs checkStates: false (as BrainState).
    const [gu, gs] = bst.transform.grad(() => tf.square(used.value), { gradStates: [unused, used], checkStates: false })();
    expect(gu.shape).to.deep.equal([2, 3]);
    expectTensorClose(gu, tf.zeros([2, 3]));
    expectTensorClose(gs, [4]);
    const [, gb] = bst.transform.grad((a: tf.Tensor, _b: tf.Tensor) => tf.sum(a), { argnums: [0, 1] })(
      tf.ones([2]), tf.ones([4]));
    expectTensorClose(gb, tf.zeros([4]));
  });

  it('the same tensor passed twice gets one gradient per position', () => {
    const t = tf.tensor1d([1, 2]);
    const [ga, gb] = bst.transform.grad((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(a, tf.mul(b, b))),
      { argnums: [0, 1] })(t, t);
    expectTensorClose(ga, [1, 4]);
    expectTensorClose(gb, [2, 8]);
  });

  it('second-order: grad of grad', () => {
    const d1 = bst.transform.grad((x: tf.Tensor) => tf.sum(tf.pow(x, 3)));
    const d2 = bst.transform.grad((x: tf.Tensor) => tf.sum(d1(x)));
    expectTensorClose(d2(tf.tensor1d([1, 2])), [6, 12]);
  });
});

describe('grad: states written inside, ownership, memory', () => {
  it('states written by the function are committed after the backward pass (eagerly and jitted)', () => {
    for (const jitted of [false, true]) {
      const w = new bst.ParamState(tf.scalar(3));
      const calls = new bst.HiddenState(tf.scalar(0));
      const g = bst.transform.grad((x: tf.Tensor) => {
        calls.value = tf.add(calls.value, 1);
        return tf.mul(tf.mul(w.value, x), calls.value);
      }, { gradStates: w });
      const f = jitted ? bst.transform.jit(g) : g;
      expectTensorClose(f(tf.scalar(2)), [2]);
      expectTensorClose(calls.value, [1]);
      expectTensorClose(f(tf.scalar(2)), [4]);
      expectTensorClose(calls.value, [2]);
    }
  });

  it('a function that throws writes no state and leaks nothing', () => {
    const h = new bst.HiddenState(tf.scalar(1));
    const before = tf.memory().numTensors;
    expect(() => bst.transform.grad((x: tf.Tensor) => {
      h.value = tf.add(h.value, 1);
      return tf.mul(x, h.value);          // shape [2]: not a scalar loss
    })(tf.tensor1d([1, 2]))).to.throw(bst.GradientError);
    expectTensorClose(h.value, [1]);
    expect(tf.memory().numTensors).to.equal(before + 1);   // the argument
  });

  it('returns tensors the caller owns: never a state value or an argument object', () => {
    const s = new bst.ParamState(tf.scalar(2));
    const x = tf.scalar(5);
    const [[g], value, aux] = bst.transform.grad((a: tf.Tensor): [tf.Scalar, tf.Tensor[]] => [s.value as tf.Scalar,
      [s.value, a]], { gradStates: [s], hasAux: true, returnValue: true })(x);
    for (const t of [g, value, aux[0], aux[1]]) {
      expect(t).to.not.equal(s.value);
      expect(t).to.not.equal(x);
    }
    value.dispose();
    aux[0].dispose();
    aux[1].dispose();
    expectTensorClose(s.value, [2]);
    expectTensorClose(x, [5]);
    expectTensorClose(g, [1]);
  });

  it('an eager call leaves only its results behind', () => {
    const lin = new TinyLinear();
    const params = lin.states(bst.ParamState);
    const x = X();
    const f = bst.transform.grad((xb: tf.Tensor) => mse(lin.call(xb), xb), { gradStates: params, returnValue: true });
    f(x); // warm-up (kernel and backend caches)
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      const [g, v] = f(x);
      g.weight.dispose();
      g.bias.dispose();
      v.dispose();
    }
    expect(tf.memory().numTensors).to.equal(before);
    expect(tf.tidy(() => { f(x); return tf.scalar(0); }).dataSync()[0]).to.equal(0);
    expect(tf.memory().numTensors).to.equal(before + 1);
  });

  it('a grad call inside a user tf.tidy is cleaned up by it (aux included)', () => {
    const s = new bst.ParamState(tf.tensor1d([1, 2]));
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      bst.transform.grad((x: tf.Tensor): [tf.Scalar, tf.Tensor] => [tf.sum(tf.mul(s.value, x)), tf.exp(x)],
        { gradStates: s, hasAux: true, returnValue: true })(tf.tensor1d([3, 4]));
    });
    expect(tf.memory().numTensors).to.equal(before);
  });
});
