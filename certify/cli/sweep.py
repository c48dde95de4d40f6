"""``certify sweep KIND ...``: grids and searches on a process pool or a Dask cluster, with a
file-backed store and resume (:mod:`certify.sweep`, ``docs/sweeps.md``).

:mod:`certify.cli` only needs ``add_parser`` (registration); dispatch goes through the ``func``
each kind sets.  Exit codes (:mod:`certify.cli.exitcodes`): 0 every point finished, 2 bad
input (arguments, a store holding another sweep, Dask missing), 3 some points failed (recorded in
the store; a rerun retries them) or the worker pool / cluster broke (rerun to resume).  SIGTERM
stops the run like Ctrl-C (workers stopped, store consistent) and exits with status 143.
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parser", "run"]

from ._common import Subparsers, add_json_flag, add_output, add_plot, add_protocol_arguments, add_quiet, add_seed, add_solver
from .exitcodes import EXIT_INPUT, EXIT_OK
from .exitcodes import EXIT_SOLVER as EXIT_FAILED  # some points failed, or the pool broke

#: the kinds whose --plot :func:`_plot` draws (``validation`` draws its pooled result's figure)
_FIGURES = ("rank1-grid", "curvature-map", "search-restarts")
#: the largest sweep --plot draws (a heat map of a million cells is already finer than a screen)
MAX_PLOT_POINTS = 1_000_000

_GRID_HELP = ("GRID is start:stop:num (num values from start to stop inclusive, like numpy.linspace), a comma "
              "list, or one number")


def _common(p: argparse.ArgumentParser, plot: str | None = None) -> None:
    """The options every kind shares: ``-o/--output`` (the store, required; ``--out`` a deprecated
    alias), ``--plot`` (when the kind has a figure: ``plot`` says what it shows), the executor,
    ``--quiet`` (``--no-progress`` a deprecated alias), ``--json``."""
    g = p.add_argument_group("execution and store")
    add_output(g, "STORE.jsonl", "the store (JSON Lines; required); rerunning the same command resumes it, another "
                                 "sweep is refused")
    p.add_deprecated_alias("--out", "-o/--output", "output", container=g, metavar="STORE.jsonl")
    p.require("output", "-o/--output")
    if plot:
        add_plot(g, plot)
    ex = g.add_mutually_exclusive_group()
    ex.add_argument("--workers", type=int, default=None, metavar="N",
                    help="local worker processes (default: the number of CPUs); with --scheduler local: Dask workers")
    ex.add_argument("--serial", action="store_true", help="run in this process, no pool")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster: a scheduler address (tcp://host:8786) or local / local:N (a LocalCluster "
                        "of N single-threaded worker processes); needs pip install 'certify[dask]'")
    g.add_argument("--max-in-flight", type=int, default=None, metavar="K",
                   help="at most K tasks submitted at once (default: twice the workers)")
    g.add_argument("--no-retry-failed", action="store_true",
                   help="on resume, keep points recorded as failed instead of running them again")
    add_quiet(g)
    p.add_deprecated_alias("--no-progress", "--quiet", "quiet", container=g, action="store_true")
    add_json_flag(g)


def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Register ``sweep`` (and its kinds) on the ``certify`` subparsers."""
    p = subparsers.add_parser(
        "sweep", help="grids and searches on a process pool or Dask, with a resumable store",
        description="Run a sweep (a grid or a set of independent searches) on a local process pool (default), in "
                    "this process (--serial) or on a Dask cluster (--scheduler), appending each finished point to a "
                    "JSON Lines store. Rerunning the same command resumes: finished points are kept, a truncated last "
                    "line (a killed run) is repaired, failed points are retried. Results do not depend on the "
                    "executor. See docs/sweeps.md.",
        epilog="examples: certify sweep rank1-grid --rhos 0.2:2:10 --phis 0:90:10 -o grid.jsonl --plot grid.png; "
               "certify sweep curvature-map --delta 0.4 --rhos 0.2:2:10 --phis 0:90:10 -o mu.jsonl --workers 2; "
               "certify sweep search-restarts --rank 2 --rank-star 1 --restarts 20 --seed 0 -o search.jsonl; "
               "certify sweep validation c.json --trials 100000 --chunk 5000 --gammas 0 0.5 1 -o v.jsonl "
               "--scheduler tcp://10.0.0.1:8786; "
               "certify sweep nimc-phase-transition --activations sigmoid --grid 2 4 --trials 3 -o pt.jsonl")
    sub = p.add_subparsers(dest="sweep_kind", metavar="KIND")

    g = sub.add_parser("rank1-grid", help="delta(x, z) by the SDP and the closed form over a (rho, phi) grid",
                       description="delta(x, z) (the SDP's operator: an upper bound; its dual point: a certified lower "
                                   "bound) and the closed-form lower bound of JMLR19 Theorem 12 at x = rho (cos phi, "
                                   "sin phi), z = (1, 0), over the grid rhos x phis. phi, the angle between x and z, is "
                                   "in DEGREES, in [0, 180] (as in the Python API and the store). At most "
                                   "10,000,000 points per sweep. " + _GRID_HELP + ".")
    g.add_argument("--rhos", required=True, metavar="GRID", help="length ratios rho = ||x|| / ||z|| (>= 0)")
    g.add_argument("--phis", required=True, metavar="GRID", help="angles phi between x and z, in degrees, in [0, 180]")
    add_solver(g)
    _common(g, "heat maps of delta(x, z) and of its distance above the closed form over (phi, rho)")
    g.set_defaults(func=run)

    c = sub.add_parser("curvature-map", help="mu*(x, z, delta) over a (rho, phi) grid (strict minima / saddles)",
                       description="The curvature SDP mu*(x, z, delta, g) (docs/mathematics.md, 1.4; as rip.saddle_map) at "
                                   "x = rho (cos phi, sin phi), z = (1, 0), over the grid rhos x phis at a fixed delta. "
                                   "phi in DEGREES, in [0, 180]. At most 10,000,000 points per sweep. " + _GRID_HELP + ".")
    c.add_argument("--delta", required=True, type=float, help="the RIP constant, in [0, 1)")
    c.add_argument("--grad-tol", type=float, default=0.0, help="bound g on ||grad f(x)|| (default 0)")
    c.add_argument("--rhos", required=True, metavar="GRID", help="length ratios rho (>= 0)")
    c.add_argument("--phis", required=True, metavar="GRID", help="angles phi between x and z, in degrees, in [0, 180]")
    add_solver(c)
    _common(c, "heat map of mu* over (phi, rho): strict minima, strict saddles, infeasible points")
    c.set_defaults(func=run)

    s = sub.add_parser("search-restarts", help="the sharp-threshold search, one point per restart",
                       description="Restart k of 'certify search' (rip.search_sharp_delta, start drawn from "
                                   "default_rng([seed, k])) is one point; the summary is the best restart, chosen as "
                                   "the search chooses it, beside the published threshold.")
    s.add_argument("--rank", type=int, required=True, metavar="R", help="search rank r")
    s.add_argument("--rank-star", type=int, required=True, metavar="R_STAR", help="ground-truth rank r* (<= r)")
    s.add_argument("--n", type=int, default=None, help="dimension (default r + r*)")
    s.add_argument("--restarts", type=int, default=20, help="random restarts (default 20)")
    add_seed(s)
    s.add_argument("--max-iter", type=int, default=200, help="L-BFGS-B iterations per restart (default 200)")
    s.add_argument("--polish-evals", type=int, default=0, help="Nelder-Mead polish SDPs per restart (default 0)")
    add_solver(s)
    s.add_argument("--certificate", metavar="OUT.json",
                   help="write the best restart's certificate here (re-solved at the tight defaults, as 'certify search')")
    _common(s, "convergence of the restarts (best delta so far), and the best delta of each restart")
    s.set_defaults(func=run)

    v = sub.add_parser("validation", help="(S)GD validation trials of a certificate, in chunks",
                       description="The validation protocol of 'certify validate' (docs/mathematics.md) with the trials split "
                                   "into chunks of --chunk trials; chunk c uses the seed SeedSequence([seed, c]) (so the "
                                   "numbers differ from one 'certify validate' run with --seed). The chunks are pooled "
                                   "exactly: counts, rates and error quantiles over all trials. The certificate file "
                                   "is not modified.")
    v.add_argument("file", metavar="CERT.json", help="certificate JSON file")
    v.add_argument("--trials", type=int, default=1000, help="trials per gamma in all (default 1000)")
    v.add_argument("--chunk", type=int, default=1000, help="trials per task (default 1000)")
    add_protocol_arguments(v)
    v.add_argument("--result", metavar="RESULT.json", help="also write the pooled validation result here")
    _common(v, "the pooled error quantiles and success rate against gamma")
    v.set_defaults(func=run)

    t = sub.add_parser("nimc-phase-transition", help="NIMC recovery rate over (n, |Omega|), one point per cell",
                       description="The synthetic phase-transition experiment of non-linear inductive matrix completion "
                                   "(Zhong, Jain, Song, Dhillon 2018/2019; docs/nimc.md): for each cell (activation, n, m) "
                                   "of the published grids (sigmoid n = 10 i, m = 2kd i; ReLU n = 20 i, m = 4kd i, for i in "
                                   "--grid), TRIALS instances, GD from (1 - alpha) W* + alpha W_rand, success = relative "
                                   "test error <= --tol. Each cell has its own seed (independent of the order and the "
                                   "executor). The summary is the success table per activation. The files "
                                   "results/nimc_phase_transition*.json were computed with --seed 2018 "
                                   "(scripts/nimc_phase_transition.py).")
    t.add_argument("--activations", nargs="+", default=["sigmoid", "relu"], metavar="NAME",
                   help="among sigmoid, relu (default both)")
    t.add_argument("--grid", nargs="+", type=int, default=list(range(1, 11)), metavar="I",
                   help="grid indices i >= 1 (default 1 .. 10)")
    t.add_argument("--trials", type=int, default=5, help="instances per cell (default 5)")
    t.add_argument("--steps", type=int, default=5000, help="GD steps (default 5000)")
    t.add_argument("--alpha", type=float, default=1.0, help="start (1 - alpha) W* + alpha W_rand, in [0, 1] (default 1)")
    t.add_argument("--kappa", type=float, default=None, help="condition number of W* (default: none, sigma_k = 1)")
    t.add_argument("--tol", type=float, default=1e-3, help="success: relative test error <= TOL (default 1e-3)")
    t.add_argument("--k", type=int, default=5, help="rank k (default 5)")
    t.add_argument("--d", type=int, default=10, help="feature dimension d (default 10)")
    add_seed(t)
    _common(t)
    t.set_defaults(func=run)

    p.set_defaults(func=_no_kind, sweep_parser=p)
    return p


def _plot(args: argparse.Namespace, res) -> bool:
    """``--plot`` of a grid (heat map) or of the search restarts (convergence); a partial sweep is
    drawn with its missing points left blank.  Returns whether a figure was written."""
    from ..plotting import grid_figure, search_figure  # noqa: PLC0415
    from ..sweep import grid_arrays  # noqa: PLC0415

    s = res.summary
    if not s.get("ok"):
        print("certify: note: --plot: no point of the sweep has a result yet; no figure written", file=sys.stderr)
        return False
    if len(res.keys) > MAX_PLOT_POINTS:
        print(f"certify: note: --plot: {len(res.keys):,} points are more than a figure shows "
              f"(at most {MAX_PLOT_POINTS:,}); no figure written (sweep.grid_arrays reads the store)", file=sys.stderr)
        return False
    if res.kind == "search-restarts":
        search_figure([r for r in res.results if r is not None], s.get("published"), path=args.plot,
                      title=f"search-restarts n = {s['n']}, r = {s['r']}, r* = {s['r_star']}"
                            + (f": best delta = {s['delta']:.9f}" if "delta" in s else ""))
    else:
        arrays = grid_arrays(res)
        if res.kind == "curvature-map":
            arrays["delta"] = res.params["delta"]
        grid_figure(arrays, res.kind, path=args.plot, title=f"{res.kind}: {len(res.keys):,} points")
    return True


def _no_kind(args: argparse.Namespace) -> int:
    args.sweep_parser.print_help(sys.stderr)
    return EXIT_INPUT


def _grid(args: argparse.Namespace) -> dict:
    """``rhos`` and ``phis_deg`` (degrees, as given); the grid's size is checked before any axis
    is built (a huge grid is refused at once)."""
    from ..io import parse_grid  # noqa: PLC0415
    from ..sweep import check_grid_size  # noqa: PLC0415

    check_grid_size(args.rhos, args.phis, names=("--rhos", "--phis"), kind=args.sweep_kind)
    return {"rhos": parse_grid(args.rhos, "--rhos"), "phis_deg": parse_grid(args.phis, "--phis")}


def _params(args: argparse.Namespace) -> dict:
    k = args.sweep_kind
    if k == "rank1-grid":
        return {**_grid(args), "solver": args.solver}
    if k == "curvature-map":
        return {**_grid(args), "delta": args.delta, "grad_tol": args.grad_tol, "solver": args.solver}
    if k == "search-restarts":
        return {"n": args.n, "r": args.rank, "r_star": args.rank_star, "restarts": args.restarts, "seed": args.seed,
                "max_iter": args.max_iter, "polish_evals": args.polish_evals, "solver": args.solver}
    if k == "nimc-phase-transition":
        return {"activations": args.activations, "grid": args.grid, "trials": args.trials, "steps": args.steps,
                "alpha": args.alpha, "kappa": args.kappa, "tol": args.tol, "seed": args.seed, "k": args.k, "d": args.d}
    from ..check.format import load  # noqa: PLC0415
    from ..errors import InputError  # noqa: PLC0415

    cert = load(args.file)
    report = cert.verify()
    if not report.ok:
        raise InputError(f"{args.file}: the certificate does not verify ({'; '.join(report.failures)}); refusing to validate it")
    return {"certificate": cert, "trials": args.trials, "chunk": args.chunk, "gammas": args.gammas, "steps": args.steps,
            "method": args.method, "seed": args.seed, "step_size": args.step_size, "batch": args.batch,
            "decay": args.decay, "tol": args.tol, "tol_spurious": args.tol_spurious}


def run(args: argparse.Namespace) -> int:
    """``certify sweep KIND ...``: run (or resume) the sweep, print its summary, write the extras."""
    from ..sweep import KINDS, SweepError, run_sweep, validation_result  # noqa: PLC0415

    params = _params(args)
    try:
        res = run_sweep(args.sweep_kind, params, args.output, executor="serial" if args.serial else None,
                        workers=args.workers, scheduler=args.scheduler, progress=not (args.json or args.quiet),
                        max_in_flight=args.max_in_flight, retry_failed=not args.no_retry_failed)
    except SweepError as exc:
        print(f"certify: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    written = []
    if res.complete or res.summary.get("ok"):
        if args.sweep_kind == "search-restarts" and args.certificate and "X" in res.summary:
            import numpy as np  # noqa: PLC0415

            from ..rip import counterexample  # noqa: PLC0415

            s = res.summary
            cert = counterexample(np.array(s["X"]), np.array(s["Z"]), solver=args.solver)
            cert.name = f"sharp_search_r{s['r']}_rstar{s['r_star']}"
            cert.description = (f"best restart ({s['best_restart']}) of a search-restarts sweep, n = {s['n']}, r = {s['r']}, "
                                f"r* = {s['r_star']}, seed = {args.seed}; published {s['published']['reference']}")
            written.append(str(cert.save(args.certificate)))
        if args.sweep_kind == "validation" and (args.result or getattr(args, "plot", None)):
            vr = validation_result(res)
            if args.result:
                written.append(str(vr.save(args.result)))
            if getattr(args, "plot", None):
                vr.plot(args.plot)
                written.append(str(args.plot))
    if getattr(args, "plot", None) and args.sweep_kind in _FIGURES and _plot(args, res):
        written.append(str(args.plot))
    failed = res.failed
    if args.json:
        d = res.to_dict()
        d["written"] = written
        print(json.dumps(d, indent=1, allow_nan=False, default=float))
    else:
        print(f"sweep {res.kind}: {len(res.keys)} points, {res.resumed} already in the store, {res.computed} computed "
              f"in {res.elapsed:.1f} s; store: {res.path}" + (f" ({res.repaired})" if res.repaired else "")
              + (f"; {res.resubmitted} tasks resubmitted after the cluster lost them" if res.resubmitted else ""))
        kind = KINDS[res.kind]
        if kind.describe is not None:
            print(kind.describe(res.summary))
        for w in written:
            print(f"written: {w}")
    if failed:
        f = failed[0]
        print(f"certify: {len(failed)} of {len(res.keys)} points failed (first: {f['key']}: {f['error']['type']}: "
              f"{f['error']['message']}); they are recorded in {res.path}; rerun the same command to retry them",
              file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
