/**
 * How the webgpu backend picks its adapter, without starting one (these run on every
 * backend): options and environment variables, software-adapter detection, SwiftShader's
 * ICD lookup, and the errors that name what is missing.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { expect } from 'chai';
import * as bst from '../../src';
import { resolveWebGPUConfig } from '../../src/backend/webgpu';
import { summarize } from '../../src/backend/webgpu/adapter';
import { findSwiftShaderIcd, userVulkanDrivers } from '../../src/backend/webgpu/vulkan-icd';
import { expectThrowsWith } from '../helpers';

const adapter = (info: Record<string, unknown>) =>
  ({ info, features: { has: () => false }, limits: {}, requestDevice: async () => ({}) });

describe('backend: webgpu configuration', () => {
  it('options win over environment variables, which win over the defaults', () => {
    expect(resolveWebGPUConfig({}, {})).to.deep.equal({ dawnBackend: undefined, featureLevel: 'core',
      powerPreference: 'high-performance', vulkanIcd: undefined, dawnFlags: [] });
    const env = { BRAINSTATE_WEBGPU_DAWN_BACKEND: 'opengles', BRAINSTATE_WEBGPU_POWER: 'low-power',
      BRAINSTATE_WEBGPU_ICD: '/x/icd.json', BRAINSTATE_WEBGPU_DAWN_FLAGS: 'enable-dawn-features=a,b  verbose=1' };
    expect(resolveWebGPUConfig({}, env)).to.deep.equal({ dawnBackend: 'opengles', featureLevel: 'compatibility',
      powerPreference: 'low-power', vulkanIcd: '/x/icd.json', dawnFlags: ['enable-dawn-features=a,b', 'verbose=1'] });
    expect(resolveWebGPUConfig({ dawnBackend: 'vulkan', featureLevel: 'core' }, env).featureLevel).to.equal('core');
  });

  it('a bad value names the option or variable and lists the allowed ones', () => {
    expectThrowsWith(() => resolveWebGPUConfig({}, { BRAINSTATE_WEBGPU_FEATURE_LEVEL: 'full' }), bst.BackendError,
      'BRAINSTATE_WEBGPU_FEATURE_LEVEL', "'core', 'compatibility'", "got 'full'");
    expectThrowsWith(() => resolveWebGPUConfig({ dawnBackend: 'directx' as never }), bst.BackendError,
      'webgpu.dawnBackend', "'vulkan'", "'opengles'");
  });

  it('tells software adapters (SwiftShader, llvmpipe, fallback flag) from hardware ones', () => {
    expect(summarize(adapter({ description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true }), 'core', 's').software)
      .to.equal(true);
    expect(summarize(adapter({ device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'OpenGL ES 3.2 Mesa' }),
      'compatibility', 's').software).to.equal(true);
    const nvidia = summarize(adapter({ vendor: 'nvidia', description: 'NVIDIA H200', architecture: 'hopper' }), 'core', 's');
    expect(nvidia).to.include({ software: false, description: 'NVIDIA H200', vendor: 'nvidia' });
  });

  it('finds SwiftShader\'s ICD at an override path only when it exists', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bst-icd-'));
    try {
      const icd = path.join(dir, 'vk_swiftshader_icd.json');
      expect(findSwiftShaderIcd(icd, {})).to.equal(undefined);
      fs.writeFileSync(icd, '{}');
      expect(findSwiftShaderIcd(icd, {})).to.equal(icd);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves the Vulkan driver to the user when they set one', () => {
    expect(userVulkanDrivers({})).to.equal(undefined);
    expect(userVulkanDrivers({ VK_DRIVER_FILES: '/a.json' })).to.equal('VK_DRIVER_FILES=/a.json');
  });
});
