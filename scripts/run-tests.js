#!/usr/bin/env node
// `npm test`: type-check everything, build dist/, run the specs once per backend (and the
// decorator specs again under standard decorators), the integration specs once, and print
// one summary line.
//
// Backends: BRAINSTATE_BACKEND if set; else cpu and wasm, plus tensorflow when
// @tensorflow/tfjs-node(-gpu) loads here, plus webgpu when it starts here (on a GPU, or on
// SwiftShader, the software Vulkan driver .ci/run installs with chromium); a backend that
// cannot start is reported as skipped, with why.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const results = path.join(root, '.test-results');
fs.rmSync(results, { recursive: true, force: true });

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === null ? 1 : r.status;
}

function nativeBackendProblem() {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try { require.resolve(pkg, { paths: [root] }); } catch { continue; }
    const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(pkg)})`], { cwd: root });
    if (probe.status === 0) return null;
    return `${pkg} is installed but does not load: ${String(probe.stderr).split('\n').find((l) => l.trim()) || ''}`;
  }
  return 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (their install script ' +
    'downloads libtensorflow, which this machine cannot reach)';
}

/** Why `init('webgpu')` fails here (in a child process, so this one stays GPU-free), or null. */
function webgpuProblem() {
  const probe = spawnSync(process.execPath, ['--conditions=brainstate-source', '-r', 'ts-node/register/transpile-only', '-e',
    "require('./src/backend').init('webgpu').then((n) => { console.log('adapter: ' + " +
    "require('./src/backend').webgpuAdapter().description); process.exit(0); }, " +
    '(e) => { console.log(e.message); process.exit(1); })'], { cwd: root, encoding: 'utf8' });
  const said = String(probe.stdout).trim().split('\n').pop() || String(probe.stderr).trim().split('\n')[0] || '';
  if (probe.status !== 0) return said;
  console.log(`webgpu starts here (${said})`);
  return null;
}

const started = Date.now();
console.log('> tsc --noEmit');
if (run(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', 'tsconfig.json']) !== 0) {
  console.log('type-check failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

console.log('> node scripts/check-examples.js (the TSDoc @examples type-check)');
if (run(process.execPath, [path.join(root, 'scripts', 'check-examples.js')]) !== 0) {
  console.log('an @example does not compile');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// dist/ (as the package ships it): the standard-decorator run, the package and the browser specs use it.
console.log('> tsc -p tsconfig.build.json');
if (run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']) !== 0) {
  console.log('build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log('> tsc --noEmit -p spec/decorators/tsconfig.standard.json');
if (run(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', 'spec/decorators/tsconfig.standard.json']) !== 0) {
  console.log('type-check of the standard-decorator specs failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

console.log('> tsc --noEmit -p browser/tsconfig.json');
if (run(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit', '-p', 'browser/tsconfig.json']) !== 0) {
  console.log('type-check of the browser code failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

let backends = process.env.BRAINSTATE_BACKEND ? [process.env.BRAINSTATE_BACKEND] : ['cpu', 'wasm'];
const extraSkips = [];
if (!process.env.BRAINSTATE_BACKEND) {
  const problem = nativeBackendProblem();
  if (problem == null) backends.unshift('tensorflow');
  else extraSkips.push(`tensorflow backend suite skipped: ${problem}`);
  const gpuProblem = webgpuProblem();
  if (gpuProblem == null) backends.push('webgpu');
  else extraSkips.push(`webgpu backend suite skipped: ${gpuProblem}`);
}

const total = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;
const lines = [];
/** One mocha run; its counts go to the total and one summary line. */
function mochaRun(label, args, env) {
  console.log(`\n> mocha ${args.join(' ')} (${label})`);
  const t0 = Date.now();
  const code = run(process.execPath, [require.resolve('mocha/bin/mocha.js'), ...args],
    { TS_NODE_TRANSPILE_ONLY: 'true', BRAINSTATE_TEST_LABEL: label, ...env });
  const file = path.join(results, `${label}.json`);
  const counts = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { passed: 0, failed: 1, skipped: 0 };
  if (code !== 0 && counts.failed === 0) counts.failed = 1; // mocha crashed before reporting
  if (code !== 0) exitCode = 1;
  for (const k of Object.keys(total)) total[k] += counts[k];
  lines.push(`${label}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped ` +
    `(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// On webgpu (SwiftShader in CI: a software GPU, about 0.3 ms per dispatch) the training samples,
// layer and spiking-model suites take many minutes, so `npm test` runs a named subset there
// (spec/.mocharc.webgpu-subset.json: the jit, compiler, transforms (callAsync included), states,
// graph, random (the WGSL shuffle included), event (the WGSL CSR kernels), training-kernel and
// optimiser-under-jit specs, the fuzz corpus replay, and spec/samples/webgpu-parity.spec.ts: the
// samples' numbers against cpu at small sizes, about 40 s, its MLP case aside, which
// BRAINSTATE_WEBGPU_SUBSET skips). The samples' own specs are not in it: the small COBA/CUBA/E-I
// runs took over 3 minutes each on SwiftShader on a shared 2-core machine. The whole suite runs
// with `npm run test:webgpu`.
for (const backend of backends) {
  mochaRun(backend, backend === 'webgpu' ? ['--config', 'spec/.mocharc.webgpu-subset.json'] : [],
    { BRAINSTATE_BACKEND: backend, ...(backend === 'webgpu' ? { BRAINSTATE_WEBGPU_SUBSET: '1' } : {}) });
  // The decorator specs again, compiled with standard decorators against dist/ (spec/decorators/world.ts).
  // Decorators do not depend on the backend, and these specs read results synchronously: cpu and wasm.
  if (backend === 'webgpu') continue;
  mochaRun(`${backend}-standard-decorators`, ['--config', 'spec/decorators/.mocharc.standard.json'],
    { BRAINSTATE_BACKEND: backend, TS_NODE_PROJECT: 'spec/decorators/tsconfig.standard.json' });
}
// Once, whatever the backends: the packed tarball, the browser bundle, child processes.
mochaRun('integration', ['--config', 'spec/integration/.mocharc.json'], { BRAINSTATE_BACKEND: 'cpu' });
console.log('\nSummary by backend:');
for (const l of lines) console.log(`  ${l}`);
for (const s of extraSkips) console.log(`  ${s}`);
console.log(`  total time ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(exitCode);
