import { eliminateDeadCode } from './dce';
import { elideIdentities } from './elide-identities';
import { foldConstants } from './fold-constants';
import { fuseElementwise } from './fuse-elementwise';
import { FUSION_BACKENDS } from '../../backend/tfjs-engine';
import type { Pass } from './pass';

export { runPasses, renameUses } from './pass';
export type { Pass } from './pass';
export { eliminateDeadCode, elideIdentities, foldConstants, fuseElementwise };

/** The passes every jitted program goes through, in order. */
export const DEFAULT_PASSES: readonly Pass[] = [foldConstants, elideIdentities, eliminateDeadCode];

/** Whether elementwise fusion is on: `BRAINSTATE_FUSION=0` turns it off (read at each compile). */
export function fusionEnabled(): boolean {
  return process.env.BRAINSTATE_FUSION !== '0';
}

/** The pass pipeline for a program that will run on `backendName`. */
export function passesFor(backendName: string): readonly Pass[] {
  if (!fusionEnabled() || !FUSION_BACKENDS.includes(backendName)) return DEFAULT_PASSES;
  return [...DEFAULT_PASSES, fuseElementwise, eliminateDeadCode];
}
