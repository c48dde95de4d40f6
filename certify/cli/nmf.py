"""``certify nmf-landscape``: the distribution of the curvature α along segments to NMF optima.

:mod:`certify.cli` only needs ``add_parser`` (registration) and the ``func`` it sets (dispatch).
Exit codes (:mod:`certify.cli.exitcodes`): 0 success, 2 bad input
(including scikit-learn missing for ``digits``).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

from ._common import Subparsers, add_json_flag, add_output, add_plot, add_quiet, add_seed, write_json
from .exitcodes import EXIT_OK

__all__ = ["add_parser", "run", "load_data"]

_DATA_HELP = (
    "DATA is one of: a bundled real matrix by name (digits, iris, wine, breast_cancer, china, flower, mri; "
    "scikit-learn needed for all but mri); planted:N or planted:N:R (the planted model of SC-NMF Assumption 1: "
    "X = W* H*, N x N, half-normal factors, rank R, default round(N^gamma)); a .npy file holding a non-negative "
    "matrix (NaN entries are missing); or a directory holding the MovieLens 100k file u.data (unrated entries "
    "are missing)."
)


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Register ``nmf-landscape`` on the ``certify`` subparsers."""
    p = subparsers.add_parser(
        "nmf-landscape", help="star-convexity of an NMF loss: curvature along segments to optima, certified",
        description="Find NMF optima (masked multiplicative updates or projected gradient descent from half-normal "
                    "starts matched to the data mean), draw random points, and certify the curvature "
                    "alpha = min over lambda in [0, 1] of l''(lambda) on each segment point -> optimum exactly "
                    "(quartic coefficients, rigorous floating-point bound; verdict convex / not convex / undecided). "
                    "Loss l = 1/2 sum over observed entries of (WH - X)^2, data scaled so observed entries have "
                    "variance 1 (\"Star-Convexity in Non-Negative Matrix Factorization\", anonymous ICLR 2020 "
                    "submission, Section 4). " + _DATA_HELP,
        epilog="examples: certify nmf-landscape digits --rank 10 --pairs 200; "
               "certify nmf-landscape planted:64 --pairs 500; certify nmf-landscape ml-100k/ --rank 20 --json")
    p.add_argument("data", metavar="DATA", help="digits | planted:N[:R] | FILE.npy | MovieLens folder (see above)")
    p.add_argument("--rank", type=int, default=None, metavar="R",
                   help="factorization rank (default: the dataset's suggested rank, R of planted:N:R; required for "
                        ".npy and MovieLens)")
    p.add_argument("--pairs", type=int, default=100, metavar="N", help="number of (random point, optimum) segments (default 100)")
    p.add_argument("--optima", type=int, default=10, metavar="K",
                   help="optima found by the solver; pair j ends at optimum j mod K (default 10)")
    p.add_argument("--method", choices=("mu", "pgd"), default="mu",
                   help="solver: mu (masked Lee-Seung multiplicative updates, default) or pgd (projected gradient)")
    p.add_argument("--steps", type=int, default=1000, help="solver iterations (default 1000)")
    add_seed(p)
    p.add_argument("--mask-fraction", type=float, default=None, metavar="P",
                   help="observe only a random fraction P in (0, 1] of the entries (on top of any missing ones)")
    p.add_argument("--gamma", type=float, default=0.5, help="planted:N only: rank round(N^gamma) (default 0.5)")
    p.add_argument("--target", choices=("planted", "solver"), default=None,
                   help="planted data: segments end at the planted optimum (default) or at solver optima")
    p.add_argument("--no-scale", action="store_true", help="do not scale the data to unit variance of observed entries")
    add_output(p, "FILE.json", "also write the JSON result here (atomically)", alias=True)
    add_plot(p, "histogram of alpha over the segments, by certified verdict")
    add_quiet(p)
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def load_data(spec: str, *, gamma: float = 0.5, seed: int = 0) -> tuple:
    """``(X, mask, info, planted_or_None)`` for a DATA argument (see the --help text)."""
    import numpy as np  # noqa: PLC0415

    from .. import nmf  # noqa: PLC0415
    from ..errors import InputError  # noqa: PLC0415
    from ..io import load_npy  # noqa: PLC0415

    if not isinstance(spec, str) or not spec.strip():
        raise InputError(f"DATA: expected a dataset name, planted:N[:R], a .npy file or a MovieLens folder. {_DATA_HELP}")
    s = spec.strip()
    if s.startswith("planted:"):
        parts = s.split(":")[1:]
        try:
            if len(parts) not in (1, 2):
                raise ValueError
            n = int(parts[0])
            r = int(parts[1]) if len(parts) == 2 else None
            if n < 1 or (r is not None and r < 1):
                raise ValueError
        except ValueError:
            raise InputError(f"DATA: expected planted:N or planted:N:R with positive integers, got {s!r}") from None
        inst = nmf.planted(n, rank=r, gamma=gamma, seed=seed)
        info = {"name": s, "description": f"planted model, X = W* H*, {n} x {n}, rank {inst.rank}, half-normal factors",
                "source": "SC-NMF Assumption 1", "suggested_rank": inst.rank}
        return inst.X, inst.mask, info, inst
    if s in nmf.REAL_DATASETS:
        d = nmf.load_real(s)
        info = {"name": s, "description": d.description, "source": d.source, "suggested_rank": d.suggested_rank}
        return d.X, d.mask, info, None
    path = Path(s)
    if path.is_dir():
        R, M = nmf.load_movielens(path)
        info = {"name": str(path), "description": f"MovieLens ratings {R.shape[0]} users x {R.shape[1]} items, "
                f"{int(M.sum())} ratings", "source": str(path / "u.data"), "suggested_rank": None}
        return R, M, info, None
    if s.endswith(".npy"):
        X = load_npy(path, "DATA")
        if X.ndim != 2 or X.size == 0 or not np.issubdtype(X.dtype, np.number):
            raise InputError(f"DATA: {s} must hold a non-empty numeric matrix, got shape {X.shape}, dtype {X.dtype}")
        X = X.astype(float)
        M = ~np.isnan(X)
        info = {"name": str(path), "description": f"matrix {X.shape[0]} x {X.shape[1]} from {path.name}",
                "source": str(path), "suggested_rank": None}
        return np.where(M, X, 0.0), M, info, None
    raise InputError(f"DATA: {s!r} is not a known dataset ({', '.join(nmf.REAL_DATASETS)}), planted:N[:R], "
                     "an existing .npy file or a folder holding u.data")


def run(args: argparse.Namespace) -> int:
    """``certify nmf-landscape DATA``: certified curvature along segments to NMF optima."""
    from .. import nmf  # noqa: PLC0415
    from .._version import __version__  # noqa: PLC0415
    from ..errors import InputError  # noqa: PLC0415
    from ..progress import Progress  # noqa: PLC0415

    t0 = time.perf_counter()
    for name, v, lo in (("--pairs", args.pairs, 1), ("--optima", args.optima, 1), ("--steps", args.steps, 0)):
        if v < lo:
            raise InputError(f"{name}: expected an integer >= {lo}, got {v}")
    if args.rank is not None and args.rank < 1:
        raise InputError(f"--rank: expected a positive integer, got {args.rank}")
    if args.mask_fraction is not None and not (0 < args.mask_fraction <= 1):
        raise InputError(f"--mask-fraction: expected a number in (0, 1], got {args.mask_fraction}")
    if isinstance(args.data, str) and args.data.strip() in nmf.REAL_DATASETS:
        from ..progress import note  # noqa: PLC0415

        name = args.data.strip()
        where = "matplotlib's sample data" if name == "mri" else "scikit-learn's bundled copy"
        note(f"certify: loading {name} ({where}; the first use after installing imports and compiles "
             "scikit-learn, which can take half a minute) ...")
    X, M, info, inst = load_data(args.data, gamma=args.gamma, seed=args.seed)
    if args.target is not None and inst is None:
        raise InputError("--target: only for planted:N data")
    rank = args.rank if args.rank is not None else info.get("suggested_rank")
    if rank is None:
        raise InputError(f"--rank: required for {info['name']} (no suggested rank for this data)")
    if inst is not None and args.rank is not None and args.rank != inst.rank and (args.target or "planted") == "planted":
        raise InputError(f"--rank: the planted optimum has rank {inst.rank}; give planted:N:{args.rank} or --target solver")
    if args.mask_fraction is not None and args.mask_fraction < 1:
        M = M & nmf.random_mask(M.shape, args.mask_fraction, seed=args.seed + 1)
        if not M.any():
            raise InputError("--mask-fraction: no entry left observed")
    X, M, obs = nmf.check_data(X, M)
    scale = 1.0
    if not args.no_scale:
        X, scale = nmf.scale_data(X, M)
    target = (args.target or "planted") if inst is not None else "solver"
    shown = not (args.json or args.quiet)
    phases: dict = {}  # the solver's bar, then the certificates' bar (opened when the first certificate chunk starts)

    def solver_progress(k, steps):
        phases["solver"].update(k, steps)

    def certify_progress(done, total):
        if "certify" not in phases:
            if "solver" in phases:
                phases["solver"].close()
            phases["certify"] = Progress(total, label="certificates", enabled=shown, unit="seg")
        phases["certify"].update(done, total)

    with _one_blas_thread():  # the small batched products run fastest, and steadiest, on one BLAS thread
        try:
            if target == "planted":
                # planted random points: the factor distribution (scaled like the data), as in Theorem 1
                res = nmf.star_convexity(X, rank, M, pairs=args.pairs, seed=args.seed,
                                         optimum=(inst.W_star / math.sqrt(scale), inst.H_star / math.sqrt(scale)),
                                         certify_progress=certify_progress if shown else None)
            else:
                phases["solver"] = Progress(args.steps, label=f"{args.method} ({min(args.optima, args.pairs)} starts)",
                                            enabled=shown, unit="step")
                res = nmf.star_convexity(X, rank, M, optima=min(args.optima, args.pairs), pairs=args.pairs,
                                         method=args.method, steps=args.steps, seed=args.seed,
                                         progress=solver_progress if shown else None,
                                         certify_progress=certify_progress if shown else None)
        finally:
            for bar in phases.values():
                bar.close()
    d = res.to_dict()
    doc = {"data": info, "shape": list(X.shape), "rank": int(rank), "observed": obs,
           "observed_fraction": obs / X.size, "scaled_by": scale, "target": target,
           "method": None if target == "planted" else args.method, "steps": None if target == "planted" else args.steps,
           "seed": args.seed, "pairs": res.pairs, "alpha": d["alpha"], "fractions": d["fractions"],
           "certified_alpha_lower_min": d["certified_alpha_lower_min"], "cosine": d["cosine"],
           "optimum_loss_mean": [None if x is None else x / obs for x in d["optimum_loss"]],
           "convention": "l = 1/2 sum over observed (WH - X)^2 (alpha); optimum_loss_mean divides by the observed count",
           "seconds": time.perf_counter() - t0, "certify_version": __version__}
    if args.output:
        write_json(args.output, doc)
    if args.plot:
        res.plot(args.plot, title=f"{info['name']}: {res.pairs} segments, rank {int(rank)}, "
                                  + ("to the planted optimum" if target == "planted" else
                                     f"to {args.method} optima ({args.steps} steps)"))
    if args.json:  # the same document as the -o file
        print(json.dumps(doc, indent=1, allow_nan=False))
    else:
        print(_human(doc, args))
    return EXIT_OK


def _one_blas_thread():
    """One BLAS thread while the NMF solvers and certificates run (threadpoolctl, installed with
    scikit-learn): their many small matrix products gain nothing from more threads, and on a busy
    machine several BLAS threads per process wait on each other (digits, 400 pairs: 42 s against
    8 s at a load of 5 on 2 cores).  Without threadpoolctl nothing changes."""
    import contextlib  # noqa: PLC0415

    try:
        from threadpoolctl import threadpool_limits  # noqa: PLC0415
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _human(doc: dict, args: argparse.Namespace) -> str:
    a, fr, q = doc["alpha"], doc["fractions"], doc["alpha"]["quantiles"]
    lines = [f"data: {doc['data']['name']} ({doc['data']['description']})",
             f"shape {doc['shape'][0]} x {doc['shape'][1]}, rank {doc['rank']}, observed {doc['observed']} "
             f"({doc['observed_fraction']:.1%}), " + ("not scaled" if args.no_scale else f"scaled by 1/{doc['scaled_by']:.4g}"),
             ("segments: random points -> the planted optimum" if doc["target"] == "planted" else
              f"segments: random points -> optima of {doc['method']} ({doc['steps']} steps); mean loss at the optima "
              f"{min(x for x in doc['optimum_loss_mean'] if x is not None):.4g} .. "
              f"{max(x for x in doc['optimum_loss_mean'] if x is not None):.4g}"),
             f"pairs: {doc['pairs']}",
             f"alpha = min over [0,1] of l'': mean {a['mean']:.4g}, std {a['std']:.4g}, "
             f"sigma/mu {'undefined (mean 0)' if a['relative_deviation'] is None else format(a['relative_deviation'], '.4f')}",
             f"  quantiles: min {q['min']:.4g}, p5 {q['p5']:.4g}, median {q['median']:.4g}, p95 {q['p95']:.4g}, "
             f"max {q['max']:.4g}",
             f"convex segments (certified): {fr['convex']:.1%}; not convex: {fr['not convex']:.1%}; "
             f"undecided: {fr['undecided']:.1%}",
             f"smallest certified lower bound on alpha: {doc['certified_alpha_lower_min']:.4g}"]
    if doc["cosine"]:
        c = doc["cosine"]
        lines.append(f"cosine(-grad l, segment): min {c['min']:.4f}, median {c['median']:.4f}, max {c['max']:.4f}")
    lines.append(f"elapsed {doc['seconds']:.1f} s")
    for w in (args.output, args.plot):
        if w:
            lines.append(f"written: {w}")
    return "\n".join(lines)
