/**
 * Starting the `webgpu` backend: find an adapter (hardware first; software only when
 * allowed), make a device, and register tfjs-backend-webgpu's `WebGPUBackend` on it.
 *
 * In Node the adapter comes from Dawn (the `webgpu` package). With the system's Vulkan
 * drivers first; when they give none and the user set no Vulkan driver variable, from
 * SwiftShader (a software Vulkan driver that ships with Chromium), through
 * `VK_ICD_FILENAMES`. In a browser it comes from `navigator.gpu`.
 *
 * Software adapters run WebGPU on the CPU and are slower than tfjs-wasm, so
 * `backend.init()` without a name skips them; `init('webgpu')` accepts them.
 */
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { processEnv, resolveWebGPUConfig, WebGPUConfig, WebGPUOptions } from './config';
import { GPUAdapterLike, GPUDeviceLike, GPULike, requestAdapter, requestDevice, summarize, WebGPUAdapterSummary } from './adapter';
import { installExactInt32Kernels } from './exact-int32';
import { installProdKeepDims } from './prod-keep-dims';
import { installBinarySharedRank } from './binary-shared-rank';
import { installCoordinateKernels } from './coordinate-kernels';
import { DAWN_MISSING, dawnFlags, installGlobals, loadDawn, prepareGLEnvironment } from './dawn';
import { findSwiftShaderIcd, hasVulkanLoader, mayHaveGpu, SOFTWARE_VULKAN_HINT, userVulkanDrivers } from './vulkan-icd';

interface Found {
  gpu: GPULike;
  adapter: GPUAdapterLike;
  summary: WebGPUAdapterSummary;
  globals: Record<string, unknown> | undefined;
}

/** The adapter the registered `webgpu` backend runs on, once registered. */
let active: WebGPUAdapterSummary | undefined;

/** Why software adapters are not taken without asking. */
const SOFTWARE_SKIPPED = 'is a software adapter, slower than wasm: backend.init() uses it only when asked for ' +
  "'webgpu' by name (backend.init('webgpu') or BRAINSTATE_BACKEND=webgpu)";

/** True in Node (Dawn is used there even if some code defined a navigator). */
function inNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

function existingNavigatorGpu(): GPULike | undefined {
  const nav = (globalThis as unknown as { navigator?: { gpu?: GPULike } }).navigator;
  return nav?.gpu ?? undefined;
}

/** The browser's (or an already installed) `navigator.gpu`'s adapter. */
async function fromNavigator(gpu: GPULike, config: WebGPUConfig, source: string): Promise<Found | string> {
  const adapter = await requestAdapter(gpu, config);
  if (adapter == null) {
    return `navigator.gpu gave no adapter at feature level '${config.featureLevel}'` +
      (inNode() ? '' : ' (in Chromium on Linux, start it with --enable-unsafe-webgpu; check chrome://gpu)');
  }
  return { gpu, adapter, summary: summarize(adapter, config.featureLevel, source), globals: undefined };
}

/** Dawn's adapter in Node: the system's drivers, then (when allowed) SwiftShader. */
async function fromDawn(config: WebGPUConfig, allowSoftware: boolean): Promise<Found | string> {
  const vulkanish = config.dawnBackend === undefined || config.dawnBackend === 'vulkan';
  const userDrivers = userVulkanDrivers(processEnv());
  if (!allowSoftware && vulkanish && userDrivers === undefined && !mayHaveGpu()) {
    return 'no GPU device node (/dev/dri/renderD*, /dev/nvidia*) exists, so there is no hardware adapter; ' +
      "software adapters are used only when asked for 'webgpu' by name";
  }
  const dawn = loadDawn();
  if (typeof dawn === 'string') return dawn;
  prepareGLEnvironment(config.dawnBackend);
  const env = processEnv();
  const flags = dawnFlags(config.dawnBackend, config.dawnFlags);
  const backendLabel = config.dawnBackend ?? 'default';
  const attempt = async (drivers: string): Promise<Found | undefined> => {
    let gpu: GPULike;
    try {
      gpu = dawn.create(flags);
    } catch (e) {
      throw new Error(`webgpu's create([${flags.join(', ')}]) threw: ${(e as Error).message.split('\n')[0]}`);
    }
    const adapter = await requestAdapter(gpu, config);
    if (adapter == null) return undefined;
    return { gpu, adapter, summary: summarize(adapter, config.featureLevel, `dawn (backend ${backendLabel}, ${drivers})`),
      globals: dawn.globals };
  };
  const system = async (): Promise<Found | undefined | string> => {
    try {
      return await attempt(userDrivers ?? 'system drivers');
    } catch (e) {
      return (e as Error).message;
    }
  };
  // Without a GPU device node the system's drivers can only offer software rasterisers
  // (Dawn rejects Mesa's lavapipe, with a warning): go to SwiftShader first then.
  const swiftShaderFirst = allowSoftware && vulkanish && userDrivers === undefined && !mayHaveGpu();
  const none = `Dawn (backend ${backendLabel}, feature level ${config.featureLevel}) found no adapter`;
  if (!swiftShaderFirst) {
    const found = await system();
    if (typeof found === 'string') return found;
    if (found !== undefined && (!found.summary.software || allowSoftware)) return found;
    if (found !== undefined) return `the only adapter, '${found.summary.description}', ${SOFTWARE_SKIPPED}`;
    if (!allowSoftware) return `${none} on the system's drivers, and software adapters are used only when asked for 'webgpu' by name`;
    if (!vulkanish) return `${none}; try another dawnBackend (${config.dawnBackend === 'opengles' ? 'Mesa GL needs libegl1' : 'vulkan'})`;
    if (userDrivers !== undefined) return `${none} with ${userDrivers} (unset it to let brainstate-ts find SwiftShader)`;
  }
  if (!hasVulkanLoader()) return `${none}: the Vulkan loader libvulkan.so.1 is missing; ${SOFTWARE_VULKAN_HINT}`;
  const icd = findSwiftShaderIcd(config.vulkanIcd, env);
  if (icd === undefined) {
    const fallback = swiftShaderFirst ? await system() : undefined;
    if (fallback !== undefined && typeof fallback !== 'string') return fallback;
    return config.vulkanIcd !== undefined ? `${none}, and the Vulkan ICD '${config.vulkanIcd}' does not exist`
      : `${none} (no hardware Vulkan driver), and SwiftShader's Vulkan ICD was not found; ${SOFTWARE_VULKAN_HINT}`;
  }
  // The Vulkan loader reads this when Dawn makes its instance: a new create() sees it.
  process.env.VK_ICD_FILENAMES = icd;
  try {
    return (await attempt(`VK_ICD_FILENAMES=${icd}`)) ?? `${none}, not even with VK_ICD_FILENAMES=${icd}`;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Runs `fn` with `XDG_RUNTIME_DIR` set (to the temp folder) when it is unset on Linux:
 * Vulkan drivers (SwiftShader included) probe Wayland as they start and print
 * `error: XDG_RUNTIME_DIR is invalid or not set` on headless machines otherwise.
 */
async function withXdgRuntimeDir<T>(fn: () => Promise<T>): Promise<T> {
  if (process.platform !== 'linux' || (process.env.XDG_RUNTIME_DIR ?? '') !== '') return fn();
  process.env.XDG_RUNTIME_DIR = os.tmpdir();
  try {
    return await fn();
  } finally {
    delete process.env.XDG_RUNTIME_DIR;
  }
}

/**
 * Starts WebGPU and registers tfjs's `webgpu` backend on its device (once per process);
 * returns why it cannot, or null. `allowSoftware`: whether a software adapter will do.
 */
export async function startWebGPU(opts: WebGPUOptions | undefined, allowSoftware: boolean): Promise<string | null> {
  if (active !== undefined) {
    return active.software && !allowSoftware ? `the adapter in use, '${active.description}', ${SOFTWARE_SKIPPED}` : null;
  }
  const config = resolveWebGPUConfig(opts);
  const navGpu = existingNavigatorGpu();
  let found: Found | string;
  if (navGpu !== undefined) {
    found = await fromNavigator(navGpu, config, inNode() ? 'navigator.gpu (set by the program)' : 'browser');
    if (typeof found !== 'string' && found.summary.software && !allowSoftware) {
      found = `the adapter '${found.summary.description}' ${SOFTWARE_SKIPPED}`;
    }
  } else if (inNode()) {
    found = await withXdgRuntimeDir(() => fromDawn(config, allowSoftware));
  } else {
    found = 'this browser has no navigator.gpu (WebGPU is off or unsupported; Chromium on Linux needs ' +
      '--enable-unsafe-webgpu)';
  }
  if (typeof found === 'string') return found;

  let device: GPUDeviceLike;
  try {
    device = await requestDevice(found.adapter);
  } catch (e) {
    return `adapter '${found.summary.description}' refused a device: ${(e as Error).message}`;
  }
  if (found.globals !== undefined) installGlobals(found.gpu, found.globals);
  try {
    registerTfjsBackend(device, found.adapter);
    installExactInt32Kernels();
    installProdKeepDims();
    installBinarySharedRank();
    installCoordinateKernels();
  } catch (e) {
    return `@tensorflow/tfjs-backend-webgpu failed to load (${(e as Error).message.split('\n')[0]}); ` +
      'npm install @tensorflow/tfjs-backend-webgpu@4.22.0';
  }
  if (found.summary.software) preferPackedMatMul();
  active = found.summary;
  return null;
}

/** tfjs-backend-webgpu's `MatMulProgramType.MatMulPackedProgram`. */
const MATMUL_PACKED = 3;

/**
 * On a software adapter, makes tfjs-webgpu use its packed (tiled) matMul for every size,
 * unless the user chose a program type. For small products tfjs picks programs that
 * spread the work over many workgroups with barriers, which suits GPUs; on SwiftShader
 * they made a 4-8-3 MLP training step take 600 ms instead of 20 (measured), since its
 * invocations are CPU threads.
 */
function preferPackedMatMul(): void {
  const flag = 'WEBGPU_MATMUL_PROGRAM_TYPE';
  if (tf.env().getNumber(flag) < 0) tf.env().set(flag, MATMUL_PACKED);
}

/**
 * Loads tfjs-backend-webgpu (its kernels register then; it checks `navigator.gpu` as it
 * loads, so the globals come first) and registers a `webgpu` backend factory on our
 * device, replacing the package's own, which would pick its adapter itself.
 */
function registerTfjsBackend(device: GPUDeviceLike, adapter: GPUAdapterLike): void {
  const pkg = require('@tensorflow/tfjs-backend-webgpu') as {
    WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
  };
  if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new pkg.WebGPUBackend(device, adapter.info), 3);
}

/**
 * The adapter the `webgpu` backend runs on, or undefined before it started.
 *
 * @example
 * ```ts
 * await bst.backend.init('webgpu');
 * console.log(bst.backend.webgpuAdapter()?.description); // e.g. 'SwiftShader driver 5.0.0'
 * ```
 */
export function webgpuAdapter(): WebGPUAdapterSummary | undefined {
  return active;
}

/** Whether the packages the `webgpu` backend needs are installed here (no adapter probe). */
export function webgpuPackageProblem(): string | null {
  try {
    require.resolve('@tensorflow/tfjs-backend-webgpu');
  } catch {
    return "the npm package '@tensorflow/tfjs-backend-webgpu' is not installed: npm install @tensorflow/tfjs-backend-webgpu@4.22.0";
  }
  if (existingNavigatorGpu() !== undefined || !inNode()) return null;
  try {
    require.resolve('webgpu');
    return null;
  } catch {
    return DAWN_MISSING;
  }
}
