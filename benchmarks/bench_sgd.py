#!/usr/bin/env python
"""Throughput of batched SGD (trial-steps per second): the numba kernel of
:mod:`certify.sgd.sensing` against straightforward NumPy in the same run.

Cases: the 2x2 delta = 1/2 example (published operator, m = 4) and a random Gaussian instance with
n = 20, r = r* = 2, m = 5 n r = 200.  Implementations:

* ``numba``      -- ``sensing.sgd`` (compiled, parallel over trials, one random stream per trial);
* ``numpy-vec``  -- NumPy vectorized over trials, Python loop over steps;
* ``numpy-loop`` -- a Python loop over trials, each running its steps with NumPy (the baseline the
  issue names).

Target (issue "Validation by SGD"): >= 5e7 trial-steps/s on the 2x2 example on a 2-core machine, so
that 100,000 trials x 10,000 steps take < 30 s.

    python benchmarks/bench_sgd.py            # about a minute
    python benchmarks/bench_sgd.py --quick
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import certify
from certify import sysinfo
from certify.sgd import sensing

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    import numba

    return sysinfo.machine(f"numba {numba.__version__} with {numba.get_num_threads()} threads")


def numpy_vectorized(S, b, X0, steps, eta, seed):
    """SGD batch 1, vectorized over trials (loop over steps)."""
    rng = np.random.default_rng(seed)
    X = X0.copy()
    m = S.shape[0]
    T = X.shape[0]
    for _ in range(steps):
        idx = rng.integers(0, m, size=T)
        Si = S[idx]  # (T, n, n)
        SX = Si @ X
        res = np.einsum("tpc,tpc->t", X, SX) - b[idx]
        X -= eta * 4.0 * m * res[:, None, None] * SX
    return X


def numpy_loop(S, b, X0, steps, eta, seed):
    """SGD batch 1, a Python loop over trials, each a loop over steps with NumPy."""
    rng = np.random.default_rng(seed)
    m = S.shape[0]
    out = np.empty_like(X0)
    for t in range(X0.shape[0]):
        x = X0[t].copy()
        for i in rng.integers(0, m, size=steps):
            sx = S[i] @ x
            res = float(np.sum(x * sx)) - b[i]
            x -= eta * 4.0 * m * res * sx
        out[t] = x
    return out


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def bench_case(name, op, Z, X0_fn, plans, eta):
    ms = sensing.measurement_system(op, Z)
    S, b = np.asarray(ms.S), np.asarray(ms.b)
    rows = []
    # warm-up compile
    sensing.sgd(op, Z, X0_fn(4), steps=10, step_size=eta, batch=1, seed=0)
    for impl, trials, steps in plans:
        X0 = X0_fn(trials)
        if impl == "numba":
            t, _ = timed(sensing.sgd, op, Z, X0, steps=steps, step_size=eta, batch=1, seed=1)
        else:
            fn = numpy_vectorized if impl == "numpy-vec" else numpy_loop
            with np.errstate(over="ignore", invalid="ignore"):  # a few random starts diverge, as in the kernel
                t, _ = timed(fn, S, b, X0, steps, eta, 1)
        rows.append((name, impl, trials, steps, t, trials * steps / t))
        print(f"  {name:22s} {impl:11s} {trials:>8d} x {steps:>6d}  {t:8.2f} s  "
              f"{trials * steps / t:12.3e} trial-steps/s", flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="SGD throughput benchmark")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    q = 10 if args.quick else 1
    print(f"machine: {machine()}")
    rng = np.random.default_rng(0)

    cert = certify.load(ROOT / "counterexamples" / "zhang2018_published.json")
    op, Z = cert.operator, cert.Z
    eta = sensing.default_step_size(op, Z, "sgd", 1)
    plans2 = [("numba", 100_000 // q, 10_000), ("numpy-vec", 100_000 // q, 200 // (q if q > 1 else 1)),
              ("numpy-loop", 20, 20_000 // q)]
    print("running ...")
    rows = bench_case("2x2 (m = 4)", op, Z, lambda T: rng.standard_normal((T, 2, 1)), plans2, eta)

    op20, Z20, _ = sensing.random_instance(20, 2, r=2, seed=0)
    eta20 = sensing.default_step_size(op20, Z20, "sgd", 1)
    plans20 = [("numba", 2_000 // q, 5_000), ("numpy-vec", 2_000 // q, 100), ("numpy-loop", 5, 10_000 // q)]
    rows += bench_case("n=20, r=2 (m = 200)", op20, Z20, lambda T: Z20[None] + 0.1 * rng.standard_normal((T, 20, 2)),
                       plans20, eta20)

    print()
    print(f"{'case':22s} {'implementation':14s} {'trials':>8s} {'steps':>7s} {'seconds':>9s} "
          f"{'trial-steps/s':>14s} {'vs numpy-loop':>14s}")
    base = {r[0]: r[5] for r in rows if r[1] == "numpy-loop"}
    for name, impl, trials, steps, t, rate in rows:
        print(f"{name:22s} {impl:14s} {trials:8d} {steps:7d} {t:9.2f} {rate:14.3e} {rate / base[name]:13.0f}x")
    r2 = [r for r in rows if r[0].startswith("2x2") and r[1] == "numba"][0][5]
    print(f"\n2x2 target 5e7 trial-steps/s: {'met' if r2 >= 5e7 else 'NOT met'} ({r2:.3e}); "
          f"100,000 trials x 10,000 steps would take {1e9 / r2:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
