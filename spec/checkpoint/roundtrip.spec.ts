import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { Block, DenseTree, Net, checkpointError, expectSameBits, scramble, snapshot, tempDir } from './fixtures';

describe('checkpoint: save → load round trip', () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => ({ dir, cleanup } = tempDir()));
  afterEach(() => cleanup());

  it('restores a nested module bit for bit (float32 incl. NaN payloads, -0, ±Inf, denormals; int32; bool; tree values)', () => {
    const net = new Net(1);
    const before = snapshot(net);
    const file = path.join(dir, 'net.safetensors');
    bst.checkpoint.save(file, net);

    const other = new Net(99);
    scramble(other, 5);
    expect(snapshot(other)).to.not.deep.equal(before);
    const loaded = bst.checkpoint.load(file, other);
    expectSameBits(snapshot(other), before);

    expect(loaded.toFlat().keys()).to.deep.equal(bst.graph.states(net).toFlat().keys());
    const scale = loaded.get(['scale']) as bst.TreefyState;
    expect(scale.type).to.equal(bst.ParamState);
    expect(scale.value).to.equal(bst.stateOf(other, 'scale').value);   // the tensors now in the state
  });

  it('keeps a Linear-style { weight, bias } value as one state with two tensors named by path', () => {
    const layer = new DenseTree(5, 3, 7);
    const file = path.join(dir, 'dense.safetensors');
    bst.checkpoint.save(file, layer);
    const m = bst.checkpoint.inspect(file);
    expect(m.version).to.equal(bst.checkpoint.FORMAT_VERSION);
    expect(m.states.map((s) => s.path)).to.deep.equal([['weight']]);
    expect(m.states[0].layout).to.deep.equal({ weight: 'weight/weight', bias: 'weight/bias' });
    expect(m.states[0].tensors.map((t) => [t.name, t.dtype, t.shape])).to.deep.equal([
      ['weight/weight', 'float32', [5, 3]], ['weight/bias', 'float32', [3]]]);

    const fresh = new DenseTree(5, 3, 8);
    bst.checkpoint.load(file, fresh);
    expectSameBits(snapshot(fresh), snapshot(layer));
    expect(Object.keys(fresh.weight.value)).to.deep.equal(['weight', 'bias']);
  });

  it('records kinds, tags and names in the manifest (through class-transformer classes)', () => {
    const file = path.join(dir, 'net.safetensors');
    bst.checkpoint.save(file, new Net());
    const m = bst.checkpoint.inspect(file);
    expect(m).to.be.instanceOf(bst.checkpoint.Manifest);
    expect(m.states[0]).to.be.instanceOf(bst.checkpoint.StateRecord);
    expect(m.states[0].tensors[0]).to.be.instanceOf(bst.checkpoint.TensorRecord);
    const byPath = new Map(m.states.map((s) => [JSON.stringify(s.path), s]));
    expect(byPath.get('["blocks",0,"mask"]')).to.include({ kind: 'ShortTermState', tag: 'mask' });
    expect(byPath.get('["blocks",1,"steps"]')).to.include({ kind: 'HiddenState' });
    expect(byPath.get('["scale"]')).to.include({ kind: 'ParamState', tag: 'gain' });
    expect(byPath.get('["pair"]')).to.include({ kind: 'LongTermState', name: 'pair' });
    expect(byPath.get('["pair"]')!.layout).to.deep.equal(['pair/0', { ids: 'pair/1/ids' }]);
  });

  it('writes the safetensors layout: 8-byte LE length, JSON header padded to 8, data back to back', () => {
    const file = path.join(dir, 'b.safetensors');
    const block = new Block(3);
    bst.checkpoint.save(file, block);
    const buf = fs.readFileSync(file);
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).to.equal(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, {
      dtype: string; shape: number[]; data_offsets: [number, number];
    }>;
    expect(Object.keys(header.__metadata__)).to.deep.equal(['brainstate_ts.manifest']);
    expect(header['mask']).to.deep.equal({ dtype: 'BOOL', shape: [3], data_offsets: [header.mask.data_offsets[0],
      header.mask.data_offsets[0] + 3] });
    expect(header['steps'].dtype).to.equal('I32');
    expect(header['dense/weight/weight'].dtype).to.equal('F32');
    const w = header['dense/weight/weight'].data_offsets;
    const bytes = buf.subarray(8 + n + w[0], 8 + n + w[1]);
    const expected = block.dense.weight.value.weight.dataSync() as Float32Array;
    expect(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength).equals(bytes)).to.equal(true);
    const ends = Object.entries(header).filter(([k]) => k !== '__metadata__').map(([, e]) => e.data_offsets[1]);
    expect(Math.max(...ends)).to.equal(buf.length - 8 - n);
  });

  it('saves a NestedDict of TreefyStates or live States, and loads into a filtered graph.states target', () => {
    const net = new Net(2);
    const file = path.join(dir, 'params.safetensors');
    bst.checkpoint.save(file, bst.graph.treefyStates(net, bst.ParamState));
    const other = new Net(3);
    const hiddenBefore = snapshot(bst.graph.states(other, bst.ShortTermState));
    const loaded = bst.checkpoint.load(file, bst.graph.states(other, bst.ParamState));
    expectSameBits(snapshot(bst.graph.states(other, bst.ParamState)), snapshot(bst.graph.states(net, bst.ParamState)));
    expectSameBits(snapshot(bst.graph.states(other, bst.ShortTermState)), hiddenBefore);
    expect(loaded.toFlat().size).to.equal(bst.graph.states(net, bst.ParamState).toFlat().size);

    const file2 = path.join(dir, 'live.safetensors');
    bst.checkpoint.save(file2, bst.graph.states(net));
    bst.checkpoint.load(file2, other);
    expectSameBits(snapshot(other), snapshot(net));
  });

  it('saves a model with its optimizer, and training resumes from the file bit for bit', () => {
    const build = (): { model: bst.nn.Sequential; opt: bst.optim.Adam; step: () => void } => {
      const model = new bst.nn.Sequential(new bst.nn.Linear(3, 4), new bst.nn.ReLU(), new bst.nn.Linear(4, 1));
      const opt = new bst.optim.Adam(1e-2);
      opt.registerTrainableWeights(model.states(bst.ParamState));
      const x = tf.tensor2d([[1, 2, 3], [-1, 0.5, 2], [0, -2, 1]]);
      const loss = bst.transform.grad(() => tf.mean(tf.square(model.call(x) as tf.Tensor)),
        { gradStates: model.states(bst.ParamState) });
      return { model, opt, step: bst.transform.jit(() => { opt.update(loss()); }) };
    };
    const a = build();
    for (let i = 0; i < 2; i++) a.step();
    const file = path.join(dir, 'train.safetensors');
    bst.checkpoint.save(file, { model: a.model, opt: a.opt });
    const kinds = bst.checkpoint.inspect(file).states.map((s) => `${s.path.join('/')} ${s.kind}`);
    expect(kinds).to.include.members(['model/layers/0/weight ParamState', 'opt/step OptimState']);
    for (let i = 0; i < 3; i++) a.step();

    const b = build();
    bst.checkpoint.load(file, { model: b.model, opt: b.opt });
    expect(b.opt.step.value.dataSync()[0]).to.equal(2);
    for (let i = 0; i < 3; i++) b.step();
    expectSameBits(snapshot(b.model), snapshot(a.model));
    expectSameBits(snapshot(b.opt), snapshot(a.opt));
  });

  it('overwrites an existing checkpoint and leaves no temporary file behind', () => {
    const file = path.join(dir, 'm.safetensors');
    const a = new Block(1);
    const b = new Block(2);
    bst.checkpoint.save(file, a);
    bst.checkpoint.save(file, b);
    expect(fs.readdirSync(dir)).to.deep.equal(['m.safetensors']);
    const c = new Block(3);
    bst.checkpoint.load(file, c);
    expectSameBits(snapshot(c), snapshot(b));
  });

  it('creates the directory it saves into', () => {
    const file = path.join(dir, 'deep', 'er', 'x.safetensors');
    bst.checkpoint.save(file, new Block(1));
    expect(fs.existsSync(file)).to.equal(true);
  });

  it('does not leak tensors: load replaces values, disposing the old ones', () => {
    const file = path.join(dir, 'n.safetensors');
    bst.checkpoint.save(file, new Net(4));
    const target = new Net(5);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) bst.checkpoint.load(file, target);
    expect(tf.memory().numTensors).to.equal(before);
  });

  it('refuses to run inside a traced call, and refuses unsupported dtypes', () => {
    const file = path.join(dir, 'x.safetensors');
    const net = new Block(1);
    const step = bst.transform.jit((x: tf.Tensor) => {
      bst.checkpoint.save(file, net);
      return x;
    });
    expect(checkpointError(() => step(tf.scalar(1)))).to.contain('inside a traced call');
    const c = new bst.State(tf.tensor(['a', 'b']));
    expect(checkpointError(() => bst.checkpoint.save(file, new bst.NestedDict({ c }))))
      .to.contain("['c'] is string (supported: float32, int32, bool)");
    expect(fs.existsSync(file)).to.equal(false);
    expect(checkpointError(() => bst.checkpoint.save(file, 42 as unknown as object)))
      .to.contain('expected a module or a NestedDict of states, but got 42');
  });
});
