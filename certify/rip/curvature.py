"""The curvature SDP (REFERENCE §1.4; the extension sketched in JMLR19 §3.3).

For fixed ``(X, Z, δ, g)`` ::

    μ*(X, Z, δ, g) = maximize_{μ, H}  μ
                     subject to  ||∇f(X)|| = ||2 𝐗^T H e|| <= g
                                 C^T ∇²f(X) C ⪰ μ I        (C: complement of the rotation directions XΩ)
                                 (1 - δ) I ⪯ H ⪯ (1 + δ) I

**Scaling convention** (stated again in every result): ``f(X) = ||A(XX^T - ZZ^T)||^2`` without ½,
``∇²f`` its Hessian; the instance is normalized to ``||ZZ^T||_F = 1`` (``X, Z ↦ X/s, Z/s``,
``s = ||ZZ^T||_F^{1/2}``); the operator is *not* rescaled (it lies in the band of the given δ).
``μ`` and ``g`` refer to the normalized instance; for the instance as given multiply ``μ`` by
``||ZZ^T||_F`` and ``g`` by ``||ZZ^T||_F^{3/2}``.  On the 2×2 example ``||ẑẑ^T|| = 1``.

The SDP is solved on the projection ``P = orth([X, Z])`` (JMLR19 Lemma 9).  By compression, every
δ-RIP operator on ``R^{n×n}`` restricted to ``span(P) ⊗ span(P)`` is a δ-RIP operator of the
reduced instance with no larger gradient, and the Hessian on ``span(P)``-directions is the
reduced one; so the reduced ``μ*`` bounds the curvature of **every** δ-RIP instance of any size
from above, and ``μ* < 0`` is a strict-saddle statement for the whole class.  The returned
operator is the lift (identity off the subspace); its full-space curvature also contains the block
``4 (X^T X ⊗ I)`` of the complementary directions, which :meth:`Certificate.verify` includes.

Reading: ``μ* > 0`` — a spurious strict local minimum with curvature ``>= μ*`` exists (returned
as a verified :class:`~certify.certificates.Certificate`); ``μ* < 0`` — at ``X`` every such
instance has a direction of curvature ``<= μ*`` (the dual point proving it is checked here);
infeasible — no δ-RIP operator makes ``||∇f(X)|| <= g`` (a Farkas vector, checked, proves it).
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..check.curvature import (
    CONVENTION,
    DEFAULT_GAP_TOL,
    FARKAS_MARGIN,
    CurvatureFile,
    CurvatureReport,
    reduced_instance,
)
from ..check.duality import (
    LMIData,
    curvature_upper_bound,
    min_gradient_lower_bound,
    project_first_order,
)
from ..check.operators import CompactOperator
from ..errors import InputError, SolverError
from ..io import atomic_write_text, jsonable
from ..linalg import as_factor, normalize_pair, sym
from ..options import real, reals
from ..solvers import solve_problem
from .model import lmi_model

__all__ = [
    "CONVENTION",
    "CurvatureResult",
    "CurvatureReport",
    "CurvatureProfile",
    "curvature",
    "curvature_profile",
    "saddle_map",
    "SaddleMap",
]

#: |μ| below this (normalized units) is reported as μ* = 0 ("degenerate")
ZERO_TOL = 1e-7


def _check_inputs(X, Z, delta, grad_tol):
    pair = normalize_pair(X, Z)  # real, finite, same n, Z != 0; any scale (the SDP runs normalized)
    delta = real(delta, "delta", lo=0.0, hi=1.0, hi_open=True)
    grad_tol = real(grad_tol, "grad_tol", lo=0.0)
    return pair.X, pair.Z, delta, grad_tol


def _check_gap_tol(gap_tol) -> float:
    return real(gap_tol, "gap_tol", lo=0.0, lo_open=True)


def _reduced(X, Z):
    """``(P, s, data, C)`` of the instance normalized to ``||ZZ^T||_F = 1`` on ``P = orth([X, Z])``
    (computed on the power-of-two normalized pair: no overflow at any scale)."""
    return reduced_instance(X, Z)


def _full_gram(data: LMIData, Hs: np.ndarray) -> np.ndarray:
    d = data.N
    return sym(data.B @ Hs @ data.B.T + (np.eye(d * d) - data.B @ data.B.T))


def _primal_figures(data: LMIData, C: np.ndarray, H_hat: np.ndarray):
    """Recompute, independently of the SDP's expressions, the band δ, ``||∇f||`` and ``μ`` of ``H_hat``."""
    from ..check.format import _dense_derivatives  # noqa: PLC0415 - the verifier's own derivative code

    lam = np.linalg.eigvalsh(H_hat)
    band_delta = float(max(lam.max() - 1.0, 1.0 - lam.min()))
    _, grad, hess = _dense_derivatives(H_hat, data.X, data.Z)
    mu = float(np.linalg.eigvalsh(C.T @ hess @ C).min()) if C.shape[1] else math.inf
    return band_delta, float(np.linalg.norm(grad)), mu


@dataclass
class CurvatureResult:
    """The answer of :func:`curvature`; every number was recomputed from the returned objects."""

    X: np.ndarray
    Z: np.ndarray
    delta: float
    grad_tol: float
    feasible: bool
    mu: float | None = None  # lower bound on μ*: curvature of ``operator`` (recomputed)
    mu_upper: float | None = None  # upper bound on μ*: the checked dual bound
    operator: CompactOperator | None = None
    operator_band_delta: float | None = None  # smallest δ' with (1-δ')I <= H <= (1+δ')I (no rescaling)
    grad_norm: float | None = None  # ||∇f(X)|| of the returned operator (normalized instance)
    min_grad_lower: float | None = None  # infeasible case: certified lower bound on ||∇f(X)||
    dual: dict | None = None  # {"y": ..., "W": ...} (feasible) or {"y": ...} (Farkas)
    solver: dict | None = None
    certificate: object | None = None  # Certificate when mu > 0 and X is spurious
    flags: list = field(default_factory=list)
    convention: str = CONVENTION

    @property
    def kind(self) -> str:
        """``"infeasible"``, ``"strict-minimum"`` (μ > 0), ``"strict-saddle"`` (μ_upper < 0), or
        ``"degenerate"`` (``[mu, mu_upper]`` meets ``[-ZERO_TOL, ZERO_TOL]``: μ* = 0 to solver precision)."""
        if not self.feasible:
            return "infeasible"
        if self.mu is not None and self.mu > ZERO_TOL:
            return "strict-minimum"
        if self.mu_upper is not None and self.mu_upper < -ZERO_TOL:
            return "strict-saddle"
        return "degenerate"

    def _data(self):
        return _reduced(self.X, self.Z)

    def verify(self, gap_tol: float = DEFAULT_GAP_TOL) -> CurvatureReport:
        """Recompute every claimed figure (no solver): the operator's band, gradient and curvature,
        the dual bound ``mu_upper`` or the Farkas bound, and compare with the stored claims — by
        :meth:`certify.curvature_file.CurvatureFile.verify` on this result's own file content.
        ``gap_tol``: a real number > 0 (largest accepted ``mu_upper - mu``)."""
        gap_tol = _check_gap_tol(gap_tol)
        return CurvatureFile.from_dict(json.loads(json.dumps(self.to_dict(), allow_nan=False))).verify(gap_tol)

    def summary(self) -> str:
        lines = [f"curvature SDP at delta = {self.delta:g}, grad_tol = {self.grad_tol:g} "
                 f"(n = {self.X.shape[0]}, r = {self.X.shape[1]}, r* = {self.Z.shape[1]}): {self.kind}"]
        if not self.feasible:
            lines.append(f"  no delta-RIP operator makes ||grad f(X)|| <= {self.grad_tol:g}: "
                         f"certified min ||grad f(X)|| >= {self.min_grad_lower:.6g} (Farkas vector checked)")
        else:
            lines.append(f"  mu* in [{self.mu:.9g}, {self.mu_upper:.9g}]  (gap {self.mu_upper - self.mu:.1e}; "
                         "lower: curvature of the returned operator; upper: checked dual bound)")
            if self.kind == "strict-saddle":
                lines.append(f"  every delta-RIP instance with ||grad f(X)|| <= {self.grad_tol:g} has curvature <= "
                             f"{self.mu_upper:.6g} at X (strict saddle)")
            elif self.kind == "strict-minimum" and self.certificate is not None:
                lines.append("  X is a spurious strict local minimum of the returned operator (certificate verified)")
        if self.flags:
            lines.append(f"  flags: {', '.join(self.flags)}")
        lines.append(f"  convention: {self.convention}")
        return "\n".join(lines)

    def _dual_dict(self) -> dict | None:
        """The dual point, basis-free: the reduced instance (``P``, ``scale``), ``y`` and ``V = C W C^T``
        (``W`` kept too); a Farkas vector is ``y`` with its basis."""
        if self.dual is None:
            return None
        P, s, _, C = self._data()
        out = {"P": P.tolist(), "scale": float(s), "y": np.asarray(self.dual["y"], dtype=float).tolist()}
        if self.dual.get("W") is not None:
            W = sym(np.asarray(self.dual["W"], dtype=float))
            out.update(W=W.tolist(), V=sym(C @ W @ C.T).tolist())
        return out

    def to_dict(self) -> dict:
        return {
            "format": "certify.curvature", "format_version": 1, "convention": self.convention,
            "instance": {"X": self.X.tolist(), "Z": self.Z.tolist()},
            "delta": self.delta, "grad_tol": self.grad_tol, "feasible": self.feasible, "kind": self.kind,
            "mu": self.mu, "mu_upper": self.mu_upper, "operator_band_delta": self.operator_band_delta,
            "grad_norm": self.grad_norm, "min_grad_lower": self.min_grad_lower,
            "operator": None if self.operator is None else self.operator.to_dict(),
            "dual": self._dual_dict(),
            "solver": jsonable(self.solver), "flags": list(self.flags),
        }


def _solve_curvature(data, C, delta, g, solver, settings, backend="cvxpy"):
    """The curvature SDP's raw solution ``(H, y, W, info)`` (``None``s when reported infeasible):
    on the compiled core (:func:`certify.rip.conic.solve_curvature_compiled`) unless ``backend`` is
    ``"cvxpy"`` (the reference model)."""
    if backend != "cvxpy":
        from .conic import solve_curvature_compiled  # noqa: PLC0415

        return solve_curvature_compiled(data, C, delta, g, backend, settings)
    import cvxpy as cp  # noqa: PLC0415

    m = lmi_model(data)
    H = m.H
    mu = cp.Variable(name="mu")
    hC = C.T @ (2.0 * m.second) @ C  # C^T ∇²f C
    hC = 0.5 * (hC + hC.T)
    c_grad = (m.first == 0) if g == 0.0 else cp.SOC(cp.Constant(g / 2.0), m.first)  # ∇f = 2 J^T H e
    c_hess = hC - mu * np.eye(C.shape[1]) >> 0
    prob = cp.Problem(cp.Maximize(mu), [c_grad, c_hess, *m.band(delta)])
    info = solve_problem(prob, solver, settings, allow_infeasible=True)
    if info.status.startswith("infeasible"):
        return None, None, None, info
    if H.value is None or c_hess.dual_value is None or c_grad.dual_value is None:
        raise SolverError(f"{info.name} returned no primal/dual point (status {info.status!r})")
    yv = c_grad.dual_value
    if isinstance(yv, (list, tuple)):
        yv = yv[1]
    return sym(np.asarray(H.value)), np.asarray(yv, dtype=float).reshape(-1), np.asarray(c_hess.dual_value), info


def _solve_min_gradient(data, delta, solver, settings, backend="cvxpy"):
    """``min ||J^T H e||`` over the band; returns the SOC dual vector (the Farkas direction)."""
    if backend != "cvxpy":
        from .conic import solve_min_gradient_compiled  # noqa: PLC0415

        return solve_min_gradient_compiled(data, delta, backend, settings)
    import cvxpy as cp  # noqa: PLC0415

    s = data.s
    H = cp.Variable((s, s), symmetric=True)
    t = cp.Variable()
    c = cp.SOC(t, data.J.T @ (H @ data.e))
    Is = np.eye(s)
    prob = cp.Problem(cp.Minimize(t), [c, H - (1 - delta) * Is >> 0, (1 + delta) * Is - H >> 0])
    info = solve_problem(prob, solver, settings)
    yv = c.dual_value
    if isinstance(yv, (list, tuple)):
        yv = yv[1]
    if yv is None:
        raise SolverError(f"{info.name} returned no dual point for the minimum-gradient problem")
    return np.asarray(yv, dtype=float).reshape(-1), info


def _best_dual_bound(data, C, delta, g, y0, W):
    """Minimize the (convex in α) checked bound over ``y = α y0``; any α gives a valid bound."""
    from scipy.optimize import minimize_scalar  # noqa: PLC0415

    def ub(a):
        return curvature_upper_bound(data, C, delta, g, a * y0, W)

    grid = [0.0] + [sg * a for sg in (1.0, -1.0) for a in (0.25, 0.5, 1.0, 2.0, 4.0)]
    vals = [ub(a) for a in grid]
    k = int(np.argmin(vals))
    a0 = grid[k]
    if a0 != 0.0:
        lo, hi = sorted((a0 / 2.0, a0 * 2.0))
        res = minimize_scalar(ub, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12 * abs(a0)})
        if res.fun < vals[k]:
            return float(res.x) * y0, float(res.fun)
    return a0 * y0, float(vals[k])


def curvature(
    X,
    Z,
    delta: float,
    grad_tol: float = 0.0,
    *,
    solver: str | None = None,
    settings: dict | None = None,
    gap_tol: float = DEFAULT_GAP_TOL,
    certificate: bool = True,
    backend: str | None = None,
) -> CurvatureResult:
    """``μ*(X, Z, δ, g)``: the largest smallest-Hessian-eigenvalue any δ-RIP operator can give at
    ``X`` with ``||∇f(X)|| <= g`` (module docstring; REFERENCE §1.4), and the operator attaining it.

    Parameters
    ----------
    X, Z : arrays ``(n, r)``, ``(n, r*)``.  Only ``P = orth([X, Z])`` (``n x d``, ``d <= r + r*``) and
        the projected ``P^T X``, ``P^T Z`` are formed, never an ``n x n`` array: memory and time grow
        linearly in ``n`` (``n = 100,000`` takes seconds and tens of MB).
    delta : the RIP constant, a real number (int, float or NumPy real; not a string) in ``[0, 1)``.
    grad_tol : ``g >= 0`` (finite), a bound on ``||∇f(X)||_F`` of the normalized instance.
    solver, settings : as for :func:`certify.rip.counterexample`.
    gap_tol : largest accepted ``mu_upper - mu`` (a finite real number > 0); a larger gap raises
        :class:`SolverError`.
    certificate : for ``μ > 0`` at a spurious ``X`` and ``grad_tol = 0``, also build and verify a
        :class:`~certify.certificates.Certificate` (``result.certificate``).
    backend : ``"clarabel"`` (default), ``"scs"`` (the compiled core, :mod:`certify.rip.conic`) or
        ``"cvxpy"`` (the reference model); ``None`` follows ``solver``
        (:func:`certify.rip.sdp.resolve_backend`).  The checks do not depend on it.

    Returns
    -------
    :class:`CurvatureResult` with ``mu`` (curvature of the returned operator, recomputed: a lower
    bound on μ*) and ``mu_upper`` (a checked dual bound), or ``feasible = False`` with a checked
    Farkas bound ``min_grad_lower > grad_tol``.  Convention: :data:`CONVENTION`.
    """
    from .sdp import resolve_backend  # noqa: PLC0415

    X, Z, delta, grad_tol = _check_inputs(X, Z, delta, grad_tol)
    gap_tol = _check_gap_tol(gap_tol)
    if not isinstance(certificate, (bool, np.bool_)):
        raise InputError(f"certificate: expected True or False, got {certificate!r} ({type(certificate).__name__})")
    if settings is not None and not isinstance(settings, dict):
        raise InputError(f"settings: expected a dict of solver options or None, got {settings!r}")
    backend, solver = resolve_backend(backend, solver)
    P, s, data, C = _reduced(X, Z)
    Hs, y, W, info = _solve_curvature(data, C, delta, grad_tol, solver, settings, backend)
    res = CurvatureResult(X=X, Z=Z, delta=delta, grad_tol=grad_tol, feasible=Hs is not None,
                          solver={**info.to_dict(), "backend": backend})
    if Hs is None:
        yF, info2 = _solve_min_gradient(data, delta, solver, settings, backend)
        lb = min_gradient_lower_bound(data, delta, yF)
        res.solver = {**info.to_dict(), "backend": backend, "farkas_solve": info2.to_dict()}
        if not lb > grad_tol + FARKAS_MARGIN:
            raise SolverError(
                f"{info.name} reports the curvature SDP infeasible, but the minimum-gradient problem only certifies "
                f"||grad f(X)|| >= {lb:.3e}, not > grad_tol = {grad_tol:g}; the infeasibility is not proven"
            )
        res.min_grad_lower, res.dual = lb, {"y": yF}
        return res

    if grad_tol == 0.0:
        Hs = project_first_order(data, Hs)
    H_hat = _full_gram(data, Hs)
    band, g, mu = _primal_figures(data, C, H_hat)
    if g > grad_tol + 1e-8:
        raise SolverError(f"{info.name}: the returned operator has ||grad f(X)|| = {g:.3e} > grad_tol = {grad_tol:g}")
    if band > delta + 1e-7:
        raise SolverError(f"{info.name}: the returned operator leaves the delta-band (needs delta >= {band:.9f} > {delta})")
    if band > delta + 1e-10:
        res.flags.append("band_rounding")  # within 1e-7 of the band, from the first-order repair
    y_best, ub = _best_dual_bound(data, C, delta, grad_tol, y, W)
    if mu > ub + 1e-7:
        raise SolverError(f"{info.name}: inconsistent bounds (mu = {mu:.9g} > mu_upper = {ub:.9g})")
    if ub - mu > gap_tol:
        raise SolverError(
            f"{info.name}: inaccurate solve, mu_upper - mu = {ub - mu:.3e} exceeds gap_tol = {gap_tol:g} "
            f"(mu = {mu:.9g}, mu_upper = {ub:.9g}, status {info.status!r})"
        )
    if not info.accurate:
        res.flags.append("solver_inaccurate")
        warnings.warn(f"{info.name} reported {info.status!r}; kept because the checked bounds agree to {ub - mu:.1e}",
                      stacklevel=2)
    res.mu, res.mu_upper, res.operator_band_delta, res.grad_norm = mu, ub, band, g
    res.operator = CompactOperator(P, H_hat)
    res.dual = {"y": y_best, "W": sym(W)}
    # ||XX^T - ZZ^T||_F / ||ZZ^T||_F on the projection (X, Z lie in span(P)): never an n x n array
    normE_rel = float(np.linalg.norm(data.X @ data.X.T - data.Z @ data.Z.T))
    if certificate and grad_tol == 0.0 and mu > ZERO_TOL and normE_rel > 1e-9:
        res.certificate = _strict_certificate(res, info)
    return res


def _strict_certificate(res: CurvatureResult, info):
    from ..check.format import Certificate  # noqa: PLC0415
    from .sdp import STORE_EXPONENT_LIMIT  # noqa: PLC0415

    rip = res.operator.rip_constant()
    # the dual point behind mu_upper, basis-free: V = C W C^T on the reduced instance (s P^T X, s P^T Z)
    P, s, _, C = res._data()
    W = np.asarray(res.dual["W"], dtype=float)
    curvature_dual = {"P": P.tolist(), "scale": float(s), "y": np.asarray(res.dual["y"], dtype=float).tolist(),
                      "V": sym(C @ W @ C.T).tolist()}
    formulation = {"problem": "curvature", "delta_target": res.delta, "grad_tol": res.grad_tol,
                   "mu": res.mu, "mu_upper": res.mu_upper, "convention": CONVENTION, "curvature_dual": curvature_dual}
    # as for counterexample(): the instance as given unless its Hessian leaves the double range
    pair = normalize_pair(res.X, res.Z)
    X, Z, flags = pair.X, pair.Z, list(res.flags)
    if abs(pair.exponent) > STORE_EXPONENT_LIMIT:
        X, Z = pair.Xn, pair.Zn
        curvature_dual["scale"] = math.ldexp(float(s), -pair.exponent)  # s P^T X = (s 2^-k) P^T (2^k X)
        flags.append("instance_normalized")
        formulation["instance_scale_exponent"] = int(pair.exponent)
    cert = Certificate(
        X=X, Z=Z, operator=res.operator, delta=float(rip.delta), solver=info.to_dict(),
        formulation=formulation, source="curvature-sdp", flags=flags,
    )
    report = cert.verify()
    if not report.ok:
        raise SolverError("the strict-minimum certificate failed verification: " + "; ".join(report.failures))
    # the curvature claim in the instance's own scale, re-checked by every later verify()
    cert.formulation["hess_min"] = report.hess_min
    report = cert.verify()
    if not report.strict:
        raise SolverError(
            f"mu = {res.mu:.3e} > 0 on the reduced instance, but the verified Hessian minimum "
            f"{report.hess_min:.3e} is not strictly positive (relative {report.hess_min_rel:.1e})"
        )
    return cert


# ---------------------------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------------------------
@dataclass
class CurvatureProfile:
    """``μ*`` against δ for one instance (rows of dicts: delta, kind, mu, mu_upper, ...)."""

    X: np.ndarray
    Z: np.ndarray
    grad_tol: float
    rows: list

    def table(self) -> str:
        out = [f"{'delta':>8} {'kind':>15} {'mu':>14} {'mu_upper':>14}"]
        for row in self.rows:
            mu = "-" if row["mu"] is None else f"{row['mu']:.8f}"
            mu_up = "-" if row["mu_upper"] is None else f"{row['mu_upper']:.8f}"
            out.append(f"{row['delta']:8.4f} {row['kind']:>15} {mu:>14} {mu_up:>14}")
        return "\n".join(out)

    def to_dict(self) -> dict:
        return {"format": "certify.curvature-profile", "format_version": 1, "convention": CONVENTION,
                "X": self.X.tolist(), "Z": self.Z.tolist(), "grad_tol": self.grad_tol, "rows": self.rows}

    def save(self, path):
        import json  # noqa: PLC0415

        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n")

    def plot(self, path=None, ax=None):
        """μ* (the operator's value and the checked dual bound) against δ.  Infeasible δ (no δ-RIP
        operator makes X critical; checked Farkas vector) are shaded up to the last infeasible grid
        point, and the interval from there to the first feasible one, where the feasibility
        threshold lies, is hatched; failed solves are marked.  Saved to ``path`` when given (PNG,
        PDF, SVG by the suffix).  Returns the matplotlib figure."""
        from ..plotting import pyplot  # noqa: PLC0415

        plt = pyplot(path is not None and ax is None)
        fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4), layout="constrained")
        rows = sorted(self.rows, key=lambda r: r["delta"])
        ok = [r for r in rows if r["kind"] not in ("infeasible", "error")]
        if ok:
            d = [r["delta"] for r in ok]
            ax.plot(d, [r["mu"] for r in ok], "o-", ms=3, label=r"$\mu^*$ (operator attaining it)")
            ax.plot(d, [r["mu_upper"] for r in ok], "--", lw=0.8, label="checked dual bound")
        first = True
        k = 0
        while k < len(rows):  # each run of consecutive infeasible grid points
            if rows[k]["kind"] != "infeasible":
                k += 1
                continue
            j = k
            while j + 1 < len(rows) and rows[j + 1]["kind"] == "infeasible":
                j += 1
            lo, hi = rows[k]["delta"], rows[j]["delta"]
            nxt = next((r["delta"] for r in rows[j + 1:] if r["kind"] != "error"), None)
            if hi > lo:
                ax.axvspan(lo, hi, color="0.8", lw=0, label="infeasible (Farkas): X not critical" if first else None)
            else:
                ax.axvline(lo, color="0.6", lw=2, label="infeasible (Farkas): X not critical" if first else None)
            if nxt is not None:
                ax.axvspan(hi, nxt, facecolor="none", edgecolor="0.6", hatch="///", lw=0,
                           label="feasibility threshold in here" if first else None)
            first = False
            k = j + 1
        errs = [r["delta"] for r in rows if r["kind"] == "error"]
        if errs:
            ax.plot(errs, [0.0] * len(errs), "rx", ms=7, mew=1.5, label="solver failed")
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_xlabel(r"$\delta$ (RIP constant)")
        ax.set_ylabel(r"$\mu^* = $ best $\lambda_{\min}(\nabla^2 f)$  ($\|ZZ^\top\|_F = 1$)")
        ax.legend(fontsize=8)
        if path is not None:
            from ..plotting import save_figure  # noqa: PLC0415

            save_figure(fig, path, close=False)  # the figure is returned
        return fig


def _row(res: CurvatureResult) -> dict:
    return {"delta": res.delta, "kind": res.kind, "mu": res.mu, "mu_upper": res.mu_upper,
            "min_grad_lower": res.min_grad_lower, "flags": list(res.flags)}


def curvature_profile(X, Z, deltas, grad_tol: float = 0.0, *, solver: str | None = None, progress=None,
                      backend: str | None = None) -> CurvatureProfile:
    """:func:`curvature` for each δ in ``deltas``; a failed solve is recorded as ``kind = "error"``
    with its message (never a silent number)."""
    pair = normalize_pair(X, Z)
    X, Z = pair.X, pair.Z
    deltas = reals(deltas, "deltas", lo=0.0, hi=1.0, hi_open=True)
    grad_tol = real(grad_tol, "grad_tol", lo=0.0)
    rows = []
    for k, d in enumerate(deltas):
        try:
            rows.append(_row(curvature(X, Z, float(d), grad_tol, solver=solver, certificate=False, backend=backend)))
        except SolverError as exc:
            rows.append({"delta": float(d), "kind": "error", "mu": None, "mu_upper": None, "min_grad_lower": None,
                         "flags": [], "error": str(exc)})
        if progress is not None:
            progress(k + 1, len(deltas))
    return CurvatureProfile(X=X, Z=Z, grad_tol=float(grad_tol), rows=rows)


@dataclass
class SaddleMap:
    """The strict-saddle map of :func:`saddle_map`: ``μ*`` over the grid ``rhos × phis``.

    ``rhos``, ``phis`` (radians, as given; ``phis_deg`` the same in degrees) are the axes; ``mu``
    (the operator's curvature, a lower bound), ``mu_upper`` (the checked upper bound) and ``kind``
    (strict-minimum / strict-saddle / degenerate / infeasible / ground-truth / error) are arrays of
    shape ``(len(rhos), len(phis))``, ``mu`` and ``mu_upper`` ``nan`` where the point is the ground
    truth, infeasible, or the solve failed.  ``to_dict()`` is its JSON form.  ``m["mu"]`` (the
    dict returned before, keys ``delta``, ``z``, ``rho``, ``phi``, ``mu``, ``mu_upper``, ``kind``,
    ``convention``) still works for one release, with a DeprecationWarning: use the attributes.
    """

    delta: float
    z: np.ndarray
    rhos: np.ndarray
    phis: np.ndarray
    mu: np.ndarray
    mu_upper: np.ndarray
    kind: np.ndarray
    grad_tol: float = 0.0
    convention: str = CONVENTION

    #: the keys of the dict :func:`saddle_map` returned before, and the attributes they are now
    _OLD_KEYS = {"delta": "delta", "z": "z", "rho": "rhos", "phi": "phis", "mu": "mu", "mu_upper": "mu_upper",
                 "kind": "kind", "convention": "convention"}

    @property
    def phis_deg(self) -> np.ndarray:
        return np.degrees(self.phis)

    def __getitem__(self, key):
        if key not in self._OLD_KEYS:
            raise KeyError(key)
        warnings.warn(f"saddle_map(...)[{key!r}] is deprecated: saddle_map returns a SaddleMap, use its attribute "
                      f".{self._OLD_KEYS[key]}", DeprecationWarning, stacklevel=2)
        return getattr(self, self._OLD_KEYS[key])

    def to_dict(self) -> dict:
        """Strict JSON: the axes, and ``mu``, ``mu_upper``, ``kind`` as nested lists (``null``
        where ``nan``)."""
        return jsonable({"delta": self.delta, "grad_tol": self.grad_tol, "z": self.z, "rhos": self.rhos,
                         "phis": self.phis, "phis_deg": self.phis_deg, "mu": self.mu, "mu_upper": self.mu_upper,
                         "kind": self.kind, "convention": self.convention}, nonfinite="null")


def saddle_map(delta: float, rhos, phis, z=(1.0, 0.0), *, grad_tol: float = 0.0, solver: str | None = None,
               progress=None) -> SaddleMap:
    """The strict-saddle map: ``μ*`` at ``x = ρ (cos φ, sin φ)`` for the rank-1 ground truth ``z``
    (default ``e_1``), over the grid ``rhos × phis`` (radians; the points of
    :func:`certify.rip.rank1.rank1_grid`, as in the ``curvature-map`` sweep).

    Returns a :class:`SaddleMap`: ``mu_upper`` (the checked upper bound; ``nan`` where the point is
    the ground truth or the solve failed), ``mu``, ``kind`` arrays of shape
    ``(len(rhos), len(phis))``.  For δ < 1/2 every point except ``x = ±z`` should be a strict saddle.
    """
    delta = real(delta, "delta", lo=0.0, hi=1.0, hi_open=True)
    grad_tol = real(grad_tol, "grad_tol", lo=0.0)
    rhos = reals(rhos, "rhos")
    phis = reals(phis, "phis")
    z = as_factor(z, "z").reshape(-1)
    if z.shape != (2,):
        raise InputError(f"z: expected a vector of length 2, got shape {z.shape}")
    if not np.any(z):
        raise InputError("z: the ground truth is zero; expected a nonzero vector of length 2")
    from .rank1 import rank1_grid  # noqa: PLC0415

    mu = np.full((rhos.size, phis.size), np.nan)
    mu_up = np.full_like(mu, np.nan)
    kind = np.empty(mu.shape, dtype=object)
    for done, (i, j, x, ground) in enumerate(rank1_grid(rhos, phis, z), 1):
        if ground:
            kind[i, j] = "ground-truth"
        else:
            try:
                res = curvature(x, z, delta, grad_tol, solver=solver, certificate=False)
                kind[i, j] = res.kind
                if res.feasible:
                    mu[i, j], mu_up[i, j] = res.mu, res.mu_upper
            except SolverError:
                kind[i, j] = "error"
        if progress is not None:
            progress(done, mu.size)
    return SaddleMap(delta=float(delta), z=z, rhos=rhos, phis=phis, mu=mu, mu_upper=mu_up, kind=kind,
                     grad_tol=float(grad_tol))
