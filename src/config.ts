/**
 * Every switch brainstate-ts reads from the environment, parsed and validated here and
 * nowhere else (anchor: Equinox `_config.py`). A bad value is a {@link ConfigError}
 * naming the variable and listing the values it takes; it never silently means the
 * opposite (`BRAINSTATE_SIMD=off` is off).
 *
 * | variable                         | key               | values (default first)                    |
 * |----------------------------------|-------------------|-------------------------------------------|
 * | `BRAINSTATE_BACKEND`             | `backend`         | unset, or a backend name (`backend.BACKEND_NAMES`), checked by `backend.init` |
 * | `BRAINSTATE_FUSION`              | `fusion`          | `1`, `0` (also `true`/`false`, `on`/`off`) |
 * | `BRAINSTATE_SIMD`                | `simd`            | `1`, `0` (as above)                       |
 * | `BRAINSTATE_WASM_KERNELS`        | `wasmKernels`     | `1`, `0` (as above)                       |
 * | `BRAINSTATE_DISABLE_JIT`         | `disableJit`      | `0`, `1` (as above; read once, at first use) |
 * | `BRAINSTATE_WEBGPU_DAWN_BACKEND` | `webgpuDawnBackend` | see `backend/webgpu/config.ts`           |
 * | `BRAINSTATE_WEBGPU_FEATURE_LEVEL`| `webgpuFeatureLevel` | see `backend/webgpu/config.ts`          |
 * | `BRAINSTATE_WEBGPU_POWER`        | `webgpuPower`     | see `backend/webgpu/config.ts`            |
 * | `BRAINSTATE_WEBGPU_ICD`          | `webgpuIcd`       | a path                                    |
 * | `BRAINSTATE_WEBGPU_DAWN_FLAGS`   | `webgpuDawnFlags` | space-separated Dawn options              |
 * | `BRAINSTATE_GEMM`                | (raw)             | a flag (`1`/`0`, `true`/`false`, `on`/`off`): see `backend/gemm/config.ts` (with `setMatMulOptions`) |
 * | `BRAINSTATE_GEMM_THREADS`        | (raw)             | `1`, `auto`, or a thread count            |
 * | `BRAINSTATE_GEMM_FMA`            | (raw)             | `auto` or a flag                          |
 * | `BRAINSTATE_CPU_ARRAY_REUSE`     | (raw)             | a flag, default on: see `backend/cpu/options.ts` (with `setCpuMemoryOptions`) |
 *
 * The flags are read when they are used (fusion and SIMD at each compile, never while a
 * compiled program runs). Tests, benchmarks and the differential fuzzer compare the
 * same program both ways in one process through {@link withConfig}, which overrides the
 * environment for the duration of a call without touching `process.env`.
 *
 * In a browser bundle there is no `process`: every variable reads as unset there.
 */
import { ConfigError } from './errors';

/** The switches, after the environment and any {@link withConfig} overrides. */
export interface Config {
  /** `BRAINSTATE_BACKEND`: the backend `backend.init()` starts when given no name (undefined: the first that starts). */
  readonly backend: string | undefined;
  /** `BRAINSTATE_FUSION`: merge elementwise kernels into generated loops. */
  readonly fusion: boolean;
  /**
   * `BRAINSTATE_SIMD`: run fused kernels as WebAssembly SIMD where the ops allow; off (or
   * where the engine has no WebAssembly SIMD), they run as scalar WebAssembly kernels,
   * one element at a time (same results; see `wasmKernels` for the JS loops).
   */
  readonly simd: boolean;
  /**
   * `BRAINSTATE_WASM_KERNELS`: run fused kernels as generated WebAssembly (SIMD or scalar, as
   * `simd` says); off, they run as the generated JS loops (the path of engines without
   * WebAssembly; tests and the fuzzer reach it this way).
   */
  readonly wasmKernels: boolean;
  /** `BRAINSTATE_DISABLE_JIT`: every jitted function calls its original function. */
  readonly disableJit: boolean;
}

/** The environment variable behind each key of {@link Config}. */
export const CONFIG_VARIABLES: { readonly [K in keyof Config]: string } = {
  backend: 'BRAINSTATE_BACKEND',
  fusion: 'BRAINSTATE_FUSION',
  simd: 'BRAINSTATE_SIMD',
  wasmKernels: 'BRAINSTATE_WASM_KERNELS',
  disableJit: 'BRAINSTATE_DISABLE_JIT',
};

/** The other variables, whose values their own module validates (they combine with options). */
export const RAW_VARIABLES = [
  'BRAINSTATE_WEBGPU_DAWN_BACKEND', 'BRAINSTATE_WEBGPU_FEATURE_LEVEL', 'BRAINSTATE_WEBGPU_POWER',
  'BRAINSTATE_WEBGPU_ICD', 'BRAINSTATE_WEBGPU_DAWN_FLAGS',
  'BRAINSTATE_GEMM', 'BRAINSTATE_GEMM_THREADS', 'BRAINSTATE_GEMM_FMA', 'BRAINSTATE_CPU_ARRAY_REUSE',
] as const;
/** A variable read raw through {@link rawVariable}. */
export type RawVariable = (typeof RAW_VARIABLES)[number];

const TRUE_VALUES = ['1', 'true', 'on'];
const FALSE_VALUES = ['0', 'false', 'off'];

/** The process environment where there is one (Node), else an empty one (browsers). */
export function processEnv(): Record<string, string | undefined> {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return p?.env ?? {};
}

/**
 * Reads an on/off variable's value: `1`/`true`/`on` or `0`/`false`/`off` (any case), unset or
 * empty for `dflt`; anything else is a {@link ConfigError} naming the variable. Every flag of
 * the library (this module's and the ones other modules validate, e.g. `BRAINSTATE_GEMM`)
 * goes through it, so they all accept the same spellings.
 */
export function parseFlag(name: string, v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v.trim() === '') return dflt;
  const lower = v.trim().toLowerCase();
  if (TRUE_VALUES.includes(lower)) return true;
  if (FALSE_VALUES.includes(lower)) return false;
  throw new ConfigError(`${name}: expected one of ${[...TRUE_VALUES, ...FALSE_VALUES].map((a) => `'${a}'`).join(', ')}, ` +
    `got '${v}'. Fix the value, or unset it for the default (${dflt ? 'on' : 'off'}).`);
}

function flag(env: Record<string, string | undefined>, key: 'fusion' | 'simd' | 'wasmKernels' | 'disableJit', dflt: boolean): boolean {
  const name = CONFIG_VARIABLES[key];
  return parseFlag(name, env[name], dflt);
}

/**
 * Parses `env` into a {@link Config} (bad values throw a {@link ConfigError}).
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const backend = env[CONFIG_VARIABLES.backend];
  return {
    backend: backend === undefined || backend.trim() === '' ? undefined : backend.trim(),
    fusion: flag(env, 'fusion', true),
    simd: flag(env, 'simd', true),
    wasmKernels: flag(env, 'wasmKernels', true),
    disableJit: flag(env, 'disableJit', false),
  };
}

const overrides: Partial<Config>[] = [];

/** The switches in force now: the innermost {@link withConfig} override, else the environment. */
export function config(): Config {
  const base = parseConfig(processEnv());
  if (overrides.length === 0) return base;
  let out: Config = base;
  for (const o of overrides) out = { ...out, ...definedOnly(o) };
  return out;
}

function definedOnly(o: Partial<Config>): Partial<Config> {
  const r: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) r[k] = v;
  return r as Partial<Config>;
}

/**
 * Runs `fn` with some switches overridden (nested calls stack); restores them on return
 * or throw. The override replaces the environment variable's value, whatever it is
 * (e.g. `withConfig({ simd: false }, () => f.compile(x))`).
 */
export function withConfig<R>(opts: Partial<Config>, fn: () => R): R {
  for (const k of Object.keys(opts)) {
    if (!(k in CONFIG_VARIABLES)) {
      throw new ConfigError(`withConfig: unknown switch '${k}'; expected one of ${Object.keys(CONFIG_VARIABLES).join(', ')}.`);
    }
  }
  overrides.push(opts);
  try {
    return fn();
  } finally {
    overrides.pop();
  }
}

/** A variable that its own module validates (see {@link RAW_VARIABLES}), or undefined where unset. */
export function rawVariable(name: RawVariable, env: Record<string, string | undefined> = processEnv()): string | undefined {
  return env[name];
}
