/**
 * Projections, brainpy.state's way of wiring populations: `AlignPostProj` (pre-synaptic
 * spikes -> connectivity -> synapse -> output -> post-synaptic neurons), `CurrentProj`
 * (no synapse dynamics) and `DeltaProj` (a jump of the potential).
 */
import * as tf from '@tensorflow/tfjs';
import { BrainStateError } from '../errors';
import { holderCount } from '../state';
import { Dynamics } from './dynamics';
import { Module } from './module';
import { SynOut } from './synout';

/** What maps pre-synaptic activity to post-synaptic input: a module (`event.FixedProb`, `nn.Linear`) or a function. */
export type Comm = { call(x: tf.Tensor): unknown } | ((x: tf.Tensor) => tf.Tensor);

/** A pre-processing step applied to the input before `comm` (e.g. `STP`): a module or a function. */
export type PreModule = { call(x: tf.Tensor): unknown } | ((x: tf.Tensor) => tf.Tensor);

/** A synapse model a projection drives: it takes delta inputs and `update()` returns its conductance. */
export type Synapse = Dynamics & { update(): tf.Tensor };

let counter = 0;

/** Disposes an intermediate the projection made (never the caller's input or a state's value). */
function release(t: tf.Tensor, input: tf.Tensor): void {
  if (t !== input && holderCount(t) === 0) t.dispose();
}

function apply(f: Comm | PreModule, x: tf.Tensor, where: string): tf.Tensor {
  const y = typeof f === 'function' ? f(x) : f.call(x);
  if (!(y instanceof tf.Tensor)) {
    throw new BrainStateError(`${where}: expected each module to return a tensor, got ${typeof y}.`);
  }
  return y;
}

function checkCallable(f: unknown, name: string, where: string): void {
  if (typeof f !== 'function' && (typeof f !== 'object' || f === null || typeof (f as Comm & object).call !== 'function')) {
    throw new BrainStateError(`${where}: expected ${name} to be a module with call(x) or a function, got ` +
      `${f === null ? 'null' : typeof f}.`);
  }
}

function checkPost(post: unknown, where: string): asserts post is Dynamics {
  if (!(post instanceof Dynamics)) {
    throw new BrainStateError(`${where}: expected post to be a neuron population (an nn.Dynamics such as nn.LIF), ` +
      `got ${post === null ? 'null' : typeof post === 'object' ? (post as object).constructor.name : typeof post}.`);
  }
}

/** Options of {@link AlignPostProj}. */
export interface AlignPostProjOptions {
  /** Steps applied to the input before `comm`, in order (e.g. `STP`). */
  modules?: PreModule[];
  /** The connectivity. */
  comm: Comm;
  /** The synapse, of the post-synaptic shape; it receives `comm`'s output as a delta input. */
  syn: Synapse;
  /** The output turning the synapse's conductance into a current. */
  out: SynOut;
  /** The post-synaptic population. */
  post: Dynamics;
}

/**
 * The post-synaptic-aligned projection of brainpy.state: at each `update(spikes)` the
 * spikes go through `modules`, then `comm` (e.g. `event.FixedProb`), whose result is
 * added to the synapse `syn` (one variable per post-synaptic neuron, so the cost does not
 * grow with the number of synapses); the synapse steps and its conductance is bound to
 * `out`, which the post-synaptic neurons call with their potential at their next update.
 * Call the projections before the neurons in each step, as brainpy.state does. Each
 * projection owns its synapse (no merging of shared synapse descriptors).
 *
 * @example
 * ```ts
 * const N = new bst.nn.LIF(4000, { tau: 20, vTh: -50, vReset: -60, vRest: -60, tauRef: 5 });
 * const E = new bst.nn.AlignPostProj({
 *   comm: new bst.event.FixedProb(3200, 4000, 0.02, 0.6),
 *   syn: new bst.nn.Expon(4000, { tau: 5 }),
 *   out: new bst.nn.COBA(0),
 *   post: N,
 * });
 * // each step: E.update(excitatorySpikes); N.update(20);
 * ```
 * @see CurrentProj
 */
export class AlignPostProj extends Module {
  readonly modules: PreModule[];
  readonly comm: Comm;
  readonly syn: Synapse;
  readonly out: SynOut;
  readonly post: Dynamics;
  /** The key under which this projection feeds the synapse and the post-synaptic neurons. */
  readonly key: string;
  private conductance: tf.Tensor | undefined;

  constructor(options: AlignPostProjOptions) {
    super();
    const where = 'AlignPostProj';
    const { modules = [], comm, syn, out, post } = options;
    modules.forEach((m, i) => checkCallable(m, `modules[${i}]`, where));
    checkCallable(comm, 'comm', where);
    if (!(syn instanceof Dynamics)) {
      throw new BrainStateError(`${where}: expected syn to be a synapse model (an nn.Dynamics such as nn.Expon), got ` +
        `${syn === null ? 'null' : typeof syn}.`);
    }
    if (!(out instanceof SynOut)) {
      throw new BrainStateError(`${where}: expected out to be a synaptic output (nn.COBA or nn.CUBA), got ` +
        `${out === null ? 'null' : typeof out}.`);
    }
    checkPost(post, where);
    this.modules = modules;
    this.comm = comm;
    this.syn = syn;
    this.out = out;
    this.post = post;
    this.key = `AlignPostProj${counter++}`;
    post.addCurrentInput(this.key, out);
  }

  /** One step: pre-synaptic `spikes` in, the synapse advanced and its conductance bound to `out`. */
  override update(spikes: tf.Tensor): void {
    let x = spikes;
    const made: tf.Tensor[] = [];
    for (const m of this.modules) {
      x = apply(m, x, 'AlignPostProj.update');
      made.push(x);
    }
    const input = apply(this.comm, x, 'AlignPostProj.update');
    made.forEach((t) => release(t, spikes));
    this.syn.addDeltaInput(this.key, input);
    const g: unknown = this.syn.update();
    release(input, spikes);
    if (!(g instanceof tf.Tensor)) {
      throw new BrainStateError(`AlignPostProj.update: expected syn.update() to return the conductance tensor, got ${typeof g}.`);
    }
    this.conductance?.dispose();
    this.conductance = g;
    this.out.bindCond(g);
  }

  override call(spikes: tf.Tensor): void {
    this.update(spikes);
  }
}

/** Options of {@link CurrentProj}. */
export interface CurrentProjOptions {
  modules?: PreModule[];
  comm: Comm;
  out: SynOut;
  post: Dynamics;
}

/**
 * A projection without synapse dynamics (brainpy.state's `CurrentProj`): `comm`'s output
 * is bound to `out` as the conductance of the step. With a kinetic synapse in `modules`
 * (e.g. `AMPA` of the pre-synaptic shape) it is the pre-synaptic-aligned pattern.
 *
 * @example
 * ```ts
 * const proj = new bst.nn.CurrentProj({
 *   modules: [new bst.nn.AMPA(100)],
 *   comm: new bst.event.FixedProb(100, 50, 0.1, 0.2),
 *   out: new bst.nn.COBA(0),
 *   post: neurons,
 * });
 * ```
 * @see AlignPostProj
 */
export class CurrentProj extends Module {
  readonly modules: PreModule[];
  readonly comm: Comm;
  readonly out: SynOut;
  readonly post: Dynamics;
  readonly key: string;
  private conductance: tf.Tensor | undefined;

  constructor(options: CurrentProjOptions) {
    super();
    const where = 'CurrentProj';
    const { modules = [], comm, out, post } = options;
    modules.forEach((m, i) => checkCallable(m, `modules[${i}]`, where));
    checkCallable(comm, 'comm', where);
    if (!(out instanceof SynOut)) {
      throw new BrainStateError(`${where}: expected out to be a synaptic output (nn.COBA or nn.CUBA).`);
    }
    checkPost(post, where);
    this.modules = modules;
    this.comm = comm;
    this.out = out;
    this.post = post;
    this.key = `CurrentProj${counter++}`;
    post.addCurrentInput(this.key, out);
  }

  override update(x: tf.Tensor): void {
    let y = x;
    const made: tf.Tensor[] = [];
    for (const m of this.modules) {
      y = apply(m, y, 'CurrentProj.update');
      made.push(y);
    }
    const g = apply(this.comm, y, 'CurrentProj.update');
    made.forEach((t) => release(t, x));
    this.conductance?.dispose();
    this.conductance = g;
    this.out.bindCond(g);
  }

  override call(x: tf.Tensor): void {
    this.update(x);
  }
}

/** Options of {@link DeltaProj}. */
export interface DeltaProjOptions {
  modules?: PreModule[];
  comm: Comm;
  post: Dynamics;
}

/**
 * A projection that makes the post-synaptic potential jump by `comm`'s output at the
 * neurons' next update (brainpy.state's `DeltaProj`).
 *
 * @example
 * ```ts
 * const proj = new bst.nn.DeltaProj({ comm: new bst.event.FixedProb(100, 100, 0.1, 0.5), post: neurons });
 * ```
 */
export class DeltaProj extends Module {
  readonly modules: PreModule[];
  readonly comm: Comm;
  readonly post: Dynamics;
  readonly key: string;

  constructor(options: DeltaProjOptions) {
    super();
    const where = 'DeltaProj';
    const { modules = [], comm, post } = options;
    modules.forEach((m, i) => checkCallable(m, `modules[${i}]`, where));
    checkCallable(comm, 'comm', where);
    checkPost(post, where);
    this.modules = modules;
    this.comm = comm;
    this.post = post;
    this.key = `DeltaProj${counter++}`;
  }

  override update(x: tf.Tensor): void {
    let y = x;
    for (const m of this.modules) y = apply(m, y, 'DeltaProj.update');
    this.post.addDeltaInput(this.key, apply(this.comm, y, 'DeltaProj.update'));
  }

  override call(x: tf.Tensor): void {
    this.update(x);
  }
}
