"""What the ``certify`` commands share: the argument parser class, JSON output, the one-line error
report, the options of the validation protocol, the summary of a certificate, and the one grammar of
the options every command spells the same way.

The grammar (``tests/cli/test_grammar.py`` walks the parser against it):

* ``-o/--output FILE``: the command's main output file (a certificate, a result, a sweep's store);
  further files have their own names (``--history``, ``--certificate``, ``--result``);
* ``--json``: machine-readable output on stdout (no progress, no hints);
* ``--plot FILE.png``: a figure of the result (format from the suffix: .png, .pdf, .svg);
* ``--quiet``: no progress bar, no time estimate, no phase notes on stderr;
* ``--seed N``: the random seed (an integer >= 0, default 0);
* ``--solver NAME``: CLARABEL (default), SCS or MOSEK.

Old spellings (``--out``, ``--no-progress``) are hidden, deprecated aliases
(:meth:`CLIParser.add_deprecated_alias`): they still work and print a one-line note.

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
    "CLIParser", "Subparsers", "add_json_flag", "add_output", "add_plot", "add_quiet", "add_seed", "add_solver",
    "add_protocol_arguments", "cert_summary", "describe_certificate", "exact_exit_code", "fail", "one_line",
    "print_json", "write_json", "OPTION_HELP", "PLOT_METAVAR",
]

#: what ``ArgumentParser.add_subparsers`` returns (the object every ``add_parser`` function takes)
Subparsers = Any


class CLIParser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) instead of usage dumps, hidden deprecated aliases of
    options (:meth:`add_deprecated_alias`) and options required under either of two spellings
    (:meth:`require`)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.deprecated_aliases: list[tuple[str, str, str, str]] = []  # (old flag, new flags, dest, hidden dest)
        self._required: list[tuple[str, str]] = []  # (dest, flags)

    def error(self, message: str):  # type: ignore[override]
        self.exit(EXIT_INPUT, f"certify: error: {message} (see 'certify {self.prog.split()[-1]} --help')\n"
                  if " " in self.prog else f"certify: error: {message} (see 'certify --help')\n")

    def add_deprecated_alias(self, old: str, new: str, dest: str, *, container: Any = None, **kwargs: Any) -> None:
        """``old`` (e.g. ``--out``) as a deprecated alias of the option ``new`` (e.g. ``-o/--output``)
        storing into ``dest``: hidden from ``--help``; when given, a one-line note on stderr
        (``certify: note: --out is deprecated; use -o/--output``) and its value goes to ``dest``.
        Both spellings with different values is a usage error.  ``kwargs`` as for
        ``add_argument`` (``action="store_true"`` for a switch); ``container``: an argument group."""
        hidden = f"deprecated_{old.lstrip('-').replace('-', '_')}"
        kwargs.setdefault("default", None)
        (container or self).add_argument(old, dest=hidden, help=argparse.SUPPRESS, **kwargs)
        self.deprecated_aliases.append((old, new, dest, hidden))

    def require(self, dest: str, flags: str) -> None:
        """``dest`` must be given, as ``flags`` or a deprecated alias of it (checked after parsing)."""
        self._required.append((dest, flags))

    def parse_known_args(self, args: Any = None, namespace: Any = None):  # type: ignore[override]
        ns, rest = super().parse_known_args(args, namespace)
        for old, new, dest, hidden in self.deprecated_aliases:
            value = vars(ns).pop(hidden, None)
            if value is None:
                continue
            _note(f"certify: note: {old} is deprecated; use {new}")
            current = getattr(ns, dest, None)
            if current not in (None, False) and current != value:
                self.error(f"{old}, {new}: two different values given ({value!r}, {current!r}); {old} is a "
                           f"deprecated alias of {new}")
            setattr(ns, dest, value)
        missing = [flags for dest, flags in self._required if getattr(ns, dest, None) is None]
        if missing:
            self.error(f"the following arguments are required: {', '.join(missing)}")
        return ns, rest


def _note(text: str) -> None:
    try:
        print(text, file=sys.stderr)
    except (OSError, ValueError):  # stderr closed: the run goes on
        pass


#: the help text of the shared options: the same words on every command
OPTION_HELP = {
    "json": "machine-readable output on stdout (no progress on stderr)",
    "quiet": "no progress bar, time estimate or phase note on stderr",
    "seed": "random seed, an integer >= 0 (default 0)",
    "solver": "CLARABEL (default), SCS or MOSEK (needs a licence: docs/mosek.md)",
}
#: the metavar of every --plot
PLOT_METAVAR = "FILE.png"


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


def add_json_flag(p: Any) -> None:
    """``--json`` (a parser or an argument group)."""
    p.add_argument("--json", action="store_true", help=OPTION_HELP["json"])


def add_output(p: Any, metavar: str, what: str, *, alias: bool = False) -> None:
    """``-o/--output METAVAR``: the command's main output file; ``alias=True`` adds the deprecated
    ``--out`` (``p`` must then be a :class:`CLIParser`)."""
    p.add_argument("-o", "--output", metavar=metavar, default=None, help=what)
    if alias:
        p.add_deprecated_alias("--out", "-o/--output", "output", metavar=metavar)


def add_plot(p: Any, what: str) -> None:
    """``--plot FILE.png``: a figure of the result (format from the file name's suffix)."""
    p.add_argument("--plot", metavar=PLOT_METAVAR, default=None,
                   help=f"{what} (PNG; .pdf or .svg by the file name's suffix)")


def add_quiet(p: Any) -> None:
    """``--quiet``: no progress on stderr (the command runs inside :func:`certify.progress.silenced`)."""
    p.add_argument("--quiet", action="store_true", help=OPTION_HELP["quiet"])


def add_seed(p: Any, default: int = 0) -> None:
    p.add_argument("--seed", type=int, default=default, metavar="N", help=OPTION_HELP["seed"])


def add_solver(p: Any) -> None:
    p.add_argument("--solver", default=None, metavar="NAME", help=OPTION_HELP["solver"])


def add_protocol_arguments(p: argparse.ArgumentParser) -> None:
    """The options of the validation protocol (REFERENCE 1.5), shared by ``validate`` and ``sweep validation``."""
    p.add_argument("--gammas", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0], help="values of gamma in [0, 1]")
    p.add_argument("--steps", type=int, default=10_000, help="iterations per trial (default 10000)")
    p.add_argument("--method", choices=("sgd", "gd"), default="sgd")
    p.add_argument("--step-size", type=float, default=None, help="step size (default: conservative, see docs)")
    p.add_argument("--batch", type=int, default=1, help="SGD minibatch size (measurements per step)")
    p.add_argument("--decay", type=float, default=None, help="step size / (1 + k / decay); default constant")
    add_seed(p)
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
