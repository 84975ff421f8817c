/**
 * Every optimiser against a reference: optax trajectories (the chains braintools
 * builds; scripts/reference/optim_reference.py wrote spec/fixtures/optim-reference.json)
 * and, where tfjs has the optimiser, tf.train's own numbers. Then, for each optimiser:
 * a jitted update equals the eager one, and a checkpoint (and a stateDict) round trip
 * resumes exactly.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { expectNoLeaks } from '../helpers';

const optim = bst.optim;

interface Reference {
  source: string;
  steps: number;
  init: { w: number[]; b: number[] };
  trajectories: Record<string, { w: number[]; b: number[] }[]>;
  schedules: Record<string, number[]>;
}
const REF: Reference = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/optim-reference.json'), 'utf8'));

type Params = { w: bst.ParamState; b: bst.ParamState };

function makeParams(): Params {
  return { w: new bst.ParamState(tf.tensor(REF.init.w, [2, 3])), b: new bst.ParamState(tf.tensor(REF.init.b, [3])) };
}

/** The problem's gradient `a p + c + 0.2 p³` (see the Python script). */
function gradOf(p: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const n = p.size;
    const a = tf.tensor(Array.from({ length: n }, (_, i) => 1 + 0.25 * (i % 4)), p.shape);
    const c = tf.tensor(Array.from({ length: n }, (_, i) => Math.fround(0.1 * (i % 3) - 0.1)), p.shape);
    return tf.add(tf.add(tf.mul(a, p), c), tf.mul(0.2, tf.pow(p, 3)));
  });
}

function step(opt: bst.optim.Optimizer, ps: Params): void {
  const grads = { w: gradOf(ps.w.value), b: gradOf(ps.b.value) };
  opt.update(grads);
  tf.dispose([grads.w, grads.b]);
}

function close(got: ArrayLike<number>, want: number[], what: string, tol = 1e-5): void {
  expect(got.length, what).to.equal(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i] - want[i]), `${what}[${i}]: got ${got[i]}, optax ${want[i]}`).to.be.at.most(tol * (1 + Math.abs(want[i])));
  }
}

/** Our optimiser for each reference case, configured as the Python chain. */
const CASES: Record<string, () => bst.optim.Optimizer> = {
  'RMSProp': () => new optim.RMSProp(1e-2),
  'RMSProp centered momentum': () => new optim.RMSProp(1e-2, { alpha: 0.9, centered: true, momentum: 0.9 }),
  'Adagrad': () => new optim.Adagrad(0.1, { initialAccumulatorValue: 0.1 }),
  'Adadelta': () => new optim.Adadelta(1.0),
  'Adamax': () => new optim.Adamax(2e-2),
  'NAdam': () => new optim.NAdam(2e-2),
  'RAdam': () => new optim.RAdam(1e-2),
  'Lamb': () => new optim.Lamb(1e-2, { weightDecay: 1e-2 }),
  'Lars': () => new optim.Lars(1.0, { weightDecay: 1e-4 }),
  'Lookahead(Adam)': () => new optim.Lookahead(new optim.Adam(5e-2), { syncPeriod: 3, alpha: 0.5 }),
  'Yogi': () => new optim.Yogi(1e-2),
  'Rprop': () => new optim.Rprop(1e-2),
  'LBFGS': () => new optim.LBFGS(0.5, { memorySize: 3 }),
  'SGD gradClipValue': () => new optim.SGD(0.1, { gradClipValue: 0.5 }),
  'SGD gradClipNorm weightDecay': () => new optim.SGD(0.1, { gradClipNorm: 0.8, weightDecay: 0.1 }),
};

describe(`optim: against optax (${REF.source})`, () => {
  for (const [name, make] of Object.entries(CASES)) {
    it(`${name}: ${REF.steps} updates follow optax's trajectory within 1e-5`, () => {
      const ps = makeParams();
      const opt = make();
      opt.registerTrainableWeights(ps);
      REF.trajectories[name].forEach((want, k) => {
        step(opt, ps);
        close(ps.w.value.dataSync(), want.w, `${name} step ${k + 1} w`);
        close(ps.b.value.dataSync(), want.b, `${name} step ${k + 1} b`);
      });
    });
  }

  for (const [name, values] of Object.entries(REF.schedules)) {
    it(`schedule ${name} equals braintools' formula at updates 0..${values.length - 1}`, () => {
      // eslint-disable-next-line no-new-func
      const sched = new Function('optim', `return optim.${name};`)(optim) as bst.optim.Schedule;
      const got = values.map((_, s) => tf.tidy(() => sched(tf.scalar(s)).dataSync()[0]));
      close(got, values, name);
    });
  }
});

describe('optim: against tf.train', () => {
  const pairs: [string, () => bst.optim.Optimizer, () => tf.Optimizer][] = [
    ['RMSProp', () => new optim.RMSProp(0.01, { alpha: 0.9, eps: 1e-7 }), () => tf.train.rmsprop(0.01, 0.9, 0, 1e-7)],
    // eps 0: tfjs 4.22's centered RMSProp subtracts eps under the root (sqrt(ms - (mg² + eps))).
    ['RMSProp centered, momentum', () => new optim.RMSProp(0.01, { alpha: 0.9, eps: 0, momentum: 0.8, centered: true }),
      () => tf.train.rmsprop(0.01, 0.9, 0.8, 0, true)],
    ['Adagrad', () => new optim.Adagrad(0.1, { initialAccumulatorValue: 0.1, eps: 1e-7 }), () => tf.train.adagrad(0.1, 0.1)],
    // No tf.train.adadelta: tfjs 4.22 divides by the previous E[g²], not the updated one (optax above is the reference).
    ['Adamax', () => new optim.Adamax(0.02, { eps: 1e-8 }), () => tf.train.adamax(0.02, 0.9, 0.999, 1e-8)],
  ];
  for (const [name, ours, theirs] of pairs) {
    it(`${name}: 8 updates equal tf.train's within 1e-5`, () => {
      const ps = makeParams();
      const opt = ours();
      opt.registerTrainableWeights(ps);
      const vw = tf.variable(tf.tensor(REF.init.w, [2, 3]));
      const vb = tf.variable(tf.tensor(REF.init.b, [3]));
      const ref = theirs();
      for (let k = 0; k < 8; k++) {
        step(opt, ps);
        const gw = gradOf(vw);
        const gb = gradOf(vb);
        ref.applyGradients({ [vw.name]: gw, [vb.name]: gb });
        tf.dispose([gw, gb]);
        close(ps.w.value.dataSync(), Array.from(vw.dataSync()), `${name} step ${k + 1} w`);
        close(ps.b.value.dataSync(), Array.from(vb.dataSync()), `${name} step ${k + 1} b`);
      }
      ref.dispose();
      tf.dispose([vw, vb]);
    });
  }
});

describe('optim: every optimiser under jit and through checkpoints', () => {
  for (const [name, make] of Object.entries(CASES)) {
    it(`${name}: a jitted update equals the eager one; a checkpoint and a stateDict resume exactly; no leaks`, () => {
      const eagerPs = makeParams();
      const eager = make();
      eager.registerTrainableWeights(eagerPs);
      const jitPs = makeParams();
      const jitted = make();
      jitted.registerTrainableWeights(jitPs);
      const jstep = bst.transform.jit(() => step(jitted, jitPs));
      for (let k = 0; k < 4; k++) {
        step(eager, eagerPs);
        jstep();
      }
      close(jitPs.w.value.dataSync(), Array.from(eagerPs.w.value.dataSync()), `${name} jit w`, 1e-6);
      close(jitPs.b.value.dataSync(), Array.from(eagerPs.b.value.dataSync()), `${name} jit b`, 1e-6);
      expect(jstep.traceCount).to.equal(1);

      // Save the optimiser (its step, moments, memories) and the weights; restore into fresh ones.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-optim-'));
      const file = path.join(dir, 'opt.safetensors');
      bst.checkpoint.save(file, { opt: eager, params: eagerPs } as never);
      const saved = eager.stateDict();
      const restoredPs = makeParams();
      const restored = make();
      restored.registerTrainableWeights(restoredPs);
      bst.checkpoint.load(file, { opt: restored, params: restoredPs } as never);
      fs.rmSync(dir, { recursive: true, force: true });
      for (let k = 0; k < 3; k++) {
        step(eager, eagerPs);
        step(restored, restoredPs);
      }
      expect(Array.from(restoredPs.w.value.dataSync())).to.deep.equal(Array.from(eagerPs.w.value.dataSync()));
      expect(Array.from(restoredPs.b.value.dataSync())).to.deep.equal(Array.from(eagerPs.b.value.dataSync()));

      // stateDict: rewind the optimiser; the same three updates from the same weights repeat exactly.
      const afterW = Array.from(eagerPs.w.value.dataSync());
      const replayPs = makeParams();
      const replay = make();
      replay.registerTrainableWeights(replayPs);
      replay.loadStateDict(saved);
      Object.values(saved.states).forEach((t) => t.dispose());
      // Weights as they were at the save: replay the first four eager updates' result.
      const atSave = makeParams();
      const tmp = make();
      tmp.registerTrainableWeights(atSave);
      for (let k = 0; k < 4; k++) step(tmp, atSave);
      replayPs.w.value = tf.clone(atSave.w.value);
      replayPs.b.value = tf.clone(atSave.b.value);
      for (let k = 0; k < 3; k++) step(replay, replayPs);
      expect(Array.from(replayPs.w.value.dataSync())).to.deep.equal(afterW);

      expectNoLeaks(() => jstep(), 5);
    });
  }

  it('loadStateDict names what does not match and writes nothing', () => {
    const a = new optim.Adam(1e-2);
    a.registerTrainableWeights(makeParams());
    const b = new optim.RMSProp(1e-2);
    b.registerTrainableWeights(makeParams());
    const dict = b.stateDict();
    const before = a.step.value;
    expect(() => a.loadStateDict(dict)).to.throw(bst.OptimizerError, /missing .*slots\/m/);
    expect(a.step.value).to.equal(before);
  });
});

describe('optim: parameter groups', () => {
  it('a group with its own learning rate and weight decay updates as a separate optimiser would', () => {
    const ps = makeParams();
    const opt = new optim.Adam(1e-2);
    opt.registerTrainableWeights(ps);
    const g = opt.addParamGroup(ps.b, { lr: 0.1, weightDecay: 0.01 });
    expect(g).to.equal(1);
    expect(opt.paramGroups.map((x) => x.states.length)).to.deep.equal([1, 1]);
    const wOnly = { w: new bst.ParamState(tf.tensor(REF.init.w, [2, 3])) };
    const bOnly = { b: new bst.ParamState(tf.tensor(REF.init.b, [3])) };
    const ow = new optim.Adam(1e-2);
    ow.registerTrainableWeights(wOnly);
    const ob = new optim.Adam(0.1, { weightDecay: 0.01 });
    ob.registerTrainableWeights(bOnly);
    for (let k = 0; k < 5; k++) {
      step(opt, ps);
      ow.update({ w: gradOf(wOnly.w.value) });
      ob.update({ b: gradOf(bOnly.b.value) });
    }
    close(ps.w.value.dataSync(), Array.from(wOnly.w.value.dataSync()), 'group 0 w', 1e-6);
    close(ps.b.value.dataSync(), Array.from(bOnly.b.value.dataSync()), 'group 1 b', 1e-6);
  });

  it('a group needs registered states', () => {
    const opt = new optim.SGD(0.1);
    expect(() => opt.addParamGroup(makeParams().w)).to.throw(bst.OptimizerError, 'register the trainable weights first');
    opt.registerTrainableWeights(makeParams());
    expect(() => opt.addParamGroup(makeParams().w)).to.throw(bst.OptimizerError, 'is not registered');
  });
});
