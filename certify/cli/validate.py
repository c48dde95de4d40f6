"""``certify validate``: (S)GD from perturbed starts on a certificate's operator (the validation
protocol, REFERENCE 1.5)."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError
from ._common import Subparsers, add_json_flag, add_protocol_arguments, print_json
from .exitcodes import EXIT_OK

__all__ = ["add_validate", "cmd_validate"]


def add_validate(sub: Subparsers) -> argparse.ArgumentParser:
    va = sub.add_parser("validate", help="run (S)GD from perturbed starts on a certificate's operator",
                        description="Start (S)GD at (1-gamma) X + gamma W for each gamma and report success rates and error "
                                    "quantiles (docs/mathematics.md). The certificate file is never modified unless --record "
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
    add_json_flag(va)
    return va


def _output(args: argparse.Namespace) -> str | None:
    """The result file of ``-o/--output`` or of the deprecated ``--out`` (a note on stderr)."""
    output = args.output
    if args.out_deprecated is not None:
        if output is not None and output != args.out_deprecated:
            raise InputError(f"--out, --output: two different result files given ({args.out_deprecated!r}, {output!r}); "
                             "--out is a deprecated alias of -o/--output")
        print("certify: note: --out is deprecated; use -o/--output", file=sys.stderr)
        output = args.out_deprecated
    return output


def cmd_validate(args: argparse.Namespace) -> int:
    """``certify validate FILE``: the input file is only rewritten with ``--record`` (atomically,
    with the validation appended); ``-o/--output`` writes the result on its own."""
    from ..check.format import load  # noqa: PLC0415
    from ..sgd.protocol import validate  # noqa: PLC0415

    if args.record and args.no_record:
        raise InputError("--record, --no-record: give at most one (recording is off unless --record)")
    if args.no_record:
        print("certify: note: --no-record is deprecated and has no effect: the certificate file is only "
              "modified with --record", file=sys.stderr)
    output = _output(args)
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
        print_json(d)
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
