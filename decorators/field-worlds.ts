/**
 * How `@param` / `@hidden` attach to a field in each decorator world. Both end the same
 * way: the class records a {@link FieldDeclaration} (see src/graph/node-metadata.ts),
 * the field is an accessor on the declaring class's prototype, and each instance keeps
 * the states behind its fields in its decorated-state map.
 *
 * - `experimentalDecorators`: the decorator gets the prototype at class definition and
 *   installs the accessor there. A field defined with define semantics
 *   (`useDefineForClassFields`) hides it; the graph walker reports that.
 * - standard decorators: `@param accessor w = ...` replaces the auto-accessor's get/set;
 *   `@param w = ...` (a plain field) moves the value the field initializer defined into
 *   the state right after it is defined, and installs the accessor on the prototype at
 *   the first construction (the decorator does not see the class before then).
 */
import { DecoratorError } from '../src/errors';
import {
  declaredFields, decoratedStates, decoratedStatesIfAny, FieldDeclaration, metadataSymbol, recordField,
} from '../src/graph/node-metadata';
import { Module } from '../src/nn/module';
import { State, StateClass, StateValue } from '../src/state/state';
import { stateValueProblem } from '../src/state/tree';

/** Options of `@param(...)`, `@hidden(...)`. */
export interface FieldOptions {
  /** The state's tag (graph filters can select on it). */
  tag?: string;
  /** Another `State` subclass to create instead of the decorator's default. */
  kind?: StateClass;
}

/** design:type values that can never hold a tensor. */
const NON_TENSOR_TYPES = new Map<unknown, string>([
  [Number, 'number'], [String, 'string'], [Boolean, 'boolean'], [Symbol, 'symbol'],
  [Function, 'Function'], [BigInt, 'bigint'],
]);

/** The subset of a standard decorator context that the field decorators read. */
export interface StandardFieldContext {
  readonly kind: string;
  readonly name: string | symbol;
  readonly static: boolean;
  readonly private: boolean;
  readonly metadata?: object;
  addInitializer(initializer: (this: unknown) => void): void;
}

function checkKind(where: string, kind: StateClass): void {
  if (typeof kind !== 'function' || !(kind.prototype instanceof State || kind === State)) {
    throw new DecoratorError(`${where}: option kind must be a State subclass, got ${String(kind)}.`);
  }
}

function notAModule(where: string, decorator: string): DecoratorError {
  return new DecoratorError(`${where}: @${decorator} works only on instance fields of a class that extends ` +
    'bst.nn.Module; extend nn.Module, or hold the tensor in an explicit `new bst.State(...)`.');
}

/** The most derived declaration of each field, per prototype (classes gain no decorators after definition). */
const effectiveByProto = new WeakMap<object, Map<string, FieldDeclaration>>();

/**
 * The declaration that decides the state's kind and tag for `instance`: a subclass that
 * re-declares a field wins, even when the base class's initializer writes first.
 */
function effectiveDeclaration(instance: object, decl: FieldDeclaration): FieldDeclaration {
  const proto = Object.getPrototypeOf(instance) as object | null;
  if (proto == null) return decl;
  let byKey = effectiveByProto.get(proto);
  if (byKey === undefined) {
    byKey = new Map(declaredFields(proto).map((d) => [d.key, d]));
    effectiveByProto.set(proto, byKey);
  }
  return byKey.get(decl.key) ?? decl;
}

/** Writes a decorated field: the existing state's value, or a new state on the first write. */
function writeField(instance: object, fieldDecl: FieldDeclaration, v: unknown): void {
  const states = decoratedStates(instance);
  const existing = states.get(fieldDecl.key);
  if (existing !== undefined) {
    existing.value = v as StateValue;
    return;
  }
  const decl = effectiveDeclaration(instance, fieldDecl);
  const problem = stateValueProblem(v);
  if (problem != null) {
    throw new DecoratorError(`${instance.constructor.name}.${decl.key} (@${decl.decorator}): expected a tf.Tensor ` +
      `or an array / plain object of tensors, but ${problem}. Assign e.g. tf.scalar(...) or tf.zeros([...]).`);
  }
  const Kind = decl.kind as unknown as new (v: StateValue, o: { name: string; tag?: string }) => State<StateValue>;
  states.set(decl.key, new Kind(v as StateValue, { name: decl.key, tag: decl.tag }));
}

function readField(instance: object, key: string): StateValue | undefined {
  return decoratedStatesIfAny(instance)?.get(key)?.value;
}

/** The accessor a decorated field is on its declaring class's prototype. */
function fieldAccessor(decl: FieldDeclaration): PropertyDescriptor {
  return {
    configurable: true,
    enumerable: false,
    get(this: object): StateValue | undefined {
      return readField(this, decl.key);
    },
    set(this: object, v: unknown): void {
      writeField(this, decl, v);
    },
  };
}

/** Throws a DecoratorError unless reflect-metadata is loaded (experimentalDecorators only). */
export function requireReflectMetadata(where: string): void {
  const r = Reflect as unknown as Record<string, unknown>;
  if (typeof r.getMetadata !== 'function' || typeof r.defineMetadata !== 'function' ||
      typeof r.getOwnMetadata !== 'function') {
    throw new DecoratorError(`${where}: reflect-metadata is not loaded; add \`import 'reflect-metadata';\` ` +
      "once at the top of your program's entry file, before any decorated class is defined " +
      "(importing 'brainstate-ts' also loads it).");
  }
}

/** `experimentalDecorators`: `(prototype, key[, descriptor])` at class definition. */
export function decorateLegacyField(decorator: string, defaultKind: StateClass, options: FieldOptions,
  target: object, key: string | symbol, descriptor: PropertyDescriptor | undefined): PropertyDescriptor | void {
  const owner = typeof target === 'function' ? target.name : target.constructor?.name ?? '<anonymous>';
  const where = `@${decorator} on ${owner}.${String(key)}`;
  requireReflectMetadata(where);
  if (typeof key !== 'string') {
    throw new DecoratorError(`${where}: only string-named fields can be states; rename the field.`);
  }
  if (typeof target === 'function' || !(target instanceof Module)) throw notAModule(where, decorator);
  if (descriptor !== undefined) {
    throw new DecoratorError(`${where}: under experimentalDecorators @${decorator} goes on a plain field ` +
      `(\`@${decorator} ${key} = ...\`), not on an accessor; \`@${decorator} accessor ${key}\` needs standard ` +
      'decorators (remove "experimentalDecorators" from tsconfig.json).');
  }
  const bad = NON_TENSOR_TYPES.get(Reflect.getMetadata('design:type', target, key));
  if (bad !== undefined) {
    throw new DecoratorError(`${where}: the field is declared as \`${bad}\`, but a state holds a tf.Tensor; ` +
      `declare it as tf.Tensor (e.g. \`@${decorator} ${key} = tf.scalar(0)\`).`);
  }
  const kind = options.kind ?? defaultKind;
  checkKind(where, kind);
  const decl: FieldDeclaration = { key, kind, tag: options.tag, decorator, owner, world: 'legacy' };
  recordField(target, decl);
  Object.defineProperty(target, key, fieldAccessor(decl));
}

/** The prototype whose class owns `metadata` (standard decorators' per-class object). */
function prototypeOwning(instance: object, metadata: object): object | undefined {
  const sym = metadataSymbol();
  for (let p = Object.getPrototypeOf(instance) as object | null; p != null; p = Object.getPrototypeOf(p)) {
    const ctor = Object.prototype.hasOwnProperty.call(p, 'constructor')
      ? (p as { constructor: unknown }).constructor : undefined;
    if (typeof ctor === 'function' && Object.prototype.hasOwnProperty.call(ctor, sym) &&
        (ctor as unknown as Record<symbol, unknown>)[sym] === metadata) {
      return p;
    }
  }
  return undefined;
}

/** The result a standard accessor decorator returns. */
export interface StandardAccessorResult {
  get(this: object): StateValue | undefined;
  set(this: object, v: unknown): void;
  init(this: object, v: unknown): undefined;
}

/**
 * Standard decorators: `(value, context)` at class definition, for `kind` `'field'` or
 * `'accessor'`.
 */
export function decorateStandardField(decorator: string, defaultKind: StateClass, options: FieldOptions,
  context: StandardFieldContext): StandardAccessorResult | undefined {
  const where = `@${decorator} on ${context.static ? 'static ' : ''}${context.kind} ${String(context.name)}`;
  if (context.kind !== 'field' && context.kind !== 'accessor') {
    throw new DecoratorError(`${where}: @${decorator} declares a state field; put it on a field ` +
      `(\`@${decorator} accessor w = ...\` or \`@${decorator} w = ...\`), not on a ${context.kind}.`);
  }
  if (typeof context.name !== 'string' || context.private) {
    throw new DecoratorError(`${where}: only public string-named fields can be states; rename the field ` +
      '(without # and not a symbol).');
  }
  if (context.static) throw notAModule(where, decorator);
  const kind = options.kind ?? defaultKind;
  checkKind(where, kind);
  if (context.metadata == null) {
    throw new DecoratorError(`${where}: the decorator received no context.metadata, so the class cannot record ` +
      "its state fields. Import 'brainstate-ts' (or 'brainstate-ts/decorators') before the class is defined: " +
      'it installs Symbol.metadata where the runtime lacks it.');
  }
  const key = context.name;
  const metadata = context.metadata;
  const decl: FieldDeclaration = { key, kind, tag: options.tag, decorator, owner: '<class not constructed yet>', world: 'standard' };
  recordField(metadata, decl);
  let placed = false;
  /** At the first construction: name the class, and (plain fields) put the accessor on its prototype. */
  const firstConstruction = (instance: object): void => {
    if (!(instance instanceof Module)) throw notAModule(`@${decorator} on ${instance.constructor?.name}.${key}`, decorator);
    if (placed) return;
    const proto = prototypeOwning(instance, metadata);
    decl.owner = (proto as { constructor?: { name?: string } } | undefined)?.constructor?.name ??
      instance.constructor.name;
    if (context.kind === 'field') {
      Object.defineProperty(proto ?? instance, key, fieldAccessor(decl));
    }
    placed = true;
  };
  if (context.kind === 'accessor') {
    return {
      get(this: object) {
        return readField(this, key);
      },
      set(this: object, v: unknown) {
        writeField(this, decl, v);
      },
      init(this: object, v: unknown): undefined {
        firstConstruction(this);
        if (v !== undefined) writeField(this, decl, v);
        return undefined;
      },
    };
  }
  context.addInitializer(function (this: unknown) {
    const instance = this as object;
    // The field initializer has just defined an own data property (define semantics), or
    // assigned through the accessor (after the first construction, without them).
    const own = Object.getOwnPropertyDescriptor(instance, key);
    const defined = own !== undefined && 'value' in own;
    if (defined) delete (instance as Record<string, unknown>)[key];
    firstConstruction(instance);
    if (defined && own.value !== undefined) writeField(instance, decl, own.value);
  });
  return undefined;
}
