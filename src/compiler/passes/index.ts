import { eliminateDeadCode, eliminateDeadCodeFor } from './dce';
import { elideIdentities } from './elide-identities';
import { foldConstants } from './fold-constants';
import { fuseElementwiseFor } from './fuse-elementwise';
import { explicitMatMulTranspose } from './matmul-transpose';
import { eliminateCommonSubexpressions } from './cse';
import { simplifyAlgebraFor } from './simplify';
import { eliminateCasts } from './cast-elimination';
import { fusionTargetOf } from '../fusion/ops';
import { targetNamed } from '../../backend/targets';
import { compilerOptions } from '../options';
import { gemmRunsMatMul } from '../../backend/gemm';
import type { Pass } from './pass';

export { runPasses, renameUses } from './pass';
export { rewritePass } from './rewrite';
export type { Pass } from './pass';
export {
  eliminateCommonSubexpressions, eliminateDeadCode, eliminateDeadCodeFor, elideIdentities, explicitMatMulTranspose, foldConstants, fuseElementwiseFor,
  simplifyAlgebraFor, eliminateCasts,
};

/** Whether elementwise fusion is on: `BRAINSTATE_FUSION=0` turns it off (read at each compile). */
export function fusionEnabled(): boolean {
  return compilerOptions().fusion;
}

/** The pass pipeline for a program that will run on `backendName`. */
export function passesFor(backendName: string): readonly Pass[] {
  const passes: Pass[] = [
    foldConstants, elideIdentities, simplifyAlgebraFor(backendName), eliminateCasts, eliminateCommonSubexpressions,
    eliminateDeadCodeFor(backendName),
  ];
  // tfjs-wasm's own BatchMatMul is slow with a transposed operand; the generated GEMM is not.
  if (targetNamed(backendName)?.explicitMatMulTranspose === true && !gemmRunsMatMul(backendName)) {
    passes.push(explicitMatMulTranspose);
  }
  const formulas = fusionTargetOf(backendName);
  if (fusionEnabled() && formulas !== undefined) passes.push(fuseElementwiseFor(formulas), eliminateDeadCodeFor(backendName));
  return passes;
}
