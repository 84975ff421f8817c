/**
 * Progress bars for long loops (BrainState's `pbar`), drawn by cli-progress. Under jit
 * the compiled loop calls the bar every `every` steps while it runs.
 */
import { SingleBar, Presets } from 'cli-progress';

/** Anything a loop can report its progress to. */
export interface ProgressReporter {
  /** Report every this many steps (default 1). */
  readonly every?: number;
  /** Called with the steps done so far and the total. */
  tick(step: number, total: number): void;
}

/** Options of {@link ProgressBar}. */
export interface ProgressBarOptions {
  /** Update the bar every this many steps. */
  every?: number;
  /** A label before the bar. */
  desc?: string;
  /** Where to draw (default stderr); any writable TTY-like stream. */
  stream?: NodeJS.WritableStream;
}

/**
 * A terminal progress bar for `forLoop` / `scan`.
 *
 * @example
 * ```ts
 * const bar = new bst.transform.ProgressBar({ every: 100, desc: 'simulating' });
 * bst.transform.forLoop((i: tf.Tensor) => neuron.update(i), inputs, { pbar: bar });
 * ```
 */
export class ProgressBar implements ProgressReporter {
  readonly every: number;
  private bar: SingleBar | undefined;
  private readonly desc: string;
  private readonly stream: NodeJS.WritableStream | undefined;

  constructor(opts: ProgressBarOptions = {}) {
    this.every = Math.max(1, Math.floor(opts.every ?? 1));
    this.desc = opts.desc ?? 'steps';
    this.stream = opts.stream;
  }

  tick(step: number, total: number): void {
    if (this.bar === undefined || step <= this.every) {
      this.bar?.stop();
      this.bar = new SingleBar({
        format: `${this.desc} [{bar}] {value}/{total} {percentage}% eta {eta}s`,
        stream: this.stream ?? process.stderr,
        noTTYOutput: true,
        notTTYSchedule: 0,
        hideCursor: false,
      }, Presets.legacy);
      this.bar.start(total, 0);
    }
    this.bar.update(step);
    if (step >= total) {
      this.bar.stop();
      this.bar = undefined;
    }
  }
}

/** The reporter for a loop's `pbar` option: a reporter as given, or a bar ticking every `n` steps. */
export function toReporter(pbar: ProgressReporter | number | undefined): ProgressReporter | undefined {
  if (pbar === undefined) return undefined;
  return typeof pbar === 'number' ? new ProgressBar({ every: pbar }) : pbar;
}
