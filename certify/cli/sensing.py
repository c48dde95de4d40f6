"""``certify counterexample``, ``certify curvature``, ``certify search`` and ``certify solvers``:
Burer-Monteiro matrix sensing under RIP (:mod:`certify.rip`) and the conic solvers it uses."""

from __future__ import annotations

import argparse

from ._common import (
    Subparsers,
    add_json_flag,
    add_output,
    add_plot,
    add_quiet,
    add_seed,
    add_solver,
    cert_summary,
    describe_certificate,
    print_json,
    write_json,
)
from .exitcodes import EXIT_NEGATIVE, EXIT_OK

__all__ = [
    "add_counterexample", "add_curvature", "add_search", "add_solvers",
    "cmd_counterexample", "cmd_curvature", "cmd_search", "cmd_solvers",
]


def add_counterexample(sub: Subparsers) -> argparse.ArgumentParser:
    c = sub.add_parser("counterexample", help="smallest-delta RIP counterexample for a spurious point X, ground truth Z",
                       description="Solve the SDP LMI(X, Z) (Zhang, Sojoudi, Lavaei 2019, eq. 23) and write a verified "
                                   "certificate.")
    c.add_argument("--x", required=True, metavar="X",
                   help="spurious point: JSON array ('[0, 0.7071]' or '[[1, 0], [0, 1]]') or .npy file")
    c.add_argument("--z", required=True, metavar="Z", help="ground truth factor: JSON array or .npy file")
    add_output(c, "OUT.json", "write the certificate here (atomically)")
    add_solver(c)
    c.add_argument("--no-project", action="store_true",
                   help="solve the direct n-dimensional SDP instead of projecting onto orth([X, Z])")
    c.add_argument("--basis", choices=("svec", "vec"), default="svec", help="symmetric (svec, default) or full (vec) coordinates")
    add_json_flag(c)
    return c


def add_curvature(sub: Subparsers) -> argparse.ArgumentParser:
    cu = sub.add_parser("curvature",
                        help="curvature SDP: the largest smallest Hessian eigenvalue a delta-RIP operator gives at X",
                        description="Solve the curvature SDP mu*(X, Z, delta, g) (docs/mathematics.md, 1.4). mu* > 0: a spurious "
                                    "strict local minimum (written as a certificate with -o); mu* < 0: every delta-RIP "
                                    "instance has a strict saddle at X (checked dual bound); infeasible: no delta-RIP "
                                    "operator makes X critical (checked Farkas vector). Several deltas: a profile table "
                                    "(and --plot). Convention: f = ||A(XX^T - ZZ^T)||^2 without 1/2, instance normalized "
                                    "to ||ZZ^T||_F = 1.")
    cu.add_argument("--x", required=True, metavar="X", help="point X: JSON array or .npy file")
    cu.add_argument("--z", required=True, metavar="Z", help="ground truth factor Z: JSON array or .npy file")
    cu.add_argument("--delta", required=True, help="RIP constant in [0, 1): one value, a comma list, or start:stop:num")
    cu.add_argument("--grad-tol", type=float, default=0.0, help="bound g on ||grad f(X)|| (normalized instance; default 0)")
    add_output(cu, "OUT.json", "certificate (strict minimum), result, or profile JSON")
    add_plot(cu, "several deltas: mu*(delta) with the infeasible range shaded")
    add_solver(cu)
    add_quiet(cu)
    add_json_flag(cu)
    return cu


def add_search(sub: Subparsers) -> argparse.ArgumentParser:
    se = sub.add_parser("search", help="search for the sharp RIP threshold: minimize delta(X, Z) over X, Z",
                        description="Minimize delta(X, Z) over X (n x r), Z (n x r*) from random restarts (gradient "
                                    "from the SDP's dual, L-BFGS-B); report the best verified certificate beside the "
                                    "published threshold.")
    se.add_argument("--rank", type=int, required=True, metavar="R", help="search rank r")
    se.add_argument("--rank-star", type=int, required=True, metavar="R_STAR", help="ground-truth rank r* (<= r)")
    se.add_argument("--n", type=int, default=None, help="dimension (default r + r*, enough by the projection lemma)")
    se.add_argument("--restarts", type=int, default=20, help="random restarts (default 20)")
    add_seed(se)
    se.add_argument("--max-iter", type=int, default=200, help="L-BFGS-B iterations per restart (default 200)")
    add_solver(se)
    add_output(se, "OUT.json", "write the best certificate here")
    se.add_argument("--history", metavar="SEARCH.json", help="write the search history (per-restart traces) here")
    add_plot(se, "convergence: best delta so far per restart, and the best delta of each restart")
    add_quiet(se)
    add_json_flag(se)
    return se


def add_solvers(sub: Subparsers) -> argparse.ArgumentParser:
    s = sub.add_parser("solvers", help="list the conic solvers usable on this machine")
    add_json_flag(s)
    return s


def cmd_counterexample(args: argparse.Namespace) -> int:
    """``certify counterexample --x X --z Z``: solve LMI(X, Z), verify, optionally write the certificate."""
    from ..io import parse_array  # noqa: PLC0415
    from ..rip import counterexample  # noqa: PLC0415

    X = parse_array(args.x, "--x")
    Z = parse_array(args.z, "--z")
    cert = counterexample(X, Z, solver=args.solver, project=not args.no_project, basis=args.basis)
    report = cert.verify()
    path = cert.save(args.output) if args.output else None
    if args.json:
        print_json(cert_summary(cert, path))
    else:
        print(describe_certificate(cert, path, report))
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def cmd_curvature(args: argparse.Namespace) -> int:
    """``certify curvature``: one curvature SDP (one delta) or a profile over a grid of deltas."""
    from ..io import parse_array, parse_grid  # noqa: PLC0415
    from ..progress import Progress  # noqa: PLC0415
    from ..rip.curvature import curvature, curvature_profile  # noqa: PLC0415

    X = parse_array(args.x, "--x")
    Z = parse_array(args.z, "--z")
    deltas = parse_grid(args.delta, "--delta")  # 0.55, 0.3,0.5,0.6 or start:stop:num (inclusive)
    if args.plot and len(deltas) == 1:
        from ..errors import InputError  # noqa: PLC0415

        raise InputError("--plot: the plot is a profile over several deltas (e.g. --delta 0.3:0.7:9); one delta "
                         "gives one number")
    if len(deltas) == 1:
        res = curvature(X, Z, deltas[0], args.grad_tol, solver=args.solver)
        rep = res.verify()
        written = None
        if args.output:
            if res.certificate is not None:
                written = res.certificate.save(args.output)
            else:
                written = write_json(args.output, res.to_dict())
        if args.json:
            d = res.to_dict()
            d.update(valid=rep.ok, failures=rep.failures, written=None if written is None else str(written))
            print_json(d)
        else:
            print(res.summary())
            print(rep.summary())
            if written is not None:
                what = "certificate (strict local minimum)" if res.certificate is not None else "result"
                print(f"written: {written} ({what})")
        return EXIT_OK if rep.ok else EXIT_NEGATIVE
    with Progress(len(deltas), label="curvature SDPs", enabled=not (args.json or args.quiet)) as bar:
        prof = curvature_profile(X, Z, deltas, args.grad_tol, solver=args.solver, progress=bar.callback)
    written = []
    if args.output:
        written.append(str(prof.save(args.output)))
    if args.plot:
        prof.plot(args.plot)
        written.append(str(args.plot))
    if args.json:
        d = prof.to_dict()
        d["written"] = written
        print_json(d)
    else:
        print(prof.table())
        for w in written:
            print(f"written: {w}")
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    """``certify search``: the sharp-threshold search; the best point's certificate is verified."""
    from ..progress import Progress  # noqa: PLC0415
    from ..rip.search import search_sharp_delta  # noqa: PLC0415

    n = args.n if args.n is not None else args.rank + args.rank_star
    with Progress(args.restarts, label="restarts", enabled=not (args.json or args.quiet)) as bar:
        best = search_sharp_delta(n, args.rank, args.rank_star, restarts=args.restarts, seed=args.seed,
                                  max_iter=args.max_iter, solver=args.solver,
                                  progress=None if bar.callback is None else (lambda k, total, b: bar.update(k, total)))
    rep = best.certificate.verify()
    written = []
    if args.output:
        written.append(str(best.certificate.save(args.output)))
    if args.history:
        written.append(str(write_json(args.history, best.to_dict())))
    if args.plot:
        from ..plotting import search_figure  # noqa: PLC0415

        n_, r_, rs_ = best.X.shape[0], best.X.shape[1], best.Z.shape[1]
        search_figure(best.history, best.published, path=args.plot,
                      title=f"search n = {n_}, r = {r_}, r* = {rs_}, seed {args.seed}: verified delta = {best.delta:.9f}")
        written.append(str(args.plot))
    if args.json:
        d = best.to_dict()
        d.update(valid=rep.ok, written=written)
        print_json(d)
    else:
        print(best.summary())
        print(f"published: {best.published['reference']}")
        print(f"certificate of the best point: {'VALID' if rep.ok else 'INVALID'}")
        for w in written:
            print(f"written: {w}")
    return EXIT_OK if rep.ok else EXIT_NEGATIVE


def cmd_solvers(args: argparse.Namespace) -> int:
    """``certify solvers``: which conic solvers are installed (and MOSEK's licence)."""
    from ..solvers import SOLVERS, available_solvers, mosek_licence_ok  # noqa: PLC0415

    avail = available_solvers()
    rows = []
    for name in SOLVERS:
        note = "default" if name == "CLARABEL" else ""
        if name == "MOSEK":
            note = mosek_licence_ok()[1]
        rows.append({"solver": name, "available": name in avail, "note": note})
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            print(f"{row['solver']:9s} {'yes' if row['available'] else 'no ':3s}  {row['note']}")
    return EXIT_OK
