"""``nimc-phase-transition``: the synthetic phase-transition experiment of non-linear inductive
matrix completion (ZJSD18 §4.1, Figure 1 left; ZJSD19 §4, Figure 1 (c)(d)), one point per
``(activation, n, m)`` cell: ``trials`` instances (``U*, V*`` with ``σ_k = 1``), data with
``n₁ = n₂ = n`` and ``|Ω| = m``, GD from ``W⁰ = (1 − α)W* + αW_rand`` (``α = 1``: random), success =
relative test error ``<= tol`` on fresh samples (:func:`certify.nimc.recovery_experiment`).

Grids (the paper's, as functions of ``i``): sigmoid ``n = 10 i``, ``m = 2kd i``; ReLU ``n = 20 i``,
``m = 4kd i``, for ``i`` in ``grid`` (default 1..10).  Cell ``(activation, n, m)`` draws from
``SeedSequence([seed, index of activation in ("relu", "sigmoid"), n, m])``, so its result does not
depend on the order, the executor or the other cells (and equals what
``scripts/nimc_phase_transition.py`` computed before it became a thin call of this kind).  The
summary is the success table per activation.
"""

from __future__ import annotations

import numpy as np

from ...errors import InputError
from ..base import LazyPoints, Point, SweepKind
from .common import counts, failure_lines, failures, posint, unknown

__all__ = ["KIND", "GRID_ACTIVATIONS", "phase_transition_task", "cell_seed", "grids", "table", "results_of"]

#: the activations with a published grid, in the order their seeds index them
GRID_ACTIVATIONS = ("relu", "sigmoid")
PARAMS = ("activations", "grid", "trials", "steps", "alpha", "kappa", "rtol", "tol", "seed", "k", "d")
DEFAULTS = {"activations": ["sigmoid", "relu"], "grid": list(range(1, 11)), "trials": 5, "steps": 5000, "alpha": 1.0,
            "kappa": None, "rtol": 1e-10, "tol": 1e-3, "seed": 2018, "k": 5, "d": 10}


def grids(k: int, d: int) -> dict:
    """``activation -> (n step, m step)``: ``n = n_step · i``, ``m = m_step · i``."""
    return {"sigmoid": (10, 2 * k * d), "relu": (20, 4 * k * d)}


def cell_seed(seed: int, activation: str, n: int, m: int) -> np.random.SeedSequence:
    """The seed of a cell: independent of the order of the cells."""
    return np.random.SeedSequence([int(seed), GRID_ACTIVATIONS.index(activation), int(n), int(m)])


def _real(params, name, lo, hi, allow_none=False):
    v = params[name]
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= float(v) <= hi):
        raise InputError(f"{name}: expected a number in [{lo:g}, {hi:g}]" + (" or null" if allow_none else "")
                         + f", got {v!r}")
    return float(v)


def prepare(params: dict):
    p = {**DEFAULTS, **dict(params)}
    unknown(params, PARAMS, "nimc-phase-transition")
    acts = p["activations"]
    if isinstance(acts, str):
        acts = [acts]
    if not acts or any(a not in GRID_ACTIVATIONS for a in acts) or len(set(acts)) != len(acts):
        raise InputError(f"activations: expected distinct names among {', '.join(GRID_ACTIVATIONS)} (the published grids), "
                         f"got {p['activations']!r}")
    grid = p["grid"]
    if not isinstance(grid, (list, tuple)) or not grid or any(isinstance(i, bool) or not isinstance(i, int) or i < 1
                                                              for i in grid):
        raise InputError(f"grid: expected a non-empty list of integers i >= 1, got {grid!r}")
    spec = {"activations": list(acts), "grid": sorted(set(grid)), "trials": posint(p, "trials"),
            "steps": posint(p, "steps", minimum=0), "alpha": _real(p, "alpha", 0.0, 1.0),
            "kappa": _real(p, "kappa", 1.0, 1e12, allow_none=True), "rtol": _real(p, "rtol", 0.0, 1.0),
            "tol": _real(p, "tol", 1e-300, 1e300), "seed": posint(p, "seed", minimum=0), "k": posint(p, "k"),
            "d": posint(p, "d")}
    if spec["k"] > spec["d"]:
        raise InputError(f"k: expected k <= d, got k = {spec['k']} > d = {spec['d']}")
    return spec, None


def points(p: dict) -> LazyPoints:
    g = grids(p["k"], p["d"])
    cells = [(a, g[a][0] * i_n, g[a][1] * i_m) for a in p["activations"] for i_n in p["grid"] for i_m in p["grid"]]
    common = {k: p[k] for k in ("trials", "steps", "alpha", "kappa", "rtol", "tol", "seed", "k", "d")}
    return LazyPoints(len(cells), lambda i: Point(f"activation={cells[i][0]},n={cells[i][1]},m={cells[i][2]}",
                                                  {**common, "activation": cells[i][0], "n": cells[i][1],
                                                   "m": cells[i][2]}))


def phase_transition_task(p: dict, context=None) -> dict:
    """One cell: :func:`certify.nimc.recovery_experiment` with the cell's seed."""
    from ...nimc import recovery_experiment  # noqa: PLC0415

    return recovery_experiment(p["activation"], p["n"], p["m"], d=p["d"], k=p["k"], trials=p["trials"], alpha=p["alpha"],
                               steps=p["steps"], kappa=p["kappa"], rtol=p["rtol"], tol=p["tol"],
                               seed=np.random.default_rng(cell_seed(p["seed"], p["activation"], p["n"], p["m"])))


def results_of(records) -> list:
    """The finished cells' results (dicts of :func:`certify.nimc.recovery_experiment`)."""
    return [r["result"] for r in records if r is not None and r["status"] == "ok"]


def summarize(params: dict, records: list) -> dict:
    res = results_of(records)
    cells = {a: sorted(({"n": r["n"], "m": r["m"], "successes": r["successes"], "trials": r["trials"], "rate": r["rate"]}
                        for r in res if r["activation"] == a), key=lambda c: (c["n"], c["m"]))
             for a in params["activations"]}
    return {**counts(records), "cells": cells, "k": params["k"], "d": params["d"], "failures": failures(records)}


def table(cells: list, activation: str, k: int, d: int) -> str:
    """Successes out of trials per cell: rows n, columns m (and m / 2kd)."""
    if not cells:
        return ""
    ns, ms = sorted({c["n"] for c in cells}), sorted({c["m"] for c in cells})
    by = {(c["n"], c["m"]): c for c in cells}
    unit = 2 * k * d
    lines = [f"{activation}: successes out of trials; rows n = n1 = n2, columns m = |Omega| (m / 2kd)",
             "n \\ m " + "".join(f"{m:>7d}" for m in ms),
             "      " + "".join(f"{'(' + format(m / unit, 'g') + ')':>7}" for m in ms)]
    for n in ns:
        row = [f"{by[(n, m)]['successes']}/{by[(n, m)]['trials']}" if (n, m) in by else "-" for m in ms]
        lines.append(f"{n:5d} " + "".join(f"{c:>7}" for c in row))
    return "\n".join(lines)


def describe(s: dict) -> str:
    lines = [f"cells: {s['points']} ({s['ok']} ok, {s['failed']} failed, {s['missing']} missing)"]
    for act, cells in s["cells"].items():
        if cells:
            lines += ["", table(cells, act, s["k"], s["d"])]
    lines += failure_lines(s)
    return "\n".join(lines)


KIND = SweepKind("nimc-phase-transition", prepare, points, phase_transition_task, summarize, describe,
                 "NIMC recovery success over the published (n, m) grids (ZJSD18 4.1)")
