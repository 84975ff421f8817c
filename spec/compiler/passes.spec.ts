/**
 * Each pass, on a hand-built program, with its before and after printed (inline snapshots).
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { eliminateDeadCode, elideIdentities, foldConstants } from '../../src/compiler/passes';
import { f32, node, print, program } from './program-helpers';
import { targetNamed } from '../../src/backend/targets';

describe('compiler passes', () => {
  it('fold-constants turns kernels over constants into constants', () => {
    const two = tf.keep(tf.scalar(2));
    const four = tf.keep(tf.scalar(4));
    const p = program([f32(3), f32(), f32(), f32(3)],
      [node('Square', [1], [2], {}, [four]), node('Multiply', [0, 2], [3])], [3], [{ value: 1, tensor: two }]);
    expect(print(p)).to.equal([
      'program p',
      '  in    a:f32[3]  arg 0',
      '  const b:f32[] = 2',
      '  let   c:f32[] = Square(b)',
      '  let   d:f32[3] = Multiply(a, c)',
      '  out   (d)',
    ].join('\n'));
    const q = eliminateDeadCode.run(foldConstants.run(p));
    expect(print(q)).to.equal([
      'program p',
      '  in    a:f32[3]  arg 0',
      '  const b:f32[] = 4',
      '  let   c:f32[3] = Multiply(a, b)',
      '  out   (c)',
    ].join('\n'));
    expect(two.isDisposed).to.equal(true); // dropped by DCE, released
    four.dispose();
  });

  it('elide-identities removes Identity and no-op reshapes and casts', () => {
    const p = program([f32(2), f32(2), f32(2), f32(2), f32(1, 2), f32(1, 2)], [
      node('Identity', [0], [1]),
      node('Reshape', [1], [2], { shape: [2] }),
      node('Cast', [2], [3], { dtype: 'float32' }),
      node('Reshape', [3], [4], { shape: [1, 2] }),
      node('Exp', [4], [5]),
    ], [5]);
    expect(print(elideIdentities.run(p))).to.equal([
      'program p',
      '  in    a:f32[2]  arg 0',
      '  let   b:f32[1,2] = Reshape{shape=[1,2]}(a)',
      '  let   c:f32[1,2] = Exp(b)',
      '  out   (c)',
    ].join('\n'));
  });

  it('dce drops kernels whose results reach no output or state write', () => {
    const p = program([f32(2), f32(2), f32(2), f32(2)], [
      node('Exp', [0], [1]),
      node('Log', [0], [2]),
      node('Neg', [2], [3]),
    ], [1]);
    expect(print(eliminateDeadCode.run(p))).to.equal([
      'program p',
      '  in    a:f32[2]  arg 0',
      '  let   b:f32[2] = Exp(a)',
      '  out   (b)',
    ].join('\n'));
  });

  it('passes never mutate their input program', () => {
    const p = program([f32(2), f32(2), f32(2)], [node('Identity', [0], [1]), node('Exp', [1], [2])], [2]);
    const before = print(p);
    elideIdentities.run(p);
    eliminateDeadCode.run(p);
    expect(print(p)).to.equal(before);
  });
});

describe('lower().toString()', () => {
  it('prints inputs with state names, kernels with attributes, outputs and writes, stably', () => {
    class Acc extends bst.nn.Module {
      total = new bst.HiddenState(tf.zeros([3]), { name: 'total' });
      update(x: tf.Tensor): tf.Tensor {
        this.total.value = tf.add(this.total.value, tf.sum(x, 0));
        return tf.mean(this.total.value);
      }
    }
    const acc = new Acc();
    const f = bst.transform.jit(function accumulate(x: tf.Tensor) { return acc.update(x) as tf.Tensor; });
    const text = f.lower(tf.ones([2, 3])).toString();
    // GPU targets sum leading axes without a transpose first (compiler/passes/sum-leading-axes.ts).
    const sum = targetNamed(bst.backend.name())?.gpuFusion?.sumLeadingAxes !== undefined ? 'BrainStateSumLeadingAxes' : 'Sum';
    expect(text).to.equal([
      'program accumulate',
      '  in    a:f32[2,3]  arg 0',
      '  in    b:f32[3]  state total (HiddenState)',
      `  let   c:f32[3] = ${sum}{axis=0, keepDims=false}(a)`,
      '  let   d:f32[3] = Add(b, c)',
      '  let   e:f32[] = Mean{keepDims=false}(d)',
      '  out   (e)',
      '  write total <- d',
    ].join('\n'));
    expect(f.lower(tf.ones([2, 3])).toString()).to.equal(text);
    expect(f.traceCount).to.equal(1); // lower fills and reuses the cache
    expect(acc.total.value.dataSync()[0]).to.equal(0); // lower runs nothing and writes nothing
  });
});
