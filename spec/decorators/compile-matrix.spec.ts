// The same module source compiled the ways users compile it (tsc and esbuild, each
// decorator world, each class-field semantics), then run against the library: it works,
// or it fails with an error that names the tsconfig setting to change.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as esbuild from 'esbuild';
import * as ts from 'typescript';
import * as bst from 'brainstate-ts';
import * as decorators from 'brainstate-ts/decorators';

const SOURCE = `
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { param, hidden, jit } from 'brainstate-ts/decorators';
export class Net extends bst.nn.Module {
  @param weight = tf.tensor2d([[2]]);
  @hidden v = tf.zeros([1]);
  @jit() step(x: tf.Tensor): tf.Tensor {
    this.v = tf.add(this.v, tf.reshape(tf.matMul(x, this.weight), [1]));
    return this.v;
  }
}
export function run(): { keys: string[]; v: number } {
  const net = new Net();
  const keys = net.states().toFlat().keys().map((p) => p.join('.'));
  net.step(tf.tensor2d([[3]]));
  net.step(tf.tensor2d([[1]]));
  return { keys, v: net.v.dataSync()[0] };
}
`;
const ACCESSOR_SOURCE = SOURCE.replace('@param weight', '@param accessor weight').replace('@hidden v', '@hidden accessor v');

/** Runs CommonJS `code` with the library and tfjs as its only imports. */
function evaluate(code: string): { run(): { keys: string[]; v: number } } {
  const modules: Record<string, unknown> = {
    '@tensorflow/tfjs': tf, 'brainstate-ts': bst, 'brainstate-ts/decorators': decorators,
  };
  const exports: Record<string, unknown> = {};
  const fakeRequire = (id: string): unknown => {
    if (!(id in modules)) throw new Error(`unexpected import ${id}`);
    return modules[id];
  };
  const mod = { exports };
  new Function('require', 'exports', 'module', code)(fakeRequire, exports, mod);
  return mod.exports as unknown as { run(): { keys: string[]; v: number } };
}

function tsc(source: string, options: ts.CompilerOptions): string {
  return ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true, ...options },
  }).outputText;
}

function esb(source: string, compilerOptions: Record<string, unknown>, target = 'es2022'): string {
  return esbuild.transformSync(source, { loader: 'ts', format: 'cjs', target, tsconfigRaw: { compilerOptions } }).code;
}

const works = (code: string): void => {
  const { keys, v } = evaluate(code).run();
  expect(keys).to.deep.equal(['v', 'weight']);
  expect(v).to.equal(8);
};

const failsNamingTheSetting = (code: string): void => {
  let caught: unknown;
  try {
    evaluate(code).run();
  } catch (e) {
    caught = e;
  }
  expect(caught).to.be.instanceOf(bst.DecoratorError);
  const msg = (caught as Error).message;
  expect(msg).to.contain('Net.');
  expect(msg).to.contain('"useDefineForClassFields": false');
  expect(msg).to.contain('experimentalDecorators');
};

describe('decorators compiled every way users compile them', () => {
  const ES2022 = ts.ScriptTarget.ES2022;
  const ES2020 = ts.ScriptTarget.ES2020;
  const cases: [string, () => string, (code: string) => void][] = [
    ['tsc, experimentalDecorators, useDefineForClassFields false', () =>
      tsc(SOURCE, { target: ES2022, experimentalDecorators: true, emitDecoratorMetadata: true, useDefineForClassFields: false }), works],
    ['tsc, experimentalDecorators, target ES2020 (assign semantics by default)', () =>
      tsc(SOURCE, { target: ES2020, experimentalDecorators: true }), works],
    ['tsc, experimentalDecorators, target ES2022 (define semantics by default): error names the setting', () =>
      tsc(SOURCE, { target: ES2022, experimentalDecorators: true, emitDecoratorMetadata: true }), failsNamingTheSetting],
    ['tsc, experimentalDecorators, useDefineForClassFields true at ES2020: error names the setting', () =>
      tsc(SOURCE, { target: ES2020, experimentalDecorators: true, useDefineForClassFields: true }), failsNamingTheSetting],
    ['tsc, standard decorators, target ES2022, plain fields', () => tsc(SOURCE, { target: ES2022 }), works],
    ['tsc, standard decorators, target ES2022, accessor fields', () => tsc(ACCESSOR_SOURCE, { target: ES2022 }), works],
    ['tsc, standard decorators, target ES2020, useDefineForClassFields false', () =>
      tsc(SOURCE, { target: ES2020, useDefineForClassFields: false }), works],
    ['esbuild (tsx, Vite), standard decorators, plain fields', () => esb(SOURCE, {}), works],
    ['esbuild (tsx, Vite), standard decorators, accessor fields', () => esb(ACCESSOR_SOURCE, {}), works],
    ['esbuild, experimentalDecorators, useDefineForClassFields false', () =>
      esb(SOURCE, { experimentalDecorators: true, useDefineForClassFields: false }), works],
    ['esbuild, experimentalDecorators, target es2022: error names the setting', () =>
      esb(SOURCE, { experimentalDecorators: true, target: 'ES2022' }), failsNamingTheSetting],
  ];
  for (const [title, compile, check] of cases) {
    it(title, () => check(compile()));
  }
});
