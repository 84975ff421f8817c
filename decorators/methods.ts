/**
 * `@jit(opts?)` on a module method: each instance gets its own jitted function,
 * created at first access, with `this` as part of the function. Works under standard
 * decorators and under `experimentalDecorators`; in both, the method becomes a getter on
 * the declaring class's prototype that returns the instance's `JittedFunction`.
 */
import { DecoratorError } from '../src/errors';
import { assertNoHiddenFields } from '../src/graph/node-metadata';
import { states as graphStates } from '../src/graph/split';
import { defaultLabeler, JitCore, JitOptions, JittedFunction, makeJitted, AnyFunction } from '../src/transform/jit';
import type { StateLabeler } from '../src/transform/trace';
import { requireReflectMetadata } from './field-worlds';

const PER_INSTANCE: unique symbol = Symbol('brainstate.jittedMethods');

interface HasJitted {
  [PER_INSTANCE]?: Map<string, unknown>;
}

/** Labels states by their path in the module (computed at the first trace). */
function moduleLabeler(root: object): StateLabeler {
  const fallback = defaultLabeler();
  let paths: Map<unknown, string> | undefined;
  return (s) => {
    if (paths === undefined) {
      paths = new Map();
      for (const [path, st] of graphStates(root).toFlat().entries()) paths.set(st, path.join('.'));
    }
    return paths.get(s) ?? fallback(s);
  };
}

/** The instance's jitted function for method `name`, made at first use. */
function jittedFor(instance: object, name: string, owner: string, method: AnyFunction, options: JitOptions): unknown {
  const holder = instance as HasJitted;
  let map = holder[PER_INSTANCE];
  if (map === undefined) {
    map = new Map();
    Object.defineProperty(instance, PER_INSTANCE, { value: map, enumerable: false });
  }
  let jitted = map.get(name);
  if (jitted === undefined) {
    assertNoHiddenFields(instance, `@jit ${owner}.${name}`);
    const core = new JitCore(method as (...a: unknown[]) => unknown, { name: `${owner}.${name}`, ...options },
      instance, moduleLabeler(instance));
    jitted = makeJitted(core, method);
    map.set(name, jitted);
  }
  return jitted;
}

/** The getter a jitted method is on its declaring class's prototype. */
function jitGetter(name: string, owner: string, method: AnyFunction, options: JitOptions): PropertyDescriptor {
  return {
    configurable: true,
    enumerable: false,
    get(this: object) {
      return jittedFor(this, name, owner, method, options);
    },
  };
}

/** The subset of a standard method-decorator context that `@jit` reads. */
interface StandardMethodContext {
  readonly kind: string;
  readonly name: string | symbol;
  readonly static: boolean;
  readonly private: boolean;
  addInitializer(initializer: (this: unknown) => void): void;
}

function isStandardContext(x: unknown): x is StandardMethodContext {
  return typeof x === 'object' && x !== null && 'kind' in x && 'name' in x && 'addInitializer' in x;
}

/** `experimentalDecorators`: `(prototype, key, descriptor)`; returns the getter's descriptor. */
function decorateLegacy(options: JitOptions, target: object, key: string | symbol,
  descriptor: PropertyDescriptor | undefined): PropertyDescriptor {
  const owner = typeof target === 'function' ? target.name : target.constructor?.name ?? '<anonymous>';
  const where = `@jit on ${owner}.${String(key)}`;
  requireReflectMetadata(where);
  const method: unknown = descriptor?.value;
  if (typeof method !== 'function') {
    throw new DecoratorError(`${where}: @jit applies to methods only, but ${String(key)} is ` +
      `${descriptor?.get != null ? 'an accessor' : 'not a function'}; wrap a function with transform.jit instead.`);
  }
  if (typeof target === 'function') {
    throw new DecoratorError(`${where}: @jit applies to instance methods; for a static function use transform.jit.`);
  }
  return jitGetter(String(key), owner, method as AnyFunction, options);
}

/**
 * Standard decorators: `(method, context)`. The method is replaced by a stand-in that
 * calls the instance's jitted function; at the first construction the stand-in on the
 * declaring prototype becomes the getter (so `module.step.traceCount` works).
 */
function decorateStandard(options: JitOptions, method: unknown, context: StandardMethodContext): AnyFunction {
  const where = `@jit on ${context.static ? 'static ' : ''}${context.kind} ${String(context.name)}`;
  if (context.kind !== 'method' || typeof method !== 'function') {
    throw new DecoratorError(`${where}: @jit applies to methods only; wrap a function with transform.jit instead.`);
  }
  if (context.static) {
    throw new DecoratorError(`${where}: @jit applies to instance methods; for a static function use transform.jit.`);
  }
  if (typeof context.name !== 'string' || context.private) {
    throw new DecoratorError(`${where}: @jit needs a public string-named method (without # and not a symbol).`);
  }
  const name = context.name;
  let owner = '<class not constructed yet>';
  const standIn = function (this: object, ...args: unknown[]): unknown {
    return (jittedFor(this, name, owner, method as AnyFunction, options) as (...a: unknown[]) => unknown)(...args);
  };
  let placed = false;
  context.addInitializer(function (this: unknown) {
    if (placed) return;
    for (let p = Object.getPrototypeOf(this) as object | null; p != null; p = Object.getPrototypeOf(p)) {
      if (Object.getOwnPropertyDescriptor(p, name)?.value === standIn) {
        owner = (p as { constructor: { name: string } }).constructor.name;
        Object.defineProperty(p, name, jitGetter(name, owner, method as AnyFunction, options));
        break;
      }
    }
    placed = true;
  });
  return standIn;
}

/** What `@jit(...)` returns: a method decorator for each world. */
export interface JitMethodDecorator {
  /** Standard decorators. */
  <This, F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext<This>): F;
  /** `experimentalDecorators`. */
  <T>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T> | void;
}

/**
 * Jits a method per instance. `@jit(1)` is short for `@jit({ staticArgnums: [1] })`.
 *
 * @example
 * ```ts
 * class RunningMean extends bst.nn.Module {
 *   sum = new bst.HiddenState(tf.scalar(0));
 *   @jit() step(x: tf.Tensor) { this.sum.value = tf.add(this.sum.value, tf.sum(x)); return this.sum.value; }
 * }
 * const m = new RunningMean();
 * m.step(tf.ones([4]));   // traced
 * m.step(tf.ones([4]));   // replayed
 * jitted(m.step).traceCount;   // 1
 * jitted(m.step).clearCache();
 * ```
 */
export function jit(opts: JitOptions | number | readonly number[] = {}): JitMethodDecorator {
  const options: JitOptions = typeof opts === 'number' || Array.isArray(opts)
    ? { staticArgnums: opts as number | readonly number[] } : (opts as JitOptions);
  return ((...args: unknown[]) => {
    if (isStandardContext(args[1])) return decorateStandard(options, args[0], args[1]);
    return decorateLegacy(options, args[0] as object, args[1] as string | symbol, args[2] as PropertyDescriptor | undefined);
  }) as JitMethodDecorator;
}

/**
 * The typed view of a `@jit` method: TypeScript cannot let a decorator change a
 * method's type, so `jitted(module.step)` gives access to `traceCount`, `clearCache()`,
 * `lower(...)` and the rest with their types. Throws when `fn` is not jitted.
 *
 * @example
 * ```ts
 * const m = new RunningMean();
 * m.step(tf.ones([4]));
 * jitted(m.step).traceCount;   // 1
 * jitted(m.step).clearCache();
 * ```
 */
export function jitted<F extends AnyFunction>(fn: F): JittedFunction<F> {
  const j = fn as unknown as Partial<JittedFunction<F>>;
  if (typeof fn !== 'function' || typeof j.clearCache !== 'function' || typeof j.lower !== 'function') {
    throw new DecoratorError(`jitted: expected a method decorated with @jit (or a transform.jit result), got ` +
      `${typeof fn === 'function' ? `the plain function ${fn.name || '(anonymous)'}` : typeof fn}.`);
  }
  return fn as unknown as JittedFunction<F>;
}
