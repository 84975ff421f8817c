/**
 * The `webgpu` target record (see ../targets.ts): started through ./start.ts (adapter,
 * device, tfjs-backend-webgpu), second choice of `backend.init()` on a hardware adapter
 * only. Its random kernels are WGSL programs (registered by `bst.random`, which owns
 * their definitions). Fused elementwise kernels run as generated WGSL programs
 * (./gpu-fusion.ts) following tfjs-backend-webgpu's own WGSL formulas.
 */
import { registerTarget } from '../targets';
import { startWebGPU, webgpuPackageProblem } from './start';
import { WEBGPU_FUSION } from './gpu-fusion';

registerTarget({
  name: 'webgpu',
  priority: 20,
  load: webgpuPackageProblem,
  start: (options, byName) => startWebGPU(options.webgpu, byName),
  // A software-only WebGPU is skipped by init() without a name but still starts by name.
  autoFailureIsUnavailable: false,
  installHint: 'install the npm packages webgpu and @tensorflow/tfjs-backend-webgpu@4.22.0 and, on a machine without ' +
    'a GPU driver, a software Vulkan driver (Debian: apt-get install -y chromium libvulkan1); in a browser, ' +
    'enable WebGPU (see backend.webgpuAdapter and README "GPU")',
  explicitMatMulTranspose: false,
  gpuFusion: WEBGPU_FUSION,
  // The key of the WGSL forms (compiler/fusion/wgsl-ops.ts: WGSL_FORMULAS).
  formulas: 'wgsl',
  customKernels: 'wgsl',
});
