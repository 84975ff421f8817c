/**
 * Loaded by mocha before every spec file (see .mocharc.json): starts the backend named
 * by BRAINSTATE_BACKEND (scripts/run-tests.js runs the suite once per backend).
 *
 * Every test also awaits the comparisons `expectTensorClose` had to defer until a GPU
 * read arrived (webgpu in Node), so a mismatch fails the test that made it, and the GPU
 * work it queued, so that time (and a timeout) counts to it.
 */
import 'reflect-metadata';
import type { Context, Suite, Test } from 'mocha';
import * as bst from '../src';
import { backendIdle } from '../src/backend/tfjs-engine';
import { settleDeferredChecks } from './helpers';

type TestFn = (this: Context) => unknown;

/** Wraps each test of `suite` (recursively) so it settles its deferred checks before it ends. */
function settleChecksInEveryTest(suite: Suite): void {
  for (const test of suite.tests as (Test & { fn?: TestFn })[]) {
    const fn = test.fn;
    if (fn == null || fn.length > 0) continue; // callback-style tests: none in this suite
    test.fn = async function (this: Context) {
      try {
        await fn.call(this);
      } catch (e) {
        await settleDeferredChecks().catch(() => undefined); // the test's own error is the one to report
        await backendIdle().catch(() => undefined);
        throw e;
      }
      await settleDeferredChecks();
      await backendIdle(); // GPU work this test queued counts to it (webgpu), not to the next one
    };
  }
  for (const child of suite.suites) settleChecksInEveryTest(child);
}

export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    const name = await bst.backend.init(process.env.BRAINSTATE_BACKEND);
    if (process.env.BRAINSTATE_BACKEND == null) console.log(`(specs run on backend '${name}')`);
    let root = this.test?.parent;
    while (root?.parent != null) root = root.parent;
    if (root != null) settleChecksInEveryTest(root);
  },
};
