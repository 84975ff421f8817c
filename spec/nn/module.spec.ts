import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectThrowsWith } from '../helpers';

describe('nn.Module', () => {
  it('call defaults to update', () => {
    class Acc extends bst.nn.Module {
      total = new bst.HiddenState(tf.scalar(0));
      update(x: tf.Tensor): tf.Tensor {
        this.total.value = tf.add(this.total.value, x);
        return this.total.value;
      }
    }
    const a = new Acc();
    a.call(tf.scalar(2));
    expect((a.call(tf.scalar(3)) as tf.Tensor).dataSync()[0]).to.equal(5);
  });

  it('without call or update, calling says what to override', () => {
    class Empty extends bst.nn.Module {}
    expectThrowsWith(() => new Empty().call(), bst.BrainStateError, 'Empty.update: not implemented', 'call(...)');
  });
});
