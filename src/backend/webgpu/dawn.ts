/**
 * WebGPU in Node: the npm package `webgpu` (Dawn's Node bindings; the `dawn.node` binary
 * ships inside the package). Its `create(flags)` makes a `navigator.gpu`; its `globals`
 * are the `GPU*` classes and constants (`GPUBufferUsage`, ...) that code written for
 * browsers, tfjs-backend-webgpu included, expects as globals.
 */
import type { GPULike } from './adapter';

/** The `webgpu` package's exports. */
export interface DawnModule {
  create(flags: string[]): GPULike;
  globals: Record<string, unknown>;
}

let dawn: DawnModule | undefined;

/** Why the `webgpu` backend cannot start in Node without the package. */
export const DAWN_MISSING = "the npm package 'webgpu' (Dawn's Node bindings) is not installed: npm install webgpu";

/** Loads the `webgpu` package; returns it, or why it could not load. */
export function loadDawn(): DawnModule | string {
  if (dawn !== undefined) return dawn;
  try {
    // An ES module: Node >= 20.19 / 22.12 can require() it.
    dawn = require('webgpu') as DawnModule;
    return dawn;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND') {
      return DAWN_MISSING;
    }
    if (err.code === 'ERR_REQUIRE_ESM') {
      return `the npm package 'webgpu' is an ES module, which this Node (${process.version}) cannot require(); ` +
        'use Node >= 20.19';
    }
    return `the npm package 'webgpu' failed to load (${err.message.split('\n')[0]})`;
  }
}

/** Dawn flags for `create()`: the backend, then the user's extra flags. */
export function dawnFlags(dawnBackend: string | undefined, extra: readonly string[]): string[] {
  return [...(dawnBackend !== undefined ? [`backend=${dawnBackend}`] : []), ...extra];
}

/**
 * Makes `gpu` the global `navigator.gpu` and defines the package's `GPU*` globals that are
 * not defined yet. tfjs-backend-webgpu checks `navigator.gpu` when it loads and when its
 * backend is made, and uses `GPUBufferUsage` and friends as globals.
 */
export function installGlobals(gpu: GPULike, globals: Record<string, unknown>): void {
  const g = globalThis as unknown as Record<string, unknown>;
  for (const [name, value] of Object.entries(globals)) {
    if (g[name] === undefined) g[name] = value;
  }
  const nav = g.navigator as Record<string, unknown> | undefined;
  if (nav == null) {
    g.navigator = { gpu };
  } else if (nav.gpu !== gpu) {
    // Node >= 21 has a navigator without gpu; define it there.
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, enumerable: true, writable: true });
  }
}

/** Sets EGL's platform for Dawn's GL backends on headless machines, unless the user chose one. */
export function prepareGLEnvironment(dawnBackend: string | undefined): void {
  if (dawnBackend !== 'opengles' && dawnBackend !== 'opengl') return;
  if (process.platform === 'linux' && !process.env.EGL_PLATFORM && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    process.env.EGL_PLATFORM = 'surfaceless';
  }
}
