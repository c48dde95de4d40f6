#!/usr/bin/env python
"""Reproduce the synthetic phase-transition experiment of non-linear inductive matrix completion.

Published (Zhong, Jain, Song, Dhillon 2018, §4.1, Figure 1 left; Zhong, Jain, Song, Dhillon 2019,
§4, Figure 1 (c)(d)): k = 5, d = 10, 5 trials per (n, m) cell; sigmoid: n1 = n2 = n = 10 i and
|Omega| = m = 2kd i; ReLU: n = 20 i and m = 4kd i (i = 1..10); gradient descent on the original
objective (eq. (3)) from a random initialization (alpha = 1 in W0 = (1 - alpha) W* + alpha W_rand);
success = relative test error <= 1e-3 on fresh samples.  The paper shows the success rate as a
grey-scale grid (white = 5/5) and reports that ReLU needs more samples than sigmoid.

Not published, and chosen here (stated in the output file): the distribution of U*, V* (i.i.d.
N(0, 1) entries divided by sigma_k, the paper's normalization sigma_k = 1), the step size
(0.9 / |lambda|_max of the Hessian at W0, per trial), the number of GD steps (--steps, default
5,000, a trial stops once its training loss is below 1e-10 of its scale), the test set size
(max(n, 100) queries and items).

The cells run as the sweep kind ``nimc-phase-transition`` (certify.sweep: a resumable JSON Lines
store, a local process pool, serially, or a Dask cluster); this script is a thin call of it. The
store (--store, default: --out with the suffix .jsonl) keeps every finished cell, so an
interrupted run continues where it stopped (another setting is refused, naming the difference);
--out receives the results in the format the documentation reads (certify.nimc-phase-transition).

    python scripts/nimc_phase_transition.py --quick --out pt_quick.json --plot pt_quick.png   # ~1 minute
    python scripts/nimc_phase_transition.py --grid 2 4 6 8 10 --out pt_5x5.json --plot pt_5x5.png   # a few minutes
    python scripts/nimc_phase_transition.py --out pt_full.json --plot pt_full.png --workers 2   # the full 10 x 10 grids
    python scripts/nimc_phase_transition.py --out pt_full.json --scheduler tcp://10.0.0.1:8786   # on a Dask cluster
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from certify import nimc, sweep, sysinfo
from certify.errors import CertifyError
from certify.io import atomic_write_bytes, atomic_write_text
from certify.sweep.kinds.nimc_phase_transition import GRID_ACTIVATIONS, cell_seed, grids, results_of, table

FORMAT = "certify.nimc-phase-transition"
K, D = 5, 10
#: the grids of the paper, as functions of i = 1..10
GRIDS = grids(K, D)
SETTING_KEYS = ("k", "d", "trials", "steps", "alpha", "kappa", "rtol", "tol", "seed")
__all__ = ["main", "FORMAT", "GRIDS", "cell_seed", "GRID_ACTIVATIONS"]


def plot(results: list[dict], path: Path) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acts = [a for a in GRIDS if any(r["activation"] == a for r in results)]
    fig, axes = plt.subplots(1, len(acts), figsize=(4.2 * len(acts), 3.8), squeeze=False)
    unit = 2 * K * D
    for ax, act in zip(axes[0], acts, strict=False):
        rows = [r for r in results if r["activation"] == act]
        ns = sorted({r["n"] for r in rows})
        ms = sorted({r["m"] for r in rows})
        grid = np.full((len(ns), len(ms)), np.nan)
        for r in rows:
            grid[ns.index(r["n"]), ms.index(r["m"])] = r["rate"]
        ax.imshow(grid, origin="lower", cmap="gray", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(ms)), [f"{m / unit:g}" for m in ms])
        ax.set_yticks(range(len(ns)), [str(n) for n in ns])
        ax.set_xlabel("m / 2kd")
        ax.set_ylabel("n")
        ax.set_title(f"{act}: GD success rate (white = all)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def _document(settings: dict, results: list[dict], kappa) -> dict:
    """The results file the documentation reads (format certify.nimc-phase-transition)."""
    return {"format": FORMAT, "format_version": 1, "machine": sysinfo.machine(), "settings": settings,
            "protocol": {"truth": "U*, V*: i.i.d. N(0,1) entries divided by sigma_k" if kappa is None
                         else f"random orthonormal singular vectors, singular values 1..{kappa} (geometric)",
                         "data": "x, y ~ N(0, I_d); n1 = n2 = n; Omega: m pairs uniform with replacement",
                         "loss": "1/(2m) sum (phi(U^T x)^T phi(V^T y) - A)^2 (a rescaling of eq. (3))",
                         "optimizer": "full-batch GD, step 0.9/|lambda|_max(Hessian at W0) per trial",
                         "init": "W0 = (1-alpha) W* + alpha W_rand, W_rand i.i.d. N(0,1)",
                         "success": "||phi(Xt U) phi(Yt V)^T - phi(Xt U*) phi(Yt V*)^T||_F"
                                    " <= tol ||phi(Xt U*) phi(Yt V*)^T||_F",
                         "grids": {a: {"n": f"{GRIDS[a][0]} i", "m": f"{GRIDS[a][1]} i"} for a in GRIDS},
                         "sweep": "certify.sweep kind nimc-phase-transition"},
            "results": sorted(results, key=lambda r: (r["activation"], r["n"], r["m"]))}


def _arguments(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--activations", nargs="+", choices=sorted(GRIDS), default=["sigmoid", "relu"])
    ap.add_argument("--grid", type=int, nargs="+", default=list(range(1, 11)), metavar="I",
                    help="values of i (n = 10 i or 20 i, m = 2kd i or 4kd i); default 1..10")
    ap.add_argument("--trials", type=int, default=5, help="trials per cell (default 5, as in the paper)")
    ap.add_argument("--steps", type=int, default=5000, help="maximum GD steps per trial (default 5,000)")
    ap.add_argument("--alpha", type=float, default=1.0, help="W0 = (1-alpha) W* + alpha W_rand (default 1: random)")
    ap.add_argument("--kappa", type=float, default=None, help="condition number of U*, V* (default: Gaussian, sigma_k = 1)")
    ap.add_argument("--rtol", type=float, default=1e-10, help="stop a trial once f <= rtol * mean(A^2)/2")
    ap.add_argument("--tol", type=float, default=nimc.RECOVERY_TOL, help="success: relative test error <= tol (1e-3)")
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--quick", action="store_true", help="tiny grid: i in {2, 10}, 3 trials, 2,000 steps")
    ap.add_argument("--out", default="nimc_phase_transition.json", help="results file (JSON, rewritten at the end)")
    ap.add_argument("--store", default=None, help="the sweep store (JSON Lines, resumable; default: --out as .jsonl)")
    ap.add_argument("--no-resume", action="store_true", help="delete the store first and recompute every cell")
    ap.add_argument("--workers", type=int, default=None, help="processes of the local pool (default: all cores)")
    ap.add_argument("--serial", action="store_true", help="run the cells in this process")
    ap.add_argument("--scheduler", default=None, help="a Dask scheduler (tcp://host:port or local[:N])")
    ap.add_argument("--plot", metavar="OUT.png", help="also draw the success-rate grids")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.quick:
        args.grid, args.trials, args.steps = [2, 10], 3, 2000
    return args


def main(argv=None) -> int:
    args = _arguments(argv)
    settings = {"k": K, "d": D, "trials": args.trials, "steps": args.steps, "alpha": args.alpha, "kappa": args.kappa,
                "rtol": args.rtol, "tol": args.tol, "seed": args.seed}
    out = Path(args.out)
    store = Path(args.store) if args.store else out.with_suffix(".jsonl")
    if out.is_file() and not args.no_resume:  # never overwrite a file this script did not write
        try:
            if json.loads(out.read_text()).get("format") != FORMAT:
                raise ValueError("format")
        except (json.JSONDecodeError, ValueError, AttributeError, OSError):
            print(f"nimc_phase_transition: error: {out} is not a results file of this script; "
                  "choose another --out or pass --no-resume", file=sys.stderr)
            return 2
    if args.no_resume and store.is_file():
        store.unlink()
    params = {**settings, "activations": args.activations, "grid": args.grid}
    t0 = time.perf_counter()
    try:
        res = sweep.run_sweep("nimc-phase-transition", params, store, executor="serial" if args.serial else None,
                              workers=args.workers, scheduler=args.scheduler, progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"nimc_phase_transition: interrupted; the finished cells are in {store} (rerun to resume)", file=sys.stderr)
        return 130
    except CertifyError as exc:
        print(f"nimc_phase_transition: error: {exc}", file=sys.stderr)
        return 2
    results = results_of(res.records)
    atomic_write_text(out, json.dumps(_document(settings, results, args.kappa), indent=1,
                                      allow_nan=False) + "\n")
    print(f"machine: {sysinfo.machine()}")
    print(f"settings: {settings}; {res.computed} cells computed in {time.perf_counter() - t0:.1f} s, "
          f"{res.resumed} taken from {store}")
    for act in args.activations:
        print()
        print(table([r for r in res.summary["cells"].get(act, [])], act, K, D))
    if args.plot:
        plot(results, Path(args.plot))
        print(f"\nwritten: {args.plot}")
    print(f"written: {out} (results), {store} (sweep store)")
    return 0 if res.complete else 3


if __name__ == "__main__":
    sys.exit(main())
