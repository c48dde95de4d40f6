"""``certify constants nimc``: rigorous enclosures of the NIMC moments and of ρ.

:mod:`certify.cli` only needs ``add_parser`` (registration) and the ``func`` it sets (dispatch).
Exit codes (:mod:`certify.cli.exitcodes`): 0 success, 1 the enclosure of ρ
does not round to the published value, 2 bad input (including python-flint missing).
"""

from __future__ import annotations

import argparse
import json

from ..nimc.activations import ACTIVATIONS
from ._common import Subparsers, add_json_flag, add_output, write_json
from .exitcodes import EXIT_NEGATIVE, EXIT_OK

__all__ = ["add_parser", "run"]



def add_parser(subparsers: Subparsers) -> argparse.ArgumentParser:
    """Register ``constants`` on the ``certify`` subparsers."""
    p = subparsers.add_parser(
        "constants", help="rigorous enclosures of published constants (nimc: moments and rho)",
        description="Gaussian moments alpha_ij, beta_ij, gamma and the curvature constant rho of non-linear "
                    "inductive matrix completion (Zhong, Jain, Song, Dhillon 2018, eq. (9), Lemma C.1), as "
                    "interval-arithmetic enclosures (python-flint/Arb; no float quadrature error estimate is trusted).")
    p.add_argument("family", choices=("nimc",), help="nimc: the constants of non-linear inductive matrix completion")
    p.add_argument("--activation", choices=ACTIVATIONS, default="sigmoid", help="activation phi (default: sigmoid)")
    p.add_argument("--digits", type=int, default=30, help="decimal digits of the enclosures (5..200, default 30)")
    add_output(p, "OUT.json", "also write the enclosures (the --json document) here (atomically)")
    add_json_flag(p)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """``certify constants nimc``: print (or ``--json``) the enclosures; exit 1 if rho disagrees with the paper."""
    from ..nimc import constants as C  # noqa: PLC0415 - python-flint is imported only here

    act, digits = args.activation, args.digits
    mom = C.moments(act, digits)
    r = C.rho(act, digits)
    t1, t2 = C.rho_terms(act, digits)
    applies, why = C.lemma_c1_applies(act, digits)
    pub = C.PUBLISHED_RHO.get(act)
    consistent = None if pub is None else C.matches_published(r, pub)
    doc = {"activation": act, "digits": digits, "moments": {k: e.to_dict() for k, e in mom.items()},
           "rho": r.to_dict(), "rho_terms": [t1.to_dict(), t2.to_dict()], "published_rho": pub,
           "published_consistent": consistent, "lemma_c1": {"applies": applies, "reason": why},
           "source": "Zhong, Jain, Song, Dhillon 2018, Appendix C.2, eq. (9)"}
    if args.output:
        write_json(args.output, doc)
    if args.json:
        print(json.dumps(doc, indent=1, allow_nan=False))
    else:
        print(f"NIMC constants, activation {act}: z ~ N(0, 1), alpha_ij = E[phi(z)^i z^j], beta_ij = E[phi'(z)^i z^j], "
              f"gamma = E[phi(z) phi'(z) z] (Zhong, Jain, Song, Dhillon 2018, eq. (9))")
        print(f"enclosures [lo, hi] (floats rounded outward) and Arb balls to {digits} digits:")
        for e in list(mom.values()) + [t1, t2, r]:
            print(f"  {e.name:12s} [{e.lo!r:>24}, {e.hi!r:>24}]  width {e.width:.1e}  {e.text}")
        print("  rho = min(rho_offdiag, rho_diag); rho_offdiag = a20 b20 - a10^2 b10^2 - b10^2 a11^2, "
              "rho_diag = a20 b22 - a10^2 b12^2 - gamma^2")
        if pub is not None:
            print(f"published rho ~ {pub}: {'consistent' if consistent else 'NOT consistent'} with the enclosure")
        print(f"Lemma C.1 (lambda_min(H*) >= rho for orthogonal U*, V*, d = k): "
              f"{'applies' if applies else 'does not apply'} ({why})")
        if args.output:
            print(f"written: {args.output}")
    return EXIT_OK if consistent in (None, True) else EXIT_NEGATIVE
