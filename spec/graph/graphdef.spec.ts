import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { hidden, param } from '../../decorators';
import { withObserver } from '../../src/state';
import { expectThrowsWith } from '../helpers';
import { Dense, MLP, RunningMean, TinyLinear } from './fixtures';

const { treefySplit, treefyMerge, treefyStates } = bst.graph;

describe('graph: GraphDef', () => {
  it('prints the structure stably: nodes with their slots, then states', () => {
    expect(bst.graph.graphDef(new MLP()).toString()).to.equal(`GraphDef(
  nodes=[
    #0 MLP(
      path=[],
      act=static 'relu',
      config=static <Config>,
      gain=static 2,
      layers=node#1 Array,
      mask=static Tensor[3] float32,
      sizes=static [2, 3, 1],
      steps=state#4 LongTermState
    ),
    #1 Array(
      path=['layers'],
      0=node#2 Dense,
      1=node#3 Dense
    ),
    #2 Dense(
      path=['layers', 0],
      b=state#0 ParamState (decorated),
      w=state#1 ParamState (decorated)
    ),
    #3 Dense(
      path=['layers', 1],
      b=state#2 ParamState (decorated),
      w=state#3 ParamState (decorated)
    )
  ],
  states=[
    #0 ParamState(path=['layers', 0, 'b'], name='b', tag='bias'),
    #1 ParamState(path=['layers', 0, 'w'], name='w', tag=undefined),
    #2 ParamState(path=['layers', 1, 'b'], name='b', tag='bias'),
    #3 ParamState(path=['layers', 1, 'w'], name='w', tag=undefined),
    #4 LongTermState(path=['steps'], name=undefined, tag='stats')
  ]
)`);
  });

  it('prints shared and cyclic references as node indices', () => {
    class Loop extends bst.nn.Module {
      @hidden v = tf.scalar(0);
      self: Loop;
      peers: Map<string, Loop>;
      constructor() {
        super();
        this.self = this;
        this.peers = new Map([['me', this]]);
      }
    }
    expect(bst.graph.graphDef(new Loop()).toString()).to.equal(`GraphDef(
  nodes=[
    #0 Loop(
      path=[],
      peers=node#1 Map,
      self=node#0 Loop,
      v=state#0 HiddenState (decorated)
    ),
    #1 Map(
      path=['peers'],
      me=node#0 Loop
    )
  ],
  states=[
    #0 HiddenState(path=['v'], name='v', tag=undefined)
  ]
)`);
  });

  it('is frozen, and its hash is stable and tells structures apart', () => {
    const [gd] = treefySplit(new MLP());
    expect(Object.isFrozen(gd)).to.equal(true);
    expect(Object.isFrozen(gd.nodes)).to.equal(true);
    expect(Object.isFrozen(gd.nodes[0].entries)).to.equal(true);
    expect(Object.isFrozen(gd.states[0])).to.equal(true);
    expect(gd.hash).to.match(/^[0-9a-f]{28}$/);
    expect(gd.hash).to.equal(gd.hash);
    // Two TinyLinears share a structure; a different class or field set does not.
    const a = bst.graph.graphDef(new TinyLinear());
    const b = bst.graph.graphDef(new TinyLinear());
    expect([a.hash, a.toString()]).to.deep.equal([b.hash, b.toString()]);
    expect(a.equals(b)).to.equal(true);
    expect(bst.graph.graphDef(new RunningMean()).hash).to.not.equal(a.hash);
    const lin = new TinyLinear();
    (lin as unknown as Record<string, unknown>).extra = 1;
    expect(bst.graph.graphDef(lin).hash).to.not.equal(a.hash);
  });

  it('attributes held by reference enter the hash by identity, not the text', () => {
    // Two MLPs print the same, but their mask tensors and Config objects are different objects.
    const m1 = new MLP();
    const m2 = new MLP();
    const [g1] = treefySplit(m1);
    const [g2] = treefySplit(m2);
    expect(g1.toString()).to.equal(g2.toString());
    expect(g1.hash).to.not.equal(g2.hash);
    expect(g1.equals(g2)).to.equal(false);
    m2.mask = m1.mask;
    m2.config = m1.config;
    m2.sizes = [2, 3, 1]; // plain containers compare by content
    expect(bst.graph.graphDef(m2).hash).to.equal(g1.hash);
  });

  it('carries the root type: merge returns the module class', () => {
    const [gd, tree] = treefySplit(new RunningMean());
    const copy: RunningMean = treefyMerge(gd, tree);
    expect(copy.sum).to.be.instanceOf(bst.HiddenState);
  });

  it('splits and merges a root that is a container of modules', () => {
    const layers = [new Dense(1, 2, 1), new Dense(2, 1, 3)];
    const [gd, tree] = treefySplit(layers);
    expect(tree.toFlat().keys()).to.deep.equal([[0, 'b'], [0, 'w'], [1, 'b'], [1, 'w']]);
    const copy = treefyMerge(gd, tree);
    expect(copy).to.be.an('array').with.length(2);
    expect(copy[1]).to.be.instanceOf(Dense).and.not.equal(layers[1]);
    expect(copy[1].call(tf.ones([1, 2])).arraySync()).to.deep.equal([[6]]);
    expect(bst.graph.nodes(layers).keys()).to.deep.equal([[0], [1]]);
  });

  it('follows decorated fields declared on base classes', () => {
    class Base extends bst.nn.Module {
      @param w = tf.scalar(1);
    }
    class Derived extends Base {
      @hidden h = tf.scalar(2);
      extra = new bst.LongTermState(tf.scalar(3));
    }
    const [gd, tree] = treefySplit(new Derived());
    expect(tree.toFlat().keys()).to.deep.equal([['extra'], ['h'], ['w']]);
    const copy = treefyMerge(gd, tree);
    expect(copy).to.be.instanceOf(Derived);
    expect([copy.w.arraySync(), copy.h.arraySync()]).to.deep.equal([1, 2]);
  });
});

describe('graph: errors', () => {
  it('walking something that is not a module or container', () => {
    expectThrowsWith(() => treefySplit(3 as unknown as object), bst.GraphError,
      'graph.treefySplit: expected an nn.Module', 'received the number 3', 'pass the module itself');
    expectThrowsWith(() => treefyStates(new bst.ParamState(tf.scalar(1))), bst.GraphError,
      'graph.treefyStates:', 'an instance of ParamState', 'put it in a module field');
  });

  it('a Map holding modules under a key that is not a string or number', () => {
    class Keyed extends bst.nn.Module {
      byObject = new Map<object, Dense>([[{}, new Dense(1, 1, 1)]]);
    }
    expectThrowsWith(() => treefySplit(new Keyed()), bst.GraphError, 'graph.treefySplit: expected the keys of a Map',
      "the Map at ['byObject'] has a key that is an instance of Object", 'key it by a string or number');
    class Harmless extends bst.nn.Module {
      byObject = new Map<object, number>([[{}, 1]]); // no states inside: a static attribute
    }
    expect(treefyStates(new Harmless()).toFlat().size).to.equal(0);
  });

  it('merge with a missing tree names the missing paths', () => {
    const [gd, params] = treefySplit(new MLP(), bst.ParamState, '...');
    expectThrowsWith(() => treefyMerge(gd, params), bst.GraphError,
      'graph.treefyMerge: expected a value for every state of the GraphDef (5), but 1 is in no tree: [\'steps\']',
      'pass every tree treefySplit returned');
  });

  it('merge with a path in two trees, an unknown path, or another kind of state', () => {
    const [gd, params, rest] = treefySplit(new MLP(), bst.ParamState, '...');
    expectThrowsWith(() => treefyMerge(gd, params, rest, params), bst.GraphError,
      "['layers', 0, 'b'] is in tree 1 and tree 3");
    const extra = new bst.NestedDict({ bogus: new bst.TreefyState(bst.ParamState, tf.scalar(0)) });
    expectThrowsWith(() => treefyMerge(gd, params, rest, extra), bst.GraphError,
      "expected only paths of the GraphDef's states, but the trees also hold ['bogus']");
    const wrongKind = rest.map((s) => new bst.TreefyState(bst.HiddenState, s.value));
    expectThrowsWith(() => treefyMerge(gd, params, wrongKind), bst.GraphError,
      "expected a LongTermState at ['steps'] (as the GraphDef records), but tree 2 holds a HiddenState there");
    const notLeaf = rest.map(() => 5 as unknown as bst.TreefyState);
    expectThrowsWith(() => treefyMerge(gd, params, notLeaf), bst.GraphError,
      "expected a TreefyState (or State) at ['steps']", 'the number 5');
    expectThrowsWith(() => treefyMerge({} as bst.graph.GraphDef<MLP>, params), bst.GraphError,
      'expected a GraphDef as the first argument');
  });

  it('a failed merge makes no states (so it holds no tensor)', () => {
    const created: unknown[] = [];
    const [gd, params] = treefySplit(new MLP(), bst.ParamState, '...');
    withObserver({ read: (s) => s.rawValue(), write: (s, v) => s.setRaw(v), created: (s) => created.push(s) }, () => {
      expect(() => treefyMerge(gd, params)).to.throw(bst.GraphError);
    });
    expect(created).to.deep.equal([]);
  });
});
