// One suite, two compilations: see ./world.ts. It imports the library only by its
// published names, as an application would.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from 'brainstate-ts';
import { hidden, param } from 'brainstate-ts/decorators';
import { expectThrowsWith } from '../helpers';
import { compilation, decoratorWorld, defineSemantics } from './world';

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

/** Declared without an initializer, assigned in the constructor (a common layer pattern). */
class Dense extends bst.nn.Module {
  @param w: tf.Tensor;
  @param({ tag: 'bias' }) b: tf.Tensor;
  constructor(nIn: number, nOut: number) {
    super();
    this.w = tf.fill([nIn, nOut], 0.5);
    this.b = tf.zeros([nOut]);
  }
}

function flatKeys(m: bst.nn.Module): string[] {
  return m.states().toFlat().keys().map((p) => p.join('.'));
}

describe(`@param / @hidden (${compilation})`, () => {
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
    expect(a.call(tf.tensor2d([[2]])).dataSync()[0]).to.equal(10);
  });

  it('take a tag, and a kind for another State subclass', () => {
    const n = new Neuron();
    expect(bst.stateOf(n, 'v')).to.be.instanceOf(bst.HiddenState);
    expect(bst.stateOf(n, 'total')).to.be.instanceOf(bst.LongTermState);
    expect(bst.stateOf(n, 'total').tag).to.equal('stats');
    expect(bst.stateOf(new TinyLinear(), 'bias').tag).to.equal('b');
    expect(bst.stateOf(n, 'v').name).to.equal('v');
  });

  it('keep decorated fields out of the own enumerable keys, and the graph sees each as a state', () => {
    const lin = new TinyLinear();
    expect(Object.keys(lin)).to.deep.equal([]);
    expect(flatKeys(lin)).to.deep.equal(['bias', 'weight']);
    expect(lin.states(bst.ParamState).toFlat().size).to.equal(2);
  });

  it('work for fields declared without an initializer and assigned in the constructor', () => {
    const d = new Dense(2, 3);
    expect(flatKeys(d)).to.deep.equal(['b', 'w']);
    expect(bst.stateOf(d, 'w').value.shape).to.deep.equal([2, 3]);
    expect(bst.stateOf(d, 'b').tag).to.equal('bias');
  });

  it('inherit declarations: a subclass sees its base class fields, base first', () => {
    class Wider extends TinyLinear {
      @hidden trace = tf.zeros([1]);
    }
    class Wider2 extends Wider {}
    const w = new Wider2();
    expect(flatKeys(w)).to.deep.equal(['bias', 'trace', 'weight']);
    expect(bst.stateOf(w, 'trace')).to.be.instanceOf(bst.HiddenState);
    expect(bst.stateOf(w, 'weight')).to.be.instanceOf(bst.ParamState);
    expect(flatKeys(new TinyLinear())).to.deep.equal(['bias', 'weight']);
  });

  it('a subclass may re-declare a decorated field with another decorator', () => {
    class Frozen extends TinyLinear {
      @hidden weight = tf.tensor2d([[7]]);
    }
    const f = new Frozen();
    expect(bst.stateOf(f, 'weight')).to.be.instanceOf(bst.HiddenState);
    expect(f.weight.dataSync()[0]).to.equal(7);
    expect(bst.stateOf(new TinyLinear(), 'weight')).to.be.instanceOf(bst.ParamState);
  });

  it('fail, naming class and field, when the field holds a number', () => {
    // experimentalDecorators: at class definition (design:type); standard: at construction.
    expectThrowsWith(() => {
      class Bad extends bst.nn.Module {
        @param lr: number = 0.1;
      }
      return new Bad();
    }, bst.DecoratorError, 'Bad.lr', 'tf.Tensor');
  });

  it('fail outside an nn.Module subclass', () => {
    expectThrowsWith(() => {
      class Plain {
        @param w = tf.scalar(1);
      }
      return new Plain();
    }, bst.DecoratorError, 'Plain.w', 'extends bst.nn.Module');
  });

  if (decoratorWorld === 'legacy') {
    it('under experimentalDecorators, fail when reflect-metadata is not loaded', () => {
      const r = Reflect as unknown as Record<string, unknown>;
      const saved = r.getMetadata;
      r.getMetadata = undefined;
      try {
        expectThrowsWith(() => (param() as (t: object, k: string) => void)(TinyLinear.prototype, 'extra'),
          bst.DecoratorError, '@param on TinyLinear.extra', "import 'reflect-metadata'");
      } finally {
        r.getMetadata = saved;
      }
    });
  }

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

  it('survive treefySplit / treefyMerge: the merged module reads and writes its own states', () => {
    const lin = new TinyLinear();
    const [def, params] = bst.graph.treefySplit(lin, '...');
    const copy = bst.graph.treefyMerge(def, params) as TinyLinear;
    expect(copy).to.be.instanceOf(TinyLinear);
    expect(copy.weight.dataSync()[0]).to.equal(1);
    copy.weight = tf.tensor2d([[4]]);
    expect(bst.stateOf(copy, 'weight').value.dataSync()[0]).to.equal(4);
    expect(lin.weight.dataSync()[0]).to.equal(1);
  });
});

describe(`@param accessor (${compilation})`, () => {
  if (decoratorWorld === 'legacy') {
    it('under experimentalDecorators is an error that says standard decorators are needed', () => {
      expectThrowsWith(() => {
        class Acc extends bst.nn.Module {
          @param accessor w = tf.scalar(1);
        }
        return new Acc();
      }, bst.DecoratorError, '@param on Acc.w', 'accessor', 'standard decorators', 'experimentalDecorators');
    });
    return;
  }

  class Acc extends bst.nn.Module {
    @param accessor w = tf.tensor1d([1, 2]);
    @hidden({ tag: 'h' }) accessor h: tf.Tensor | undefined;
  }

  it('makes a state per instance; the accessor reads and writes its value', () => {
    const a = new Acc();
    expect(bst.stateOf(a, 'w')).to.be.instanceOf(bst.ParamState);
    expect(Array.from(a.w.dataSync())).to.deep.equal([1, 2]);
    a.w = tf.tensor1d([3, 4]);
    expect(Array.from(bst.stateOf(a, 'w').value.dataSync())).to.deep.equal([3, 4]);
    expect(Array.from(new Acc().w.dataSync())).to.deep.equal([1, 2]);
  });

  it('an accessor without an initializer has no state until its first assignment', () => {
    const a = new Acc();
    expect(flatKeys(a)).to.deep.equal(['w']);
    expectThrowsWith(() => bst.stateOf(a, 'h'), bst.DecoratorError, 'Acc.h is declared but has not been assigned');
    a.h = tf.scalar(2);
    expect(flatKeys(a)).to.deep.equal(['h', 'w']);
    expect(bst.stateOf(a, 'h').tag).to.equal('h');
  });

  it('works without reflect-metadata', () => {
    const r = Reflect as unknown as Record<string, unknown>;
    const saved = { getMetadata: r.getMetadata, defineMetadata: r.defineMetadata, getOwnMetadata: r.getOwnMetadata };
    Object.assign(r, { getMetadata: undefined, defineMetadata: undefined, getOwnMetadata: undefined });
    try {
      class NoReflect extends bst.nn.Module {
        @param accessor w = tf.scalar(1);
        @hidden v = tf.scalar(2);
      }
      expect(flatKeys(new NoReflect())).to.deep.equal(['v', 'w']);
    } finally {
      Object.assign(r, saved);
    }
  });
});

describe(`plain fields that hide a decorated field (${compilation})`, () => {
  it('a subclass re-declaring a decorated field without a decorator', () => {
    class Base extends bst.nn.Module {
      @param w = tf.scalar(1);
    }
    class Sub extends Base {
      // With define semantics this is a new own property that hides the decorated accessor.
      w = tf.scalar(2);
    }
    const s = new Sub();
    if (!defineSemantics) {
      // Assign semantics: the field initializer assigns through the accessor, into the state.
      expect(bst.stateOf(s, 'w').value.dataSync()[0]).to.equal(2);
      return;
    }
    expectThrowsWith(() => s.states(), bst.DecoratorError, 'Sub.w is declared with @param (in Base)',
      'own data property', 're-declares');
    expectThrowsWith(() => bst.stateOf(s, 'w'), bst.DecoratorError, 'stateOf: Sub.w');
  });

  if (decoratorWorld === 'legacy') {
    it('static and symbol-named fields are errors at class definition', () => {
      const sym = Symbol('w');
      expectThrowsWith(() => {
        class S extends bst.nn.Module {
          @param [sym] = tf.scalar(1);
        }
        return S;
      }, bst.DecoratorError, 'only string-named fields');
      expectThrowsWith(() => {
        class T extends bst.nn.Module {
          @param static w = tf.scalar(1);
        }
        return T;
      }, bst.DecoratorError, '@param on T.w', 'instance fields');
    });
  } else {
    it('static and symbol-named fields are errors at class definition', () => {
      const sym = Symbol('w');
      expectThrowsWith(() => {
        class S extends bst.nn.Module {
          @param [sym] = tf.scalar(1);
        }
        return S;
      }, bst.DecoratorError, 'only public string-named fields');
      expectThrowsWith(() => {
        class T extends bst.nn.Module {
          @param static w = tf.scalar(1);
        }
        return T;
      }, bst.DecoratorError, '@param on static field w', 'instance fields');
    });
  }
});
