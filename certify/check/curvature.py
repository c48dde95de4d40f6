"""Curvature-SDP result files (format ``"certify.curvature"``): reading, float verification and
the exact check of their claims — checking side, no solver.

``certify curvature X Z --delta D -o FILE`` writes the answer of the curvature SDP
(:mod:`certify.rip.curvature`, docs/mathematics.md §1.4) at one δ: either a verified
:class:`~certify.certificates.Certificate` (a strict spurious minimum) or, for every other outcome,
this format.  Its claims, all for the instance normalized to ``||ZZ^T||_F = 1`` (convention
:data:`CONVENTION`):

* feasible: ``mu`` — the stored operator (unscaled) lies in the δ-band, has ``||∇f(X)|| <= g``
  and curvature ``>= mu`` on the rotation complement (a lower bound on ``μ*``); ``mu_upper`` —
  ``μ* <= mu_upper`` for **every** δ-RIP operator with ``||∇f(X)|| <= g``, by weak duality from the
  stored dual point ``(y, V)`` (``mu_upper < 0``: X is a strict saddle of the whole class);
* infeasible: ``min_grad_lower`` — every δ-RIP operator has ``||∇f(X)|| >= min_grad_lower > g``,
  from the stored Farkas vector ``y``.

The dual point is stored basis-free: ``P`` and ``scale`` (the reduced instance
``scale · P^T X``), ``y`` and ``V = C W C^T`` (``C`` the rotation complement); older files with only
``y`` and ``W`` are read with ``P = orth([X, Z])`` recomputed (flag ``"basis recomputed"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import CertificateFormatError, InputError
from ..linalg import normalize_pair, orth, rotation_complement, sym
from .operators import CompactOperator, MeasurementOperator

__all__ = ["FORMAT", "CONVENTION", "CurvatureFile", "CurvatureReport", "load_curvature", "reduced_instance"]

FORMAT = "certify.curvature"
FORMAT_VERSION = 1
CONVENTION = (
    "mu = smallest eigenvalue of the Hessian of f(X) = ||A(XX^T - ZZ^T)||^2 (no 1/2) on the complement of "
    "the rotation directions X Omega, for the instance normalized to ||ZZ^T||_F = 1 and an operator with "
    "(1 - delta) I <= H <= (1 + delta) I (not rescaled); grad_tol bounds ||grad f(X)||_F of the normalized instance"
)
#: a Farkas bound must exceed ``g`` by this much to count as a proof of infeasibility (float check)
FARKAS_MARGIN = 1e-9
#: largest accepted ``mu_upper - mu`` (absolute, normalized units)
DEFAULT_GAP_TOL = 1e-6


def reduced_instance(X, Z, P=None, scale=None):
    """``(P, s, data, C)``: the basis ``P`` (``orth([X, Z])`` unless given), ``s = 1/sqrt(||ZZ^T||_F)``
    (unless given), the LMI data of ``(s P^T X, s P^T Z)`` in the svec basis and the rotation complement."""
    from .duality import lmi_data  # noqa: PLC0415 - pure NumPy

    pair = normalize_pair(X, Z)
    if P is None:
        P = orth(np.column_stack([pair.Xn, pair.Zn]))
    if scale is None:
        zz = float(np.linalg.norm(pair.Zn.T @ pair.Zn))
        scale = math.ldexp(1.0 / math.sqrt(zz), pair.exponent)
    with np.errstate(all="ignore"):
        data = lmi_data(scale * (P.T @ pair.X), scale * (P.T @ pair.Z), "svec")
    if not (np.all(np.isfinite(data.e)) and np.all(np.isfinite(data.J))):
        raise InputError("dual: the scale overflows or underflows the instance")
    return P, scale, data, rotation_complement(data.X)


@dataclass
class CurvatureReport:
    """What :meth:`CurvatureFile.verify` recomputed, and the verdict."""

    ok: bool
    checks: dict
    failures: list
    mu: float = math.nan  # curvature of the returned operator (recomputed)
    mu_upper: float = math.nan  # bound of the dual point (recomputed)
    band_delta: float = math.nan
    grad_norm: float = math.nan
    min_grad_lower: float = math.nan  # Farkas bound (infeasible case)

    def summary(self) -> str:
        head = "VALID" if self.ok else "INVALID"
        lines = [f"{head}: " + ", ".join(f"{k} {'ok' if c['passed'] else 'FAILED'}" for k, c in self.checks.items())]
        lines += [f"  failed: {f}" for f in self.failures]
        return "\n".join(lines)


def _num(d, key, *, optional=False):
    v = d.get(key)
    if v is None and optional:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise CertificateFormatError(f"curvature file: {key}: expected a finite number, got {v!r}")
    return float(v)


def _arr(v, name, ndim):
    try:
        a = np.array(v, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        raise CertificateFormatError(f"curvature file: {name}: expected a numeric array ({exc})") from exc
    if a.ndim != ndim or not np.all(np.isfinite(a)):
        raise CertificateFormatError(f"curvature file: {name}: expected a finite {ndim}-D array, got shape {a.shape}")
    return a


@dataclass
class CurvatureFile:
    """One answer of the curvature SDP, as stored (see the module docstring)."""

    X: np.ndarray
    Z: np.ndarray
    delta: float
    grad_tol: float
    feasible: bool
    mu: float | None = None
    mu_upper: float | None = None
    min_grad_lower: float | None = None
    operator: CompactOperator | None = None
    dual: dict | None = None  # {"y", "V", "P", "scale"} (or legacy {"y", "W"}); Farkas: {"y"}
    kind: str | None = None
    flags: list = field(default_factory=list)
    exact: dict | None = None

    @classmethod
    def from_dict(cls, d: dict) -> CurvatureFile:
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise CertificateFormatError(f"curvature file: 'format' must be {FORMAT!r}")
        if d.get("format_version") != FORMAT_VERSION:
            raise CertificateFormatError(f"curvature file: format_version {d.get('format_version')!r} is not supported")
        inst = d.get("instance")
        if not isinstance(inst, dict):
            raise CertificateFormatError("curvature file: instance: expected an object with X and Z")
        X, Z = _arr(inst.get("X"), "instance.X", 2), _arr(inst.get("Z"), "instance.Z", 2)
        if X.shape[0] != Z.shape[0] or 0 in X.shape or 0 in Z.shape:
            raise CertificateFormatError(f"curvature file: instance: X {X.shape} and Z {Z.shape} do not fit")
        delta, g = _num(d, "delta"), _num(d, "grad_tol")
        if not (0.0 <= delta < 1.0 and g >= 0.0):
            raise CertificateFormatError("curvature file: expected 0 <= delta < 1 and grad_tol >= 0")
        feasible = d.get("feasible")
        if not isinstance(feasible, bool):
            raise CertificateFormatError("curvature file: feasible: expected true or false")
        dual = d.get("dual")
        if dual is not None:
            if not isinstance(dual, dict) or "y" not in dual:
                raise CertificateFormatError("curvature file: dual: expected an object with y")
            dual = {k: (_num(dual, k) if k == "scale" else _arr(v, f"dual.{k}", 1 if k == "y" else 2))
                    for k, v in dual.items() if k in ("y", "W", "V", "P", "scale")}
        op = None
        if d.get("operator") is not None:
            try:
                op = MeasurementOperator.from_dict(d["operator"])
            except InputError as exc:
                raise CertificateFormatError(f"curvature file: operator: {exc}") from exc
            if not isinstance(op, CompactOperator) or op.n != X.shape[0]:
                raise CertificateFormatError("curvature file: operator: expected a compact operator on R^(n x n)")
        return cls(X=X, Z=Z, delta=delta, grad_tol=g, feasible=feasible, mu=_num(d, "mu", optional=True),
                   mu_upper=_num(d, "mu_upper", optional=True), min_grad_lower=_num(d, "min_grad_lower", optional=True),
                   operator=op, dual=dual, kind=d.get("kind"), flags=list(d.get("flags") or []), exact=d.get("exact"))

    # -- the dual point's basis ------------------------------------------------------------------
    def dual_data(self):
        """``(P, s, data, C, V)``: the reduced instance the dual point refers to and ``V`` (``None``
        for a Farkas vector)."""
        dual = self.dual or {}
        if "P" in dual and "scale" in dual:
            P = dual["P"]
            if P.shape[0] != self.X.shape[0] or CompactOperator.orthonormality_error(P) > 1e-8:
                raise InputError("dual: P is not an orthonormal basis of R^n (n rows)")
            Pq, s, data, C = reduced_instance(self.X, self.Z, P, dual["scale"])
        else:
            Pq, s, data, C = reduced_instance(self.X, self.Z)
        V = dual.get("V")
        if V is None and dual.get("W") is not None:
            W = dual["W"]
            if W.shape != (C.shape[1], C.shape[1]):
                raise InputError(f"dual: W has shape {W.shape}, expected {(C.shape[1], C.shape[1])}")
            V = C @ sym(W) @ C.T
        if V is not None and V.shape != (C.shape[0], C.shape[0]):
            raise InputError(f"dual: V has shape {V.shape}, expected {(C.shape[0], C.shape[0])}")
        if dual.get("y") is not None and dual["y"].shape != (data.N * data.r,):
            raise InputError(f"dual: y has shape {dual['y'].shape}, expected ({data.N * data.r},)")
        return Pq, s, data, C, V

    def verify(self, gap_tol: float = DEFAULT_GAP_TOL) -> CurvatureReport:
        """Recompute every claimed figure (no solver): the operator's band, gradient and curvature,
        the dual bound ``mu_upper`` or the Farkas bound, and compare with the stored claims."""
        from .duality import curvature_upper_bound, min_gradient_lower_bound  # noqa: PLC0415 - pure NumPy

        checks: dict = {}

        def check(name, passed, value, detail):
            checks[name] = {"passed": bool(passed), "value": value, "detail": detail}

        rep = CurvatureReport(ok=False, checks=checks, failures=[])
        try:
            P, s, data, C, V = self.dual_data()
        except InputError as exc:
            check("dual_valid", False, None, str(exc))
            P = None
        if not self.feasible:
            y = (self.dual or {}).get("y")
            if y is None or P is None:
                check("farkas_present", False, None, "an infeasibility claim needs a Farkas vector y")
            else:
                lb = min_gradient_lower_bound(data, self.delta, y)
                rep.min_grad_lower = lb
                check("farkas", lb > self.grad_tol + FARKAS_MARGIN, lb,
                      f"certified min ||grad f(X)|| over the delta-band > grad_tol = {self.grad_tol:g}")
                if self.min_grad_lower is not None:
                    check("min_grad_lower_matches", abs(lb - self.min_grad_lower) <= 1e-7 * max(1.0, lb),
                          lb - self.min_grad_lower, "claimed min_grad_lower equals the recomputed Farkas bound")
        else:
            self._verify_operator(check, rep)
            if P is None or V is None or (self.dual or {}).get("y") is None:
                check("dual_present", False, None, "mu_upper needs a dual point (y, V)")
            else:
                with np.errstate(all="ignore"):
                    ub = curvature_upper_bound(data, C, self.delta, self.grad_tol, self.dual["y"], C.T @ V @ C)
                rep.mu_upper = ub
                if self.mu_upper is not None:
                    check("mu_upper_matches", abs(ub - self.mu_upper) <= 1e-7 * max(1.0, abs(ub)), ub - self.mu_upper,
                          "claimed mu_upper equals the recomputed dual bound")
                if not math.isnan(rep.mu):
                    check("bracket", rep.mu <= ub + 1e-7 and ub - rep.mu <= gap_tol, ub - rep.mu,
                          f"mu <= mu_upper and mu_upper - mu <= {gap_tol:g}")
        rep.failures = [f"{k}: {c['detail']} (value {c['value']})" for k, c in checks.items() if not c["passed"]]
        rep.ok = not rep.failures
        return rep

    def _verify_operator(self, check, rep) -> None:
        from .duality import lmi_data  # noqa: PLC0415
        from .format import _dense_derivatives  # noqa: PLC0415 - the verifier's own derivative code

        if self.operator is None:
            check("operator_present", False, None, "a feasible result needs an operator")
            return
        pair = normalize_pair(self.X, self.Z)
        Hr, Xr, Zr, P2 = self.operator.reduce(pair.Xn, pair.Zn)
        zz = float(np.linalg.norm(Zr.T @ Zr))
        s = 1.0 / math.sqrt(zz)
        d2 = lmi_data(s * Xr, s * Zr, "svec")
        C2 = rotation_complement(d2.X)
        H = sym(Hr)
        lam = np.linalg.eigvalsh(H)
        band = float(max(lam.max() - 1.0, 1.0 - lam.min()))
        _, grad, hess = _dense_derivatives(H, d2.X, d2.Z)
        mu = float(np.linalg.eigvalsh(C2.T @ hess @ C2).min()) if C2.shape[1] else math.inf
        g = float(np.linalg.norm(grad))
        rep.band_delta, rep.grad_norm, rep.mu = band, g, mu
        check("band", band <= self.delta + 1e-7, band, f"(1 - delta) I <= H <= (1 + delta) I, delta = {self.delta}")
        check("gradient", g <= self.grad_tol + 1e-8, g, f"||grad f(X)|| <= grad_tol = {self.grad_tol:g} (+1e-8)")
        if self.mu is not None:
            check("mu_matches", abs(mu - self.mu) <= 1e-7 * max(1.0, abs(mu)), mu - self.mu,
                  "claimed mu equals the recomputed curvature")

    def verify_exact(self, rtol: float = 1e-9):
        """Decide every claim exactly (:func:`certify.exact_curvature.verify_curvature_exact`)."""
        from .exact.curvature import verify_curvature_exact  # noqa: PLC0415 - python-flint

        return verify_curvature_exact(self, rtol=rtol)


def load_curvature(path) -> CurvatureFile:
    """Read a curvature result file (size, nesting depth, NaN tokens and UTF-8 checked first)."""
    from .schema import read_json_file  # noqa: PLC0415

    return CurvatureFile.from_dict(read_json_file(path))
