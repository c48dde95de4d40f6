"""The ``certify`` command: :func:`main` (the console script ``certify = "certify.cli:main"``) and
:func:`build_parser`.

One module per command family, each registering its subcommands on the parser built here:

* :mod:`certify.cli.sensing`: ``counterexample``, ``curvature``, ``search``, ``solvers``;
* :mod:`certify.cli.verify`: ``verify``, ``example``, ``catalog``;
* :mod:`certify.cli.validate`: ``validate``;
* :mod:`certify.cli.constants`: ``constants nimc``;
* :mod:`certify.cli.nmf`: ``nmf-landscape``;
* :mod:`certify.cli.sweep`: ``sweep KIND``;
* :mod:`certify.cli.atlas`: ``atlas``; :mod:`certify.cli.explore`: ``explore`` (the browser explorer);
* :mod:`certify.cli._common`: what they share (parser class, JSON output, one-line errors, the
  validation protocol's options); :mod:`certify.cli.exitcodes`: the exit-code table.

The command modules import :mod:`~certify.cli._common` and :mod:`~certify.cli.exitcodes`, never
this package, so the package has no import cycle.

Exit codes, one table for every command (:data:`EXIT_CODES`, defined in
:mod:`certify.cli.exitcodes`; also in ``docs/certificate-format.md``, "Exit codes"):

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
import contextlib
import sys
import warnings
from collections.abc import Sequence

from .._version import __version__
from ..errors import CertifyError, NoCounterexampleError, SolverError, SolverUnavailableError
from . import _hints, atlas, constants, explore, nmf, sensing, sweep, validate, verify
from ._common import CLIParser, add_protocol_arguments, fail
from .exitcodes import (
    EXIT_CODES,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NEGATIVE,
    EXIT_OK,
    EXIT_SOLVER,
    EXIT_TERMINATED,
    EXIT_UNDECIDED,
)
from .sensing import cmd_counterexample, cmd_curvature, cmd_search, cmd_solvers
from .validate import cmd_validate
from .verify import cmd_catalog, cmd_example, cmd_verify

__all__ = [
    "main", "build_parser", "add_protocol_arguments",
    "EXIT_OK", "EXIT_NEGATIVE", "EXIT_INPUT", "EXIT_SOLVER", "EXIT_UNDECIDED", "EXIT_INTERNAL", "EXIT_INTERRUPTED",
    "EXIT_TERMINATED", "EXIT_CODES",
    "cmd_counterexample", "cmd_verify", "cmd_example", "cmd_catalog", "cmd_validate", "cmd_curvature", "cmd_search",
    "cmd_solvers",
]


def build_parser() -> argparse.ArgumentParser:
    """The ``certify`` parser; each subcommand's ``func`` default is the function that runs it."""
    p = CLIParser(prog="certify", description="Certificates about nonconvex optimization landscapes.")
    p.add_argument("--version", action="version", version=f"certify {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=CLIParser, metavar="COMMAND")
    # the command table, in --help order: (subparser builder, handler).  The handlers are looked up
    # here, in this module, when the parser is built (so tests may replace certify.cli.cmd_verify).
    for add, handler in ((sensing.add_counterexample, cmd_counterexample), (verify.add_verify, cmd_verify),
                         (verify.add_example, cmd_example), (verify.add_catalog, cmd_catalog),
                         (validate.add_validate, cmd_validate), (sensing.add_curvature, cmd_curvature),
                         (sensing.add_search, cmd_search), (sensing.add_solvers, cmd_solvers),
                         (atlas.add_atlas, atlas.cmd_atlas), (explore.add_explore, explore.cmd_explore)):
        add(sub).set_defaults(func=handler)
    constants.add_parser(sub)  # `certify constants nimc`: dispatched through its func default
    nmf.add_parser(sub)  # `certify nmf-landscape`: dispatched through its func default
    sweep.add_parser(sub)  # `certify sweep KIND`: dispatched through its func default
    return p


def _note(text: str) -> None:
    try:
        print(text, file=sys.stderr)
    except (OSError, ValueError):  # stderr closed: the exit code still tells
        pass


@contextlib.contextmanager
def _progress_for(args: argparse.Namespace):
    """The progress output of one command: none at all with ``--quiet`` or ``--json`` (every bar,
    hint and note silenced, whatever the command); otherwise the expected time of a slow command
    (:mod:`certify.cli._hints`), printed above its first progress bar (``catalog``, which draws no
    bar, at once) and only where a bar is drawn."""
    from .. import progress  # noqa: PLC0415

    if getattr(args, "quiet", False) or getattr(args, "json", False):
        with progress.silenced():
            yield
        return
    text = _hints.hint(args)
    if text and getattr(args, "command", None) == "catalog":
        progress.note(text)
    else:
        progress.expect(text)
    try:
        yield
    finally:
        progress.expect(None)


def main(argv: Sequence[str] | None = None) -> int:
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
        with warnings.catch_warnings(), _progress_for(args):
            warnings.simplefilter("ignore", UserWarning)  # flags are printed with the result
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow/invalid: the checks fail on their own
            return args.func(args)
    except NoCounterexampleError as exc:
        return fail("no counterexample", exc, EXIT_NEGATIVE)
    except SolverUnavailableError as exc:
        return fail("error", exc, EXIT_INPUT)
    except SolverError as exc:
        return fail("solver error", exc, EXIT_SOLVER)
    except CertifyError as exc:
        return fail("error", exc, EXIT_INPUT)
    except OSError as exc:
        where = getattr(exc, "filename", None)
        msg = f"{exc.strerror or exc}" + (f": {where}" if where else "")
        return fail("error", msg, EXIT_INPUT)
    except KeyboardInterrupt:
        _note("certify: interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # a SIGTERM handler (sweep) ends the command with 128 + SIGTERM
        code = exc.code if isinstance(exc.code, int) else EXIT_INTERNAL
        if code == EXIT_TERMINATED:
            _note("certify: terminated")
        return code
    except MemoryError as exc:
        return fail("error", f"out of memory{': ' + str(exc) if str(exc) else ''} (the problem is too large for this "
                             "machine's memory)", EXIT_INTERNAL)
    except RecursionError:
        return fail("internal error", "RecursionError: maximum recursion depth exceeded (this is a bug; please report it "
                                      "with the command line)", EXIT_INTERNAL)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no traceback, exit 5
        return fail("internal error", f"{type(exc).__name__}: {exc} (this is a bug; please report it with the command "
                                      "line)", EXIT_INTERNAL)
