/**
 * Per-class metadata of decorated fields, stored with reflect-metadata under
 * `brainstate:` keys on the class prototype. The graph walker reads it (inherited
 * entries included); nothing is kept in a global registry.
 */
import { DecoratorError } from '../src/errors';
import type { State, StateClass, StateValue } from '../src/state/state';

/** Key prefix of every metadata entry brainstate-ts defines. */
export const METADATA_PREFIX = 'brainstate:';
/** Metadata key of the list of state fields a class declares itself. */
export const FIELDS_KEY = `${METADATA_PREFIX}fields`;
/** Metadata key of the list of jitted methods a class declares itself. */
export const JIT_METHODS_KEY = `${METADATA_PREFIX}jit-methods`;

/** One decorated state field of a class. */
export interface FieldDeclaration {
  /** The property name. */
  readonly key: string;
  /** The state class each instance gets for this field. */
  readonly kind: StateClass;
  /** The tag given to the state. */
  readonly tag: string | undefined;
  /** The decorator that declared it (`param`, `hidden`), for messages. */
  readonly decorator: string;
  /** The class that declared it. */
  readonly owner: string;
}

/** Instance storage of the states behind decorated fields (non-enumerable). */
export const DECORATED_STATES: unique symbol = Symbol('brainstate.decoratedStates');

interface HasDecoratedStates {
  [DECORATED_STATES]?: Map<string, State<StateValue>>;
}

/** Throws a DecoratorError unless reflect-metadata is loaded. */
export function requireReflectMetadata(where: string): void {
  const r = Reflect as unknown as Record<string, unknown>;
  if (typeof r.getMetadata !== 'function' || typeof r.defineMetadata !== 'function' ||
      typeof r.getOwnMetadata !== 'function') {
    throw new DecoratorError(`${where}: reflect-metadata is not loaded; add \`import 'reflect-metadata';\` ` +
      "once at the top of your program's entry file, before any decorated class is defined " +
      "(importing 'brainstate-ts' also loads it).");
  }
}

/** Adds `decl` to the list of fields that `proto`'s class declares itself. */
export function recordField(proto: object, decl: FieldDeclaration): void {
  const own: FieldDeclaration[] = Reflect.getOwnMetadata(FIELDS_KEY, proto) ?? [];
  Reflect.defineMetadata(FIELDS_KEY, [...own.filter((d) => d.key !== decl.key), decl], proto);
}

/**
 * Every decorated state field of `objOrProto`'s class, base classes first; a subclass
 * that re-declares a key replaces the base declaration.
 */
export function declaredFields(objOrProto: object): FieldDeclaration[] {
  const Refl = Reflect as unknown as { getOwnMetadata?: (k: string, t: object) => unknown };
  if (typeof Refl.getOwnMetadata !== 'function') return [];
  const chain: object[] = [];
  for (let p: object | null = objOrProto; p != null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    chain.unshift(p);
  }
  const byKey = new Map<string, FieldDeclaration>();
  for (const p of chain) {
    const own = (Refl.getOwnMetadata(FIELDS_KEY, p) as FieldDeclaration[] | undefined) ?? [];
    for (const d of own) {
      byKey.delete(d.key);
      byKey.set(d.key, d);
    }
  }
  return [...byKey.values()];
}

/** The map of states behind `instance`'s decorated fields, created on first use. */
export function decoratedStates(instance: object): Map<string, State<StateValue>> {
  const holder = instance as HasDecoratedStates;
  let map = holder[DECORATED_STATES];
  if (map === undefined) {
    map = new Map();
    Object.defineProperty(instance, DECORATED_STATES, { value: map, enumerable: false, configurable: true });
  }
  return map;
}
