"""The ``certify`` command.

Exit codes: 0 success (``verify``: the certificate is valid); 1 a negative result (``verify``: the
certificate is invalid; ``counterexample``: no counterexample with delta < 1 exists); 2 bad input
(arguments, unreadable or malformed files); 3 a solver failure.  Errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from . import __version__
from .errors import CertifyError, InputError, NoCounterexampleError, SolverError, SolverUnavailableError

EXIT_OK, EXIT_NEGATIVE, EXIT_INPUT, EXIT_SOLVER = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of usage dumps."""

    def error(self, message):  # noqa: D401
        self.exit(EXIT_INPUT, f"certify: error: {message} (see 'certify {self.prog.split()[-1]} --help')\n"
                  if " " in self.prog else f"certify: error: {message} (see 'certify --help')\n")


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=1, allow_nan=False, default=float))


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
        role = "" if cert.source == "sdp" else " (dual point only)"
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


def cmd_verify(args) -> int:
    from .certificates import load  # noqa: PLC0415

    cert = load(args.file)
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
                       description="Recompute RIP constant, gradient, Hessian and dual bound of a certificate; no solver needed.")
    v.add_argument("file", help="certificate JSON file")
    v.add_argument("--domain", choices=("all", "symmetric"), default="all", help="RIP over all (default) or symmetric matrices")
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

    s = sub.add_parser("solvers", help="list the conic solvers usable on this machine")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_solvers)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a one-line usage error
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_INPUT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # flags are printed with the result
            return args.func(args)
    except NoCounterexampleError as exc:
        print(f"certify: no counterexample: {exc}", file=sys.stderr)
        return EXIT_NEGATIVE
    except SolverUnavailableError as exc:
        print(f"certify: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except SolverError as exc:
        print(f"certify: solver error: {exc}", file=sys.stderr)
        return EXIT_SOLVER
    except CertifyError as exc:
        print(f"certify: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except OSError as exc:
        print(f"certify: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("certify: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
