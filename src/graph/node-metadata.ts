/**
 * What decorators declare about a module class, stored on that class under a private
 * symbol, and the per-instance map of the states behind decorated fields. The graph
 * walker, merge and `stateOf` read it here; `decorators/` writes it through
 * {@link recordField}. Nothing is kept in a global registry.
 *
 * Two decorator worlds write here:
 * - `experimentalDecorators`: the declaration list is an own property of the class
 *   prototype (the target the legacy decorator receives);
 * - standard (TC39) decorators: it is an own property of the class's metadata object
 *   (`context.metadata`, reachable as `Class[Symbol.metadata]`), which inherits from the
 *   base class's metadata object.
 * {@link declaredFields} merges both along the prototype chain, base classes first.
 */
import { DecoratorError } from '../errors';
import type { State, StateClass, StateValue } from '../state/state';

/** The private key of a class's own declaration list (on its prototype or metadata object). */
const FIELDS: unique symbol = Symbol('brainstate.declaredFields');

/** Instance storage of the states behind decorated fields (non-enumerable). */
export const DECORATED_STATES: unique symbol = Symbol('brainstate.decoratedStates');

/** Which decorator semantics declared a field (they differ in how a field can be hidden). */
export type DecoratorWorld = 'legacy' | 'standard';

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
  /** The class that declared it (known at definition under `experimentalDecorators`, at first construction otherwise). */
  owner: string;
  /** `experimentalDecorators` or standard decorators. */
  readonly world: DecoratorWorld;
}

/**
 * `Symbol.metadata`, or the `Symbol.for('Symbol.metadata')` stand-in that
 * `src/side-effects.ts` installs (and that esbuild's and TypeScript's helpers use) where
 * the runtime has none yet.
 */
export function metadataSymbol(): symbol {
  return (Symbol as unknown as { metadata?: symbol }).metadata ?? Symbol.for('Symbol.metadata');
}

type FieldHolder = { [FIELDS]?: FieldDeclaration[] };

function hasOwn(o: object, k: PropertyKey): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/**
 * Adds `decl` to the fields a class declares itself. `holder` is the class prototype
 * (`experimentalDecorators`) or the class's metadata object (standard decorators).
 */
export function recordField(holder: object, decl: FieldDeclaration): void {
  const h = holder as FieldHolder;
  const own = hasOwn(h, FIELDS) ? h[FIELDS] ?? [] : [];
  Object.defineProperty(h, FIELDS, {
    value: [...own.filter((d) => d.key !== decl.key), decl], enumerable: false, configurable: true, writable: false,
  });
}

/** The fields one prototype's class declares itself, from either world. */
function ownDeclarations(proto: object): readonly FieldDeclaration[] {
  const legacy = hasOwn(proto, FIELDS) ? (proto as FieldHolder)[FIELDS] ?? [] : [];
  if (!hasOwn(proto, 'constructor')) return legacy;
  const ctor = (proto as { constructor: unknown }).constructor;
  if (typeof ctor !== 'function') return legacy;
  const sym = metadataSymbol();
  if (!hasOwn(ctor, sym)) return legacy;
  const metadata = (ctor as unknown as Record<symbol, unknown>)[sym];
  if (metadata == null || typeof metadata !== 'object' || !hasOwn(metadata, FIELDS)) return legacy;
  const standard = (metadata as FieldHolder)[FIELDS] ?? [];
  return legacy.length === 0 ? standard : [...legacy, ...standard];
}

/**
 * Every decorated state field of `objOrProto`'s class, base classes first; a subclass
 * that re-declares a key replaces the base declaration.
 */
export function declaredFields(objOrProto: object): FieldDeclaration[] {
  const chain: object[] = [];
  for (let p: object | null = objOrProto; p != null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    chain.unshift(p);
  }
  const byKey = new Map<string, FieldDeclaration>();
  for (const p of chain) {
    for (const d of ownDeclarations(p)) {
      byKey.delete(d.key);
      byKey.set(d.key, d);
    }
  }
  return [...byKey.values()];
}

interface HasDecoratedStates {
  [DECORATED_STATES]?: Map<string, State<StateValue>>;
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

/** The map of states behind `instance`'s decorated fields, or undefined when it has none yet. */
export function decoratedStatesIfAny(instance: object): Map<string, State<StateValue>> | undefined {
  return (instance as HasDecoratedStates)[DECORATED_STATES];
}

/** How to fix a decorated field that an own data property hides, per decorator world. */
function shadowFix(decl: FieldDeclaration, instanceClass: string): string {
  const redeclared = instanceClass !== decl.owner
    ? ` If ${instanceClass} (or a class between it and ${decl.owner}) re-declares \`${decl.key}\` as a plain ` +
      `field, remove that declaration and assign it in the constructor (\`this.${decl.key} = ...\`).` : '';
  if (decl.world === 'legacy') {
    return 'Class fields are being defined with define semantics (`"useDefineForClassFields": true`, the ' +
      'default when "target" is "ES2022" or later or "ESNext"), which experimentalDecorators cannot see. Fix: set ' +
      '`"useDefineForClassFields": false` in the compilerOptions of tsconfig.json (esbuild, tsx and Vite read it ' +
      'there too), or drop `"experimentalDecorators"` to use standard decorators, which handle class fields.' +
      redeclared;
  }
  return 'A plain class field defined after the decorator ran hides it.' + redeclared +
    ` Or declare the field in one place, with the decorator: \`@${decl.decorator} accessor ${decl.key} = ...\`.`;
}

/**
 * Throws a DecoratorError when an own data property of `instance` hides a decorated
 * field (so the field silently is not a state). Called by the graph walker, `stateOf`
 * and the first call of a `@jit` method.
 */
export function assertNoHiddenFields(instance: object, fnName: string,
  declared: readonly FieldDeclaration[] = declaredFields(instance)): void {
  for (const d of declared) {
    const own = Object.getOwnPropertyDescriptor(instance, d.key);
    if (own === undefined || !('value' in own)) continue;
    const cls = instance.constructor?.name ?? '<anonymous>';
    throw new DecoratorError(`${fnName}: ${cls}.${d.key} is declared with @${d.decorator} (in ${d.owner}), but ` +
      `the instance has its own data property \`${d.key}\` that hides the decorator, so the field is not a ` +
      `state and the graph does not see it. ${shadowFix(d, cls)}`);
  }
}
