/**
 * nn layers: Linear, Sequential, activations, initialisers and Dropout, checked against
 * the same computations written directly with tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const { nn, random, environ } = bst;

function stats(t: tf.Tensor): { mean: number; std: number; min: number; max: number } {
  const v = t.dataSync();
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of v) { s += x; min = Math.min(min, x); max = Math.max(max, x); }
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length), min, max };
}

describe('nn layers', () => {
  beforeEach(() => environ.reset());
  after(() => environ.reset());

  describe('Linear', () => {
    it('holds one ParamState `weight` with value { weight, bias } of the right shapes', () => {
      const layer = new nn.Linear(3, 2);
      expect(layer.weight).to.be.instanceOf(bst.ParamState);
      const p = layer.weight.value as { weight: tf.Tensor; bias: tf.Tensor };
      expect(p.weight.shape).to.deep.equal([3, 2]);
      expect(p.bias.shape).to.deep.equal([2]);
      expect(Array.from(p.bias.dataSync())).to.deep.equal([0, 0]);
      expect(layer.weight.toString()).to.equal('ParamState(value={weight: Tensor[3,2] float32, bias: Tensor[2] float32}, tag=undefined)');
    });

    it('call(x) equals tf.matMul(x, W) + b computed directly, for 1-D, 2-D and 3-D inputs', () => {
      tf.tidy(() => {
        const layer = new nn.Linear(4, 3, { bInit: new nn.init.Normal(0, 1) });
        const { weight: w, bias: b } = layer.weight.value as { weight: tf.Tensor; bias: tf.Tensor };
        const x = random.normal([5, 4]);
        expectTensorClose(layer.call(x), tf.add(tf.matMul(x, w), b));
        const x1 = random.normal([4]);
        expectTensorClose(layer.call(x1), tf.add(tf.matMul(x1.reshape([1, 4]), w), b).reshape([3]));
        const x3 = random.normal([2, 5, 4]);
        expectTensorClose(layer.call(x3), tf.add(tf.matMul(x3.reshape([10, 4]), w), b).reshape([2, 5, 3]));
      });
    });

    it('without bias has only `weight`; wInit takes a tensor, a number or a function', () => {
      tf.tidy(() => {
        const w = tf.tensor2d([[1, 2], [3, 4]]);
        const layer = new nn.Linear(2, 2, { wInit: w, bias: false });
        expect(Object.keys(layer.weight.value)).to.deep.equal(['weight']);
        expectTensorClose(layer.call(tf.tensor2d([[1, 1]])), [[4, 6]]);
        expectTensorClose(new nn.Linear(2, 1, { wInit: 0.5, bInit: null }).call(tf.tensor2d([[2, 2]])), [[2]]);
        expectTensorClose(new nn.Linear(2, 1, { wInit: (s) => tf.ones(s) }).call(tf.tensor2d([[2, 3]])), [[5]]);
      });
    });

    it('default weights: KaimingNormal, drawn with random (same seed, same weights)', () => {
      random.seed(0);
      const a = new nn.Linear(400, 300);
      random.seed(0);
      const b = new nn.Linear(400, 300);
      const wa = (a.weight.value as { weight: tf.Tensor }).weight;
      expectTensorClose(wa, (b.weight.value as { weight: tf.Tensor }).weight, 0);
      const s = stats(wa);
      expect(Math.abs(s.mean)).to.be.below(0.002);
      expect(Math.abs(s.std - Math.sqrt(2 / 400))).to.be.below(0.002); // variance 2 / fan_in
      const limit = 2 * Math.sqrt(2 / 400) / 0.87962566103423978;
      expect(s.max).to.be.below(limit + 1e-6);
      expect(s.min).to.be.above(-limit - 1e-6);
    });

    it('rejects a wrong input size with the shapes', () => {
      const layer = new nn.Linear(3, 2);
      expectThrowsWith(() => layer.call(tf.ones([2, 4])), bst.BrainStateError, 'Linear(3, 2).call', 'size 3',
        'shape [2,4]');
      expectThrowsWith(() => new nn.Linear(0, 2), bst.BrainStateError, 'inSize', 'positive integer');
    });

    it('trains: tf.grad of a loss through call reaches the weights', () => {
      tf.tidy(() => {
        const layer = new nn.Linear(2, 1, { wInit: tf.tensor2d([[1], [2]]) });
        const x = tf.tensor2d([[1, 3]]);
        const g = tf.grad((w: tf.Tensor) => tf.sum(tf.matMul(x, w)))((layer.weight.value as { weight: tf.Tensor }).weight);
        expectTensorClose(g, [[1], [3]]);
      });
    });
  });

  describe('Sequential', () => {
    it('chains modules and functions in order', () => {
      tf.tidy(() => {
        const l1 = new nn.Linear(4, 8);
        const l2 = new nn.Linear(8, 2);
        const seq = new nn.Sequential(l1, nn.relu, l2, new nn.Sigmoid());
        expect(seq.layers).to.have.length(4);
        const x = random.normal([3, 4]);
        expectTensorClose(seq.call(x), tf.sigmoid(l2.call(tf.relu(l1.call(x)))));
      });
    });

    it('disposes its intermediates', () => {
      const seq = new nn.Sequential(new nn.Linear(4, 8), nn.relu, new nn.Linear(8, 2));
      const x = tf.ones([3, 4]);
      expectNoLeaks(() => seq.call(x).dispose(), 5);
      x.dispose();
    });

    it('rejects a layer that is neither a module nor a function', () => {
      expectThrowsWith(() => new nn.Sequential(new nn.ReLU(), 3 as unknown as bst.nn.Layer), bst.BrainStateError,
        'layer 1', 'Module or a function');
    });
  });

  describe('activations', () => {
    it('equal their definitions', () => {
      tf.tidy(() => {
        const x = tf.tensor1d([-2, -0.5, 0, 0.5, 2]);
        expectTensorClose(nn.relu(x), [0, 0, 0, 0.5, 2]);
        expectTensorClose(nn.sigmoid(x), tf.div(1, tf.add(1, tf.exp(tf.neg(x)))));
        expectTensorClose(nn.tanh(x), tf.tanh(x));
        const c = Math.sqrt(2 / Math.PI);
        expectTensorClose(nn.gelu(x), tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(tf.mul(c, tf.add(x, tf.mul(0.044715, tf.pow(x, 3))))))));
        expectTensorClose(nn.gelu(x, false), [-0.0455003, -0.1542687, 0, 0.3457313, 1.9544997], 1e-4);
        expectTensorClose(nn.silu(x), tf.mul(x, tf.sigmoid(x)));
        expectTensorClose(nn.softplus(x), tf.log(tf.add(1, tf.exp(x))));
        expectTensorClose(nn.leakyRelu(x), [-0.02, -0.005, 0, 0.5, 2]);
        expectTensorClose(nn.elu(x), [Math.exp(-2) - 1, Math.exp(-0.5) - 1, 0, 0.5, 2]);
        expectTensorClose(nn.elu(x, 2), [2 * (Math.exp(-2) - 1), 2 * (Math.exp(-0.5) - 1), 0, 0.5, 2]);
        const m = tf.tensor2d([[1, 2, 3], [0, 0, 1000]]);
        expectTensorClose(nn.softmax(m), tf.softmax(m));
        expectTensorClose(nn.logSoftmax(m), tf.logSoftmax(m));
        expectTensorClose(nn.softmax(m, 0), tf.transpose(tf.softmax(tf.transpose(m))));
      });
    });

    it('module wrappers apply the same functions', () => {
      tf.tidy(() => {
        const x = tf.tensor1d([-1, 0, 1]);
        expectTensorClose(new nn.ReLU().call(x), nn.relu(x));
        expectTensorClose(new nn.LeakyReLU(0.2).call(x), nn.leakyRelu(x, 0.2));
        expectTensorClose(new nn.GELU(false).call(x), nn.gelu(x, false));
        expectTensorClose(new nn.Softmax().call(x), nn.softmax(x));
        expectTensorClose(new nn.Tanh().call(x), nn.tanh(x));
      });
    });
  });

  describe('initialisers', () => {
    it('variance scaling draws with the requested variance, shape and bounds', () => {
      random.seed(1);
      tf.tidy(() => {
        const shape = [256, 512];
        const cases: [bst.nn.init.Initializer, number][] = [
          [new nn.init.KaimingUniform(), 2 / 256], [new nn.init.XavierNormal(), 1 / 384],
          [new nn.init.XavierUniform(), 1 / 384], [new nn.init.LecunNormal(), 1 / 256],
          [new nn.init.VarianceScaling(1, 'fan_out', 'normal'), 1 / 512],
        ];
        for (const [init, variance] of cases) {
          const s = stats(init.call(shape));
          expect(Math.abs(s.std / Math.sqrt(variance) - 1), init.constructor.name).to.be.below(0.02);
        }
        expect(Array.from(nn.init.param(new nn.init.Constant(2), [2]).dataSync())).to.deep.equal([2, 2]);
      });
      expectThrowsWith(() => new nn.init.KaimingNormal().call([5]), bst.BrainStateError, 'rank 2');
      expectThrowsWith(() => nn.init.param(() => tf.zeros([2]), [3]), bst.BrainStateError, 'shape [2]', '[3]');
    });
  });

  describe('Dropout', () => {
    it('in fit mode keeps about prob of the inputs, scaled by 1 / prob', () => {
      random.seed(3);
      const drop = new nn.Dropout(0.8);
      const x = tf.fill([200, 500], 2);
      const y = environ.context({ fit: true }, () => drop.call(x));
      const v = y.dataSync();
      let kept = 0;
      for (const e of v) {
        if (e !== 0) {
          kept++;
          expect(e).to.be.closeTo(2 / 0.8, 1e-6);
        }
      }
      expect(Math.abs(kept / v.length - 0.8)).to.be.below(0.01);
      expect(Math.abs(stats(y).mean - 2)).to.be.below(0.03); // the expected output equals the input
      tf.dispose([x, y]);
    });

    it('not in fit mode is the identity (the same tensor)', () => {
      const x = tf.ones([3, 3]);
      const drop = new nn.Dropout(0.5);
      expect(environ.context({ fit: false }, () => drop.call(x))).to.equal(x);
      environ.set({ fit: false });
      expect(drop.call(x)).to.equal(x);
      expect(environ.context({ fit: true }, () => new nn.Dropout(1).call(x))).to.equal(x);
      x.dispose();
    });

    it('two calls draw different masks; the same seed the same mask', () => {
      const drop = new nn.Dropout(0.5);
      const x = tf.ones([1000]);
      const masks = environ.context({ fit: true }, () => {
        random.seed(4);
        const a = drop.call(x);
        const b = drop.call(x);
        random.seed(4);
        const c = drop.call(x);
        return [a, b, c].map((t) => { const v = Array.from(t.dataSync()); t.dispose(); return v; });
      });
      expect(masks[0]).to.not.deep.equal(masks[1]);
      expect(masks[0]).to.deep.equal(masks[2]);
      x.dispose();
    });

    it('broadcastDims share one mask along those axes', () => {
      const x = tf.ones([4, 50]);
      const y = environ.context({ fit: true }, () => new nn.Dropout(0.5, [0]).call(x));
      const rows = y.arraySync() as number[][];
      for (const row of rows) expect(row).to.deep.equal(rows[0]);
      tf.dispose([x, y]);
    });

    it('reads fit from environ: unset is an error naming fit; bad prob is rejected', () => {
      expectThrowsWith(() => new nn.Dropout(0.5).call(tf.ones([2])), bst.BrainStateError, "'fit'",
        'environ.set({ fit: ... })');
      expectThrowsWith(() => new nn.Dropout(1.5), bst.BrainStateError, 'keep probability', '1.5');
    });

    it('leaves no tensors behind', () => {
      const x = tf.ones([10, 10]);
      const drop = new nn.Dropout(0.7);
      random.normal([1]).dispose();
      environ.context({ fit: true }, () => expectNoLeaks(() => drop.call(x).dispose(), 20));
      x.dispose();
    });
  });
});
