/**
 * The spiking network of the browser demo and check: excitatory/inhibitory LIF neurons
 * (80% E, 20% I) with sparse random connections and exponential synapses, as in
 * samples/ei-network.ts, plus a `coupling` state that scales every synaptic weight (the
 * demo's slider writes it; states are read afresh at each call, so no retrace). Works
 * on any backend; nothing here needs Node.
 */
import * as tf from '@tensorflow/tfjs';
import * as bst from 'brainstate-ts';

/** The network. `call(drive)` advances one step with input current `drive` (mV) and returns the spikes. */
export class EINet extends bst.nn.Module {
  readonly nE: number;
  readonly nI: number;
  neurons: bst.nn.LIF;
  synE: bst.nn.Expon;
  synI: bst.nn.Expon;
  wE: bst.ParamState;
  wI: bst.ParamState;
  coupling = new bst.LongTermState(tf.scalar(1));
  spikes: bst.HiddenState;

  constructor(readonly n: number, p = 0.02) {
    super();
    this.nE = Math.round(n * 0.8);
    this.nI = n - this.nE;
    this.neurons = new bst.nn.LIF(n, { tau: 20, vTh: -50, vReset: -60, vRest: -60, spkReset: 'hard',
      vInit: bst.random.uniform([n], { minval: -60, maxval: -50 }) });
    this.synE = new bst.nn.Expon(n, { tau: 5 });
    this.synI = new bst.nn.Expon(n, { tau: 10 });
    const mask = (rows: number) => tf.cast(bst.random.bernoulli(p, [rows, n]), 'float32');
    this.wE = new bst.ParamState(tf.mul(mask(this.nE), 0.6 * 20 / (n * p)));
    this.wI = new bst.ParamState(tf.mul(mask(this.nI), 6.7 * 20 / (n * p)));
    this.spikes = new bst.HiddenState(tf.zeros([n]));
  }

  update(drive: tf.Tensor): tf.Tensor {
    const s = this.spikes.value;
    const sE = tf.slice(s, [0], [this.nE]);
    const sI = tf.slice(s, [this.nE], [this.nI]);
    const gE = this.synE.update(tf.squeeze(tf.matMul(tf.expandDims(sE, 0), this.wE.value), [0]));
    const gI = this.synI.update(tf.squeeze(tf.matMul(tf.expandDims(sI, 0), this.wI.value), [0]));
    const syn = tf.mul(this.coupling.value, tf.sub(gE, gI));
    const spike = this.neurons.update(tf.add(drive, syn));
    this.spikes.value = spike;
    return spike;
  }
}

/** A network and a jitted function that runs `chunk` steps per call (one forLoop program). */
export interface Simulation {
  readonly net: EINet;
  /** Runs `chunk` steps with a constant input current (mV); returns the [chunk, n] spike raster. */
  run(current: number): tf.Tensor;
  /** How many times the jitted chunk was traced. */
  readonly traceCount: number;
}

/** Builds the network (seeded) and its jitted chunk runner; `environ` dt is 0.1 ms. */
export function makeSimulation(n: number, chunk: number, seed = 42, jit = true): Simulation {
  bst.environ.set({ dt: 0.1 });
  bst.random.seed(seed);
  const net = new EINet(n);
  bst.nn.initAllStates(net);
  const body = (drive: tf.Tensor) => bst.transform.forLoop((i: tf.Tensor) => net.call(i), drive) as tf.Tensor;
  const runChunk = jit ? bst.transform.jit(body) : undefined;
  return {
    net,
    run(current: number): tf.Tensor {
      const drive = tf.fill([chunk, n], current);
      try {
        return runChunk !== undefined ? runChunk(drive) : body(drive);
      } finally {
        drive.dispose();
      }
    },
    get traceCount() {
      return runChunk?.traceCount ?? 0;
    },
  };
}
