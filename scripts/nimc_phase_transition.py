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

Each finished cell is written atomically to --out (JSON); cells already there (same settings) are
skipped, so an interrupted run continues where it stopped.

    python scripts/nimc_phase_transition.py --quick --out pt_quick.json --plot pt_quick.png   # ~1 minute
    python scripts/nimc_phase_transition.py --grid 2 4 6 8 10 --out pt_5x5.json --plot pt_5x5.png   # a few minutes
    python scripts/nimc_phase_transition.py --out pt_full.json --plot pt_full.png   # the full 10 x 10 grids
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from certify import nimc, sysinfo
from certify.errors import CertifyError
from certify.io import atomic_write_bytes, atomic_write_text
from certify.progress import Progress

FORMAT = "certify.nimc-phase-transition"
K, D = 5, 10
#: the grids of the paper, as functions of i = 1..10
GRIDS = {"sigmoid": (10, 2 * K * D), "relu": (20, 4 * K * D)}
SETTING_KEYS = ("k", "d", "trials", "steps", "alpha", "kappa", "rtol", "tol", "seed")


def cells(activations, grid):
    for act in activations:
        n_step, m_step = GRIDS[act]
        for i_n in grid:
            for i_m in grid:
                yield act, n_step * i_n, m_step * i_m


def cell_seed(seed: int, act: str, n: int, m: int) -> np.random.SeedSequence:
    """Independent of the order of the cells, so a resumed run gives the same numbers."""
    return np.random.SeedSequence([seed, sorted(GRIDS).index(act), n, m])


def table(results: list[dict], act: str) -> str:
    rows = [r for r in results if r["activation"] == act]
    if not rows:
        return ""
    ns = sorted({r["n"] for r in rows})
    ms = sorted({r["m"] for r in rows})
    by = {(r["n"], r["m"]): r for r in rows}
    unit = 2 * K * D
    head = f"{act}: successes out of trials; rows n = n1 = n2, columns m = |Omega| (m / 2kd)"
    ratio = "".join(f"{'(' + format(m / unit, 'g') + ')':>7}" for m in ms)
    lines = [head, "n \\ m " + "".join(f"{m:>7d}" for m in ms), "      " + ratio]
    for n in ns:
        cells_ = []
        for m in ms:
            r = by.get((n, m))
            cells_.append(f"{r['successes']}/{r['trials']}" if r else "-")
        lines.append(f"{n:5d} " + "".join(f"{c:>7}" for c in cells_))
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    acts = [a for a in GRIDS if any(r["activation"] == a for r in results)]
    fig, axes = plt.subplots(1, len(acts), figsize=(4.2 * len(acts), 3.8), squeeze=False)
    unit = 2 * K * D
    for ax, act in zip(axes[0], acts):
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


def main(argv=None) -> int:
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
    ap.add_argument("--out", default="nimc_phase_transition.json", help="results file (JSON, resumable)")
    ap.add_argument("--no-resume", action="store_true", help="recompute cells already in --out")
    ap.add_argument("--plot", metavar="OUT.png", help="also draw the success-rate grids")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    if args.quick:
        args.grid, args.trials, args.steps = [2, 10], 3, 2000
    if args.trials < 1 or args.steps < 0 or not args.grid or min(args.grid) < 1 or not 0 <= args.alpha <= 1:
        print("nimc_phase_transition: error: --trials >= 1, --steps >= 0, --grid values >= 1 and --alpha in [0, 1]",
              file=sys.stderr)
        return 2
    settings = {"k": K, "d": D, "trials": args.trials, "steps": args.steps, "alpha": args.alpha, "kappa": args.kappa,
                "rtol": args.rtol, "tol": args.tol, "seed": args.seed}
    out = Path(args.out)
    results: list[dict] = []
    if out.is_file() and not args.no_resume:
        try:
            prev = json.loads(out.read_text())
            if prev.get("format") != FORMAT:
                raise ValueError("format")
        except (json.JSONDecodeError, ValueError, OSError):
            print(f"nimc_phase_transition: error: {out} is not a results file of this script; "
                  "choose another --out or pass --no-resume", file=sys.stderr)
            return 2
        if {key: prev.get("settings", {}).get(key) for key in SETTING_KEYS} != settings:
            print(f"nimc_phase_transition: error: {out} was computed with other settings "
                  f"({prev.get('settings')}); choose another --out or pass --no-resume", file=sys.stderr)
            return 2
        results = list(prev.get("results", []))
    done = {(r["activation"], r["n"], r["m"]) for r in results}
    plan = [c for c in cells(args.activations, sorted(set(args.grid))) if c not in done]
    bar = Progress(len(plan), label="phase transition", enabled=not args.quiet)
    t0 = time.perf_counter()

    def save():
        doc = {"format": FORMAT, "format_version": 1, "machine": sysinfo.machine(), "settings": settings,
               "protocol": {"truth": "U*, V*: i.i.d. N(0,1) entries divided by sigma_k" if args.kappa is None
                            else f"random orthonormal singular vectors, singular values 1..{args.kappa} (geometric)",
                            "data": "x, y ~ N(0, I_d); n1 = n2 = n; Omega: m pairs uniform with replacement",
                            "loss": "1/(2m) sum (phi(U^T x)^T phi(V^T y) - A)^2 (a rescaling of eq. (3))",
                            "optimizer": "full-batch GD, step 0.9/|lambda|_max(Hessian at W0) per trial",
                            "init": "W0 = (1-alpha) W* + alpha W_rand, W_rand i.i.d. N(0,1)",
                            "success": "||phi(Xt U) phi(Yt V)^T - phi(Xt U*) phi(Yt V*)^T||_F"
                                       " <= tol ||phi(Xt U*) phi(Yt V*)^T||_F",
                            "grids": {a: {"n": f"{GRIDS[a][0]} i", "m": f"{GRIDS[a][1]} i"} for a in GRIDS}},
               "results": sorted(results, key=lambda r: (r["activation"], r["n"], r["m"]))}
        atomic_write_text(out, json.dumps(doc, indent=1, allow_nan=False) + "\n")

    try:
        for i, (act, n, m) in enumerate(plan):
            res = nimc.recovery_experiment(act, n, m, d=D, k=K, trials=args.trials, alpha=args.alpha, steps=args.steps,
                                           kappa=args.kappa, rtol=args.rtol, tol=args.tol,
                                           seed=np.random.default_rng(cell_seed(args.seed, act, n, m)))
            results.append(res)
            save()
            bar.update(i + 1)
    except KeyboardInterrupt:
        bar.close()
        print(f"nimc_phase_transition: interrupted; {len(results)} cells saved in {out} (rerun to resume)",
              file=sys.stderr)
        return 130
    except CertifyError as exc:
        bar.close()
        print(f"nimc_phase_transition: error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    if not plan:
        save()
    print(f"machine: {sysinfo.machine()}")
    print(f"settings: {settings}; {len(plan)} cells computed in {time.perf_counter() - t0:.1f} s, "
          f"{len(results) - len(plan)} taken from {out}")
    for act in args.activations:
        print()
        print(table(results, act))
    if args.plot:
        plot([r for r in results if r["activation"] in args.activations], Path(args.plot))
        print(f"\nwritten: {args.plot}")
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
