/**
 * graph.clone, popStates, updateStates, iterLeaf / iterNode, flatten / unflatten.
 * Cases titled `Class.test_name` are ported from BrainState's own suite
 * (brainstate/graph/_operation_test.py and _flatten_test.py, chaobrain/brainstate
 * e5eb83c); the others check what the port adds (paths, order, atomic failures).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { GraphError } from '../../src/errors';
import { expectThrowsWith } from '../helpers';
import { Dense, MLP, TinyLinear, values } from './fixtures';

const { graph } = bst;

/** BrainState's `_Net`: two parameter states. */
class Net extends bst.nn.Module {
  w = new bst.ParamState(tf.ones([2]));
  b = new bst.ParamState(tf.zeros([2]));
}

/** Any fields, as BrainState's `Box(graph.Node)`. */
class Box extends bst.nn.Module {
  [k: string]: unknown;
  constructor(fields: Record<string, unknown> = {}) {
    super();
    Object.assign(this, fields);
  }
}

function linear(nIn: number, nOut: number): bst.nn.Linear {
  return new bst.nn.Linear(nIn, nOut);
}

describe('graph: iterLeaf / iterNode', () => {
  it('TestIter.test_iter_leaf_v1: a module listed twice yields its 3 leaves once', () => {
    const m = new Box({ weight: new bst.ParamState(tf.ones([3, 4])), bias: new bst.ParamState(tf.ones([4])), a: 1 });
    const leaves = [...graph.iterLeaf([m, m])];
    expect(leaves.length).to.equal(3);
    expect(leaves.map(([p]) => p)).to.deep.equal([[0, 'a'], [0, 'bias'], [0, 'weight']]);
    expect(leaves[0][1]).to.equal(1);
    expect(leaves[2][1]).to.equal(m.weight);
  });

  it('TestIter.test_iter_node_count: [model, model] visits each of the 8 modules once, root last', () => {
    const sub = new Box({ w: new bst.ParamState(tf.ones([2])) });
    const b = linear(2, 3) as unknown as Box;
    (b as unknown as Record<string, unknown>).sub = sub;
    const model = new Box({ a: linear(1, 2), b, c: [linear(3, 4), linear(4, 5)], d: { x: linear(5, 6), y: linear(6, 7) } });
    const nodes = [...graph.iterNode([model, model])];
    expect(nodes.length).to.equal(8);
    expect(nodes.map(([p]) => p)).to.deep.equal([[0, 'a'], [0, 'b', 'sub'], [0, 'b'], [0, 'c', 0], [0, 'c', 1],
      [0, 'd', 'x'], [0, 'd', 'y'], [0]]);
    expect(nodes[7][1]).to.equal(model);
    for (const [path] of graph.iterLeaf(model)) expect(path.length).to.be.greaterThan(0);
  });

  it('TestIter.test_iter_node_hierarchy / TestNodesFunction.test_nodes_with_hierarchy: allowedHierarchy [1, 1]', () => {
    const layer1 = linear(2, 3) as unknown as Record<string, unknown>;
    layer1.sublayer = linear(3, 3);
    const model = new Box({ layer1, b: linear(2, 3) });
    const level1 = [...graph.iterNode(model, { allowedHierarchy: [1, 1] })].map(([p]) => p);
    expect(level1).to.deep.equal([['b'], ['layer1']]);
    expect([...graph.iterNode(model)].length).to.equal(4);
    // Leaves at depth 1 only: the direct sub-modules' own states, not the root's or deeper ones.
    const leaves = [...graph.iterLeaf(model, { allowedHierarchy: [1, 1] })].map(([p]) => p.join('/'));
    expect(leaves).to.include.members(['b/weight', 'layer1/weight']);
    expect(leaves.some((p) => p.startsWith('layer1/sublayer'))).to.equal(false);
  });

  it('TestSharedStateDedup.test_iter_leaf_yields_shared_state_once', () => {
    const shared = new bst.ParamState(tf.ones([2, 2]));
    const model = new Box({ a: shared, z: shared });
    expect([...graph.iterLeaf(model)].filter(([, v]) => v === shared).map(([p]) => p)).to.deep.equal([['a']]);
    expect(graph.states(model).toFlat().size).to.equal(1);
  });

  it('follows cycles once, and rejects a bad allowedHierarchy', () => {
    const a = new Box({ w: new bst.ParamState(tf.scalar(1)) });
    const b = new Box({ parent: a });
    a.child = b;
    expect([...graph.iterNode(a)].map(([p]) => p)).to.deep.equal([['child'], []]);
    expectThrowsWith(() => [...graph.iterNode(a, { allowedHierarchy: [2, -1] as unknown as [number, number] })],
      GraphError, 'graph.iterNode', 'allowedHierarchy');
  });
});

describe('graph: flatten / unflatten', () => {
  it('TestGraphUtils.test_flatten_treey_state / test_flatten: TreefyState leaves, or the live states', () => {
    const a = { a: 1, b: new bst.ParamState(tf.scalar(2)) };
    const g = [a, 3, a, new bst.ParamState(tf.scalar(4))];
    const [, states] = graph.flatten(g);
    expect(states.toFlat().keys()).to.deep.equal([[0, 'b'], [3]]);
    expect(states.get([0, 'b'])).to.be.instanceOf(bst.TreefyState);
    const [, live] = graph.flatten(g, { treefyState: false });
    expect(live.get([0, 'b'])).to.equal(a.b);
    expect(live.get([3])).to.equal(g[3]);
  });

  it('TestGraphUtils.test_unflatten_empty: a missing state path is an error', () => {
    const a = new Box({ a: 1, b: new bst.ParamState(tf.scalar(2)) });
    const g = new Box({ items: [a, 3, a, new bst.ParamState(tf.scalar(4))] });
    const [graphDef] = graph.treefySplit(g);
    expectThrowsWith(() => graph.unflatten(graphDef, new bst.NestedDict()), GraphError, 'graph.unflatten',
      'expected a value for every state');
  });

  it('TestErrorHandling.test_unflatten_with_invalid_graphdef', () => {
    expectThrowsWith(() => graph.unflatten('not_a_graphdef' as unknown as bst.graph.GraphDef, new bst.NestedDict()),
      GraphError, 'graph.unflatten', 'expected a GraphDef');
  });

  it('flatten_test: unflatten puts live states back as they are, and TreefyStates as new states', () => {
    const lin = new TinyLinear();
    const [gd, live] = graph.flatten(lin, { treefyState: false });
    const twin = graph.unflatten(gd, live);
    expect(twin).to.be.instanceOf(TinyLinear).and.not.equal(lin);
    expect(bst.stateOf(twin, 'weight')).to.equal(bst.stateOf(lin, 'weight'));
    const [gd2, detached] = graph.flatten(lin);
    expect(gd2.equals(gd)).to.equal(true);
    const copy = graph.unflatten(gd2, detached);
    expect(bst.stateOf(copy, 'weight')).to.not.equal(bst.stateOf(lin, 'weight'));
    expect(values(copy.weight)).to.deep.equal([1]);
  });

  it('TestGraphUtils.test_shared_variables / TestIntegration.test_recursive_structure round-trip', () => {
    const v = new bst.ParamState(tf.scalar(1));
    const [gd, tree] = graph.flatten([v, v]);
    expect(tree.toFlat().size).to.equal(1);
    const g2 = graph.unflatten(gd, tree) as unknown as bst.State[];
    expect(g2[0]).to.equal(g2[1]);
    const parent = new Box({ weight: new bst.ParamState(tf.scalar(1)) });
    const child = new Box({ weight: new bst.ParamState(tf.scalar(1)), child: parent });
    parent.child = child;
    const [gd3, t3] = graph.flatten(parent);
    const r = graph.unflatten(gd3, t3);
    expect((r.child as Box).child).to.equal(r);
  });
});

describe('graph: clone', () => {
  it('TestGraphDefAndClone.test_clone_function: a Linear copy with its own states', () => {
    const model = linear(2, 3);
    const cloned = graph.clone(model);
    expect(cloned).to.be.instanceOf(bst.nn.Linear).and.not.equal(model);
    expect(cloned.weight).to.not.equal(model.weight);
    const original = values(cloned.weight.value.weight);
    model.weight.value = { weight: tf.add(model.weight.value.weight, 1), bias: (model.weight.value as { bias: tf.Tensor }).bias };
    expect(values(cloned.weight.value.weight)).to.deep.equal(original);
  });

  it('TestGraphDefAndClone.test_clone_preserves_shared_variables (tied weights)', () => {
    const model = new Box({ sharedWeight: new bst.ParamState(tf.ones([2, 2])), layer1: linear(2, 2), layer2: linear(2, 2) });
    (model.layer2 as { weight: unknown }).weight = (model.layer1 as bst.nn.Linear).weight;
    const cloned = graph.clone(model);
    expect((cloned.layer1 as bst.nn.Linear).weight).to.equal((cloned.layer2 as bst.nn.Linear).weight);
    expect((cloned.layer1 as bst.nn.Linear).weight).to.not.equal((model.layer1 as bst.nn.Linear).weight);
  });

  it('TestCloneAndGraphdef.test_clone_is_independent, also for @param fields and through a jit', () => {
    const net = new Net();
    const c = graph.clone(net);
    expect(c).to.not.equal(net);
    expect(c.w).to.not.equal(net.w);
    expect(values(c.w.value)).to.deep.equal(values(net.w.value));
    const d = new Dense(2, 2, 3);
    const dc = graph.clone(d);
    const step = bst.transform.jit((x: tf.Tensor) => { dc.w = tf.add(dc.w, x); });
    step(tf.scalar(1));
    expect(values(dc.w)).to.deep.equal([4, 4, 4, 4]);
    expect(values(d.w)).to.deep.equal([3, 3, 3, 3]);
  });
});

describe('graph: modules holding a RandomState', () => {
  it('split / merge / clone keep the key tensor (no copy); the clone then draws on its own', () => {
    const m = new Box({ rng: new bst.RandomState(5), w: new bst.ParamState(tf.ones([2])) });
    const before = tf.memory().numTensors;
    const c = graph.clone(m);
    expect(tf.memory().numTensors).to.equal(before);
    const rng = c.rng as bst.RandomState;
    expect(rng).to.be.instanceOf(bst.RandomState).and.not.equal(m.rng);
    expect(values(rng.value)).to.deep.equal(values((m.rng as bst.RandomState).value));
    expect(values(rng.normal([3]))).to.deep.equal(values((m.rng as bst.RandomState).normal([3])));
    rng.normal([1]);
    expect(values(rng.value)).to.not.deep.equal(values((m.rng as bst.RandomState).value));
  });
});

describe('graph: popStates', () => {
  it('TestPopStates.test_pop_removes_matching_states', () => {
    const net = new Net();
    const popped = graph.popStates(net, bst.ParamState);
    expect(popped.toFlat().size).to.equal(2);
    expect(Object.prototype.hasOwnProperty.call(net, 'w')).to.equal(false);
    expect(Object.prototype.hasOwnProperty.call(net, 'b')).to.equal(false);
    expect(popped.w).to.be.instanceOf(bst.ParamState);
  });

  it('TestPopStates.test_pop_requires_a_filter / TestErrorHandling.test_pop_states_without_filters', () => {
    expectThrowsWith(() => (graph.popStates as (n: object) => unknown)(new Net()), GraphError,
      'Expected at least one filter');
  });

  it('TestPopStates.test_pop_from_immutable_subnode_raises, and nothing is removed', () => {
    const holder = new Box({ items: [new bst.ParamState(tf.ones([2]))], p: new bst.ParamState(tf.ones([1])) });
    expectThrowsWith(() => graph.popStates(holder, bst.ParamState), GraphError, "['items', 0]", 'nothing was removed');
    expect(graph.states(holder).toFlat().size).to.equal(2);
  });

  it('TestGraphOperation.test_pop_states: by tag; several filters give one tree each', () => {
    const model = new Box({ a: linear(2, 3), dynamic: new bst.ShortTermState(tf.zeros([5]), { tag: 'new' }) });
    const before = graph.states(model).toFlat().size;
    const popped = graph.popStates(model, 'new');
    expect(graph.states(model).toFlat().size).to.equal(before - 1);
    expect('dynamic' in model).to.equal(false);
    expect(popped.toFlat().keys()).to.deep.equal([['dynamic']]);
    const mlp = new MLP();
    const [params, stats] = graph.popStates(mlp, bst.ParamState, 'stats');
    expect(params.toFlat().keys()).to.deep.equal([['layers', 0, 'b'], ['layers', 0, 'w'], ['layers', 1, 'b'],
      ['layers', 1, 'w']]);
    expect(stats.toFlat().keys()).to.deep.equal([['steps']]);
    expect(mlp.layers[0].w).to.equal(undefined);   // @param field: the decorated state is gone
  });

  it('TestPopStatesSharedAliases.test_pop_removes_all_aliases_plain_node / test_pop_removes_tied_weights', () => {
    const s = new bst.ParamState(tf.zeros([1]));
    const t = new Box({ a: s, b: s });
    const popped = graph.popStates(t, bst.ParamState);
    expect(popped.toFlat().size).to.equal(1);
    expect('a' in t || 'b' in t).to.equal(false);
    const foo = new Box({ bar: linear(2, 2), baz: linear(2, 2) });
    (foo.baz as { weight: unknown }).weight = (foo.bar as bst.nn.Linear).weight;
    expect(graph.popStates(foo, bst.ParamState).toFlat().size).to.equal(1);
    expect(graph.states(foo).toFlat().size).to.equal(0);
  });

  it('TestPopStatesSharedAliases.test_pop_unshared_state_unaffected', () => {
    const n = new Box({ p: new bst.ParamState(tf.zeros([2])), q: new bst.ShortTermState(tf.zeros([2])) });
    expect(graph.popStates(n, bst.ParamState).toFlat().size).to.equal(1);
    expect('p' in n).to.equal(false);
    expect('q' in n).to.equal(true);
  });
});

describe('graph: updateStates', () => {
  it('TestUpdateStates.test_update_readds_popped_keys / test_update_readds_popped_states_as_live_states', () => {
    const net = new Net();
    const w = net.w;
    const popped = graph.popStates(net, bst.ParamState);
    graph.updateStates(net, popped);
    expect(net.w).to.equal(w);
    expect(values(net.w.value)).to.deep.equal([1, 1]);
    expect(graph.states(net).toFlat().size).to.equal(2);
    expect(graph.treefySplit(net)[1].toFlat().size).to.equal(2);
  });

  it('TestUpdateStates.test_graft_treefy_states_under_new_key_materializes_live (also @param fields)', () => {
    const net = new Net();
    const treefy = graph.treefyStates(net);
    graph.popStates(net, bst.ParamState);
    graph.updateStates(net, treefy);
    expect(net.w).to.be.instanceOf(bst.ParamState);
    expect(graph.states(net).toFlat().size).to.equal(2);
    const d = new Dense(1, 1, 2);
    const dt = graph.treefyStates(d);
    graph.popStates(d, bst.ParamState);
    graph.updateStates(d, dt);
    expect(values(d.w)).to.deep.equal([2]);
    expect(bst.stateOf(d, 'w')).to.be.instanceOf(bst.ParamState);
  });

  it('TestUpdateStates.test_update_merges_multiple_mappings, FlatDicts accepted', () => {
    const net = new Net();
    const [, full] = graph.treefySplit(net);
    graph.updateStates(net, full, new bst.NestedDict());
    expect(values(net.w.value)).to.deep.equal([1, 1]);
    const doubled = full.map((s) => s.replace(tf.mul(s.value, 2)));
    graph.updateStates(net, doubled.filter('...').toFlat());
    expect(values(net.w.value)).to.deep.equal([2, 2]);
  });

  it('TestUpdateStates.test_update_existing_key_with_raw_state: live States write their values', () => {
    const src = new Net();
    src.w.value = tf.fill([2], 7);
    src.b.value = tf.fill([2], 9);
    const popped = graph.popStates(src, bst.ParamState);
    const tgt = new Net();
    const w = tgt.w;
    graph.updateStates(tgt, popped);
    expect(tgt.w).to.equal(w);
    expect(values(tgt.w.value)).to.deep.equal([7, 7]);
    expect(values(tgt.b.value)).to.deep.equal([9, 9]);
  });

  it('TestUpdateStates.test_update_unsupported_value_type_raises / ..._non_state_raw_value_raises / test_update_subgraph_with_state_leaf_raises', () => {
    const net = new Net();
    expectThrowsWith(() => graph.updateStates(net, new bst.NestedDict<unknown>({ w: 12345 }) as never), GraphError,
      "['w']", 'TreefyStates or States');
    const mixed = new Box({ w: new bst.ParamState(tf.ones([2])), tag: 'plain' });
    expectThrowsWith(() => graph.updateStates(mixed, new bst.NestedDict({ tag: new bst.TreefyState(bst.ParamState, tf.zeros([2])) })),
      GraphError, "['tag']", 'non-state attribute');
    const outer = new Box({ sub: new Net() });
    expectThrowsWith(() => graph.updateStates(outer, new bst.NestedDict({ sub: new bst.TreefyState(bst.ParamState, tf.ones([])) })),
      GraphError, "['sub']", 'Expected a subgraph');
  });

  it('TestErrorHandling.test_update_states_immutable_node: no grafting into containers', () => {
    const node = [1, 2, new bst.ParamState(tf.scalar(3))];
    expectThrowsWith(() => graph.updateStates(node, new bst.NestedDict({ 5: new bst.TreefyState(bst.ParamState, tf.scalar(10)) })),
      GraphError, 'containers are immutable');
  });

  it('TestIntegration.test_complex_graph_operations: doubled tree written back through shared modules', () => {
    const shared = new Box({ weight: new bst.ParamState(tf.ones([2, 2])) });
    const layer2 = linear(3, 4) as unknown as Record<string, unknown>;
    layer2.sharedRef = shared;
    const model = new Box({ shared, layer1: linear(2, 3), layer2, nested: { a: linear(4, 5), b: [linear(5, 6), shared] } });
    const [gd, state] = graph.treefySplit(model);
    const rebuilt = graph.treefyMerge(gd, state);
    expect(rebuilt.shared).to.equal((rebuilt.layer2 as Record<string, unknown>).sharedRef);
    expect(rebuilt.shared).to.equal((rebuilt.nested as { b: unknown[] }).b[1]);
    const doubled = state.map((s) => s.replace(tf.tidy(() => (s.value instanceof tf.Tensor ? tf.mul(s.value, 2)
      : Object.fromEntries(Object.entries(s.value as Record<string, tf.Tensor>).map(([k, v]) => [k, tf.mul(v, 2)]))) as tf.Tensor)));
    graph.updateStates(model, doubled);
    expect(values((shared.weight as bst.State).value)).to.deep.equal([2, 2, 2, 2]);
  });

  it('a failing update changes nothing, and writes inside a jit are state writes', () => {
    const net = new Net();
    const bad = new bst.NestedDict({ b: new bst.TreefyState(bst.ParamState, tf.fill([2], 5)), zz: new bst.NestedDict({ q: new bst.TreefyState(bst.ParamState, tf.ones([1])) }) });
    expectThrowsWith(() => graph.updateStates(net, bad), GraphError, "['zz']", 'only single states can be grafted');
    expect(values(net.b.value)).to.deep.equal([0, 0]);
    const step = bst.transform.jit((x: tf.Tensor) => {
      graph.updateStates(net, new bst.NestedDict({ b: new bst.TreefyState(bst.ParamState, tf.add(net.b.value, x)) }));
    });
    step(tf.ones([2]));
    step(tf.ones([2]));
    expect(values(net.b.value)).to.deep.equal([2, 2]);
    expect(step.traceCount).to.equal(1);
  });
});
