/**
 * Recurrent cells, as BrainState's `nn.ValinaRNNCell` (BrainState's spelling),
 * `GRUCell`, `MGUCell`, `LSTMCell` and `URLSTMCell`: `call(x)` advances one step and
 * returns the new hidden state, which lives in a `HiddenState` (`h`, and `c` for the
 * LSTMs) made by `initState(batchSize?)` (or `nn.initAllStates(model, batchSize)`).
 * The weights are `Linear` layers over `concat([x, h])`, with BrainState's layouts,
 * gate orders and initialisers.
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import * as random from '../random';
import { HiddenState, ParamState } from '../state';
import * as act from './activations';
import { InitSpec, Orthogonal, param, XavierNormal, ZeroInit } from './init';
import { Linear } from './linear';
import { Module, Size } from './module';

/** An activation by BrainState's name, or a function. */
export type ActivationSpec = 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'silu' | 'softplus' | 'elu' | 'leakyRelu' |
  ((x: tf.Tensor) => tf.Tensor);

const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  relu: act.relu, tanh: act.tanh, sigmoid: act.sigmoid, gelu: (x) => act.gelu(x), silu: act.silu,
  softplus: act.softplus, elu: (x) => act.elu(x), leakyRelu: (x) => act.leakyRelu(x),
};

function toActivation(a: ActivationSpec, where: string): (x: tf.Tensor) => tf.Tensor {
  if (typeof a === 'function') return a;
  const f = ACTIVATIONS[a];
  if (f === undefined) {
    throw new BrainStateError(`${where}: unknown activation '${String(a)}'; expected a function or one of ` +
      `${Object.keys(ACTIVATIONS).map((k) => `'${k}'`).join(', ')}.`);
  }
  return f;
}

/** Options of the recurrent cells (BrainState's names; defaults differ per cell, as BrainState's). */
export interface RNNCellOptions {
  /** Weight initialiser. */
  wInit?: InitSpec;
  /** Bias initialiser (default zeros). */
  bInit?: InitSpec;
  /** Initial hidden state (default zeros). */
  stateInit?: InitSpec;
  /** Activation (BrainState's default: `'relu'` for ValinaRNNCell, `'tanh'` for the others). */
  activation?: ActivationSpec;
  /** A name for the module. */
  name?: string;
}

/** The base of the recurrent cells (BrainState's `nn.RNNCell`). */
export abstract class RNNCell extends Module {
  declare inSize: Size;
  declare outSize: Size;
  /** The hidden state, after `initState`. */
  h: HiddenState | undefined;
  protected readonly activation: (x: tf.Tensor) => tf.Tensor;
  protected readonly stateInit: InitSpec;

  constructor(readonly numIn: number, readonly numOut: number, options: RNNCellOptions, defaultActivation: ActivationSpec) {
    super(options.name);
    const where = new.target.name;
    for (const [n, v] of [['numIn', numIn], ['numOut', numOut]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new BrainStateError(`${where}: expected ${n} to be a positive integer, got ${v}.`);
    }
    this.inSize = Object.freeze([numIn]);
    this.outSize = Object.freeze([numOut]);
    this.activation = toActivation(options.activation ?? defaultActivation, where);
    this.stateInit = options.stateInit ?? new ZeroInit();
  }

  /** A fresh initial state value, `[batchSize, numOut]` or `[numOut]`. */
  protected initialValue(batchSize: unknown): tf.Tensor {
    const shape = typeof batchSize === 'number' ? [batchSize, this.numOut] : [this.numOut];
    return param(this.stateInit, shape, `${this.constructor.name}(stateInit)`);
  }

  /** Makes the hidden state(s) for `batchSize` examples (none: no batch axis). */
  override initState(batchSize?: unknown): void {
    this.h = new HiddenState(this.initialValue(batchSize), { name: 'h' });
  }

  /** Puts the hidden state(s) back to their initial value. */
  override resetState(batchSize?: unknown): void {
    if (this.h === undefined) this.initState(batchSize);
    else this.h.value = this.initialValue(batchSize);
  }

  /** The hidden state's state object, or an error saying to call `initState` first. */
  protected hidden(): HiddenState {
    if (this.h === undefined) {
      throw new BrainStateError(`${this.constructor.name}.call: the hidden state does not exist yet; call ` +
        'cell.initState(batchSize) (or nn.initAllStates(model, batchSize)) first.');
    }
    return this.h;
  }

  /** Checks one step's input `[batch, numIn]` (or `[numIn]`). */
  protected checkInput(x: tf.Tensor): void {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.numIn) {
      throw new BrainStateError(`${this.constructor.name}.call: expected an input [batch, ${this.numIn}], got ` +
        `[${x.shape.join(',')}].`);
    }
  }

  override call(x: tf.Tensor): tf.Tensor {
    return this.update(x) as tf.Tensor;
  }
}

/**
 * The vanilla RNN cell (BrainState's `nn.ValinaRNNCell`): `h = act(W [x, h] + b)`,
 * activation `'relu'` and `XavierNormal` weights by default.
 *
 * @example
 * ```ts
 * const cell = new bst.nn.ValinaRNNCell(3, 8);
 * cell.initState(4);
 * cell.call(tf.ones([4, 3])).shape;   // [4, 8]
 * ```
 */
export class ValinaRNNCell extends RNNCell {
  readonly W: Linear;

  constructor(numIn: number, numOut: number, options: RNNCellOptions = {}) {
    super(numIn, numOut, options, 'relu');
    this.W = new Linear(numIn + numOut, numOut, { wInit: options.wInit ?? new XavierNormal(), bInit: options.bInit ?? 0 });
  }

  override update(x: tf.Tensor): tf.Tensor {
    this.checkInput(x);
    const hs = this.hidden();
    const h = hs.value;
    hs.value = tf.tidy(() => this.activation(this.W.call(tf.concat([x, h], -1))));
    return hs.value;
  }
}

/**
 * The gated recurrent unit (BrainState's `nn.GRUCell`): `[r, z] = σ(Wrz [x, h])`,
 * `h̃ = act(Wh [x, r h])`, `h = (1 - z) h + z h̃`; `Orthogonal` weights by default.
 *
 * @example
 * ```ts
 * const cell = new bst.nn.GRUCell(3, 8);
 * cell.initState(4);
 * cell.call(tf.ones([4, 3])).shape;   // [4, 8]
 * ```
 */
export class GRUCell extends RNNCell {
  readonly Wrz: Linear;
  readonly Wh: Linear;

  constructor(numIn: number, numOut: number, options: RNNCellOptions = {}) {
    super(numIn, numOut, options, 'tanh');
    const o = { wInit: options.wInit ?? new Orthogonal(), bInit: options.bInit ?? 0 };
    this.Wrz = new Linear(numIn + numOut, numOut * 2, o);
    this.Wh = new Linear(numIn + numOut, numOut, o);
  }

  override update(x: tf.Tensor): tf.Tensor {
    this.checkInput(x);
    const hs = this.hidden();
    const old = hs.value;
    hs.value = tf.tidy(() => {
      const [r, z] = tf.split(tf.sigmoid(this.Wrz.call(tf.concat([x, old], -1))), 2, -1);
      const cand = this.activation(this.Wh.call(tf.concat([x, tf.mul(r, old)], -1)));
      return tf.add(tf.mul(tf.sub(1, z), old), tf.mul(z, cand));
    });
    return hs.value;
  }
}

/**
 * The minimal gated unit (BrainState's `nn.MGUCell`): `f = σ(Wf [x, h])`,
 * `h̃ = act(Wh [x, f h])`, `h = (1 - f) h + f h̃`.
 *
 * @example
 * ```ts
 * const cell = new bst.nn.MGUCell(3, 8);
 * cell.initState(4);
 * cell.call(tf.ones([4, 3])).shape;   // [4, 8]
 * ```
 */
export class MGUCell extends RNNCell {
  readonly Wf: Linear;
  readonly Wh: Linear;

  constructor(numIn: number, numOut: number, options: RNNCellOptions = {}) {
    super(numIn, numOut, options, 'tanh');
    const o = { wInit: options.wInit ?? new Orthogonal(), bInit: options.bInit ?? 0 };
    this.Wf = new Linear(numIn + numOut, numOut, o);
    this.Wh = new Linear(numIn + numOut, numOut, o);
  }

  override update(x: tf.Tensor): tf.Tensor {
    this.checkInput(x);
    const hs = this.hidden();
    const old = hs.value;
    hs.value = tf.tidy(() => {
      const f = tf.sigmoid(this.Wf.call(tf.concat([x, old], -1)));
      const cand = this.activation(this.Wh.call(tf.concat([x, tf.mul(f, old)], -1)));
      return tf.add(tf.mul(tf.sub(1, f), old), tf.mul(f, cand));
    });
    return hs.value;
  }
}

/** The LSTMs' second state. */
abstract class TwoStateCell extends RNNCell {
  /** The cell state, after `initState`. */
  c: HiddenState | undefined;

  override initState(batchSize?: unknown): void {
    this.c = new HiddenState(this.initialValue(batchSize), { name: 'c' });
    super.initState(batchSize);
  }

  override resetState(batchSize?: unknown): void {
    if (this.c === undefined) this.initState(batchSize);
    else {
      this.c.value = this.initialValue(batchSize);
      super.resetState(batchSize);
    }
  }
}

/**
 * The long short-term memory cell (BrainState's `nn.LSTMCell`): gates `[i, g, f, o]`
 * from one `Linear` `W` over `[x, h]`; `c = σ(f + 1) c + σ(i) act(g)`,
 * `h = σ(o) act(c)` (the forget gate is biased by +1, as BrainState).
 *
 * @example
 * ```ts
 * const cell = new bst.nn.LSTMCell(3, 8);
 * cell.initState(4);
 * cell.call(tf.ones([4, 3])).shape;   // [4, 8]; cell.c holds the cell state
 * ```
 */
export class LSTMCell extends TwoStateCell {
  readonly W: Linear;

  constructor(numIn: number, numOut: number, options: RNNCellOptions = {}) {
    super(numIn, numOut, options, 'tanh');
    this.W = new Linear(numIn + numOut, numOut * 4, { wInit: options.wInit ?? new XavierNormal(), bInit: options.bInit ?? 0 });
  }

  override update(x: tf.Tensor): tf.Tensor {
    this.checkInput(x);
    const hs = this.hidden();
    const cs = this.c as HiddenState;
    const h = hs.value;
    const c = cs.value;
    const [nh, nc] = tf.tidy(() => {
      const [i, g, f, o] = tf.split(this.W.call(tf.concat([x, h], -1)), 4, -1);
      const c2 = tf.add(tf.mul(tf.sigmoid(tf.add(f, 1)), c), tf.mul(tf.sigmoid(i), this.activation(g)));
      return [tf.mul(tf.sigmoid(o), this.activation(c2)), c2];
    });
    hs.value = nh;
    cs.value = nc;
    return hs.value;
  }
}

/**
 * The LSTM with the UR gating mechanism (BrainState's `nn.URLSTMCell`, Gu et al. 2020):
 * gates `[f, r, u, o]`, an untied forget bias `b` drawn so `σ(b)` is uniform, and
 * `g = 2 r f + (1 - 2 r) f²` (with `f = σ(f + b)`, `r = σ(r - b)`) as the forget gate.
 *
 * @example
 * ```ts
 * const cell = new bst.nn.URLSTMCell(3, 8);
 * cell.initState(4);
 * cell.call(tf.ones([4, 3])).shape;   // [4, 8]
 * ```
 */
export class URLSTMCell extends TwoStateCell {
  readonly W: Linear;
  /** The untied forget-gate bias. */
  readonly bias: ParamState;

  constructor(numIn: number, numOut: number, options: Omit<RNNCellOptions, 'bInit'> = {}) {
    super(numIn, numOut, options, 'tanh');
    this.W = new Linear(numIn + numOut, numOut * 4, { wInit: options.wInit ?? new XavierNormal(), bias: false });
    const u = random.uniform([numOut], { minval: 1 / numOut, maxval: 1 - 1 / numOut });
    this.bias = new ParamState(tf.tidy(() => tf.neg(tf.log(tf.sub(tf.div(1, u), 1)))), { name: 'bias' });
    u.dispose();
  }

  override update(x: tf.Tensor): tf.Tensor {
    this.checkInput(x);
    const hs = this.hidden();
    const cs = this.c as HiddenState;
    const h = hs.value;
    const c = cs.value;
    const b = this.bias.value;
    const [nh, nc] = tf.tidy(() => {
      const [f, r, u, o] = tf.split(this.W.call(tf.concat([x, h], -1)), 4, -1);
      const fg = tf.sigmoid(tf.add(f, b));
      const rg = tf.sigmoid(tf.sub(r, b));
      const g = tf.add(tf.mul(tf.mul(2, rg), fg), tf.mul(tf.sub(1, tf.mul(2, rg)), tf.square(fg)));
      const c2 = tf.add(tf.mul(g, c), tf.mul(tf.sub(1, g), this.activation(u)));
      return [tf.mul(tf.sigmoid(o), this.activation(c2)), c2];
    });
    hs.value = nh;
    cs.value = nc;
    return hs.value;
  }
}
