/**
 * The optimiser base: registered weights, a step counter and per-weight slots (moments)
 * that are all states, so that a jitted training step (forward, backward, update)
 * replays exactly as the eager step would, bias corrections and schedules included.
 */
import * as tf from '@tensorflow/tfjs';
import { OptimizerError, InternalError } from '../errors';
import { Module } from '../nn/module';
import { LongTermState, State, StateValue } from '../state/state';
import { tensorLeaves } from '../state/tree';
import { unflatten } from '../util/pytree';
import { LearningRate, Schedule, toSchedule } from './schedule';
import { collectWeights, matchGrads, TrainableWeights, Weights } from './weights';
import { clipByGlobalNorm, gradClipValue } from './clip';
import { loadStateDictInto, OptimizerStateDict, stateDictOf } from './state-dict';

/**
 * A state of an optimiser (step count, moments, bias-correction powers): long-lived, so
 * graph filters can keep it apart from the model's `ParamState`s.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.Adam(1e-3);
 * opt.step instanceof bst.optim.OptimState;   // true
 * ```
 */
export type { OptimizerStateDict } from './state-dict';
export { clipByGlobalNorm, gradClipValue } from './clip';

export class OptimState<T extends StateValue = tf.Tensor> extends LongTermState<T> {}

/**
 * Options every optimiser takes (braintools' names).
 *
 * @example
 * ```ts
 * new bst.optim.SGD(0.1, { weightDecay: 1e-4, gradClipNorm: 5 });
 * ```
 */
export interface OptimizerOptions {
  /** L2 penalty added to each gradient: `g + weightDecay * p` (default 0). */
  weightDecay?: number;
  /** Rescale all gradients together when their global L2 norm exceeds this (default: no clipping). */
  gradClipNorm?: number;
  /** Clip every gradient element to `[-gradClipValue, gradClipValue]`, after `gradClipNorm` (optax's `clip`). */
  gradClipValue?: number;
}

/** Options of {@link Optimizer.addParamGroup}. */
export interface ParamGroupOptions {
  /** The group's learning rate: a number or a schedule (default: the optimiser's). */
  lr?: LearningRate;
  /** The group's weight decay (default: the optimiser's). */
  weightDecay?: number;
}

/** A parameter group: its learning rate and weight decay. */
export interface ParamGroup {
  readonly lr: Schedule;
  readonly weightDecay: number;
  /** The registered states in this group. */
  readonly states: State<StateValue>[];
}


/** What one update of one tensor leaf computes. */
export interface LeafUpdate {
  readonly param: tf.Tensor;
  readonly slots: tf.Tensor[];
}

/**
 * The base of every optimiser. Subclasses name their per-weight slots and say how one
 * leaf is updated; the base registers weights, matches grads, clips, applies weight
 * decay, evaluates the schedule and writes every state.
 *
 * @example
 * ```ts
 * const opt = new bst.optim.SGD(0.1);
 * opt.registerTrainableWeights(model.states(bst.ParamState));
 * const grads = bst.transform.grad(lossFn, { gradStates: model.states(bst.ParamState) })(x, y);
 * opt.update(grads);
 * ```
 */
export abstract class Optimizer extends Module {
  /** Updates applied so far (int32 scalar state). */
  readonly step: OptimState<tf.Scalar>;
  /** Slot states (moments) per registered state, by slot name; each holds a tree like the state's value. */
  readonly slots: Record<string, OptimState<StateValue>[]> = {};
  /** The learning-rate schedule. */
  readonly lr: Schedule;
  readonly weightDecay: number;
  readonly gradClipNorm: number | undefined;
  readonly gradClipValue: number | undefined;
  private weights!: Weights | undefined;
  /** Parameter groups (the default group first); not walked: they hold the model's states. */
  private groups!: ParamGroup[];
  /** Per registered entry, the index of its group. */
  private entryGroup!: number[];

  /** The names of this optimiser's per-weight slots (`['m', 'v']` for Adam). */
  protected abstract readonly slotNames: readonly string[];

  constructor(lr: LearningRate, options: OptimizerOptions = {}) {
    super();
    const name = new.target.name;
    this.lr = toSchedule(lr, name);
    this.weightDecay = options.weightDecay ?? 0;
    this.gradClipNorm = options.gradClipNorm;
    if (!Number.isFinite(this.weightDecay) || this.weightDecay < 0) {
      throw new OptimizerError(`${name}: expected weightDecay to be a non-negative number, got ${String(this.weightDecay)}.`);
    }
    if (this.gradClipNorm !== undefined && !(this.gradClipNorm > 0)) {
      throw new OptimizerError(`${name}: expected gradClipNorm to be a positive number, got ${String(this.gradClipNorm)}.`);
    }
    this.gradClipValue = options.gradClipValue;
    if (this.gradClipValue !== undefined && !(this.gradClipValue > 0)) {
      throw new OptimizerError(`${name}: expected gradClipValue to be a positive number, got ${String(this.gradClipValue)}.`);
    }
    this.step = new OptimState(tf.scalar(0, 'int32'), { name: 'step' });
    // Not fields the graph walker follows: the weights belong to the model.
    Object.defineProperty(this, 'weights', { value: undefined, writable: true, enumerable: false });
    Object.defineProperty(this, 'groups', { value: [], writable: true, enumerable: false });
    Object.defineProperty(this, 'entryGroup', { value: [], writable: true, enumerable: false });
  }

  /**
   * Registers the states to train and creates their slots (zeros). Call once, eagerly.
   *
   * @example
   * ```ts
   * opt.registerTrainableWeights(model.states(bst.ParamState));   // or [w, b], or one state
   * ```
   * @param weights - live states: one, an array or object of them, or a NestedDict.
   * @throws OptimizerError for leaves that are not states, non-float32 values, or a second call.
   */
  registerTrainableWeights(weights: TrainableWeights): void {
    const where = `${this.constructor.name}.registerTrainableWeights`;
    if (this.weights !== undefined) {
      throw new OptimizerError(`${where}: weights are already registered (${plural(this.weights.leaves.length, 'tensor')}); ` +
        'register all of them in one call, or make a new optimiser for another set.');
    }
    const w = collectWeights(weights, where);
    for (const name of this.slotNames) {
      this.slots[name] = w.entries.map((e) => new OptimState(
        unflatten(e.def, w.leaves.slice(e.first, e.first + e.count).map((l) => this.initialSlot(name, l.shape.slice()))) as StateValue,
        { name: `${name}:${e.state.name ?? e.first}` }));
    }
    this.initExtraStates();
    this.weights = w;
    this.groups = [{ lr: this.lr, weightDecay: this.weightDecay, states: w.entries.map((e) => e.state) }];
    this.entryGroup = w.entries.map(() => 0);
    this.initLeafStates(w);
  }

  /** The starting value of slot `name` for a leaf of `shape` (zeros unless a subclass says otherwise). */
  protected initialSlot(_name: string, shape: number[]): StateValue {
    return tf.zeros(shape);
  }

  /** Creates optimiser states that depend on the registered leaves (LBFGS's memory). */
  protected initLeafStates(_weights: Weights): void {}

  /**
   * Gives some registered states their own learning rate and weight decay (a parameter
   * group, as PyTorch's and braintools' `add_param_group`; the group keeps this
   * optimiser's algorithm). Register every state first, then move subsets into groups.
   *
   * @example
   * ```ts
   * opt.registerTrainableWeights(model.states(bst.ParamState));
   * opt.addParamGroup(model.head.states(bst.ParamState), { lr: 1e-4, weightDecay: 0 });
   * ```
   * @param states - registered states: one, an array or object of them, or a NestedDict.
   * @param options - `lr` (number or schedule), `weightDecay`.
   * @returns the group's index.
   * @throws OptimizerError before registering, or for a state that is not registered.
   */
  addParamGroup(states: TrainableWeights, options: ParamGroupOptions = {}): number {
    const where = `${this.constructor.name}.addParamGroup`;
    const w = this.weights;
    if (w === undefined) {
      throw new OptimizerError(`${where}: register the trainable weights first ` +
        '(optimizer.registerTrainableWeights(model.states(bst.ParamState))), then move a subset into a group.');
    }
    const wd = options.weightDecay ?? this.weightDecay;
    if (!Number.isFinite(wd) || wd < 0) {
      throw new OptimizerError(`${where}: expected weightDecay to be a non-negative number, got ${String(wd)}.`);
    }
    const picked = collectWeights(states, where).entries.map((e) => e.state);
    const index = this.groups.length;
    for (const st of picked) {
      const k = w.entries.findIndex((e) => e.state === st);
      if (k < 0) {
        throw new OptimizerError(`${where}: ${st.label()} is not registered with this optimiser; register every ` +
          'trainable state with registerTrainableWeights first.');
      }
      this.entryGroup[k] = index;
    }
    this.groups.push({ lr: options.lr === undefined ? this.lr : toSchedule(options.lr, where), weightDecay: wd, states: picked });
    // A state moved into the new group leaves the group it was in.
    this.groups.forEach((g, i) => {
      (g.states as State<StateValue>[]).splice(0, g.states.length,
        ...w.entries.filter((_, k) => this.entryGroup[k] === i).map((e) => e.state));
    });
    return index;
  }

  /** The parameter groups (the default one first). */
  get paramGroups(): readonly ParamGroup[] {
    return this.groups;
  }

  /**
   * Every state of this optimiser (step count, moments, ...) by path, as copies the
   * caller owns, and the groups' weight decays (braintools' and PyTorch's `state_dict`).
   * `checkpoint.save(file, optimizer)` stores the same states in a file.
   *
   * @example
   * ```ts
   * const saved = opt.stateDict();
   * // ... train on ...
   * opt.loadStateDict(saved);   // back to where it was
   * ```
   * @see loadStateDict
   */
  stateDict(): OptimizerStateDict {
    return stateDictOf(this, this.groups.map((g) => ({ weightDecay: g.weightDecay, size: g.states.length })));
  }

  /**
   * Writes a {@link stateDict} back: every path must exist with the same shape and dtype,
   * and nothing is written unless all of them match. The tensors are copied.
   *
   * @throws OptimizerError naming every missing, extra or mismatched path.
   * @see stateDict
   */
  loadStateDict(dict: OptimizerStateDict): void {
    loadStateDictInto(this, dict, `${this.constructor.name}.loadStateDict`);
  }

  /** The registered states, in registration order (empty before registering). */
  get trainableStates(): State<StateValue>[] {
    return this.weights?.entries.map((e) => e.state) ?? [];
  }

  /**
   * The learning rate the next update will use, from the step state.
   *
   * @example
   * ```ts
   * opt.currentLr().print();
   * ```
   * @returns a float32 scalar the caller owns.
   */
  currentLr(): tf.Scalar {
    const step = this.step.value;
    return tf.tidy(() => this.lr(tf.cast(step, 'float32') as tf.Scalar));
  }

  /**
   * Applies one update: `grads` as `transform.grad` returns them for the registered
   * states (same structure; a tree of `TreefyState` gradients works too).
   *
   * @example
   * ```ts
   * const grads = bst.transform.grad(loss, { gradStates: params })(x, y);
   * opt.update(grads);
   * ```
   * @param grads - the gradients.
   * @throws OptimizerError before registering, or when the grads tree does not match.
   */
  override update(grads: unknown): void {
    const where = `${this.constructor.name}.update`;
    const w = this.weights;
    if (w === undefined) {
      throw new OptimizerError(`${where}: no trainable weights are registered; call ` +
        'optimizer.registerTrainableWeights(model.states(bst.ParamState)) once before updating.');
    }
    const g = matchGrads(grads, w, where);
    // Read every state before the tidy and write after it, so that under jit the traced
    // inputs and the new values outlive the tidy's scope.
    const params = w.entries.map((e) => e.state.value);
    const paramLeaves = w.entries.flatMap((e, i) => leavesOf(params[i], e.count));
    const slotVals = this.slotNames.map((n) => this.slots[n].flatMap((s, i) => leavesOf(s.value, w.entries[i].count)));
    const step = this.step.value;
    const extra = this.extraStates().map((s) => s.value);

    const leafGroup = w.entries.flatMap((e, i) => new Array<number>(e.count).fill(this.entryGroup[i]));

    const out = tf.tidy(() => {
      const stepF = tf.cast(step, 'float32') as tf.Scalar;
      const lr = this.lr(stepF);
      const lrs = this.groups.map((grp, i) => (i === 0 || grp.lr === this.lr ? lr : grp.lr(stepF)));
      let gs = g;
      if (this.gradClipNorm !== undefined) gs = clipByGlobalNorm(gs, this.gradClipNorm);
      if (this.gradClipValue !== undefined) gs = gradClipValue(gs, this.gradClipValue);
      const { context, extra: nextExtra } = this.beginStep(stepF, lr, extra);
      const contexts = lrs.map((l) => (l === lr ? context : { ...context, lr: l }));
      const decays = leafGroup.map((k) => this.groups[k].weightDecay);
      const leafCtx = leafGroup.map((k) => contexts[k]);
      const gd = gs.map((gi, i) => (decays[i] > 0 && this.couplesWeightDecay() ? tf.add(gi, tf.mul(decays[i], paramLeaves[i])) : gi));
      const { params: newParams, slots: newSlots, extra: lastExtra } = this.updateLeaves(paramLeaves, gd,
        slotVals, leafCtx, decays, nextExtra);
      return { newParams, newSlots, nextExtra: lastExtra, nextStep: tf.add(step, tf.scalar(1, 'int32')) };
    });

    w.entries.forEach((e, i) => {
      e.state.value = unflatten(e.def, out.newParams.slice(e.first, e.first + e.count)) as StateValue;
    });
    this.slotNames.forEach((n, k) => this.slots[n].forEach((s, i) => {
      const e = w.entries[i];
      s.value = unflatten(e.def, out.newSlots[k].slice(e.first, e.first + e.count)) as StateValue;
    }));
    this.extraStates().forEach((s, i) => { s.value = out.nextExtra[i]; });
    this.step.value = out.nextStep as tf.Scalar;
  }

  /**
   * Updates every leaf: the new parameters, the new slots (per slot name, per leaf) and
   * the new optimiser-wide states. The default applies {@link updateLeaf} leaf by leaf;
   * optimisers that couple leaves (LBFGS) override it. Runs inside the update's tidy.
   *
   * @param decays - each leaf's weight decay (already added to its gradient when
   *   {@link couplesWeightDecay} is true).
   */
  protected updateLeaves(params: tf.Tensor[], grads: tf.Tensor[], slots: tf.Tensor[][], ctx: StepContext[],
    decays: number[], extra: tf.Tensor[]): { params: tf.Tensor[]; slots: tf.Tensor[][]; extra: tf.Tensor[] } {
    const newParams: tf.Tensor[] = [];
    const newSlots: tf.Tensor[][] = this.slotNames.map(() => []);
    params.forEach((p, i) => {
      const u = this.updateLeaf(p, grads[i], slots.map((s) => s[i]), { ...ctx[i], weightDecay: decays[i] });
      newParams.push(u.param);
      u.slots.forEach((s, k) => newSlots[k].push(s));
    });
    return { params: newParams, slots: newSlots, extra };
  }

  /** Creates optimiser-wide states beyond `step` (Adam's bias-correction powers). */
  protected initExtraStates(): void {}

  /** The optimiser-wide states beyond `step`, in a fixed order. */
  protected extraStates(): OptimState[] {
    return [];
  }

  /** Whether `weightDecay` is added to the gradient (L2); AdamW decays the weights instead. */
  protected couplesWeightDecay(): boolean {
    return true;
  }

  /**
   * Per-update values shared by every leaf, and the next values of {@link extraStates}.
   * Runs inside the update's tidy; return tensors only through the result.
   */
  protected beginStep(step: tf.Scalar, lr: tf.Scalar, extra: tf.Tensor[]): { context: StepContext; extra: tf.Tensor[] } {
    return { context: { step, lr, values: [] }, extra };
  }

  /** One leaf's update: the new parameter and the new slot values (in `slotNames` order). */
  protected abstract updateLeaf(param: tf.Tensor, grad: tf.Tensor, slots: tf.Tensor[], ctx: StepContext): LeafUpdate;
}

/** What {@link Optimizer.beginStep} hands every leaf update. */
export interface StepContext {
  /** The step count before this update (float32). */
  readonly step: tf.Scalar;
  /** The learning rate of this update. */
  readonly lr: tf.Scalar;
  /** Subclass-specific per-update values (Adam: the bias-corrected step size). */
  readonly values: tf.Tensor[];
  /** This leaf's weight decay (for optimisers that decay the update rather than the gradient). */
  readonly weightDecay?: number;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function leavesOf(value: StateValue, count: number): tf.Tensor[] {
  const out = tensorLeaves(value);
  if (out.length !== count) throw new InternalError(`expected ${count} leaves, found ${out.length}`);
  return out;
}

