"""Search for the sharp RIP threshold: minimize ``δ(X, Z)`` over ``X ∈ R^{n×r}``, ``Z ∈ R^{n×r*}``.

``δ(X, Z)`` is the optimal value of the parametric SDP ``LMI(X, Z)`` (JMLR19 eq. 23).  Its
sensitivity comes from the dual: for the dual point ``(y*, V*)`` of ``LMI(X0, Z0)`` the function

    g(X, Z) = tr G / ||G||_*,   G = G(X, Z; y*, V*)          (certify.rip.lmi.dual_lower_bound)

is a lower bound on ``δ(X, Z)`` for **every** ``(X, Z)`` and equals ``δ(X0, Z0)`` at the solved
point (strong duality).  So ``∇g(X0, Z0)`` is the gradient of ``δ`` wherever ``δ`` is
differentiable (Danskin); it costs only eigenvalue computations (central finite differences of
``g``, no extra SDP; the ``2 dim θ`` perturbed instances are evaluated as one stack by the vectorized
kernel formula :func:`certify.rip.batch.dual_bound_batch`).  Each restart runs L-BFGS-B on this
first-order model, optionally followed by a derivative-free polish (Nelder–Mead on the SDP value);
the best point is re-solved at the default (tight) accuracy and returned as a verified certificate.
The SDPs run on the compiled core (:mod:`certify.rip.conic`) unless ``backend="cvxpy"``.

Starts.  The orthogonal family ``Z = [e_1 … e_{r*}]``, ``X = a [e_{r*+1} … e_{r*+r}]``,
``a² = √r* / (√r + √r*)`` (REFERENCE §1.1) is a known attractor of the search: restart 0 starts
there and restarts ``1 … structured_starts - 1`` near it (the family point plus a Gaussian
perturbation of relative size ``0.05 k``); the others start at random.  The first point of every
restart is evaluated in one :func:`certify.rip.delta_batch` call.  The history records the kind of
each start and :attr:`SearchResult.best_restarts` which restarts found the best value.

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

from ..errors import InputError, NoCounterexampleError, SolverError
from ..options import integer
from .sdp import counterexample

__all__ = ["SearchResult", "search_sharp_delta", "published_threshold", "family_point", "SEARCH_SETTINGS",
           "AUTO_IPM_MIN_N"]

#: Clarabel settings for the many SDPs of a search (the final certificate uses the tight defaults)
SEARCH_SETTINGS = {"tol_gap_abs": 1e-9, "tol_gap_rel": 1e-9, "tol_feas": 1e-9, "static_regularization_constant": 1e-7}
#: with ``backend="auto"``, the descent's SDPs use certify's interior point from this ``n`` on
#: (measured: d = 6 three times faster than Clarabel, d = 5 about 1.3 times; slower below, where
#: Python overhead dominates); its settings in the descent: brackets to 1e-9, two stalled iterations
AUTO_IPM_MIN_N = 5
SEARCH_IPM_SETTINGS = {"tol_bracket": 1e-9, "patience": 2}


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
    def best_restarts(self) -> list:
        """The restarts whose best value is within 1e-7 of the best restart's, with the kind of
        their start (``"family"``, ``"near-family"``, ``"random"``)."""
        b = min(h["best"] for h in self.history)
        return [{"restart": h["restart"], "start_kind": h.get("start_kind", "random"), "best": h["best"]}
                for h in self.history if h["best"] <= b + 1e-7]

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
        found = ", ".join(f"{b['restart']} ({b['start_kind']})" for b in self.best_restarts)
        return (f"search (n = {self.X.shape[0]}, r = {self.X.shape[1]}, r* = {self.Z.shape[1]}): best delta = {self.delta:.9f} "
                f"(dual-certified >= {self.delta_lower:.9f}); published {p['value']:.9f} ({p['kind']}); "
                f"difference {self.gap_to_published:+.2e}; {len(self.history)} restarts, best per restart "
                f"min/median/max = {min(best):.6f}/{float(np.median(best)):.6f}/{max(best):.6f}; best found by restart(s) "
                f"{found}; {self.evaluations} SDPs in {self.seconds:.1f} s{extra}")

    def to_dict(self) -> dict:
        return {"format": "certify.search", "format_version": 1, "delta": self.delta, "delta_lower": self.delta_lower,
                "X": self.X.tolist(), "Z": self.Z.tolist(), "published": self.published, "history": self.history,
                "best_restarts": self.best_restarts, "evaluations": self.evaluations, "seconds": self.seconds,
                "settings": self.settings}


def family_point(n: int, r: int, r_star: int) -> tuple[np.ndarray, np.ndarray]:
    """The orthogonal family ``Z = [e_1 … e_{r*}]``, ``X = a [e_{r*+1} … e_{r*+r}]``,
    ``a² = √r* / (√r + √r*)`` in ``R^n`` (``n >= r + r*``): δ(X, Z) = 1/(1 + √(r*/r)), the sufficient
    condition, for the pairs of REFERENCE §1.1."""
    a = math.sqrt(math.sqrt(r_star) / (math.sqrt(r) + math.sqrt(r_star)))
    Z = np.zeros((n, r_star))
    Z[np.arange(r_star), np.arange(r_star)] = 1.0
    X = np.zeros((n, r))
    X[r_star + np.arange(r), np.arange(r)] = a
    return X, Z


class _Objective:
    """δ(θ) by the SDP and its dual-model gradient; counts evaluations; never raises on a bad point."""

    def __init__(self, n, r, r_star, solver, settings, backend=None):
        self.n, self.r, self.r_star = n, r, r_star
        self.solver, self.settings, self.backend = solver, settings, backend
        self.evaluations = 0

    def split(self, theta):
        k = self.n * self.r
        return theta[:k].reshape(self.n, self.r), theta[k:].reshape(self.n, self.r_star)

    @staticmethod
    def normalize(theta, n, r, r_star):
        Z = theta[n * r:].reshape(n, r_star)
        s = math.sqrt(float(np.linalg.norm(Z.T @ Z)))
        return theta / s if s > 0 else theta

    def backends(self):
        """``[(backend, settings), ...]`` tried in order for one evaluation."""
        if self.backend != "auto":
            return [(self.backend, self.settings)]
        clarabel = ("clarabel", self.settings)
        return [("ipm", SEARCH_IPM_SETTINGS), clarabel] if self.n >= AUTO_IPM_MIN_N else [clarabel]

    def value(self, theta, want_grad=False):
        X, Z = self.split(theta)
        self.evaluations += 1
        cert = None
        for backend, settings in self.backends():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cert = counterexample(X, Z, solver=self.solver if backend == "cvxpy" else None, settings=settings,
                                          gap_tol=1e-5, verify=False, backend=backend)
                break
            except NoCounterexampleError:
                break
            except (SolverError, InputError):
                continue
        if cert is None:
            return (1.0, None) if want_grad else 1.0
        if not want_grad:
            return cert.delta
        dual = cert.dual
        if dual.P.shape[1] < self.n:  # [X, Z] rank-deficient: the dual model does not cover every direction
            return cert.delta, None
        return cert.delta, self.model_gradient(theta, dual)

    def model_gradient(self, theta, dual, h: float = 1e-6):
        """Central differences (step ``h``) of ``g(θ) = tr G / ||G||_*`` for the fixed dual point, all
        ``2 dim θ`` perturbed instances evaluated as one stack (:func:`certify.rip.batch.dual_bound_batch`,
        the kernel's :func:`~certify.check.duality.dual_lower_bound` for a stack)."""
        from .batch import dual_bound_batch  # noqa: PLC0415
        from .conic import basis_tensors, lmi_arrays  # noqa: PLC0415

        m = theta.size
        TH = theta[None, :] + h * np.concatenate([np.eye(m), -np.eye(m)])
        k = self.n * self.r
        Xt = TH[:, :k].reshape(2 * m, self.n, self.r)
        Zt = TH[:, k:].reshape(2 * m, self.n, self.r_star)
        Pt = dual.scale * dual.P.T
        e, J = lmi_arrays(Pt @ Xt, Pt @ Zt, dual.basis)
        lay = _DualLayout(dual.P.shape[1], self.r, basis_tensors(dual.P.shape[1], dual.basis)[0])
        g = dual_bound_batch(lay, e, J, np.asarray(dual.y, dtype=float), np.asarray(dual.V, dtype=float))
        return (g[:m] - g[m:]) / (2 * h)


@dataclass(frozen=True)
class _DualLayout:
    N: int
    r: int
    Bm: np.ndarray


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
    backend: str | None = None,
    structured_starts: int = 2,
    workers: int = 1,
) -> SearchResult:
    """Minimize ``δ(X, Z)`` over ``X ∈ R^{n×r}``, ``Z ∈ R^{n×r*}`` from ``restarts`` starts.

    Starts: restart 0 at the orthogonal family point (:func:`family_point`), restarts ``1 …
    structured_starts - 1`` near it (plus ``0.05 k`` times a Gaussian from
    ``numpy.random.default_rng([seed, k])``), every other restart ``k`` at a Gaussian ``(X, Z)`` from
    ``default_rng([seed, k])`` (redrawn while δ = 1); ``structured_starts = 0`` gives random starts
    only (the behaviour before structured starts).  The first points of all restarts are evaluated
    together (:func:`certify.rip.delta_batch`).  Each restart then runs
    L-BFGS-B on δ with the dual-model gradient (module docstring, at most ``max_iter``
    iterations, an integer >= 1), then optionally a Nelder–Mead polish (``polish_evals >= 0`` SDPs).
    The best point is re-solved with the tight default settings (Clarabel, or ``backend``) and
    verified; ``best.delta`` is that certificate's δ (an upper bound on the minimum, attained by
    the returned operator) and ``best.delta_lower`` its dual-certified lower bound for that (X, Z).
    ``progress(k, restarts, best_so_far)`` is called after every restart.
    ``start`` runs restarts ``start, ..., start + restarts - 1`` instead (restart ``k`` always uses
    ``default_rng([seed, k])`` and the same kind of start), so ``restarts=1, start=k`` is restart
    ``k`` alone, exactly as in a full search (:mod:`certify.sweep` runs each restart as one task
    this way).  ``history[k]["start_kind"]`` says how restart ``k`` started;
    :attr:`SearchResult.best_restarts` which restarts found the best value.

    ``backend``: the SDPs of the descent; ``None`` or ``"auto"`` (default): the compiled Clarabel
    core, and for ``n >= 5`` certify's interior point (:mod:`certify.rip.ipm`, faster there) with
    Clarabel for any evaluation it does not solve; else as for
    :func:`certify.rip.counterexample`.  ``settings`` are the descent's solver settings (default
    :data:`SEARCH_SETTINGS` for Clarabel).  ``workers > 1`` runs the restarts in that many
    processes (``forkserver``/``spawn``; each restart is independent, so the result does not
    depend on it; the caller's script needs the usual ``if __name__ == "__main__":`` guard).
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
    structured_starts = integer(structured_starts, "structured_starts", lo=0)
    workers = integer(workers, "workers", lo=1)
    if settings is not None and not isinstance(settings, dict):
        raise InputError(f"settings: expected a dict of solver options or None, got {settings!r}")
    from .sdp import resolve_backend  # noqa: PLC0415

    if backend is None or (isinstance(backend, str) and backend.lower() == "auto"):
        resolve_backend(None, solver)  # validates solver
        name = (solver or "CLARABEL").upper()
        final_backend = None
        backend = ("auto" if name == "CLARABEL" else resolve_backend(None, solver)[0])
    else:
        backend, _ = resolve_backend(backend, solver)
        final_backend = backend
    if settings is not None:
        opts = dict(settings)
    elif backend == "ipm":
        opts = dict(SEARCH_IPM_SETTINGS)
    elif backend == "scs":
        opts = {}
    else:
        opts = dict(SEARCH_SETTINGS)
    obj = _Objective(n, r, r_star, solver, opts, backend)
    t0 = time.perf_counter()
    ks = list(range(start, start + restarts))
    starts, rngs, kinds = _first_points(n, r, r_star, seed, ks, structured_starts)
    f_starts = _evaluate_starts(obj, starts, backend, solver, opts)
    jobs = [(obj, k, kinds[i], starts[i], f_starts[i], rngs[i], max_iter, polish_evals) for i, k in enumerate(ks)]
    history, best = [], (math.inf, None)
    base = obj.evaluations  # the starts' batch; each restart counts its own (in this process or a worker)
    total = base
    for done, (entry, f, theta, evals) in enumerate(_run_restarts(jobs, workers), start=1):
        total += evals
        history.append(entry)
        if f < best[0] or (f == best[0] and best[1] is None):
            best = (f, theta)
        if progress is not None:
            progress(done, restarts, best[0])
    obj.evaluations = total
    X, Z = obj.split(best[1])
    cert = counterexample(X, Z, solver=solver, backend=final_backend)  # tight defaults, verified
    cert.name = f"sharp_search_r{r}_rstar{r_star}"
    which = f"{restarts} restarts" if start == 0 else f"restarts {start}..{start + restarts - 1}"
    cert.description = (f"best of {which} of rip.search_sharp_delta(n = {n}, r = {r}, r* = {r_star}, seed = {seed}); "
                        f"published {published_threshold(r, r_star)['reference']}")
    return SearchResult(
        delta=float(cert.delta), delta_lower=float(cert.delta_lower), certificate=cert, X=cert.X, Z=cert.Z,
        history=history, published=published_threshold(r, r_star), evaluations=obj.evaluations,
        seconds=time.perf_counter() - t0,
        settings={"n": n, "r": r, "r_star": r_star, "restarts": restarts, "seed": seed, "max_iter": max_iter,
                  "polish_evals": polish_evals, "solver_settings": opts, "backend": backend,
                  "structured_starts": structured_starts, "workers": workers, **({"start": start} if start else {})},
    )


def _restart(job):
    """One restart: redraws while δ = 1 (random starts), L-BFGS-B, optional polish.  Returns
    ``(history entry, best value, best θ, SDP evaluations)``."""
    obj, k, kind, theta0, f_start, rng, max_iter, polish_evals = job
    n, r, rs = obj.n, obj.r, obj.r_star
    e0 = obj.evaluations
    trace: list = []
    if kind == "random":
        for _ in range(9):  # a start with δ = 1 (no counterexample) has no useful gradient: draw again
            if f_start < 1.0 - 1e-9:
                break
            theta0 = _Objective.normalize(rng.standard_normal(n * (r + rs)), n, r, rs)
            f_start = obj.value(theta0)
    theta, f = _descend(obj, theta0, max_iter, trace)
    if theta is None:  # no evaluation below the start (or none at all)
        theta, f = theta0, f_start
    n_desc = len(trace)
    if polish_evals > 0:
        th2, f2 = _polish(obj, theta, polish_evals, trace)
        if f2 < f:
            theta, f = th2, f2
    evals = obj.evaluations - e0
    entry = {"restart": k, "start_kind": kind, "start": f_start, "after_descent": trace[n_desc - 1] if n_desc else f_start,
             "best": f, "evaluations": evals + 1,
             "trace": [float(v) for v in np.minimum.accumulate([f_start] + trace)[:: max(1, len(trace) // 50)]]}
    return entry, f, theta, evals


def _run_restarts(jobs, workers):
    """The restarts in order (in-process, or ``workers`` fresh processes).

    The workers are started with ``forkserver`` (else ``spawn``), never a bare ``fork``: a process
    whose OpenBLAS thread pool is running can deadlock in a forked child's first BLAS call (seen
    here: the children idle at 0 % CPU)."""
    import multiprocessing as mp  # noqa: PLC0415

    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            yield _restart(job)
        return
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=mp.get_context(method)) as ex:
        yield from ex.map(_restart, jobs)


def _first_points(n, r, r_star, seed, ks, structured_starts):
    """The first point of every restart ``k`` in ``ks``, its generator (continued by redraws) and
    its kind: ``"family"`` (k = 0 < structured_starts), ``"near-family"`` (0 < k < structured_starts),
    ``"random"``."""
    Xf, Zf = family_point(n, r, r_star)
    fam = np.concatenate([Xf.reshape(-1), Zf.reshape(-1)])
    starts, rngs, kinds = [], [], []
    for k in ks:
        rng = np.random.default_rng([seed, k])
        if k < structured_starts:
            th = fam if k == 0 else fam + 0.05 * k * rng.standard_normal(fam.size)
            kinds.append("family" if k == 0 else "near-family")
        else:
            th = rng.standard_normal(n * (r + r_star))
            kinds.append("random")
        starts.append(_Objective.normalize(th, n, r, r_star))
        rngs.append(rng)
    return starts, rngs, kinds


def _evaluate_starts(obj: _Objective, starts, backend, solver, settings) -> list:
    """δ at the first point of every restart, in one :func:`certify.rip.delta_batch` call (1 where
    there is no bracket: no counterexample, or a failed solve, as :meth:`_Objective.value`)."""
    from .batch import delta_batch  # noqa: PLC0415

    if backend == "auto":
        backend, settings = obj.backends()[0]
    n, r, rs = obj.n, obj.r, obj.r_star
    Xs = np.stack([th[: n * r].reshape(n, r) for th in starts])
    Zs = np.stack([th[n * r:].reshape(n, rs) for th in starts])
    obj.evaluations += len(starts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = delta_batch(Xs, Zs, backend=backend, solver=solver if backend == "cvxpy" else None, settings=settings,
                          gap_tol=1e-5)
    return [float(d) if st == "ok" else 1.0 for d, st in zip(res.delta, res.status, strict=False)]
