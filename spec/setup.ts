/**
 * Loaded by mocha before every spec file (see .mocharc.json): starts the backend named
 * by BRAINSTATE_BACKEND (scripts/run-tests.js runs the suite once per backend).
 *
 * Every test also awaits the comparisons `expectTensorClose` had to defer until a GPU
 * read arrived (webgpu in Node), so a mismatch fails the test that made it, and the GPU
 * work it queued, so that time (and a timeout) counts to it.
 *
 * On webgpu, a test is skipped, with the reason printed, when it is a known limit
 * (spec/webgpu-known.ts) or when its own code (spec/, samples/) reads GPU data
 * synchronously, which Node cannot do; a synchronous read from src/ still fails it.
 */
import 'reflect-metadata';
import type { Context, Suite, Test } from 'mocha';
import * as bst from '../src';
import { backendIdle } from '../src/backend/tfjs-engine';
import { settleDeferredChecks } from './helpers';
import { WEBGPU_KNOWN_LIMITS } from './webgpu-known';

type TestFn = (this: Context) => unknown;

/** Where a synchronous-read BackendError came from, when that is spec or sample code; else undefined. */
function specSideSyncRead(e: unknown): string | undefined {
  if (!(e instanceof bst.BackendError) || !e.message.includes('cannot read GPU data synchronously')) return undefined;
  for (const line of (e.stack ?? '').split('\n').slice(1)) {
    if (/tfjs-|node_modules|node:/.test(line)) continue; // tfjs's own frames (tidy, engine) in between
    const m = /((?:spec|samples|src|testing|decorators)\/[^:()\s]+):(\d+)/.exec(line);
    if (m == null || m[1].startsWith('src/backend/')) continue;
    return m[1].startsWith('spec/') || m[1].startsWith('samples/') ? `${m[1]}:${m[2]}` : undefined;
  }
  return undefined;
}

/** Wraps each test of `suite` (recursively): known webgpu limits, deferred checks, GPU drain. */
function wrapEveryTest(suite: Suite, webgpu: boolean): void {
  for (const test of suite.tests as (Test & { fn?: TestFn })[]) {
    const fn = test.fn;
    if (fn == null || fn.length > 0) continue; // callback-style tests: none in this suite
    const known = webgpu ? WEBGPU_KNOWN_LIMITS.find((k) => test.fullTitle().includes(k.title)) : undefined;
    test.fn = async function (this: Context) {
      if (known !== undefined) {
        console.log(`      skipped on webgpu: ${known.reason}`);
        this.skip();
      }
      try {
        await fn.call(this);
      } catch (e) {
        await settleDeferredChecks().catch(() => undefined); // the test's own error is the one to report
        await backendIdle().catch(() => undefined);
        const where = webgpu ? specSideSyncRead(e) : undefined;
        if (where !== undefined) {
          console.log(`      skipped on webgpu: ${where} reads GPU data synchronously; it needs await t.data()`);
          this.skip();
        }
        throw e;
      }
      await settleDeferredChecks();
      await backendIdle(); // GPU work this test queued counts to it (webgpu), not to the next one
    };
  }
  for (const child of suite.suites) wrapEveryTest(child, webgpu);
}

export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    const name = await bst.backend.init(process.env.BRAINSTATE_BACKEND);
    if (process.env.BRAINSTATE_BACKEND == null) console.log(`(specs run on backend '${name}')`);
    let root = this.test?.parent;
    while (root?.parent != null) root = root.parent;
    // BRAINSTATE_WEBGPU_RUN_ALL=1 runs the known limits too (npm run test:webgpu:all).
    const skipKnown = name === 'webgpu' && process.env.BRAINSTATE_WEBGPU_RUN_ALL !== '1';
    if (root != null) wrapEveryTest(root, skipKnown);
  },
};
