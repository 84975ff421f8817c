import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import * as bst from '../../src';
import { Block, DenseTree, Net, checkpointError, expectSameBits, snapshot, tempDir } from './fixtures';

/** A Block whose states differ from Block's in every way load checks. */
class Mutant extends bst.nn.Module {
  dense = new DenseTree(3, 5, 1);                                    // shape differs: weight [3,5], bias [5]
  steps = new bst.ParamState(tf.scalar(0, 'float32'));              // kind (Hidden→Param) and dtype differ
  mask = new bst.ShortTermState(tf.tensor([true], [1], 'bool'));    // shape differs
  extra = new bst.HiddenState(tf.zeros([2]));                       // missing from the checkpoint
}

describe('checkpoint: load checks the whole target first', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = path.join(dir, 'block.safetensors');
    bst.checkpoint.save(file, new Block(1));
  });
  afterEach(() => cleanup());

  /** Loads into `target`, expects a CheckpointError, and checks the target is untouched. */
  function failingLoad(target: bst.nn.Module): string {
    const before = snapshot(target);
    const msg = checkpointError(() => bst.checkpoint.load(file, target));
    expectSameBits(snapshot(target), before);
    expect(msg).to.contain('Nothing was written');
    return msg;
  }

  it('names a path the target has and the checkpoint lacks', () => {
    class Bigger extends Block {
      bonus = new bst.LongTermState(tf.ones([2, 2]));
    }
    const msg = failingLoad(new Bigger(2));
    expect(msg).to.contain("missing from the checkpoint: ['bonus'] (LongTermState, float32[2,2])");
    expect(msg).to.contain('found 1 problem:');
  });

  it('names a path the checkpoint has and the target lacks', () => {
    const target = new Block(2);
    const msg = checkpointError(() => bst.checkpoint.load(file, bst.graph.states(target, bst.ParamState)));
    expect(msg).to.contain("not in the target: ['mask'] (ShortTermState, bool[3])");
    expect(msg).to.contain("not in the target: ['steps'] (HiddenState, int32[])");
    expect(msg).to.contain('found 2 problems:');
  });

  it('names a kind mismatch', () => {
    class Relabelled extends bst.nn.Module {
      dense = new DenseTree(3, 4, 5);
      steps = new bst.LongTermState(tf.scalar(0, 'int32'));
      mask = new bst.ShortTermState(tf.tensor([true, false, true], [3], 'bool'));
    }
    const msg = failingLoad(new Relabelled());
    expect(msg).to.contain("['steps']: kind differs: checkpoint HiddenState, target LongTermState");
    expect(msg).to.contain('found 1 problem:');
  });

  it('names a shape mismatch inside a tree value, by path and key', () => {
    class Wide extends Block {
      constructor() {
        super(3);
        this.dense = new DenseTree(3, 6, 1);
      }
    }
    const msg = failingLoad(new Wide());
    expect(msg).to.contain("['dense', 'weight'].weight: shape differs: checkpoint float32[3,4], target float32[3,6]");
    expect(msg).to.contain("['dense', 'weight'].bias: shape differs: checkpoint float32[4], target float32[6]");
  });

  it('names a dtype mismatch', () => {
    const target = new Block(2);
    target.steps = tf.scalar(0, 'float32');
    const msg = failingLoad(target);
    expect(msg).to.contain("['steps']: dtype differs: checkpoint int32[], target float32[]");
  });

  it('names a value-structure mismatch (tensor vs { weight, bias })', () => {
    class FlatDense extends bst.nn.Module {
      weight = new bst.ParamState(tf.zeros([3, 4]));
    }
    class FlatBlock extends Block {
      constructor() {
        super(4);
        (this as unknown as { dense: bst.nn.Module }).dense = new FlatDense();
      }
    }
    const msg = failingLoad(new FlatBlock());
    expect(msg).to.contain("['dense', 'weight']: value structure differs: checkpoint {weight: float32[3,4], " +
      'bias: float32[4]}, target float32[3,4]');
  });

  it('lists every problem of a badly mismatched target in one error, and writes nothing', () => {
    const msg = failingLoad(new Mutant());
    const expected = [
      "missing from the checkpoint: ['extra'] (HiddenState, float32[2])",
      "['dense', 'weight'].weight: shape differs: checkpoint float32[3,4], target float32[3,5]",
      "['dense', 'weight'].bias: shape differs: checkpoint float32[4], target float32[5]",
      "['mask']: shape differs: checkpoint bool[3], target bool[1]",
      "['steps']: kind differs: checkpoint HiddenState, target ParamState",
      "['steps']: dtype differs: checkpoint int32[], target float32[]",
    ];
    for (const line of expected) expect(msg).to.contain(`  - ${line}`);
    expect(msg).to.contain(`found ${expected.length} problems:`);
  });

  it('refuses a NestedDict of TreefyStates as a target (they are detached copies)', () => {
    const msg = checkpointError(() => bst.checkpoint.load(file, bst.graph.treefyStates(new Block(2))));
    expect(msg).to.contain('are not States (a TreefyState is a detached copy)');
    expect(msg).to.contain("['dense', 'weight']");
  });

  it('refuses a target of another model entirely, listing both sides', () => {
    const msg = failingLoad(new Net(1));
    expect(msg).to.contain("not in the target: ['dense', 'weight']");
    expect(msg).to.contain("missing from the checkpoint: ['blocks', 0, 'dense', 'weight']");
    expect(msg).to.contain("missing from the checkpoint: ['scale']");
  });
});
