import { expect } from 'chai';
import * as bst from '../../src';
import { expectThrowsWith } from '../helpers';

const { environ } = bst;

describe('environ', () => {
  beforeEach(() => environ.reset());
  after(() => environ.reset());

  it('set / get a global setting; getDt reads dt', () => {
    environ.set({ dt: 0.1, fit: true, name: 'run-1' });
    expect(environ.get('dt')).to.equal(0.1);
    expect(environ.getDt()).to.equal(0.1);
    expect(environ.get('fit')).to.equal(true);
    expect(environ.get('name')).to.equal('run-1');
    environ.set({ dt: 0.2 });
    expect(environ.get('dt')).to.equal(0.2);
    expect(environ.all()).to.deep.equal({ dt: 0.2, fit: true, name: 'run-1' });
  });

  it('an unset key is a BrainStateError naming it and saying how to set it; there is no default dt', () => {
    expectThrowsWith(() => environ.get('dt'), bst.BrainStateError, "environ.get: expected setting 'dt' to be set",
      'set now: none', 'environ.set({ dt: ... })', 'environ.context({ dt: ... }, fn)');
    expectThrowsWith(() => environ.getDt(), bst.BrainStateError, "'dt'");
    environ.set({ fit: false });
    expectThrowsWith(() => environ.get('tau'), bst.BrainStateError, "'tau'", "set now: 'fit'");
  });

  it('get with a default returns it when the key is unset, the value when set', () => {
    expect(environ.get('fit', false)).to.equal(false);
    environ.set({ fit: true });
    expect(environ.get('fit', false)).to.equal(true);
  });

  it('context sets values for the call only, nests, and wins over set', () => {
    environ.set({ dt: 0.1 });
    const seen: number[] = [];
    const r = environ.context({ dt: 0.01 }, () => {
      seen.push(environ.getDt());
      environ.context({ dt: 0.001, fit: true }, () => {
        seen.push(environ.getDt());
        expect(environ.get('fit')).to.equal(true);
      });
      seen.push(environ.getDt());
      environ.set({ dt: 0.5 }); // a global set inside a context: the context still wins
      seen.push(environ.getDt());
      return 'done';
    });
    expect(r).to.equal('done');
    expect(seen).to.deep.equal([0.01, 0.001, 0.01, 0.01]);
    expect(environ.getDt()).to.equal(0.5);
    expect(environ.get('fit', 'unset')).to.equal('unset');
  });

  it('context restores the previous values when fn throws', () => {
    environ.set({ dt: 0.1 });
    expect(() => environ.context({ dt: 0.2, fit: true }, () => { throw new Error('boom'); })).to.throw('boom');
    expect(environ.getDt()).to.equal(0.1);
    expectThrowsWith(() => environ.get('fit'), bst.BrainStateError, "'fit'");
  });

  it('context restores after a promise settles', async () => {
    const p = environ.context({ dt: 0.3 }, async () => {
      await Promise.resolve();
      return environ.getDt();
    });
    expect(await p).to.equal(0.3);
    expectThrowsWith(() => environ.getDt(), bst.BrainStateError, "'dt'");
  });

  it('rejects malformed settings with the fix', () => {
    expectThrowsWith(() => environ.set({ dt: -1 }), bst.BrainStateError, 'environ.set', 'dt', 'positive', '-1');
    expectThrowsWith(() => environ.set({ dt: '0.1' as unknown as number }), bst.BrainStateError, 'environ.set');
    expectThrowsWith(() => environ.context({ fit: 1 as unknown as boolean }, () => 0), bst.BrainStateError,
      'environ.context', 'fit', 'boolean');
    expectThrowsWith(() => environ.set(null as unknown as bst.environ.EnvironSettings), bst.BrainStateError,
      'environ.set', '{ dt: 0.1 }');
  });
});
