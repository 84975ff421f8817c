/**
 * Private tfjs engine and backend members are used only in src/backend/ (the adapter,
 * ./tfjs-engine.ts and ./tfjs-tape.ts, and each backend folder's own memory access, all
 * behind start-up self-tests): a tfjs upgrade touches that folder only.
 */
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot, sourceFiles } from './source-files';
import { stripComments } from './backend-names.spec';

const PRIVATE = /\bengine\(\)|\bENGINE\b|\bactiveTape\b|\bdataIdMap\b|\bkernelFunc\b|\brunKernel\b|\brunKernelFunc\b|\bmakeTensorFromTensorInfo\b|\btypedArrayFromHeap\b|\bmakeOutput\b/;

describe('tfjs internals (issue 13)', () => {
  it('no file outside src/backend/ uses engine(), ENGINE, activeTape, dataIdMap, kernelFunc or runKernel', () => {
    const found: string[] = [];
    for (const file of sourceFiles(['src', 'decorators', 'testing'])) {
      const rel = path.relative(repoRoot, file);
      if (rel.startsWith(`src${path.sep}backend${path.sep}`)) continue;
      stripComments(fs.readFileSync(file, 'utf8')).split('\n').forEach((line, i) => {
        if (PRIVATE.test(line)) found.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found, `tfjs internals outside src/backend/:\n${found.join('\n')}`).to.deep.equal([]);
  });
});
