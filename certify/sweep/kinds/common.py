"""Helpers shared by the built-in kinds: parameter checks and the pieces of their summaries and
descriptions."""

from __future__ import annotations

import numpy as np

from ...errors import InputError

__all__ = ["unknown", "posint", "solver_param", "argbest", "counts", "failures", "kinds", "where", "fmt", "at",
           "failure_lines", "kind_counts_line"]


# --- parameters --------------------------------------------------------------------------------
def unknown(params: dict, allowed, kind: str) -> None:
    """Refuse parameters outside ``allowed``, naming them and the accepted ones."""
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise InputError(f"{kind}: unknown parameter(s) {', '.join(bad)}; accepted: {', '.join(sorted(allowed))}")


def posint(params, name, default=None, minimum=1):
    """``params[name]`` (``default`` when absent) as an integer >= ``minimum`` (no bools)."""
    v = params.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {v!r}")
    return int(v)


def solver_param(v):
    """A solver name, upper-cased, or ``None``."""
    if v is None:
        return None
    if not isinstance(v, str) or not v.strip():
        raise InputError(f"solver: expected a solver name such as 'CLARABEL', got {v!r}")
    return v.strip().upper()


# --- summaries ---------------------------------------------------------------------------------
def argbest(records, field_name, better):
    """``(value, result)`` of the ok record whose result's ``field_name`` is best, or ``None``."""
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


def counts(records) -> dict:
    """``points``, ``ok``, ``failed``, ``missing``: the summary of any sweep."""
    c = {"points": len(records), "ok": 0, "failed": 0, "missing": 0}
    for rec in records:
        c["missing" if rec is None else ("ok" if rec["status"] == "ok" else "failed")] += 1
    return c


def failures(records, limit: int = 10) -> list:
    """The first ``limit`` failed points: ``key`` and ``error``."""
    out = [{"key": r["key"], "error": r.get("error")} for r in records if r is not None and r["status"] != "ok"]
    return out[:limit]


def kinds(records) -> dict:
    """Counts of the results' ``kind`` field."""
    out: dict = {}
    for rec in records:
        if rec is not None and rec["status"] == "ok":
            k = rec["result"].get("kind")
            out[k] = out.get(k, 0) + 1
    return out


def where(res) -> dict | None:
    """The grid point (``rho``, ``phi_deg``) of a grid result."""
    return None if res is None else {"rho": res["rho"], "phi_deg": res["phi_deg"]}


def fmt(v, spec=".9f"):
    return "-" if v is None else format(v, spec)


def at(w):
    return "" if w is None else f" at rho = {w['rho']:.6g}, phi = {w['phi_deg']:.6g} deg"


def kind_counts_line(s: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(s["kinds"].items(), key=lambda kv: str(kv[0])))


def failure_lines(s: dict) -> list:
    return [f"failed {f['key']}: {f['error']['type']}: {f['error']['message']}" for f in s["failures"]]
