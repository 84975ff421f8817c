/**
 * The library's layers go one way (spec/architecture/import-graph.ts lists them; see
 * docs/architecture.md): no import from a lower layer to a higher one (type-only imports
 * included: a type names a dependency too), no import cycle between files, and every
 * file in a layer.
 */
import { expect } from 'chai';
import { cycles, Edge, importGraph, layerOf, unlayered, upwardImports } from './import-graph';

describe('layers and cycles (issue 13)', () => {
  const edges = importGraph();

  it('reads the import graph (static imports, re-exports, require)', () => {
    expect(edges.length).to.be.greaterThan(500);
    expect(edges.some((e) => e.from === 'src/index.ts' && e.to === 'src/side-effects.ts')).to.equal(true);
  });

  it('every library file is in a layer', () => {
    expect(unlayered(edges)).to.deep.equal([]);
  });

  it('no import goes up a layer', () => {
    const up = upwardImports(edges);
    expect(up, up.join('\n')).to.deep.equal([]);
  });

  it('no import cycle', () => {
    const c = cycles(edges);
    expect(c, c.map((x) => x.join(' -> ')).join('\n')).to.deep.equal([]);
  });

  it('the compiler holds no live state and names no backend: it imports nothing from src/state/', () => {
    const bad = edges.filter((e) => e.from.startsWith('src/compiler/') && e.to.startsWith('src/state/'));
    expect(bad.map((e) => `${e.from} imports ${e.to}`)).to.deep.equal([]);
  });

  it('the checks find an upward import and a cycle', () => {
    const bad: Edge[] = [
      { from: 'src/state/state.ts', to: 'src/nn/module.ts', typeOnly: true },
      { from: 'src/compiler/a.ts', to: 'src/compiler/b.ts', typeOnly: false },
      { from: 'src/compiler/b.ts', to: 'src/compiler/a.ts', typeOnly: false },
    ];
    expect(layerOf('src/state/state.ts')).to.be.lessThan(layerOf('src/nn/module.ts'));
    expect(upwardImports(bad)).to.have.length(1);
    expect(cycles(bad)).to.deep.equal([['src/compiler/a.ts', 'src/compiler/b.ts']]);
  });
});
