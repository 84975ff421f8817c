/**
 * Records the kernels a traced call dispatches into a {@link Program}.
 *
 * The traced function runs once, for real, on the real backend. Every tensor it
 * touches is mapped to a program value by its data id, shape and dtype (tfjs shares
 * data ids between aliases such as clones and same-shape reshapes, which hold equal
 * data, so the mapping is exact). Tensors the recorder has not seen were made outside
 * the traced computation (literals, captured tensors): they become constants.
 */
import * as tf from '@tensorflow/tfjs';
import {
  aliasTensor, copyTensor, EngineListener, isFreshHostData, isOnDevice, KernelInvocation, recordHostResult, unrecorded,
} from '../backend/tfjs-engine';
import { cpuFormsThreshold } from '../backend/targets';
import { InternalError, TraceError, TracerValueError } from '../errors';
import type { ControlSpec, KernelNode, ProgramConstant, ProgramInput, ValueId, ValueType } from './ir';
import { HOST_RANDOM_OPS } from './kernels';
import { sharedScanOutputs } from './passes/upload-order';
import { typeString } from '../util/type-string';


interface Entry {
  readonly key: string;
  readonly id: ValueId;
}

/** How a value was defined, for messages. */
type Origin = { kind: 'input'; what: string } | { kind: 'const' } | { kind: 'kernel'; kernel: string };

export class Recorder implements EngineListener {
  readonly values: ValueType[] = [];
  readonly inputs: ProgramInput[] = [];
  readonly constants: ProgramConstant[] = [];
  readonly nodes: KernelNode[] = [];
  private readonly origins: Origin[] = [];
  private readonly byDataId = new Map<object, Entry[]>();
  /** Saved clones whose input was not bound yet when the engine made them (see onKernel). */
  private readonly unboundClones: [tf.Tensor, tf.Tensor][] = [];

  /** Outer traced tensors a nested sub-program uses without being passed them. */
  readonly captured: { tensor: tf.Tensor; leaf: number; hostData?: boolean }[] = [];
  private argCount = 0;
  /** Data of the tensors made from JS values while this recorder listened (constants of this trace). */
  private readonly made = new WeakSet<object>();
  /** The first input made for each traced-from data id (see {@link addInput}). */
  private readonly inputByData = new Map<object, ValueId>();

  /**
   * `fnName` names the traced function in messages. `outer` is the recorder of the
   * enclosing trace when this one records a loop body or branch. `captureHostData`: such a
   * body also takes the enclosing trace's small host constants as arguments (see {@link valueOf}).
   */
  constructor(private readonly fnName: string, private readonly outer?: Recorder,
    private readonly captureHostData = false) {}

  /** Registers `t` as the next positional argument of the program; returns its leaf index. */
  addArg(t: tf.Tensor, what: string): number {
    const leaf = this.argCount++;
    this.addInput(t, { kind: 'arg', leaf }, what);
    return leaf;
  }

  /** Whether `t` is a traced (non-constant) value here or in an enclosing trace. */
  isTraced(t: tf.Tensor): boolean {
    const id = this.find(t);
    // A constant of the enclosing trace taken as an argument (capturesHostData) is still a constant: its value is known.
    if (id !== undefined) return !this.isConstant(id) && !this.captured.some((c) => c.hostData === true && this.find(c.tensor) === id);
    return this.outer?.isTraced(t) ?? false;
  }

  private static keyOf(t: { shape: readonly number[]; dtype: string }): string {
    return `${typeString(t)}`;
  }

  private newValue(t: { shape: readonly number[]; dtype: tf.DataType }, origin: Origin): ValueId {
    this.values.push({ shape: t.shape.slice(), dtype: t.dtype });
    this.origins.push(origin);
    return this.values.length - 1;
  }

  private bind(t: tf.Tensor, id: ValueId): void {
    const key = Recorder.keyOf(t);
    const list = this.byDataId.get(t.dataId);
    if (list === undefined) {
      this.byDataId.set(t.dataId, [{ key, id }]);
      return;
    }
    const i = list.findIndex((e) => e.key === key);
    if (i >= 0) list[i] = { key, id };
    else list.push({ key, id });
  }

  /**
   * From now on, kernels that read `t`'s data (as `t`'s shape and dtype: also the tape's saved
   * clones of `t`) record a read of `as`'s value instead. A scan gradient's backward body
   * (scan-grad.ts) recomputes the step on the carry as the forward loop found it, and its
   * gradient kernels, which the tape records after that, read the carry eager's tape reads.
   */
  readAs(t: tf.Tensor, as: tf.Tensor): void {
    const id = this.find(as);
    if (id === undefined) throw new InternalError(`readAs: ${typeString(as)} is no value of this trace`);
    this.bind(t, id);
  }

  /** The value `t` is bound to, if any. */
  find(t: tf.Tensor): ValueId | undefined {
    const list = this.byDataId.get(t.dataId);
    if (list === undefined) return undefined;
    const key = Recorder.keyOf(t);
    for (const e of list) if (e.key === key) return e.id;
    return undefined;
  }

  /**
   * Registers `t` as a program input. `t` must have a data id no other bound tensor has.
   * `from`: the data id of the tensor `t` copies (the caller's), so that inputs copied from
   * one data are marked as sharing it ({@link ProgramInput.sharesData}).
   */
  addInput(t: tf.Tensor, source: ProgramInput['source'], what: string, from?: object): ValueId {
    const id = this.newValue(t, { kind: 'input', what });
    const first = from === undefined ? undefined : this.inputByData.get(from);
    if (from !== undefined && first === undefined) this.inputByData.set(from, id);
    this.inputs.push({
      value: id, source, ...(isOnDevice(t) ? { onDevice: true } : {}), ...(first !== undefined ? { sharesData: first } : {}),
    });
    this.bind(t, id);
    return id;
  }

  /** Whether `t` is a value of this trace or an enclosing one, or was made from JS values while one of them recorded. */
  private owns(t: tf.Tensor): boolean {
    return this.find(t) !== undefined || this.made.has(t.dataId) || (this.outer?.owns(t) ?? false);
  }

  /**
   * Whether `t`, read by this loop body or branch, is small host data of the enclosing trace
   * that tfjs-webgpu may run kernels on on its CPU forms: a constant made there (before the
   * body) or a result folded from such constants, which the enclosing program makes new host
   * data at each call (executable.ts `freshConstants`). Eagerly the body's kernels read that
   * very data, and a GPU kernel among them uploads it for good, so later kernels outside the
   * loop on it run on the GPU too (fuzz seed 1001468: a dead `tf.softplus(c)` in a `forLoop`
   * body uploaded c, so a later cast of c to bool flushed a denormal). As a constant of the
   * body it would be a copy of its own, new at every step. So it is an argument of the body,
   * fed by the loop node with the enclosing program's data (an input the passes see read).
   */
  private capturesHostData(t: tf.Tensor): boolean {
    if (!this.captureHostData || this.outer === undefined || this.made.has(t.dataId)) return false;
    const threshold = cpuFormsThreshold(tf.getBackend());
    return threshold > 0 && isFreshHostData(t, threshold) && this.outer.owns(t);
  }

  /** The value of `t`, making it a constant (owned by the program) when it was made outside the trace. */
  valueOf(t: tf.Tensor, where: string): ValueId {
    const found = this.find(t);
    if (found !== undefined) return found;
    if (this.outer?.isTraced(t)) {
      // A value of the enclosing trace captured by a closure: an argument, not a constant.
      const leaf = this.addArg(t, `a value captured from the enclosing trace`);
      this.captured.push({ tensor: t, leaf });
      return this.find(t)!;
    }
    if (this.capturesHostData(t)) {
      const leaf = this.addArg(t, `a constant of the enclosing trace`);
      this.captured.push({ tensor: t, leaf, hostData: true });
      return this.find(t)!;
    }
    if (t instanceof tf.Variable) {
      throw new TraceError(`jit(${this.fnName}): ${where} is a tf.Variable ('${t.name}'), whose value can change ` +
        'between calls without the jit seeing it; hold it in a bst.ParamState (or another State) instead.');
    }
    if (t.isDisposed) {
      throw new TraceError(`jit(${this.fnName}): ${where} is a disposed tensor; keep it alive while tracing.`);
    }
    const id = this.newValue(t, { kind: 'const' });
    this.constants.push({ value: id, tensor: unrecorded(() => tf.keep(aliasTensor(t))) });
    this.bind(t, id);
    return id;
  }

  isConstant(id: ValueId): boolean {
    return this.origins[id].kind === 'const';
  }

  onKernel(inv: KernelInvocation, outputs: tf.Tensor[]): void {
    const isArray = Array.isArray(inv.inputs);
    const named = inv.inputs as Record<string, tf.Tensor | null | undefined>;
    const names = isArray ? null : Object.keys(named);
    const list = isArray ? (inv.inputs as (tf.Tensor | null | undefined)[]) : names!.map((n) => named[n]);
    const inputs = list.map((t, i) => (t == null ? -1 :
      this.valueOf(t, `input '${names == null ? i : names[i]}' of kernel ${inv.kernelName}`)));
    // A kernel over constants only yields constants (folded by a pass), so folding cascades.
    const allConstant = inputs.every((id) => id < 0 || this.isConstant(id));
    const outIds = outputs.map((t) => {
      const id = this.newValue(t, allConstant ? { kind: 'const' } : { kind: 'kernel', kernel: inv.kernelName });
      this.bind(t, id);
      return id;
    });
    this.nodes.push({
      kernel: inv.kernelName,
      inputNames: names,
      inputs,
      attrs: copyAttrs(inv.attrs ?? {}, inv.kernelName, this.fnName),
      outputs: outIds,
      // The trace already computed these; a pass may turn the node into constants.
      folded: allConstant ? unrecorded(() => outputs.map((t) => {
        recordHostResult(t.dataId);
        return tf.keep(aliasTensor(t));
      })) : undefined,
    });
    // Clones the tape saved of this kernel's outputs (tanh, exp, sigmoid save their result)
    // were made before the outputs were bound: bind them now.
    if (this.unboundClones.length > 0) {
      for (const [input, output] of this.unboundClones.splice(0)) {
        const id = this.find(input);
        if (id !== undefined && this.find(output) === undefined) this.bind(output, id);
      }
    }
  }

  /**
   * Records a control-flow node whose outputs were computed by running it directly
   * (not through the engine): `inputs` are outer tensors, `outputs` its results.
   * Returns the result tensors the traced code gets: an output that shares its data with
   * a value already bound (a branch that returned its operand, a loop that kept its
   * carry) is replaced by a copy. Binding the shared data to the node's output would make
   * every later use of that operand read the node's output, which equals it only on the
   * branch or trip count taken at trace time. But a scan carry its body returns as it got
   * it is that data at every trip count (`scanSteps` hands it on): the traced code gets it
   * as it is, still the input's value, as eager's loop hands back the data it started from
   * (a dead `tf.sum` of that final carry uploads the initial carry, an argument, and a
   * later kernel on it then runs on the GPU; a copy would leave the argument on the host).
   */
  recordControl(kernel: string, control: ControlSpec, inputs: readonly tf.Tensor[], outputs: readonly tf.Tensor[]): tf.Tensor[] {
    const ins = inputs.map((t, i) => this.valueOf(t, `input ${i} of ${kernel}`));
    const mine = new Set<object>();
    const passed = control.kind === 'scan' ? sharedScanOutputs(control) : new Map<number, number>();
    const sharesInput = (t: tf.Tensor, k: number) => passed.has(k) && t.dataId === inputs[passed.get(k)!].dataId;
    const results = outputs.map((t, k) => {
      if (sharesInput(t, k)) return t;
      if (!this.byDataId.has(t.dataId) && !mine.has(t.dataId)) {
        mine.add(t.dataId);
        return t;
      }
      const c = copyTensor(t);
      t.dispose();
      return c;
    });
    const outs = results.map((t, k) => {
      const id = this.newValue(t, { kind: 'kernel', kernel });
      // A passed carry stays bound to its input's value (same shape and dtype); a one-step scan's y has its own shape.
      if (!(t === outputs[k] && sharesInput(t, k) && this.find(t) !== undefined)) this.bind(t, id);
      return id;
    });
    this.nodes.push({ kernel, inputNames: null, inputs: ins, attrs: {}, outputs: outs, control });
    return results;
  }

  onMadeTensor(t: tf.Tensor): void {
    this.made.add(t.dataId);
  }

  /** Whether `t`'s data was made from JS values while this recorder listened (not in an enclosing trace). */
  madeHere(t: tf.Tensor): boolean {
    return this.made.has(t.dataId);
  }

  onNestedIdentity(input: tf.Tensor, output: tf.Tensor): void {
    const id = this.find(input);
    if (id === undefined) this.unboundClones.push([input, output]);
    else if (this.find(output) === undefined) this.bind(output, id);
  }

  onMakeTensor(scopeNames: readonly string[]): void {
    for (const scope of scopeNames) {
      const op = scope.endsWith('__op') ? scope.slice(0, -4) : scope;
      if (HOST_RANDOM_OPS.includes(op)) {
        throw new TraceError(`jit(${this.fnName}): tf.${op}() draws its numbers in JavaScript, so a jitted call ` +
          'would replay the same numbers forever; use bst.random (random.normal, random.uniform, random.bernoulli, ' +
          'nn.Dropout), whose key is a state that the compiled program reads and advances at every call.');
      }
    }
  }

  onRead(t: tf.Tensor, method: string): void {
    if (!this.isTraced(t)) return;
    const id = this.find(t);
    const what = id === undefined ? 'a value of the enclosing trace' : this.describe(id);
    throw new TracerValueError(`jit(${this.fnName}): ${method}() read the value of a traced tensor ` +
      `(${Recorder.keyOf(t)}, ${what}) while tracing; its value is only known when the compiled program runs. ` +
      'Make the value a static argument (staticArgnums / staticArgnames), select with tf.where instead of ' +
      'an if on a value, use transform.cond for branches, or move the read outside the jitted function.');
  }

  /** How value `id` was defined, for messages. */
  describe(id: ValueId): string {
    const o = this.origins[id];
    return o.kind === 'input' ? o.what : o.kind === 'const' ? 'a constant' : `the result of ${o.kernel}`;
  }
}

/** A deep copy of kernel attributes; tensors there cannot be replayed and are an error. */
function copyAttrs(attrs: Record<string, unknown>, kernel: string, fnName: string): Record<string, unknown> {
  const copy = (v: unknown): unknown => {
    if (v == null || typeof v !== 'object') return v;
    if (v instanceof tf.Tensor) {
      throw new TraceError(`jit(${fnName}): kernel ${kernel} takes a tensor as an attribute, which cannot be ` +
        'replayed; this op is not supported inside jit.');
    }
    if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): unknown }).slice();
    if (Array.isArray(v)) return v.map(copy);
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k]);
    return out;
  };
  return copy(attrs) as Record<string, unknown>;
}
