import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { hidden, jit, jitted } from '../../decorators';
import { holderCount, withObserver, State, StateValue, StateObserver } from '../../src/state';
import { Config, Dense, MLP, RunningMean, TinyLinear, TinyLinearExplicit, values } from './fixtures';

const { treefySplit, treefyMerge, treefyStates } = bst.graph;

describe('graph: the seed examples', () => {
  for (const [label, Ctor] of [['explicit ParamState fields', TinyLinearExplicit], ['@param fields', TinyLinear]] as const) {
    it(`TinyLinear (${label}): treefySplit and treefyStates give paths [['bias'], ['weight']]`, () => {
      const lin = new Ctor();
      const [graphDef, paramTree, otherStates] = treefySplit(lin, bst.ParamState, '...');
      expect(paramTree.toFlat().keys()).to.deep.equal([['bias'], ['weight']]);
      expect(otherStates.toFlat().keys()).to.deep.equal([]);
      const paramsOnly = treefyStates(lin, bst.ParamState);
      expect(paramsOnly.toFlat().keys()).to.deep.equal([['bias'], ['weight']]);
      expect(graphDef.typeName).to.equal(Ctor.name);
      // The leaves hold the live states' tensors themselves, not copies.
      expect(paramTree.weight.value).to.equal(bst.stateOf(lin, 'weight').value);
      expect(values(paramsOnly.bias.value)).to.deep.equal([0]);
    });
  }

  it('RunningMean without jit: split once, then merge / call / treefyStates each step', () => {
    const model = new RunningMean();
    const [graphDef, hiddenStateTree] = treefySplit(model, bst.HiddenState);
    let stateTree = hiddenStateTree;
    const means: string[] = [];
    for (let step = 0; step < 3; step++) {
      const batch = tf.add(tf.range(0, 4), step);
      const module = treefyMerge(graphDef, stateTree);
      expect(module).to.be.instanceOf(RunningMean).and.not.equal(model);
      const mean = module.call(batch);
      stateTree = treefyStates(module, bst.HiddenState);
      means.push((mean.arraySync() as number).toFixed(2));
    }
    expect(means).to.deep.equal(['1.50', '2.00', '2.50']);
    expect(stateTree.count.value.arraySync()).to.equal(12);
    expect(stateTree.count.value.dtype).to.equal('int32');
    expect(stateTree.sum.value.arraySync()).to.equal(30);
    // The module that was split is untouched.
    expect(model.count.arraySync()).to.equal(0);
    expect(model.sum.value.arraySync()).to.equal(0);
    expect(bst.stateOf(model, 'count').value.isDisposed).to.equal(false);
  });

  it('RunningMean through transform.jit, as the seed\'s "Working directly with jax.jit"', () => {
    const model = new RunningMean();
    const [graphDef, hiddenStateTree] = treefySplit(model, bst.HiddenState);
    const runningMeanStateless = (stateTree: bst.NestedDict, batch: tf.Tensor): [tf.Tensor, bst.NestedDict] => {
      const module = treefyMerge(graphDef, stateTree);
      const out = module.call(batch);
      return [out, treefyStates(module, bst.HiddenState)];
    };
    const jitted = bst.transform.jit(runningMeanStateless);
    let stateTree = hiddenStateTree;
    const means: string[] = [];
    for (let step = 0; step < 3; step++) {
      const [mean, next] = jitted(stateTree, tf.add(tf.range(0, 4), step));
      stateTree = next;
      means.push((mean.arraySync() as number).toFixed(2));
    }
    expect(means).to.deep.equal(['1.50', '2.00', '2.50']);
    expect([stateTree.count.value.arraySync(), stateTree.sum.value.arraySync()]).to.deep.equal([12, 30]);
    expect(stateTree.count.type).to.equal(bst.HiddenState);
    expect(jitted.traceCount).to.equal(1); // the trees flatten to the same signature every step
    expect(model.count.arraySync()).to.equal(0);
  });

  it('merge makes a new module of the same class with new states around the same tensors', () => {
    const lin = new TinyLinear();
    const [graphDef, params, others] = treefySplit(lin, bst.ParamState, '...');
    const w = bst.stateOf(lin, 'weight').value;
    expect(holderCount(w)).to.equal(1);
    const copy = treefyMerge(graphDef, params, others);
    expect(copy).to.be.instanceOf(TinyLinear);
    const wCopy = bst.stateOf(copy, 'weight');
    expect(wCopy).to.be.instanceOf(bst.ParamState).and.not.equal(bst.stateOf(lin, 'weight'));
    expect(wCopy.name).to.equal('weight');
    expect(wCopy.value).to.equal(w);
    expect(holderCount(w)).to.equal(2);
    // Methods and decorated fields work; writing the copy leaves the original alone.
    expect(values(copy.call(tf.tensor2d([[3]])))).to.deep.equal([3]);
    copy.weight = tf.tensor2d([[5]]);
    expect(values(copy.call(tf.tensor2d([[3]])))).to.deep.equal([15]);
    expect(values(lin.weight)).to.deep.equal([1]);
    expect(w.isDisposed).to.equal(false);
    expect(holderCount(w)).to.equal(1);
  });

  it('a merged module gets its own @jit methods, running on its own states', () => {
    class Counter extends bst.nn.Module {
      @hidden count = tf.scalar(0);
      @jit() step(x: tf.Tensor): tf.Tensor {
        this.count = tf.add(this.count, x);
        return this.count;
      }
    }
    const original = new Counter();
    original.step(tf.scalar(1));
    const [graphDef, tree] = treefySplit(original);
    const copy = treefyMerge(graphDef, tree);
    expect(copy.step).to.not.equal(original.step);
    copy.step(tf.scalar(10));
    copy.step(tf.scalar(10));
    expect([copy.count.arraySync(), original.count.arraySync()]).to.deep.equal([21, 1]);
    expect(jitted(copy.step).traceCount).to.equal(1);
  });

  it('split and merge allocate no tensors', () => {
    const model = new MLP();
    const before = tf.memory().numTensors;
    const [graphDef, ...trees] = treefySplit(model, bst.ParamState, '...');
    treefyMerge(graphDef, ...trees);
    treefyStates(model);
    expect(tf.memory().numTensors).to.equal(before);
  });
});

describe('graph: structure', () => {
  it('walks nested modules in arrays, each level sorted by key', () => {
    const model = new MLP();
    const [, params, rest] = treefySplit(model, bst.ParamState, '...');
    expect(params.toFlat().keys()).to.deep.equal([
      ['layers', 0, 'b'], ['layers', 0, 'w'], ['layers', 1, 'b'], ['layers', 1, 'w'],
    ]);
    expect(rest.toFlat().keys()).to.deep.equal([['steps']]);
    expect(values(params.layers[1].w.value)).to.deep.equal([1, 1, 1]);
    expect(params.get(['layers', 0, 'w'])).to.equal(params.layers[0].w);
  });

  it('rebuilds nested modules with working methods and non-state attributes by reference', () => {
    const model = new MLP();
    const [graphDef, ...trees] = treefySplit(model, bst.ParamState, '...');
    const copy = treefyMerge(graphDef, ...trees);
    expect(copy.layers).to.be.an('array').with.length(2).and.not.equal(model.layers);
    expect(copy.layers[0]).to.be.instanceOf(Dense).and.not.equal(model.layers[0]);
    expect(copy.act).to.equal('relu');
    expect(copy.gain).to.equal(2);
    expect(copy.mask).to.equal(model.mask);
    expect(copy.config).to.equal(model.config).and.be.instanceOf(Config);
    expect(copy.sizes).to.equal(model.sizes);
    const x = tf.tensor2d([[1, 2]]);
    const expected = values(model.call(x));
    expect(values(copy.call(x))).to.deep.equal(expected);
    expect(expected).to.deep.equal([6]); // relu(x·0.5) = 1.5 each; mask keeps 2 → 3 · 1 · gain 2
    expect(copy.steps.value.arraySync()).to.equal(1);
  });

  it('walks Maps of modules, numbers ascending before strings', () => {
    class Bank extends bst.nn.Module {
      blocks = new Map<string | number, Dense>([
        ['b', new Dense(1, 1, 1)], [10, new Dense(1, 1, 2)], ['a', new Dense(1, 1, 3)], [2, new Dense(1, 1, 4)],
      ]);
    }
    const bank = new Bank();
    const tree = treefyStates(bank, 'bias');
    expect(tree.toFlat().keys()).to.deep.equal([['blocks', 2, 'b'], ['blocks', 10, 'b'], ['blocks', 'a', 'b'],
      ['blocks', 'b', 'b']]);
    const [graphDef, all] = treefySplit(bank);
    const copy = treefyMerge(graphDef, all);
    expect(copy.blocks).to.be.instanceOf(Map).and.not.equal(bank.blocks);
    expect([...copy.blocks.keys()]).to.deep.equal([2, 10, 'a', 'b']);
    expect(values(copy.blocks.get('a')!.w)).to.deep.equal([3]);
    expect(values((all.get(['blocks', 10, 'w']) as bst.TreefyState).value)).to.deep.equal([2]);
  });

  it('walks plain objects of states and modules; containers without states stay static', () => {
    class Holder extends bst.nn.Module {
      parts = { z: new bst.HiddenState(tf.scalar(1)), a: { inner: new Dense(1, 1, 7) } };
      table = { lr: 0.1, names: ['x'] };
    }
    const h = new Holder();
    const [graphDef, tree] = treefySplit(h);
    expect(tree.toFlat().keys()).to.deep.equal([['parts', 'a', 'inner', 'b'], ['parts', 'a', 'inner', 'w'],
      ['parts', 'z']]);
    const copy = treefyMerge(graphDef, tree);
    expect(copy.parts).to.not.equal(h.parts);
    expect(copy.parts.a.inner).to.be.instanceOf(Dense);
    expect(copy.table).to.equal(h.table);
  });

  it('a shared sub-module appears once, at its first path, and merge restores the sharing', () => {
    class Tied extends bst.nn.Module {
      enc = new Dense(2, 2, 1);
      dec: Dense;
      constructor() {
        super();
        this.dec = this.enc;
      }
    }
    const tied = new Tied();
    const [graphDef, tree] = treefySplit(tied);
    expect(tree.toFlat().keys()).to.deep.equal([['dec', 'b'], ['dec', 'w']]);
    expect(graphDef.states).to.have.length(2);
    expect(bst.graph.nodes(tied).keys()).to.deep.equal([[], ['dec']]);
    const copy = treefyMerge(graphDef, tree);
    expect(copy.enc).to.equal(copy.dec);
    expect(copy.enc).to.not.equal(tied.enc);
    copy.enc.w = tf.ones([2, 2]);
    expect(bst.stateOf(copy.dec, 'w')).to.equal(bst.stateOf(copy.enc, 'w'));
  });

  it('a state held by two fields appears once and merge restores the sharing', () => {
    const s = new bst.ParamState(tf.scalar(4));
    class Two extends bst.nn.Module {
      b = s;
      a = s;
    }
    const [graphDef, tree] = treefySplit(new Two());
    expect(tree.toFlat().keys()).to.deep.equal([['a']]);
    const copy = treefyMerge(graphDef, tree);
    expect(copy.a).to.equal(copy.b).and.not.equal(s);
    expect(copy.a.value).to.equal(s.value);
  });

  it('a cycle terminates, and merge rebuilds the cycle', () => {
    class Cell extends bst.nn.Module {
      v = new bst.HiddenState(tf.scalar(0));
      next: Cell | undefined;
      parent: { owner: Cell } | undefined;
    }
    const a = new Cell();
    const b = new Cell();
    b.v.value = tf.scalar(1);
    a.next = b;
    b.next = a;
    a.parent = { owner: a };
    const [graphDef, tree] = treefySplit(a);
    expect(tree.toFlat().keys()).to.deep.equal([['next', 'v'], ['v']]);
    expect(graphDef.nodes.map((n) => n.path)).to.deep.equal([[], ['next'], ['parent']]);
    const copy = treefyMerge(graphDef, tree);
    expect(copy.next!.next).to.equal(copy);
    expect(copy.parent!.owner).to.equal(copy);
    expect(copy.next!.parent).to.equal(undefined);
    expect(copy.next!.v.value.arraySync()).to.equal(1);
    expect(copy.v.value.arraySync()).to.equal(0);
  });

  it('split → merge → split gives the same GraphDef and the same paths and values', () => {
    const model = new MLP();
    model.call(tf.tensor2d([[1, 1]]));
    const [gd1, p1, r1] = treefySplit(model, bst.ParamState, '...');
    const [gd2, p2, r2] = treefySplit(treefyMerge(gd1, p1, r1), bst.ParamState, '...');
    expect(gd2.toString()).to.equal(gd1.toString());
    expect(gd2.hash).to.equal(gd1.hash);
    expect(gd2.equals(gd1)).to.equal(true);
    for (const [a, b] of [[p1, p2], [r1, r2]]) {
      expect(b.toFlat().keys()).to.deep.equal(a.toFlat().keys());
      const va = a.toFlat().values();
      b.toFlat().values().forEach((leaf, i) => {
        expect(leaf.type).to.equal(va[i].type);
        expect(leaf.tag).to.equal(va[i].tag);
        expect(leaf.value).to.equal(va[i].value);
      });
    }
    expect(r2.steps.value.arraySync()).to.equal(1);
  });

  it('walking reads raw values: no state read is reported to an active transform', () => {
    const reads: string[] = [];
    const created: State<StateValue>[] = [];
    const observer: StateObserver = {
      read: (s) => { reads.push(s.label()); return s.rawValue(); },
      write: (s, v) => s.setRaw(v),
      created: (s) => { created.push(s); },
    };
    const model = new RunningMean();
    const [graphDef, tree] = treefySplit(model, bst.HiddenState);
    withObserver(observer, () => {
      treefyStates(model);
      bst.graph.states(model);
      treefySplit(model, '...');
      const copy = treefyMerge(graphDef, tree);
      expect(created).to.have.length(2); // the merged states are made with their normal constructor
      expect(created).to.include(copy.sum);
      expect(tree.toString()).to.contain('value=Tensor[] float32'); // no value read while tracing
    });
    expect(reads).to.deep.equal([]);
  });
});
