"""Search for the sharp RIP threshold: minimize ``δ(X, Z)`` over ``X ∈ R^{n×r}``, ``Z ∈ R^{n×r*}``.

``δ(X, Z)`` is the optimal value of the parametric SDP ``LMI(X, Z)`` (JMLR19 eq. 23).  Its
sensitivity comes from the dual: for the dual point ``(y*, V*)`` of ``LMI(X0, Z0)`` the function

    g(X, Z) = tr G / ||G||_*,   G = G(X, Z; y*, V*)          (certify.rip.lmi.dual_lower_bound)

is a lower bound on ``δ(X, Z)`` for **every** ``(X, Z)`` and equals ``δ(X0, Z0)`` at the solved
point (strong duality).  So ``∇g(X0, Z0)`` is the gradient of ``δ`` wherever ``δ`` is
differentiable (Danskin); it costs only eigenvalue computations (central finite differences of
``g``, no extra SDP).  Each restart runs a normalized gradient descent with backtracking on this
first-order model (L-BFGS-B), optionally followed by a derivative-free polish (Nelder–Mead on the SDP value); the best
point is re-solved at the default (tight) accuracy and returned as a verified certificate.

By the projection lemma (JMLR19 Lemma 9) nothing is lost with ``n = r + r*``.  δ is invariant under
``(X, Z) ↦ (c Q X R₁, c Q Z R₂)``; the iterate is renormalized to ``||Z Z^T||_F = 1`` after every step.

Published values (REFERENCE §1.1): ``1/2`` for ``r = r*`` (Zhang, Sojoudi, Lavaei 2019 for rank 1;
R. Y. Zhang 2021 in general); for ``r > r*`` counterexamples exist for ``δ >= 1/(1 + 1/√(r − r* + 1))``,
sharp for ``r* = 1``.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..check.duality import dual_lower_bound, lmi_data
from ..errors import InputError, NoCounterexampleError, SolverError
from ..options import integer
from .sdp import counterexample

__all__ = ["SearchResult", "search_sharp_delta", "published_threshold", "SEARCH_SETTINGS"]

#: Clarabel settings for the many SDPs of a search (the final certificate uses the tight defaults)
SEARCH_SETTINGS = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9, "static_regularization_constant": 1e-7}


def _ranks(r, r_star) -> tuple[int, int]:
    r = integer(r, "r", lo=1)
    r_star = integer(r_star, "r_star", lo=1)
    if r_star > r:
        raise InputError(f"r_star: expected an integer r* <= r (got r = {r}, r* = {r_star})")
    return r, r_star


def published_threshold(r: int, r_star: int) -> dict:
    """The published values for ``(r, r*)`` (REFERENCE §1.1).

    ``lower``: the sufficient condition — no spurious second-order critical point for
    ``δ < 1/(1 + √(r*/r))`` (1/2 when r = r*); ``upper``: published counterexamples exist for
    ``δ >= 1/(1 + 1/√(r − r* + 1))`` (1/2 when r = r*).  ``value`` is the number a search is
    compared with: the sharp threshold where ``lower = upper`` (r = r*, or r* = 1), else ``upper``
    (the best published counterexample) with ``kind = "counterexamples exist at and above"``.
    ``r >= r* >= 1`` (integers).
    """
    r, r_star = _ranks(r, r_star)
    lower = 1.0 / (1.0 + math.sqrt(r_star / r))
    upper = 1.0 / (1.0 + 1.0 / math.sqrt(r - r_star + 1))
    if r == r_star:
        return {"value": 0.5, "lower": 0.5, "upper": 0.5, "kind": "sharp",
                "reference": "1/2: Zhang, Sojoudi, Lavaei (2019) for r = 1; R. Y. Zhang (2021) for general rank"}
    if r_star == 1:
        return {"value": upper, "lower": lower, "upper": upper, "kind": "sharp",
                "reference": f"1/(1 + 1/sqrt(r)) = {upper:.6f} for r* = 1 (overparameterized)"}
    return {"value": upper, "lower": lower, "upper": upper, "kind": "counterexamples exist at and above",
            "reference": f"counterexamples for delta >= 1/(1 + 1/sqrt(r - r* + 1)) = {upper:.6f}; none below the "
                         f"sufficient condition 1/(1 + sqrt(r*/r)) = {lower:.6f}"}


@dataclass
class SearchResult:
    """``delta`` (of the verified ``certificate``), ``X``, ``Z``, ``history`` (one dict per restart with
    its trace), ``published`` (see :func:`published_threshold`), ``evaluations``, ``seconds``."""

    delta: float
    delta_lower: float
    certificate: object
    X: np.ndarray
    Z: np.ndarray
    history: list
    published: dict
    evaluations: int
    seconds: float
    settings: dict = field(default_factory=dict)

    @property
    def below_sufficient_condition(self) -> bool:
        """True if the verified δ is below the published sufficient condition (a theorem): that
        would contradict it, so it signals an error in the certificate chain."""
        return self.delta < self.published["lower"] - 1e-7

    @property
    def gap_to_published(self) -> float:
        return self.delta - self.published["value"]

    def summary(self) -> str:
        p = self.published
        best = [h["best"] for h in self.history]
        extra = ""
        if p["lower"] < p["upper"]:
            extra = (f"; published range: no counterexample below {p['lower']:.6f}, counterexamples from {p['upper']:.6f}"
                     + (" -- this search found a better counterexample" if self.delta < p["upper"] - 1e-6 else ""))
        return (f"search (n = {self.X.shape[0]}, r = {self.X.shape[1]}, r* = {self.Z.shape[1]}): best delta = {self.delta:.9f} "
                f"(dual-certified >= {self.delta_lower:.9f}); published {p['value']:.9f} ({p['kind']}); "
                f"difference {self.gap_to_published:+.2e}; {len(self.history)} restarts, best per restart "
                f"min/median/max = {min(best):.6f}/{float(np.median(best)):.6f}/{max(best):.6f}; "
                f"{self.evaluations} SDPs in {self.seconds:.1f} s{extra}")

    def to_dict(self) -> dict:
        return {"format": "certify.search", "format_version": 1, "delta": self.delta, "delta_lower": self.delta_lower,
                "X": self.X.tolist(), "Z": self.Z.tolist(), "published": self.published, "history": self.history,
                "evaluations": self.evaluations, "seconds": self.seconds, "settings": self.settings}


class _Objective:
    """δ(θ) by the SDP and its dual-model gradient; counts evaluations; never raises on a bad point."""

    def __init__(self, n, r, r_star, solver, settings):
        self.n, self.r, self.r_star = n, r, r_star
        self.solver, self.settings = solver, settings
        self.evaluations = 0

    def split(self, theta):
        k = self.n * self.r
        return theta[:k].reshape(self.n, self.r), theta[k:].reshape(self.n, self.r_star)

    @staticmethod
    def normalize(theta, n, r, r_star):
        Z = theta[n * r:].reshape(n, r_star)
        s = math.sqrt(float(np.linalg.norm(Z.T @ Z)))
        return theta / s if s > 0 else theta

    def value(self, theta, want_grad=False):
        X, Z = self.split(theta)
        self.evaluations += 1
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cert = counterexample(X, Z, solver=self.solver, settings=self.settings, gap_tol=1e-5, verify=False)
        except (NoCounterexampleError, SolverError, InputError):
            return (1.0, None) if want_grad else 1.0
        if not want_grad:
            return cert.delta
        dual = cert.dual
        P = dual.P
        if P.shape[1] < self.n:  # [X, Z] rank-deficient: the dual model does not cover every direction
            return cert.delta, None

        def g(th):
            Xt, Zt = self.split(th)
            data = lmi_data(dual.scale * (P.T @ Xt), dual.scale * (P.T @ Zt), dual.basis)
            return dual_lower_bound(data, dual.y, dual.V)

        h = 1e-6
        grad = np.empty_like(theta)
        for i in range(theta.size):
            e = np.zeros_like(theta)
            e[i] = h
            grad[i] = (g(theta + e) - g(theta - e)) / (2 * h)
        return cert.delta, grad


def _descend(obj: _Objective, theta, max_iter, trace):
    """L-BFGS-B on δ with the dual-model gradient (scale direction removed); returns the best point seen."""
    from scipy.optimize import minimize  # noqa: PLC0415

    n, r, rs = obj.n, obj.r, obj.r_star
    best = [math.inf, None]

    def fg(th):
        th = _Objective.normalize(th, n, r, rs)
        f, g = obj.value(th, want_grad=True)
        trace.append(f)
        if f < best[0]:
            best[0], best[1] = f, th.copy()
        if g is None or not np.all(np.isfinite(g)):
            return f, np.zeros_like(th)
        return f, g - (g @ th) / (th @ th) * th

    minimize(fg, _Objective.normalize(theta, n, r, rs), jac=True, method="L-BFGS-B",
             options={"maxiter": max_iter, "ftol": 1e-13, "gtol": 1e-10})
    return best[1], best[0]


def _polish(obj: _Objective, theta, max_evals, trace):
    from scipy.optimize import minimize  # noqa: PLC0415

    n, r, rs = obj.n, obj.r, obj.r_star

    def fun(th):
        v = obj.value(_Objective.normalize(th, n, r, rs))
        trace.append(v)
        return v

    res = minimize(fun, theta, method="Nelder-Mead",
                   options={"maxfev": max_evals, "xatol": 1e-9, "fatol": 1e-11, "initial_simplex": None,
                            "adaptive": True})
    th = _Objective.normalize(res.x, n, r, rs)
    return th, float(res.fun)


def search_sharp_delta(
    n: int,
    r: int,
    r_star: int,
    restarts: int = 20,
    seed: int = 0,
    *,
    max_iter: int = 200,
    polish_evals: int = 0,
    solver: str | None = None,
    settings: dict | None = None,
    progress=None,
    start: int = 0,
) -> SearchResult:
    """Minimize ``δ(X, Z)`` over ``X ∈ R^{n×r}``, ``Z ∈ R^{n×r*}`` from ``restarts`` random starts.

    Each restart: Gaussian ``(X, Z)`` from ``numpy.random.default_rng([seed, k])`` (redrawn while
    δ = 1), L-BFGS-B on δ with the dual-model gradient (module docstring, at most ``max_iter``
    iterations, an integer >= 1), then optionally a Nelder–Mead polish (``polish_evals >= 0`` SDPs).  The best point is re-solved with the tight default settings and
    verified; ``best.delta`` is that certificate's δ (an upper bound on the minimum, attained by
    the returned operator) and ``best.delta_lower`` its dual-certified lower bound for that (X, Z).
    ``progress(k, restarts, best_so_far)`` is called after every restart.
    ``start`` runs restarts ``start, ..., start + restarts - 1`` instead (restart ``k`` always uses
    ``default_rng([seed, k])``), so ``restarts=1, start=k`` is restart ``k`` alone, exactly as in a
    full search (:mod:`certify.sweep` runs each restart as one task this way).
    """
    r, r_star = _ranks(r, r_star)
    n = integer(n, "n", lo=1)
    if n < r + r_star:
        raise InputError(f"n: expected an integer >= r + r* = {r + r_star} (the projection lemma makes larger n "
                         f"unnecessary), got {n}")
    restarts = integer(restarts, "restarts", lo=1)
    seed = integer(seed, "seed", lo=0)
    start = integer(start, "start", lo=0)
    max_iter = integer(max_iter, "max_iter", lo=1)
    polish_evals = integer(polish_evals, "polish_evals", lo=0)
    opts = dict(SEARCH_SETTINGS) if settings is None else dict(settings)
    obj = _Objective(n, r, r_star, solver, opts)
    t0 = time.perf_counter()
    history = []
    best = (math.inf, None)
    for k in range(start, start + restarts):
        rng = np.random.default_rng([seed, k])
        trace: list = []
        e0 = obj.evaluations
        for _ in range(10):  # a start with δ = 1 (no counterexample) has no useful gradient: draw again
            theta0 = _Objective.normalize(rng.standard_normal(n * (r + r_star)), n, r, r_star)
            f_start = obj.value(theta0)
            if f_start < 1.0 - 1e-9:
                break
        theta, f = _descend(obj, theta0, max_iter, trace)
        n_desc = len(trace)
        if polish_evals > 0:
            th2, f2 = _polish(obj, theta, polish_evals, trace)
            if f2 < f:
                theta, f = th2, f2
        history.append({"restart": k, "start": f_start, "after_descent": trace[n_desc - 1] if n_desc else f_start,
                        "best": f, "evaluations": obj.evaluations - e0,
                        "trace": [float(v) for v in np.minimum.accumulate([f_start] + trace)[:: max(1, len(trace) // 50)]]})
        if f < best[0]:
            best = (f, theta)
        if progress is not None:
            progress(k - start + 1, restarts, best[0])
    X, Z = obj.split(best[1])
    cert = counterexample(X, Z, solver=solver)  # tight defaults, verified
    cert.name = f"sharp_search_r{r}_rstar{r_star}"
    which = f"{restarts} restarts" if start == 0 else f"restarts {start}..{start + restarts - 1}"
    cert.description = (f"best of {which} of rip.search_sharp_delta(n = {n}, r = {r}, r* = {r_star}, seed = {seed}); "
                        f"published {published_threshold(r, r_star)['reference']}")
    return SearchResult(
        delta=float(cert.delta), delta_lower=float(cert.delta_lower), certificate=cert, X=cert.X, Z=cert.Z,
        history=history, published=published_threshold(r, r_star), evaluations=obj.evaluations,
        seconds=time.perf_counter() - t0,
        settings={"n": n, "r": r, "r_star": r_star, "restarts": restarts, "seed": seed, "max_iter": max_iter,
                  "polish_evals": polish_evals, "solver_settings": opts, **({"start": start} if start else {})},
    )
