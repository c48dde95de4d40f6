"""``curvature-map``: μ*(x, z, δ, g) (:func:`certify.rip.curvature`) over the (ρ, φ) grid of
``rank1-grid`` at a fixed δ and ``grad_tol`` (the points of :func:`certify.rip.saddle_map`)."""

from __future__ import annotations

import math

from ...errors import InputError
from ..base import SweepKind, json_null
from .common import argbest, at, counts, failure_lines, failures, fmt, kind_counts_line, kinds, solver_param, unknown, where
from .grid import grid_axes, grid_points, grid_xz

__all__ = ["KIND", "curvature_task"]


def prepare(params: dict):
    params = dict(params)
    unknown(params, ("rhos", "phis_deg", "phis", "delta", "grad_tol", "solver"), "curvature-map")
    try:
        delta = float(params["delta"])
        gt = float(params.get("grad_tol", 0.0))
    except KeyError:
        raise InputError("curvature-map: missing parameter 'delta'") from None
    except (TypeError, ValueError):
        raise InputError("curvature-map: delta and grad_tol must be numbers") from None
    if not (0.0 <= delta < 1.0):
        raise InputError(f"delta: expected a number in [0, 1), got {delta!r}")
    if not (math.isfinite(gt) and gt >= 0):
        raise InputError(f"grad_tol: expected a number >= 0, got {gt!r}")
    rhos, phis = grid_axes(params, "curvature-map")
    return {"rhos": rhos, "phis_deg": phis, "delta": delta, "grad_tol": gt,
            "solver": solver_param(params.get("solver"))}, None


def curvature_task(p: dict, context=None) -> dict:
    """μ* at ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)`` (φ = ``phi_deg`` degrees; as
    :func:`certify.rip.saddle_map`): ``kind``
    (strict-minimum / strict-saddle / degenerate / infeasible / ground-truth), ``mu`` (lower),
    ``mu_upper`` (checked dual bound), ``min_grad_lower`` (infeasible: checked Farkas bound)."""
    from ...rip import curvature  # noqa: PLC0415

    x, z, ground = grid_xz(p)
    out = {"rho": float(p["rho"]), "phi_deg": float(p["phi_deg"]), "kind": "ground-truth", "mu": None, "mu_upper": None,
           "min_grad_lower": None, "solver_status": None, "flags": []}
    if ground:
        return out
    res = curvature(x, z, float(p["delta"]), float(p["grad_tol"]), solver=p.get("solver"), certificate=False)
    out.update(kind=res.kind, mu=res.mu, mu_upper=res.mu_upper, min_grad_lower=res.min_grad_lower,
               solver_status=(res.solver or {}).get("status"), flags=list(res.flags))
    return json_null(out)


def summarize(params: dict, records: list) -> dict:
    lo = argbest(records, "mu_upper", lambda a, b: a < b)
    hi = argbest(records, "mu", lambda a, b: a > b)
    return {**counts(records), "delta": params["delta"], "grad_tol": params["grad_tol"], "kinds": kinds(records),
            "min_mu_upper": None if lo is None else lo[0], "min_mu_upper_at": where(None if lo is None else lo[1]),
            "max_mu": None if hi is None else hi[0], "max_mu_at": where(None if hi is None else hi[1]),
            "failures": failures(records)}


def describe(s: dict) -> str:
    lines = [f"delta = {s['delta']:g}, grad_tol = {s['grad_tol']:g}; points: {s['points']} ({s['ok']} ok, "
             f"{s['failed']} failed, {s['missing']} missing)",
             "kinds: " + kind_counts_line(s),
             f"largest mu (strict minima if > 0): {fmt(s['max_mu'], '.6g')}{at(s['max_mu_at'])}",
             f"smallest mu_upper (strict saddles if < 0): {fmt(s['min_mu_upper'], '.6g')}{at(s['min_mu_upper_at'])}"]
    lines += failure_lines(s)
    return "\n".join(lines)


KIND = SweepKind("curvature-map", prepare, grid_points, curvature_task, summarize, describe,
                 "mu*(x, z, delta, grad_tol) over a (rho, phi) grid")
