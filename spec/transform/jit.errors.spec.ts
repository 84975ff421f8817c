/**
 * What cannot be traced is an error that names the call and the fix, never a wrong replay.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as bst from '../../src';
import { expectThrowsWith } from '../helpers';

describe('jit errors', () => {
  for (const method of ['dataSync', 'arraySync', 'data', 'array', 'bufferSync', 'print'] as const) {
    it(`reading a traced value with ${method}() is a TracerValueError naming the read and the fixes`, () => {
      const f = bst.transform.jit(function readsValue(x: tf.Tensor) {
        const y = tf.mul(x, 2);
        void (y[method] as () => unknown).call(y);
        return y;
      });
      expectThrowsWith(() => f(tf.ones([2])), bst.TracerValueError, `jit(readsValue): ${method}()`,
        'float32[2]', 'the result of Multiply', 'staticArgnums', 'tf.where', 'transform.cond');
      expect(f.cacheSize).to.equal(0);
    });
  }

  it('branching on a traced value in JS is caught (the read names the argument)', () => {
    const f = bst.transform.jit(function branchy(x: tf.Tensor) {
      return x.arraySync() as number > 0 ? tf.neg(x) : x;
    });
    expectThrowsWith(() => f(tf.scalar(1)), bst.TracerValueError, 'arraySync()', 'argument leaf 0');
  });

  it('reading a constant while tracing is fine', () => {
    const f = bst.transform.jit((x: tf.Tensor) => {
      const k = tf.scalar(3);
      return tf.mul(x, k.dataSync()[0]);
    });
    expect(f(tf.scalar(2)).dataSync()[0]).to.equal(6);
  });

  for (const [name, op] of [
    ['randomNormal', () => tf.randomNormal([2])],
    ['randomUniform', () => tf.randomUniform([2])],
    ['truncatedNormal', () => tf.truncatedNormal([2])],
    ['dropout', () => tf.dropout(tf.ones([4]), 0.5)],
  ] as [string, () => tf.Tensor][]) {
    it(`tf.${name} inside a trace is an error pointing to bst.random`, () => {
      const f = bst.transform.jit((x: tf.Tensor) => tf.add(x, op()));
      expectThrowsWith(() => f(tf.ones([2])), bst.TraceError, `tf.${name}()`, 'bst.random');
    });
  }

  it('async functions are refused at jit time; a returned Promise at trace time', () => {
    expectThrowsWith(() => bst.transform.jit(async (x: tf.Tensor) => x), bst.TraceError, 'async functions cannot be jitted');
    const f = bst.transform.jit((x: tf.Tensor) => Promise.resolve(x) as unknown as tf.Tensor);
    expectThrowsWith(() => f(tf.ones([1])), bst.TraceError, 'returned a Promise');
  });

  it('a State passed as an argument or returned is an error saying to use .value', () => {
    const s = new bst.ParamState(tf.ones([2]));
    const f = bst.transform.jit((x: unknown) => x as tf.Tensor);
    expectThrowsWith(() => f(s), bst.TraceError, 'argument 0 is a ParamState', 'pass state.value');
    expectThrowsWith(() => f({ w: s }), bst.TraceError, "argument 0 at ['w'] is a ParamState");
    const g = bst.transform.jit(() => s as unknown as tf.Tensor);
    expectThrowsWith(() => g(), bst.TraceError, 'the result (leaf 0) is a ParamState', 'return state.value');
  });

  it('a tensor as a static argument is an error', () => {
    const f = bst.transform.jit((x: tf.Tensor, k: tf.Tensor) => tf.mul(x, k), { staticArgnums: 1 });
    expectThrowsWith(() => f(tf.ones([1]), tf.scalar(2)), bst.TraceError, 'static argument 1 is a tensor');
  });

  it('a tf.Variable used inside is an error pointing to ParamState', () => {
    const v = tf.variable(tf.ones([2]), true, 'myVar');
    const f = bst.transform.jit((x: tf.Tensor) => tf.add(x, v));
    expectThrowsWith(() => f(tf.ones([2])), bst.TraceError, "tf.Variable ('myVar')", 'bst.ParamState');
    v.dispose();
  });

  it('staticArgnums must be non-negative integers (issue 12: negative ones are errors, as in BrainState)', () => {
    expectThrowsWith(() => bst.transform.jit((x: tf.Tensor) => x, { staticArgnums: [0.5] }), bst.TraceError,
      'expected staticArgnums to be non-negative integers, got 0.5');
    expectThrowsWith(() => bst.transform.jit((x: tf.Tensor, n: number) => tf.add(x, n), { staticArgnums: -1 }),
      bst.TraceError, 'staticArgnums -1 is negative', 'non-negative index of the positional argument');
  });

  it('BRAINSTATE_DISABLE_JIT=1 runs every jitted function eagerly', function () {
    this.timeout(60000);
    const root = path.join(__dirname, '..', '..');
    const script = [
      "const tf = require('@tensorflow/tfjs');",
      "const bst = require('brainstate-ts');",
      '(async () => {',
      "  await bst.backend.init('cpu');",
      '  let calls = 0;',
      '  const f = bst.transform.jit((x) => { calls++; return tf.mul(x, 2); });',
      '  f(tf.ones([2])); f(tf.ones([2]));',
      "  console.log(JSON.stringify({ calls, traces: f.traceCount }));",
      '})();',
    ].join('\n');
    const r = spawnSync(process.execPath, ['--conditions=brainstate-source', '-r', 'ts-node/register/transpile-only',
      '-e', script], { cwd: root, encoding: 'utf8', env: { ...process.env, BRAINSTATE_DISABLE_JIT: '1', TS_NODE_TRANSPILE_ONLY: 'true' } });
    expect(r.status, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).to.deep.equal({ calls: 2, traces: 0 });
  });
});
