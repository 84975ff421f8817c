import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { flatten, treeDefKey, unflatten } from '../../src/util/pytree';
import { expectThrowsWith } from '../helpers';
import { MLP, RunningMean, TinyLinear, values } from './fixtures';

const { treefySplit, treefyStates } = bst.graph;

describe('graph: TreefyState', () => {
  it('prints in the seed layout: type, value on one line, tag', () => {
    const bias = new bst.TreefyState(bst.ParamState, tf.tensor1d([-3]));
    expect(bias.toString()).to.equal('TreefyState(\n  type=ParamState,\n  value=Tensor [-3],\n  tag=undefined\n)');
    const weight = new bst.TreefyState(bst.ParamState, tf.tensor2d([[-2]]));
    expect(weight.toString()).to.equal('TreefyState(\n  type=ParamState,\n  value=Tensor [[-2]],\n  tag=undefined\n)');
  });

  it('prints numbers as tfjs does, tags quoted, trees of tensors, and large tensors by shape', () => {
    const t = new bst.TreefyState(bst.HiddenState, tf.tensor2d([[0.1, 2], [1 / 3, -4]]), { tag: 'fast' });
    expect(t.toString()).to.equal(
      "TreefyState(\n  type=HiddenState,\n  value=Tensor [[0.1, 2], [0.3333333, -4]],\n  tag='fast'\n)");
    expect(new bst.TreefyState(bst.State, tf.scalar(7, 'int32')).toString()).to.contain('value=Tensor 7,');
    expect(new bst.TreefyState(bst.State, tf.tensor1d([1, 0], 'bool')).toString()).to.contain('value=Tensor [true, false]');
    const tree = new bst.TreefyState(bst.ParamState, { weight: tf.tensor2d([[1]]), bias: tf.tensor1d([0]) });
    expect(tree.toString()).to.contain('value={weight: Tensor [[1]], bias: Tensor [0]},');
    expect(new bst.TreefyState(bst.State, tf.zeros([5, 5])).toString()).to.contain('value=Tensor[5,5] float32,');
  });

  it('toState makes a live state of the same type, name and tag around the same tensor', () => {
    const v = tf.tensor1d([1, 2]);
    const t = new bst.TreefyState(bst.HiddenState, v, { tag: 'h', name: 'v' });
    const s = t.toState();
    expect(s).to.be.instanceOf(bst.HiddenState);
    expect([s.tag, s.name, s.value]).to.deep.equal(['h', 'v', v]);
    expect(bst.TreefyState.fromState(s).value).to.equal(v);
    const r = t.replace(tf.tensor1d([5]));
    expect([r.type, r.tag, values(r.value)]).to.deep.equal([bst.HiddenState, 'h', [5]]);
  });

  it('is a pytree container with one child, rebuilt with its type and tag', () => {
    const t = new bst.TreefyState(bst.ParamState, tf.tensor1d([-3]), { tag: 'w' });
    const [leaves, def] = flatten(t);
    expect(leaves).to.deep.equal([t.value]);
    expect(treeDefKey(def)).to.equal('TreefyState<ParamState,"w">(*)');
    const back = unflatten(def, [tf.tensor1d([9])]) as bst.TreefyState;
    expect(back).to.be.instanceOf(bst.TreefyState);
    expect([back.type, back.tag, values(back.value)]).to.deep.equal([bst.ParamState, 'w', [9]]);
  });
});

describe('graph: NestedDict', () => {
  it('reaches children as properties and by path', () => {
    const tree = treefyStates(new MLP());
    expect(tree.steps).to.be.instanceOf(bst.TreefyState);
    expect(tree.layers[0].w).to.equal(tree.get(['layers', 0, 'w']));
    expect(tree.layers[1]).to.equal(tree.get(['layers', 1]));
    expect(values(tree.layers[0].w.value)).to.deep.equal([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    expect(tree.get('steps')).to.equal(tree.steps);
    expect(tree.get(['layers', '1', 'b'])).to.equal(tree.layers[1].b); // a numeric string finds an index
    expect(tree.get([])).to.equal(tree);
    expect(tree.get(['nope'])).to.equal(undefined);
    expect(tree.get(['steps', 'deeper'])).to.equal(undefined);
    expect(Object.keys(tree)).to.deep.equal(['layers', 'steps']);
  });

  it('a child named like a method is reachable by get only', () => {
    class Odd extends bst.nn.Module {
      map = new bst.HiddenState(tf.scalar(1));
      get_ = new bst.HiddenState(tf.scalar(2));
      toString = new bst.HiddenState(tf.scalar(3)) as unknown as () => string;
    }
    const tree = treefyStates(new Odd());
    expect(tree.map).to.be.a('function');
    expect(values((tree.get(['map']) as bst.TreefyState).value)).to.deep.equal([1]);
    expect(values(tree.get_.value)).to.deep.equal([2]);
    expect(values((tree.get(['toString']) as bst.TreefyState).value)).to.deep.equal([3]);
    expect(tree.toFlat().keys()).to.deep.equal([['get_'], ['map'], ['toString']]);
  });

  it('toFlat gives a FlatDict of paths in order; fromFlat inverts it', () => {
    const [, params] = treefySplit(new TinyLinear(), bst.ParamState, '...');
    const flat = params.toFlat();
    expect(flat.keys()).to.deep.equal([['bias'], ['weight']]);
    expect(flat.size).to.equal(2);
    expect(flat.values()).to.deep.equal([params.bias, params.weight]);
    expect(flat.entries()).to.deep.equal([[['bias'], params.bias], [['weight'], params.weight]]);
    expect(flat.get(['weight'])).to.equal(params.weight);
    expect(flat.get('bias')).to.equal(params.bias);
    expect(flat.has(['nope'])).to.equal(false);
    expect([...flat].map(([p]) => p)).to.deep.equal([['bias'], ['weight']]);
    const back = bst.NestedDict.fromFlat(flat);
    expect(back.toFlat().entries()).to.deep.equal(flat.entries());
    // Any order in, key order out.
    const shuffled = bst.NestedDict.fromFlat([[['z'], 1], [['a', 2], 2], [['a', 0], 3], [['a', 'x'], 4]]);
    expect(shuffled.toFlat().keys()).to.deep.equal([['a', 0], ['a', 2], ['a', 'x'], ['z']]);
    expect(shuffled.a[2]).to.equal(2);
  });

  it('rejects duplicate paths and paths through a leaf', () => {
    expectThrowsWith(() => new bst.FlatDict([[['a'], 1], [['a'], 2]]), bst.GraphError, "['a'] appears twice");
    expectThrowsWith(() => bst.NestedDict.fromFlat([[['a'], 1], [['a', 'b'], 2]]), bst.GraphError,
      "NestedDict.fromFlat: expected each path once and no path inside a leaf, but ['a', 'b'] runs through the leaf at ['a']");
    expectThrowsWith(() => bst.NestedDict.fromFlat([[[], 1]]), bst.GraphError, 'non-empty path');
  });

  it('items gives the top-level [key, child] pairs in key order', () => {
    const tree = treefyStates(new MLP());
    const items = tree.items();
    expect(items.map(([k]) => k)).to.deep.equal(['layers', 'steps']);
    expect(items[0][1]).to.equal(tree.layers);
    expect(tree.layers.items().map(([k]) => k)).to.deep.equal([0, 1]);
  });

  it('map keeps the shape and passes each path', () => {
    const tree = treefyStates(new MLP(), bst.ParamState);
    const shapes = tree.map((s, path) => `${path.join('/')}=${(s.value as tf.Tensor).shape.join('x')}`);
    expect(shapes.toFlat().values()).to.deep.equal(['layers/0/b=3', 'layers/0/w=2x3', 'layers/1/b=1', 'layers/1/w=3x1']);
    const doubled = tree.map((s) => s.replace(tf.mul(s.value, 2)));
    expect(values(doubled.layers[1].w.value)).to.deep.equal([2, 2, 2]);
    expect(doubled.layers[1].w.type).to.equal(bst.ParamState);
  });

  it('merge takes the union, later trees winning on shared paths', () => {
    const [, params, rest] = treefySplit(new MLP(), bst.ParamState, '...');
    const merged = params.merge(rest);
    expect(merged.toFlat().keys()).to.deep.equal(treefyStates(new MLP()).toFlat().keys());
    const replacement = new bst.NestedDict({ steps: new bst.TreefyState(bst.LongTermState, tf.scalar(9, 'int32')) });
    expect(values(merged.merge(replacement).steps.value)).to.deep.equal([9]);
    expect(values(merged.steps.value)).to.deep.equal([0]); // immutable: merge made a new tree
  });

  it('is a pytree container: children in key order, keys in the structure', () => {
    const [, tree] = treefySplit(new RunningMean(), bst.HiddenState);
    const [leaves, def] = flatten(tree);
    expect(leaves).to.deep.equal([tree.count.value, tree.sum.value]);
    expect(treeDefKey(def)).to.equal('NestedDict["count","sum"](TreefyState<HiddenState>(*),TreefyState<HiddenState>(*))');
    const rebuilt = unflatten(def, [tf.scalar(5, 'int32'), tf.scalar(6)]) as bst.NestedDict;
    expect(rebuilt.toFlat().keys()).to.deep.equal([['count'], ['sum']]);
    expect([values(rebuilt.count.value), values(rebuilt.sum.value)]).to.deep.equal([[5], [6]]);
    expect(rebuilt.sum.type).to.equal(bst.HiddenState);
  });

  it('prints one key=child per line', () => {
    const tree = treefyStates(new TinyLinear(), bst.ParamState);
    expect(tree.toString()).to.equal([
      'NestedDict(',
      '  bias=TreefyState(',
      '    type=ParamState,',
      '    value=Tensor [0],',
      '    tag=undefined',
      '  ),',
      '  weight=TreefyState(',
      '    type=ParamState,',
      '    value=Tensor [[1]],',
      '    tag=undefined',
      '  )',
      ')',
    ].join('\n'));
    expect(new bst.NestedDict().toString()).to.equal('NestedDict()');
  });

  it('graph.states and Module.states give the live states by path', () => {
    const model = new RunningMean();
    const live = bst.graph.states(model);
    expect(live.sum).to.equal(model.sum);
    expect(live.count).to.equal(bst.stateOf(model, 'count'));
    live.count.value = tf.scalar(5, 'int32');
    expect(model.count.arraySync()).to.equal(5);
    const [hiddenLive, none] = model.states(bst.HiddenState, bst.ParamState);
    expect(hiddenLive.toFlat().keys()).to.deep.equal([['count'], ['sum']]);
    expect(none.toFlat().size).to.equal(0);
    // Live trees merge too: the states' current values are used.
    const [graphDef] = treefySplit(model);
    const copy = bst.graph.treefyMerge(graphDef, live);
    expect(copy.count.arraySync()).to.equal(5);
    expect(copy.sum).to.not.equal(model.sum);
  });
});
