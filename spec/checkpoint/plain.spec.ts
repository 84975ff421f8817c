// Plain safetensors files (no manifest), as Python's `safetensors` writes them. The
// fixtures in spec/fixtures/python-mlp/ were made by make_fixture.py there (numpy +
// safetensors): an MLP's weights and its outputs computed with numpy.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as bst from '../../src';
import { encodeHeader, TensorSlot } from '../../src/checkpoint/safetensors';
import { expectThrowsWith, expectTensorClose } from '../helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'python-mlp');

function mlp(): bst.nn.Sequential {
  return new bst.nn.Sequential(new bst.nn.Linear(4, 8), bst.nn.relu, new bst.nn.Linear(8, 3));
}

/** Writes a plain safetensors file (no manifest) of float32 tensors. */
function writePlain(file: string, tensors: Record<string, tf.Tensor>): void {
  const slots: TensorSlot[] = Object.entries(tensors).map(([name, t]) => ({ name, dtype: 'float32', shape: t.shape }));
  const data = Object.values(tensors).map((t) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0)));
  fs.writeFileSync(file, Buffer.concat([encodeHeader(slots, {}), ...data]));
}

describe('checkpoint.load of plain safetensors files', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-plain-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('an MLP saved by Python gives the outputs numpy computed (within 1e-5)', () => {
    const model = mlp();
    const loaded = bst.checkpoint.load(path.join(FIXTURES, 'mlp.safetensors'), model);
    expect(loaded.toFlat().keys().map((p) => p.join('.'))).to.deep.equal(['layers.0.weight', 'layers.2.weight']);
    const { inputs, outputs } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'mlp-outputs.json'), 'utf8')) as
      { inputs: number[][]; outputs: number[][] };
    const y = model.call(tf.tensor2d(inputs));
    expectTensorClose(y, tf.tensor2d(outputs), 1e-5);
    // Jitted, the same numbers.
    const f = bst.transform.jit((x: tf.Tensor) => model.call(x));
    expectTensorClose(f(tf.tensor2d(inputs)), tf.tensor2d(outputs), 1e-5);
  });

  it("finds tensors named with '/' (a/b/0) as well as '.'", () => {
    const src = mlp();
    const file = path.join(dir, 'slash.safetensors');
    const w = (i: number) => src.layers[i] as bst.nn.Linear;
    const p0 = w(0).weight.value as { weight: tf.Tensor; bias: tf.Tensor };
    const p2 = w(2).weight.value as { weight: tf.Tensor; bias: tf.Tensor };
    writePlain(file, {
      'layers/0/weight/weight': p0.weight, 'layers/0/weight/bias': p0.bias,
      'layers/2/weight/weight': p2.weight, 'layers/2/weight/bias': p2.bias,
    });
    const dst = mlp();
    bst.checkpoint.load(file, dst);
    const x = tf.randomNormal([2, 4]);
    expectTensorClose(dst.call(x), src.call(x), 0);
  });

  it('names: a map from state path to tensor name, or a function', () => {
    const src = mlp();
    const p0 = (src.layers[0] as bst.nn.Linear).weight.value as { weight: tf.Tensor; bias: tf.Tensor };
    const p2 = (src.layers[2] as bst.nn.Linear).weight.value as { weight: tf.Tensor; bias: tf.Tensor };
    const file = path.join(dir, 'torchish.safetensors');
    writePlain(file, { 'fc1.kernel': p0.weight, 'fc1.bias': p0.bias, 'fc2.kernel': p2.weight, 'fc2.bias': p2.bias });
    const byMap = mlp();
    bst.checkpoint.load(file, byMap, { names: {
      'layers.0.weight.weight': 'fc1.kernel', 'layers/0/weight/bias': 'fc1.bias',
      'layers.2.weight.weight': 'fc2.kernel', 'layers.2.weight.bias': 'fc2.bias',
    } });
    const byFn = mlp();
    bst.checkpoint.load(file, byFn, {
      names: (p) => `fc${p[1] === 0 ? 1 : 2}.${p[3] === 'weight' ? 'kernel' : 'bias'}`,
    });
    const x = tf.randomNormal([3, 4]);
    expectTensorClose(byMap.call(x), src.call(x), 0);
    expectTensorClose(byFn.call(x), src.call(x), 0);
  });

  it('lists every missing, mis-shaped and unused tensor, and writes nothing', () => {
    const file = path.join(dir, 'partial.safetensors');
    writePlain(file, {
      'layers.0.weight.weight': tf.ones([4, 8]), 'layers.0.weight.bias': tf.ones([7]), 'extra.moment': tf.ones([2]),
    });
    const model = mlp();
    const before = (model.layers[0] as bst.nn.Linear).weight.value as { weight: tf.Tensor };
    const err = expectThrowsWith(() => bst.checkpoint.load(file, model), bst.CheckpointError,
      'plain safetensors file', "no tensor for ['layers', 2, 'weight', 'weight']", "'layers.2.weight.weight'",
      "tensor 'layers.0.weight.bias' has shape [7], the state's tensor [8]", "tensors no state uses: 'extra.moment'",
      'Nothing was written');
    expect(err.message).to.contain('{ strict: false }');
    const after = (model.layers[0] as bst.nn.Linear).weight.value as { weight: tf.Tensor };
    expect(after.weight).to.equal(before.weight);
  });

  it('strict: false ignores tensors no state uses; a filtered target loads part of a model', () => {
    const file = path.join(dir, 'more.safetensors');
    writePlain(file, { 'layers.0.weight.weight': tf.fill([4, 8], 2), 'layers.0.weight.bias': tf.fill([8], 3),
      'opt.step': tf.scalar(1) });
    const model = mlp();
    const first = bst.graph.states(model, bst.graph.pathContains(0));
    bst.checkpoint.load(file, first, { strict: false });
    const p0 = (model.layers[0] as bst.nn.Linear).weight.value as { weight: tf.Tensor; bias: tf.Tensor };
    expectTensorClose(p0.bias, tf.fill([8], 3), 0);
  });

  it('converts F64, F16, BF16, I64, I16, U8 and BOOL (written by Python) to the state dtypes', () => {
    class Holder extends bst.nn.Module {
      f64 = new bst.State(tf.zeros([3]));
      f16 = new bst.State(tf.zeros([4]));
      bf16 = new bst.State(tf.zeros([2]));
      i64 = new bst.State(tf.zeros([2, 2], 'int32'));
      i16 = new bst.State(tf.zeros([2], 'int32'));
      u8 = new bst.State(tf.zeros([2], 'int32'));
      flags = new bst.State(tf.zeros([3], 'bool'));
    }
    const h = new Holder();
    bst.checkpoint.load(path.join(FIXTURES, 'dtypes.safetensors'), h);
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'dtypes.json'), 'utf8')) as Record<string, number[]>;
    for (const key of Object.keys(expected)) {
      const s = (h as unknown as Record<string, bst.State>)[key];
      expect(Array.from(s.value.dataSync()).map(Number), key).to.deep.equal(
        (expected[key].flat() as number[]).map((v) => (s.value.dtype === 'float32' ? Math.fround(v) : v)));
    }
    expect(h.flags.value.dtype).to.equal('bool');
  });

  it('a float tensor into an int32 state is an error naming both', () => {
    class IntHolder extends bst.nn.Module {
      f64 = new bst.State(tf.zeros([3], 'int32'));
    }
    expectThrowsWith(() => bst.checkpoint.load(path.join(FIXTURES, 'dtypes.safetensors'), new IntHolder(), { strict: false }),
      bst.CheckpointError, "['f64']: tensor 'f64' holds F64 (float) values, but the state's tensor is int32");
  });
});
