import { expect } from 'chai';
import * as tf from '@tensorflow/tfjs';
import * as bst from '../../src';
import { whyUnavailable } from '../../src/backend';

describe('backend', () => {
  it('reports the backend chosen for this run', () => {
    const expected = process.env.BRAINSTATE_BACKEND ?? bst.backend.name();
    expect(bst.backend.name()).to.equal(expected);
    expect(tf.getBackend()).to.equal(expected);
  });

  it('lists the backends that load here; cpu and wasm always do', async () => {
    const names = await bst.backend.available();
    expect(names).to.include('cpu');
    expect(names).to.include('wasm');
  });

  it('rejects an unknown name, listing the valid ones', async () => {
    let err: unknown;
    try { await bst.backend.init('tpu'); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(bst.BackendError);
    expect((err as Error).message).to.contain("unknown backend 'tpu'")
      .and.to.contain("'tensorflow', 'webgpu', 'wasm', 'webgl', 'cpu'");
    expect(tf.getBackend()).to.equal(process.env.BRAINSTATE_BACKEND ?? tf.getBackend());
  });

  it('explains how to get the tensorflow backend when it cannot load', async function () {
    if (whyUnavailable('tensorflow') === undefined) {
      this.skip(); // it loads here, so there is no error to check
    }
    let err: unknown;
    try { await bst.backend.init('tensorflow'); } catch (e) { err = e; }
    expect(err).to.be.instanceOf(bst.BackendError);
    expect((err as Error).message).to.contain("backend 'tensorflow' cannot start here")
      .and.to.contain('@tensorflow/tfjs-node-gpu').and.to.contain('Available now:');
  });

  it('BRAINSTATE_BACKEND picks the backend when no name is given', async () => {
    const current = bst.backend.name();
    const saved = process.env.BRAINSTATE_BACKEND;
    process.env.BRAINSTATE_BACKEND = 'cpu';
    try {
      expect(await bst.backend.init()).to.equal('cpu');
      process.env.BRAINSTATE_BACKEND = 'nope';
      let err: unknown;
      try { await bst.backend.init(); } catch (e) { err = e; }
      expect((err as Error).message).to.contain("BRAINSTATE_BACKEND: unknown backend 'nope'");
    } finally {
      if (saved === undefined) delete process.env.BRAINSTATE_BACKEND; else process.env.BRAINSTATE_BACKEND = saved;
      await bst.backend.init(current);
    }
  });
});
