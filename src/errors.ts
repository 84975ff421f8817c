/**
 * Every error brainstate-ts throws on purpose derives from {@link BrainStateError}.
 *
 * Messages follow one pattern: `where: what was expected, what was given, and what
 * to do`. Catch a subclass to handle one family of failures.
 *
 * @example
 * ```ts
 * try { bst.backend.init('tpu'); } catch (e) { if (e instanceof bst.BrainStateError) console.log(e.message); }
 * ```
 */
export class BrainStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** A backend was asked for that is unknown or cannot load. */
export class BackendError extends BrainStateError {}

/** A state was used in a way its kind or lifetime does not allow. */
export class StateError extends BrainStateError {}

/** A state was written, inside a transform, with a value of another shape or dtype. */
export class StateShapeError extends StateError {}

/** A decorator was used where it cannot work (wrong field type, missing reflect-metadata, ...). */
export class DecoratorError extends BrainStateError {}

/** A filter list did not cover every state, or a filter itself is malformed. */
export class FilterError extends BrainStateError {}

/** A module graph could not be split, merged or walked. */
export class GraphError extends BrainStateError {}

/** Something about a traced call (jit, grad, loops) cannot be traced or replayed. */
export class TraceError extends BrainStateError {}

/**
 * `transform.vmap` was given axes that do not fit (sizes that disagree, an axis out of
 * range, a state written with a batch axis it was not declared to have): BrainState's
 * `BatchAxisError`.
 */
export class BatchAxisError extends TraceError {}

/** A traced tensor's value was read while tracing: the value is not known until replay. */
export class TracerValueError extends TraceError {}

/**
 * A check on tensor values, made when the values are known (eagerly at once, inside a
 * jitted call when the compiled program reaches it), failed: `transform.ifelse` with
 * `checkCond` found not exactly one true condition. The call leaves every state as it
 * was. BrainState raises such errors through `jit_error_if`.
 */
export class ValueCheckError extends BrainStateError {}

/** Gradient transforms were misused (non-scalar loss, bad argnums, ...). */
export class GradientError extends BrainStateError {}

/** Optimisers were misused (update before registering, mismatched grads tree, ...). */
export class OptimizerError extends BrainStateError {}

/** A checkpoint file is corrupt, truncated, or does not match its target. */
export class CheckpointError extends BrainStateError {}

/** An environment variable or a configuration switch has a value brainstate-ts does not accept. */
export class ConfigError extends BrainStateError {}

/** Where bugs in brainstate-ts are reported (the package has no public repository URL yet). */
export const REPORT_BUGS_AT = 'the brainstate-ts issue tracker';

/**
 * An internal invariant broke: this is a bug in brainstate-ts, not in the code calling
 * it. The message says so and what to put in the report.
 */
export class InternalError extends BrainStateError {
  constructor(message: string) {
    super(`internal: ${message}. This is a bug in brainstate-ts, please report it on ${REPORT_BUGS_AT} with the ` +
      'code that triggered it (ideally a small program), the backend (bst.backend.name()), the tfjs and ' +
      'brainstate-ts versions, and this stack trace.');
  }
}

/** An {@link InternalError} (kept for the call sites that throw the value a function returns). */
export function internalError(message: string): InternalError {
  return new InternalError(message);
}
