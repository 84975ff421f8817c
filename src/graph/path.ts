/**
 * Paths in a module graph: the one path vocabulary of brainstate-ts lives in
 * `../util/path.ts` (also used by pytrees, gradient trees and checkpoints); re-exported
 * here where the graph's users import it.
 */
export * from '../util/path';
