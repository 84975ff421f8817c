/**
 * Asking a WebGPU implementation (a browser's `navigator.gpu`, or Dawn's in Node) for an
 * adapter and a device, and telling hardware adapters from software ones.
 *
 * The types below are the few members used, written out so that the rest of the project
 * compiles without the `@webgpu/types` globals.
 */
import type { WebGPUConfig } from './config';

/** `GPUAdapterInfo`, as far as it is read here. */
export interface GPUAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  /** Newer WebGPU: true for software adapters (SwiftShader reports it). */
  readonly isFallbackAdapter?: boolean;
}

/** `GPUDevice`, as far as it is used here (tfjs-backend-webgpu uses the rest). */
export interface GPUDeviceLike {
  readonly lost?: Promise<{ reason?: string; message?: string }>;
  destroy?(): void;
}

/** `GPUAdapter`, as far as it is used here. */
export interface GPUAdapterLike {
  readonly info?: GPUAdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  readonly features: { has(name: string): boolean };
  readonly limits: Record<string, number>;
  requestDevice(descriptor?: object): Promise<GPUDeviceLike>;
}

/** `navigator.gpu`. */
export interface GPULike {
  requestAdapter(options?: object): Promise<GPUAdapterLike | null>;
}

/** What the `webgpu` backend runs on (see `backend.webgpuAdapter()`). */
export interface WebGPUAdapterSummary {
  /** e.g. `'SwiftShader driver 5.0.0'`, `'NVIDIA H200'`, `'OpenGL ES 3.2 Mesa 22.3.6'`. */
  readonly description: string;
  readonly vendor: string;
  readonly architecture: string;
  /** True for a software rasteriser (SwiftShader, llvmpipe / lavapipe, WARP). */
  readonly software: boolean;
  /** The feature level the adapter was requested at. */
  readonly featureLevel: WebGPUConfig['featureLevel'];
  /** Where it came from: `'browser'`, or `'dawn'` with the Dawn backend and Vulkan driver used. */
  readonly source: string;
}

/** Names of software rasterisers as adapters report them. */
const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp/i;

/** Summarises `adapter` (its info, and whether it is a software one). */
export function summarize(adapter: GPUAdapterLike, featureLevel: WebGPUConfig['featureLevel'],
  source: string): WebGPUAdapterSummary {
  const info = adapter.info ?? {};
  const description = info.description || info.device || '(no description)';
  const names = [info.description, info.device, info.architecture, info.vendor].join(' ');
  const software = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || SOFTWARE_NAMES.test(names);
  return { description, vendor: info.vendor ?? '', architecture: info.architecture ?? '', software, featureLevel, source };
}

/** The adapter `gpu` offers for `config`, or null (`requestAdapter` rejecting counts as none). */
export async function requestAdapter(gpu: GPULike, config: WebGPUConfig): Promise<GPUAdapterLike | null> {
  try {
    return await gpu.requestAdapter({ powerPreference: config.powerPreference, featureLevel: config.featureLevel });
  } catch {
    return null;
  }
}

/**
 * A device with the limits tfjs-backend-webgpu asks for (as its own factory does: the
 * adapter's maxima for storage buffers and workgroups), plus timestamp queries when offered.
 */
export function requestDevice(adapter: GPUAdapterLike): Promise<GPUDeviceLike> {
  const l = adapter.limits;
  const requiredFeatures = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
    },
  });
}
