/**
 * transform.vmap: every result is compared with running each lane separately with eager
 * tfjs (no hard-coded outputs), eagerly and under jit; states follow BrainState's
 * semantics (its `_mapping1_test.py` cases are ported with the Python test name in the
 * title); errors name the argument or state; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { callJitted, expectNoLeaks, expectTensorClose, expectThrowsWith } from '../helpers';

const T = bst.transform;

/** Lane `i` of `t` along `axis`. */
function lane(t: tf.Tensor, axis: number, i: number): tf.Tensor {
  return tf.squeeze(tf.slice(t, t.shape.map((_, k) => (k === axis ? i : 0)), t.shape.map((d, k) => (k === axis ? 1 : d))), [axis]);
}

/** Runs `f` on each lane eagerly and stacks the results along `outAxis`. */
function perLane(f: (...a: tf.Tensor[]) => tf.Tensor, args: tf.Tensor[], inAxes: (number | null)[], size: number, outAxis = 0): tf.Tensor {
  return tf.tidy(() => {
    const outs: tf.Tensor[] = [];
    for (let i = 0; i < size; i++) outs.push(f(...args.map((a, k) => (inAxes[k] === null ? a : lane(a, inAxes[k]!, i)))));
    return tf.stack(outs, outAxis);
  });
}

const r = (...shape: number[]) => tf.randomNormal(shape);
/** A bool tensor holding the given bytes (2 and 255 included, as a Uint8Array given to tf.tensor keeps them). */
const bytes = (v: number[], shape: number[]) => tf.tensor(Uint8Array.from(v), shape, 'bool');
const bits = async (t: tf.Tensor) => Array.from(await t.data());

interface Case {
  name: string;
  f: (...a: tf.Tensor[]) => tf.Tensor;
  args: () => tf.Tensor[];
  inAxes: (number | null)[];
  size: number;
}

let wHeld: tf.Tensor | undefined;
/** A captured weight, made lazily (after the runner picked the backend). */
const W = (): tf.Tensor => (wHeld ??= tf.keep(tf.randomNormal([4, 3])));
const CASES: Case[] = [
  { name: 'elementwise unary chain', f: (x) => tf.tanh(tf.exp(tf.neg(tf.abs(x)))), args: () => [r(5, 3)], inAxes: [0], size: 5 },
  { name: 'binary broadcast, lane axis 1', f: (x, y) => tf.add(tf.mul(x, y), 1), args: () => [r(3, 6), r(3)], inAxes: [1, null], size: 6 },
  { name: 'binary, both batched on different axes', f: (x, y) => tf.sub(x, y), args: () => [r(4, 2, 3), r(2, 4, 3)], inAxes: [0, 1], size: 4 },
  { name: 'broadcast of a lower-rank batched operand', f: (x, y) => tf.div(x, tf.add(y, 3)), args: () => [r(3, 4, 5), r(3, 5)], inAxes: [0, 0], size: 3 },
  { name: 'comparison and where', f: (x, y) => tf.where(tf.greater(x, y), x, tf.mul(y, 2)), args: () => [r(4, 3), r(3)], inAxes: [0, null], size: 4 },
  { name: 'cast and logical', f: (x) => tf.cast(tf.logicalAnd(tf.greater(x, 0), tf.less(x, 1)), 'float32'), args: () => [r(2, 7)], inAxes: [1], size: 7 },
  { name: 'sum / mean / max / min over axes', f: (x) => tf.add(tf.add(tf.sum(x, 1), tf.mean(x, 0)), tf.add(tf.max(x, 1), tf.min(x, -1))), args: () => [r(4, 4, 4)], inAxes: [1], size: 4 },
  { name: 'sum keepDims and all axes', f: (x) => tf.add(tf.sum(x, [0, 1], true), tf.sum(x)), args: () => [r(2, 3, 5)], inAxes: [2], size: 5 },
  { name: 'argMax / prod / any', f: (x) => tf.add(tf.cast(tf.argMax(x, 1), 'float32'), tf.add(tf.prod(x, 1), tf.cast(tf.any(tf.greater(x, 1), 1), 'float32'))), args: () => [r(3, 2, 4)], inAxes: [1], size: 2 },
  { name: 'matMul batched left', f: (x) => tf.matMul(x, W()), args: () => [r(6, 2, 4)], inAxes: [0], size: 6 },
  { name: 'matMul batched right (lane axis 2)', f: (x) => tf.matMul(tf.transpose(W()), x), args: () => [r(4, 2, 3)], inAxes: [2], size: 3 },
  { name: 'matMul both batched, transposed', f: (x, y) => tf.matMul(x, y, true, false), args: () => [r(3, 4, 2), r(3, 4, 5)], inAxes: [0, 0], size: 3 },
  { name: 'matMul vector-matrix', f: (x) => tf.squeeze(tf.matMul(tf.expandDims(x, 0), W())), args: () => [r(5, 4)], inAxes: [0], size: 5 },
  { name: 'matMul batched left (lane axis 1)', f: (x) => tf.matMul(x, W()), args: () => [r(2, 5, 4)], inAxes: [1], size: 5 },
  { name: 'matMul batched right (lane axis 0)', f: (x) => tf.matMul(tf.transpose(W()), x), args: () => [r(3, 4, 2)], inAxes: [0], size: 3 },
  { name: 'matMul batched right (lane axis 1)', f: (x) => tf.matMul(tf.transpose(W()), x), args: () => [r(4, 3, 2)], inAxes: [1], size: 3 },
  { name: 'matMul of rank 3 lanes by an unbatched matrix', f: (x) => tf.matMul(x, W()), args: () => [r(3, 2, 5, 4)], inAxes: [0], size: 3 },
  { name: 'batched matMul of rank 3 lanes', f: (x, y) => tf.matMul(x, y), args: () => [r(2, 3, 4, 2), r(2, 2, 5)], inAxes: [1, null], size: 3 },
  { name: 'dot', f: (x, y) => tf.dot(x, y), args: () => [r(5, 4), r(4)], inAxes: [0, null], size: 5 },
  { name: 'reshape / transpose / expandDims / squeeze', f: (x) => tf.squeeze(tf.expandDims(tf.transpose(tf.reshape(x, [3, 2])), 1)), args: () => [r(6, 4)], inAxes: [1], size: 4 },
  { name: 'slice / stridedSlice / reverse', f: (x) => tf.add(tf.slice(x, [1, 0], [2, 3]), tf.reverse(tf.stridedSlice(x, [0, 0], [4, 3], [2, 1]), 1)), args: () => [r(5, 4, 3)], inAxes: [0], size: 5 },
  { name: 'concat / stack / unstack', f: (x, y) => tf.add(tf.concat([x, y], 0), tf.stack(tf.unstack(tf.concat([y, x], 0)), 0)), args: () => [r(3, 2), r(2)], inAxes: [1, null], size: 2 },
  { name: 'pad / tile', f: (x) => tf.tile(tf.pad(x, [[1, 0], [0, 2]]), [2, 1]), args: () => [r(3, 2, 2)], inAxes: [0], size: 3 },
  { name: 'gather, batched params', f: (x) => tf.gather(x, tf.tensor1d([2, 0, 1], 'int32'), 1), args: () => [r(4, 3, 3)], inAxes: [0], size: 4 },
  { name: 'gather, batched indices', f: (i) => tf.gather(W(), i), args: () => [tf.tensor2d([[0, 1], [3, 2], [1, 1]], [3, 2], 'int32')], inAxes: [0], size: 3 },
  { name: 'gather, both batched', f: (x, i) => tf.gather(x, i), args: () => [r(3, 4, 2), tf.tensor2d([[0, 3], [2, 2], [1, 0]], [3, 2], 'int32')], inAxes: [0, 0], size: 3 },
  { name: 'softmax / logSoftmax', f: (x) => tf.add(tf.softmax(x), tf.logSoftmax(x)), args: () => [r(3, 5, 2)], inAxes: [2], size: 2 },
  { name: 'oneHot', f: (i) => tf.oneHot(i, 4), args: () => [tf.tensor2d([[0, 3], [2, 1]], [2, 2], 'int32')], inAxes: [1], size: 2 },
  { name: 'cumsum', f: (x) => tf.cumsum(x, 1), args: () => [r(3, 4, 5)], inAxes: [2], size: 5 },
  { name: 'broadcastTo / fill constants', f: (x) => tf.add(tf.broadcastTo(x, [2, 3]), tf.ones([2, 3])), args: () => [r(4, 3)], inAxes: [0], size: 4 },
  { name: 'conv2d (batch folded into N)', f: (x) => tf.conv2d(x as tf.Tensor4D, tf.ones([2, 2, 1, 2]) as tf.Tensor4D, 1, 'same'), args: () => [r(3, 1, 4, 4, 1)], inAxes: [0], size: 3 },
  { name: 'maxPool', f: (x) => tf.maxPool(x as tf.Tensor3D, 2, 2, 'valid'), args: () => [r(2, 4, 4, 3)], inAxes: [0], size: 2 },
  { name: 'a function of no mapped argument (axisSize)', f: (x) => tf.mul(x, 2), args: () => [r(3)], inAxes: [null], size: 4 },
];

describe('transform.vmap', () => {
  for (const c of CASES) {
    it(`${c.name}: equals each lane run separately, eagerly and under jit`, () => {
      const args = c.args();
      const want = perLane(c.f, args, c.inAxes, c.size);
      const opts = { inAxes: c.inAxes, axisSize: c.inAxes.every((a) => a === null) ? c.size : undefined };
      const v = T.vmap(c.f, opts);
      expectTensorClose(v(...args) as tf.Tensor, want, 1e-5, 'vmap');
      const j = T.jit((...a: tf.Tensor[]) => v(...a) as tf.Tensor);
      expectTensorClose(j(...args), want, 1e-5, 'jit(vmap)');
      expectTensorClose(j(...args), want, 1e-5, 'jit(vmap) replayed');
      expect(j.traceCount).to.equal(1);
    });
  }

  it('outAxes places the batch axis; outAxes null needs a lane-independent result; trees of axes', () => {
    const x = r(4, 3);
    const y = r(3);
    const v = T.vmap((a: tf.Tensor, b: tf.Tensor) => ({ s: tf.add(a, b), t: tf.mul(b, 2) }), { inAxes: [0, null], outAxes: { s: 1, t: null } });
    const out = v(x, y) as { s: tf.Tensor; t: tf.Tensor };
    expectTensorClose(out.s, tf.transpose(tf.add(x, y)));
    expectTensorClose(out.t, tf.mul(y, 2));
    const tree = T.vmap((p: { a: tf.Tensor; b: tf.Tensor }) => tf.add(p.a, p.b), { inAxes: [{ a: 1, b: null }] });
    const a = r(3, 4);
    expectTensorClose(tree({ a, b: y }) as tf.Tensor, tf.add(tf.transpose(a), y));
    const bad = T.vmap((a: tf.Tensor) => tf.add(a, 1), { outAxes: null });
    expectThrowsWith(() => bad(x), bst.BatchAxisError, 'differs from lane to lane', 'outAxes');
  });

  it('mismatched sizes name the argument; an axis out of range and an unknown size are errors', () => {
    const v = T.vmap((a: tf.Tensor, b: { c: tf.Tensor }) => tf.add(a, b.c));
    expectThrowsWith(() => v(r(3, 2), { c: r(4, 2) }), bst.BatchAxisError, "argument [1, 'c']", '4 lanes', '3');
    expectThrowsWith(() => T.vmap((a: tf.Tensor) => a, { inAxes: 2 })(r(3, 2)), bst.BatchAxisError, 'no axis 2');
    expectThrowsWith(() => T.vmap((a: tf.Tensor) => a, { inAxes: null })(r(3)), bst.BatchAxisError, 'axisSize');
  });

  it('TestVmapEdgeCases.test_vmap_in_axes_length_mismatch', () => {
    const v = T.vmap((a: tf.Tensor) => a, { inAxes: [0, 0] });
    expectThrowsWith(() => v(r(3)), bst.BatchAxisError, 'inAxes has 2 entries');
  });

  it('TestVmapBasicFunctionality.test_vmap_simple_stateful_function / test_vmap_with_axis_size', () => {
    const state = new bst.ShortTermState(tf.zeros([5]));
    const f = T.vmap((x: tf.Tensor) => { state.value = tf.add(x, 1); return state.value; },
      { inStates: { 0: { state } }, outStates: { 0: { state } }, axisSize: 5 });
    const xs = tf.range(0, 5);
    expectTensorClose(f(xs) as tf.Tensor, tf.add(xs, 1));
    expectTensorClose(state.value, tf.add(xs, 1));
  });

  it('TestVmapBasicFunctionality.test_vmap_multiple_inputs_with_state', () => {
    const result = new bst.ShortTermState(tf.zeros([4]));
    const f = T.vmap((x: tf.Tensor, y: tf.Tensor) => { result.value = tf.add(tf.mul(x, y), 1); return result.value; },
      { inAxes: [0, 0], inStates: { 0: { result } }, outStates: { 0: { result } } });
    const xs = tf.range(0, 4);
    const ys = tf.mul(xs, 2);
    expectTensorClose(f(xs, ys) as tf.Tensor, tf.add(tf.mul(xs, ys), 1));
  });

  it('TestVmapWithStates.test_vmap_with_single_state / test_vmap_with_multiple_states_same_axis / test_vmap_state_list_format', () => {
    const counter = new bst.ShortTermState(tf.zeros([3]));
    const inc = T.vmap((x: tf.Tensor) => { counter.value = tf.add(counter.value, x); return counter.value; },
      { inStates: { 0: { counter } }, outStates: { 0: { counter } } });
    const xs = tf.tensor1d([1, 2, 3]);
    expectTensorClose(inc(xs) as tf.Tensor, xs);
    expectTensorClose(counter.value, xs);
    const s1 = new bst.ShortTermState(tf.zeros([3]));
    const s2 = new bst.ShortTermState(tf.ones([3]));
    const upd = T.vmap((x: tf.Tensor) => {
      s1.value = tf.add(s1.value, x);
      s2.value = tf.mul(s2.value, 2);
      return s1.value;
    }, { inStates: [s1, s2], outStates: [s1, s2] });
    expectTensorClose(upd(xs) as tf.Tensor, xs);
    expectTensorClose(s2.value, [2, 2, 2]);
  });

  it('states by filter and on axis 1; an undeclared state read whole in every lane', () => {
    const v = new bst.HiddenState(r(2, 5));           // batch axis 1
    const gain = new bst.ParamState(r(2));             // shared
    const step = T.vmap((x: tf.Tensor) => { v.value = tf.add(tf.mul(v.value, gain.value), x); return tf.sum(v.value); },
      { inAxes: 0, inStates: { 1: bst.HiddenState } });
    const x = r(5, 2);
    const v0 = v.value.clone();
    const want = tf.add(tf.mul(v0, tf.reshape(gain.value, [2, 1])), tf.transpose(x));
    expectTensorClose(step(x) as tf.Tensor, tf.sum(want, 0));
    expectTensorClose(v.value, want);
    // Under jit: the same program, traced once.
    v.value = v0.clone();
    const j = T.jit((x2: tf.Tensor) => step(x2));
    expectTensorClose(j(x) as tf.Tensor, tf.sum(want, 0));
    expectTensorClose(v.value, want);
    expect(j.traceCount).to.equal(1);
  });

  it('TestVmapEdgeCases.test_vmap_batched_state_not_in_out_states / test_undeclared_write_error_uses_vmap_vocabulary: the error names the state, no state changes', () => {
    const state = new bst.ShortTermState(tf.zeros([]), { name: 'acc' });
    const output = new bst.ShortTermState(tf.zeros([3]));
    const fn = T.vmap((x: tf.Tensor) => { state.value = x; output.value = x; return output.value; },
      { inStates: { 0: { output } }, outStates: { 0: { output } } });
    const out0 = output.value;
    expectThrowsWith(() => fn(tf.range(0, 3)), bst.BatchAxisError, "'acc'", 'outStates');
    expect(state.value.dataSync()[0]).to.equal(0);
    expect(output.value).to.equal(out0);
    // A write that is the same in every lane is allowed.
    const same = T.vmap((x: tf.Tensor) => { state.value = tf.scalar(7); return x; });
    same(tf.range(0, 3));
    expect(state.value.dataSync()[0]).to.equal(7);
  });

  it('TestVmapNestedAndComplex.test_vmap_with_out_axes_different_from_zero: a state batched on axis 1, the result on axis 1', () => {
    const state = new bst.ShortTermState(tf.zeros([2, 3]));
    const expand = T.vmap((x: tf.Tensor) => { state.value = tf.stack([x, tf.mul(x, 2)]); return state.value; },
      { inAxes: 0, outAxes: 1, inStates: { 1: { state } }, outStates: { 1: { state } } });
    const xs = tf.range(0, 3);
    const want = tf.stack([xs, tf.mul(xs, 2)]);
    expectTensorClose(expand(xs), want);
    expectTensorClose(state.value, want);
  });

  it('TestVmapNestedAndComplex.test_vmap_list_to_tuple_conversion / TestVmapIntegrationWithBrainState.test_vmap_with_long_term_state', () => {
    const param = new bst.LongTermState(tf.zeros([3]));
    const f = T.vmap((x: tf.Tensor, y: tf.Tensor) => { param.value = tf.add(param.value, tf.add(x, y)); return param.value; },
      { inAxes: [0, 0], inStates: { 0: { param } }, outStates: { 0: { param } } });
    const xs = tf.tensor1d([0.1, 0.2, 0.3]);
    expectTensorClose(f(xs, tf.ones([3])), tf.add(xs, 1));
    expectTensorClose(param.value, tf.add(xs, 1));
  });

  it('TestVmapIntegrationWithBrainState.test_vmap_preserves_state_structure: a state holding an object of tensors', () => {
    const state = new bst.ShortTermState({ a: tf.zeros([2]), b: tf.ones([2]) });
    const modify = T.vmap((x: tf.Tensor) => {
      const v = state.value as { a: tf.Tensor; b: tf.Tensor };
      state.value = { a: tf.add(v.a, x), b: v.b };
      return (state.value as { a: tf.Tensor }).a;
    }, { inStates: state, outStates: state });
    const xs = tf.tensor1d([1, 2]);
    expectTensorClose(modify(xs), xs);
    expectTensorClose((state.value as { b: tf.Tensor }).b, [1, 1]);
  });

  it('TestVmapWithRandomState.test_vmap_with_random_state (as written: a generator made inside the function)', () => {
    const output = new bst.ShortTermState(tf.zeros([5]));
    const randomAdd = T.vmap((x: tf.Tensor) => {
      const rng = new bst.random.RandomState(42);
      output.value = tf.add(x, rng.uniform([]));
      return output.value;
    }, { inStates: { 0: { output } }, outStates: { 0: { output } } });
    const xs = tf.range(0, 5);
    const result = randomAdd(xs);
    expect(result.shape).to.deep.equal([5]);
    expect(tf.all(tf.greaterEqual(result, xs)).dataSync()[0]).to.equal(1);
  });

  it('outStates: a state ends holding every lane\'s value', () => {
    const last = new bst.ShortTermState(tf.zeros([2]));
    const f = T.vmap((x: tf.Tensor) => { last.value = tf.mul(x, 3); return x; }, { outStates: last });
    const x = r(4, 2);
    f(x);
    expectTensorClose(last.value, tf.mul(x, 3));
  });

  it('TestVmapWithRandomState.test_vmap_with_random_state: lanes draw different numbers, reproducibly, and the key advances', () => {
    const rng = new bst.random.RandomState(42);
    const f = T.vmap((x: tf.Tensor) => tf.add(x, rng.uniform([3])));
    const xs = tf.zeros([5, 1]);
    const a = (f(xs) as tf.Tensor).arraySync() as number[][];
    const rows = new Set(a.map((row) => row.join(',')));
    expect(rows.size).to.equal(5);
    const b = (f(xs) as tf.Tensor).arraySync() as number[][];
    expect(b).to.not.deep.equal(a);
    rng.seed(42);
    expect((f(xs) as tf.Tensor).arraySync()).to.deep.equal(a);
    // The same numbers under jit (same key, same kernels).
    rng.seed(42);
    const j = T.jit((x: tf.Tensor) => f(x));
    expect((j(xs) as tf.Tensor).arraySync()).to.deep.equal(a);
  });

  it('vmap(grad(scan)): the backward scan runs last row first, so the carry and xs gradients equal the lanes\'', async () => {
    // The gradient's backward scan is a reverse ScanSpec; vmap's batched scan ran it first row first,
    // so a product carry's xs got the wrong cotangents (x[0]'s 1 where the lane gives x[1]).
    const f = (v: tf.Tensor) => {
      const [di, dx] = T.grad((i: tf.Tensor, x: tf.Tensor) =>
        tf.sum(T.scan((c: tf.Tensor, row: tf.Tensor) => [tf.mul(c, tf.sin(row)), tf.sum(row)], i, x)[0] as tf.Tensor),
      { argnums: [0, 1] })(tf.ones([2]), v) as tf.Tensor[];
      return tf.concat([di, tf.reshape(dx, [-1])]);
    };
    const v = r(4, 3, 2);
    const want = tf.stack([0, 1, 2, 3].map((i) => f(lane(v, 0, i))));
    expectTensorClose(T.vmap(f)(v) as tf.Tensor, want, 1e-5, 'vmap(grad(scan))');
    expectTensorClose(T.jit((a: tf.Tensor) => T.vmap(f)(a) as tf.Tensor)(v), want, 1e-5, 'jit(vmap(grad(scan)))');
  });

  it('a loop body the optimiser rewrote (webgpu: _FusedMatMul, BrainStateSumLeadingAxes, FusedParts of Fused parts) batches and runs unbatched as the lanes (fuzz seeds 300146, 300199)', () => {
    // A loop body is optimised when traced, before vmap batches the lane program holding it.
    const w = r(3, 4);
    const b = r(4);
    const loop = (init: tf.Tensor, xs: tf.Tensor) => {
      const [c, ys] = T.scan((carry: tf.Tensor, row: tf.Tensor) => {
        const m = tf.relu(tf.add(tf.matMul(row, w), b));
        return [tf.add(tf.mul(carry, 0.5), tf.sin(tf.sum(tf.mul(row, carry), 0))), tf.sub(tf.exp(m), 1)];
      }, init, xs) as tf.Tensor[];
      return tf.concat([c, tf.reshape(ys, [-1])]);
    };
    const xs = r(2, 2, 3);
    // Batched: each lane its own initial carry.
    const batched = (x: tf.Tensor) => loop(x, xs);
    // Unbatched: the loop reads nothing per lane, the lane's value joins after it.
    const unbatched = (x: tf.Tensor) => tf.add(loop(tf.ones([3]), xs), tf.sum(x));
    const inits = r(5, 3);
    for (const [what, f] of [['batched', batched], ['unbatched', unbatched]] as const) {
      const want = perLane(f, [inits], [0], 5);
      expectTensorClose(T.vmap(f)(inits) as tf.Tensor, want, 1e-5, `vmap, ${what}`);
      expectTensorClose(T.jit((a: tf.Tensor) => T.vmap(f)(a) as tf.Tensor)(inits), want, 1e-5, `jit(vmap), ${what}`);
    }
    if (bst.backend.name() === 'webgpu') {
      const body = T.jit((x: tf.Tensor) => batched(x)).lower(inits.slice(0, 1).reshape([3])).toString();
      for (const kind of ['_FusedMatMul{', 'BrainStateSumLeadingAxes{', 'FusedParts(']) expect(body, 'the optimised body').to.contain(kind);
    }
  });

  it('a fused kernel of a loop body whose domain comes from a literal (a [1] value times ones of [3], over 3) keeps its shape (fuzz seed 304154)', () => {
    const f = (x: tf.Tensor) => T.scan((c: tf.Tensor, row: tf.Tensor) =>
      [tf.div(tf.mul(tf.add(tf.mean(c, 0, true), row), tf.ones([3])), 3), c], x, tf.ones([2, 1]))[1] as tf.Tensor;
    const inits = r(4, 3);
    const want = perLane(f, [inits], [0], 4);
    expectTensorClose(T.vmap(f)(inits) as tf.Tensor, want, 1e-5, 'vmap');
    expectTensorClose(T.jit((a: tf.Tensor) => T.vmap(f)(a) as tf.Tensor)(inits), want, 1e-5, 'jit(vmap)');
  });

  it('vmap(grad(f)): per-example gradients equal one grad call per example', () => {
    const W = new bst.ParamState(r(4, 3));
    const loss = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.sub(tf.tanh(tf.matMul(tf.expandDims(x, 0), W.value)), y)));
    const g = T.grad(loss, { gradStates: W });
    const perEx = T.vmap((x: tf.Tensor, y: tf.Tensor) => g(x, y), { inAxes: [0, 0] });
    const xs = r(6, 4);
    const ys = r(6, 3);
    const want = tf.stack([0, 1, 2, 3, 4, 5].map((i) => g(lane(xs, 0, i), lane(ys, 0, i)) as tf.Tensor));
    expectTensorClose(perEx(xs, ys) as tf.Tensor, want, 1e-5);
    expectTensorClose(T.jit((a: tf.Tensor, b: tf.Tensor) => perEx(a, b) as tf.Tensor)(xs, ys), want, 1e-5);
  });

  describe('per-example gradients of the MLP (Linear-ReLU-Linear, softmax cross-entropy)', () => {
    /** The MLP 12-8-5, its per-example loss gradient, and a batch of 7 examples. */
    function mlp() {
      bst.random.seed(0);
      const net = new bst.nn.Sequential(new bst.nn.Linear(12, 8), new bst.nn.ReLU(), new bst.nn.Linear(8, 5));
      const params = net.states(bst.ParamState);
      const loss = (x: tf.Tensor, y: tf.Tensor) =>
        tf.losses.softmaxCrossEntropy(tf.expandDims(y, 0), net.call(tf.expandDims(x, 0)) as tf.Tensor) as tf.Scalar;
      const g = T.grad(loss, { gradStates: params });
      const xs = r(7, 12);
      const ys = tf.oneHot(tf.tensor1d([0, 4, 2, 2, 1, 3, 0], 'int32'), 5).toFloat();
      return { g, xs, ys };
    }
    const flat = (tree: unknown) => (tree as { toFlat(): { values(): { weight: tf.Tensor; bias: tf.Tensor }[] } })
      .toFlat().values().flatMap((v) => [v.weight, v.bias]);

    it('vmap(grad) and jit(vmap(grad)) equal single-example grad calls (eager and jitted) within 1e-5', () => {
      const { g, xs, ys } = mlp();
      const perEx = T.vmap((x: tf.Tensor, y: tf.Tensor) => g(x, y));
      const jitted = T.jit((x: tf.Tensor, y: tf.Tensor) => perEx(x, y));
      const singleJit = T.jit((x: tf.Tensor, y: tf.Tensor) => g(x, y));
      const lanes = [0, 1, 2, 3, 4, 5, 6];
      const eager = lanes.map((i) => flat(g(lane(xs, 0, i), lane(ys, 0, i))));
      const jitSingle = lanes.map((i) => flat(singleJit(lane(xs, 0, i), lane(ys, 0, i))));
      for (const [what, got] of [['vmap(grad)', flat(perEx(xs, ys))], ['jit(vmap(grad))', flat(jitted(xs, ys))]] as const) {
        got.forEach((t, k) => {
          expect(t.shape, `${what} leaf ${k}`).to.deep.equal([7, ...eager[0][k].shape]);
          expectTensorClose(t, tf.stack(eager.map((s) => s[k])), 1e-5, `${what} leaf ${k} vs eager grad`);
          expectTensorClose(t, tf.stack(jitSingle.map((s) => s[k])), 1e-5, `${what} leaf ${k} vs jitted grad`);
        });
      }
      expect(jitted.traceCount).to.equal(1);
    });

    it('jit(vmap(grad)) is one batched program: the same kernels for 3 and 7 examples, each weight gradient one batched outer product', () => {
      const { g, xs, ys } = mlp();
      const jitted = T.jit((x: tf.Tensor, y: tf.Tensor) => T.vmap((a: tf.Tensor, b: tf.Tensor) => g(a, b))(x, y));
      const small = jitted.lower(tf.slice(xs, [0, 0], [3, 12]), tf.slice(ys, [0, 0], [3, 5]));
      const full = jitted.lower(xs, ys);
      expect(full.numKernels, 'kernels for 7 examples vs 3').to.equal(small.numKernels);
      const text = full.toString();
      // The first layer's per-example weight gradients [7, 12, 8] and the second's [7, 8, 5]: one product each.
      expect(text.match(/f32\[7,12,8\] = BatchMatMul/g)?.length, text).to.equal(1);
      expect(text.match(/f32\[7,8,5\] = BatchMatMul/g)?.length, text).to.equal(1);
      expect(text.match(/BatchMatMul/g)?.length, text).to.be.at.most(5);
    });

    it('leaves numTensors and numBytes flat over many jit(vmap(grad)) calls', () => {
      const { g, xs, ys } = mlp();
      const jitted = T.jit((x: tf.Tensor, y: tf.Tensor) => T.vmap((a: tf.Tensor, b: tf.Tensor) => g(a, b))(x, y));
      const call = () => tf.dispose(flat(jitted(xs, ys)));
      call();
      expectNoLeaks(call, 20);
    });
  });

  it('grad of a vmapped function equals the sum of per-lane gradients', () => {
    const W = new bst.ParamState(r(3, 2));
    const v = T.vmap((x: tf.Tensor) => tf.sum(tf.sigmoid(tf.matMul(tf.expandDims(x, 0), W.value))));
    const g = T.grad(() => tf.sum(v(xs) as tf.Tensor), { gradStates: W });
    const xs = r(5, 3);
    const perLaneGrad = T.grad((x: tf.Tensor) => tf.sum(tf.sigmoid(tf.matMul(tf.expandDims(x, 0), W.value))), { gradStates: W });
    const want = tf.addN([0, 1, 2, 3, 4].map((i) => perLaneGrad(lane(xs, 0, i)) as tf.Tensor));
    expectTensorClose(g() as tf.Tensor, want, 1e-5);
  });

  it('nested vmap equals a double loop', () => {
    const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(x, y));
    const vv = T.vmap(T.vmap(f, { inAxes: [null, 0] }), { inAxes: [0, null] });
    const xs = r(3, 4);
    const ys = r(5, 4);
    expectTensorClose(vv(xs, ys) as tf.Tensor, tf.matMul(xs, ys, false, true), 1e-5);
  });

  it('each result is a tensor of its own: an argument returned, or one value returned twice, is copied (in vmap\'s own program, uncompiled, and inside jit)', () => {
    const xs = r(4, 3);
    const f = T.vmap((x: tf.Tensor) => { const y = tf.mul(x, 2); return [x, y, y]; });
    for (const [what, call] of [['vmap', () => f(xs)], ['vmap without jit', () => T.disableJit(() => f(xs))],
      ['jit(vmap)', () => T.jit((a: tf.Tensor) => f(a))(xs)]] as const) {
      const [a, b, c] = call() as tf.Tensor[];
      expect(a, `${what}: the argument itself`).to.not.equal(xs);
      expect(b, `${what}: one value twice`).to.not.equal(c);
      tf.dispose([a, b]);
      expectTensorClose(c, tf.mul(xs, 2), 0, `${what}: the second copy outlives the first`);
      expect(xs.isDisposed, `${what}: the argument outlives its result`).to.equal(false);
      expect(xs.arraySync()).to.have.length(4);
      c.dispose();
    }
  });

  it('leaves numTensors flat over many calls, eagerly and under jit', () => {
    const s = new bst.HiddenState(r(4, 3));
    const f = T.vmap((x: tf.Tensor) => { s.value = tf.add(s.value, x); return tf.sum(s.value); }, { inStates: s });
    const j = T.jit((x: tf.Tensor) => f(x));
    const x = r(4, 3);
    (f(x) as tf.Tensor).dispose();
    j(x).dispose();
    expectNoLeaks(() => { (f(x) as tf.Tensor).dispose(); (j(x) as tf.Tensor).dispose(); }, 10);
    expect(j.traceCount).to.equal(1);
  });

  it('a lane trace that throws frees the constants it recorded (numTensors flat over failing calls)', () => {
    const f = T.vmap((x: tf.Tensor) => {
      const y = tf.add(x, tf.scalar(3));
      if (y.shape.length > 0) throw new RangeError('the function failed after making a constant');
      return y;
    });
    const x = r(4, 3);
    expectThrowsWith(() => f(x), RangeError, 'after making a constant');
    expectNoLeaks(() => { expectThrowsWith(() => f(x), RangeError, 'after making a constant'); }, 5);
  });

  it('a kernel without a batching rule is an error naming it; the per-lane fallback covers the listed ones', () => {
    const f = T.vmap((x: tf.Tensor) => tf.localResponseNormalization(tf.reshape(x, [1, 2, 2, 1]) as tf.Tensor4D));
    expectThrowsWith(() => f(r(2, 4)), bst.TraceError, 'kernel LRN has no batching rule', 'inAxes null');
    const band = (x: tf.Tensor) => tf.linalg.bandPart(tf.reshape(x, [2, 2]), 0, 0);
    const xs = r(3, 4);
    expectTensorClose(T.vmap(band)(xs) as tf.Tensor, perLane(band, [xs], [0], 3));
  });
});

describe('transform.vmap: results no lane changes', () => {
  it('an unbatched rank-4 result gets its batch axis, eagerly and jitted, on every backend (fuzz seed 961291: a rank-5 tile of GPU data read synchronously on webgpu)', async () => {
    // y is large enough (1,280 elements) to live on the GPU under webgpu; the result does not
    // depend on the lane, so vmap broadcasts it to rank 5.
    const y = tf.greater(tf.randomUniform([4, 16, 20], 0, 1, 'float32', 7), 0.5);
    const x = tf.randomNormal([5, 2], 0, 1, 'float32', 8);
    const f = (_x: tf.Tensor, c: tf.Tensor) => tf.expandDims(tf.logicalNot(c), 2);
    const want = Array.from(await tf.logicalNot(y).data());
    const check = async (r: tf.Tensor) => {
      expect(r.shape).to.deep.equal([5, 4, 16, 1, 20]);
      const got = await r.data();
      for (let lane = 0; lane < 5; lane++) {
        expect(Array.from(got.subarray(lane * want.length, (lane + 1) * want.length)), `lane ${lane}`).to.deep.equal(want);
      }
    };
    await check(T.vmap(f, { inAxes: [0, null] })(x, y) as tf.Tensor);
    await check(await callJitted(T.jit(T.vmap(f, { inAxes: [0, null] })), x, y) as tf.Tensor);
  });

  it('one lane: the result is the lane\'s value expanded, as tf.stack of one tensor (fuzz seed 1343927: a float32 cast of int32 host data beyond 2^24 stays exact on cpu and webgpu)', async () => {
    // The cast keeps the int32 storage on cpu and webgpu; a copy through a Tile's CPU form
    // would write a Float32Array (2147483647 -> 2147483648), tfjs's Pack of one tensor does not.
    const c = tf.tensor1d([2147483647, -2147483647, 16777217, 3], 'int32');
    const x = tf.tensor2d([[1, 2]]);
    const f = (_x: tf.Tensor) => tf.cast(c, 'float32');
    const want = perLane(f, [x], [0], 1);
    const check = async (r: tf.Tensor) => {
      expect(r.shape).to.deep.equal([1, 4]);
      expect(Array.from(await r.data())).to.deep.equal(Array.from(await want.data()));
    };
    await check(T.vmap(f)(x) as tf.Tensor);
    const jitted = T.jit(T.vmap(f));
    for (let call = 0; call < 2; call++) await check(await callJitted(jitted, x) as tf.Tensor);
  });

  it('several lanes: an int32 result on the GPU comes out exact, as tf.stack of the lanes (fuzz seed 3902200: 2147483646 became 2147483520 on webgpu)', async () => {
    // tf.step has no CPU form on webgpu: it uploads c. vmap broadcasts the result no lane changes
    // through a Tile, whose tfjs-webgpu program moved int32 through f32; the lanes' Pack is exact.
    const c = tf.tensor2d([[2147483646], [-2147483647], [16777217], [5]], [4, 1], 'int32');
    tf.dispose(tf.step(c, 0.3));
    const x = tf.tensor2d([[1], [2], [3]]);
    const f = (_x: tf.Tensor) => tf.expandDims(c, 1);
    const want = perLane(f, [x], [0], 3);
    expect(Array.from(await want.data()).slice(0, 4)).to.deep.equal([2147483646, -2147483647, 16777217, 5]);
    const check = async (r: tf.Tensor) => {
      expect(r.shape).to.deep.equal([3, 4, 1, 1]);
      expect(Array.from(await r.data())).to.deep.equal(Array.from(await want.data()));
    };
    await check(T.vmap(f)(x) as tf.Tensor);
    const jitted = T.jit(T.vmap(f));
    for (let call = 0; call < 2; call++) await check(await callJitted(jitted, x) as tf.Tensor);
    tf.dispose([c, x, want]);
  });
});

describe('transform.vmap: float32 results with int32 storage', () => {
  /**
   * Checks `vmap(expandDims)` of a float32 cast of `ints` (4 lanes), eagerly and jitted over 3
   * calls, against tf.stack of the lanes; returns the lanes' values.
   */
  const expectCastLanesStacked = async (ints: tf.Tensor): Promise<number[]> => {
    const f = (lane: tf.Tensor) => tf.expandDims(lane, 0);
    const want = Array.from(await perLane(f, [tf.cast(ints, 'float32')], [0], 4).data());
    const check = async (r: tf.Tensor) => {
      expect(r.shape).to.deep.equal([4, 1]);
      expect(Array.from(await r.data())).to.deep.equal(want);
    };
    await check(T.vmap(f)(tf.cast(ints, 'float32')) as tf.Tensor);
    const jitted = T.jit((x: tf.Tensor) => T.vmap(f)(tf.cast(x, 'float32')) as tf.Tensor);
    for (let call = 0; call < 3; call++) await check(await callJitted(jitted, ints) as tf.Tensor);
    return want;
  };

  it('a lane of a float32 cast of small int32 host data comes out as the lanes stacked, eagerly and jitted (fuzz seed 2007636 on webgpu: 16777217 where tf.stack gives 16777216)', async () => {
    // The cast keeps the Int32Array on cpu and webgpu, and so do the slices of it (vmap's copy
    // of the argument, the lanes); stacking the lanes (Pack, a CPU concat into a Float32Array)
    // rounds beyond 2^24, while the batched expandDims is a reshape of the exact data.
    await expectCastLanesStacked(tf.tensor1d([5, 16777217, -16777217, 2147483646], 'int32'));
  });

  it('the same on data a kernel uploaded (webgpu: an int32 buffer behind the float32 cast; the lanes\' Pack converts to f32)', async () => {
    // tf.mod runs only on the GPU on webgpu, so it uploads the int32 data the cast shares.
    const ints = tf.tensor1d([5, 16777217, -16777217, 2147483646], 'int32');
    tf.mod(ints, tf.scalar(3, 'int32')).dispose();
    const want = await expectCastLanesStacked(ints);
    expect(want[1]).to.equal(16777216); // every backend stores a stacked float32 in a Float32Array
  });

  it('one lane along any axis: moving the batch axis keeps the lane\'s data, as tf.stack of one tensor (fuzz seed 2405934: a Transpose to axis 0 wrote a Float32Array, 2147483646 became 2147483648)', async () => {
    // A float32 cast of int32 data keeps its Int32Array on cpu and webgpu; moving an axis of
    // length 1 is a reshape, where a Transpose's CPU form copies into an array of the dtype.
    const ints = tf.tensor3d([[[2147483646], [-16777217]], [[16777217], [5]]], [2, 2, 1], 'int32');
    const bodies: [string, (lane: tf.Tensor) => tf.Tensor][] = [
      ['cast', (lane) => tf.cast(lane, 'float32')],
      ['reshape of the cast', (lane) => tf.reshape(tf.cast(lane, 'float32'), [4])],
      ['add after a reshape', (lane) => tf.add(tf.reshape(tf.cast(lane, 'float32'), [4]), tf.scalar(-5))],
    ];
    for (const [name, f] of bodies) {
      for (const [inAxis, outAxis] of [[2, 0], [-1, 1], [1, 0]]) {
        const x = inAxis === 1 ? tf.transpose(ints, [0, 2, 1]) : ints;
        const want = perLane(f, [x], [inAxis < 0 ? inAxis + 3 : inAxis], 1, outAxis);
        const opts = { inAxes: inAxis, outAxes: outAxis };
        const check = async (r: tf.Tensor, how: string) => {
          const where = `${name}, inAxes ${inAxis}, outAxes ${outAxis}, ${how}`;
          expect(r.shape, where).to.deep.equal(want.shape);
          expect(Array.from(await r.data()), where).to.deep.equal(Array.from(await want.data()));
        };
        await check(T.vmap(f, opts)(x) as tf.Tensor, 'vmap');
        const jitted = T.jit(T.vmap(f, opts));
        for (let call = 0; call < 2; call++) await check(await callJitted(jitted, x) as tf.Tensor, `jit call ${call}`);
      }
    }
  });

  it('several lanes: a batch axis moved before a kernel reads the values keeps them exact, as each lane reads them (f32(x + 1), not f32(f32(x) + 1))', async () => {
    // tf.reshape's batching rule moves the batch axis first; a Transpose of the cast would
    // round 16777217 to 16777216 before the add (16777216 where each lane gives 16777218).
    const ints = tf.tensor3d([[[16777217, 5], [-16777217, 2147483583]], [[33554435, 7], [1, -3]]], [2, 2, 2], 'int32');
    const f = (lane: tf.Tensor) => tf.add(tf.reshape(tf.cast(lane, 'float32'), [4]), tf.scalar(1));
    for (const inAxis of [1, 2]) {
      const want = perLane(f, [ints], [inAxis], 2);
      const check = async (r: tf.Tensor, how: string) => {
        expect(r.shape, `inAxes ${inAxis}, ${how}`).to.deep.equal(want.shape);
        expect(Array.from(await r.data()), `inAxes ${inAxis}, ${how}`).to.deep.equal(Array.from(await want.data()));
      };
      await check(T.vmap(f, { inAxes: inAxis })(ints) as tf.Tensor, 'vmap');
      const jitted = T.jit(T.vmap(f, { inAxes: inAxis }));
      for (let call = 0; call < 2; call++) await check(await callJitted(jitted, ints) as tf.Tensor, `jit call ${call}`);
    }
  });

  it('several lanes: a sum reads each lane in the lane\'s layout (tfjs rounds the elements first only where it moves the reduced axes last)', async () => {
    // Each lane's sum over axis 1 of a [2, 2] adds the Int32Array as stored; batched over axis 1 of
    // [2, 2, lanes] tfjs transposes first (a Float32Array), and the cpu Sum over leading axes reads as stored.
    const ints = tf.tensor3d([[[16777217, 5], [16777217, 2147483583]], [[33554435, 7], [1, -3]]], [2, 2, 2], 'int32');
    for (const [inAxis, axis] of [[2, 1], [2, 0], [0, 0], [1, 1]]) {
      const f = (lane: tf.Tensor) => tf.sum(tf.cast(lane, 'float32'), axis);
      const want = perLane(f, [ints], [inAxis], 2);
      const where = (how: string) => `inAxes ${inAxis}, sum over ${axis}, ${how}`;
      const check = async (r: tf.Tensor, how: string) => {
        expect(r.shape, where(how)).to.deep.equal(want.shape);
        expect(Array.from(await r.data()), where(how)).to.deep.equal(Array.from(await want.data()));
      };
      await check(T.vmap(f, { inAxes: inAxis })(ints) as tf.Tensor, 'vmap');
      const jitted = T.jit(T.vmap(f, { inAxes: inAxis }));
      for (let call = 0; call < 2; call++) await check(await callJitted(jitted, ints) as tf.Tensor, `jit call ${call}`);
    }
  });

  it('a mapped argument or batched state that is a float32 cast of int32 data, over an axis with a longer one before it: the lanes\' slices are Float32Array copies (reported by w21d on cpu: 16777217 where the lanes give 16777216)', async () => {
    // The cast keeps its Int32Array on cpu; tfjs's CPU Slice of a lane that is not contiguous
    // copies it into a Float32Array, so each lane reads the values rounded to f32.
    const ints = tf.tensor3d([[[16777217, 5], [-16777217, 2147483583]], [[33554435, 7], [1, -3]]], [2, 2, 2], 'int32');
    const f = (lane: tf.Tensor) => tf.cast(lane, 'int32');
    for (const inAxis of [1, 2, -1]) {
      const axis = inAxis < 0 ? inAxis + 3 : inAxis;
      const want = Array.from(await perLane(f, [tf.cast(ints, 'float32')], [axis], 2).data());
      const check = async (r: tf.Tensor, how: string) => {
        expect(r.shape, `inAxes ${inAxis}, ${how}`).to.deep.equal([2, 2, 2]);
        expect(Array.from(await r.data()), `inAxes ${inAxis}, ${how}`).to.deep.equal(want);
      };
      await check(T.vmap(f, { inAxes: inAxis })(tf.cast(ints, 'float32')) as tf.Tensor, 'vmap');
      const jitted = T.jit((x: tf.Tensor) => T.vmap(f, { inAxes: inAxis })(tf.cast(x, 'float32')) as tf.Tensor);
      for (let call = 0; call < 2; call++) await check(await callJitted(jitted, ints) as tf.Tensor, `jit call ${call}`);
      const own = T.jit(T.vmap(f, { inAxes: inAxis }));
      for (let call = 0; call < 2; call++) await check(await callJitted(own, tf.cast(ints, 'float32')) as tf.Tensor, `jit(vmap) call ${call}`);
      // The same data as a state batched on that axis.
      const state = new bst.HiddenState(tf.cast(ints, 'float32'));
      const g = T.vmap(() => tf.cast(state.value, 'int32'), { inStates: { [axis]: { state } }, axisSize: 2 });
      await check(g() as tf.Tensor, 'batched state');
      state.value = tf.cast(ints, 'float32');
      await check(await callJitted(T.jit(() => g() as tf.Tensor)) as tf.Tensor, 'batched state, jit');
    }
  });
});

describe('transform.vmap: int32 results with float32 storage', () => {
  it('an int32 abs (and a cpu square) of small host lanes comes out as the lanes stacked, eagerly and jitted, and so does a kernel reading it (fuzz seed 3110174 on webgpu: 2147483648 where tf.stack gives -2147483648)', async () => {
    // tfjs's CPU Abs (tfjs-cpu's; tfjs-webgpu's CPU form of host data below its threshold)
    // writes a Float32Array under the int32 record: 2147483646 rounds to 2^31, and so does
    // |-2^31|. Stacking the lanes (Pack, a CPU concat into an Int32Array) wraps it.
    const ints = tf.tensor2d([[2147483646, -3, 5], [-2147483648, 7, 2147483646]], [2, 3], 'int32');
    const abs = (lane: tf.Tensor) => tf.abs(lane);
    const cases: [string, (lane: tf.Tensor) => tf.Tensor, (x: tf.Tensor) => tf.Tensor][] = [
      ['abs', abs, (x) => x],
      ['abs, then a float32 cast of the result', abs, (x) => tf.cast(x, 'float32')],
      ['abs, then a comparison with 0 (tfjs-cpu\'s Less reads the array as it is)', abs, (x) => tf.cast(tf.less(x, tf.scalar(0, 'int32')), 'int32')],
      ['square, then a comparison with 0', (lane) => tf.square(tf.minimum(lane, tf.scalar(46341, 'int32'))),
        (x) => tf.cast(tf.less(x, tf.scalar(0, 'int32')), 'int32')],
    ];
    for (const [what, f, after] of cases) {
      const want = Array.from(await tf.tidy(() => after(perLane(f, [ints], [0], 2))).data());
      const check = async (r: tf.Tensor, how: string) => {
        expect(r.shape, `${what}, ${how}`).to.deep.equal([2, 3]);
        expect(Array.from(await r.data()), `${what}, ${how}`).to.deep.equal(want);
      };
      await check(tf.tidy(() => after(T.vmap(f)(ints) as tf.Tensor)), 'vmap');
      const jitted = T.jit((x: tf.Tensor) => after(T.vmap(f)(x) as tf.Tensor));
      for (let call = 0; call < 3; call++) await check(await callJitted(jitted, ints) as tf.Tensor, `jit call ${call}`);
    }
  });
});

describe('transform.vmap: rank-4 lanes', () => {
  // tfjs-webgpu tiles a rank-5 tensor on its CPU kernel, reading GPU data synchronously (Node
  // cannot), and its Select, Reverse, Cumsum and Pad programs take at most rank 4: the batched
  // kernels of rank-4 lanes keep the lanes' rank (fuzz seed 1083918).
  const cases: [string, (c: tf.Tensor) => (x: tf.Tensor) => tf.Tensor][] = [
    ['tile', () => (x) => tf.tile(x, [2, 1, 2, 1])],
    ['broadcastTo', () => (x) => tf.broadcastTo(tf.slice(x, [0, 0, 0, 0], [1, 2, 1, 4]), [3, 2, 3, 4])],
    ['concat with an unbatched rank-4 value', (c) => (x) => tf.concat([tf.slice(x, [0, 0, 0, 0], [1, 2, 3, 4]), c], 0)],
    ['where', (c) => (x) => tf.where(tf.greater(tf.slice(x, [0, 0, 0, 0], [1, 2, 3, 4]), 0), c, tf.scalar(2))],
    ['reverse', () => (x) => tf.reverse(x, [1, 3])],
    ['cumsum', () => (x) => tf.cumsum(x, 2, false, true)],
    ['pad', () => (x) => tf.pad(x, [[1, 0], [1, 1], [0, 2], [1, 0]], 7)],
  ];
  for (const [name, make] of cases) {
    it(`${name}, batched on axis 0, 2 or 4, on GPU data, eagerly and jitted, as lane by lane`, async () => {
      const c = tf.randomNormal([1, 2, 3, 4], 0, 1, 'float32', 5);
      const f = make(c);
      for (const axis of [0, 2, 4]) {
        const shape = [2, 4, 3, 4];
        shape.splice(axis, 0, 12);
        // 1,152 elements: an add of them runs on the GPU under webgpu, and its result stays there.
        const x = tf.tidy(() => tf.add(tf.randomNormal(shape, 0, 1, 'float32', 3), 0));
        const want = perLane(f, [x], [axis], 12);
        expectTensorClose(T.vmap(f, { inAxes: [axis] })(x) as tf.Tensor, want, 0);
        expectTensorClose(await callJitted(T.jit(T.vmap(f, { inAxes: [axis] })), x) as tf.Tensor, want, 0);
      }
    });
  }
});

describe('transform.vmap: a mapped argument the function also reads whole', () => {
  it('lanes after one that uploads the argument read it as lane by lane, and a state written the same value in every lane stays unbatched (fuzz seed 1102180)', async () => {
    // Small int32 host data: on webgpu lane 0's dead tf.mod reads x whole and uploads it, so
    // the slices of lanes 1 and on are GPU data and abs/relu6 run there (int32 through f32).
    const make = () => tf.tensor2d([[10, 1, 2], [-2147483648, -9, 4], [2147483647, -3, 9], [-2, 5, 10]], [4, 3], 'int32');
    const shared = new bst.ShortTermState(tf.zeros([4, 3], 'int32'));
    const bodyOf = (x: tf.Tensor) => (row: tf.Tensor) => {
      const a = tf.abs(row);
      tf.mod(x, tf.maximum(a, tf.scalar(1, 'int32')));
      return tf.relu6(a);
    };
    const x0 = make();
    const want = Array.from(await perLane(bodyOf(x0), [x0], [0], 4).data());
    const wantState = Array.from(await tf.add(x0, tf.scalar(1, 'int32')).data());
    const jitted = T.jit((x: tf.Tensor) => T.vmap((row: tf.Tensor) => {
      shared.value = tf.add(x, tf.scalar(1, 'int32'));
      return bodyOf(x)(row);
    })(x) as tf.Tensor);
    for (let call = 0; call < 2; call++) {
      const x = make();
      const got = await callJitted(jitted, x);
      expect(Array.from(await got.data()), `call ${call}`).to.deep.equal(want);
      expect(shared.value.shape).to.deep.equal([4, 3]);
      expect(Array.from(await shared.value.data()), `state, call ${call}`).to.deep.equal(wantState);
      tf.dispose([x, got]);
    }
  });

  // On webgpu the lane trace runs lane 0 for real, and its tf.mod reads x whole and uploads it
  // (inside a jit the jit's trace copy; with the jit off or under a tape x itself). Lane by
  // lane, lane 0's slice was taken before: host data, so abs/relu6 of -2147483648 run on the
  // CPU forms (0), while from lane 1 on the slices are GPU data (int32 through f32: 6).
  const rows = [[-2147483648, -9, 4], [2147483647, -3, 9], [10, 1, 2]];
  const uploadingBody = (x: tf.Tensor) => (row: tf.Tensor) => {
    tf.mod(x, tf.scalar(3, 'int32'));
    return tf.relu6(tf.abs(row));
  };
  const lanesOfRows = async (n: number) => {
    const x0 = tf.tensor2d(rows.slice(0, n), [n, 3], 'int32');
    const want = perLane(uploadingBody(x0), [x0], [0], n);
    const values = Array.from(await want.data());
    tf.dispose([x0, want]);
    return values;
  };

  it('one lane: the lane reads a copy of the argument taken before the lane trace uploaded it (jit)', async () => {
    const want = await lanesOfRows(1);
    const jitted = T.jit((x: tf.Tensor) => T.vmap(uploadingBody(x))(x) as tf.Tensor);
    for (let call = 0; call < 2; call++) {
      const x = tf.tensor2d(rows.slice(0, 1), [1, 3], 'int32');
      const got = await callJitted(jitted, x);
      expect(Array.from(await got.data()), `call ${call}`).to.deep.equal(want);
      tf.dispose([x, got]);
    }
    jitted.clearCache();
  });

  it('jit off and under a gradient tape: lane 0 reads host data though the lane trace uploaded the argument itself, the later lanes its GPU data', async () => {
    for (const n of [1, 3]) {
      const want = await lanesOfRows(n);
      const x = tf.tensor2d(rows.slice(0, n), [n, 3], 'int32');
      const got = T.disableJit(() => T.vmap(uploadingBody(x))(x) as tf.Tensor);
      expect(Array.from(await got.data()), `jit off, ${n} lanes`).to.deep.equal(want);
      const y = tf.tensor2d(rows.slice(0, n), [n, 3], 'int32');
      let taped: tf.Tensor | undefined;
      const g = tf.grad((s: tf.Tensor) => {
        taped = tf.keep(T.vmap(uploadingBody(y))(y) as tf.Tensor);
        return tf.sum(s);
      })(tf.scalar(1));
      expect(Array.from(await taped!.data()), `under a tape, ${n} lanes`).to.deep.equal(want);
      tf.dispose([x, got, y, taped!, g]);
    }
  });

  it('the later lanes read constants of their own where the function makes one, as each lane makes it anew (fuzz seed 1311860)', async () => {
    // On webgpu x (small host data, mapped and read whole) makes lane 0 run apart. Lane by lane
    // each lane makes c anew: its lessEqual(x, c) and add(lane, x) run on the CPU forms
    // (1e-40 + 1e-40 = 2e-40) before its dead argMax uploads c. Had the later lanes read lane
    // 0's c, which lane 0's argMax uploaded, their lessEqual would run on the GPU, upload x,
    // and their add flush the denormal to 0.
    const values = [4, 1e-40, 10.5, -13.25, 1.5];
    const lane = (x: tf.Tensor, row: tf.Tensor) => {
      const c = tf.tensor1d([1.5, 1.75, 1.875, 1.25, -0.25]);
      const m = tf.lessEqual(x, c);
      const s = tf.add(row, x);
      tf.argMax(c);
      return tf.where(m, s, row);
    };
    const x0 = tf.tensor1d(values);
    const want = perLane((row) => lane(x0, row), [x0], [0], 5);
    const wantValues = Array.from(await want.data());
    tf.dispose([x0, want]);
    const jitted = T.jit((x: tf.Tensor) => T.vmap((row: tf.Tensor) => lane(x, row))(x) as tf.Tensor);
    const own = T.vmap((row: tf.Tensor, x: tf.Tensor) => lane(x, row), { inAxes: [0, null] });
    for (let call = 0; call < 2; call++) {
      const x = tf.tensor1d(values);
      const got = await callJitted(jitted, x);
      expect(Array.from(await got.data()), `jit, call ${call}`).to.deep.equal(wantValues);
      const y = tf.tensor1d(values);
      const gotOwn = own(y, y) as tf.Tensor;
      expect(Array.from(await gotOwn.data()), `vmap's own program, call ${call}`).to.deep.equal(wantValues);
      tf.dispose([x, got, y, gotOwn]);
    }
    jitted.clearCache();
  });
});

describe('transform.vmap: a batched kernel that reads an unbatched input through a copy', () => {
  it('uploads that input where each lane\'s kernel ran on the GPU, as the lanes\' kernels read it themselves (fuzz seed 2413606)', async () => {
    // On webgpu tf.mod (GPU only) uploads x, so each lane's slice of it is GPU data. Each lane
    // makes c anew, and its tf.where (Select, GPU only too) uploads c, so neg(c) runs on the
    // GPU through f32: -2147483648. The batched where reads a Tile of c (new data, made on the
    // CPU forms): without the upload c stayed host data and neg(c) was exact, -2147483647.
    const lane = (row: tf.Tensor) => {
      const c = tf.scalar(2147483647, 'int32');
      tf.where(tf.scalar(false, 'bool'), row, c);
      return tf.neg(c);
    };
    const make = () => {
      const x = tf.tensor1d([5, -7, 11], 'int32');
      tf.dispose(tf.mod(x, tf.scalar(3, 'int32')));
      return x;
    };
    const x0 = make();
    const want = perLane(lane, [x0], [0], 3);
    const wantValues = Array.from(await want.data());
    tf.dispose([x0, want]);
    const vmapped = T.vmap(lane);
    const jitted = T.jit((x: tf.Tensor) => vmapped(x) as tf.Tensor);
    for (let call = 0; call < 2; call++) {
      const x = make();
      const got = await callJitted(jitted, x);
      expect(Array.from(await got.data()), `jit, call ${call}`).to.deep.equal(wantValues);
      const y = make();
      const own = vmapped(y) as tf.Tensor;
      expect(Array.from(await own.data()), `vmap's own program, call ${call}`).to.deep.equal(wantValues);
      tf.dispose([x, got, y, own]);
    }
    jitted.clearCache();
  });
});

describe('transform.vmap of loops and branches', () => {
  it('forLoop / scan: the body batched, equal to each lane looped separately', () => {
    const f = (x: tf.Tensor, a: tf.Tensor) => {
      const [c, ys] = T.scan((carry: tf.Tensor, xi: tf.Tensor) => {
        const n = tf.add(tf.mul(carry, a), xi);
        return [n, tf.sum(n)];
      }, tf.zeros([3]), x);
      return tf.add(tf.sum(c), tf.sum(ys as tf.Tensor));
    };
    const xs = r(4, 5, 3);
    const as = r(4);
    const want = perLane(f, [xs, as], [0, 0], 4);
    const v = T.vmap(f);
    expectTensorClose(v(xs, as), want, 1e-4);
    const j = T.jit((x: tf.Tensor, a: tf.Tensor) => v(x, a));
    expectTensorClose(j(xs, as), want, 1e-4);
    // xs batched on axis 1 (behind the scanned axis already), a shared.
    const shared = tf.scalar(0.5);
    const want2 = perLane(f, [tf.transpose(xs, [1, 0, 2]), shared], [1, null], 4);
    expectTensorClose(T.vmap(f, { inAxes: [1, null] })(tf.transpose(xs, [1, 0, 2]), shared), want2, 1e-4);
  });

  it('whileLoop with a per-lane predicate runs until every lane is done; finished lanes keep their values', () => {
    const f = (limit: tf.Tensor) => {
      const [i, s] = T.whileLoop((c: tf.Tensor[]) => tf.less(c[1], limit),
        (c: tf.Tensor[]) => [tf.add(c[0], 1), tf.add(c[1], tf.add(c[0], 1))], [tf.scalar(0), tf.scalar(0)]);
      return tf.stack([i, s]);
    };
    const limits = tf.tensor1d([0, 3, 10, 1, 40]);
    const want = perLane(f, [limits], [0], 5);
    expectTensorClose(T.vmap(f)(limits), want);
    expectTensorClose(T.jit((l: tf.Tensor) => T.vmap(f)(l))(limits), want);
    // A predicate the same in every lane stays one loop.
    const g = (x: tf.Tensor) => T.whileLoop((c: tf.Tensor) => tf.less(tf.sum(tf.abs(c)), 100), (c: tf.Tensor) => tf.mul(c, 2), x);
    const xs = tf.ones([3, 2]);
    expectTensorClose(T.vmap(g)(xs), perLane(g, [xs], [0], 3));
  });

  it('per-lane selects of a switch keep every bool byte (fuzz seed 201081 on wasm)', async () => {
    // Bools holding bytes such as 2 and 255: tfjs-wasm's Select read bool operands as floats
    // (wrong bytes, or an out-of-bounds read that aborted the module).
    const sw = (i: tf.Tensor, b: tf.Tensor) => T.switch(i, [(x: tf.Tensor) => tf.logicalNot(x), (x: tf.Tensor) => x], b);
    const idx = tf.tensor1d([0, 1, 1, 0], 'int32');
    const bs = bytes([2, 255, 1, 0, 129, 2, 255, 0, 1, 2, 3, 128], [4, 3]);
    const want = await bits(perLane(sw, [idx, bs], [0, 0], 4));
    expect(await bits(T.vmap(sw)(idx, bs))).to.deep.equal(want);
    expect(await bits(T.jit((i: tf.Tensor, b: tf.Tensor) => T.vmap(sw)(i, b))(idx, bs))).to.deep.equal(want);
  });

  it('whileLoop on a per-lane predicate: a lane goes on while its predicate byte is nonzero, as the loop reads it', async () => {
    // tfjs-cpu's Select takes only a byte 1 as true: a lane whose predicate held 2 kept its
    // carry while the loop (any lane going) never ended.
    const loop = (limit: tf.Tensor, flag: tf.Tensor) => T.whileLoop((c: tf.Tensor) => tf.logicalAnd(tf.less(c, limit), flag),
      (c: tf.Tensor) => tf.add(c, 1), tf.scalar(0));
    const limits = tf.tensor1d([3, 5, 2, 4]);
    const flags = bytes([2, 1, 0, 255], [4]);
    const wantLoop = await bits(perLane(loop, [limits, flags], [0, 0], 4));
    expect(await bits(T.vmap(loop)(limits, flags))).to.deep.equal(wantLoop);
    expect(await bits(T.jit((l: tf.Tensor, f: tf.Tensor) => T.vmap(loop)(l, f))(limits, flags))).to.deep.equal(wantLoop);
  });

  it('cond / switch on a per-lane predicate become a select; states written in either branch merge per lane', () => {
    const s = new bst.HiddenState(tf.zeros([4]));
    const f = (x: tf.Tensor) => T.cond(tf.greater(x, 0), (y: tf.Tensor) => { s.value = tf.add(s.value, y); return tf.mul(y, 2); },
      (y: tf.Tensor) => tf.neg(y), x);
    const xs = tf.tensor1d([1, -2, 3, -4]);
    const v = T.vmap(f, { inStates: s });
    expectTensorClose(v(xs), [2, 2, 6, 4]);
    expectTensorClose(s.value, [1, 0, 3, 0]);
    const j = T.jit((x: tf.Tensor) => v(x));
    expectTensorClose(j(xs), [2, 2, 6, 4]);
    expectTensorClose(s.value, [2, 0, 6, 0]);
    const branches = [(y: tf.Tensor) => tf.sin(y), (y: tf.Tensor) => tf.cos(y), (y: tf.Tensor) => tf.exp(y)];
    const sw = (i: tf.Tensor, y: tf.Tensor) => T.switch(i, branches, y);
    const idx = tf.tensor1d([0, 2, 1, 5, -1], 'int32');
    const ys = r(5, 2);
    expectTensorClose(T.vmap(sw)(idx, ys), perLane(sw, [idx, ys], [0, 0], 5));
    // A shared index stays a branch.
    expectTensorClose(T.vmap(sw, { inAxes: [null, 0] })(tf.scalar(1, 'int32'), ys), tf.cos(ys));
  });
});

describe('nn.initAllStates(model, { vmapSize }) and vmap over a model', () => {
  it('states get a leading batch axis; vmap over the model steps every instance as the separate networks step', () => {
    bst.environ.set({ dt: 0.1 });
    const make = () => new bst.nn.LIF(6, { tau: 5, vTh: 1, vInit: new bst.nn.init.Uniform(0, 1) });
    bst.random.seed(3);
    const batch = make();
    bst.nn.initAllStates(batch, { vmapSize: 4 });
    expect(batch.V.value.shape).to.deep.equal([4, 6]);
    // Each instance initialised on its own (random initial values differ).
    const rows = (batch.V.value.arraySync() as number[][]).map((row) => row.join(','));
    expect(new Set(rows).size).to.equal(4);
    // Four separate networks starting from the same values.
    const singles = [0, 1, 2, 3].map((i) => {
      const n = make();
      n.initState();
      n.V.value = lane(batch.V.value, 0, i);
      return n;
    });
    const step = T.vmap((x: tf.Tensor) => batch.update(x), { inStates: bst.HiddenState });
    const j = T.jit((x: tf.Tensor) => step(x));
    for (let t = 0; t < 5; t++) {
      const x = tf.mul(tf.randomUniform([4, 6]), 3);
      const spikes = (t % 2 === 0 ? step(x) : j(x)) as tf.Tensor;
      const want = tf.stack(singles.map((n, i) => n.update(lane(x, 0, i)) as tf.Tensor));
      expectTensorClose(spikes, want);
      expectTensorClose(batch.V.value, tf.stack(singles.map((n) => n.V.value)), 1e-5);
    }
    expect(() => bst.nn.initAllStates(make(), { vmapSize: 0 })).to.throw(bst.BatchAxisError, 'vmapSize');
  });
});
