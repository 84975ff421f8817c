/**
 * Choosing the tfjs backend that every tensor, kernel and jitted program runs on.
 *
 * Order of preference: `tensorflow` (the native TensorFlow binding from
 * `@tensorflow/tfjs-node-gpu`, then `@tensorflow/tfjs-node`), then `webgpu` (only on a
 * hardware adapter; see `./webgpu/`), then `wasm`, then `webgl` (browsers only), then `cpu`.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendError } from '../errors';
import { processListeners, removeListenersAddedSince } from './process-handlers';
import { config } from '../config';
import { markInitCalled, noteInitDone } from './readiness';
import { registerTrainingKernels } from './training-kernels';
import { installEngineHooks } from './tfjs-engine';
import { startWebGPU, webgpuPackageProblem, WebGPUOptions } from './webgpu';

/** The backends brainstate-ts knows how to start, in order of preference. */
export const BACKEND_NAMES = ['tensorflow', 'webgpu', 'wasm', 'webgl', 'cpu'] as const;
/** A backend name that {@link init} accepts. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Native packages that register the `tensorflow` backend, tried in this order. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

/** Options of {@link init}. */
export interface InitOptions {
  /** How the `webgpu` backend picks its adapter (each option also has an environment variable). */
  readonly webgpu?: WebGPUOptions;
}

/** Why each backend failed to load on this machine (for error messages and skipped specs). */
const loadFailures = new Map<BackendName, string>();

function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Loads the package that registers `name` with tfjs; returns why it failed, or null. */
function loadPackage(name: BackendName): string | null {
  if (name === 'cpu') return null; // bundled with @tensorflow/tfjs
  if (name === 'webgl') {
    // Bundled with @tensorflow/tfjs, which registers it only in a browser.
    return tf.findBackendFactory('webgl') != null ? null : 'webgl runs only in a browser (tfjs registers it there)';
  }
  if (name === 'webgpu') return webgpuPackageProblem();
  if (name === 'wasm') {
    try {
      require('@tensorflow/tfjs-backend-wasm');
      return null;
    } catch (e) {
      return `@tensorflow/tfjs-backend-wasm failed to load (${(e as Error).message})`;
    }
  }
  const reasons: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    try {
      require(pkg);
      if (tf.findBackendFactory('tensorflow') != null) return null;
      reasons.push(`${pkg} loaded but registered no 'tensorflow' backend`);
    } catch (e) {
      const msg = (e as Error).message.split('\n')[0];
      reasons.push(`${pkg}: ${msg}`);
    }
  }
  return reasons.join('; ');
}

/** `byName`: the caller asked for this backend (a software WebGPU adapter is accepted then). */
async function tryStart(name: BackendName, byName: boolean, opts: InitOptions): Promise<string | null> {
  const failure = name === 'webgpu' ? await startWebGPU(opts.webgpu, byName) : loadPackage(name);
  if (failure != null) return failure;
  const listeners = processListeners();
  // Loading a backend package registers its kernels, over the fixes for the wrong ones.
  registerTrainingKernels();
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
  return null;
}

function installHint(name: BackendName): string {
  switch (name) {
    case 'tensorflow':
      return 'install @tensorflow/tfjs-node-gpu (CUDA GPUs) or @tensorflow/tfjs-node (CPU); their install ' +
        'script downloads libtensorflow, so it needs network access to storage.googleapis.com';
    case 'webgpu':
      return 'install the npm packages webgpu and @tensorflow/tfjs-backend-webgpu@4.22.0 and, on a machine without ' +
        'a GPU driver, a software Vulkan driver (Debian: apt-get install -y chromium libvulkan1); in a browser, ' +
        'enable WebGPU (see backend.webgpuAdapter and README "GPU")';
    case 'wasm':
      return 'install @tensorflow/tfjs-backend-wasm@4.22.0';
    case 'webgl':
      return 'run in a browser with WebGL';
    case 'cpu':
      return 'reinstall @tensorflow/tfjs@4.22.0';
  }
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
    if (!isBackendName(requested)) {
      const from = name != null ? 'backend.init' : 'BRAINSTATE_BACKEND';
      throw new BackendError(
        `${from}: unknown backend '${requested}'; expected one of ${BACKEND_NAMES.map((n) => `'${n}'`).join(', ')}.`);
    }
    const failure = await tryStart(requested, true, options);
    if (failure != null) {
      loadFailures.set(requested, failure);
      throw new BackendError(
        `backend.init: backend '${requested}' cannot start here: ${failure}. To use it, ${installHint(requested)}. ` +
        `Available now: ${(await available()).join(', ')}.`);
    }
    return requested;
  }
  const reasons: string[] = [];
  for (const candidate of BACKEND_NAMES) {
    const failure = await tryStart(candidate, false, options);
    if (failure == null) return candidate;
    reasons.push(`${candidate}: ${failure}`);
    // A software-only WebGPU is skipped here but still starts by name: not a load failure.
    if (candidate !== 'webgpu') loadFailures.set(candidate, failure);
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
  return BACKEND_NAMES.filter((n) => {
    if (loadFailures.has(n)) return false;
    const failure = loadPackage(n);
    if (failure != null) loadFailures.set(n, failure);
    return failure == null;
  });
}

/** Why `name` cannot load here, or undefined when it can (or was never tried). */
export function whyUnavailable(name: BackendName): string | undefined {
  if (!loadFailures.has(name)) {
    const failure = loadPackage(name);
    if (failure != null) loadFailures.set(name, failure);
  }
  return loadFailures.get(name);
}
