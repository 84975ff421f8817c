/**
 * How the `webgpu` backend picks its adapter: options given to `backend.init`, else
 * environment variables, read and validated here and nowhere else.
 *
 * | option            | environment variable               | values                                   |
 * |-------------------|------------------------------------|------------------------------------------|
 * | `dawnBackend`     | `BRAINSTATE_WEBGPU_DAWN_BACKEND`   | `vulkan`, `opengles`, `opengl`, `metal`, `d3d12`, `d3d11`, `null` |
 * | `featureLevel`    | `BRAINSTATE_WEBGPU_FEATURE_LEVEL`  | `core`, `compatibility`                  |
 * | `powerPreference` | `BRAINSTATE_WEBGPU_POWER`          | `high-performance`, `low-power`          |
 * | `vulkanIcd`       | `BRAINSTATE_WEBGPU_ICD`            | path of a Vulkan ICD JSON (SwiftShader's by default) |
 * | `dawnFlags`       | `BRAINSTATE_WEBGPU_DAWN_FLAGS`     | Dawn options for `create()`, space-separated |
 */
import { BackendError } from '../../errors';
import { processEnv, rawVariable } from '../../config';

export { processEnv };

/** Dawn backends the `webgpu` package's `create(['backend=...'])` accepts. */
export const DAWN_BACKENDS = ['vulkan', 'opengles', 'opengl', 'metal', 'd3d12', 'd3d11', 'null'] as const;
/** WebGPU feature levels (`requestAdapter({ featureLevel })`). */
export const FEATURE_LEVELS = ['core', 'compatibility'] as const;
/** WebGPU power preferences (`requestAdapter({ powerPreference })`). */
export const POWER_PREFERENCES = ['high-performance', 'low-power'] as const;

/**
 * Options of the `webgpu` backend (`bst.backend.init('webgpu', { webgpu: {...} })`).
 * Each falls back to its environment variable, then to Dawn's default.
 */
export interface WebGPUOptions {
  /** Node only: Dawn's backend (`'vulkan'` on Linux by default; `'opengles'` for Mesa's GL). */
  readonly dawnBackend?: (typeof DAWN_BACKENDS)[number];
  /** `'core'` (default) or `'compatibility'` (needed by Dawn's GL backends, chosen by default for them). */
  readonly featureLevel?: (typeof FEATURE_LEVELS)[number];
  /** Which adapter to prefer where there are several. Default `'high-performance'`, as tfjs. */
  readonly powerPreference?: (typeof POWER_PREFERENCES)[number];
  /**
   * Node only: the Vulkan ICD JSON used when the system's Vulkan drivers give no adapter
   * and `VK_ICD_FILENAMES` / `VK_DRIVER_FILES` are unset. Default: SwiftShader's
   * `vk_swiftshader_icd.json` from the chromium package.
   */
  readonly vulkanIcd?: string;
  /** Node only: extra Dawn options for `create()`, e.g. `'enable-dawn-features=dump_shaders'`. */
  readonly dawnFlags?: readonly string[];
}

/** The options after defaults and environment variables are applied. */
export interface WebGPUConfig {
  readonly dawnBackend: (typeof DAWN_BACKENDS)[number] | undefined;
  readonly featureLevel: (typeof FEATURE_LEVELS)[number];
  readonly powerPreference: (typeof POWER_PREFERENCES)[number];
  readonly vulkanIcd: string | undefined;
  readonly dawnFlags: readonly string[];
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], where: string): T | undefined {
  if (value === undefined || value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new BackendError(`${where}: expected one of ${allowed.map((a) => `'${a}'`).join(', ')}, got '${value}'. ` +
    'Fix the value or leave it unset for the default.');
}

/**
 * Resolves `opts` against the environment. A bad value is a {@link BackendError} naming
 * the option or variable and listing the allowed values.
 */
export function resolveWebGPUConfig(opts: WebGPUOptions = {}, env: Record<string, string | undefined> = processEnv()): WebGPUConfig {
  const dawnBackend = oneOf(opts.dawnBackend, DAWN_BACKENDS, 'backend.init: option webgpu.dawnBackend') ??
    oneOf(rawVariable('BRAINSTATE_WEBGPU_DAWN_BACKEND', env), DAWN_BACKENDS, 'BRAINSTATE_WEBGPU_DAWN_BACKEND');
  const gl = dawnBackend === 'opengles' || dawnBackend === 'opengl';
  const featureLevel = oneOf(opts.featureLevel, FEATURE_LEVELS, 'backend.init: option webgpu.featureLevel') ??
    oneOf(rawVariable('BRAINSTATE_WEBGPU_FEATURE_LEVEL', env), FEATURE_LEVELS, 'BRAINSTATE_WEBGPU_FEATURE_LEVEL') ??
    (gl ? 'compatibility' : 'core'); // Dawn's GL backends offer compatibility-level adapters only
  const powerPreference = oneOf(opts.powerPreference, POWER_PREFERENCES, 'backend.init: option webgpu.powerPreference') ??
    oneOf(rawVariable('BRAINSTATE_WEBGPU_POWER', env), POWER_PREFERENCES, 'BRAINSTATE_WEBGPU_POWER') ?? 'high-performance';
  const vulkanIcd = opts.vulkanIcd ?? (rawVariable('BRAINSTATE_WEBGPU_ICD', env) || undefined);
  const dawnFlags = opts.dawnFlags ?? (rawVariable('BRAINSTATE_WEBGPU_DAWN_FLAGS', env) ?? '').split(/\s+/).filter((f) => f !== '');
  return { dawnBackend, featureLevel, powerPreference, vulkanIcd, dawnFlags };
}
