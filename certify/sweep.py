"""Sweeps at scale: grids and searches run on a process pool or a Dask cluster, with results
appended to a file-backed store as they arrive, and resume after an interruption.

A *sweep* is a kind name and its parameters.  The kind (a :class:`SweepKind` in :data:`KINDS`)
turns the parameters into an ordered sequence of :class:`Point` s, each with a stable string key
and a params dict, and names a module-level *task* function mapping one point's params (and an
optional shared *context*) to a JSON-serializable result dict.  A point's result depends on its
params only (every seed is derived from the params, never from the order, the executor or the
worker), so a sweep gives the same results, bit for bit, serially, on a process pool, on a Dask
cluster, and when it was killed and resumed.

Built-in kinds (``docs/sweeps.md``):

``rank1-grid``
    δ(x, z) by the SDP (:func:`certify.rip.counterexample`: the operator's δ and the
    dual-certified lower bound) and the closed form of JMLR19 Theorem 12 over a (ρ, φ) grid, with
    ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)``; φ is given in DEGREES (``phis_deg``, in [0, 180]).
``curvature-map``
    μ*(x, z, δ, g) (:func:`certify.rip.curvature`) over the same grid at a fixed δ and ``grad_tol``.
``search-restarts``
    one point per restart of :func:`certify.rip.search_sharp_delta` (restart k alone, exactly as in
    the full search); the summary is the best restart.
``validation``
    (S)GD validation trials of a certificate (REFERENCE §1.5, :func:`certify.validate`) split into
    chunks of trials with per-chunk seeds; the summary pools the chunks (exact counts and exact
    error quantiles over all trials).

Points are generated lazily (a sweep never holds its grid in memory) and a sweep has at most
:data:`MAX_POINTS` points (refused before any work).

The store (:class:`Store`) is a JSON Lines file: a header line (format, kind, full parameters,
their hash, package version, its own checksum) and one line per finished point, each with a
``sha256`` checksum of its content and the spec hash, written with one ``write`` and ``fsync`` as
each result arrives.  Reopening it with the same spec skips finished points; another spec is
refused (:class:`~certify.errors.InputError` naming the difference); a truncated last line (a
SIGKILL during a write) is discarded and the file repaired; a complete line whose checksum does
not match (an edit, a damaged disk) is refused with its line number.  A point whose task raised
is recorded as ``failed`` with the exception's type and message; a rerun retries failed points
(``retry_failed=True``, the default), and the store keeps both lines (the ``ok`` one wins).

Python::

    from certify import sweep

    if __name__ == "__main__":     # needed by the process pool in a script (docs/sweeps.md)
        res = sweep.run_sweep("rank1-grid", {"rhos": [0.5, 1.0], "phis_deg": [30, 90]}, "grid.jsonl")
        res.results            # result dicts in point order (None where missing or failed)
        res.summary            # e.g. minimum delta and where, largest closed-form gap, failures
        sweep.load_sweep("grid.jsonl"); sweep.grid_arrays(res)["delta"]  # a (len(rhos), len(phis_deg)) array
        sweep.run_sweep(..., executor="serial" | "process" | "dask", workers=2, scheduler="tcp://host:8786")
"""

from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import inspect
import json
import math
import operator
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ._version import __version__
from .errors import CertifyError, InputError, NoCounterexampleError
from .io import jsonable, parse_grid


def _json_null(obj):
    """Strict JSON for results: NumPy to Python, every non-finite float to ``null``."""
    return jsonable(obj, nonfinite="null")

__all__ = [
    "FORMAT", "FORMAT_VERSION", "MAX_POINTS", "DASK_RETRIES", "KINDS", "Point", "SweepKind", "SweepError",
    "SweepResult", "Store", "register", "get_kind", "spec_hash", "run_sweep", "load_sweep", "grid_arrays",
    "validation_result", "parse_grid", "check_grid_size", "DASK_HINT", "MAIN_GUARD_MESSAGE",
]

FORMAT = "certify.sweep"
FORMAT_VERSION = 2  # 2: per-line sha256 checksums, phi in degrees; 1 (no checksums) is refused
MAX_POINTS = 10**7  # the most points of one sweep (refused before any work above)
DASK_RETRIES = 3  # resubmissions of one point after the Dask cluster lost it (a killed worker)
DASK_HINT = "pip install 'certify[dask]' (or: pip install 'dask[distributed]')"
MAIN_GUARD_MESSAGE = ("run_sweep with the process pool must be called under `if __name__ == '__main__':` (see "
                      "docs/sweeps.md), or use executor='serial'")


class SweepError(CertifyError, RuntimeError):
    """The execution machinery failed (a worker process died, the Dask cluster lost a worker or
    the connection too often).  Every point finished before that is in the store: rerun to resume."""


# ------------------------------------------------------------------------------------------------
# kinds and points
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Point:
    """One task of a sweep: ``key`` (stable, unique within the sweep) and ``params`` (what the task
    function receives; JSON-able)."""

    key: str
    params: dict


@dataclass(frozen=True)
class SweepKind:
    """A kind of sweep.

    ``prepare(params) -> (spec_params, context)``: check and canonicalize the user's parameters
    into the JSON-able dict stored in the header (and hashed), plus an optional picklable
    *context* shared by every task (e.g. a certificate), shipped once per worker.
    ``points(spec_params)``: the ordered points (a pure function of the spec), a sequence
    (``len`` and indexing; a list, or a lazy sequence that builds point ``i`` on demand, as the
    built-in kinds do) or an iterable (then made a list); keys must be unique.
    ``task(point_params, context) -> dict``: module-level (picklable) and deterministic.
    ``summarize(spec_params, records) -> dict``: the sweep's summary from the records in point
    order (``None`` where a point is missing; a sequence read from the store on access, so iterate
    it rather than copying it); ``describe(summary) -> str``: text for the CLI.
    """

    name: str
    prepare: Callable
    points: Callable
    task: Callable
    summarize: Callable | None = None
    describe: Callable | None = None
    description: str = ""


KINDS: dict[str, SweepKind] = {}


def register(kind: SweepKind, *, replace: bool = False) -> SweepKind:
    """Add a kind to :data:`KINDS` (``replace=True`` to override one)."""
    if not isinstance(kind, SweepKind):
        raise InputError(f"kind: expected a SweepKind, got {type(kind).__name__}")
    if kind.name in KINDS and not replace:
        raise InputError(f"sweep kind {kind.name!r} is already registered (pass replace=True to override it)")
    KINDS[kind.name] = kind
    return kind


def get_kind(name) -> SweepKind:
    if isinstance(name, SweepKind):
        return name
    if name not in KINDS:
        raise InputError(f"unknown sweep kind {name!r}; known: {', '.join(sorted(KINDS))}")
    return KINDS[name]


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def spec_hash(kind: str, params: dict) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``{"format_version", "kind", "params"}``."""
    text = _canonical({"format_version": FORMAT_VERSION, "kind": kind, "params": params})
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


class _Points(Sequence):
    """``n`` points, point ``i`` built on demand by ``make(i)``: a sweep never holds its grid."""

    def __init__(self, n: int, make: Callable):
        self.n, self.make = int(n), make

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.make(k) for k in range(*i.indices(self.n))]
        i = operator.index(i)
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.make(i)

    def __iter__(self):
        return map(self.make, range(self.n))


class _Keys(Sequence):
    """The keys of a sequence of points, built on demand."""

    def __init__(self, points):
        self.points = points

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [p.key for p in self.points[i]]
        return self.points[i].key

    def __iter__(self):
        return (p.key for p in self.points)

    def __eq__(self, other):
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)) or len(self) != len(other):
            return NotImplemented if not isinstance(other, Sequence) else False
        return all(a == b for a, b in zip(self, other))

    __hash__ = None

    def __repr__(self) -> str:
        n = len(self)
        head = ", ".join(repr(k) for k in self[: min(n, 3)])
        return f"<{n} keys: {head}{', ...' if n > 3 else ''}>"


def _unknown(params: dict, allowed, kind: str) -> None:
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise InputError(f"{kind}: unknown parameter(s) {', '.join(bad)}; accepted: {', '.join(sorted(allowed))}")


def _axis_size(value, name: str) -> int:
    """The number of values of a grid axis (a ``start:stop:num`` string, a comma list, a number or
    a list) without building a ``start:stop:num`` one."""
    if isinstance(value, str) and value.count(":") == 2:
        try:
            k = int(value.split(":")[2])
        except ValueError:
            k = 0
        if k >= 1:
            return k
    elif isinstance(value, (list, tuple, np.ndarray)):
        return int(np.size(value))
    return len(parse_grid(value, name))  # a comma list or a number (as long as its text), or the error


def check_grid_size(rhos, phis, *, names=("rhos", "phis_deg"), kind: str = "grid") -> int:
    """The number of points of a ``rhos x phis`` grid, computed without building the axes; an
    :class:`InputError` naming the count if it exceeds :data:`MAX_POINTS`."""
    a, b = _axis_size(rhos, names[0]), _axis_size(phis, names[1])
    if a * b > MAX_POINTS:
        raise InputError(f"{kind}: {a * b:,} points ({a:,} {names[0]} x {b:,} {names[1]}) exceed the maximum of "
                         f"{MAX_POINTS:,} points of one sweep; coarsen the grid or split it into several sweeps "
                         "(one store each)")
    return a * b


def _grid_values(value, name: str) -> list[float]:
    vals = parse_grid(value, name)
    if len(set(vals)) != len(vals):
        raise InputError(f"{name}: duplicate values")
    return vals


def _solver_param(v):
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip():
        raise InputError(f"solver: expected a solver name such as 'CLARABEL', got {v!r}")
    return v.strip().upper()


def _to_degrees(v: float) -> float:
    """``v`` radians in degrees: the shortest rounding of ``math.degrees(v)`` that
    ``math.radians`` maps back to ``v`` exactly (``radians(30)`` -> 30.0, not 29.999999999999996),
    so the task computes at the very same angle; ``math.degrees(v)`` if there is none."""
    d = math.degrees(v)
    for digits in range(16):
        c = round(d, digits)
        if math.radians(c) == v:
            return c
    return d


def _grid_axes(params: dict, kind: str):
    """``(rhos, phis_deg)`` of a grid kind: rhos >= 0, angles in degrees in [0, 180].  The old
    parameter ``phis`` (radians) is still accepted, with a FutureWarning, converted by
    :func:`_to_degrees`, and refused when a value is outside [0, pi] (e.g. degrees given under
    the old name)."""
    if "rhos" not in params:
        raise InputError(f"{kind}: missing parameter 'rhos'")
    if "phis" in params and "phis_deg" in params:
        raise InputError(f"{kind}: give phis_deg (degrees) only; phis (radians) is its deprecated old name")
    if "phis" not in params and "phis_deg" not in params:
        raise InputError(f"{kind}: missing parameter 'phis_deg' (the angles phi between x and z, in degrees)")
    old = "phis" in params
    name = "phis" if old else "phis_deg"
    check_grid_size(params["rhos"], params[name], names=("rhos", name), kind=kind)
    rhos = _grid_values(params["rhos"], "rhos")
    if any(v < 0 for v in rhos):
        raise InputError(f"rhos: expected values >= 0, got {min(rhos)!r}")
    vals = _grid_values(params[name], name)
    if old:
        bad = [v for v in vals if not 0.0 <= v <= math.pi]
        if bad:
            raise InputError(f"phis: {bad[0]!r} is not an angle in radians in [0, pi] (degrees?); phis (radians) is "
                             "deprecated: give phis_deg, the angles in degrees in [0, 180]")
        warnings.warn("sweep parameter 'phis' (radians) is deprecated: give 'phis_deg' (degrees, in [0, 180]); "
                      "converted to degrees", FutureWarning, stacklevel=4)
        vals = [_to_degrees(v) for v in vals]
        if len(set(vals)) != len(vals):
            raise InputError("phis: duplicate values")
    else:
        bad = [v for v in vals if not 0.0 <= v <= 180.0]
        if bad:
            raise InputError(f"phis_deg: {bad[0]!r} is outside [0, 180]; phi is the angle between x and z, in degrees")
    return rhos, vals


def _grid_points(p: dict) -> _Points:
    rhos, phis = p["rhos"], p["phis_deg"]
    common = {k: v for k, v in p.items() if k not in ("rhos", "phis_deg")}
    m = len(phis)

    def make(idx):
        i, j = divmod(idx, m)
        rho, phi = rhos[i], phis[j]
        return Point(f"rho={rho!r},phi_deg={phi!r}", {**common, "i": i, "j": j, "rho": rho, "phi_deg": phi})

    return _Points(len(rhos) * m, make)


def _grid_xz(p: dict):
    rho, phi = float(p["rho"]), math.radians(float(p["phi_deg"]))
    x = rho * np.array([math.cos(phi), math.sin(phi)])
    z = np.array([1.0, 0.0])
    ground = np.linalg.norm(np.outer(x, x) - np.outer(z, z)) <= 1e-9 * float(z @ z)
    return x, z, bool(ground)


# --- rank1-grid --------------------------------------------------------------------------------
def _rank1_prepare(params: dict):
    params = dict(params)
    _unknown(params, ("rhos", "phis_deg", "phis", "solver"), "rank1-grid")
    rhos, phis = _grid_axes(params, "rank1-grid")
    return {"rhos": rhos, "phis_deg": phis, "solver": _solver_param(params.get("solver"))}, None


def rank1_task(p: dict, context=None) -> dict:
    """δ(x, z) (SDP: upper ``delta`` and dual-certified ``delta_lower``) and the closed form at
    ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)`` (φ = ``phi_deg`` degrees).  Colinear x, z:
    ``kind = "no-counterexample"`` (δ = 1); x x^T = z z^T: ``kind = "ground-truth"``.  A solver
    failure raises (a failed point)."""
    from .rip import closed_form_lower_bound_polar, counterexample  # noqa: PLC0415

    x, z, ground = _grid_xz(p)
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

def _argbest(records, field_name, better):
    best = None
    for rec in records:
        if rec is None or rec.get("status") != "ok":
            continue
        v = rec["result"].get(field_name)
        if v is None:
            continue
        if best is None or better(v, best[0]):
            best = (v, rec["result"])
    return best


def _counts(records) -> dict:
    c = {"points": len(records), "ok": 0, "failed": 0, "missing": 0}
    for rec in records:
        c["missing" if rec is None else ("ok" if rec["status"] == "ok" else "failed")] += 1
    return c


def _failures(records, limit: int = 10) -> list:
    out = [{"key": r["key"], "error": r.get("error")} for r in records if r is not None and r["status"] != "ok"]
    return out[:limit]


def _kinds(records) -> dict:
    out: dict = {}
    for rec in records:
        if rec is not None and rec["status"] == "ok":
            k = rec["result"].get("kind")
            out[k] = out.get(k, 0) + 1
    return out


def _where(res) -> dict | None:
    return None if res is None else {"rho": res["rho"], "phi_deg": res["phi_deg"]}


def _rank1_summarize(params: dict, records: list) -> dict:
    lo = _argbest(records, "delta", lambda a, b: a < b)
    gap = _argbest(records, "closed_form_gap", lambda a, b: abs(a) > abs(b))
    cgap = _argbest(records, "gap", lambda a, b: a > b)
    below = [r["key"] for r in records if r is not None and r["status"] == "ok" and r["result"]["delta_lower"] is not None
             and r["result"]["closed_form"] is not None and r["result"]["delta"] < r["result"]["closed_form"] - 1e-7]
    return {**_counts(records), "kinds": _kinds(records),
            "min_delta": None if lo is None else lo[0], "min_delta_at": _where(None if lo is None else lo[1]),
            "max_closed_form_gap": None if gap is None else gap[0],
            "max_closed_form_gap_at": _where(None if gap is None else gap[1]),
            "max_certified_gap": None if cgap is None else cgap[0],
            "delta_below_closed_form": below, "failures": _failures(records)}


def _fmt(v, spec=".9f"):
    return "-" if v is None else format(v, spec)


def _at(w):
    return "" if w is None else f" at rho = {w['rho']:.6g}, phi = {w['phi_deg']:.6g} deg"


def _rank1_describe(s: dict) -> str:
    lines = [f"points: {s['points']} ({s['ok']} ok, {s['failed']} failed, {s['missing']} missing); kinds: "
             + ", ".join(f"{k} {v}" for k, v in sorted(s["kinds"].items(), key=lambda kv: str(kv[0])))]
    lines.append(f"minimum delta (SDP, operator's RIP constant): {_fmt(s['min_delta'])}{_at(s['min_delta_at'])}")
    lines.append(f"largest |delta - closed form| (JMLR19 Thm 12): {_fmt(s['max_closed_form_gap'], '.3e')}"
                 f"{_at(s['max_closed_form_gap_at'])}")
    lines.append(f"largest delta - delta_lower (certified gap): {_fmt(s['max_certified_gap'], '.3e')}")
    if s["delta_below_closed_form"]:
        lines.append(f"WARNING: delta below the closed-form lower bound at {len(s['delta_below_closed_form'])} points: "
                     + ", ".join(s["delta_below_closed_form"][:5]))
    lines += [f"failed {f['key']}: {f['error']['type']}: {f['error']['message']}" for f in s["failures"]]
    return "\n".join(lines)


# --- curvature-map -----------------------------------------------------------------------------
def _curv_prepare(params: dict):
    params = dict(params)
    _unknown(params, ("rhos", "phis_deg", "phis", "delta", "grad_tol", "solver"), "curvature-map")
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
    rhos, phis = _grid_axes(params, "curvature-map")
    return {"rhos": rhos, "phis_deg": phis, "delta": delta, "grad_tol": gt,
            "solver": _solver_param(params.get("solver"))}, None


def curvature_task(p: dict, context=None) -> dict:
    """μ* at ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)`` (φ = ``phi_deg`` degrees; as
    :func:`certify.rip.saddle_map`): ``kind``
    (strict-minimum / strict-saddle / degenerate / infeasible / ground-truth), ``mu`` (lower),
    ``mu_upper`` (checked dual bound), ``min_grad_lower`` (infeasible: checked Farkas bound)."""
    from .rip import curvature  # noqa: PLC0415

    x, z, ground = _grid_xz(p)
    out = {"rho": float(p["rho"]), "phi_deg": float(p["phi_deg"]), "kind": "ground-truth", "mu": None, "mu_upper": None,
           "min_grad_lower": None, "solver_status": None, "flags": []}
    if ground:
        return out
    res = curvature(x, z, float(p["delta"]), float(p["grad_tol"]), solver=p.get("solver"), certificate=False)
    out.update(kind=res.kind, mu=res.mu, mu_upper=res.mu_upper, min_grad_lower=res.min_grad_lower,
               solver_status=(res.solver or {}).get("status"), flags=list(res.flags))
    return _json_null(out)


def _curv_summarize(params: dict, records: list) -> dict:
    lo = _argbest(records, "mu_upper", lambda a, b: a < b)
    hi = _argbest(records, "mu", lambda a, b: a > b)
    return {**_counts(records), "delta": params["delta"], "grad_tol": params["grad_tol"], "kinds": _kinds(records),
            "min_mu_upper": None if lo is None else lo[0], "min_mu_upper_at": _where(None if lo is None else lo[1]),
            "max_mu": None if hi is None else hi[0], "max_mu_at": _where(None if hi is None else hi[1]),
            "failures": _failures(records)}


def _curv_describe(s: dict) -> str:
    lines = [f"delta = {s['delta']:g}, grad_tol = {s['grad_tol']:g}; points: {s['points']} ({s['ok']} ok, "
             f"{s['failed']} failed, {s['missing']} missing)",
             "kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(s["kinds"].items(), key=lambda kv: str(kv[0]))),
             f"largest mu (strict minima if > 0): {_fmt(s['max_mu'], '.6g')}{_at(s['max_mu_at'])}",
             f"smallest mu_upper (strict saddles if < 0): {_fmt(s['min_mu_upper'], '.6g')}{_at(s['min_mu_upper_at'])}"]
    lines += [f"failed {f['key']}: {f['error']['type']}: {f['error']['message']}" for f in s["failures"]]
    return "\n".join(lines)


# --- search-restarts ---------------------------------------------------------------------------
def _posint(params, name, default=None, minimum=1):
    v = params.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {v!r}")
    return int(v)


def _search_prepare(params: dict):
    params = dict(params)
    _unknown(params, ("n", "r", "r_star", "restarts", "seed", "max_iter", "polish_evals", "solver"), "search-restarts")
    for name in ("r", "r_star"):
        if name not in params:
            raise InputError(f"search-restarts: missing parameter {name!r}")
    r, rs = _posint(params, "r"), _posint(params, "r_star")
    if rs > r:
        raise InputError(f"r_star: expected r* <= r (got r = {r}, r* = {rs})")
    n = _posint(params, "n", r + rs, r + rs) if params.get("n") is not None else r + rs
    return {"n": n, "r": r, "r_star": rs, "restarts": _posint(params, "restarts", 20),
            "seed": _posint(params, "seed", 0, 0), "max_iter": _posint(params, "max_iter", 200),
            "polish_evals": _posint(params, "polish_evals", 0, 0), "solver": _solver_param(params.get("solver"))}, None


def _search_points(p: dict) -> _Points:
    common = {k: v for k, v in p.items() if k != "restarts"}
    return _Points(p["restarts"], lambda k: Point(f"restart={k}", {**common, "k": k}))


def search_task(p: dict, context=None) -> dict:
    """Restart ``k`` of :func:`certify.rip.search_sharp_delta` alone (``default_rng([seed, k])``),
    its best point re-solved at the tight defaults and verified."""
    from .rip.search import search_sharp_delta  # noqa: PLC0415

    res = search_sharp_delta(p["n"], p["r"], p["r_star"], restarts=1, seed=p["seed"], start=p["k"],
                             max_iter=p["max_iter"], polish_evals=p["polish_evals"], solver=p.get("solver"))
    h = res.history[0]
    return _json_null({"restart": p["k"], "best": h["best"], "start": h["start"], "after_descent": h["after_descent"],
                      "evaluations": h["evaluations"], "trace": h["trace"], "delta": res.delta,
                      "delta_lower": res.delta_lower, "X": res.X, "Z": res.Z, "flags": list(res.certificate.flags)})


def _search_summarize(params: dict, records: list) -> dict:
    from .rip.search import published_threshold  # noqa: PLC0415

    ok = [r["result"] for r in records if r is not None and r["status"] == "ok"]
    pub = published_threshold(params["r"], params["r_star"])
    out = {**_counts(records), "n": params["n"], "r": params["r"], "r_star": params["r_star"], "published": pub,
           "failures": _failures(records)}
    if ok:
        # the same choice as search_sharp_delta: smallest search value, first restart on ties
        b = min(ok, key=lambda d: (d["best"], d["restart"]))
        per = sorted(d["best"] for d in ok)
        out.update(best_restart=b["restart"], best_search_value=b["best"], delta=b["delta"], delta_lower=b["delta_lower"],
                   X=b["X"], Z=b["Z"], gap_to_published=b["delta"] - pub["value"],
                   per_restart={"min": per[0], "median": float(np.median(per)), "max": per[-1]},
                   evaluations=sum(d["evaluations"] for d in ok))
    return out


def _search_describe(s: dict) -> str:
    p = s["published"]
    lines = [f"search-restarts (n = {s['n']}, r = {s['r']}, r* = {s['r_star']}): {s['points']} restarts ({s['ok']} ok, "
             f"{s['failed']} failed, {s['missing']} missing)"]
    if "delta" in s:
        pr = s["per_restart"]
        lines.append(f"best: restart {s['best_restart']}, delta = {s['delta']:.9f} (dual-certified >= {s['delta_lower']:.9f}); "
                     f"published {p['value']:.9f} ({p['kind']}); difference {s['gap_to_published']:+.2e}")
        lines.append(f"best per restart min/median/max = {pr['min']:.6f}/{pr['median']:.6f}/{pr['max']:.6f}; "
                     f"{s['evaluations']} SDPs")
    lines += [f"failed {f['key']}: {f['error']['type']}: {f['error']['message']}" for f in s["failures"]]
    return "\n".join(lines)


# --- validation --------------------------------------------------------------------------------
def _cert_identity(d: dict) -> str:
    core = {k: d.get(k) for k in ("instance", "operator", "delta")}
    return "sha256:" + hashlib.sha256(_canonical(core).encode("utf-8")).hexdigest()


def chunk_seed(seed: int, chunk: int) -> int:
    """The seed of chunk ``chunk``: the first 32-bit word of ``SeedSequence([seed, chunk])``."""
    return int(np.random.SeedSequence([int(seed), int(chunk)]).generate_state(1, dtype=np.uint32)[0])


def _validation_prepare(params: dict):
    from .certificates import Certificate, load  # noqa: PLC0415
    from .nonconvex import sensing  # noqa: PLC0415

    params = dict(params)
    _unknown(params, ("certificate", "trials", "chunk", "gammas", "steps", "method", "seed", "step_size", "batch",
                      "decay", "tol", "tol_spurious", "init_scale"), "validation")
    c = params.get("certificate")
    if c is None:
        raise InputError("validation: missing parameter 'certificate' (a Certificate or a certificate file)")
    cert = c if isinstance(c, Certificate) else load(c)
    d = cert.to_dict()
    d["validations"] = []
    trials = _posint(params, "trials", 1000)
    chunk = _posint(params, "chunk", 1000)
    method = params.get("method", "sgd")
    if method not in ("sgd", "gd"):
        raise InputError(f"method: expected 'sgd' or 'gd', got {method!r}")
    try:
        gam = [float(g) for g in np.asarray(params.get("gammas", (0.0, 0.25, 0.5, 0.75, 1.0)), dtype=float).reshape(-1)]
    except (TypeError, ValueError):
        raise InputError(f"gammas: expected numbers in [0, 1], got {params.get('gammas')!r}") from None
    if not gam or not all(0.0 <= g <= 1.0 for g in gam):
        raise InputError(f"gammas: expected a non-empty list of numbers in [0, 1], got {params.get('gammas')!r}")
    batch = _posint(params, "batch", 1)
    steps = _posint(params, "steps", 10_000, 0)
    step_size = params.get("step_size")
    if step_size is None:
        step_size = sensing.default_step_size(cert.operator, cert.Z, method, batch)
    Z = cert.Z
    init_scale = params.get("init_scale")
    s = float(np.sqrt(np.linalg.norm(Z.T @ Z))) if init_scale is None else float(init_scale)
    decay = params.get("decay")
    tol, tol_sp = float(params.get("tol", 1e-3)), float(params.get("tol_spurious", 0.1))
    checks = [("step_size", float(step_size)), ("init_scale", s), ("tol", tol), ("tol_spurious", tol_sp)]
    if decay is not None:
        checks.append(("decay", float(decay)))
    for name, v in checks:
        if not (math.isfinite(v) and v > 0):
            raise InputError(f"{name}: expected a positive number, got {v!r}")
    # the protocol's own checks (batch <= m, ...) up front, not in every chunk task
    sensing.check_run_args(cert.operator, method, steps, step_size, decay, batch if method == "sgd" else None)
    from .validation import MAX_TRIALS  # noqa: PLC0415

    if chunk > MAX_TRIALS:
        raise InputError(f"chunk: at most {MAX_TRIALS} trials per chunk (validation.MAX_TRIALS), got {chunk}")
    spec = {"certificate": {"sha256": _cert_identity(d), "name": cert.name, "n": cert.n, "r": cert.r,
                            "r_star": cert.r_star, "delta": float(cert.delta), "source": cert.source},
            "trials": trials, "chunk": chunk, "gammas": gam, "steps": steps, "method": method,
            "seed": _posint(params, "seed", 0, 0), "step_size": float(step_size),
            "batch": batch if method == "sgd" else None, "decay": None if decay is None else float(decay),
            "tol": tol, "tol_spurious": tol_sp, "init_scale": s}
    return spec, d


def _validation_points(p: dict) -> _Points:
    common = {k: v for k, v in p.items() if k not in ("trials", "chunk", "certificate")}
    common["certificate_sha256"] = p["certificate"]["sha256"]
    return _Points(-(-p["trials"] // p["chunk"]), lambda c: Point(
        f"chunk={c}", {**common, "chunk": c, "trials": min(p["chunk"], p["trials"] - c * p["chunk"]),
                       "seed": chunk_seed(p["seed"], c)}))


_CERT_CACHE: dict = {}


def validation_task(p: dict, context) -> dict:
    """One chunk of validation trials: the protocol of :func:`certify.validate` (same start and
    stream derivation from ``(seed, γ)``, here with the chunk's seed), returning per γ the counts
    and the sorted per-trial errors (``None`` = diverged) so that chunks pool exactly."""
    from .certificates import Certificate  # noqa: PLC0415
    from .validation import run_trials  # noqa: PLC0415

    ident = p["certificate_sha256"]
    cert = _CERT_CACHE.get(ident)
    if cert is None:
        if context is None or _cert_identity(context) != ident:
            raise InputError("validation: the certificate shipped to the worker does not match the sweep's")
        cert = _CERT_CACHE[ident] = Certificate.from_dict(context)
    trials = int(p["trials"])
    rows = []
    for g in p["gammas"]:
        g = float(g)
        out = run_trials(cert.operator, cert.X, cert.Z, g, trials, int(p["seed"]), init_scale=float(p["init_scale"]),
                         method=p["method"], steps=p["steps"], step_size=p["step_size"], batch=p["batch"],
                         decay=p["decay"], tol=p["tol"], tol_spurious=p["tol_spurious"])
        err, succ, spur, div, other = out.errors, out.success, out.spurious, out.diverged, out.other
        rows.append({"gamma": g, "trials": trials, "successes": int(succ.sum()), "spurious": int(spur.sum()),
                     "diverged": int(div.sum()), "other": int(other.sum()),
                     "errors": [float(e) if math.isfinite(e) else None for e in np.sort(err)]})
    return {"chunk": int(p["chunk"]), "seed": int(p["seed"]), "trials": trials, "rows": rows}


def _validation_summarize(params: dict, records: list) -> dict:
    from .validation import QUANTILES  # noqa: PLC0415

    ok = [r["result"] for r in records if r is not None and r["status"] == "ok"]
    rows = []
    for gi, g in enumerate(params["gammas"]):
        parts = [d["rows"][gi] for d in ok]
        t = sum(pr["trials"] for pr in parts)
        counts = {k: sum(pr[k] for pr in parts) for k in ("successes", "spurious", "diverged", "other")}
        if t:
            err = np.array([math.inf if e is None else e for pr in parts for e in pr["errors"]])
            q = {k: float(np.quantile(err, v, method="inverted_cdf")) for k, v in QUANTILES.items()}
            q = {k: (v if math.isfinite(v) else None) for k, v in q.items()}
        else:
            q = {k: None for k in QUANTILES}
        rows.append({"gamma": g, "trials": t, **counts,
                     **{f"{k}_rate": (counts[c] / t if t else None)
                        for k, c in (("success", "successes"), ("spurious", "spurious"), ("diverged", "diverged"),
                                     ("other", "other"))},
                     "error_quantiles": q, "seconds": None})
    settings = {k: params[k] for k in ("gammas", "steps", "method", "seed", "step_size", "batch", "decay", "tol",
                                       "tol_spurious", "init_scale")}
    settings.update(trials=sum(d["trials"] for d in ok), trials_requested=params["trials"], chunk=params["chunk"],
                    seeds="chunk c uses seed SeedSequence([seed, c]).generate_state(1, uint32)[0] (certify.sweep.chunk_seed)",
                    init="X0 = (1 - gamma) X_spurious + gamma W, W iid N(0, init_scale^2)",
                    error="min over orthogonal R of ||X - Z R||_F / ||Z||_F")
    cert = params["certificate"]
    return {**_counts(records), "rows": rows, "settings": settings,
            "certificate": {k: cert[k] for k in ("name", "n", "r", "r_star", "delta", "source")},
            "failures": _failures(records)}


def validation_result(result):
    """The pooled :class:`certify.validation.ValidationResult` of a ``validation`` sweep (or its
    summary dict): ``.table()``, ``.plot()``, ``.save()``."""
    from .validation import ValidationResult  # noqa: PLC0415

    s = result.summary if isinstance(result, SweepResult) else result
    d = {"rows": [{k: row[k] for k in ("gamma", "trials", "successes", "spurious", "diverged", "other", "success_rate",
                                       "spurious_rate", "diverged_rate", "other_rate", "error_quantiles", "seconds")}
                  for row in s["rows"]],
         "settings": s["settings"], "certificate": s["certificate"], "elapsed": 0.0, "created": ""}
    for row in d["rows"]:
        for k in ("success_rate", "spurious_rate", "diverged_rate", "other_rate"):
            row[k] = float("nan") if row[k] is None else row[k]
    return ValidationResult.from_dict(d)


def _validation_describe(s: dict) -> str:
    st = s["settings"]
    lines = [f"{st['method'].upper()} from X0 = (1-gamma) X + gamma W, W ~ N(0, {st['init_scale']:.3g}^2); {st['steps']} steps, "
             f"step size {st['step_size']:.4g}" + (f", batch {st['batch']}" if st["batch"] else "")
             + f"; {st['trials']} of {st['trials_requested']} trials in chunks of {st['chunk']} ({s['ok']} of "
             f"{s['points']} chunks done); success: error <= {st['tol']:g}; spurious: within {st['tol_spurious']:g} of X"]
    if st["trials"]:
        lines.append(validation_result(s).table())
    lines += [f"failed {f['key']}: {f['error']['type']}: {f['error']['message']}" for f in s["failures"]]
    return "\n".join(lines)


register(SweepKind("rank1-grid", _rank1_prepare, _grid_points, rank1_task, _rank1_summarize, _rank1_describe,
                   "delta(x, z) by the SDP and the closed form over a (rho, phi) grid"))
register(SweepKind("curvature-map", _curv_prepare, _grid_points, curvature_task, _curv_summarize, _curv_describe,
                   "mu*(x, z, delta, grad_tol) over a (rho, phi) grid"))
register(SweepKind("search-restarts", _search_prepare, _search_points, search_task, _search_summarize, _search_describe,
                   "one point per restart of the sharp-threshold search"))
register(SweepKind("validation", _validation_prepare, _validation_points, validation_task, _validation_summarize,
                   _validation_describe, "(S)GD validation trials of a certificate in chunks"))


# ------------------------------------------------------------------------------------------------
# the store
# ------------------------------------------------------------------------------------------------
_MISSING, _FAILED, _OK = 0, 1, 2
_CACHE_LIMIT = 100_000  # a record view caches its records when the sweep has at most this many points
_REMEDY = ("the store cannot be trusted: delete that line to have the point recomputed, or rerun the sweep into "
           "a new file")


def _describe_value(v, limit: int = 60) -> str:
    t = json.dumps(v, allow_nan=False)
    return t if len(t) <= limit else t[: limit - 3] + "..."


def _spec_diff(old, new, prefix: str = "") -> str:
    """The differences between two specs, e.g. ``phis_deg[2]: 60.0 in the store, 45.0 requested``."""
    if isinstance(old, dict) and isinstance(new, dict):
        parts = []
        for k in sorted(set(old) | set(new)):
            name = f"{prefix}.{k}" if prefix else str(k)
            if k not in old:
                parts.append(f"{name}: absent in the store, {_describe_value(new[k])} requested")
            elif k not in new:
                parts.append(f"{name}: {_describe_value(old[k])} in the store, absent in the request")
            elif _canonical(old[k]) != _canonical(new[k]):
                parts.append(_spec_diff(old[k], new[k], name))
        return "; ".join(parts)
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        i = next(i for i, (a, b) in enumerate(zip(old, new)) if _canonical(a) != _canonical(b))
        return _spec_diff(old[i], new[i], f"{prefix}[{i}]")
    if isinstance(old, list) and isinstance(new, list):
        return f"{prefix}: {len(old)} values in the store, {len(new)} requested"
    return f"{prefix}: {_describe_value(old, 80)} in the store, {_describe_value(new, 80)} requested"


def _line_checksum(body: str, spec: str) -> str:
    """sha256 (hex) of a record's canonical JSON (without its ``sha256`` field) followed by the
    spec hash: an edited line, or a line of another sweep, does not match."""
    return hashlib.sha256((body + spec).encode("utf-8")).hexdigest()


def _header_checksum(header: dict) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in header.items() if k != "sha256"}).encode("utf-8")).hexdigest()


def _with_checksum(body: str, checksum: str) -> bytes:
    """The line of a canonical JSON object ``body`` with ``"sha256"`` added last."""
    return (body[:-1] + f',"sha256":"{checksum}"}}\n').encode("ascii")


def _parse_record(path, lineno: int, raw: bytes, spec: str, npoints: int) -> dict:
    """A record line, checked: JSON object, checksum, fields.  ``InputError`` naming the line."""
    try:
        rec = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: line {lineno}: not a sweep record ({exc}); {_REMEDY}") from None
    if not isinstance(rec, dict):
        raise InputError(f"{path}: line {lineno}: not a sweep record (not a JSON object); {_REMEDY}")
    got = rec.pop("sha256", None)
    if not isinstance(got, str):
        raise InputError(f"{path}: line {lineno}: no checksum (edited or damaged); {_REMEDY}")
    try:
        body = _canonical(rec)
    except ValueError:
        body = ""
    if got != _line_checksum(body, spec):
        raise InputError(f"{path}: line {lineno}: checksum mismatch (edited or damaged); {_REMEDY}")
    idx = rec.get("index")
    if (isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < npoints or not isinstance(rec.get("key"), str)
            or rec.get("status") not in ("ok", "failed")):
        raise InputError(f"{path}: line {lineno}: not a record of this sweep (key, index or status); {_REMEDY}")
    return rec


def _check_header(path, header) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputError(f"{path}: not a certify sweep store (its first line is not a '{FORMAT}' header); "
                         "refusing to touch it: choose another file")
    version = header.get("format_version")
    if version == 1:
        raise InputError(f"{path}: a sweep store of format 1, written before per-line checksums, cannot be verified; "
                         f"certify {__version__} reads format {FORMAT_VERSION} only: rerun the sweep into a new file "
                         "(the old file stays readable as JSON Lines)")
    if version != FORMAT_VERSION:
        raise InputError(f"{path}: sweep store format_version {version!r} is not supported "
                         f"(this is certify {__version__}, format {FORMAT_VERSION})")
    if header.get("sha256") != _header_checksum(header):
        raise InputError(f"{path}: line 1: checksum mismatch (edited or damaged header); the store cannot be trusted: "
                         "rerun the sweep into a new file")
    kind, params, points = header.get("kind"), header.get("params"), header.get("points")
    if (not isinstance(kind, str) or not isinstance(params, dict) or isinstance(points, bool)
            or not isinstance(points, int) or points < 0 or header.get("spec_hash") != spec_hash(kind, params)):
        raise InputError(f"{path}: line 1: the header's kind, params, points or spec_hash are inconsistent; the store "
                         "cannot be trusted: rerun the sweep into a new file")


@dataclass
class _Scan:
    header: dict | None
    status: np.ndarray  # per point: _MISSING / _FAILED / _OK
    offsets: np.ndarray  # per point: byte offset of its record (the ok one, else the last failed one), -1 if none
    size: int  # bytes of complete lines (the file is cut there on repair)
    repaired: str | None


def _scan(path, fh, keys=None, on_header=None) -> _Scan:
    """Read a store line by line (bounded memory: two arrays of one entry per point).  A last line
    without its newline is reported in ``repaired`` and left out of ``size``; any other damage
    raises an :class:`InputError` naming the line.  ``on_header(header)`` is called once the
    header is checked, before the records (e.g. to refuse another spec before anything else)."""
    fh.seek(0)
    first = fh.readline()
    if not first.endswith(b"\n"):  # an empty file, or a header cut by a crash: a new store
        return _Scan(None, np.zeros(0, np.uint8), np.zeros(0, np.int64), 0,
                     f"discarded a truncated header ({len(first)} bytes)" if first else None)
    try:
        header = json.loads(first)
    except (ValueError, UnicodeDecodeError):
        header = None
    _check_header(path, header)
    if on_header is not None:
        on_header(header)
    n = header["points"]
    spec = header["spec_hash"]
    status, offsets = np.zeros(n, np.uint8), np.full(n, -1, np.int64)
    pos, lineno, repaired = len(first), 1, None
    for raw in fh:
        lineno += 1
        if not raw.endswith(b"\n"):  # the last line, cut by a crash during its write
            repaired = f"discarded a truncated last line ({len(raw)} bytes)"
            break
        rec = _parse_record(path, lineno, raw, spec, n)
        i = rec["index"]
        if keys is not None and keys[i] != rec["key"]:
            raise InputError(f"{path}: line {lineno}: the record's key {rec['key']!r} is not point {i} of this sweep "
                             f"({keys[i]!r}); {_REMEDY}")
        if status[i] == _OK:  # the runner never writes a point again once its result is in
            raise InputError(f"{path}: line {lineno}: a second record for point {rec['key']}, whose result an earlier "
                             f"line holds already; {_REMEDY}")
        status[i] = _OK if rec["status"] == "ok" else _FAILED
        offsets[i] = pos
        pos += len(raw)
    return _Scan(header, status, offsets, pos, repaired)


class _Records(Sequence):
    """The records of a store in point order (``None`` where missing), read from the file on
    access and checked again (checksum and index); cached when the sweep is small."""

    def __init__(self, path, offsets, spec: str):
        self.path, self.offsets, self.spec = Path(path), offsets, spec
        self._cache = None

    def __len__(self) -> int:
        return len(self.offsets)

    def _read(self, fh, i: int):
        off = int(self.offsets[i])
        if off < 0:
            return None
        fh.seek(off)
        raw = fh.readline()
        if not raw.endswith(b"\n"):
            raise InputError(f"{self.path}: the store changed since it was read (point {i}); reload it with load_sweep")
        try:
            rec = _parse_record(self.path, f"at byte {off}", raw, self.spec, len(self.offsets))
        except InputError as exc:
            raise InputError(f"{exc} (the store changed since it was read?)") from None
        if rec["index"] != i:
            raise InputError(f"{self.path}: the store changed since it was read (point {i}); reload it with load_sweep")
        return rec

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = operator.index(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        if self._cache is not None:
            return self._cache[i]
        with open(self.path, "rb") as fh:
            return self._read(fh, i)

    def __iter__(self):
        if self._cache is not None:
            yield from self._cache
            return
        if len(self) <= _CACHE_LIMIT:
            with open(self.path, "rb") as fh:
                self._cache = [self._read(fh, i) for i in range(len(self))]
            yield from self._cache
            return
        with open(self.path, "rb") as fh:
            for i in range(len(self)):
                yield self._read(fh, i)


class Store:
    """The JSON Lines store of one sweep (see the module docstring and ``docs/sweeps.md``).

    ``Store.open(path, kind, params, keys)`` creates it (header line) or reopens it: checks that
    it holds the same spec and that every line's checksum matches, repairs a truncated last line,
    notes which points are done (``status``, one byte per point; ``offsets`` of their lines), and
    takes an exclusive lock (a second runner on the same file gets an :class:`InputError`).
    ``append(index, record)`` writes one line (with its checksum) with a single ``write`` and ``fsync``.
    """

    def __init__(self, path, fd, header, scan: _Scan, fsync=True):
        self.path = Path(path)
        self.fd = fd
        self.header = header
        self.status = scan.status
        self.offsets = scan.offsets
        self.size = scan.size
        self.repaired = scan.repaired
        self.fsync = fsync

    # -- reading ---------------------------------------------------------------------------------
    @staticmethod
    def read(path, keys=None) -> _Scan:
        """Scan a store file (no lock, no repair: a truncated last line is ignored)."""
        with open(path, "rb") as fh:
            return _scan(path, fh, keys)

    def records(self) -> _Records:
        return _Records(self.path, self.offsets, self.header["spec_hash"])

    @classmethod
    def open(cls, path, kind: str, params: dict, keys, *, fsync: bool = True) -> "Store":
        path = Path(path)
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"{path}: the folder {folder} does not exist")
        if path.is_dir():
            raise InputError(f"{path}: is a folder, expected a store file")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            _lock(fd, path)
            h = spec_hash(kind, params)

            def same_spec(header):
                if header.get("kind") != kind:
                    raise InputError(f"{path}: the store holds a {header.get('kind')!r} sweep, not {kind!r}; "
                                     "use another file (or delete this one to start over)")
                if header.get("spec_hash") != h:
                    diff = _spec_diff(header.get("params") or {}, params) or "parameters hash differently"
                    raise InputError(f"{path}: the store holds a {kind} sweep with other parameters ({diff}); "
                                     "results are never mixed: use another file (or delete this one to start over)")
                if header.get("package_version") != __version__:
                    raise InputError(f"{path}: the store was written by certify {header.get('package_version')}, this is "
                                     f"certify {__version__}; results are never mixed: use another file")
                if header["points"] != len(keys):
                    raise InputError(f"{path}: the store's header counts {header['points']} points, this sweep has "
                                     f"{len(keys)}; the store is damaged: rerun the sweep into a new file")

            with os.fdopen(os.dup(fd), "rb") as fh:
                scan = _scan(path, fh, keys, same_spec)
            header = scan.header
            if header is None:
                os.ftruncate(fd, 0)
                header = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "params": params,
                          "spec_hash": h, "points": len(keys), "package_version": __version__,
                          "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}
                header["sha256"] = _header_checksum(header)
                line = (json.dumps(header, allow_nan=False) + "\n").encode("utf-8")
                os.write(fd, line)
                os.fsync(fd)
                _fsync_dir(folder)
                scan = _Scan(header, np.zeros(len(keys), np.uint8), np.full(len(keys), -1, np.int64), len(line),
                             scan.repaired)
            elif scan.repaired is not None:
                os.ftruncate(fd, scan.size)
                os.fsync(fd)
            return cls(path, fd, header, scan, fsync)
        except BaseException:
            os.close(fd)
            raise

    # -- writing ---------------------------------------------------------------------------------
    def append(self, index: int, record: dict) -> None:
        """Write the record of point ``index`` (``key``, ``status``, ...; ``index`` and ``sha256``
        are added).  A point whose result is in the store already is never written again."""
        index = int(index)
        if self.status[index] == _OK:
            raise SweepError(f"internal error: point {index} ({record.get('key')}) is already done in {self.path}")
        body = _canonical({**record, "index": index})
        line = _with_checksum(body, _line_checksum(body, self.header["spec_hash"]))
        n = os.write(self.fd, line)
        while n < len(line):  # regular files: a short write only on a full disk or a signal
            n += os.write(self.fd, line[n:])
        if self.fsync:
            os.fsync(self.fd)
        self.offsets[index] = self.size
        self.status[index] = _OK if record["status"] == "ok" else _FAILED
        self.size += len(line)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _lock(fd, path) -> None:
    try:
        import fcntl  # noqa: PLC0415
    except ImportError:  # pragma: no cover - not POSIX
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise InputError(f"{path}: the store is in use by another running sweep") from None


def _fsync_dir(folder) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)


# ------------------------------------------------------------------------------------------------
# results
# ------------------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    """A sweep's records in point order.

    ``records[i]`` is the store's line for point ``keys[i]`` (``None`` if not done): ``status``
    (``"ok"`` / ``"failed"``), ``result`` (the task's dict) or ``error`` (``type``, ``message``),
    ``seconds``.  ``records`` and ``keys`` are sequences read on access (from the store file and
    the kind's points), so a result of millions of points is small; ``results`` lists the result
    dicts (``None`` where missing or failed).  ``computed``/``resumed``: points computed by this
    run / found finished in the store; ``resubmitted``: tasks submitted again after the Dask
    cluster lost them.
    """

    kind: str
    params: dict
    keys: Sequence
    records: Sequence
    summary: dict
    path: Path | None = None
    header: dict = field(default_factory=dict)
    computed: int = 0
    resumed: int = 0
    elapsed: float = 0.0
    repaired: str | None = None
    resubmitted: int = 0

    @property
    def results(self) -> list:
        return [None if r is None or r["status"] != "ok" else r["result"] for r in self.records]

    @property
    def failed(self) -> list:
        return [r for r in self.records if r is not None and r["status"] != "ok"]

    @property
    def missing(self) -> list:
        return [k for k, r in zip(self.keys, self.records) if r is None]

    @property
    def complete(self) -> bool:
        return all(r is not None and r["status"] == "ok" for r in self.records)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "store": None if self.path is None else str(self.path), "points": len(self.keys),
                "ok": sum(1 for r in self.records if r is not None and r["status"] == "ok"),
                "failed": len(self.failed), "missing": len(self.missing), "computed": self.computed,
                "resumed": self.resumed, "resubmitted": self.resubmitted, "elapsed": self.elapsed,
                "repaired": self.repaired, "params": self.params,
                "summary": self.summary}


def _build_result(kind_name, params, keys, records, path, header, **extra) -> SweepResult:
    kind = KINDS.get(kind_name)
    summary = kind.summarize(params, records) if kind is not None and kind.summarize is not None else _counts(records)
    return SweepResult(kind=kind_name, params=params, keys=keys, records=records, summary=summary,
                       path=None if path is None else Path(path), header=header, **extra)


def _points_of(kind: SweepKind, spec: dict):
    """The kind's points as a sequence, refused above :data:`MAX_POINTS` or with repeated keys."""
    points = kind.points(spec)
    if not isinstance(points, Sequence):
        points = list(points)
    if len(points) > MAX_POINTS:
        raise InputError(f"{kind.name}: {len(points):,} points exceed the maximum of {MAX_POINTS:,} points of one "
                         "sweep; split it into several sweeps (one store each)")
    if not isinstance(points, _Points):  # the built-in kinds' keys are unique by construction
        keys = [pt.key for pt in points]
        if len(set(keys)) != len(keys):
            raise InputError(f"{kind.name}: the points' keys are not unique")
    return points


def load_sweep(path) -> SweepResult:
    """Read a store (no lock, no repair: a truncated last line is ignored; every other line's
    checksum is checked): the records in point order and the kind's summary.  Points are rebuilt
    from the header when the kind is registered, else keyed by the records' ``key``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    with open(p, "rb") as fh:
        fh.seek(0)
        first = fh.readline()
        if not first.endswith(b"\n"):
            raise InputError(f"{path}: empty sweep store")
        try:
            header = json.loads(first)
        except (ValueError, UnicodeDecodeError):
            header = None
        _check_header(p, header)
        kind = KINDS.get(header["kind"])
        keys = None
        if kind is not None:
            points = kind.points(header["params"])
            if not isinstance(points, Sequence):
                points = list(points)
            if len(points) != header["points"]:
                raise InputError(f"{path}: the header counts {header['points']} points, the {kind.name} sweep of its "
                                 f"params has {len(points)}; the store is damaged")
            keys = _Keys(points)
        scan = _scan(p, fh, keys)
    records = _Records(p, scan.offsets, header["spec_hash"])
    if keys is None:
        keys = [f"#{i}" if r is None else r["key"] for i, r in enumerate(records)]
    return _build_result(header["kind"], header["params"], keys, records, p, header, repaired=scan.repaired)


def grid_arrays(result) -> dict:
    """For a ``rank1-grid`` or ``curvature-map`` sweep (a :class:`SweepResult` or a store path):
    ``rho``, ``phi_deg`` (the grid's angles, degrees), ``phi`` (the same in radians) and, for every
    field of the results, an array of shape ``(len(rhos), len(phis_deg))``: floats (``nan`` where
    absent) or objects (``kind``; ``status`` is ``"ok"``/``"failed"``/``None``)."""
    if not isinstance(result, SweepResult):
        result = load_sweep(result)
    if result.kind not in ("rank1-grid", "curvature-map"):
        raise InputError(f"grid_arrays: expected a rank1-grid or curvature-map sweep, got {result.kind!r}")
    rhos, phis = np.array(result.params["rhos"]), np.array(result.params["phis_deg"])
    shape = (rhos.size, phis.size)
    fields = ("delta", "delta_lower", "gap", "closed_form", "closed_form_gap") if result.kind == "rank1-grid" \
        else ("mu", "mu_upper", "min_grad_lower")
    out = {"rho": rhos, "phi_deg": phis, "phi": np.radians(phis), "kind": np.full(shape, None, dtype=object),
           "status": np.full(shape, None, dtype=object)}
    for f in fields:
        out[f] = np.full(shape, np.nan)
    for idx, rec in enumerate(result.records):
        i, j = divmod(idx, phis.size)
        if rec is None:
            continue
        out["status"][i, j] = rec["status"]
        if rec["status"] != "ok":
            continue
        res = rec["result"]
        out["kind"][i, j] = res.get("kind")
        for f in fields:
            if res.get(f) is not None:
                out[f][i, j] = res[f]
    return out

# ------------------------------------------------------------------------------------------------
# execution
# ------------------------------------------------------------------------------------------------
_WORKER_CONTEXT = None


def _init_worker(context) -> None:
    """Process-pool initializer: keep the shared context; leave Ctrl-C to the parent; end this
    worker as soon as the parent process is gone (also after a SIGKILL of the parent)."""
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # pragma: no cover
        pass
    _exit_with_parent()


def _exit_with_parent() -> None:
    """A daemon thread that waits on the parent's sentinel (a pipe whose write end only the
    parent holds: readable once the parent is gone, however it ended) and then exits this process
    at once.  The workers of a pool (children of the forkserver, not of the parent) would otherwise
    wait forever for tasks, and keep the forkserver and the resource tracker alive with them."""
    import multiprocessing as mp  # noqa: PLC0415

    parent = mp.parent_process()
    if parent is None:  # pragma: no cover - not a multiprocessing child
        return

    def watch():
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="certify-sweep-parent-watch", daemon=True).start()


class _Terminated(BaseException):
    """SIGTERM arrived during :func:`run_sweep`: unwind (cancel the tasks, stop the workers, close
    the store), then die of the signal as the default action would have."""


_SIGTERM_DEPTH = 0


def _on_sigterm(signum, frame):
    if _SIGTERM_DEPTH > 0:
        raise _Terminated()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # pragma: no cover - between two run_sweep calls
    os.kill(os.getpid(), signal.SIGTERM)  # pragma: no cover


@contextmanager
def _sigterm_unwinds():
    """While a sweep runs in the main thread and SIGTERM has its default action, SIGTERM unwinds
    the sweep (the workers are stopped, the store closed) and then kills the process with SIGTERM."""
    global _SIGTERM_DEPTH
    installed = False
    if threading.current_thread() is threading.main_thread():
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _on_sigterm)
                installed = True
        except (ValueError, OSError, AttributeError):  # pragma: no cover - no SIGTERM here
            pass
    _SIGTERM_DEPTH += 1
    try:
        yield
    except _Terminated:
        raise SystemExit(128 + signal.SIGTERM) from None
    finally:
        _SIGTERM_DEPTH -= 1
        if installed and _SIGTERM_DEPTH == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _is_main_test(test) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            sides = (node.left, node.comparators[0])
            if any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and \
                    any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides):
                return True
    return False


def _main_guarded(source: str, lineno: int) -> bool:
    """Whether line ``lineno`` of the module ``source`` is inside the body of an
    ``if __name__ == "__main__":`` (at any depth of module-level compound statements)."""
    def blocks(st):
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            sub = getattr(st, name, None)
            if isinstance(sub, list) and sub:
                if isinstance(sub[0], ast.stmt):
                    yield sub
                else:  # except handlers, match cases
                    for h in sub:
                        yield h.body

    def visit(stmts) -> bool:
        for st in stmts:
            if not st.lineno <= lineno <= (st.end_lineno or st.lineno):
                continue
            if isinstance(st, ast.If) and _is_main_test(st.test):
                if any(s.lineno <= lineno <= (s.end_lineno or s.lineno) for s in st.body):
                    return True
                return visit(st.orelse)
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                return False
            return any(visit(b) for b in blocks(st))
        return False

    return visit(ast.parse(source).body)


def _main_guard_violation() -> str | None:
    """``"file:line"`` if run_sweep is called from a script's module-level code outside
    ``if __name__ == "__main__":`` (the process pool's workers re-import the script as
    ``__mp_main__`` and would run the sweep again, and again), or from such a re-import; else None."""
    main = sys.modules.get("__main__")
    frame = inspect.currentframe()
    try:
        f = frame
        while f is not None:
            code, g = f.f_code, f.f_globals
            if code.co_name == "<module>" and g.get("__name__") == "__mp_main__":
                return f"{code.co_filename}:{f.f_lineno}"  # a worker re-running the script
            if code.co_name == "<module>" and main is not None and g is getattr(main, "__dict__", None):
                if not getattr(main, "__file__", None):
                    return None  # -c, stdin, a notebook: nothing is re-imported
                try:
                    import tokenize  # noqa: PLC0415

                    with tokenize.open(code.co_filename) as src:
                        guarded = _main_guarded(src.read(), f.f_lineno)
                except (OSError, SyntaxError, ValueError):
                    return None  # no source to look at
                return None if guarded else f"{code.co_filename}:{f.f_lineno}"
            f = f.f_back
        return None
    finally:
        del frame, f


def execute(task, params: dict, context=None) -> dict:
    """Run one task and never raise for its own failure: ``{"status": "ok", "result": ...}`` (a
    strict-JSON dict) or ``{"status": "failed", "error": {"type", "message"}}``, plus ``seconds``
    and the ``warnings`` it emitted."""
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = task(params, context)
            if not isinstance(result, dict):
                raise TypeError(f"the task returned {type(result).__name__}, expected a dict")
            result = _json_null(result)
            json.dumps(result, allow_nan=False)
            out = {"status": "ok", "result": result}
        except Exception as exc:  # noqa: BLE001 - recorded, never dropped
            out = {"status": "failed", "error": {"type": type(exc).__name__, "message": str(exc)}}
    out["seconds"] = time.perf_counter() - t0
    msgs = sorted({str(w.message) for w in caught})
    if msgs:
        out["warnings"] = msgs
    return out


def _execute_in_worker(task, params):
    return execute(task, params, _WORKER_CONTEXT)


def _todo(points, mask, block: int = 1 << 16):
    """``(index, point)`` for the points whose ``mask`` entry is set, in order, built lazily."""
    for start in range(0, len(mask), block):
        for i in np.flatnonzero(mask[start:start + block]):
            i = start + int(i)
            yield i, points[i]


def _serial(task, items, context):
    for i, pt in items:
        yield i, pt, execute(task, pt.params, context)


def _mp_context():
    import multiprocessing as mp  # noqa: PLC0415

    if sys.platform != "win32" and "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # the server imports these once; every worker forks from it (fast start, no fork-with-threads)
        ctx.set_forkserver_preload(["certify.sweep", "certify.rip", "cvxpy", "clarabel"])
        return ctx
    return mp.get_context("spawn")  # pragma: no cover


def _process(task, items, context, workers, limit):
    """A process pool with at most ``limit`` tasks submitted at once (the rest of ``items`` is
    drawn as results come in)."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # noqa: PLC0415
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    ex = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_init_worker,
                             initargs=(context,))
    it = iter(items)
    pending: dict = {}
    clean = False
    try:
        for i, pt in it:
            pending[ex.submit(_execute_in_worker, task, pt.params)] = (i, pt)
            if len(pending) >= limit:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i, pt = pending.pop(fut)
                try:
                    out = fut.result()
                except BrokenProcessPool as exc:
                    raise SweepError(f"a worker process died ({exc}); finished points are in the store: "
                                     "rerun the same sweep to resume") from None
                yield i, pt, out
                nxt = next(it, None)
                if nxt is not None:
                    pending[ex.submit(_execute_in_worker, task, nxt[1].params)] = nxt
        clean = True
    finally:
        if clean:
            ex.shutdown(wait=True)
        else:  # Ctrl-C, SIGTERM, an error, or the consumer stopped: drop queued tasks, stop the workers now
            procs = list((getattr(ex, "_processes", None) or {}).values())
            ex.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                try:
                    proc.terminate()
                except Exception:  # noqa: BLE001  # pragma: no cover
                    pass


def _import_distributed():
    try:
        import distributed  # noqa: PLC0415
    except ImportError:
        raise InputError(f"Dask is not installed; the scheduler/client options need it: {DASK_HINT}") from None
    return distributed


def _dask(task, items, context, client, limit, stats: dict, retries: int = DASK_RETRIES):
    """Tasks on a Dask cluster, taken as completed, at most ``limit`` at once.  A task the cluster
    loses (``KilledWorker`` after a worker died, a cancelled future, a lost connection) is
    submitted again, at most ``retries`` times per point; ``execute`` itself never raises."""
    import asyncio  # noqa: PLC0415

    distributed = _import_distributed()
    ctx = [None]

    def scatter():
        if context is not None:  # in a list: scattering a dict would scatter its values under its keys
            [ctx[0]] = client.scatter([context], broadcast=True)

    scatter()
    ac = distributed.as_completed()
    it = iter(items)
    owner: dict = {}  # future key -> (index, point, attempt, future)
    clean = False

    def submit(i, pt, attempt):
        fut = client.submit(execute, task, pt.params, ctx[0], pure=False)
        owner[fut.key] = (i, pt, attempt, fut)
        ac.add(fut)

    try:
        for i, pt in it:
            submit(i, pt, 0)
            if len(owner) >= limit:
                break
        for fut in ac:
            i, pt, attempt, _ = owner.pop(fut.key)
            try:
                out = fut.result()
            except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - the cluster failing, not the task
                fut.release()
                if attempt >= retries:
                    raise SweepError(f"the Dask cluster failed on point {pt.key} {attempt + 1} times (last: "
                                     f"{type(exc).__name__}: {exc}); finished points are in the store: rerun the same "
                                     "sweep to resume") from None
                if ctx[0] is not None and ctx[0].status != "finished":
                    scatter()  # the shared context was lost with the workers that held it
                submit(i, pt, attempt + 1)
                stats["resubmitted"] = stats.get("resubmitted", 0) + 1
                continue
            fut.release()
            yield i, pt, out
            nxt = next(it, None)
            if nxt is not None:
                submit(*nxt, 0)
        clean = True
    finally:
        if not clean:
            try:
                futs = [v[3] for v in owner.values()]
                if futs:
                    client.cancel(futs)
            except Exception:  # noqa: BLE001  # pragma: no cover
                pass


def _dask_client(scheduler, workers):
    """``(client, closer)`` for an address or ``"local"`` / ``"local:N"`` (a LocalCluster)."""
    distributed = _import_distributed()
    s = str(scheduler).strip()
    if s == "local" or s.startswith("local:"):
        n = workers
        if s.startswith("local:"):
            try:
                n = int(s.split(":", 1)[1])
                if n < 1:
                    raise ValueError
            except ValueError:
                raise InputError(f"scheduler: expected local or local:N with N >= 1, got {scheduler!r}") from None
        cluster = distributed.LocalCluster(n_workers=n or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)

        def close():
            client.close()
            cluster.close()

        return client, close
    try:
        client = distributed.Client(s, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"scheduler: cannot connect to the Dask scheduler at {s!r} ({exc})") from None
    return client, client.close


def run_sweep(
    kind,
    params: dict,
    store,
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    progress: bool = True,
    max_in_flight: int | None = None,
    retry_failed: bool = True,
    fsync: bool = True,
) -> SweepResult:
    """Run (or resume) a sweep, appending each result to the store ``store`` as it arrives.

    ``executor``: ``"process"`` (default: a local process pool of ``workers`` processes, default
    ``os.cpu_count()``; from a script, call it under ``if __name__ == "__main__":``), ``"serial"``
    (in this process), or ``"dask"`` (implied by ``scheduler``, a ``tcp://...`` address or
    ``"local[:N]"`` for a LocalCluster, or ``client``, a ``dask.distributed.Client``; results are
    taken as completed, a task lost with a worker is resubmitted up to :data:`DASK_RETRIES` times).
    At most ``max_in_flight`` tasks are submitted at once (default twice the workers); points are
    generated as they are submitted, and a sweep of more than :data:`MAX_POINTS` points is
    refused.  Finished points in the store are skipped; failed ones are run again unless
    ``retry_failed=False``.  ``progress`` draws a bar (stderr) counting done/total, resumed points
    included.  Returns the :class:`SweepResult` (all points, resumed ones too).  Ctrl-C stops the
    run with the store consistent; so does SIGTERM, which then ends the process as usual.
    """
    from .progress import Progress  # noqa: PLC0415

    k = get_kind(kind)
    if not isinstance(params, dict):
        raise InputError(f"params: expected a dict, got {type(params).__name__}")
    if client is not None or scheduler is not None:
        if executor not in (None, "dask"):
            raise InputError(f"executor: {executor!r} cannot be combined with a Dask scheduler or client")
        executor = "dask"
    executor = executor or "process"
    if executor not in ("process", "serial", "dask"):
        raise InputError(f"executor: expected 'process', 'serial' or 'dask', got {executor!r}")
    if executor == "dask":
        _import_distributed()
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1):
        raise InputError(f"workers: expected a positive integer, got {workers!r}")
    if max_in_flight is not None and (isinstance(max_in_flight, bool) or not isinstance(max_in_flight, (int, np.integer))
                                      or max_in_flight < 1):
        raise InputError(f"max_in_flight: expected a positive integer, got {max_in_flight!r}")
    spec, context = k.prepare(params)
    _canonical(spec)  # the spec must be strict JSON
    points = _points_of(k, spec)
    keys = _Keys(points)
    local_dask = executor == "dask" and client is None and str(scheduler).strip().startswith("local")
    if executor == "process" or local_dask:
        where = _main_guard_violation()
        if where is not None:
            raise InputError(f"{MAIN_GUARD_MESSAGE} (called at {where})")
    t0 = time.perf_counter()
    computed = resumed = 0
    stats = {"resubmitted": 0}
    with _sigterm_unwinds():
        closer = None
        if executor == "dask" and client is None and not local_dask:
            client, closer = _dask_client(scheduler, workers)  # a remote scheduler: connect before touching the store
        try:
            st = Store.open(store, k.name, spec, keys, fsync=fsync)
        except BaseException:
            if closer is not None:
                closer()
            raise
        bar = None
        try:
            todo = st.status != _OK if retry_failed else st.status == _MISSING
            ntodo = int(np.count_nonzero(todo))
            resumed = len(points) - ntodo
            bar = Progress(len(points), label=f"{k.name}" + (f" ({resumed} resumed)" if resumed else ""),
                           enabled=progress)
            if resumed:
                bar.update(resumed)
            if ntodo:
                items = _todo(points, todo)
                if executor == "serial":
                    stream = _serial(k.task, items, context)
                elif executor == "process":
                    nw = int(workers or os.cpu_count() or 1)
                    stream = _process(k.task, items, context, nw, int(max_in_flight or 2 * nw))
                else:
                    if client is None:
                        client, closer = _dask_client(scheduler, workers)
                    nthreads = sum((client.nthreads() or {}).values()) or 1
                    stream = _dask(k.task, items, context, client, int(max_in_flight or max(2 * nthreads, 2)), stats)
                try:
                    for i, pt, out in stream:
                        st.append(i, {"key": pt.key, **out})
                        computed += 1
                        bar.update(resumed + computed)
                finally:
                    stream.close()
            header, repaired, records = st.header, st.repaired, st.records()
        finally:
            st.close()
            if closer is not None:
                closer()
            if bar is not None:
                bar.close()
    return _build_result(k.name, spec, keys, records, store, header, computed=computed, resumed=resumed,
                         elapsed=time.perf_counter() - t0, repaired=repaired, resubmitted=stats["resubmitted"])
