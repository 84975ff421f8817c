#!/usr/bin/env node
// `npm test`: type-check everything, run the specs once per backend, print one summary line.
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
for (const backend of backends) {
  console.log(`\n> mocha (BRAINSTATE_BACKEND=${backend})`);
  const t0 = Date.now();
  const code = run(process.execPath, [require.resolve('mocha/bin/mocha.js')],
    { BRAINSTATE_BACKEND: backend, TS_NODE_TRANSPILE_ONLY: 'true' });
  const file = path.join(results, `${backend}.json`);
  const counts = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { passed: 0, failed: 1, skipped: 0 };
  if (code !== 0 && counts.failed === 0) counts.failed = 1; // mocha crashed before reporting
  if (code !== 0) exitCode = 1;
  for (const k of Object.keys(total)) total[k] += counts[k];
  lines.push(`${backend}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped ` +
    `(${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log('\nSummary by backend:');
for (const l of lines) console.log(`  ${l}`);
for (const s of extraSkips) console.log(`  ${s}`);
console.log(`  total time ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(exitCode);
