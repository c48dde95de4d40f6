"""What a slow command tells the person waiting before it starts: one line with the expected time,
worded from the problem size (:func:`expected`).

The rates below were measured on the project's 2-core machine (see each constant); the estimate is
a guide, not a promise, and a faster machine simply finishes early.  The line is printed only where
a progress bar is drawn (a terminal or a notebook; never with ``--quiet`` or ``--json``, never in a
pipe or a log file): :mod:`certify.cli` hands it to :func:`certify.progress.expect`, and the first
progress bar of the run prints it above itself.  Commands estimated under :data:`THRESHOLD` seconds
say nothing.
"""

from __future__ import annotations

import argparse
import math
import os

__all__ = ["expected", "hint", "duration", "THRESHOLD"]

#: estimates below this many seconds are not announced
THRESHOLD = 10.0
#: Measured on the project's 2-core machine (AMD EPYC, shared; 2026-11-30):
#: SGD trial-steps per second on the 2x2 certificates (validate 10,000 trials x 3 gammas x 10,000
#: steps: 3e8 trial-steps in 6-17 s depending on the load); GD evaluates all m measurements per step
SGD_RATE = 3.0e7
GD_RATE = 6.0e6
#: seconds per grid point of rank1-grid / curvature-map (100 points serially in 4.4-5.6 s)
GRID_POINT = 0.05
#: the sharp-threshold search: seconds per SDP evaluation ~ SDP_BASE + SDP_SCALE d^2, d = N(N+1)/2 the
#: size of the projected problem, N = r + r* (5.5 ms at d = 3, 10 ms at d = 6, 24 ms at d = 10, 60-86 ms
#: at d = 15, 117 ms at d = 21); evaluations per random restart ~ EVALS_BASE + EVALS_PER_D d (150 at
#: r = 2, r* = 1; 280 at 3, 2; 320 at 4, 2), at most EVALS_PER_ITER max_iter; the first STRUCTURED
#: restarts start at or near the orthogonal family and take a few evaluations
SDP_BASE = 0.004
SDP_SCALE = 0.00025
EVALS_BASE = 60
EVALS_PER_D = 15
EVALS_PER_ITER = 1.6
STRUCTURED = 2
#: a process pool of w workers on the 2 shared cores runs about 1 + PARALLEL (w - 1) times as fast
PARALLEL = 0.6
#: NMF: seconds per (solver step x start x n m r), per (certified segment x n m r), and for loading a
#: bundled dataset (scikit-learn's import, warm): digits, rank 10, 200 pairs, 1000 MU steps in 5.3 s
NMF_STEP = 3.0e-10
NMF_SEGMENT = 3.0e-9
NMF_LOAD = 2.0
#: catalog regeneration (every entry solved, verified and proved exactly): 7 s
CATALOG = 8.0


def duration(seconds: float) -> str:
    """``"40 s"``, ``"3 min"``, ``"1 h 10 min"`` (rounded to what a person plans with)."""
    if seconds < 60:
        return f"{max(5, int(round(seconds / 5.0)) * 5)} s"
    if seconds < 3600:
        m = seconds / 60
        return f"{m:.0f} min" if m >= 3 else f"{m:.1f} min".replace(".0 min", " min")
    h, m = divmod(int(round(seconds / 60)), 60)
    return f"{h} h {m} min" if m else f"{h} h"


def _workers(args: argparse.Namespace, tasks: int) -> int:
    if getattr(args, "serial", False):
        return 1
    w = getattr(args, "workers", None) or os.cpu_count() or 1
    return max(1, min(int(w), max(tasks, 1)))


def _speedup(workers: int) -> float:
    return 1.0 + PARALLEL * (workers - 1)


def _search(r: int, rs: int, max_iter: int, restarts: int) -> tuple[float, int, float]:
    """``(seconds for all restarts on one worker, evaluations per random restart, seconds per SDP)``."""
    n_proj = r + rs
    d = n_proj * (n_proj + 1) // 2
    per = SDP_BASE + SDP_SCALE * d * d
    evals = int(min(EVALS_PER_ITER * max_iter, EVALS_BASE + EVALS_PER_D * d))
    random = max(0, restarts - STRUCTURED) + 0.25 * min(restarts, STRUCTURED)
    return random * evals * per, evals, per


def _grid_points(args: argparse.Namespace) -> int | None:
    try:
        from ..sweep import check_grid_size  # noqa: PLC0415

        return int(check_grid_size(args.rhos, args.phis, names=("--rhos", "--phis"), kind=args.sweep_kind))
    except Exception:  # noqa: BLE001 - a bad grid is the command's error to report, not the hint's
        return None


def _nmf(args: argparse.Namespace) -> tuple[float, str] | None:
    shapes = {"digits": (1797, 64, 10), "iris": (150, 4, 2), "wine": (178, 13, 3), "breast_cancer": (569, 30, 5),
              "china": (427, 640, 20), "flower": (427, 640, 20), "mri": (256, 256, 20)}
    spec = str(args.data).strip()
    load = 0.0
    if spec in shapes:
        n, m, r = shapes[spec]
        load = NMF_LOAD
    elif spec.startswith("planted:"):
        try:
            parts = [int(v) for v in spec.split(":")[1:]]
            n = m = parts[0]
            r = parts[1] if len(parts) > 1 else max(1, round(n ** args.gamma))
        except (ValueError, IndexError):
            return None
    else:
        return None  # a file or a folder: its size is known only once it is read
    r = args.rank or r
    size = n * m * r
    planted = spec.startswith("planted:") and (args.target or "planted") == "planted"
    optima = min(args.optima, args.pairs)
    solve = 0.0 if planted else NMF_STEP * args.steps * optima * size
    cert = NMF_SEGMENT * args.pairs * size
    what = (f"{args.pairs} segments of a {n} x {m} rank-{r} factorization" +
            ("" if planted else f" after {args.steps} {args.method} steps from {optima} starts"))
    return load + solve + cert, what


def expected(args: argparse.Namespace) -> tuple[float, str] | None:
    """``(seconds, what)`` for the command ``args`` describes, or None when it is quick or its size
    is unknown before it starts."""
    cmd = getattr(args, "command", None)
    if cmd == "validate" or (cmd == "sweep" and getattr(args, "sweep_kind", None) == "validation"):
        steps = args.trials * len(args.gammas) * args.steps
        rate = SGD_RATE if args.method == "sgd" else GD_RATE
        par = _speedup(_workers(args, math.ceil(args.trials / args.chunk))) if cmd == "sweep" else 1.0
        return 1.0 + steps / rate / par, (f"{args.trials:,} trials x {len(args.gammas)} gammas x {args.steps:,} "
                                          f"{args.method.upper()} steps on the 2x2 examples (larger n is slower)")
    if cmd == "curvature":
        return None  # one SDP, or a profile whose bar shows its own ETA after the first delta
    if cmd == "search" or (cmd == "sweep" and getattr(args, "sweep_kind", None) == "search-restarts"):
        total, evals, per = _search(args.rank, args.rank_star, args.max_iter, args.restarts)
        w = _workers(args, args.restarts) if cmd == "sweep" else 1
        n_proj = args.rank + args.rank_star
        return total / _speedup(w), (f"{args.restarts} restarts, ~{evals} SDPs each of size {n_proj * (n_proj + 1) // 2} "
                                     f"(r + r* = {n_proj}) at ~{per:.2g} s" + (f", {w} workers" if w > 1 else ""))
    if cmd == "sweep" and getattr(args, "sweep_kind", None) in ("rank1-grid", "curvature-map"):
        pts = _grid_points(args)
        if pts is None:
            return None
        w = _workers(args, pts)
        return pts * GRID_POINT / _speedup(w), f"{pts:,} grid points, one SDP each" + (f", {w} workers" if w > 1 else "")
    if cmd == "nmf-landscape":
        return _nmf(args)
    if cmd == "catalog" and not args.check:
        return (CATALOG if not args.only else CATALOG / 15 * len(args.only)), "every catalog entry solved and proved exactly"
    return None


def hint(args: argparse.Namespace) -> str | None:
    """The one line announcing a slow command (None below :data:`THRESHOLD` seconds)."""
    try:
        got = expected(args)
    except Exception:  # noqa: BLE001 - an estimate must never break a command
        return None
    if got is None or got[0] < THRESHOLD:
        return None
    seconds, what = got
    cmd = args.command + (f" {args.sweep_kind}" if args.command == "sweep" else "")
    tail = "; --quiet hides this"
    if args.command == "sweep":
        tail = "; points already in the store are skipped" + tail
    return f"certify: {cmd} takes about {duration(seconds)} on a 2-core machine ({what}){tail}"
