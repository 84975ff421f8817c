import { eliminateDeadCode, eliminateDeadCodeFor } from './dce';
import { elideIdentities } from './elide-identities';
import { foldConstants, foldConstantsFor } from './fold-constants';
import { fuseElementwiseFor } from './fuse-elementwise';
import { explicitMatMulTranspose } from './matmul-transpose';
import { matMulEpilogue } from './matmul-epilogue';
import { sumLeadingAxesFor } from './sum-leading-axes';
import { mergeFusedParts, mergeFusedPartsFor } from './merge-fused-parts';
import { eliminateCommonSubexpressions, eliminateCommonSubexpressionsFor } from './cse';
import { simplifyAlgebraFor } from './simplify';
import { eliminateCasts, eliminateCastsFor } from './cast-elimination';
import { fusionTargetOf } from '../fusion/ops';
import { cpuFormsThreshold, targetNamed } from '../../backend/targets';
import { compilerOptions } from '../options';
import { gemmRunsMatMul } from '../../backend/gemm';
import type { Pass } from './pass';

export { runPasses, renameUses } from './pass';
export { rewritePass } from './rewrite';
export type { Pass } from './pass';
export {
  eliminateCommonSubexpressions, eliminateCommonSubexpressionsFor, eliminateDeadCode, eliminateDeadCodeFor, elideIdentities, explicitMatMulTranspose, foldConstants,
  foldConstantsFor, fuseElementwiseFor,
  matMulEpilogue, sumLeadingAxesFor, mergeFusedParts,
  simplifyAlgebraFor, eliminateCasts, eliminateCastsFor,
};

/** Whether elementwise fusion is on: `BRAINSTATE_FUSION=0` turns it off (read at each compile). */
export function fusionEnabled(): boolean {
  return compilerOptions().fusion;
}

/** The pass pipeline for a program that will run on `backendName`. */
export function passesFor(backendName: string): readonly Pass[] {
  const passes: Pass[] = [
    foldConstantsFor(backendName), elideIdentities, simplifyAlgebraFor(backendName), eliminateCastsFor(backendName), eliminateCommonSubexpressionsFor(backendName),
    eliminateDeadCodeFor(backendName),
  ];
  // tfjs-wasm's own BatchMatMul is slow with a transposed operand; the generated GEMM is not.
  if (targetNamed(backendName)?.explicitMatMulTranspose === true && !gemmRunsMatMul(backendName)) {
    passes.push(explicitMatMulTranspose);
  }
  const formulas = fusionTargetOf(backendName);
  // Bias and Relu epilogues in the product's own program: one dispatch per dense layer on a GPU.
  // Bias-gradient sums without tfjs-webgpu's transpose first.
  if (fusionEnabled() && targetNamed(backendName)?.gpuFusion !== undefined) passes.push(matMulEpilogue, sumLeadingAxesFor(backendName));
  if (fusionEnabled() && formulas !== undefined) {
    const uploadThreshold = cpuFormsThreshold(backendName);
    passes.push(fuseElementwiseFor(formulas, uploadThreshold), eliminateDeadCodeFor(backendName));
  }
  // The optimiser's updates of every parameter (different shapes, results only written back) in one program.
  if (fusionEnabled() && formulas !== undefined && targetNamed(backendName)?.gpuFusion !== undefined) {
    passes.push(mergeFusedPartsFor(cpuFormsThreshold(backendName)));
  }
  return passes;
}
