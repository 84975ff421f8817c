/**
 * Choosing the tfjs backend that every tensor, kernel and jitted program runs on.
 *
 * Order of preference: `tensorflow` (the native TensorFlow binding from
 * `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`), then `webgpu` (only on a
 * hardware adapter; see `./webgpu/`), then `wasm`, then `webgl` (browsers only), then `cpu`.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors';
import { config } from '../config';
import { processListeners, removeListenersAddedSince } from './process-handlers';
import { markInitCalled, noteInitDone } from './readiness';
import { registerKernelRecords, registerTrainingKernels } from './training-kernels';
import { registerMatMulKernels } from './gemm';
import { webgpuKernelRecordsDue } from './webgpu/kernel-records';
import { installEngineHooks } from './tfjs-engine';
import { allTargets, BackendTarget, targetNamed, targetNames } from './targets';
import type { WebGPUOptions } from './webgpu';
import './register-targets';

/**
 * The backends brainstate-ts knows how to start, in order of preference (the registered
 * targets: one folder each under src/backend/).
 */
export const BACKEND_NAMES: readonly string[] = targetNames();
/**
 * A backend name that {@link init} accepts (one of {@link BACKEND_NAMES}): the shipped
 * ones, or the name of a target registered later.
 */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'webgl' | 'cpu' | (string & {});

/** Options of {@link init}. */
export interface InitOptions {
  /** How the `webgpu` backend picks its adapter (each option also has an environment variable). */
  readonly webgpu?: WebGPUOptions;
}

/** Why each backend failed to load on this machine (for error messages and skipped specs). */
const loadFailures = new Map<string, string>();

/** `byName`: the caller asked for this backend (a software WebGPU adapter is accepted then). */
async function tryStart(target: BackendTarget, byName: boolean, opts: InitOptions): Promise<string | null> {
  const failure = target.start !== undefined ? await target.start(opts, byName) : target.load();
  if (failure != null) return failure;
  const name = target.name;
  const listeners = processListeners();
  // Loading a backend package registers its kernels, over the fixes for the wrong ones.
  registerTrainingKernels();
  registerMatMulKernels();
  registerKernelRecords(webgpuKernelRecordsDue());
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    if (!ok || tf.getBackend() !== name) return `tf.setBackend('${name}') returned false`;
  } catch (e) {
    return `tf.setBackend('${name}') threw: ${(e as Error).message}`;
  } finally {
    // The wasm backend's emscripten glue rethrows uncaught errors (see process-handlers.ts).
    removeListenersAddedSince(listeners);
  }
  installEngineHooks(); // the self-test of the tfjs members the jit uses, on this backend
  target.selfTest?.(); // and of the backend's own private members
  return null;
}

/**
 * Starts a backend and makes it tfjs's current one. Call it once, before the first tensor.
 * Tensors made before it stay on the backend tfjs started by itself (cpu in Node) and are
 * moved on first use, and functions jitted before it trace again: a one-time warning says
 * so. Using states or jitted functions with no `init()` at all also warns once.
 *
 * With no `name`, `BRAINSTATE_BACKEND` decides; without that, the first of
 * `tensorflow`, `webgpu` (on a hardware adapter only), `wasm`, `cpu` that starts. A name
 * that is unknown or cannot start is a {@link BackendError} saying why and what to install.
 * `webgpu` asked for by name also runs on a software adapter (SwiftShader in Node on a
 * machine without a GPU); results are read with `await t.data()` there.
 *
 * `init` also turns on tfjs's production mode (`tf.enableProdMode()`, the `PROD` flag).
 * In tfjs 4.22 that changes no result and no check: it only silences the warnings tfjs
 * prints through its logger: "backend was already registered", "Initialization of backend
 * ... failed" for backends tried in turn, "The kernel ... is already registered" and
 * "Overriding the gradient" (brainstate-ts replaces some kernels and gradients on purpose),
 * and deprecation notices. To see them, call `tf.env().set('PROD', false)` after `init`.
 *
 * @param name `'tensorflow' | 'webgpu' | 'wasm' | 'webgl' | 'cpu'`, to force one (`webgl` in browsers).
 * @param options `webgpu`: how that backend picks its adapter (see `WebGPUOptions`).
 * @returns the name of the backend now in use.
 * @example
 * ```ts
 * import * as bst from 'brainstate-ts';
 * const name = await bst.backend.init();          // e.g. 'wasm' where tfjs-node is not installed
 * console.log(name === bst.backend.name());       // true
 * ```
 */
export async function init(name?: string, options: InitOptions = {}): Promise<BackendName> {
  const before = markInitCalled();
  const chosen = await start(name, options);
  noteInitDone(before, chosen);
  return chosen;
}

async function start(name: string | undefined, options: InitOptions): Promise<BackendName> {
  tf.enableProdMode(); // see init's TSDoc: it only silences tfjs's own warnings
  const requested = name ?? config().backend;
  if (requested != null && requested !== '') {
    const target = targetNamed(requested);
    if (target === undefined) {
      const from = name != null ? 'backend.init' : 'BRAINSTATE_BACKEND';
      throw new BackendError(
        `${from}: unknown backend '${requested}'; expected one of ${targetNames().map((n) => `'${n}'`).join(', ')}.`);
    }
    const failure = await tryStart(target, true, options);
    if (failure != null) {
      loadFailures.set(requested, failure);
      throw new BackendError(
        `backend.init: backend '${requested}' cannot start here: ${failure}. To use it, ${target.installHint}. ` +
        `Available now: ${(await available()).join(', ')}.`);
    }
    return requested;
  }
  const reasons: string[] = [];
  for (const candidate of allTargets()) {
    const failure = await tryStart(candidate, false, options);
    if (failure == null) return candidate.name;
    reasons.push(`${candidate.name}: ${failure}`);
    // A software-only WebGPU is skipped here but still starts by name: not a load failure.
    if (candidate.autoFailureIsUnavailable) loadFailures.set(candidate.name, failure);
  }
  throw new BackendError(`backend.init: no backend could start: ${reasons.join('; ')}`);
}

/**
 * The name of the backend in use (`'tensorflow'`, `'webgpu'`, `'wasm'` or `'cpu'`).
 *
 * @example
 * ```ts
 * await bst.backend.init('cpu');
 * bst.backend.name(); // 'cpu'
 * ```
 */
export function name(): string {
  return tf.getBackend();
}

/**
 * The backends whose packages load on this machine (without switching to them).
 *
 * @example
 * ```ts
 * const names = await bst.backend.available(); // e.g. ['wasm', 'cpu']
 * ```
 */
export async function available(): Promise<BackendName[]> {
  return allTargets().filter((t) => {
    if (loadFailures.has(t.name)) return false;
    const failure = t.load();
    if (failure != null) loadFailures.set(t.name, failure);
    return failure == null;
  }).map((t) => t.name);
}

/** Why `name` cannot load here, or undefined when it can (or was never tried). */
export function whyUnavailable(name: BackendName): string | undefined {
  const target = targetNamed(name);
  if (target === undefined) return `no backend named '${name}' is registered (known: ${targetNames().join(', ')})`;
  if (!loadFailures.has(name)) {
    const failure = target.load();
    if (failure != null) loadFailures.set(name, failure);
  }
  return loadFailures.get(name);
}
