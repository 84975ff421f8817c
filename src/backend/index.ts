export { init, name, available, whyUnavailable, BACKEND_NAMES } from './backend';
export type { BackendName, InitOptions } from './backend';
export { webgpuAdapter } from './webgpu';
export type { WebGPUOptions, WebGPUAdapterSummary } from './webgpu';
export { matMulOptions, setMatMulOptions } from './gemm';
export type { MatMulOptions } from './gemm';
export { cpuMemoryOptions, setCpuMemoryOptions } from './cpu';
export type { CpuMemoryOptions } from './cpu';
