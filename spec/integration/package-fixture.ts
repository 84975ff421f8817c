/**
 * The packed package installed into a temporary application, offline: `npm pack`, then
 * `npm install --offline <tarball>` in a project whose other dependencies are `file:`
 * links to this repository's node_modules (so tfjs & co. need no download).
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { root } from '../../scripts/ensure-built';

export { ensureBuilt, root } from '../../scripts/ensure-built';

/** Dependencies the app links from this repository (the package's own, and the tools the app runs). */
const LINKED = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-backend-cpu', 'class-transformer', 'cli-progress',
  'reflect-metadata', 'typescript', 'tsx', 'esbuild', '@types/node'];

/** Runs a command; throws with its output when it fails. */
export function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 300000 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${r.status}:\n${r.stdout}\n${r.stderr}`.slice(0, 6000));
  }
  return r;
}

/** Node with `args`, in `cwd`; stdout. */
export function node(args: string[], cwd: string, env: Record<string, string> = {}): string {
  return sh(process.execPath, args, cwd, env).stdout;
}

/**
 * Packs the package. `withScripts`: as `npm pack` does by default (its `prepare` builds
 * dist/); otherwise from the dist/ already built.
 */
export function pack(dest: string, withScripts: boolean): string {
  const args = ['pack', '--json', '--pack-destination', dest];
  if (!withScripts) args.push('--ignore-scripts');
  const out = sh('npm', args, root).stdout;
  const info = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  return path.join(dest, info[0].filename);
}

/** The files a tarball holds (paths inside the package). */
export function tarballFiles(tarball: string): string[] {
  return sh('tar', ['-tzf', tarball], root).stdout.split('\n').filter((l) => l !== '')
    .map((l) => l.replace(/^package\//, ''));
}

/** A new temporary app with the tarball installed (offline). */
export function makeApp(tarball: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstate-app-'));
  const deps: Record<string, string> = {};
  for (const name of LINKED) deps[name] = `file:${path.join(root, 'node_modules', name)}`;
  fs.writeFileSync(path.join(dir, 'package.json'),
    JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps }, null, 2));
  sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', tarball], dir);
  return dir;
}

/** Writes files into `dir` (paths relative to it). */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

/** The result line every app prints, and what it must say. */
export interface AppResult {
  backend: string;
  means: number[];
  traces: number;
  keys: string[];
  y: number;
}

export const EXPECTED = { means: [1.5, 2, 2.5], traces: 1, keys: ['bias', 'weight'], y: 7 };

/** The last JSON line of an app's output. */
export function resultOf(stdout: string): AppResult {
  const line = stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (line === undefined) throw new Error(`no result line in:\n${stdout}`);
  return JSON.parse(line) as AppResult;
}

/** The quick start as a TypeScript app (decorators in whichever world its compiler uses). */
export const APP_TS = `
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { hidden, jit, jitted, param } from 'brainstate-ts/decorators';
import { expectTensorClose } from 'brainstate-ts/testing';

class RunningMean extends bst.nn.Module {
  sum = new bst.HiddenState(tf.scalar(0));
  @hidden count = tf.scalar(0, 'int32');
  @jit() step(batch: tf.Tensor): tf.Tensor {
    this.sum.value = tf.add(this.sum.value, tf.sum(batch));
    this.count = tf.add(this.count, tf.scalar(batch.size, 'int32'));
    return tf.div(this.sum.value, tf.cast(this.count, 'float32'));
  }
}

class TinyLinear extends bst.nn.Module {
  @param weight = tf.tensor2d([[2]]);
  @param bias = tf.tensor1d([1]);
  call(x: tf.Tensor): tf.Tensor { return tf.add(tf.matMul(x, this.weight), this.bias); }
}

async function main(): Promise<void> {
  const backend = await bst.backend.init(process.env.BRAINSTATE_BACKEND ?? 'cpu');
  const m = new RunningMean();
  const means: number[] = [];
  for (let step = 0; step < 3; step++) means.push(m.step(tf.add(tf.range(0, 4), step)).dataSync()[0]);
  const lin = new TinyLinear();
  const keys = lin.states().toFlat().keys().map((p) => p.join('.'));
  const out = lin.call(tf.tensor2d([[3]]));
  expectTensorClose(out, [[7]]);
  console.log(JSON.stringify({ backend, means, traces: jitted(m.step).traceCount, keys, y: out.dataSync()[0] }));
}

void main();
`;

/** The same without decorator syntax, for plain JavaScript (CommonJS or ESM). */
export function appJs(format: 'cjs' | 'esm'): string {
  const imports = format === 'cjs'
    ? `const tf = require('@tensorflow/tfjs');
const bst = require('brainstate-ts');
const { param, hidden, jitted } = require('brainstate-ts/decorators');
const { expectTensorClose } = require('brainstate-ts/testing');`
    : `import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';
import { HiddenState, ParamState, nn, transform } from 'brainstate-ts';
import { param, hidden, jitted } from 'brainstate-ts/decorators';
import { expectTensorClose } from 'brainstate-ts/testing';
if (HiddenState !== bst.HiddenState || ParamState !== bst.ParamState || nn !== bst.nn || transform !== bst.transform) {
  throw new Error('named ESM imports differ from the namespace');
}`;
  return `${imports}
if (typeof param !== 'function' || typeof hidden !== 'function') throw new Error('decorators missing');

class RunningMean extends bst.nn.Module {
  constructor() {
    super();
    this.sum = new bst.HiddenState(tf.scalar(0));
    this.count = new bst.HiddenState(tf.scalar(0, 'int32'));
    this.step = bst.transform.jit((batch) => {
      this.sum.value = tf.add(this.sum.value, tf.sum(batch));
      this.count.value = tf.add(this.count.value, tf.scalar(batch.size, 'int32'));
      return tf.div(this.sum.value, tf.cast(this.count.value, 'float32'));
    });
  }
}

class TinyLinear extends bst.nn.Module {
  constructor() {
    super();
    this.weight = new bst.ParamState(tf.tensor2d([[2]]));
    this.bias = new bst.ParamState(tf.tensor1d([1]));
  }
  call(x) { return tf.add(tf.matMul(x, this.weight.value), this.bias.value); }
}

async function main() {
  const backend = await bst.backend.init(process.env.BRAINSTATE_BACKEND || 'cpu');
  const m = new RunningMean();
  const means = [];
  for (let step = 0; step < 3; step++) means.push(m.step(tf.add(tf.range(0, 4), step)).dataSync()[0]);
  const lin = new TinyLinear();
  const keys = lin.states().toFlat().keys().map((p) => p.join('.'));
  const out = lin.call(tf.tensor2d([[3]]));
  expectTensorClose(out, [[7]]);
  console.log(JSON.stringify({ backend, means, traces: jitted(m.step).traceCount, keys, y: out.dataSync()[0] }));
}

main();
`;
}

/** A tsconfig.json for the app. */
export function tsconfig(compilerOptions: Record<string, unknown>, include: string[]): string {
  return JSON.stringify({
    compilerOptions: { strict: true, skipLibCheck: true, esModuleInterop: true, outDir: 'out', ...compilerOptions },
    include,
  }, null, 2);
}
