export { init, name, available, whyUnavailable, BACKEND_NAMES } from './backend';
export type { BackendName, InitOptions } from './backend';
export { webgpuAdapter } from './webgpu';
export type { WebGPUOptions, WebGPUAdapterSummary } from './webgpu';
