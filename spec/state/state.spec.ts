import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { holderCount, withObserver, StateObserver, State, StateValue } from '../../src/state';
import { expectNoLeaks, expectThrowsWith } from '../helpers';

describe('State', () => {
  it('holds a tensor, reads and writes it through .value', () => {
    const s = new bst.State(tf.tensor1d([1, 2, 3]), { name: 'x', tag: 'demo' });
    expect(Array.from(s.value.dataSync())).to.deep.equal([1, 2, 3]);
    s.value = tf.tensor1d([4, 5, 6]);
    expect(Array.from(s.value.dataSync())).to.deep.equal([4, 5, 6]);
    expect(s.name).to.equal('x');
    expect(s.tag).to.equal('demo');
  });

  it('prints its kind, value shape and dtype, and tag', () => {
    const p = new bst.ParamState(tf.zeros([2, 3]));
    expect(p.toString()).to.equal('ParamState(value=Tensor[2,3] float32, tag=undefined)');
    const h = new bst.HiddenState({ w: tf.zeros([2], 'int32'), b: [tf.ones([1])] }, { tag: 'syn' });
    expect(h.toString()).to.equal('HiddenState(value={w: Tensor[2] int32, b: [Tensor[1] float32]}, tag=syn)');
  });

  it('has the kinds of BrainState, with their inheritance', () => {
    const v = tf.scalar(0);
    expect(new bst.HiddenState(v)).to.be.instanceOf(bst.ShortTermState);
    expect(new bst.ParamState(v)).to.be.instanceOf(bst.LongTermState);
    expect(new bst.RandomState(v)).to.be.instanceOf(bst.State);
    expect(new bst.ParamState(v)).to.not.be.instanceOf(bst.ShortTermState);
  });

  it('rejects a value that is not a tensor tree, naming the state and the leaf', () => {
    expectThrowsWith(() => new bst.ParamState(3 as unknown as tf.Tensor, { name: 'w' }), bst.StateError,
      "ParamState 'w'", 'the number 3', 'tf.scalar');
    const s = new bst.HiddenState({ a: tf.scalar(1) } as Record<string, tf.Tensor>);
    expectThrowsWith(() => { s.value = { a: 'x' as unknown as tf.Tensor }; }, bst.StateError,
      'value.a is the string "x"');
  });

  it('rejects a disposed tensor', () => {
    const t = tf.scalar(1);
    t.dispose();
    expectThrowsWith(() => new bst.State(t), bst.StateError, 'disposed');
  });

  it('allows writing another shape or dtype outside transforms', () => {
    const s = new bst.State(tf.zeros([2]));
    s.value = tf.zeros([3, 3], 'int32');
    expect(s.value.shape).to.deep.equal([3, 3]);
  });

  describe('memory rule', () => {
    it('keeps its value alive across tf.tidy', () => {
      let s: bst.State | undefined;
      tf.tidy(() => { s = new bst.State(tf.ones([4])); });
      expect(s!.value.isDisposed).to.equal(false);
      tf.tidy(() => { s!.value = tf.zeros([4]); });
      expect(s!.value.isDisposed).to.equal(false);
      expect(Array.from(s!.value.dataSync())).to.deep.equal([0, 0, 0, 0]);
    });

    it('disposes the replaced value when no other state holds it', () => {
      const first = tf.ones([2]);
      const s = new bst.State(first);
      s.value = tf.zeros([2]);
      expect(first.isDisposed).to.equal(true);
    });

    it('keeps a value that another state still holds', () => {
      const shared = tf.ones([2]);
      const a = new bst.State(shared);
      const b = new bst.State(shared);
      expect(holderCount(shared)).to.equal(2);
      a.value = tf.zeros([2]);
      expect(shared.isDisposed).to.equal(false);
      expect(holderCount(shared)).to.equal(1);
      b.value = tf.zeros([2]);
      expect(shared.isDisposed).to.equal(true);
    });

    it('writing the same value again is a no-op', () => {
      const t = tf.ones([2]);
      const s = new bst.State(t);
      s.value = t;
      expect(t.isDisposed).to.equal(false);
      expect(holderCount(t)).to.equal(1);
    });

    it('10,000 writes leave numTensors and numBytes flat', () => {
      const s = new bst.HiddenState(tf.zeros([16]));
      expectNoLeaks(() => {
        for (let i = 0; i < 10000; i++) s.value = tf.tidy(() => tf.add(s.value, 1));
      });
      expect(s.value.dataSync()[0]).to.equal(10000);
    });
  });

  describe('observer hook', () => {
    it('lets a transform see and redirect every read and write', () => {
      const s = new bst.State(tf.scalar(1));
      const log: string[] = [];
      const shadow = new Map<State<StateValue>, StateValue>();
      const obs: StateObserver = {
        read(st) { log.push('read'); return shadow.get(st) ?? st.rawValue(); },
        write(st, v) { log.push('write'); shadow.set(st, v); },
      };
      const out = withObserver(obs, () => {
        s.value = tf.add(s.value, 1);
        return s.value;
      });
      expect(log).to.deep.equal(['read', 'write', 'read']);
      expect(out.dataSync()[0]).to.equal(2);
      expect(s.value.dataSync()[0]).to.equal(1); // the write went to the observer only
    });

    it('tells the observer about states created inside it', () => {
      const created: string[] = [];
      withObserver({ read: (st) => st.rawValue(), write: () => undefined, created: (st) => created.push(st.kind) },
        () => new bst.HiddenState(tf.scalar(0)));
      expect(created).to.deep.equal(['HiddenState']);
    });
  });
});
