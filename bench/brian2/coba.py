"""The COBA (and CUBA) benchmark networks of Brette et al. (2007) in Brian2, timed.

Runs the same network as samples/coba.ts (and samples/cuba.ts): 80% excitatory LIF
neurons, conductance- (or current-) based exponential synapses, connection probability
in-degree / N, refractory 5 ms with v clamped, Euler, dt 0.1 ms, one thread. Prints one
JSON line: {"model", "target", "n", "steps", "ms_per_step", "build_s", "rate_e", "rate_i"}.

ms_per_step is wall time of the run itself (for cpp_standalone: the binary's own timing of
its run, excluding compilation, which is reported as build_s).

Usage: python3 bench/brian2/coba.py --target cython|cpp_standalone|numpy --n 4000 --duration 1000 [--model cuba]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--target', default='cython', choices=['numpy', 'cython', 'cpp_standalone'])
    ap.add_argument('--n', type=int, default=4000)
    ap.add_argument('--duration', type=float, default=1000.0, help='ms of biological time')
    ap.add_argument('--model', default='coba', choices=['coba', 'cuba'])
    ap.add_argument('--seed', type=int, default=42)
    args = ap.parse_args()

    import brian2 as b2
    from brian2 import ms, mV, NeuronGroup, Synapses, SpikeMonitor, Network
    b2.prefs.codegen.cpp.extra_compile_args_gcc = ['-O3', '-march=native']
    build_dir = None
    if args.target == 'cpp_standalone':
        build_dir = tempfile.mkdtemp(prefix='brian2-coba-')
        b2.set_device('cpp_standalone', directory=build_dir, build_on_run=False)
        b2.prefs.devices.cpp_standalone.openmp_threads = 0
    else:
        b2.prefs.codegen.target = args.target
    b2.seed(args.seed)
    b2.defaultclock.dt = 0.1 * ms

    n = args.n
    n_e = int(round(n * 0.8))
    p = 80.0 / n
    if args.model == 'coba':
        eqs = '''
        dv/dt = (ge*(Ee - v) + gi*(Ei - v) - (v - El) + I) / taum : volt (unless refractory)
        dge/dt = -ge / taue : 1
        dgi/dt = -gi / taui : 1
        '''
        ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, Ee=0 * mV, Ei=-80 * mV, El=-60 * mV, I=20 * mV)
        reset, we, wi = 'v = -60*mV', 'ge += 0.6', 'gi += 6.7'
    else:
        eqs = '''
        dv/dt = (ge + gi - (v - El)) / taum : volt (unless refractory)
        dge/dt = -ge / taue : volt
        dgi/dt = -gi / taui : volt
        '''
        ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, El=-49 * mV)
        reset, we, wi = 'v = -60*mV', 'ge += 1.62*mV', 'gi += -9*mV'
    P = NeuronGroup(n, eqs, threshold='v > -50*mV', reset=reset, refractory=5 * ms, method='euler', namespace=ns)
    P.v = '-60*mV + rand() * 10*mV'
    Ce = Synapses(P[:n_e], P, on_pre=we)
    Ci = Synapses(P[n_e:], P, on_pre=wi)
    Ce.connect(p=p)
    Ci.connect(p=p)
    M = SpikeMonitor(P)
    net = Network(P, Ce, Ci, M)
    steps = int(round(args.duration / 0.1))

    t0 = time.perf_counter()
    if args.target == 'cpp_standalone':
        net.run(args.duration * ms, profile=False)
        b2.device.build(directory=build_dir, compile=True, run=True, debug=False)
        total = time.perf_counter() - t0
        run_s = float(b2.device._last_run_time)
        build_s = total - run_s
    else:
        # A short warm-up run builds (or loads from the cache) the generated code.
        net.run(0.1 * ms)
        build_s = time.perf_counter() - t0
        t1 = time.perf_counter()
        net.run(args.duration * ms)
        run_s = time.perf_counter() - t1
    i = M.i[:]
    seconds = args.duration / 1000.0
    rate_e = float((i < n_e).sum()) / n_e / seconds
    rate_i = float((i >= n_e).sum()) / (n - n_e) / seconds
    if build_dir is not None:
        shutil.rmtree(build_dir, ignore_errors=True)
    print(json.dumps(dict(model=args.model, target=args.target, n=n, steps=steps, ms_per_step=run_s * 1000.0 / steps,
                          build_s=build_s, rate_e=rate_e, rate_i=rate_i, brian2=b2.__version__)))


if __name__ == '__main__':
    sys.exit(main())
