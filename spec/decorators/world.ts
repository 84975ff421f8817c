/**
 * Which compilation this spec file was built with. The decorator specs run twice
 * (scripts/run-tests.js): under the project's tsconfig (experimentalDecorators,
 * useDefineForClassFields false, library from src/) and under
 * spec/decorators/tsconfig.standard.json (standard decorators, target ES2022 so class
 * fields use define semantics, library from the built dist/ as users get it).
 */

/** `'legacy'` under experimentalDecorators, `'standard'` under TC39 decorators. */
export const decoratorWorld: 'legacy' | 'standard' = (() => {
  let seen = 'legacy' as 'legacy' | 'standard';
  function probe(...args: unknown[]): void {
    seen = args.length === 2 && typeof args[1] === 'object' && args[1] !== null ? 'standard' : 'legacy';
  }
  class Probe {
    @probe x = 1;
  }
  void Probe;
  return seen as 'legacy' | 'standard';
})();

/** True when class fields are defined with define semantics (`useDefineForClassFields`). */
export const defineSemantics: boolean = (() => {
  class Probe {
    x?: number;
  }
  return Object.prototype.hasOwnProperty.call(new Probe(), 'x');
})();

/** A one-line description for test titles and skip reasons. */
export const compilation = `${decoratorWorld === 'standard' ? 'standard decorators' : 'experimentalDecorators'}, ` +
  `${defineSemantics ? 'define' : 'assign'} semantics for class fields`;
