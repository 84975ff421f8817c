import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { hidden, param } from '../../decorators';
import { declaredFields, FIELDS_KEY } from '../../decorators/metadata';
import { expectThrowsWith } from '../helpers';

class TinyLinear extends bst.nn.Module {
  @param weight = tf.tensor2d([[1]]);
  @param({ tag: 'b' }) bias = tf.tensor1d([0]);
  call(x: tf.Tensor): tf.Tensor {
    return tf.add(tf.matMul(x, this.weight), this.bias);
  }
}

class Neuron extends bst.nn.Module {
  @hidden v: tf.Tensor = tf.zeros([3]);
  @hidden({ kind: bst.LongTermState, tag: 'stats' }) total = tf.scalar(0);
}

describe('@param / @hidden', () => {
  it('make one state per instance; the field reads and writes its value', () => {
    const a = new TinyLinear();
    const b = new TinyLinear();
    const w = bst.stateOf(a, 'weight');
    expect(w).to.be.instanceOf(bst.ParamState);
    expect(w).to.not.equal(bst.stateOf(b, 'weight'));
    a.weight = tf.tensor2d([[3]]);
    expect(w.value.dataSync()[0]).to.equal(3);
    expect(bst.stateOf(b, 'weight').value.dataSync()[0]).to.equal(1);
    w.value = tf.tensor2d([[5]]);
    expect(a.weight.dataSync()[0]).to.equal(5);
    const y = a.call(tf.tensor2d([[2]]));
    expect(y.dataSync()[0]).to.equal(10);
  });

  it('take a tag, and a kind for another State subclass', () => {
    const n = new Neuron();
    expect(bst.stateOf(n, 'v')).to.be.instanceOf(bst.HiddenState);
    expect(bst.stateOf(n, 'total')).to.be.instanceOf(bst.LongTermState);
    expect(bst.stateOf(n, 'total').tag).to.equal('stats');
    expect(bst.stateOf(new TinyLinear(), 'bias').tag).to.equal('b');
    expect(bst.stateOf(n, 'v').name).to.equal('v');
  });

  it('record their declarations with reflect-metadata, inherited entries included', () => {
    class Wider extends TinyLinear {
      @hidden trace = tf.zeros([1]);
    }
    const own = Reflect.getOwnMetadata(FIELDS_KEY, Wider.prototype) as { key: string }[];
    expect(own.map((d) => d.key)).to.deep.equal(['trace']);
    expect(declaredFields(new Wider()).map((d) => d.key)).to.deep.equal(['weight', 'bias', 'trace']);
    expect(FIELDS_KEY.startsWith('brainstate:')).to.equal(true);
  });

  it('fail at class definition when the field is a number, naming class and field', () => {
    expectThrowsWith(() => {
      class Bad extends bst.nn.Module {
        @param lr: number = 0.1;
      }
      return Bad;
    }, bst.DecoratorError, '@param on Bad.lr', 'declared as `number`', 'tf.Tensor');
  });

  it('fail at class definition for string and boolean fields too', () => {
    expectThrowsWith(() => {
      class BadS extends bst.nn.Module {
        @hidden label: string = 'x';
      }
      return BadS;
    }, bst.DecoratorError, 'BadS.label', '`string`');
    expectThrowsWith(() => {
      class BadB extends bst.nn.Module {
        @hidden flag: boolean = true;
      }
      return BadB;
    }, bst.DecoratorError, 'BadB.flag', '`boolean`');
  });

  it('fail outside an nn.Module subclass', () => {
    expectThrowsWith(() => {
      class Plain {
        @param w = tf.scalar(1);
      }
      return Plain;
    }, bst.DecoratorError, '@param on Plain.w', 'extends bst.nn.Module');
  });

  it('fail when reflect-metadata is not loaded', () => {
    const r = Reflect as unknown as Record<string, unknown>;
    const saved = r.getMetadata;
    r.getMetadata = undefined;
    try {
      expectThrowsWith(() => param()(TinyLinear.prototype, 'extra'), bst.DecoratorError,
        '@param on TinyLinear.extra', "import 'reflect-metadata'");
    } finally {
      r.getMetadata = saved;
    }
  });

  it('check an unannotated field at its first assignment', () => {
    class Loose extends bst.nn.Module {
      @param w = tf.scalar(1);
      @hidden u: unknown;
      constructor(init: unknown) {
        super();
        this.u = init;
      }
    }
    expect(new Loose(tf.scalar(0)).u).to.be.instanceOf(tf.Tensor);
    expectThrowsWith(() => new Loose(42), bst.DecoratorError, 'Loose.u (@hidden)', 'the number 42');
    expectThrowsWith(() => new Loose('s'), bst.DecoratorError, 'Loose.u', 'the string "s"');
  });

  it('stateOf names the known state fields when the key is not one', () => {
    class Mixed extends bst.nn.Module {
      @param w = tf.scalar(1);
      s = new bst.HiddenState(tf.scalar(0));
    }
    const m = new Mixed();
    expect(bst.stateOf(m, 's')).to.equal(m.s);
    expectThrowsWith(() => bst.stateOf(m, 'nope'), bst.DecoratorError, 'Mixed.nope is not a state field', 'w, s');
  });
});

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
