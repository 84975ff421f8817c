import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { hidden, param } from '../../decorators';
import { expectThrowsWith } from '../helpers';
import { Dense, MLP, RunningMean, TinyLinear, values } from './fixtures';

const { treefySplit, treefyStates, not, all, any, pathContains } = bst.graph;

/** A ParamState tagged 'fast' (matches both a class filter and a tag filter), and others. */
class Synapse extends bst.nn.Module {
  @param({ tag: 'fast' }) w = tf.tensor1d([1, 2]);
  @param slow = tf.tensor1d([3]);
  @hidden({ tag: 'fast' }) g = tf.zeros([2]);
  @hidden h = tf.zeros([1]);
}

const keysOf = (t: bst.NestedDict<unknown>): unknown[] => t.toFlat().keys();

describe('graph: filters', () => {
  it('a State subclass selects its instances, subclasses included', () => {
    const mlp = new MLP();
    expect(keysOf(treefyStates(mlp, bst.LongTermState))).to.deep.equal([
      ['layers', 0, 'b'], ['layers', 0, 'w'], ['layers', 1, 'b'], ['layers', 1, 'w'], ['steps'],
    ]);
    expect(keysOf(treefyStates(mlp, bst.ShortTermState))).to.deep.equal([]);
    expect(keysOf(treefyStates(new RunningMean(), bst.ShortTermState))).to.deep.equal([['count'], ['sum']]);
  });

  it('a tag string selects states with that tag', () => {
    const s = new Synapse();
    expect(keysOf(treefyStates(s, 'fast'))).to.deep.equal([['g'], ['w']]);
    expect(keysOf(treefyStates(new MLP(), 'bias'))).to.deep.equal([['layers', 0, 'b'], ['layers', 1, 'b']]);
    expect(keysOf(treefyStates(s, 'nope'))).to.deep.equal([]);
  });

  it('a predicate sees each path and state', () => {
    const seen: string[] = [];
    const firstLayer = (path: bst.graph.Path, st: bst.graph.FilterTarget): boolean => {
      seen.push(`${path.join('/')}:${(st as bst.State).constructor.name}`);
      return path[0] === 'layers' && path[1] === 0;
    };
    const [graphDef, first, rest] = treefySplit(new MLP(), firstLayer, '...');
    expect(keysOf(first)).to.deep.equal([['layers', 0, 'b'], ['layers', 0, 'w']]);
    expect(keysOf(rest)).to.deep.equal([['layers', 1, 'b'], ['layers', 1, 'w'], ['steps']]);
    expect(seen).to.deep.equal(['layers/0/b:ParamState', 'layers/0/w:ParamState', 'layers/1/b:ParamState',
      'layers/1/w:ParamState', 'steps:LongTermState']);
    expect(graphDef.states).to.have.length(5);
    const bigOnes = treefyStates(new MLP(), (_p, st: bst.State) => st.value.size > 3);
    expect(keysOf(bigOnes)).to.deep.equal([['layers', 0, 'w']]);
  });

  it('each state goes to the first filter that matches it: order decides', () => {
    const s = new Synapse();
    const [, params, fast, rest] = treefySplit(s, bst.ParamState, 'fast', '...');
    expect([keysOf(params), keysOf(fast), keysOf(rest)]).to.deep.equal([[['slow'], ['w']], [['g']], [['h']]]);
    const [, fast2, params2, rest2] = treefySplit(s, 'fast', bst.ParamState, '...');
    expect([keysOf(fast2), keysOf(params2), keysOf(rest2)]).to.deep.equal([[['g'], ['w']], [['slow']], [['h']]]);
    const [p3, f3] = treefyStates(s, bst.ParamState, 'fast');
    expect([keysOf(p3), keysOf(f3)]).to.deep.equal([[['slow'], ['w']], [['g']]]);
  });

  it("'...' and true take everything left, only as the last filter", () => {
    const s = new Synapse();
    const [, params, restTrue] = treefySplit(s, bst.ParamState, true);
    expect(keysOf(restTrue)).to.deep.equal([['g'], ['h']]);
    expect(keysOf(params)).to.deep.equal([['slow'], ['w']]);
    expectThrowsWith(() => treefySplit(s, '...', bst.ParamState), bst.FilterError,
      "graph.treefySplit: expected '...' (everything left) only as the last filter",
      'filter 1 of 2', "('...', ParamState)", 'move it to the end');
    expectThrowsWith(() => treefyStates(s, true, 'fast'), bst.FilterError, 'graph.treefyStates: expected true');
    expectThrowsWith(() => s.states('...', bst.HiddenState), bst.FilterError, 'graph.states');
  });

  it('treefySplit must cover every state: the error lists the uncovered paths and suggests \'...\'', () => {
    const mlp = new MLP();
    const e = expectThrowsWith(() => treefySplit(mlp, 'bias', bst.HiddenState), bst.FilterError,
      'graph.treefySplit: expected every state to match one of the filters (tag \'bias\', HiddenState)',
      "but 3 states match none: ['layers', 0, 'w'] (ParamState), ['layers', 1, 'w'] (ParamState), " +
      "['steps'] (LongTermState)", "add '...' as the last filter");
    expect(e.message).to.not.contain("'b'");
    expectThrowsWith(() => treefySplit(new RunningMean(), bst.ParamState), bst.FilterError,
      "2 states match none: ['count'] (HiddenState), ['sum'] (HiddenState)");
    // treefyStates, states and NestedDict.filter are not exhaustive.
    expect(keysOf(treefyStates(mlp, bst.HiddenState))).to.deep.equal([]);
  });

  it('an array matches any of its filters', () => {
    const s = new Synapse();
    expect(keysOf(treefyStates(s, [bst.HiddenState, 'fast']))).to.deep.equal([['g'], ['h'], ['w']]);
  });

  it('not, all, any and pathContains combine filters', () => {
    const s = new Synapse();
    expect(keysOf(treefyStates(s, not(bst.ParamState)))).to.deep.equal([['g'], ['h']]);
    expect(keysOf(treefyStates(s, all(bst.ParamState, 'fast')))).to.deep.equal([['w']]);
    expect(keysOf(treefyStates(s, any(bst.HiddenState, 'fast')))).to.deep.equal([['g'], ['h'], ['w']]);
    expect(keysOf(treefyStates(s, all(not('fast'), bst.HiddenState)))).to.deep.equal([['h']]);
    const mlp = new MLP();
    expect(keysOf(treefyStates(mlp, pathContains(1)))).to.deep.equal([['layers', 1, 'b'], ['layers', 1, 'w']]);
    expect(keysOf(treefyStates(mlp, all(pathContains('layers'), not('bias'))))).to.deep.equal([
      ['layers', 0, 'w'], ['layers', 1, 'w']]);
    expectThrowsWith(() => treefySplit(mlp, all(bst.ParamState, 'bias')), bst.FilterError,
      "the filters (all(ParamState, tag 'bias'))");
  });

  it('a class filter also matches TreefyStates of that type or a subclass', () => {
    const all_ = treefyStates(new Synapse());
    expect(keysOf(all_.filter(bst.ParamState))).to.deep.equal([['slow'], ['w']]);
    expect(keysOf(all_.filter(bst.LongTermState))).to.deep.equal([['slow'], ['w']]);
    expect(keysOf(all_.filter(bst.ShortTermState))).to.deep.equal([['g'], ['h']]);
    const [fast, rest] = all_.filter('fast', '...');
    expect([keysOf(fast), keysOf(rest)]).to.deep.equal([[['g'], ['w']], [['h'], ['slow']]]);
    expect(values(all_.filter(bst.ParamState).w.value)).to.deep.equal([1, 2]);
  });

  it('a malformed filter is a FilterError naming it and listing the valid forms', () => {
    const bad = 3 as unknown as bst.graph.Filter;
    expectThrowsWith(() => treefyStates(new TinyLinear(), bst.ParamState, bad), bst.FilterError,
      'graph.treefyStates: expected filter 2 to be a State (or Module) subclass', "'...'", 'a tag string',
      'a predicate', 'graph.not', 'but received the number 3');
    expectThrowsWith(() => treefyStates(new TinyLinear(), [bst.ParamState, null as unknown as bst.graph.Filter]),
      bst.FilterError, 'filter 1[1]', 'received null');
  });

  it('Module subclasses filter nodes', () => {
    const mlp = new MLP();
    expect(bst.graph.nodes(mlp).keys()).to.deep.equal([[], ['layers', 0], ['layers', 1]]);
    expect(bst.graph.nodes(mlp, Dense).keys()).to.deep.equal([['layers', 0], ['layers', 1]]);
    const [dense, others] = mlp.nodes(Dense, '...');
    expect(dense.size).to.equal(2);
    expect(others.keys()).to.deep.equal([[]]);
    expect(others.get([])).to.equal(mlp);
  });
});
