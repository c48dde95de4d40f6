"""The sharp-threshold atlas: for every ``1 <= r* <= r <= max_rank``, the overparameterized RIP
threshold, the orthogonal family's δ bracket, an exact certificate at the threshold, strict spurious
minima just above it, a random-restart search, and (for a few pairs) SGD from perturbed starts.

One row per ``(r, r*)`` (:func:`atlas_point`, every number checked by the kernel):

``sufficient``, ``published_counterexample``
    ``1/(1 + √(r*/r))`` (no spurious second-order point below it) and ``1/(1 + 1/√(r − r* + 1))``
    (the published counterexamples), both R. Y. Zhang (2021).
``family``
    δ of the family point :func:`~certify.rip.family.sharp_family` by the symmetry-reduced SDP
    (:class:`~certify.rip.family.FamilySDP`), lifted to a full ``d² x d²`` operator and dual point and
    verified by the float kernel (``delta`` upper, ``delta_lower`` lower bound); for
    ``d <= exact_bracket_max_d`` both bounds also proved in rational arithmetic
    (:func:`certify.check.exact.verify_certificate_exact`); for ``d <= plain_max_d`` the plain SDP
    (:func:`certify.rip.counterexample`) as a cross-check of the reduction.
``exact``
    :func:`~certify.rip.family.threshold_certificate` ``.verify(exact=True)``: δ(X, Z) equals the
    threshold exactly, over ``Q(√(r r*))``, with the strict operator at ``threshold + 1/100`` and
    the convexity argument (``sharpness``).
``strict``
    the curvature SDP (symmetry-reduced; the plain one for ``d <= plain_curvature_max_d``) at
    ``δ₁ = threshold + strict_margin``: μ > 0, the lifted certificate proved by the rational kernel.
``search``
    random restarts over the orthogonal diagonal family (:func:`~certify.rip.family.diagonal_search`),
    and for ``d <= full_search_max_d`` over all of ``R^{d×r} × R^{d×r*}``
    (:func:`certify.rip.search_sharp_delta`, random starts only).  A best value below the
    sufficient condition by more than the bracket width would contradict a theorem: it is flagged
    ``contradiction`` (a bug in the chain), never reported as a discovery.
``validation``
    (pairs in ``validate``) GD/SGD from ``X₀ = (1 − γ) X + γ W`` on the strict certificate
    (:func:`certify.validate`): the fraction trapped at the spurious point for each γ.
``sharp``
    ``"proved"`` when the exact threshold certificate (both bounds, the strict operator and the
    convex combination) and the rational strict certificate are all proved.

:func:`atlas` computes the rows in this process; ``certify atlas`` runs them as the resumable
sweep kind ``atlas`` (:mod:`certify.sweep.kinds.atlas`, a store, a process pool).
:class:`AtlasResult` holds the rows, writes ``results/atlas.json``, the Markdown table and the
heat map.
"""

from __future__ import annotations

import math
import platform
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import CertifyError, InputError
from ..io import atomic_write_text, jsonable, utc_now
from ..options import integer
from .family import (
    STRICT_MARGIN,
    FamilySDP,
    diagonal_search,
    published_counterexample,
    sharp_family,
    sufficient_condition,
    threshold_certificate,
)

__all__ = ["DEFAULTS", "atlas", "atlas_point", "atlas_pairs", "check_options", "AtlasResult", "summarize_rows"]

#: the options of an atlas (every one is part of a sweep's spec)
DEFAULTS = {
    "plain_max_d": 8,
    "plain_curvature_max_d": 5,
    "exact_bracket_max_d": 16,
    "full_search_max_d": 5,
    "full_search_restarts": 2,
    "full_search_max_iter": 15,
    "diagonal_restarts": 3,
    "diagonal_max_evals": 150,
    "seed": 0,
    "strict_margin": float(STRICT_MARGIN),
    "validate": [[2, 1], [3, 2], [4, 2]],
    "validation_trials": 200,
    "validation_steps": 3000,
    "validation_method": "gd",
    "validation_gammas": [0.0, 0.02, 0.05, 0.1, 0.2, 0.5],
    "validation_tol": 0.05,
}
#: the acceptance of the bracket: both ends within this of the threshold
BRACKET_TOL = 1e-7


def atlas_pairs(max_rank: int) -> list[tuple[int, int]]:
    """Every ``(r, r*)`` with ``1 <= r* <= r <= max_rank``, largest ``d = r + r*`` first (so that a
    pool starts the slow ones first), ties by ``r``."""
    max_rank = integer(max_rank, "max_rank", lo=1)
    pairs = [(r, rs) for r in range(1, max_rank + 1) for rs in range(1, r + 1)]
    return sorted(pairs, key=lambda p: (-(p[0] + p[1]), -p[0]))


def check_options(options: dict) -> dict:
    """The atlas options with defaults filled in, checked (unknown names are refused)."""
    bad = sorted(set(options) - set(DEFAULTS))
    if bad:
        raise InputError(f"atlas: unknown option(s) {', '.join(bad)}; accepted: {', '.join(sorted(DEFAULTS))}")
    out = {**DEFAULTS, **options}
    for k in ("plain_max_d", "plain_curvature_max_d", "exact_bracket_max_d", "full_search_max_d", "seed",
              "validation_trials", "validation_steps"):
        out[k] = integer(out[k], k, lo=0)
    for k in ("full_search_restarts", "full_search_max_iter", "diagonal_restarts", "diagonal_max_evals"):
        out[k] = integer(out[k], k, lo=1)
    out["strict_margin"] = float(out["strict_margin"])
    if not 0.0 < out["strict_margin"] < 0.4:
        raise InputError(f"strict_margin: expected a number in (0, 0.4), got {out['strict_margin']!r}")
    out["validate"] = [[int(a), int(b)] for a, b in out["validate"]]
    out["validation_gammas"] = [float(g) for g in out["validation_gammas"]]
    out["validation_tol"] = float(out["validation_tol"])
    if out["validation_method"] not in ("gd", "sgd"):
        raise InputError(f"validation_method: expected 'gd' or 'sgd', got {out['validation_method']!r}")
    return out


# ---------------------------------------------------------------------------------------------
# one row
# ---------------------------------------------------------------------------------------------
def _timed(row: dict, key: str, fn):
    """``row[key] = fn()`` plus ``seconds`` (wall) and ``cpu_seconds`` (this process); a
    :class:`CertifyError` is recorded as ``error``."""
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn()
    except CertifyError as exc:
        out = {"error": f"{type(exc).__name__}: {exc}"}
    if out is not None:
        out["seconds"] = time.perf_counter() - t0
        out["cpu_seconds"] = time.process_time() - c0
    row[key] = out
    return out


def _family_part(r: int, rs: int, o: dict, keep: dict) -> dict:
    F = FamilySDP(r, rs)
    sol = F.solve_delta(name=f"family_r{r}_rstar{rs}")
    c = sol.certificate
    keep["family"] = c
    out = {"delta": c.delta, "delta_lower": c.delta_lower, "width": c.delta - c.delta_lower,
           "reduced_value": sol.value, "theta": sol.theta, "block_residual": F.block_residual,
           "kernel_float": "valid", "solver_status": sol.status}
    if r + rs <= o["exact_bracket_max_d"]:
        t0 = time.perf_counter()
        rep = c.verify(exact=True)
        out["kernel_exact"] = {"outcome": rep.outcome, "upper": rep.delta["float"] if rep.delta else None,
                               "upper_exact": rep.delta["exact"] if rep.delta else None,
                               "lower": rep.delta_lower["float"] if rep.delta_lower else None,
                               "lower_exact": rep.delta_lower["exact"] if rep.delta_lower else None,
                               "seconds": time.perf_counter() - t0}
    return out


def _plain_part(r: int, rs: int, o: dict, keep: dict) -> dict | None:
    if r + rs > o["plain_max_d"]:
        return None
    from .sdp import counterexample  # noqa: PLC0415

    X, Z = sharp_family(r, rs)
    c = counterexample(X, Z)
    fam = keep.get("family")
    return {"delta": c.delta, "delta_lower": c.delta_lower, "width": c.delta - c.delta_lower,
            "difference_to_invariant": None if fam is None else c.delta - fam.delta, "kernel_float": "valid"}


def _exact_part(r: int, rs: int, o: dict, keep: dict) -> dict:
    from fractions import Fraction  # noqa: PLC0415

    t0 = time.perf_counter()
    tc = threshold_certificate(r, rs, margin=Fraction(o["strict_margin"]).limit_denominator(10**6))
    built = time.perf_counter() - t0
    rep = tc.verify(exact=True)
    keep["threshold"] = tc
    return {"outcome": rep.outcome, "delta_exact": rep.delta["exact"], "delta_value": rep.delta["value"],
            "field": rep.delta["field"], "delta_lower_exact": (rep.delta_lower or {}).get("exact"),
            "strict_delta": str(tc.strict["delta"]), "strict_mu": str(tc.strict["mu"]),
            "claims": {c["claim"]: c["verdict"] for c in rep.claims}, "build_seconds": built,
            "verify_seconds": rep.seconds, "reason": rep.reason}


def _strict_part(r: int, rs: int, o: dict, keep: dict) -> dict:
    thr = sufficient_condition(r, rs)
    d1 = thr + o["strict_margin"]
    sol = FamilySDP(r, rs).solve_curvature(d1, name=f"strict_r{r}_rstar{rs}")
    c = sol.certificate
    if c is None:
        return {"delta1": d1, "mu_reduced": sol.value, "error": "mu <= 0: no strict certificate"}
    keep["strict"] = c
    t0 = time.perf_counter()
    rep = c.verify(exact=True)
    out = {"delta1": d1, "mu_reduced": sol.value, "mu_normalization": "||Z Z^T||_F = 1, operator not rescaled",
           "hess_min": c.formulation["hess_min"], "delta": c.delta, "exact": rep.outcome,
           "exact_mu": (rep.mu or {}).get("exact"), "exact_mu_float": (rep.mu or {}).get("float"),
           "exact_delta": (rep.delta or {}).get("exact"), "exact_seconds": time.perf_counter() - t0}
    if r + rs <= o["plain_curvature_max_d"]:
        from .curvature import curvature  # noqa: PLC0415

        X, Z = sharp_family(r, rs)
        res = curvature(X, Z, d1, certificate=False)
        out["plain_mu"] = res.mu
        out["plain_mu_upper"] = res.mu_upper
        out["difference_to_invariant"] = res.mu - sol.value
    return out


def _search_part(r: int, rs: int, o: dict, keep: dict) -> dict:
    thr = sufficient_condition(r, rs)
    diag = diagonal_search(r, rs, restarts=o["diagonal_restarts"], seed=o["seed"], max_evals=o["diagonal_max_evals"])
    diag.pop("certificate")
    out = {"diagonal": diag, "best": diag["best"], "best_kind": "diagonal"}
    if r + rs <= o["full_search_max_d"]:
        from .search import search_sharp_delta  # noqa: PLC0415

        res = search_sharp_delta(r + rs, r, rs, restarts=o["full_search_restarts"], seed=o["seed"],
                                 max_iter=o["full_search_max_iter"], structured_starts=0)
        out["full"] = {"best": res.delta, "delta_lower": res.delta_lower, "evaluations": res.evaluations,
                       "restarts": o["full_search_restarts"], "per_restart": [h["best"] for h in res.history],
                       "seconds": res.seconds, "kind": "rip.search_sharp_delta, random starts only"}
        if res.delta < out["best"]:
            out["best"], out["best_kind"] = res.delta, "full"
    fam = keep.get("family")
    width = (fam.delta - fam.delta_lower) if fam is not None else 0.0
    out["margin"] = out["best"] - thr
    out["contradiction"] = bool(out["best"] < thr - max(width, 0.0) - 1e-12)
    return out


def _validation_part(r: int, rs: int, o: dict, keep: dict) -> dict | None:
    if [r, rs] not in o["validate"] or "strict" not in keep:
        return None
    from ..sgd.protocol import validate  # noqa: PLC0415

    res = validate(keep["strict"], trials=o["validation_trials"], gammas=o["validation_gammas"],
                   steps=o["validation_steps"], method=o["validation_method"], seed=o["seed"], tol=o["validation_tol"])
    rows = [{"gamma": row.gamma, "trapped": row.spurious_rate, "recovered": row.success_rate,
             "diverged": row.diverged_rate, "other": row.other_rate, "median_error": row.error_quantiles["median"]}
            for row in res.rows]
    return {"rows": rows, "settings": jsonable(res.settings), "certificate": "the strict certificate at delta1"}


def atlas_point(r: int, r_star: int, options: dict | None = None) -> dict:
    """The atlas row of ``(r, r*)`` (module docstring); ``options`` as :data:`DEFAULTS`."""
    o = check_options(options or {})
    r, rs = int(r), int(r_star)
    if not 1 <= rs <= r:
        raise InputError(f"r, r_star: expected 1 <= r* <= r, got r = {r}, r* = {rs}")
    t0, c0 = time.perf_counter(), time.process_time()
    thr = sufficient_condition(r, rs)
    row = {"r": r, "r_star": rs, "d": r + rs, "sufficient": thr,
           "published_counterexample": published_counterexample(r, rs),
           "published_sharp": r == rs or rs == 1, "threshold_expression": f"sqrt({r})/(sqrt({r})+sqrt({rs}))"}
    keep: dict = {}
    for key, part in (("family", _family_part), ("plain", _plain_part), ("exact", _exact_part),
                      ("strict", _strict_part), ("search", _search_part), ("validation", _validation_part)):
        _timed(row, key, lambda part=part: part(r, rs, o, keep))
    row["sharp"] = _sharp_verdict(row)
    row["acceptance"] = _acceptance(row)
    row["seconds"] = time.perf_counter() - t0
    row["cpu_seconds"] = time.process_time() - c0
    return jsonable(row)


def _sharp_verdict(row: dict) -> str:
    ex, st = row.get("exact") or {}, row.get("strict") or {}
    claims = ex.get("claims", {})
    need = ("delta", "threshold", "delta_lower", "strict", "sharpness")
    if all(claims.get(k) == "proved" for k in need) and st.get("exact") == "proved":
        return "proved"
    return "not proved"


def _acceptance(row: dict) -> dict:
    thr = row["sufficient"]
    fam = row.get("family") or {}
    ok_bracket = ("delta" in fam and abs(fam["delta"] - thr) <= BRACKET_TOL and abs(fam["delta_lower"] - thr) <= BRACKET_TOL)
    search = row.get("search") or {}
    return {"bracket_within_1e-7": bool(ok_bracket),
            "search_not_below": bool("best" in search and not search.get("contradiction", True)),
            "exact_threshold_proved": (row.get("exact") or {}).get("outcome") == "proved",
            "strict_mu_proved": (row.get("strict") or {}).get("exact") == "proved"}


# ---------------------------------------------------------------------------------------------
# the whole atlas
# ---------------------------------------------------------------------------------------------
def summarize_rows(rows: list, params: dict | None = None) -> dict:
    """The atlas' summary from its rows (``None`` for a missing one)."""
    done = [r for r in rows if r is not None]
    acc = {k: all(r["acceptance"][k] for r in done) for k in
           ("bracket_within_1e-7", "search_not_below", "exact_threshold_proved", "strict_mu_proved")} if done else {}
    exact_ranks = [r["r"] for r in done if r["acceptance"]["exact_threshold_proved"]]
    return {"pairs": len(rows), "done": len(done), "missing": len(rows) - len(done), "acceptance": acc,
            "sharp_proved": sum(1 for r in done if r["sharp"] == "proved"),
            "contradictions": [[r["r"], r["r_star"]] for r in done if (r.get("search") or {}).get("contradiction")],
            "largest_exact_rank": max(exact_ranks) if exact_ranks else None,
            "max_bracket_deviation": max((max(abs(r["family"]["delta"] - r["sufficient"]),
                                              abs(r["family"]["delta_lower"] - r["sufficient"]))
                                          for r in done if "delta" in (r.get("family") or {})), default=None),
            "seconds_total": sum(r["seconds"] for r in done),
            "cpu_seconds_total": sum(r.get("cpu_seconds", 0.0) for r in done), "params": params}


@dataclass
class AtlasResult:
    """The rows of an atlas (sorted by ``(r, r*)``), its parameters and summary."""

    rows: list
    params: dict
    summary: dict = field(default_factory=dict)
    elapsed: float = math.nan
    created: str | None = None
    machine: str = ""

    def __post_init__(self):
        self.rows = sorted([r for r in self.rows if r is not None], key=lambda r: (r["r"], r["r_star"]))
        if not self.summary:
            self.summary = summarize_rows(self.rows, self.params)
        if self.created is None:
            self.created = utc_now()
        if not self.machine:
            self.machine = (f"{platform.machine()}, {_cpus()} logical cores, Python {platform.python_version()}, "
                            f"numpy {np.__version__}")

    def row(self, r: int, r_star: int) -> dict:
        for row in self.rows:
            if row["r"] == r and row["r_star"] == r_star:
                return row
        raise KeyError((r, r_star))

    def to_dict(self) -> dict:
        from .._version import __version__  # noqa: PLC0415

        return jsonable({"format": "certify.atlas", "format_version": 1, "created": self.created,
                         "package": {"name": "certify", "version": __version__}, "machine": self.machine,
                         "elapsed": self.elapsed, "params": self.params, "summary": self.summary, "rows": self.rows})

    def save(self, path):
        import json  # noqa: PLC0415

        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n")

    @classmethod
    def load(cls, path) -> AtlasResult:
        """Read an atlas file (:meth:`save`) through the kernel's hardened JSON reader; a file that
        is not one (malformed JSON, another format, rows without ``r``/``r_star``) is an
        :class:`InputError` naming the file and what is wrong."""
        from ..check.schema import read_json_file  # noqa: PLC0415

        d = read_json_file(path)
        if not isinstance(d, dict) or d.get("format") != "certify.atlas":
            fmt = d.get("format") if isinstance(d, dict) else type(d).__name__
            raise InputError(f"{path}: not an atlas file (format {fmt!r}; expected 'certify.atlas')")
        rows = d.get("rows")
        if not isinstance(rows, list) or not isinstance(d.get("params"), dict):
            raise InputError(f"{path}: an atlas file needs a list 'rows' and an object 'params'")
        for k, row in enumerate(rows):
            ok = isinstance(row, dict) and all(isinstance(row.get(key), int) and not isinstance(row.get(key), bool)
                                               and 1 <= row[key] <= 1000 for key in ("r", "r_star"))
            if not ok or row["r_star"] > row["r"]:
                raise InputError(f"{path}: rows[{k}] needs integers 1 <= r_star <= r")
        summary = d.get("summary") if isinstance(d.get("summary"), dict) else {}
        try:
            out = cls(rows=rows, params=d["params"], summary=summary, elapsed=d.get("elapsed", math.nan),
                      created=d.get("created"), machine=d.get("machine", ""))
            out.table()  # every row has the fields the table and the pages read
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise InputError(f"{path}: an incomplete atlas file ({type(exc).__name__}: {exc}); write one with "
                             "'certify atlas -o FILE'") from None
        return out

    def table(self) -> str:
        """The Markdown table of the atlas (one line per ``(r, r*)``)."""
        return _table(self.rows)

    def validation_table(self) -> str:
        """The Markdown table of the validation rows: trapped / recovered fraction for each γ."""
        return _validation_table(self.rows)

    def plot(self, path=None):
        """Heat maps over ``(r, r*)``: the threshold, how far below the published counterexamples it
        lies, and ``log10 |δ_family - threshold|`` (bracket ends); "S" marks ``sharp: proved``."""
        from .atlas_plot import atlas_figure  # noqa: PLC0415

        return atlas_figure(self.rows, path)


def _cpus() -> int:
    import os  # noqa: PLC0415

    return os.cpu_count() or 1


def _fmt(v, spec=".9f") -> str:
    return "-" if v is None else format(v, spec)


def _e(v, spec=".1e") -> str:
    return "-" if v is None else format(v, spec)


def _table(rows: list) -> str:
    head = ("| r | r* | threshold 1/(1+sqrt(r*/r)) | exact value | published counterexamples | family bracket: max "
            "\\|end - threshold\\| | plain SDP - reduced | exact proof (s) | strict: proved Hessian min at threshold + 0.01 | "
            "search best - threshold | sharp | wall s / CPU s |")
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        fam, pl, ex, st, se = (r.get(k) or {} for k in ("family", "plain", "exact", "strict", "search"))
        thr = r["sufficient"]
        dev = max(abs(fam["delta"] - thr), abs(fam["delta_lower"] - thr)) if "delta" in fam else None
        plain = pl.get("difference_to_invariant")
        exact = f"{ex.get('outcome', '-')} ({ex.get('verify_seconds', 0.0):.2f})" if ex else "-"
        best = None if "best" not in se else se["best"] - thr
        lines.append(
            f"| {r['r']} | {r['r_star']} | {thr:.9f} | {ex.get('delta_value', '-')} | {r['published_counterexample']:.9f} | "
            f"{_e(dev)} | {_e(None if plain is None else abs(plain))} | {exact} | "
            f"{_fmt(st.get('exact_mu_float'), '.4g')} ({st.get('exact', '-')}) | {_e(best)} | {r['sharp']} | "
            f"{r['seconds']:.0f} / {r.get('cpu_seconds', math.nan):.0f} |")
    return "\n".join(lines)


def _validation_table(rows: list) -> str:
    val = [r for r in rows if r.get("validation") and "rows" in r["validation"]]
    if not val:
        return "(no validation rows)"
    gammas = [v["gamma"] for v in val[0]["validation"]["rows"]]
    lines = ["| (r, r*) | " + " | ".join(f"gamma = {g:g}" for g in gammas) + " |", "|" + "---|" * (len(gammas) + 1)]
    for r in val:
        cells = [f"{v['trapped']:.3f} / {v['recovered']:.3f}" for v in r["validation"]["rows"]]
        lines.append(f"| ({r['r']}, {r['r_star']}) | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n(each cell: fraction trapped at X / fraction recovered)"


def atlas(max_rank: int = 8, *, progress=None, **options) -> AtlasResult:
    """Every row of the atlas up to ``max_rank``, computed in this process (no store: for a
    resumable run with a pool use ``certify atlas`` or the sweep kind ``atlas``).  ``options``: see
    :data:`DEFAULTS`.  ``progress(done, total, row)`` is called after every row."""
    o = check_options(options)
    pairs = atlas_pairs(max_rank)
    t0 = time.perf_counter()
    rows = []
    for k, (r, rs) in enumerate(pairs, 1):
        rows.append(atlas_point(r, rs, o))
        if progress is not None:
            progress(k, len(pairs), rows[-1])
    return AtlasResult(rows=rows, params={"max_rank": int(max_rank), **o}, elapsed=time.perf_counter() - t0)
