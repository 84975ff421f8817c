/**
 * `HH`: the Hodgkin-Huxley neuron (1952), as brainpy.state's `HH`.
 */
import * as tf from '@tensorflow/tfjs';
import type { HiddenState } from '../state';
import { DynParam } from './dynamics';
import { InitSpec, Uniform } from './init';
import { hiddenOf, Neuron, NeuronOptions } from './neuron';

/** Options of {@link HH} (defaults are brainpy.state's, in mV, ms, mS/cm², µF/cm², µA/cm²). */
export interface HHOptions extends Omit<NeuronOptions, 'spkReset'> {
  /** Sodium reversal potential (default 50). */
  ENa?: DynParam;
  /** Maximal sodium conductance (default 120). */
  gNa?: DynParam;
  /** Potassium reversal potential (default -77). */
  EK?: DynParam;
  /** Maximal potassium conductance (default 36). */
  gK?: DynParam;
  /** Leak reversal potential (default -54.387). */
  EL?: DynParam;
  /** Leak conductance (default 0.03, brainpy.state's). */
  gL?: DynParam;
  /** Spike detection level: a spike is reported while `V >= vTh` (default 20). */
  vTh?: DynParam;
  /** Membrane capacitance (default 1). */
  C?: DynParam;
  /** Initial potential (default uniform in [-70, -60]). */
  vInit?: InitSpec;
  /** Initial gating variables (default: their steady states at the initial potential). */
  mInit?: InitSpec;
  hInit?: InitSpec;
  nInit?: InitSpec;
}

/** `x / (exp(x) - 1)`'s reciprocal helper: `(exp(x) - 1) / x`, 1 at 0 (NumPy's `exprel`). */
function exprel(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const small = tf.less(tf.abs(x), 1e-4);
    const safe = tf.where(small, tf.onesLike(x), x);
    return tf.where(small, tf.add(tf.mul(x, 0.5), 1), tf.div(tf.expm1(safe), safe));
  });
}

/** The opening (alpha) and closing (beta) rates, in 1/ms, of the gates at potential `V`. */
export const HH_RATES = {
  mAlpha: (V: tf.Tensor) => tf.div(1, exprel(tf.div(tf.add(V, 40), -10))),
  mBeta: (V: tf.Tensor) => tf.mul(4, tf.exp(tf.div(tf.add(V, 65), -18))),
  hAlpha: (V: tf.Tensor) => tf.mul(0.07, tf.exp(tf.div(tf.add(V, 65), -20))),
  hBeta: (V: tf.Tensor) => tf.div(1, tf.add(1, tf.exp(tf.div(tf.add(V, 35), -10)))),
  nAlpha: (V: tf.Tensor) => tf.div(0.1, exprel(tf.div(tf.add(V, 55), -10))),
  nBeta: (V: tf.Tensor) => tf.mul(0.125, tf.exp(tf.div(tf.add(V, 65), -80))),
};

type Gate = 'm' | 'h' | 'n';

/** `alpha / (alpha + beta)` of gate `g` at `V`. */
function steady(g: Gate, V: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const a = HH_RATES[`${g}Alpha`](V);
    return tf.div(a, tf.add(a, HH_RATES[`${g}Beta`](V)));
  });
}

/**
 * Hodgkin-Huxley neurons, brainpy.state's `HH`:
 * `C dV/dt = -gNa m^3 h (V - ENa) - gK n^4 (V - EK) - gL (V - EL) + I`, with gates
 * `dx/dt = alpha_x(V) (1 - x) - beta_x(V) x` for `x` in `m, h, n`. Each step takes the
 * currents at the potential of the step's start: `V` moves by forward Euler, and the gates
 * by exponential Euler (exact for the rates of that potential) unless `method` is
 * `'euler'`. There is no reset; the spike output is `spkFun((V - vTh) / vTh)`, 1 while
 * `V >= vTh`.
 *
 * @example
 * ```ts
 * const n = new bst.nn.HH(10);
 * n.initState();
 * bst.environ.context({ dt: 0.01 }, () => n.update(10));
 * ```
 * @see LIF
 */
export class HH extends Neuron {
  readonly ENa: DynParam;
  readonly gNa: DynParam;
  readonly EK: DynParam;
  readonly gK: DynParam;
  readonly EL: DynParam;
  readonly gL: DynParam;
  readonly vTh: DynParam;
  readonly C: DynParam;
  readonly vInit: InitSpec;
  readonly mInit: InitSpec | undefined;
  readonly hInit: InitSpec | undefined;
  readonly nInit: InitSpec | undefined;
  V!: HiddenState;
  m!: HiddenState;
  h!: HiddenState;
  n!: HiddenState;

  constructor(inSize: number | readonly number[], options: HHOptions = {}) {
    super(inSize, options, { spkReset: 'soft', method: 'expEuler' }, 'HH');
    this.ENa = options.ENa ?? 50;
    this.gNa = options.gNa ?? 120;
    this.EK = options.EK ?? -77;
    this.gK = options.gK ?? 36;
    this.EL = options.EL ?? -54.387;
    this.gL = options.gL ?? 0.03;
    this.vTh = options.vTh ?? 20;
    this.C = options.C ?? 1;
    this.vInit = options.vInit ?? new Uniform(-70, -60);
    this.mInit = options.mInit;
    this.hInit = options.hInit;
    this.nInit = options.nInit;
  }

  override initState(batchSize?: number): void {
    const V = this.initial(this.vInit, batchSize, 'vInit');
    this.V = hiddenOf(this.V, V, 'V');
    const gate = (g: Gate, spec: InitSpec | undefined) =>
      (spec === undefined ? steady(g, V) : this.initial(spec, batchSize, `${g}Init`));
    this.m = hiddenOf(this.m, gate('m', this.mInit), 'm');
    this.h = hiddenOf(this.h, gate('h', this.hInit), 'h');
    this.n = hiddenOf(this.n, gate('n', this.nInit), 'n');
  }

  /** `spkFun((V - vTh) / vTh)`. */
  getSpike(V?: tf.Tensor): tf.Tensor {
    const v = V ?? this.need(this.V, 'V', 'getSpike').value;
    return tf.tidy(() => this.spkFun(tf.div(tf.sub(v, this.vTh), this.vTh)));
  }

  override update(x: tf.Tensor | number = 0): tf.Tensor {
    const states = { V: this.need(this.V, 'V', 'update'), m: this.need(this.m, 'm', 'update'),
      h: this.need(this.h, 'h', 'update'), n: this.need(this.n, 'n', 'update') };
    const dt = this.stepInput(x, states.V.value, 'update');
    const out = tf.tidy(() => {
      const V = states.V.value;
      const m = states.m.value;
      const h = states.h.value;
      const n = states.n.value;
      const iNa = tf.mul(tf.mul(this.gNa, tf.mul(tf.pow(m, 3), h)), tf.sub(V, this.ENa));
      const iK = tf.mul(tf.mul(this.gK, tf.pow(n, 4)), tf.sub(V, this.EK));
      const iL = tf.mul(this.gL, tf.sub(V, this.EL));
      const I = this.sumCurrentInputs(x, V);
      const dV = tf.div(tf.sub(I, tf.add(tf.add(iNa, iK), iL)), this.C);
      const Vn = this.withDeltaInputs(tf.add(V, tf.mul(dV, dt)));
      const gateStep = (g: Gate, s: tf.Tensor) => {
        const a = HH_RATES[`${g}Alpha`](V);
        const k = tf.add(a, HH_RATES[`${g}Beta`](V));
        if (this.method === 'euler') return tf.add(s, tf.mul(tf.sub(a, tf.mul(k, s)), dt));
        const inf = tf.div(a, k);
        return tf.add(inf, tf.mul(tf.sub(s, inf), tf.exp(tf.mul(k, -dt))));
      };
      return [Vn, gateStep('m', m), gateStep('h', h), gateStep('n', n), this.getSpike(Vn)];
    });
    states.V.value = out[0];
    states.m.value = out[1];
    states.h.value = out[2];
    states.n.value = out[3];
    return out[4];
  }

  override call(x?: tf.Tensor | number): tf.Tensor {
    return this.update(x);
  }
}
