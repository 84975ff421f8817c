/**
 * Child process of kill.spec.ts: saves a 32 MiB checkpoint again and again, each time
 * with the values of the next save number, printing `start i` before and `done i` after
 * each save, until it is killed.
 *
 * Run: node --conditions=brainstate-source -r ts-node/register/transpile-only \
 *        spec/checkpoint/save-loop.child.ts <file>
 */
import * as bst from '../../src';
import { Big } from './fixtures';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) throw new Error('save-loop.child: expected the checkpoint path as the first argument');
  await bst.backend.init(process.env.BRAINSTATE_BACKEND);
  const model = new Big();
  for (let i = 0; i < 1000; i++) {
    model.fill(i);
    process.stdout.write(`start ${i}\n`);
    bst.checkpoint.save(file, model);
    process.stdout.write(`done ${i}\n`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
