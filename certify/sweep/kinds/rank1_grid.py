"""``rank1-grid``: δ(x, z) by the SDP (:func:`certify.rip.counterexample`: the operator's δ and
the dual-certified lower bound) and the closed form of JMLR19 Theorem 12 over a (ρ, φ) grid, with
``x = ρ (cos φ, sin φ)``, ``z = (1, 0)``; φ in degrees (``phis_deg``, in [0, 180])."""

from __future__ import annotations

import math

from ...errors import NoCounterexampleError
from ..base import SweepKind
from .common import argbest, at, counts, failure_lines, failures, fmt, kind_counts_line, kinds, solver_param, unknown, where
from .grid import grid_axes, grid_points, grid_xz

__all__ = ["KIND", "rank1_task"]


def prepare(params: dict):
    params = dict(params)
    unknown(params, ("rhos", "phis_deg", "phis", "solver"), "rank1-grid")
    rhos, phis = grid_axes(params, "rank1-grid")
    return {"rhos": rhos, "phis_deg": phis, "solver": solver_param(params.get("solver"))}, None


def rank1_task(p: dict, context=None) -> dict:
    """δ(x, z) (SDP: upper ``delta`` and dual-certified ``delta_lower``) and the closed form at
    ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)`` (φ = ``phi_deg`` degrees).  Colinear x, z:
    ``kind = "no-counterexample"`` (δ = 1); x x^T = z z^T: ``kind = "ground-truth"``.  A solver
    failure raises (a failed point)."""
    from ...rip import closed_form_lower_bound_polar, counterexample  # noqa: PLC0415

    x, z, ground = grid_xz(p)
    out = {"rho": float(p["rho"]), "phi_deg": float(p["phi_deg"]), "kind": None, "delta": None, "delta_lower": None,
           "gap": None, "closed_form": None, "closed_form_gap": None, "solver_status": None, "flags": []}
    if ground:
        out["kind"] = "ground-truth"
        return out
    out["closed_form"] = float(closed_form_lower_bound_polar(abs(float(p["rho"])), math.radians(float(p["phi_deg"]))))
    try:
        cert = counterexample(x, z, solver=p.get("solver"))
    except NoCounterexampleError as exc:
        out.update(kind="no-counterexample", message=str(exc))
        return out
    out.update(kind="counterexample", delta=float(cert.delta), delta_lower=float(cert.delta_lower),
               gap=float(cert.delta - cert.delta_lower), closed_form_gap=float(cert.delta - out["closed_form"]),
               solver_status=(cert.solver or {}).get("status"), flags=list(cert.flags))
    return out


def summarize(params: dict, records: list) -> dict:
    lo = argbest(records, "delta", lambda a, b: a < b)
    gap = argbest(records, "closed_form_gap", lambda a, b: abs(a) > abs(b))
    cgap = argbest(records, "gap", lambda a, b: a > b)
    below = [r["key"] for r in records if r is not None and r["status"] == "ok" and r["result"]["delta_lower"] is not None
             and r["result"]["closed_form"] is not None and r["result"]["delta"] < r["result"]["closed_form"] - 1e-7]
    return {**counts(records), "kinds": kinds(records),
            "min_delta": None if lo is None else lo[0], "min_delta_at": where(None if lo is None else lo[1]),
            "max_closed_form_gap": None if gap is None else gap[0],
            "max_closed_form_gap_at": where(None if gap is None else gap[1]),
            "max_certified_gap": None if cgap is None else cgap[0],
            "delta_below_closed_form": below, "failures": failures(records)}


def describe(s: dict) -> str:
    lines = [f"points: {s['points']} ({s['ok']} ok, {s['failed']} failed, {s['missing']} missing); kinds: "
             + kind_counts_line(s)]
    lines.append(f"minimum delta (SDP, operator's RIP constant): {fmt(s['min_delta'])}{at(s['min_delta_at'])}")
    lines.append(f"largest |delta - closed form| (JMLR19 Thm 12): {fmt(s['max_closed_form_gap'], '.3e')}"
                 f"{at(s['max_closed_form_gap_at'])}")
    lines.append(f"largest delta - delta_lower (certified gap): {fmt(s['max_certified_gap'], '.3e')}")
    if s["delta_below_closed_form"]:
        lines.append(f"WARNING: delta below the closed-form lower bound at {len(s['delta_below_closed_form'])} points: "
                     + ", ".join(s["delta_below_closed_form"][:5]))
    lines += failure_lines(s)
    return "\n".join(lines)


KIND = SweepKind("rank1-grid", prepare, grid_points, rank1_task, summarize, describe,
                 "delta(x, z) by the SDP and the closed form over a (rho, phi) grid")
