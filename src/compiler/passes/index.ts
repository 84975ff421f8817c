import { eliminateDeadCode } from './dce';
import { elideIdentities } from './elide-identities';
import { foldConstants } from './fold-constants';
import type { Pass } from './pass';

export { runPasses, renameUses } from './pass';
export type { Pass } from './pass';
export { eliminateDeadCode, elideIdentities, foldConstants };

/** The passes every jitted program goes through, in order. */
export const DEFAULT_PASSES: readonly Pass[] = [foldConstants, elideIdentities, eliminateDeadCode];
