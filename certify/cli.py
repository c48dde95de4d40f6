"""The ``certify`` command.

Exit codes, one table for every command (:data:`EXIT_CODES`; also in ``docs/certificate-format.md``,
"Exit codes"):

* 0 ``EXIT_OK``: success (``verify``: valid; ``verify --exact``: proved; a run finished);
* 1 ``EXIT_NEGATIVE``: a negative result (``verify``: invalid; ``verify --exact``: disproved;
  ``counterexample``: no counterexample with delta < 1 exists; ``catalog --check``: a file fails);
* 2 ``EXIT_INPUT``: bad input (arguments; missing, unreadable or malformed files: schema, shapes,
  NaN/Infinity, size limits; a missing optional dependency such as python-flint);
* 3 ``EXIT_SOLVER``: a solver failure (``sweep``: some points failed or the worker pool broke);
* 4 ``EXIT_UNDECIDED``: ``verify --exact`` neither proved nor disproved the certificate;
* 5 ``EXIT_INTERNAL``: an internal error, i.e. a bug (please report it with the command line), or
  out of memory;
* 130 ``EXIT_INTERRUPTED``: interrupted (Ctrl-C);
* 143 ``EXIT_TERMINATED``: terminated by SIGTERM (``sweep`` stops its pool; the store stays resumable).

Every error is one line on stderr (``certify: error: ...``, ``certify: internal error: ...``); no
traceback is ever printed, and numerical warnings (NumPy's RuntimeWarning) are not shown: every verdict
is recomputed and checked, a non-finite figure fails its check.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from .errors import CertifyError, InputError, NoCounterexampleError, SolverError, SolverUnavailableError

#: exit codes of every ``certify`` command (also used by :mod:`certify.cli_sweep`)
EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_INPUT = 2
EXIT_SOLVER = 3
EXIT_UNDECIDED = 4
EXIT_INTERNAL = 5
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
EXIT_CODES = {
    EXIT_OK: "ok: valid, proved, finished",
    EXIT_NEGATIVE: "negative: invalid, disproved, no counterexample",
    EXIT_INPUT: "bad input: arguments, unreadable or malformed files",
    EXIT_SOLVER: "solver failure",
    EXIT_UNDECIDED: "undecided (verify --exact)",
    EXIT_INTERNAL: "internal error (a bug) or out of memory",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_TERMINATED: "terminated (SIGTERM)",
}

# after the exit codes: cli_sweep imports them from here
from . import cli_constants, cli_nmf, cli_sweep  # noqa: E402
from ._version import __version__  # noqa: E402


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of usage dumps."""

    def error(self, message):  # noqa: D401
        self.exit(EXIT_INPUT, f"certify: error: {message} (see 'certify {self.prog.split()[-1]} --help')\n"
                  if " " in self.prog else f"certify: error: {message} (see 'certify --help')\n")


def _print_json(obj) -> None:
    from .io import jsonable  # noqa: PLC0415

    # non-finite figures (e.g. mu* = -inf) as "inf"/"-inf"/null, never a ValueError from json
    print(json.dumps(jsonable(obj), indent=1, allow_nan=False, default=float))


def _cert_summary(cert, path) -> dict:
    rep = cert.verification or {}
    return {
        "file": None if path is None else str(path),
        "n": cert.n, "r": cert.r, "r_star": cert.r_star,
        "delta": cert.delta, "delta_lower": cert.delta_lower,
        "gap": None if cert.delta_lower is None else cert.delta - cert.delta_lower,
        "source": cert.source, "solver": (cert.solver or {}).get("name"), "flags": cert.flags,
        "valid": rep.get("ok"), "verification": rep,
    }


def _human(cert, path, report) -> str:
    lines = []
    if cert.name:
        lines.append(f"certificate: {cert.name}")
    lines.append(f"instance: n = {cert.n}, r = {cert.r}, r* = {cert.r_star}; operator: {cert.operator!r}; source: {cert.source}")
    if cert.delta_lower is not None:
        lines.append(f"delta(X, Z) in [{cert.delta_lower:.9f}, {cert.delta:.9f}]  (gap {cert.delta - cert.delta_lower:.2e})")
    else:
        lines.append(f"delta = {cert.delta:.9f} (no dual bound stored)")
    if cert.solver:
        role = "" if cert.source in ("sdp", "curvature-sdp") else " (dual point only)"
        lines.append(f"solver{role}: {cert.solver.get('name')} {cert.solver.get('version')}, status {cert.solver.get('status')}")
    if cert.flags:
        lines.append(f"flags: {', '.join(cert.flags)}")
    lines.append(report.summary())
    if path is not None:
        lines.append(f"written: {path}")
    return "\n".join(lines)


def cmd_counterexample(args) -> int:
    from .io import parse_array  # noqa: PLC0415
    from .rip import counterexample  # noqa: PLC0415

    X = parse_array(args.x, "--x")
    Z = parse_array(args.z, "--z")
    cert = counterexample(X, Z, solver=args.solver, project=not args.no_project, basis=args.basis)
    report = cert.verify()
    path = cert.save(args.output) if args.output else None
    if args.json:
        _print_json(_cert_summary(cert, path))
    else:
        print(_human(cert, path, report))
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def _verify_curvature_file(args, d) -> int:
    """``certify verify`` on a curvature-SDP result file (format ``certify.curvature``)."""
    from .curvature_file import CurvatureFile  # noqa: PLC0415

    cf = CurvatureFile.from_dict(d)
    if args.exact:
        ereport = cf.verify_exact()
        if args.json:
            _print_json({"file": str(args.file), "outcome": ereport.outcome, "reason": ereport.reason,
                         "exact": ereport.to_dict()})
        else:
            print(f"curvature result ({cf.kind}) at delta = {cf.delta:g}, grad_tol = {cf.grad_tol:g}")
            print(ereport.summary())
        return {"proved": EXIT_OK, "disproved": EXIT_NEGATIVE}.get(ereport.outcome, EXIT_UNDECIDED)
    report = cf.verify()
    if args.json:
        _print_json({"file": str(args.file), "valid": report.ok, "failures": report.failures,
                     "report": {"checks": report.checks, "mu": report.mu, "mu_upper": report.mu_upper,
                                "min_grad_lower": report.min_grad_lower}})
    else:
        print(f"curvature result ({cf.kind}) at delta = {cf.delta:g}, grad_tol = {cf.grad_tol:g}")
        print(report.summary())
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def cmd_verify(args) -> int:
    from .certificates import Certificate  # noqa: PLC0415
    from .schema import read_json_file  # noqa: PLC0415

    d = read_json_file(args.file)
    if isinstance(d, dict) and d.get("format") == "certify.curvature":
        return _verify_curvature_file(args, d)
    cert = Certificate.from_dict(d)
    if args.exact:
        ereport = cert.verify(domain=args.domain, exact=True)
        if args.json:
            _print_json({"file": str(args.file), "outcome": ereport.outcome, "reason": ereport.reason,
                         "exact": ereport.to_dict()})
        else:
            if cert.name:
                print(f"certificate: {cert.name}")
            print(ereport.summary())
        return {"proved": EXIT_OK, "disproved": EXIT_NEGATIVE}.get(ereport.outcome, EXIT_UNDECIDED)
    report = cert.verify(domain=args.domain)
    if args.json:
        _print_json({"file": str(args.file), "valid": report.ok, "failures": report.failures, "report": report.to_dict()})
    else:
        print(_human(cert, None, report))
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def cmd_example(args) -> int:
    from .catalog import ENTRIES  # noqa: PLC0415

    if args.name != "zhang2018":
        raise InputError(f"example: unknown example {args.name!r}; accepted: zhang2018")
    entry = {e.name: e for e in ENTRIES}[f"zhang2018_{args.source}"]
    cert = entry.build()
    report = cert.verify()
    out = Path(args.output or f"zhang2018_{args.source}.json")
    path = cert.save(out)
    if args.json:
        summary = _cert_summary(cert, path)
        summary["published_delta"] = entry.published
        _print_json(summary)
    else:
        print(_human(cert, path, report))
        print(f"published: delta = {entry.published} (Zhang, Josz, Sojoudi, Lavaei 2018); "
              f"f(x) = 3/4, Hessian diag(0, 4)")
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def cmd_catalog(args) -> int:
    from .catalog import check, regenerate  # noqa: PLC0415

    if args.check:
        results = check(args.dir)
        if not results:
            raise InputError(f"--dir: no certificate files in {args.dir}")
        bad = [r for r in results if not r[1]]
        if args.json:
            _print_json([{"file": f, "valid": ok, "failures": why} for f, ok, why in results])
        else:
            for f, ok, why in results:
                print(f"{'valid  ' if ok else 'INVALID'}  {f}" + ("" if ok else f"  ({why})"))
        return EXIT_NEGATIVE if bad else EXIT_OK
    rows = regenerate(args.dir, only=args.only, progress=not args.json)
    if args.json:
        _print_json(rows)
    else:
        print(f"wrote {len(rows)} certificates and README.md to {args.dir}")
    return EXIT_OK if all(r["ok"] for r in rows) else EXIT_NEGATIVE


def cmd_validate(args) -> int:
    """``certify validate FILE``: the input file is only rewritten with ``--record`` (atomically,
    with the validation appended); ``-o/--output`` writes the result on its own."""
    from .certificates import load  # noqa: PLC0415
    from .validation import validate  # noqa: PLC0415

    if args.record and args.no_record:
        raise InputError("--record, --no-record: give at most one (recording is off unless --record)")
    if args.no_record:
        print("certify: note: --no-record is deprecated and has no effect: the certificate file is only "
              "modified with --record", file=sys.stderr)
    output = args.output
    if args.out_deprecated is not None:
        if output is not None and output != args.out_deprecated:
            raise InputError(f"--out, --output: two different result files given ({args.out_deprecated!r}, {output!r}); "
                             "--out is a deprecated alias of -o/--output")
        print("certify: note: --out is deprecated; use -o/--output", file=sys.stderr)
        output = args.out_deprecated
    cert = load(args.file)
    report = cert.verify()
    if not report.ok:
        raise InputError(f"{args.file}: the certificate does not verify ({'; '.join(report.failures)}); refusing to validate it")
    res = validate(
        cert, trials=args.trials, gammas=args.gammas, steps=args.steps, method=args.method, seed=args.seed,
        step_size=args.step_size, batch=args.batch, decay=args.decay, tol=args.tol, tol_spurious=args.tol_spurious,
        record=bool(args.record), progress=not args.json and not args.quiet,
    )
    written = []
    if output:
        written.append(str(res.save(output)))
    if args.plot:
        res.plot(args.plot)
        written.append(str(args.plot))
    if args.record:
        cert.save(args.file)  # the certificate's record now lists this validation (atomic rewrite)
        written.append(f"{args.file} (validation appended)")
    if args.json:
        d = res.to_dict()
        d["written"] = written
        _print_json(d)
    else:
        s = res.settings
        print(f"{s['method'].upper()} from X0 = (1-gamma) X + gamma W, W ~ N(0, {s['init_scale']:.3g}^2); "
              f"{s['steps']} steps, step size {s['step_size']:.4g}" + (f", batch {s['batch']}" if s['batch'] else "")
              + f"; seed {s['seed']}; success: error <= {s['tol']:g}; spurious: within {s['tol_spurious']:g} of X")
        print(res.table())
        print(f"elapsed {res.elapsed:.1f} s")
        for w in written:
            print(f"written: {w}")
    return EXIT_OK


def _parse_deltas(text: str) -> list[float]:
    """``0.55``, ``0.3,0.5,0.6`` or ``start:stop:num`` (inclusive, like numpy.linspace)."""
    from .io import parse_grid  # noqa: PLC0415

    return parse_grid(text, "--delta")


def cmd_curvature(args) -> int:
    from .io import atomic_write_text, parse_array  # noqa: PLC0415
    from .progress import Progress  # noqa: PLC0415
    from .rip.curvature import curvature, curvature_profile  # noqa: PLC0415

    X = parse_array(args.x, "--x")
    Z = parse_array(args.z, "--z")
    deltas = _parse_deltas(args.delta)
    if len(deltas) == 1:
        res = curvature(X, Z, deltas[0], args.grad_tol, solver=args.solver)
        rep = res.verify()
        written = None
        if args.output:
            if res.certificate is not None:
                written = res.certificate.save(args.output)
            else:
                written = atomic_write_text(args.output, json.dumps(res.to_dict(), indent=1, allow_nan=False) + "\n")
        if args.json:
            d = res.to_dict()
            d.update(valid=rep.ok, failures=rep.failures, written=None if written is None else str(written))
            _print_json(d)
        else:
            print(res.summary())
            print(rep.summary())
            if written is not None:
                what = "certificate (strict local minimum)" if res.certificate is not None else "result"
                print(f"written: {written} ({what})")
        return EXIT_OK if rep.ok else EXIT_NEGATIVE
    bar = None if args.json else Progress(len(deltas), label="curvature SDPs")
    prof = curvature_profile(X, Z, deltas, args.grad_tol, solver=args.solver,
                             progress=None if bar is None else (lambda k, total: bar.update(k)))
    if bar is not None:
        bar.close()
    if args.output:
        prof.save(args.output)
    if args.plot:
        prof.plot(args.plot)
    if args.json:
        _print_json(prof.to_dict())
    else:
        print(prof.table())
        for w in (args.output, args.plot):
            if w:
                print(f"written: {w}")
    return EXIT_OK


def cmd_search(args) -> int:
    from .progress import Progress  # noqa: PLC0415
    from .rip.search import search_sharp_delta  # noqa: PLC0415

    n = args.n if args.n is not None else args.rank + args.rank_star
    bar = None if (args.json or args.quiet) else Progress(args.restarts, label="restarts")
    best = search_sharp_delta(n, args.rank, args.rank_star, restarts=args.restarts, seed=args.seed, max_iter=args.max_iter,
                              solver=args.solver, progress=None if bar is None else (lambda k, total, b: bar.update(k)))
    if bar is not None:
        bar.close()
    rep = best.certificate.verify()
    written = []
    if args.output:
        written.append(str(best.certificate.save(args.output)))
    if args.history:
        from .io import atomic_write_text  # noqa: PLC0415

        written.append(str(atomic_write_text(args.history, json.dumps(best.to_dict(), indent=1, allow_nan=False) + "\n")))
    if args.json:
        d = best.to_dict()
        d.update(valid=rep.ok, written=written)
        _print_json(d)
    else:
        print(best.summary())
        print(f"published: {best.published['reference']}")
        print(f"certificate of the best point: {'VALID' if rep.ok else 'INVALID'}")
        for w in written:
            print(f"written: {w}")
    return EXIT_OK if rep.ok else EXIT_NEGATIVE


def cmd_solvers(args) -> int:
    from .solvers import SOLVERS, available_solvers, mosek_licence_ok  # noqa: PLC0415

    avail = available_solvers()
    rows = []
    for name in SOLVERS:
        note = "default" if name == "CLARABEL" else ""
        if name == "MOSEK":
            note = mosek_licence_ok()[1]
        rows.append({"solver": name, "available": name in avail, "note": note})
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['solver']:9s} {'yes' if row['available'] else 'no ':3s}  {row['note']}")
    return EXIT_OK


def add_protocol_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the validation protocol (REFERENCE 1.5), shared by ``validate`` and ``sweep validation``."""
    p.add_argument("--gammas", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0], help="values of gamma in [0, 1]")
    p.add_argument("--steps", type=int, default=10_000, help="iterations per trial (default 10000)")
    p.add_argument("--method", choices=("sgd", "gd"), default="sgd")
    p.add_argument("--step-size", type=float, default=None, help="step size (default: conservative, see docs)")
    p.add_argument("--batch", type=int, default=1, help="SGD minibatch size (measurements per step)")
    p.add_argument("--decay", type=float, default=None, help="step size / (1 + k / decay); default constant")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tol", type=float, default=1e-3, help="success: relative distance to the global set <= tol")
    p.add_argument("--tol-spurious", type=float, default=0.1, help="relative distance to the spurious orbit counted as trapped")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="certify", description="Certificates about nonconvex optimization landscapes.")
    p.add_argument("--version", action="version", version=f"certify {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    c = sub.add_parser("counterexample", help="smallest-delta RIP counterexample for a spurious point X, ground truth Z",
                       description="Solve the SDP LMI(X, Z) (Zhang, Sojoudi, Lavaei 2019, eq. 23) and write a verified certificate.")
    c.add_argument("--x", required=True, metavar="X", help="spurious point: JSON array ('[0, 0.7071]' or '[[1, 0], [0, 1]]') or .npy file")
    c.add_argument("--z", required=True, metavar="Z", help="ground truth factor: JSON array or .npy file")
    c.add_argument("-o", "--output", metavar="OUT.json", help="write the certificate here (atomically)")
    c.add_argument("--solver", default=None, help="CLARABEL (default), SCS or MOSEK (needs a licence)")
    c.add_argument("--no-project", action="store_true", help="solve the direct n-dimensional SDP instead of projecting onto orth([X, Z])")
    c.add_argument("--basis", choices=("svec", "vec"), default="svec", help="symmetric (svec, default) or full (vec) coordinates")
    c.add_argument("--json", action="store_true", help="machine-readable output")
    c.set_defaults(func=cmd_counterexample)

    v = sub.add_parser("verify", help="verify a certificate file (exit 0 valid, 1 invalid, 2 bad input)",
                       description="Recompute RIP constant, gradient, Hessian and dual bound of a certificate; no solver needed. "
                                   "With --exact: prove it in exact rational arithmetic instead (python-flint; exit 0 proved, "
                                   "1 disproved, 4 undecided, 2 bad input).")
    v.add_argument("file", help="certificate JSON file")
    v.add_argument("--domain", choices=("all", "symmetric"), default="all", help="RIP over all (default) or symmetric matrices")
    v.add_argument("--exact", action="store_true",
                   help="exact rational proof (gradient exactly zero, exact LDL^T of the Hessian and of the isometry band, "
                        "f > 0) of a delta-RIP instance next to the certificate; exit 0 proved, 1 disproved, 4 undecided")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.set_defaults(func=cmd_verify)

    e = sub.add_parser("example", help="write and verify a published example (zhang2018)",
                       description="Write and verify the published 2x2 delta = 1/2 example.")
    e.add_argument("name", help="zhang2018")
    e.add_argument("--source", choices=("published", "sdp"), default="published",
                   help="the published matrices (default) or the operator found by the SDP")
    e.add_argument("-o", "--output", metavar="OUT.json", help="output file (default zhang2018_<source>.json)")
    e.add_argument("--json", action="store_true", help="machine-readable output")
    e.set_defaults(func=cmd_example)

    k = sub.add_parser("catalog", help="regenerate (or --check) the catalog of certificates",
                       description="Rebuild every certificate of the catalog and its README table.")
    k.add_argument("--dir", default="counterexamples", help="catalog folder (default: counterexamples)")
    k.add_argument("--check", action="store_true", help="only load and verify the files already there")
    k.add_argument("--only", nargs="+", metavar="NAME", help="rebuild only these entries")
    k.add_argument("--json", action="store_true", help="machine-readable output")
    k.set_defaults(func=cmd_catalog)

    va = sub.add_parser("validate", help="run (S)GD from perturbed starts on a certificate's operator",
                        description="Start (S)GD at (1-gamma) X + gamma W for each gamma and report success rates and error "
                                    "quantiles (REFERENCE 1.5). The certificate file is never modified unless --record "
                                    "(which appends the result to it, atomically); -o writes the result on its own.")
    va.add_argument("file", help="certificate JSON file (read only, unless --record)")
    va.add_argument("--trials", type=int, default=1000,
                    help="trials per gamma (default 1000; at most 10**8, run in memory-bounded chunks)")
    add_protocol_arguments(va)
    va.add_argument("-o", "--output", metavar="RESULT.json", default=None, help="write the validation result here (atomically)")
    va.add_argument("--out", dest="out_deprecated", metavar="RESULT.json", default=None,
                    help="deprecated alias of -o/--output")
    va.add_argument("--plot", metavar="OUT.png", help="plot error quantiles against gamma")
    va.add_argument("--record", action="store_true",
                    help="append the result to the certificate file (atomic rewrite of FILE); off by default")
    va.add_argument("--no-record", action="store_true", help="deprecated, no effect (recording is off unless --record)")
    va.add_argument("--quiet", action="store_true", help="no progress bar")
    va.add_argument("--json", action="store_true", help="machine-readable output")
    va.set_defaults(func=cmd_validate)

    cu = sub.add_parser("curvature", help="curvature SDP: the largest smallest Hessian eigenvalue a delta-RIP operator gives at X",
                        description="Solve the curvature SDP mu*(X, Z, delta, g) (REFERENCE 1.4). mu* > 0: a spurious strict local "
                                    "minimum (written as a certificate with -o); mu* < 0: every delta-RIP instance has a strict "
                                    "saddle at X (checked dual bound); infeasible: no delta-RIP operator makes X critical (checked "
                                    "Farkas vector). Several deltas: a profile table (and --plot). Convention: f = ||A(XX^T - ZZ^T)||^2 "
                                    "without 1/2, instance normalized to ||ZZ^T||_F = 1.")
    cu.add_argument("--x", required=True, metavar="X", help="point X: JSON array or .npy file")
    cu.add_argument("--z", required=True, metavar="Z", help="ground truth factor Z: JSON array or .npy file")
    cu.add_argument("--delta", required=True, help="RIP constant in [0, 1): one value, a comma list, or start:stop:num")
    cu.add_argument("--grad-tol", type=float, default=0.0, help="bound g on ||grad f(X)|| (normalized instance; default 0)")
    cu.add_argument("-o", "--output", metavar="OUT.json", help="certificate (strict minimum), result, or profile JSON")
    cu.add_argument("--plot", metavar="OUT.png", help="profile plot (several deltas)")
    cu.add_argument("--solver", default=None, help="CLARABEL (default), SCS or MOSEK")
    cu.add_argument("--json", action="store_true", help="machine-readable output")
    cu.set_defaults(func=cmd_curvature)

    se = sub.add_parser("search", help="search for the sharp RIP threshold: minimize delta(X, Z) over X, Z",
                        description="Minimize delta(X, Z) over X (n x r), Z (n x r*) from random restarts (gradient from the SDP's "
                                    "dual, L-BFGS-B); report the best verified certificate beside the published threshold.")
    se.add_argument("--rank", type=int, required=True, metavar="R", help="search rank r")
    se.add_argument("--rank-star", type=int, required=True, metavar="R_STAR", help="ground-truth rank r* (<= r)")
    se.add_argument("--n", type=int, default=None, help="dimension (default r + r*, enough by the projection lemma)")
    se.add_argument("--restarts", type=int, default=20, help="random restarts (default 20)")
    se.add_argument("--seed", type=int, default=0)
    se.add_argument("--max-iter", type=int, default=200, help="L-BFGS-B iterations per restart (default 200)")
    se.add_argument("--solver", default=None, help="CLARABEL (default), SCS or MOSEK")
    se.add_argument("-o", "--output", metavar="OUT.json", help="write the best certificate here")
    se.add_argument("--history", metavar="SEARCH.json", help="write the search history (per-restart traces) here")
    se.add_argument("--quiet", action="store_true", help="no progress bar")
    se.add_argument("--json", action="store_true", help="machine-readable output")
    se.set_defaults(func=cmd_search)

    s = sub.add_parser("solvers", help="list the conic solvers usable on this machine")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_solvers)

    cli_constants.add_parser(sub)  # `certify constants nimc`: dispatched through its func default
    cli_nmf.add_parser(sub)  # `certify nmf-landscape`: dispatched through its func default
    cli_sweep.add_parser(sub)  # `certify sweep KIND`: dispatched through its func default
    return p


def _one_line(text) -> str:
    """``text`` on one line (newlines and runs of spaces collapsed)."""
    return " ".join(str(text).split())


def _fail(kind: str, message, code: int) -> int:
    try:
        print(f"certify: {kind}: {_one_line(message)}", file=sys.stderr)
    except (OSError, ValueError):  # stderr closed: the exit code still tells
        pass
    return code


def main(argv=None) -> int:
    """Run one ``certify`` command and return its exit code (see the module docstring).  Never raises:
    ``--help``, ``--version`` and usage errors come back as their code, every error as one line on
    stderr, an unexpected exception as ``certify: internal error: ...`` and code 5."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a one-line usage error
            return exc.code if isinstance(exc.code, int) else (EXIT_OK if exc.code is None else EXIT_INPUT)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_INPUT
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # flags are printed with the result
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow/invalid: the checks fail on their own
            return args.func(args)
    except NoCounterexampleError as exc:
        return _fail("no counterexample", exc, EXIT_NEGATIVE)
    except SolverUnavailableError as exc:
        return _fail("error", exc, EXIT_INPUT)
    except SolverError as exc:
        return _fail("solver error", exc, EXIT_SOLVER)
    except CertifyError as exc:
        return _fail("error", exc, EXIT_INPUT)
    except OSError as exc:
        where = getattr(exc, "filename", None)
        msg = f"{exc.strerror or exc}" + (f": {where}" if where else "")
        return _fail("error", msg, EXIT_INPUT)
    except KeyboardInterrupt:
        try:
            print("certify: interrupted", file=sys.stderr)
        except (OSError, ValueError):
            pass
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # a SIGTERM handler (sweep) ends the command with 128 + SIGTERM
        code = exc.code if isinstance(exc.code, int) else EXIT_INTERNAL
        if code == EXIT_TERMINATED:
            try:
                print("certify: terminated", file=sys.stderr)
            except (OSError, ValueError):
                pass
        return code
    except MemoryError as exc:
        return _fail("error", f"out of memory{': ' + str(exc) if str(exc) else ''} (the problem is too large for this "
                              "machine's memory)", EXIT_INTERNAL)
    except RecursionError:
        return _fail("internal error", "RecursionError: maximum recursion depth exceeded (this is a bug; please report it "
                                       "with the command line)", EXIT_INTERNAL)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback, exit 5
        return _fail("internal error", f"{type(exc).__name__}: {exc} (this is a bug; please report it with the command "
                                       "line)", EXIT_INTERNAL)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
