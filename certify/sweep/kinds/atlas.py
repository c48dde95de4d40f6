"""``atlas``: the sharp-threshold atlas (:mod:`certify.rip.atlas`), one point per ``(r, r*)`` with
``1 <= r* <= r <= max_rank``; the summary is :func:`certify.rip.atlas.summarize_rows` (acceptance of
every row, the largest rank proved exactly, contradictions with the sufficient condition)."""

from __future__ import annotations

from ...errors import InputError
from ..base import LazyPoints, Point, SweepKind, json_null
from .common import counts, failure_lines, failures, posint

__all__ = ["KIND", "atlas_task"]


def prepare(params: dict):
    from ...rip.atlas import DEFAULTS, check_options  # noqa: PLC0415

    params = dict(params)
    bad = sorted(set(params) - {"max_rank", *DEFAULTS})
    if bad:
        raise InputError(f"atlas: unknown parameter(s) {', '.join(bad)}; accepted: max_rank, {', '.join(sorted(DEFAULTS))}")
    max_rank = posint(params, "max_rank", 8)
    if max_rank > 16:
        raise InputError(f"max_rank: expected an integer in [1, 16], got {max_rank}")
    opts = check_options({k: v for k, v in params.items() if k != "max_rank"})
    return {"max_rank": max_rank, **opts}, None


def points(p: dict) -> LazyPoints:
    from ...rip.atlas import atlas_pairs  # noqa: PLC0415

    pairs = atlas_pairs(p["max_rank"])
    opts = {k: v for k, v in p.items() if k != "max_rank"}
    return LazyPoints(len(pairs), lambda i: Point(f"r={pairs[i][0]},r_star={pairs[i][1]}",
                                                  {"r": pairs[i][0], "r_star": pairs[i][1], "options": opts}))


def atlas_task(p: dict, context=None) -> dict:
    """The atlas row of ``(r, r*)`` (:func:`certify.rip.atlas.atlas_point`)."""
    from ...rip.atlas import atlas_point  # noqa: PLC0415

    return json_null(atlas_point(p["r"], p["r_star"], p["options"]))


def summarize(params: dict, records) -> dict:
    from ...rip.atlas import summarize_rows  # noqa: PLC0415

    rows = [r["result"] if r is not None and r["status"] == "ok" else None for r in records]
    return {**counts(records), **summarize_rows(rows, params), "failures": failures(records)}


def describe(s: dict) -> str:
    acc = s.get("acceptance") or {}
    lines = [f"atlas: {s['points']} pairs ({s['ok']} ok, {s['failed']} failed, {s['missing']} missing); sharp proved for "
             f"{s.get('sharp_proved', 0)}; exact threshold proved up to r = {s.get('largest_exact_rank')}"]
    if acc:
        lines.append("acceptance: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in acc.items()))
    if s.get("contradictions"):
        lines.append(f"CONTRADICTION with the sufficient condition (a bug in the chain) at {s['contradictions']}")
    lines += failure_lines(s)
    return "\n".join(lines)


KIND = SweepKind("atlas", prepare, points, atlas_task, summarize, describe,
                 "the sharp-threshold atlas, one point per (r, r*)")
