import { eliminateDeadCode } from './dce';
import { elideIdentities } from './elide-identities';
import { foldConstants } from './fold-constants';
import { fuseElementwise } from './fuse-elementwise';
import { explicitMatMulTranspose } from './matmul-transpose';
import { eliminateCommonSubexpressions } from './cse';
import { simplifyAlgebra } from './simplify';
import { eliminateCasts } from './cast-elimination';
import { FUSION_BACKENDS } from '../../backend/tfjs-engine';
import { gemmRunsMatMul } from '../../backend/gemm';
import type { Pass } from './pass';
import { envVar } from '../../util/env';

export { runPasses, renameUses } from './pass';
export { rewritePass } from './rewrite';
export type { Pass } from './pass';
export {
  eliminateCommonSubexpressions, eliminateDeadCode, elideIdentities, explicitMatMulTranspose, foldConstants, fuseElementwise,
  simplifyAlgebra, eliminateCasts,
};

/** The passes every jitted program goes through, in order. */
export const DEFAULT_PASSES: readonly Pass[] = [
  foldConstants, elideIdentities, simplifyAlgebra, eliminateCasts, eliminateCommonSubexpressions, eliminateDeadCode,
];

/** Whether elementwise fusion is on: `BRAINSTATE_FUSION=0` turns it off (read at each compile). */
export function fusionEnabled(): boolean {
  return envVar('BRAINSTATE_FUSION') !== '0';
}

/** The pass pipeline for a program that will run on `backendName`. */
export function passesFor(backendName: string): readonly Pass[] {
  const passes = [...DEFAULT_PASSES];
  // tfjs-wasm's own BatchMatMul is slow with a transposed operand; the generated GEMM is not.
  if (backendName === 'wasm' && !gemmRunsMatMul('wasm')) passes.push(explicitMatMulTranspose);
  if (fusionEnabled() && FUSION_BACKENDS.includes(backendName)) passes.push(fuseElementwise, eliminateDeadCode);
  return passes;
}
