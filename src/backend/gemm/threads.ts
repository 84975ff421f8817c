/**
 * Worker threads that share one large product with the calling thread (Node only:
 * `worker_threads`, a shared `WebAssembly.Memory`, and Atomics).
 *
 * Each worker instantiates the shared-memory GEMM module on the same memory and waits
 * on its own control block (32 int32 words at `ctl + 128 w`): the caller writes the 16
 * arguments of `gemm`, bumps the sequence number and notifies; the worker runs its part
 * and stores the sequence number as done. Workers spin briefly before they sleep (a
 * training step's products come back to back), are `unref`'d so they never keep a
 * process alive, and start asynchronously: until one says it is ready, products run on
 * the calling thread alone. Which thread computes which rows or columns never changes a
 * result: every output element is summed in the same order.
 */
import { internalError } from '../../errors';
import type { WasmMemory } from './compiled';

/** Words of one control block. */
const WORDS = 32;
/** Control-block word indices. */
const SEQ = 0;
const CMD = 1;
const ARGS = 2;
/** Arguments of the module's `gemm`. */
export const GEMM_ARGS = 16;
const READY = 20;
const DONE = 21;
const FAILED = 22;
/** Bytes reserved for control blocks at the start of the shared memory (up to 16 workers). */
export const CONTROL_BYTES = 16 * WORDS * 4;

/** Spins (Atomics.load) before a worker sleeps: about 50 µs here. */
const WORKER_SPINS = 20000;

const WORKER_SOURCE = `
const { workerData } = require('worker_threads');
const { module, memory, ctl, spins } = workerData;
const gemm = new WebAssembly.Instance(module, { env: { memory } }).exports.gemm;
const s = new Int32Array(memory.buffer, ctl, ${WORDS});
let seq = Atomics.load(s, ${SEQ});
Atomics.store(s, ${READY}, 1);
Atomics.notify(s, ${READY});
for (;;) {
  let n = 0;
  while (Atomics.load(s, ${SEQ}) === seq) {
    if (++n > spins) { Atomics.wait(s, ${SEQ}, seq); n = 0; }
  }
  seq = Atomics.load(s, ${SEQ});
  if (s[${CMD}] === -1) break;
  try {
    gemm(s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13], s[14], s[15], s[16], s[17]);
  } catch (e) {
    Atomics.store(s, ${FAILED}, 1);
  }
  Atomics.store(s, ${DONE}, seq);
  Atomics.notify(s, ${DONE});
}
`;

interface WorkerLike {
  unref(): void;
  terminate(): Promise<number>;
  on(event: 'error' | 'exit', fn: (e: unknown) => void): void;
}

type WorkerCtor = new (source: string, opts: { eval: true; workerData: unknown }) => WorkerLike;

/** `worker_threads.Worker` in Node, else undefined (browsers: no threads here). */
function workerClass(): WorkerCtor | undefined {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (p?.versions?.node === undefined || typeof SharedArrayBuffer === 'undefined') return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('worker_threads') as { Worker?: WorkerCtor }).Worker;
  } catch {
    return undefined;
  }
}

/** Whether this runtime can run GEMM worker threads. */
export function threadsAvailable(): boolean {
  return workerClass() !== undefined;
}

/** A pool of `n` workers on one shared memory. */
export class GemmPool {
  private readonly workers: WorkerLike[] = [];
  private readonly blocks: Int32Array[] = [];
  private broken = false;

  constructor(module: object, private readonly memory: WasmMemory, n: number) {
    const Worker = workerClass();
    if (Worker === undefined) throw internalError('GemmPool: worker_threads is not available');
    for (let w = 0; w < n; w++) {
      const ctl = w * WORDS * 4;
      this.blocks.push(new Int32Array(memory.buffer, ctl, WORDS));
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctl, spins: WORKER_SPINS } });
      worker.unref();
      // A worker that failed to start or died: stop handing it work.
      worker.on('error', () => { this.broken = true; });
      worker.on('exit', () => { this.broken = true; });
      this.workers.push(worker);
    }
  }

  /** Workers in the pool (ready or starting). */
  get size(): number {
    return this.workers.length;
  }

  /** Workers ready to take a part now (0 until they have started, or if one failed). */
  readyWorkers(): number {
    if (this.broken) return 0;
    let n = 0;
    while (n < this.blocks.length && Atomics.load(this.blocks[n], READY) === 1) n++;
    return n;
  }

  /**
   * Runs `parts[0]` on the calling thread (through `local`) and `parts[1..]` on workers
   * 0.., then waits for all. Each part is the 16 arguments of the module's `gemm`.
   */
  run(parts: readonly number[][], local: (args: readonly number[]) => void, timeoutMs: number): void {
    const started: number[] = [];
    for (let w = 0; w < parts.length - 1; w++) {
      const s = this.blocks[w];
      for (let i = 0; i < GEMM_ARGS; i++) s[ARGS + i] = parts[w + 1][i];
      s[CMD] = 0;
      started.push(Atomics.add(s, SEQ, 1) + 1);
      Atomics.notify(s, SEQ);
    }
    let failure: unknown;
    try {
      local(parts[0]);
    } catch (e) {
      failure = e;
    }
    const deadline = Date.now() + timeoutMs;
    for (let w = 0; w < started.length; w++) this.await(w, started[w], deadline);
    if (failure !== undefined) throw failure;
    for (let w = 0; w < started.length; w++) {
      if (Atomics.exchange(this.blocks[w], FAILED, 0) !== 0) throw internalError('a GEMM worker thread trapped');
    }
  }

  private await(w: number, seq: number, deadline: number): void {
    const s = this.blocks[w];
    let spins = 0;
    while (Atomics.load(s, DONE) !== seq) {
      if (++spins < 200000) continue;
      // Sleep in slices, with a deadline: a worker that died would otherwise hang this thread.
      Atomics.wait(s, DONE, Atomics.load(s, DONE), 100);
      if (Date.now() > deadline && Atomics.load(s, DONE) !== seq) {
        this.broken = true;
        throw internalError('a GEMM worker thread did not finish its part in time (did it exit?); products now ' +
          'run on the calling thread');
      }
    }
  }

  /** Asks every worker to exit and terminates it. */
  close(): void {
    this.broken = true;
    for (let w = 0; w < this.workers.length; w++) {
      const s = this.blocks[w];
      s[CMD] = -1;
      Atomics.add(s, SEQ, 1);
      Atomics.notify(s, SEQ);
      void this.workers[w].terminate();
    }
  }

  /** The shared memory the pool works on. */
  get sharedMemory(): WasmMemory {
    return this.memory;
  }
}
