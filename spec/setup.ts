/**
 * Loaded by mocha before every spec file (see .mocharc.json): starts the backend named
 * by BRAINSTATE_BACKEND (scripts/run-tests.js runs the suite once per backend).
 */
import 'reflect-metadata';
import * as bst from '../src';

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    const name = await bst.backend.init(process.env.BRAINSTATE_BACKEND);
    if (process.env.BRAINSTATE_BACKEND == null) console.log(`(specs run on backend '${name}')`);
  },
};
