"""``certify atlas``: the sharp-threshold atlas (:mod:`certify.rip.atlas`) as a resumable sweep
(kind ``atlas``, :mod:`certify.sweep.kinds.atlas`): one store line per ``(r, r*)``, a process pool,
then the JSON result, a Markdown table on stdout and the heat map.

Exit codes (:mod:`certify.cli.exitcodes`): 0 every pair done and every acceptance check met; 1 a
search value below the sufficient condition (a contradiction with a theorem: a bug in the chain)
or an acceptance check failed; 3 some pairs failed (recorded in the store; rerun to retry).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import Subparsers, add_json_flag, add_plot, add_quiet, add_seed, print_json
from .exitcodes import EXIT_NEGATIVE, EXIT_OK, EXIT_SOLVER

__all__ = ["add_atlas", "cmd_atlas"]


def add_atlas(sub: Subparsers) -> argparse.ArgumentParser:
    a = sub.add_parser(
        "atlas", help="the sharp overparameterized RIP threshold for every (r, r*) up to --max-rank",
        description="For every 1 <= r* <= r <= MAX_RANK: the sufficient condition 1/(1 + sqrt(r*/r)), the published "
                    "counterexample value, the orthogonal family's delta bracket (symmetry-reduced SDP, lifted and "
                    "verified; the plain SDP where small), an exact certificate at the threshold over Q(sqrt(r r*)), "
                    "strict spurious minima at threshold + 0.01, a random-restart search and SGD trapping for a few "
                    "pairs. Resumable: the store keeps one line per pair. See docs/atlas.md.")
    a.add_argument("--max-rank", type=int, default=8, metavar="R", help="largest search rank r (default 8)")
    a.add_argument("-o", "--output", metavar="ATLAS.json", default="atlas.json",
                   help="the result (JSON; default atlas.json)")
    a.add_argument("--store", metavar="STORE.jsonl", default=None,
                   help="the resumable store (default: the output name with .store.jsonl)")
    add_plot(a, "heat maps over (r, r*)")
    a.add_argument("--table", metavar="TABLE.md", default=None, help="also write the Markdown table here")
    ex = a.add_mutually_exclusive_group()
    ex.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes (default: the CPUs)")
    ex.add_argument("--serial", action="store_true", help="run in this process, no pool")
    a.add_argument("--quick", action="store_true",
                   help="no SGD validation, smaller searches (the bracket and every certificate are unchanged)")
    add_seed(a)
    add_quiet(a)
    add_json_flag(a)
    return a


def _params(args: argparse.Namespace) -> dict:
    params = {"max_rank": args.max_rank, "seed": args.seed}
    if args.quick:
        params.update(validate=[], diagonal_restarts=1, diagonal_max_evals=60, full_search_max_d=3)
    return params


def cmd_atlas(args: argparse.Namespace) -> int:
    """``certify atlas``: run (or resume) the atlas sweep, write the result, the table and the figure."""
    from ..rip.atlas import AtlasResult  # noqa: PLC0415
    from ..sweep import run_sweep  # noqa: PLC0415

    out = Path(args.output)
    store = Path(args.store) if args.store else out.with_suffix(".store.jsonl")
    executor = "serial" if args.serial else "process"
    res = run_sweep("atlas", _params(args), store, executor=executor, workers=args.workers,
                    progress=not (args.quiet or args.json))
    rows = [r for r in res.results if r is not None]
    atlas = AtlasResult(rows=rows, params=res.params, elapsed=res.elapsed)
    atlas.summary.update(store=str(store), computed=res.computed, resumed=res.resumed, failed=len(res.failed))
    written = [atlas.save(out)]
    if args.plot and rows:
        atlas.plot(args.plot)
        written.append(args.plot)
    if args.table:
        Path(args.table).write_text(atlas.table() + "\n\n" + atlas.validation_table() + "\n", encoding="utf-8")
        written.append(args.table)
    if args.json:
        print_json({"output": str(out), "store": str(store), "written": [str(w) for w in written],
                    "summary": atlas.summary})
    else:
        print(atlas.table())
        print(_describe(res))
        for w in written:
            print(f"written: {w}")
    if res.failed or not res.complete:
        return EXIT_SOLVER
    acc = atlas.summary.get("acceptance") or {}
    return EXIT_OK if acc and all(acc.values()) and not atlas.summary.get("contradictions") else EXIT_NEGATIVE


def _describe(res) -> str:
    from ..sweep import get_kind  # noqa: PLC0415

    return get_kind("atlas").describe(res.summary)
