/**
 * The `webgpu` backend's start-up: adapter choice (config.ts, adapter.ts), Dawn in Node
 * (dawn.ts, vulkan-icd.ts), registration with tfjs (start.ts).
 */
export { startWebGPU, webgpuAdapter, webgpuPackageProblem } from './start';
export { resolveWebGPUConfig, DAWN_BACKENDS, FEATURE_LEVELS, POWER_PREFERENCES } from './config';
export type { WebGPUOptions, WebGPUConfig } from './config';
export type { WebGPUAdapterSummary } from './adapter';
