/**
 * Finding a software Vulkan driver for Dawn on machines without a GPU: SwiftShader, whose
 * ICD JSON ships with Chromium (Debian: package `chromium-common`, pulled in by `chromium`,
 * at `/usr/lib/chromium/vk_swiftshader_icd.json`). Dawn rejects Mesa's lavapipe
 * (`shaderUniform*ArrayDynamicIndexing required`), so SwiftShader is the fallback.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The file name of SwiftShader's Vulkan ICD manifest. */
export const SWIFTSHADER_ICD = 'vk_swiftshader_icd.json';

/** Where Chromium packages put their libraries (Debian/Ubuntu, Fedora, snap, Google Chrome). */
const CHROMIUM_LIB_DIRS = ['/usr/lib/chromium', '/usr/lib64/chromium', '/usr/lib/chromium-browser',
  '/usr/lib64/chromium-browser', '/snap/chromium/current/usr/lib/chromium-browser', '/opt/google/chrome'];
/** Executable names of Chromium on PATH (their real paths point at the library folder on some systems). */
const CHROMIUM_BINARIES = ['chromium', 'chromium-browser', 'google-chrome'];

/** Environment variables by which a user picks Vulkan drivers themselves (the loader's names). */
export const VULKAN_DRIVER_VARS = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'] as const;

/** The Vulkan driver variable the user set, as `NAME=value`, or undefined. */
export function userVulkanDrivers(env: NodeJS.ProcessEnv): string | undefined {
  const name = VULKAN_DRIVER_VARS.find((n) => (env[n] ?? '') !== '');
  return name === undefined ? undefined : `${name}=${env[name]}`;
}

function chromiumDirsOnPath(env: NodeJS.ProcessEnv): string[] {
  const dirs: string[] = [];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    for (const bin of CHROMIUM_BINARIES) {
      const p = path.join(dir, bin);
      try {
        dirs.push(path.dirname(fs.realpathSync(p)));
      } catch {
        // not there
      }
    }
  }
  return dirs;
}

/**
 * The path of SwiftShader's ICD JSON: `override` when given (it must exist), else the
 * first Chromium library folder that has one. Undefined when none is found.
 */
export function findSwiftShaderIcd(override: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (override !== undefined) return fs.existsSync(override) ? override : undefined;
  for (const dir of [...CHROMIUM_LIB_DIRS, ...chromiumDirsOnPath(env)]) {
    const p = path.join(dir, SWIFTSHADER_ICD);
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

/** Whether the Vulkan loader library (`libvulkan.so.1`, Debian package `libvulkan1`) is installed. */
export function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true; // elsewhere Dawn finds its own (MoltenVK, vulkan-1.dll)
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/lib',
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d !== '')];
  return dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')));
}

/**
 * Linux only: whether any GPU device node exists (DRM render nodes, NVIDIA's, WSL's
 * `/dev/dxg`). Without one no hardware adapter can exist, so `backend.init()` need not
 * start Dawn to find out (which costs 0.2 s and prints driver warnings). True elsewhere.
 */
export function mayHaveGpu(): boolean {
  if (process.platform !== 'linux') return true;
  const has = (dir: string, re: RegExp) => {
    try {
      return fs.readdirSync(dir).some((f) => re.test(f));
    } catch {
      return false;
    }
  };
  return has('/dev/dri', /^renderD\d+$/) || has('/dev', /^(nvidia\d+|dxg|kfd)$/);
}

/** The install hint for a machine with no usable Vulkan driver. */
export const SOFTWARE_VULKAN_HINT = 'on Debian/Ubuntu: apt-get install -y chromium libvulkan1 (SwiftShader, a ' +
  `software Vulkan driver, ships with chromium), or point BRAINSTATE_WEBGPU_ICD at a ${SWIFTSHADER_ICD}`;
