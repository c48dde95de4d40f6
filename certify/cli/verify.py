"""``certify verify``, ``certify example`` and ``certify catalog``: checking certificate files and
writing the published examples and the catalog."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ._common import (
    Subparsers,
    add_json_flag,
    add_output,
    add_quiet,
    cert_summary,
    describe_certificate,
    exact_exit_code,
    print_json,
)
from .exitcodes import EXIT_NEGATIVE, EXIT_OK

__all__ = ["add_verify", "add_example", "add_catalog", "cmd_verify", "cmd_example", "cmd_catalog"]


def add_verify(sub: Subparsers) -> argparse.ArgumentParser:
    v = sub.add_parser("verify", help="verify a certificate file (exit 0 valid, 1 invalid, 2 bad input)",
                       description="Recompute RIP constant, gradient, Hessian and dual bound of a certificate; no solver needed. "
                                   "With --exact: prove it in exact rational arithmetic instead (python-flint; exit 0 proved, "
                                   "1 disproved, 4 undecided, 2 bad input).")
    v.add_argument("file", help="certificate JSON file")
    v.add_argument("--domain", choices=("all", "symmetric"), default="all", help="RIP over all (default) or symmetric matrices")
    v.add_argument("--exact", action="store_true",
                   help="exact rational proof (gradient exactly zero, exact LDL^T of the Hessian and of the isometry band, "
                        "f > 0) of a delta-RIP instance next to the certificate; exit 0 proved, 1 disproved, 4 undecided")
    add_json_flag(v)
    return v


def add_example(sub: Subparsers) -> argparse.ArgumentParser:
    e = sub.add_parser("example", help="write and verify a published example (zhang2018)",
                       description="Write and verify the published 2x2 delta = 1/2 example.")
    e.add_argument("name", help="zhang2018")
    e.add_argument("--source", choices=("published", "sdp"), default="published",
                   help="the published matrices (default) or the operator found by the SDP")
    add_output(e, "OUT.json", "output file (default zhang2018_<source>.json)")
    add_json_flag(e)
    return e


def add_catalog(sub: Subparsers) -> argparse.ArgumentParser:
    k = sub.add_parser("catalog", help="regenerate (or --check) the catalog of certificates",
                       description="Rebuild every certificate of the catalog and its README table.")
    k.add_argument("--dir", default="counterexamples", help="catalog folder (default: counterexamples)")
    k.add_argument("--check", action="store_true", help="only load and verify the files already there")
    k.add_argument("--only", nargs="+", metavar="NAME", help="rebuild only these entries")
    add_quiet(k)
    add_json_flag(k)
    return k


def _verify_curvature_file(args: argparse.Namespace, d: dict) -> int:
    """``certify verify`` on a curvature-SDP result file (format ``certify.curvature``)."""
    from ..check.curvature import CurvatureFile  # noqa: PLC0415

    cf = CurvatureFile.from_dict(d)
    if args.exact:
        ereport = cf.verify_exact()
        if args.json:
            print_json({"file": str(args.file), "outcome": ereport.outcome, "reason": ereport.reason,
                        "exact": ereport.to_dict()})
        else:
            print(f"curvature result ({cf.kind}) at delta = {cf.delta:g}, grad_tol = {cf.grad_tol:g}")
            print(ereport.summary())
        return exact_exit_code(ereport.outcome)
    report = cf.verify()
    if args.json:
        print_json({"file": str(args.file), "valid": report.ok, "failures": report.failures,
                    "report": {"checks": report.checks, "mu": report.mu, "mu_upper": report.mu_upper,
                               "min_grad_lower": report.min_grad_lower}})
    else:
        print(f"curvature result ({cf.kind}) at delta = {cf.delta:g}, grad_tol = {cf.grad_tol:g}")
        print(report.summary())
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def _exact_result(args: argparse.Namespace, head: str, kind: str, ereport) -> int:
    """Print an exact report (``--json`` or text under ``head``); the exit code of its outcome."""
    if args.json:
        print_json({"file": str(args.file), "kind": kind, "outcome": ereport.outcome, "reason": ereport.reason,
                    "exact": ereport.to_dict()})
    else:
        print(head)
        print(ereport.summary())
    return exact_exit_code(ereport.outcome)


def _float_result(args: argparse.Namespace, head: str, kind: str, report, figures: dict | None = None) -> int:
    """Print a float verification report (``--json`` or text: ``head``, ``figures``, the summary)."""
    if args.json:
        print_json({"file": str(args.file), "kind": kind, "valid": report.ok, "failures": report.failures,
                    "report": report.to_dict()})
    else:
        print(head)
        for key, value in (figures or {}).items():
            print(f"  {key}: {value}")
        print(report.summary())
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def _verify_kind_file(args: argparse.Namespace, cert) -> int:
    """``certify verify`` on a NIMC or NMF certificate (the kernel's checker of its kind: the
    float recomputation, or ``--exact`` every claim with its verdict, statistical parts "not a
    proof claim")."""
    if args.domain != "all":
        raise InputError(f"--domain: applies to BM sensing certificates only, not to kind {cert.kind!r}")
    head = f"certificate: {cert.name} ({cert.kind})" if cert.name else f"certificate ({cert.kind})"
    if args.exact:
        return _exact_result(args, head, cert.kind, cert.verify_exact())
    report = cert.verify()
    return _float_result(args, head, cert.kind, report, report.figures)


def _verify_algebraic_file(args: argparse.Namespace, cert) -> int:
    """``certify verify`` on an exact sharp-threshold certificate over Q(sqrt(m)) (format
    ``certify.algebraic-certificate``): ``--exact`` decides every claim in the field; without it,
    the float verifier on the operator rounded to floats."""
    head = f"certificate: {cert.name or ''} ({cert.kind}, over {cert.field.name})"
    if args.exact:
        return _exact_result(args, head, cert.kind, cert.verify(exact=True))
    return _float_result(args, head, cert.kind, cert.verify(exact=False, domain=args.domain))


def cmd_verify(args: argparse.Namespace) -> int:
    """``certify verify FILE``: any certificate file (BM sensing, NIMC, NMF: one reader,
    :func:`certify.check.load_any`) or a curvature result file, float or ``--exact``."""
    from ..check.format import Certificate  # noqa: PLC0415
    from ..check.loader import ALGEBRAIC_FORMAT, from_dict_any  # noqa: PLC0415
    from ..check.schema import read_json_file  # noqa: PLC0415

    d = read_json_file(args.file)
    if isinstance(d, dict) and d.get("format") == "certify.curvature":
        return _verify_curvature_file(args, d)
    cert = from_dict_any(d)
    if isinstance(d, dict) and d.get("format") == ALGEBRAIC_FORMAT:
        return _verify_algebraic_file(args, cert)
    if not isinstance(cert, Certificate):
        return _verify_kind_file(args, cert)
    if args.exact:
        ereport = cert.verify(domain=args.domain, exact=True)
        if args.json:
            print_json({"file": str(args.file), "outcome": ereport.outcome, "reason": ereport.reason,
                        "exact": ereport.to_dict()})
        else:
            if cert.name:
                print(f"certificate: {cert.name}")
            print(ereport.summary())
        return exact_exit_code(ereport.outcome)
    report = cert.verify(domain=args.domain)
    if args.json:
        print_json({"file": str(args.file), "valid": report.ok, "failures": report.failures, "report": report.to_dict()})
    else:
        print(describe_certificate(cert, None, report))
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def cmd_example(args: argparse.Namespace) -> int:
    """``certify example zhang2018``: write and verify the published example."""
    from ..rip.catalog import ENTRIES  # noqa: PLC0415

    if args.name != "zhang2018":
        raise InputError(f"example: unknown example {args.name!r}; accepted: zhang2018")
    entry = {e.name: e for e in ENTRIES}[f"zhang2018_{args.source}"]
    cert = entry.build()
    report = cert.verify()
    out = Path(args.output or f"zhang2018_{args.source}.json")
    path = cert.save(out)
    if args.json:
        summary = cert_summary(cert, path)
        summary["published_delta"] = entry.published
        print_json(summary)
    else:
        print(describe_certificate(cert, path, report))
        print(f"published: delta = {entry.published} (Zhang, Josz, Sojoudi, Lavaei 2018); "
              f"f(x) = 3/4, Hessian diag(0, 4)")
    return EXIT_OK if report.ok else EXIT_NEGATIVE


def cmd_catalog(args: argparse.Namespace) -> int:
    """``certify catalog``: regenerate the catalog, or ``--check`` the files already there."""
    from ..rip.catalog import check, regenerate  # noqa: PLC0415

    if args.check:
        results = check(args.dir)
        if not results:
            raise InputError(f"--dir: no certificate files in {args.dir}")
        bad = [r for r in results if not r[1]]
        if args.json:
            print_json([{"file": f, "valid": ok, "failures": why} for f, ok, why in results])
        else:
            for f, ok, why in results:
                print(f"{'valid  ' if ok else 'INVALID'}  {f}" + ("" if ok else f"  ({why})"))
        return EXIT_NEGATIVE if bad else EXIT_OK
    rows = regenerate(args.dir, only=args.only, progress=not (args.json or getattr(args, "quiet", False)))
    if args.json:
        print_json(rows)
    else:
        print(f"wrote {len(rows)} certificates and README.md to {args.dir}")
    return EXIT_OK if all(r["ok"] for r in rows) else EXIT_NEGATIVE
