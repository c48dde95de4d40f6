"""``certify validate``: (S)GD from perturbed starts on a certificate's operator (the validation
protocol, REFERENCE 1.5)."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError
from ._common import Subparsers, add_json_flag, add_output, add_plot, add_protocol_arguments, add_quiet, print_json
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
    add_output(va, "RESULT.json", "write the validation result here (atomically)", alias=True)
    va.set_defaults(out_deprecated=None)  # --out is resolved into --output by the parser (note on stderr)
    add_plot(va, "error quantiles and success rate against gamma (diverged runs marked)")
    va.add_argument("--record", action="store_true",
                    help="append the result to the certificate file (atomic rewrite of FILE); off by default")
    va.add_argument("--no-record", action="store_true", help="deprecated, no effect (recording is off unless --record)")
    add_quiet(va)
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


#: the protocol options of ``certify validate`` and their keyword in :func:`certify.validate`
_PROTOCOL_OPTIONS = {"trials": "trials", "gammas": "gammas", "steps": "steps", "method": "method", "seed": "seed",
                     "step_size": "step_size", "batch": "batch", "decay": "decay", "tol": "tol"}


def _kind_options(args: argparse.Namespace, kind: str) -> dict:
    """The protocol options for a NIMC or NMF certificate: those given on the command line; an
    option left at the parser's default (BM sensing's: 1000 trials, 10,000 steps, batch 1, ...)
    takes the kind's own default instead (:data:`certify.sgd.nimc_protocol.DEFAULTS`,
    :data:`certify.sgd.nmf_protocol.DEFAULTS`).  ``--method`` is taken as given (its default,
    ``sgd``, included: NIMC runs SGD unless ``--method gd``); NMF has no SGD: its solver is
    projected gradient descent (``pgd``) either way."""
    from ._common import CLIParser  # noqa: PLC0415 - the parser class the command is built with

    probe = CLIParser(add_help=False).add_subparsers()
    va = add_validate(probe)
    out = {}
    for dest, key in _PROTOCOL_OPTIONS.items():
        value = getattr(args, dest, None)
        if value is not None and value != va.get_default(dest):
            out[key] = value
    if "seed" not in out:
        out["seed"] = getattr(args, "seed", 0) or 0
    method = getattr(args, "method", None)
    if method is not None:
        out["method"] = method if kind.startswith("nimc") else "pgd"
    if getattr(args, "tol_spurious", None) not in (None, va.get_default("tol_spurious")):
        raise InputError("--tol-spurious: an option of the BM sensing protocol (no spurious point is certified here)")
    return out


def _print_kind_result(res) -> None:
    s = res.settings
    what = {"gd": "GD", "sgd": "SGD", "pgd": "projected GD", "mu": "multiplicative updates"}.get(s["method"], s["method"])
    print(f"{what} from {s['init']}; {s['steps']} steps, {s['trials']} trials per {s['perturbation']}; seed {s['seed']}; "
          f"success: {s['error']} <= {s['tol']:g}")
    if s.get("kind") == "nimc/population-hessian":
        print(f"samples: n1 = {s['n1']}, n2 = {s['n2']}, m = {s['m']} observed pairs, {s['n_test']} test queries/items; "
              f"step size {s['step_size_rule']}")
        print(f"rates: {s['rate']}")
    elif s.get("random"):
        print(f"random factors: {s['random']}; cert convex: fraction of the segments start -> (W*, H*) certified convex")
    print(res.table())


def cmd_validate(args: argparse.Namespace) -> int:
    """``certify validate FILE``: the protocol of the certificate's kind (BM sensing, NIMC, NMF;
    one reader, :func:`certify.check.load_any`).  The input file is only rewritten with
    ``--record`` (atomically, with the validation appended); ``-o/--output`` writes the result on
    its own."""
    from ..check.format import Certificate  # noqa: PLC0415
    from ..check.loader import load_any  # noqa: PLC0415
    from ..sgd.protocol import validate  # noqa: PLC0415

    if args.record and args.no_record:
        raise InputError("--record, --no-record: give at most one (recording is off unless --record)")
    if args.no_record:
        print("certify: note: --no-record is deprecated and has no effect: the certificate file is only "
              "modified with --record", file=sys.stderr)
    output = _output(args)
    cert = load_any(args.file)
    if not hasattr(cert, "validations"):
        raise InputError(f"{args.file}: a curvature result file certifies no point to run a solver from; "
                         "validate a certificate file")
    bm = isinstance(cert, Certificate)
    report = cert.verify()
    if not report.ok:
        raise InputError(f"{args.file}: the certificate does not verify ({'; '.join(report.failures)}); refusing to validate it")
    if bm:
        res = validate(
            cert, trials=args.trials, gammas=args.gammas, steps=args.steps, method=args.method, seed=args.seed,
            step_size=args.step_size, batch=args.batch, decay=args.decay, tol=args.tol, tol_spurious=args.tol_spurious,
            record=bool(args.record), progress=not args.json and not args.quiet,
        )
    else:
        res = validate(cert, record=bool(args.record), progress=not args.json and not args.quiet,
                       **_kind_options(args, cert.kind))
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
    elif not bm:
        _print_kind_result(res)
        print(f"elapsed {res.elapsed:.1f} s")
        for w in written:
            print(f"written: {w}")
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
