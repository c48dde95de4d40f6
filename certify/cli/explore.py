"""``certify explore``: the teaching explorer in the browser (:mod:`certify.explore`)."""

from __future__ import annotations

import argparse

from ._common import Subparsers, add_json_flag
from .exitcodes import EXIT_OK

__all__ = ["add_explore", "cmd_explore"]


def add_explore(sub: Subparsers) -> argparse.ArgumentParser:
    e = sub.add_parser(
        "explore", help="the teaching explorer: a local web page (needs certify[explore])",
        description="Serve the explorer (Panel) on HOST:PORT and print its address; it opens no browser and writes no "
                    "file. Pages: the spurious point (delta over the rank-1 plane, the operator, the landscape), "
                    "trapped or not (the curvature SDP over delta, SGD trials), the atlas, certificates (download, "
                    "upload and check). Ctrl-C stops it. See docs/explore.md.")
    e.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for every interface)")
    e.add_argument("--port", type=int, default=5006, help="port (default 5006; 0 picks a free one)")
    e.add_argument("--atlas", metavar="ATLAS.json", default=None,
                   help="an atlas file of 'certify atlas -o' for the statuses of the atlas page "
                        "(default: results/atlas.json when it exists here)")
    e.add_argument("--grid", type=int, default=61, metavar="N",
                   help="points per side of the delta heat map (default 61; 3..401)")
    add_json_flag(e)  # the address as one JSON line ({"url": ..., "host": ..., "port": ...}) once serving
    return e


def cmd_explore(args: argparse.Namespace) -> int:
    from ..explore.model import read_atlas_default  # noqa: PLC0415
    from ..explore.server import require_panel, serve  # noqa: PLC0415
    from ..options import integer  # noqa: PLC0415

    require_panel()
    integer(args.grid, "--grid", lo=3, hi=401)
    atlas = args.atlas if args.atlas is not None else read_atlas_default()
    serve(args.host, args.port, atlas, args.grid, json_line=args.json)
    return EXIT_OK
