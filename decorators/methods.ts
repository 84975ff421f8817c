/**
 * `@jit(opts?)` on a module method: each instance gets its own jitted function,
 * created at first access, with `this` as part of the function.
 */
import { DecoratorError } from '../src/errors';
import { defaultLabeler, JitCore, JitOptions, JittedFunction, makeJitted, AnyFunction } from '../src/transform/jit';
import { requireReflectMetadata, JIT_METHODS_KEY } from './metadata';

const PER_INSTANCE: unique symbol = Symbol('brainstate.jittedMethods');

interface HasJitted {
  [PER_INSTANCE]?: Map<string, unknown>;
}

/** Labels states by their path in the module when the graph walker can find it. */
function moduleLabeler(root: object) {
  const fallback = defaultLabeler();
  let paths: Map<unknown, string> | undefined;
  return (s: Parameters<ReturnType<typeof defaultLabeler>>[0]): string => {
    if (paths === undefined) {
      paths = new Map();
      try {
        // The graph walker is optional here: without it, names fall back to state names.
        const graph = require('../src/graph') as { states?: (n: object) => { toFlat(): { entries(): Iterable<[readonly (string | number)[], unknown]> } } };
        if (typeof graph.states === 'function') {
          for (const [path, st] of graph.states(root).toFlat().entries()) paths.set(st, path.join('.'));
        }
      } catch {
        // no graph walker yet
      }
    }
    return paths.get(s) ?? fallback(s);
  };
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
 * m.step.traceCount;      // 1
 * m.step.clearCache();
 * ```
 */
export function jit(opts: JitOptions | number | readonly number[] = {}): MethodDecorator {
  const options: JitOptions = typeof opts === 'number' || Array.isArray(opts)
    ? { staticArgnums: opts as number | readonly number[] } : (opts as JitOptions);
  return (target: object, key: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor => {
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
    const own: string[] = Reflect.getOwnMetadata(JIT_METHODS_KEY, target) ?? [];
    Reflect.defineMetadata(JIT_METHODS_KEY, [...own, String(key)], target);
    const name = String(key);
    return {
      configurable: true,
      enumerable: false,
      get(this: object) {
        const holder = this as HasJitted;
        let map = holder[PER_INSTANCE];
        if (map === undefined) {
          map = new Map();
          Object.defineProperty(this, PER_INSTANCE, { value: map, enumerable: false });
        }
        let jitted = map.get(name);
        if (jitted === undefined) {
          const core = new JitCore(method as (...a: unknown[]) => unknown, { name: `${owner}.${name}`, ...options },
            this, moduleLabeler(this));
          jitted = makeJitted(core, method as AnyFunction);
          map.set(name, jitted);
        }
        return jitted;
      },
    };
  };
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
