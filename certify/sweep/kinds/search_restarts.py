"""``search-restarts``: one point per restart of :func:`certify.rip.search_sharp_delta` (restart
k alone, exactly as in the full search); the summary is the best restart."""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ..base import LazyPoints, Point, SweepKind, json_null
from .common import counts, failure_lines, failures, posint, solver_param, unknown

__all__ = ["KIND", "search_task"]


def prepare(params: dict):
    params = dict(params)
    unknown(params, ("n", "r", "r_star", "restarts", "seed", "max_iter", "polish_evals", "solver"), "search-restarts")
    for name in ("r", "r_star"):
        if name not in params:
            raise InputError(f"search-restarts: missing parameter {name!r}")
    r, rs = posint(params, "r"), posint(params, "r_star")
    if rs > r:
        raise InputError(f"r_star: expected r* <= r (got r = {r}, r* = {rs})")
    n = posint(params, "n", r + rs, r + rs) if params.get("n") is not None else r + rs
    return {"n": n, "r": r, "r_star": rs, "restarts": posint(params, "restarts", 20),
            "seed": posint(params, "seed", 0, 0), "max_iter": posint(params, "max_iter", 200),
            "polish_evals": posint(params, "polish_evals", 0, 0), "solver": solver_param(params.get("solver"))}, None


def points(p: dict) -> LazyPoints:
    common = {k: v for k, v in p.items() if k != "restarts"}
    return LazyPoints(p["restarts"], lambda k: Point(f"restart={k}", {**common, "k": k}))


def search_task(p: dict, context=None) -> dict:
    """Restart ``k`` of :func:`certify.rip.search_sharp_delta` alone (``default_rng([seed, k])``),
    its best point re-solved at the tight defaults and verified."""
    from ...rip.search import search_sharp_delta  # noqa: PLC0415

    res = search_sharp_delta(p["n"], p["r"], p["r_star"], restarts=1, seed=p["seed"], start=p["k"],
                             max_iter=p["max_iter"], polish_evals=p["polish_evals"], solver=p.get("solver"))
    h = res.history[0]
    return json_null({"restart": p["k"], "best": h["best"], "start": h["start"], "after_descent": h["after_descent"],
                      "evaluations": h["evaluations"], "trace": h["trace"], "delta": res.delta,
                      "delta_lower": res.delta_lower, "X": res.X, "Z": res.Z, "flags": list(res.certificate.flags)})


def summarize(params: dict, records: list) -> dict:
    from ...rip.search import published_threshold  # noqa: PLC0415

    ok = [r["result"] for r in records if r is not None and r["status"] == "ok"]
    pub = published_threshold(params["r"], params["r_star"])
    out = {**counts(records), "n": params["n"], "r": params["r"], "r_star": params["r_star"], "published": pub,
           "failures": failures(records)}
    if ok:
        # the same choice as search_sharp_delta: smallest search value, first restart on ties
        b = min(ok, key=lambda d: (d["best"], d["restart"]))
        per = sorted(d["best"] for d in ok)
        out.update(best_restart=b["restart"], best_search_value=b["best"], delta=b["delta"], delta_lower=b["delta_lower"],
                   X=b["X"], Z=b["Z"], gap_to_published=b["delta"] - pub["value"],
                   per_restart={"min": per[0], "median": float(np.median(per)), "max": per[-1]},
                   evaluations=sum(d["evaluations"] for d in ok))
    return out


def describe(s: dict) -> str:
    p = s["published"]
    lines = [f"search-restarts (n = {s['n']}, r = {s['r']}, r* = {s['r_star']}): {s['points']} restarts ({s['ok']} ok, "
             f"{s['failed']} failed, {s['missing']} missing)"]
    if "delta" in s:
        pr = s["per_restart"]
        lines.append(f"best: restart {s['best_restart']}, delta = {s['delta']:.9f} (dual-certified >= {s['delta_lower']:.9f}); "
                     f"published {p['value']:.9f} ({p['kind']}); difference {s['gap_to_published']:+.2e}")
        lines.append(f"best per restart min/median/max = {pr['min']:.6f}/{pr['median']:.6f}/{pr['max']:.6f}; "
                     f"{s['evaluations']} SDPs")
    lines += failure_lines(s)
    return "\n".join(lines)


KIND = SweepKind("search-restarts", prepare, points, search_task, summarize, describe,
                 "one point per restart of the sharp-threshold search")
