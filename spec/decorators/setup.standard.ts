/**
 * The mocha setup of the standard-decorator run of the decorator specs (see ./world.ts):
 * starts the backend through the built package, as an application would.
 */
import * as bst from 'brainstate-ts';

export const mochaHooks = {
  async beforeAll(): Promise<void> {
    await bst.backend.init(process.env.BRAINSTATE_BACKEND);
  },
};
