"""What the ``certify`` commands share: the argument parser class, JSON output, the one-line error
report, the options of the validation protocol and the summary of a certificate.

Command modules import from here (and from :mod:`certify.cli.exitcodes`), never from
:mod:`certify.cli` itself, so that the package has no import cycle.  Only the standard library and
:mod:`certify.errors` are imported at load time; everything else is imported where it is used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .exitcodes import EXIT_INPUT, EXIT_NEGATIVE, EXIT_OK, EXIT_UNDECIDED

__all__ = [
    "CLIParser", "Subparsers", "add_json_flag", "add_protocol_arguments", "cert_summary", "describe_certificate",
    "exact_exit_code", "fail", "one_line", "print_json", "write_json",
]

#: what ``ArgumentParser.add_subparsers`` returns (the object every ``add_parser`` function takes)
Subparsers = Any


class CLIParser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of usage dumps."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_INPUT, f"certify: error: {message} (see 'certify {self.prog.split()[-1]} --help')\n"
                  if " " in self.prog else f"certify: error: {message} (see 'certify --help')\n")


def one_line(text: object) -> str:
    """``text`` on one line (newlines and runs of spaces collapsed)."""
    return " ".join(str(text).split())


def fail(kind: str, message: object, code: int) -> int:
    """Print ``certify: KIND: MESSAGE`` as one line on stderr and return ``code``."""
    try:
        print(f"certify: {kind}: {one_line(message)}", file=sys.stderr)
    except (OSError, ValueError):  # stderr closed: the exit code still tells
        pass
    return code


def print_json(obj: object) -> None:
    """``obj`` as indented JSON on stdout; non-finite figures (e.g. mu* = -inf) as ``"inf"``,
    ``"-inf"`` or ``null``, never a ValueError from :mod:`json`."""
    from ..io import jsonable  # noqa: PLC0415

    print(json.dumps(jsonable(obj), indent=1, allow_nan=False, default=float))


def write_json(path: str | Path, obj: object) -> Path:
    """Write ``obj`` as indented strict JSON (a final newline) to ``path``, atomically."""
    from ..io import atomic_write_text  # noqa: PLC0415

    return atomic_write_text(path, json.dumps(obj, indent=1, allow_nan=False) + "\n")


def add_json_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")


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


def exact_exit_code(outcome: str) -> int:
    """The exit code of an exact verification: proved 0, disproved 1, anything else 4 (undecided)."""
    return {"proved": EXIT_OK, "disproved": EXIT_NEGATIVE}.get(outcome, EXIT_UNDECIDED)


def cert_summary(cert: Any, path: str | Path | None) -> dict:
    """The ``--json`` summary of a certificate just built (``counterexample``, ``example``)."""
    rep = cert.verification or {}
    return {
        "file": None if path is None else str(path),
        "n": cert.n, "r": cert.r, "r_star": cert.r_star,
        "delta": cert.delta, "delta_lower": cert.delta_lower,
        "gap": None if cert.delta_lower is None else cert.delta - cert.delta_lower,
        "source": cert.source, "solver": (cert.solver or {}).get("name"), "flags": cert.flags,
        "valid": rep.get("ok"), "verification": rep,
    }


def describe_certificate(cert: Any, path: str | Path | None, report: Any) -> str:
    """The human-readable description of a certificate and its verification report."""
    lines = []
    if cert.name:
        lines.append(f"certificate: {cert.name}")
    lines.append(f"instance: n = {cert.n}, r = {cert.r}, r* = {cert.r_star}; operator: {cert.operator!r}; "
                 f"source: {cert.source}")
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
