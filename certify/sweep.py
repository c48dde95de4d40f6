"""Sweeps at scale: grids and searches run on a process pool or a Dask cluster, with results
appended to a file-backed store as they arrive, and resume after an interruption.

A *sweep* is a kind name and its parameters.  The kind (a :class:`SweepKind` in :data:`KINDS`)
turns the parameters into an ordered list of :class:`Point` s, each with a stable string key and
a params dict, and names a module-level *task* function mapping one point's params (and an
optional shared *context*) to a JSON-serializable result dict.  A point's result depends on its
params only (every seed is derived from the params, never from the order, the executor or the
worker), so a sweep gives the same results, bit for bit, serially, on a process pool, on a Dask
cluster, and when it was killed and resumed.

Built-in kinds (``docs/sweeps.md``):

``rank1-grid``
    δ(x, z) by the SDP (:func:`certify.rip.counterexample`: the operator's δ and the
    dual-certified lower bound) and the closed form of JMLR19 Theorem 12 over a (ρ, φ) grid, with
    ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)`` (φ in radians, as in :func:`certify.rip.saddle_map`).
``curvature-map``
    μ*(x, z, δ, g) (:func:`certify.rip.curvature`) over the same grid at a fixed δ and ``grad_tol``.
``search-restarts``
    one point per restart of :func:`certify.rip.search_sharp_delta` (restart k alone, exactly as in
    the full search); the summary is the best restart.
``validation``
    (S)GD validation trials of a certificate (REFERENCE §1.5, :func:`certify.validate`) split into
    chunks of trials with per-chunk seeds; the summary pools the chunks (exact counts and exact
    error quantiles over all trials).

The store (:class:`Store`) is a JSON Lines file: a header line (format, kind, full parameters,
their hash, package version) and one line per finished point, written with one ``write`` and
``fsync`` as each result arrives.  Reopening it with the same spec skips finished points; another
spec is refused (:class:`~certify.errors.InputError` naming the difference); a truncated last
line (a SIGKILL during a write) is discarded and the file repaired.  A point whose task raised is
recorded as ``failed`` with the exception's type and message; a rerun retries failed points
(``retry_failed=True``, the default), and the store keeps both lines (the last ``ok`` wins).

Python::

    from certify import sweep
    res = sweep.run_sweep("rank1-grid", {"rhos": [0.5, 1.0], "phis": [0.5, 1.0]}, "grid.jsonl")
    res.results            # result dicts in point order (None where missing or failed)
    res.summary            # e.g. minimum delta and where, largest closed-form gap, failures
    sweep.load_sweep("grid.jsonl"); sweep.grid_arrays(res)["delta"]    # a (len(rhos), len(phis)) array
    sweep.run_sweep(..., executor="serial" | "process" | "dask", workers=2, scheduler="tcp://host:8786", client=client)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import signal
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import __version__
from .errors import CertifyError, InputError, NoCounterexampleError
from .io import jsonable, parse_grid


def _json_null(obj):
    """Strict JSON for results: NumPy to Python, every non-finite float to ``null``."""
    return jsonable(obj, nonfinite="null")

__all__ = [
    "FORMAT", "FORMAT_VERSION", "KINDS", "Point", "SweepKind", "SweepError", "SweepResult", "Store",
    "register", "get_kind", "spec_hash", "run_sweep", "load_sweep", "grid_arrays", "validation_result",
    "parse_grid", "DASK_HINT",
]

FORMAT = "certify.sweep"
FORMAT_VERSION = 1
DASK_HINT = "pip install 'certify[dask]' (or: pip install 'dask[distributed]')"


class SweepError(CertifyError, RuntimeError):
    """The execution machinery failed (a worker process died, the Dask cluster lost a worker or
    the connection).  Every point finished before that is in the store: rerun to resume."""


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
    ``points(spec_params) -> list[Point]``: the ordered points (a pure function of the spec).
    ``task(point_params, context) -> dict``: module-level (picklable) and deterministic.
    ``summarize(spec_params, records) -> dict``: the sweep's summary from the records in point
    order (``None`` where a point is missing); ``describe(summary) -> str``: text for the CLI.
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


def _unknown(params: dict, allowed, kind: str) -> None:
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise InputError(f"{kind}: unknown parameter(s) {', '.join(bad)}; accepted: {', '.join(sorted(allowed))}")


def _grid_values(params: dict, name: str, kind: str, *, nonneg: bool = False) -> list[float]:
    if name not in params:
        raise InputError(f"{kind}: missing parameter {name!r}")
    vals = parse_grid(params[name], name)
    if nonneg and any(v < 0 for v in vals):
        raise InputError(f"{name}: expected values >= 0")
    if len(set(vals)) != len(vals):
        raise InputError(f"{name}: duplicate values")
    return vals


def _solver_param(v):
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip():
        raise InputError(f"solver: expected a solver name such as 'CLARABEL', got {v!r}")
    return v.strip().upper()


def _grid_points(p: dict) -> list[Point]:
    common = {k: v for k, v in p.items() if k not in ("rhos", "phis")}
    return [Point(f"rho={rho!r},phi={phi!r}", {**common, "i": i, "j": j, "rho": rho, "phi": phi})
            for i, rho in enumerate(p["rhos"]) for j, phi in enumerate(p["phis"])]


def _grid_xz(p: dict):
    rho, phi = float(p["rho"]), float(p["phi"])
    x = rho * np.array([math.cos(phi), math.sin(phi)])
    z = np.array([1.0, 0.0])
    ground = np.linalg.norm(np.outer(x, x) - np.outer(z, z)) <= 1e-9 * float(z @ z)
    return x, z, bool(ground)


# --- rank1-grid --------------------------------------------------------------------------------
def _rank1_prepare(params: dict):
    params = dict(params)
    _unknown(params, ("rhos", "phis", "solver"), "rank1-grid")
    return {"rhos": _grid_values(params, "rhos", "rank1-grid", nonneg=True),
            "phis": _grid_values(params, "phis", "rank1-grid"),
            "solver": _solver_param(params.get("solver"))}, None


def rank1_task(p: dict, context=None) -> dict:
    """δ(x, z) (SDP: upper ``delta`` and dual-certified ``delta_lower``) and the closed form at
    ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)``.  Colinear x, z: ``kind = "no-counterexample"``
    (δ = 1); x x^T = z z^T: ``kind = "ground-truth"``.  A solver failure raises (a failed point)."""
    from .rip import closed_form_lower_bound_polar, counterexample  # noqa: PLC0415

    x, z, ground = _grid_xz(p)
    out = {"rho": float(p["rho"]), "phi": float(p["phi"]), "kind": None, "delta": None, "delta_lower": None,
           "gap": None, "closed_form": None, "closed_form_gap": None, "solver_status": None, "flags": []}
    if ground:
        out["kind"] = "ground-truth"
        return out
    out["closed_form"] = float(closed_form_lower_bound_polar(abs(float(p["rho"])), float(p["phi"])))
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
    return None if res is None else {"rho": res["rho"], "phi": res["phi"], "phi_deg": math.degrees(res["phi"])}


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
    _unknown(params, ("rhos", "phis", "delta", "grad_tol", "solver"), "curvature-map")
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
    return {"rhos": _grid_values(params, "rhos", "curvature-map", nonneg=True),
            "phis": _grid_values(params, "phis", "curvature-map"),
            "delta": delta, "grad_tol": gt, "solver": _solver_param(params.get("solver"))}, None


def curvature_task(p: dict, context=None) -> dict:
    """μ* at ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)`` (as :func:`certify.rip.saddle_map`): ``kind``
    (strict-minimum / strict-saddle / degenerate / infeasible / ground-truth), ``mu`` (lower),
    ``mu_upper`` (checked dual bound), ``min_grad_lower`` (infeasible: checked Farkas bound)."""
    from .rip import curvature  # noqa: PLC0415

    x, z, ground = _grid_xz(p)
    out = {"rho": float(p["rho"]), "phi": float(p["phi"]), "kind": "ground-truth", "mu": None, "mu_upper": None,
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


def _search_points(p: dict) -> list[Point]:
    common = {k: v for k, v in p.items() if k != "restarts"}
    return [Point(f"restart={k}", {**common, "k": k}) for k in range(p["restarts"])]


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
    spec = {"certificate": {"sha256": _cert_identity(d), "name": cert.name, "n": cert.n, "r": cert.r,
                            "r_star": cert.r_star, "delta": float(cert.delta), "source": cert.source},
            "trials": trials, "chunk": chunk, "gammas": gam, "steps": steps, "method": method,
            "seed": _posint(params, "seed", 0, 0), "step_size": float(step_size),
            "batch": batch if method == "sgd" else None, "decay": None if decay is None else float(decay),
            "tol": tol, "tol_spurious": tol_sp, "init_scale": s}
    return spec, d


def _validation_points(p: dict) -> list[Point]:
    common = {k: v for k, v in p.items() if k not in ("trials", "chunk", "certificate")}
    common["certificate_sha256"] = p["certificate"]["sha256"]
    nchunks = -(-p["trials"] // p["chunk"])
    return [Point(f"chunk={c}", {**common, "chunk": c, "trials": min(p["chunk"], p["trials"] - c * p["chunk"]),
                                 "seed": chunk_seed(p["seed"], c)}) for c in range(nchunks)]


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
def _describe_value(v, limit: int = 60) -> str:
    t = json.dumps(v, allow_nan=False)
    return t if len(t) <= limit else t[: limit - 3] + "..."


def _spec_diff(old, new, prefix: str = "") -> str:
    """The differences between two specs, e.g. ``phis[2]: 1.0 in the store, 1.5 requested``."""
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


class Store:
    """The JSON Lines store of one sweep (see the module docstring and ``docs/sweeps.md``).

    ``Store.open(path, kind, params, keys)`` creates it (header line) or reopens it: checks that
    it holds the same spec, repairs a truncated last line, loads the finished records, and takes
    an exclusive lock (a second runner on the same file gets an :class:`InputError`).
    ``append(record)`` writes one line with a single ``write`` and ``fsync``.
    """

    def __init__(self, path, fd, header, records, repaired, fsync=True):
        self.path = Path(path)
        self.fd = fd
        self.header = header
        self.records = records  # key -> record (an "ok" record is never replaced)
        self.repaired = repaired
        self.fsync = fsync

    # -- reading ---------------------------------------------------------------------------------
    @staticmethod
    def read(path, *, repair_fd=None):
        """``(header, records, lines, repaired)`` of a store file; with ``repair_fd`` a truncated
        last line is cut off the file (else just ignored)."""
        p = Path(path)
        data = p.read_bytes() if repair_fd is None else _read_fd(repair_fd)
        repaired = None
        if data and not data.endswith(b"\n"):
            cut = data.rfind(b"\n") + 1
            repaired = f"discarded a truncated last line ({len(data) - cut} bytes)"
            data = data[:cut]
            if repair_fd is not None:
                os.ftruncate(repair_fd, cut)
                os.fsync(repair_fd)
        lines = data.split(b"\n")[:-1] if data else []
        if not lines:
            return None, {}, 0, repaired
        try:
            header = json.loads(lines[0])
        except (json.JSONDecodeError, UnicodeDecodeError):
            header = None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise InputError(f"{path}: not a certify sweep store (its first line is not a '{FORMAT}' header); "
                             "refusing to touch it: choose another file")
        if header.get("format_version") != FORMAT_VERSION:
            raise InputError(f"{path}: sweep store format_version {header.get('format_version')!r} is not supported "
                             f"(this is certify {__version__}, format {FORMAT_VERSION})")
        records: dict = {}
        body = lines[1:]
        for i, line in enumerate(body):
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict) or "key" not in rec or rec.get("status") not in ("ok", "failed"):
                    raise ValueError("not a record")
            except (ValueError, UnicodeDecodeError) as exc:
                if i == len(body) - 1:  # a damaged last line: the same as a truncated one
                    repaired = f"discarded an unreadable last line ({exc})"
                    if repair_fd is not None:
                        os.ftruncate(repair_fd, len(data) - len(line) - 1)
                        os.fsync(repair_fd)
                    break
                raise InputError(f"{path}: line {i + 2} is not a sweep record ({exc}); the store is damaged") from None
            old = records.get(rec["key"])
            if old is None or old["status"] != "ok":
                records[rec["key"]] = rec
        return header, records, len(body), repaired

    @classmethod
    def open(cls, path, kind: str, params: dict, keys: list, *, fsync: bool = True) -> "Store":
        path = Path(path)
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"{path}: the folder {folder} does not exist")
        if path.is_dir():
            raise InputError(f"{path}: is a folder, expected a store file")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            _lock(fd, path)
            header, records, _, repaired = cls.read(path, repair_fd=fd)
            h = spec_hash(kind, params)
            if header is None:
                os.ftruncate(fd, 0)
                header = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "params": params,
                          "spec_hash": h, "points": len(keys), "package_version": __version__,
                          "created": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()}
                os.write(fd, (json.dumps(header, allow_nan=False) + "\n").encode("utf-8"))
                os.fsync(fd)
                _fsync_dir(folder)
            else:
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
                known = set(keys)
                stray = [k for k in records if k not in known]
                if stray:
                    raise InputError(f"{path}: the store holds records for keys that are not points of this sweep "
                                     f"({', '.join(stray[:3])}); the store is damaged")
            return cls(path, fd, header, records, repaired, fsync)
        except BaseException:
            os.close(fd)
            raise

    # -- writing ---------------------------------------------------------------------------------
    def append(self, record: dict) -> None:
        line = (json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
        n = os.write(self.fd, line)
        while n < len(line):  # regular files: a short write only on a full disk or a signal
            n += os.write(self.fd, line[n:])
        if self.fsync:
            os.fsync(self.fd)
        old = self.records.get(record["key"])
        if old is None or old["status"] != "ok":
            self.records[record["key"]] = record

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _read_fd(fd) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while True:
        b = os.read(fd, 1 << 20)
        if not b:
            break
        chunks.append(b)
    return b"".join(chunks)


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
    ``seconds``.  ``results`` lists the result dicts (``None`` where missing or failed).
    ``computed``/``resumed``: points computed by this run / found finished in the store.
    """

    kind: str
    params: dict
    keys: list
    records: list
    summary: dict
    path: Path | None = None
    header: dict = field(default_factory=dict)
    computed: int = 0
    resumed: int = 0
    elapsed: float = 0.0
    repaired: str | None = None

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
                "resumed": self.resumed, "elapsed": self.elapsed, "repaired": self.repaired, "params": self.params,
                "summary": self.summary}


def _build_result(kind_name, params, keys, recmap, path, header, **extra) -> SweepResult:
    records = [recmap.get(k) for k in keys]
    kind = KINDS.get(kind_name)
    summary = kind.summarize(params, records) if kind is not None and kind.summarize is not None else _counts(records)
    return SweepResult(kind=kind_name, params=params, keys=list(keys), records=records, summary=summary,
                       path=None if path is None else Path(path), header=header, **extra)


def load_sweep(path) -> SweepResult:
    """Read a store (no lock, no repair: a truncated last line is ignored): the records in point
    order and the kind's summary.  Points are rebuilt from the header when the kind is registered,
    else ordered by the records' ``index``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    header, recmap, _, repaired = Store.read(p)
    if header is None:
        raise InputError(f"{path}: empty sweep store")
    kind_name, params = header.get("kind"), header.get("params") or {}
    kind = KINDS.get(kind_name)
    if kind is not None:
        keys = [pt.key for pt in kind.points(params)]
    else:
        byindex = {rec.get("index"): k for k, rec in recmap.items()}
        keys = [byindex.get(i, f"#{i}") for i in range(int(header.get("points", len(recmap))))]
    return _build_result(kind_name, params, keys, recmap, p, header, repaired=repaired)


def grid_arrays(result) -> dict:
    """For a ``rank1-grid`` or ``curvature-map`` sweep (a :class:`SweepResult` or a store path):
    ``rho``, ``phi`` (radians) and, for every field of the results, an array of shape
    ``(len(rhos), len(phis))``: floats (``nan`` where absent) or objects (``kind``; ``status`` is
    ``"ok"``/``"failed"``/``None``)."""
    if not isinstance(result, SweepResult):
        result = load_sweep(result)
    if result.kind not in ("rank1-grid", "curvature-map"):
        raise InputError(f"grid_arrays: expected a rank1-grid or curvature-map sweep, got {result.kind!r}")
    rhos, phis = np.array(result.params["rhos"]), np.array(result.params["phis"])
    shape = (rhos.size, phis.size)
    fields = ("delta", "delta_lower", "gap", "closed_form", "closed_form_gap") if result.kind == "rank1-grid" \
        else ("mu", "mu_upper", "min_grad_lower")
    out = {"rho": rhos, "phi": phis, "kind": np.full(shape, None, dtype=object), "status": np.full(shape, None, dtype=object)}
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
    """Process-pool initializer: keep the shared context; leave Ctrl-C to the parent."""
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # pragma: no cover
        pass


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


def _serial(task, todo, context):
    for pt in todo:
        yield pt, execute(task, pt.params, context)


def _mp_context():
    import multiprocessing as mp  # noqa: PLC0415

    if sys.platform != "win32" and "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # the server imports these once; every worker forks from it (fast start, no fork-with-threads)
        ctx.set_forkserver_preload(["certify.sweep", "certify.rip", "cvxpy", "clarabel"])
        return ctx
    return mp.get_context("spawn")  # pragma: no cover


def _process(task, todo, context, workers, limit):
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # noqa: PLC0415
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    ex = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_init_worker,
                             initargs=(context,))
    it = iter(todo)
    pending: dict = {}
    clean = False
    try:
        for pt in it:
            pending[ex.submit(_execute_in_worker, task, pt.params)] = pt
            if len(pending) >= limit:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                pt = pending.pop(fut)
                try:
                    out = fut.result()
                except BrokenProcessPool as exc:
                    raise SweepError(f"a worker process died ({exc}); finished points are in the store: "
                                     "rerun the same sweep to resume") from None
                yield pt, out
                nxt = next(it, None)
                if nxt is not None:
                    pending[ex.submit(_execute_in_worker, task, nxt.params)] = nxt
        clean = True
    finally:
        if clean:
            ex.shutdown(wait=True)
        else:  # Ctrl-C, an error, or the consumer stopped: drop queued tasks, stop the workers now
            ex.shutdown(wait=False, cancel_futures=True)
            for proc in list((getattr(ex, "_processes", None) or {}).values()):
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


def _dask(task, todo, context, client, limit):
    distributed = _import_distributed()
    ctx = None
    if context is not None:  # in a list: scattering a dict would scatter its values under its keys
        [ctx] = client.scatter([context], broadcast=True)
    ac = distributed.as_completed()
    it = iter(todo)
    owner: dict = {}
    clean = False

    def submit(pt):
        fut = client.submit(execute, task, pt.params, ctx, pure=False)
        owner[fut.key] = pt
        ac.add(fut)

    try:
        for pt in it:
            submit(pt)
            if len(owner) >= limit:
                break
        for fut in ac:
            pt = owner.pop(fut.key)
            try:
                out = fut.result()
            except Exception as exc:  # noqa: BLE001 - execute() never raises: this is the cluster failing
                raise SweepError(f"the Dask cluster failed on point {pt.key} ({type(exc).__name__}: {exc}); finished "
                                 "points are in the store: rerun the same sweep to resume") from None
            fut.release()
            yield pt, out
            nxt = next(it, None)
            if nxt is not None:
                submit(nxt)
        clean = True
    finally:
        if not clean:
            try:
                futs = list(ac.futures) if hasattr(ac, "futures") else []
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
    ``os.cpu_count()``), ``"serial"`` (in this process), or ``"dask"`` (implied by ``scheduler``, a
    ``tcp://...`` address or ``"local[:N]"`` for a LocalCluster, or ``client``, a
    ``dask.distributed.Client``; results are taken as completed).  At most ``max_in_flight`` tasks
    are submitted at once (default twice the workers).  Finished points in the store are skipped;
    failed ones are run again unless ``retry_failed=False``.  ``progress`` draws a bar (stderr)
    counting done/total, resumed points included.  Returns the :class:`SweepResult` (all points,
    resumed ones too).  Ctrl-C stops the run with the store consistent.
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
    if max_in_flight is not None and (not isinstance(max_in_flight, (int, np.integer)) or max_in_flight < 1):
        raise InputError(f"max_in_flight: expected a positive integer, got {max_in_flight!r}")
    spec, context = k.prepare(params)
    _canonical(spec)  # the spec must be strict JSON
    points = k.points(spec)
    keys = [pt.key for pt in points]
    if len(set(keys)) != len(keys):
        raise InputError(f"{k.name}: the points' keys are not unique")
    t0 = time.perf_counter()
    closer = None
    if executor == "dask" and client is None and not str(scheduler).strip().startswith("local"):
        client, closer = _dask_client(scheduler, workers)  # a remote scheduler: connect before touching the store
    try:
        st = Store.open(store, k.name, spec, keys, fsync=fsync)
    except BaseException:
        if closer is not None:
            closer()
        raise
    computed = 0
    bar = None
    try:
        index = {key: i for i, key in enumerate(keys)}
        todo = [pt for pt in points if pt.key not in st.records
                or (retry_failed and st.records[pt.key]["status"] != "ok")]
        resumed = len(points) - len(todo)
        bar = Progress(len(points), label=f"{k.name}" + (f" ({resumed} resumed)" if resumed else ""), enabled=progress)
        if resumed:
            bar.update(resumed)
        if todo:
            if executor == "serial":
                stream = _serial(k.task, todo, context)
            elif executor == "process":
                nw = int(workers or os.cpu_count() or 1)
                stream = _process(k.task, todo, context, nw, int(max_in_flight or 2 * nw))
            else:
                if client is None:
                    client, closer = _dask_client(scheduler, workers)
                nthreads = sum((client.nthreads() or {}).values()) or 1
                stream = _dask(k.task, todo, context, client, int(max_in_flight or max(2 * nthreads, 2)))
            try:
                for pt, out in stream:
                    st.append({"key": pt.key, "index": index[pt.key], **out})
                    computed += 1
                    bar.update(resumed + computed)
            finally:
                stream.close()
        header, recmap, repaired = st.header, dict(st.records), st.repaired
    finally:
        st.close()
        if closer is not None:
            closer()
        if bar is not None:
            bar.close()
    return _build_result(k.name, spec, keys, recmap, store, header, computed=computed, resumed=resumed,
                         elapsed=time.perf_counter() - t0, repaired=repaired)
