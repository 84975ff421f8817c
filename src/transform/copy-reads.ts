/**
 * A sub-trace whose kernels read stand-ins for some outer tensors: they run on the stand-in,
 * and record a read of whatever value the stand-in is bound to (an argument of the sub-program,
 * which the caller may rebind with `readAs`).
 *
 * A scan gradient's backward body (scan-grad.ts) needs both: its recomputed forward kernels read
 * the loop's invariants as the forward step of their row found them, its gradient kernels the invariants
 * themselves. And on webgpu a kernel's placement is a side effect on its inputs' data (a GPU
 * kernel uploads its host inputs for good): that body is traced when the forward loop is
 * recorded, before the loop runs, where eager's backward kernels run after the forward pass, so
 * the trace must leave the enclosing call's data as it found it (a plain call's results are the
 * trace's own).
 */
import * as tf from '@tensorflow/tfjs';
import { invocationInputList, KernelInvocation, swapInvocationInputs } from '../backend/tfjs-engine';
import { Recorder } from '../compiler/recorder';

/** An outer tensor and its stand-in. */
interface StandIn {
  readonly original: tf.Tensor;
  readonly standIn: tf.Tensor;
}

/** Whether `t` reads `u`'s data as `u` does (a reshape or clone shares the data, not the shape). */
const sameRead = (t: tf.Tensor, u: tf.Tensor): boolean =>
  t.dataId === u.dataId && t.dtype === u.dtype && t.shape.length === u.shape.length && t.shape.every((d, i) => d === u.shape[i]);

/** A recorder whose kernels read stand-ins (set with {@link standIn}) in place of outer tensors. */
export class CopyReadingRecorder extends Recorder {
  private readonly standIns: StandIn[] = [];
  /** Stand-ins to bind to their original's value when a kernel first reads them. */
  private readonly pending: StandIn[] = [];

  /** From now on kernels that read `original` run on `standIn` and record a read of its value. */
  standIn(original: tf.Tensor, standIn: tf.Tensor): void {
    this.standIns.push({ original, standIn });
  }

  /**
   * From the next kernel that reads `standIn`'s data on, that read is one of `original` (captured
   * from the enclosing trace then, as a kernel reading it would capture it; not before, so an
   * original no kernel reads is no argument of the sub-program).
   */
  readAsOriginal(standIn: tf.Tensor, original: tf.Tensor): void {
    this.pending.push({ original, standIn });
  }

  private swapped(inputs: KernelInvocation['inputs']): KernelInvocation['inputs'] | undefined {
    return swapInvocationInputs(inputs, (t) =>
      (t == null ? t : this.standIns.find((p) => sameRead(p.original, t))?.standIn ?? t));
  }

  inputsFor(inv: KernelInvocation): KernelInvocation['inputs'] | undefined {
    return this.swapped(inv.inputs);
  }

  onKernel(inv: KernelInvocation, outputs: tf.Tensor[]): void {
    const inputs = this.swapped(inv.inputs);
    const list = invocationInputList(inputs ?? inv.inputs);
    for (const t of list) {
      const k = t == null ? -1 : this.pending.findIndex((p) => p.standIn.dataId === t.dataId);
      if (k < 0) continue;
      const [p] = this.pending.splice(k, 1);
      this.valueOf(p.original, 'a value captured from the enclosing trace');
      this.readAs(p.standIn, p.original);
    }
    super.onKernel(inputs === undefined ? inv : { ...inv, inputs }, outputs);
  }
}
