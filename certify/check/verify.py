"""Float verification of a BM-sensing certificate — part of the trusted kernel.

Everything :func:`verify` reports is recomputed from the stored operator, ``X`` and ``Z`` (and the
stored dual point), never copied from the solver's output; it calls no solver.  The checks are
staged, one short function per claim: the operator's structure, the RIP constant, the point
(first order, second order on the rotation complement, spurious, ``f`` above the RIP floor,
``f(Z) = 0``), the dual lower bound, and a curvature certificate's ``mu`` / ``mu_upper``.
Conventions: ``docs/certificate-format.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..io import jsonable as _jsonable
from ..linalg import jacobian, mat, normalize_pair, rotation_complement, sym, vec
from .operators import DENSE_LIMIT, CompactOperator, MeasurementOperator

__all__ = ["Tolerances", "VerificationReport", "verify", "curvature_dual_bound"]


@dataclass(frozen=True)
class Tolerances:
    """Tolerances of :func:`verify` (all dimensionless).

    ``delta``: largest ``|claimed - recomputed|`` for RIP constants and dual bounds;
    ``grad``: largest relative gradient ``||∇f|| / (4 λ_max ||XX^T - ZZ^T|| ||X||_2)``;
    ``hess``: largest accepted ``-λ_min / max|λ|`` of the Hessian on the rotation complement;
    ``spurious``: smallest accepted ``||XX^T - ZZ^T|| / ||ZZ^T||`` (and ``|f(Z)| / ||ZZ^T||^2``);
    ``structure``: largest deviation of ``P^T P`` from ``I`` and asymmetry of ``Ĥ``.
    """

    delta: float = 1e-7
    grad: float = 1e-7
    hess: float = 1e-7
    spurious: float = 1e-9
    structure: float = 1e-8


@dataclass
class VerificationReport:
    """Every figure :func:`verify` recomputed, the tolerances, and the verdict.

    Scale convention: ``f``, its gradient and Hessian are those of the operator rescaled by
    ``rip_scale`` (the optimal scaling), with ``f`` without ½.
    """

    ok: bool
    checks: dict
    failures: list
    tolerances: dict
    rip_delta: float = math.nan
    rip_delta_symmetric: float = math.nan
    rip_scale: float = math.nan
    eig_min: float = math.nan
    eig_max: float = math.nan
    grad_norm: float = math.nan  # relative
    grad_norm_abs: float = math.nan
    hess_min: float = math.nan  # absolute, on the rotation complement
    hess_min_rel: float = math.nan
    hess_max_abs: float = math.nan
    f_value: float = math.nan
    f_value_rel: float = math.nan
    f_ground_truth: float = math.nan
    distance_rel: float = math.nan
    delta_claimed: float | None = None
    delta_lower: float | None = None
    strict: bool = False
    package_version: str = __version__

    def to_dict(self) -> dict:
        d = asdict(self)
        return _jsonable(d)

    def summary(self) -> str:
        """A few human-readable lines."""
        verdict = "VALID" if self.ok else "INVALID"
        lines = [
            f"verdict: {verdict}" + ("" if self.ok else f" ({'; '.join(self.failures)})"),
            f"RIP constant (optimal scaling {self.rip_scale:.6g}): delta = {self.rip_delta:.9f}"
            + (f"  [claimed {self.delta_claimed:.9f}]" if self.delta_claimed is not None else ""),
        ]
        if self.delta_lower is not None:
            lines.append(f"dual lower bound: delta(X, Z) >= {self.delta_lower:.9f}")
        kind = "strict local minimum" if self.strict else "second-order critical point"
        lines += [
            f"f(X) = {self.f_value:.6g} (relative {self.f_value_rel:.3g}), f(Z) = {self.f_ground_truth:.3g}",
            f"||grad f(X)|| = {self.grad_norm_abs:.3e} (relative {self.grad_norm:.3e})",
            f"min Hessian eigenvalue (rotation complement) = {self.hess_min:.6g} (relative {self.hess_min_rel:.3e}): {kind}",
        ]
        return "\n".join(lines)


def _check(checks: dict, name: str, passed: bool, value, tol, detail: str) -> None:
    checks[name] = {"passed": bool(passed), "value": value, "tolerance": tol, "detail": detail}


def _dense_derivatives(H: np.ndarray, X: np.ndarray, Z: np.ndarray):
    """f, ∇f and ∇²f from the literal formulas of docs/mathematics.md §1 with a dense Gram matrix.

    This is deliberately a second implementation, independent of the low-rank formulas in
    :mod:`certify.operators` that the solvers use: ``∇f = 2 𝐗^T H e``,
    ``∇²f = 2 (𝐗^T H 𝐗 + 2 [I_r ⊗ sym(mat(He))])``.
    """
    n, r = X.shape
    e = vec(X @ X.T - Z @ Z.T)
    He = H @ e
    J = jacobian(X)
    f = float(e @ He)
    grad = 2.0 * (J.T @ He)
    hess = 2.0 * (J.T @ H @ J + 2.0 * np.kron(np.eye(r), sym(mat(He, n))))
    return f, grad, sym(hess)


def verify(
    operator: MeasurementOperator,
    X,
    Z,
    *,
    delta: float | None = None,
    dual=None,
    delta_lower: float | None = None,
    tolerances: Tolerances | None = None,
    domain: str = "all",
    claimed_hess_min: float | None = None,
    curvature: dict | None = None,
) -> VerificationReport:
    """Check, without any solver, that ``X`` is a spurious second-order critical point of
    ``f(X) = ||A(XX^T - ZZ^T)||^2`` for the (optimally rescaled) ``operator``.

    Recomputes the RIP constant from the operator's eigenvalues, the relative gradient norm, the
    smallest Hessian eigenvalue on the complement of the rotation directions ``XΩ``, ``f(X) > 0``
    and ``f(Z) = 0``; compares ``delta`` (if given) with the recomputed RIP constant; recomputes
    the lower bound of ``dual`` (a :class:`~certify.check.format.DualCertificate`, if given) and
    compares it with ``delta_lower`` (if given); ``claimed_hess_min`` (a claimed curvature, e.g. of
    a strict counterexample) must not exceed the recomputed smallest Hessian eigenvalue;
    ``curvature`` (the ``formulation`` of a curvature-SDP certificate) has its claims ``mu`` and
    ``mu_upper`` recomputed (:func:`_check_curvature_claims`).

    Scale: δ, criticality and every relative figure are invariant under ``(X, Z) -> (cX, cZ)``; the
    figures are computed on the instance normalized by a power of two
    (:func:`certify.linalg.normalize_pair`), so ``1e±300`` instances neither overflow nor underflow;
    absolute figures (``f``, ``||∇f||``, Hessian eigenvalues) are reported in the given scale.
    Malformed arguments raise :class:`InputError`; a wrong certificate gives ``ok = False``.
    """
    tol = tolerances or Tolerances()
    if not isinstance(operator, MeasurementOperator):
        raise InputError(f"operator: expected a MeasurementOperator, got {type(operator).__name__}")
    pair = normalize_pair(X, Z)
    n = operator.n
    if pair.X.shape[0] != n:
        raise InputError(f"X, Z: expected {n} rows to match the operator, got {pair.X.shape[0]}")
    if domain not in ("all", "symmetric"):
        raise InputError(f"domain: expected 'all' or 'symmetric', got {domain!r}")
    checks: dict = {}
    rep = VerificationReport(ok=False, checks=checks, failures=[], tolerances=asdict(tol), delta_claimed=delta)
    if _check_structure(operator, tol, checks) and _check_rip(operator, domain, delta, tol, checks, rep):
        normalized = _check_point(operator, pair, tol, checks, rep, claimed_hess_min)
        _check_dual(dual, delta_lower, pair, tol, checks, rep)
        if curvature is not None:
            _check_curvature_claims(curvature, pair, normalized, tol, checks, rep)
    rep.failures = [f"{k}: {c['detail']} (value {c['value']}, tolerance {c['tolerance']})"
                    for k, c in checks.items() if not c["passed"]]
    rep.ok = not rep.failures
    return rep


def _check_structure(operator, tol, checks) -> bool:
    """The operator is well formed: ``P^T P = I`` and ``Ĥ`` symmetric (compact), size (explicit)."""
    if isinstance(operator, CompactOperator):
        err = operator.orthonormality_error(operator.P)
        asym = float(np.max(np.abs(operator.H_hat - operator.H_hat.T)))
        good = err <= tol.structure and asym <= tol.structure * max(1.0, float(np.max(np.abs(operator.H_hat))))
        _check(checks, "operator_well_formed", good, max(err, asym), tol.structure, "P^T P = I and H_hat symmetric")
    else:
        if operator.n > DENSE_LIMIT:
            raise InputError(f"operator: an explicit operator with n = {operator.n} > {DENSE_LIMIT} "
                             "is too large to verify densely")
        _check(checks, "operator_well_formed", True, 0.0, tol.structure, "explicit measurement matrices")
    return checks["operator_well_formed"]["passed"]


def _check_rip(operator, domain, delta, tol, checks, rep) -> bool:
    """The RIP constant with the optimal scaling, from the operator's eigenvalues; ``< 1``."""
    with np.errstate(all="ignore"):
        try:
            rip = operator.rip_constant(domain)
            sym_delta = operator.rip_constant("symmetric").delta
        except np.linalg.LinAlgError as exc:
            raise InputError(f"operator: its eigenvalues cannot be computed in double precision ({exc}); "
                             "are its entries within about 1e±150?") from exc
    if not all(math.isfinite(v) for v in (rip.lam_min, rip.lam_max)):
        raise InputError("operator: its Gram matrix overflows double precision (entries beyond about 1e±150)")
    rep.rip_delta, rep.rip_scale, rep.eig_min, rep.eig_max = rip.delta, rip.scale, rip.lam_min, rip.lam_max
    rep.rip_delta_symmetric = sym_delta
    _check(checks, "rip_below_one", rip.delta < 1.0, rip.delta, 1.0, f"recomputed RIP constant ({domain} matrices) < 1")
    if delta is not None:
        _check(checks, "delta_matches", abs(float(delta) - rip.delta) <= tol.delta, abs(float(delta) - rip.delta), tol.delta,
               "claimed delta equals the recomputed RIP constant")
    return rip.delta < 1.0


def _check_point(operator, pair, tol, checks, rep, claimed_hess_min) -> tuple[float, float]:
    """First order, second order (rotation complement), spurious, ``f`` above the RIP floor,
    ``f(Z) = 0`` — on the normalized instance ``(Xn, Zn) = 2^k (X, Z)``.  Returns the smallest and
    the largest absolute Hessian eigenvalue there, divided by ``||Zn Zn^T||`` (scale-free)."""
    t, Xn, Zn, k = rep.rip_scale, pair.Xn, pair.Zn, pair.exponent
    extra_hess = np.zeros(0)
    if isinstance(operator, CompactOperator):
        Hr, Xr, Zr, P2 = operator.reduce(Xn, Zn)
        if operator.n > P2.shape[1]:  # identity on the complement: Hessian block 4 t (X^T X ⊗ I)
            extra_hess = 4.0 * t * np.linalg.eigvalsh(Xn.T @ Xn)
        H = t * Hr
    else:
        Xr, Zr = Xn, Zn
        H = t * operator.gram()
    f, grad, hess = _dense_derivatives(H, Xr, Zr)
    C = rotation_complement(Xr)
    lam = np.linalg.eigvalsh(C.T @ hess @ C) if C.shape[1] else np.zeros(0)
    lam_all = np.concatenate([lam, extra_hess])
    hess_min = float(lam_all.min())
    hess_scale = max(float(np.abs(lam_all).max()), 1e-300)
    zz = float(np.linalg.norm(Zn.T @ Zn))
    if zz == 0.0 or not np.isfinite(hess_min):
        _check(checks, "instance_in_range", False, zz, None,
               "Z Z^T underflows next to X (|Z| below about 1e-154 |X|): no relative figure is representable")
        return math.nan, math.nan
    normE = pair.distance  # ||Xn Xn^T - Zn Zn^T||, without cancellation
    lam_max_scaled = t * rep.eig_max
    denom = 4.0 * lam_max_scaled * normE * max(float(np.linalg.norm(Xn, 2)), 1e-300)
    s2, s3, s4 = (math.ldexp(1.0, -j * k) if -j * k < 1024 else math.inf for j in (2, 3, 4))
    rep.grad_norm_abs = float(np.linalg.norm(grad)) * s3
    rep.grad_norm = float(np.linalg.norm(grad)) / denom if normE > 0 else math.inf
    rep.hess_min, rep.hess_max_abs, rep.hess_min_rel = hess_min * s2, hess_scale * s2, hess_min / hess_scale
    rep.f_value = f * s4
    rep.f_value_rel = f / zz**2
    f_gt = t * operator.objective(Zn, Zn)
    rep.f_ground_truth = f_gt * s4
    rep.distance_rel = pair.rel_distance
    rep.strict = rep.hess_min_rel > tol.hess

    _check(checks, "first_order", rep.grad_norm <= tol.grad, rep.grad_norm, tol.grad, "relative gradient norm at X")
    _check(checks, "second_order", rep.hess_min_rel >= -tol.hess, rep.hess_min_rel, tol.hess,
           "relative smallest Hessian eigenvalue on the rotation complement >= -tol")
    _check(checks, "spurious", rep.distance_rel > tol.spurious and f > 0.0, rep.distance_rel, tol.spurious,
           "||X X^T - Z Z^T|| / ||Z Z^T|| > tol and f(X) > 0")
    # RIP consistency: f(X) = e^T (tH) e >= (1 - delta) ||e||^2 (up to rounding)
    f_floor = (1.0 - rep.rip_delta) * normE**2
    _check(checks, "f_above_rip_floor", f >= f_floor - 1e-12 * lam_max_scaled * normE**2, (f - f_floor) / max(zz**2, 1e-300),
           1e-12, "f(X) >= (1 - delta) ||X X^T - Z Z^T||^2 (relative to ||ZZ^T||^2)")
    if claimed_hess_min is not None:
        claim = float(claimed_hess_min) / s2 if s2 > 0 else math.inf  # in the normalized scale
        _check(checks, "curvature_claim", hess_min >= claim - tol.hess * hess_scale, (hess_min - claim) / hess_scale, tol.hess,
               "recomputed smallest Hessian eigenvalue >= the claimed curvature (relative)")
    _check(checks, "ground_truth_zero", abs(f_gt) <= tol.spurious * zz**2, f_gt / zz**2, tol.spurious, "f(Z) = 0")
    return hess_min / zz, hess_scale / zz


def _check_dual(dual, delta_lower, pair, tol, checks, rep) -> None:
    """The dual point's lower bound, recomputed, below δ and equal to the claimed ``delta_lower``."""
    if dual is None:
        if delta_lower is not None:
            _check(checks, "dual_present", False, None, None, "a delta_lower is claimed but no dual point backs it")
        return
    try:
        # the bound is invariant under (X, y) -> (cX, c y): move the normalization into the scale
        lb = dual.lower_bound(pair.Xn, pair.Zn, scale=_scaled(dual.scale, -pair.exponent))
    except InputError as exc:
        _check(checks, "dual_valid", False, None, tol.delta, str(exc))
        return
    rep.delta_lower = lb
    _check(checks, "dual_below_delta", lb <= rep.rip_delta + tol.delta, lb - rep.rip_delta, tol.delta,
           "certified lower bound <= recomputed RIP constant")
    for name, claimed in (("delta_lower_matches", delta_lower), ("dual_delta_lower_matches", dual.delta_lower)):
        if claimed is not None:
            _check(checks, name, abs(lb - float(claimed)) <= tol.delta, abs(lb - float(claimed)), tol.delta,
                   "claimed delta_lower equals the recomputed dual bound")


def _scaled(x: float, e: int) -> float:
    try:
        return math.ldexp(float(x), e)
    except OverflowError:
        return math.inf


def _check_curvature_claims(f: dict, pair, normalized, tol, checks, rep) -> None:
    """A curvature-SDP certificate's claims (:mod:`certify.rip.curvature`, normalization
    ``||ZZ^T||_F = 1``): the operator (optimal scaling) lies in the band of ``delta_target``;
    ``mu`` <= its curvature at the normalized instance; ``mu_upper`` equals the bound recomputed
    from ``curvature_dual`` (``P``, ``scale``, ``y``, ``V``); ``mu <= mu_upper``."""
    dt = f.get("delta_target")
    if dt is not None:
        _check(checks, "curvature_band", rep.rip_delta <= float(dt) + tol.delta, rep.rip_delta - float(dt), tol.delta,
               "the operator's RIP constant <= delta_target")
    mu_rec, scale = normalized  # curvature at ||ZZ^T|| = 1 (the Hessian scales like ZZ^T)
    mu = f.get("mu")
    if mu is not None:
        _check(checks, "mu_claim", float(mu) <= mu_rec + tol.hess * scale, (mu_rec - float(mu)) / scale, tol.hess,
               "claimed mu <= the recomputed curvature of the operator (normalized instance)")
    mu_up = f.get("mu_upper")
    if mu_up is None:
        return
    cd = f.get("curvature_dual")
    if not isinstance(cd, dict):
        _check(checks, "mu_upper_backed", False, None, None, "mu_upper is claimed but no curvature_dual point backs it")
        return
    try:
        ub = curvature_dual_bound(cd, pair, float(dt), float(f.get("grad_tol") or 0.0))
    except InputError as exc:
        _check(checks, "mu_upper_backed", False, None, None, str(exc))
        return
    _check(checks, "mu_upper_matches", abs(ub - float(mu_up)) <= tol.delta * max(1.0, abs(ub)), ub - float(mu_up), tol.delta,
           "claimed mu_upper equals the bound recomputed from curvature_dual")
    if mu is not None:
        _check(checks, "mu_bracket", float(mu) <= float(mu_up) + tol.delta, float(mu_up) - float(mu), tol.delta, "mu <= mu_upper")


def curvature_dual_bound(cd: dict, pair, delta: float, grad_tol: float) -> float:
    """The upper bound on ``μ*(X, Z, δ, g)`` (normalization ``||ZZ^T||_F = 1``) certified by a
    stored curvature dual point ``{"P", "scale", "y", "V"}`` (``V = C W C^T`` on the reduced
    instance ``scale · P^T X``): :func:`certify.rip.lmi.curvature_upper_bound` with ``W = C^T V C``."""
    from .duality import curvature_upper_bound, lmi_data  # noqa: PLC0415 - pure NumPy

    P = np.asarray(cd["P"], dtype=float)
    if P.ndim != 2 or P.shape[0] != pair.X.shape[0]:
        raise InputError(f"curvature_dual: P has shape {P.shape}, which does not fit n = {pair.X.shape[0]}")
    _check_basis(P, pair.Xn, pair.Zn, "curvature_dual")
    # the reduced instance normalized to ||ZZ^T|| = 1: scale * P^T X (invariance: use the given scale)
    sc = _scaled(float(cd["scale"]), -pair.exponent)
    with np.errstate(all="ignore"):
        data = lmi_data(sc * (P.T @ pair.Xn), sc * (P.T @ pair.Zn), "svec")
        if not (np.all(np.isfinite(data.e)) and np.all(np.isfinite(data.J))):
            raise InputError("curvature_dual: the scale overflows or underflows the instance")
        C = rotation_complement(data.X)
        V = np.asarray(cd["V"], dtype=float)
        if V.shape != (C.shape[0], C.shape[0]):
            raise InputError(f"curvature_dual: V has shape {V.shape}, expected {(C.shape[0], C.shape[0])}")
        # the bound is for the instance at this scale; mu scales like the instance squared
        zz = float(np.linalg.norm(data.Z.T @ data.Z))
        ub = curvature_upper_bound(data, C, delta, grad_tol, np.asarray(cd["y"], dtype=float), C.T @ V @ C)
    if not math.isfinite(ub) or zz == 0.0:
        raise InputError("curvature_dual: the recomputed bound is not finite")
    return ub / zz


def _check_basis(P, X, Z, name) -> None:
    if CompactOperator.orthonormality_error(P) > 1e-8:
        raise InputError(f"{name}: P is not orthonormal")
    for label, M in (("X", X), ("Z", Z)):
        resid = np.linalg.norm(M - P @ (P.T @ M))
        if resid > 1e-9 * np.linalg.norm(M):  # relative: the same verdict at every scale
            raise InputError(f"{name}: {label} is not in the range of P (residual {resid:.2e})")
