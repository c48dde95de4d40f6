"""Certificate objects, their JSON file format, and their verification.

This module is the checking side of the project.  It never calls a convex solver (it imports no
cvxpy), so a certificate can be loaded and verified on a machine with only NumPy.  Everything the
verifier reports is recomputed from the stored operator, ``X`` and ``Z`` (and the stored dual
point), never copied from the solver's output.

File format: see ``docs/certificate-format.md``.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .errors import CertificateFormatError, InputError
from .io import atomic_write_text
from .io import jsonable as _jsonable
from .linalg import as_factor, jacobian, mat, rotation_complement, sym, vec
from .operators import DENSE_LIMIT, CompactOperator, MeasurementOperator

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Tolerances",
    "DualCertificate",
    "VerificationReport",
    "Certificate",
    "verify",
    "load",
]

FORMAT = "certify.certificate"
FORMAT_VERSION = 1
KIND = "bm-sensing/spurious-second-order-point"
CONVENTIONS = {
    "objective": "f(X) = ||A(X X^T - Z Z^T)||^2, no 1/2; gradient and Hessian of this f",
    "rip": "(1 - delta) I <= t H <= (1 + delta) I on all n x n matrices, H = A^T A, optimal scale t",
    "vec": "column-major (vec stacks columns); svec scales off-diagonal entries by sqrt(2)",
    "hessian": "smallest eigenvalue on the orthogonal complement of the rotation directions X Omega",
}


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
class DualCertificate:
    """A dual point ``(y, V)`` of ``LMI(s P^T X, s P^T Z)`` in ``basis`` (see :mod:`certify.rip.lmi`)."""

    P: np.ndarray
    scale: float
    basis: str
    y: np.ndarray
    V: np.ndarray
    delta_lower: float

    def to_dict(self) -> dict:
        return {
            "P": np.asarray(self.P).tolist(),
            "scale": float(self.scale),
            "basis": self.basis,
            "y": np.asarray(self.y).tolist(),
            "V": np.asarray(self.V).tolist(),
            "delta_lower": float(self.delta_lower),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "DualCertificate":
        try:
            return cls(
                P=np.array(d["P"], dtype=float),
                scale=float(d["scale"]),
                basis=str(d["basis"]),
                y=np.array(d["y"], dtype=float),
                V=np.array(d["V"], dtype=float),
                delta_lower=float(d["delta_lower"]),
            )
        except KeyError as exc:
            raise CertificateFormatError(f"dual: missing field {exc.args[0]!r}") from exc
        except (TypeError, ValueError) as exc:
            raise CertificateFormatError(f"dual: malformed field ({exc})") from exc

    def lower_bound(self, X, Z) -> float:
        """Recompute the certified lower bound for the instance ``(X, Z)``.

        Raises :class:`InputError` when ``P`` does not fit the instance (not orthonormal, or
        ``X``, ``Z`` outside its range), since the bound then says nothing about ``(X, Z)``.
        """
        from .rip.lmi import dual_lower_bound, lmi_data  # noqa: PLC0415 - pure NumPy

        P = np.asarray(self.P, dtype=float)
        if P.ndim != 2 or P.shape[0] != np.shape(X)[0]:
            raise InputError(f"dual: P has shape {P.shape}, which does not fit n = {np.shape(X)[0]}")
        if CompactOperator.orthonormality_error(P) > 1e-8:
            raise InputError("dual: P is not orthonormal")
        for name, M in (("X", X), ("Z", Z)):
            resid = np.linalg.norm(M - P @ (P.T @ M))
            if resid > 1e-9 * max(1.0, np.linalg.norm(M)):
                raise InputError(f"dual: {name} is not in the range of P (residual {resid:.2e})")
        data = lmi_data(self.scale * (P.T @ X), self.scale * (P.T @ Z), self.basis)
        return dual_lower_bound(data, self.y, self.V)


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
    """f, ∇f and ∇²f from the literal formulas of REFERENCE §1 with a dense Gram matrix.

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
    dual: DualCertificate | None = None,
    delta_lower: float | None = None,
    tolerances: Tolerances | None = None,
    domain: str = "all",
    claimed_hess_min: float | None = None,
) -> VerificationReport:
    """Check, without any solver, that ``X`` is a spurious second-order critical point of
    ``f(X) = ||A(XX^T - ZZ^T)||^2`` for the (optimally rescaled) ``operator``.

    Recomputes the RIP constant from the operator's eigenvalues, the relative gradient norm, the
    smallest Hessian eigenvalue on the complement of the rotation directions ``XΩ``, ``f(X) > 0``
    and ``f(Z) = 0``; compares ``delta`` (if given) with the recomputed RIP constant; recomputes
    the lower bound of ``dual`` (if given) and compares it with ``delta_lower`` (if given);
    ``claimed_hess_min`` (a claimed curvature, e.g. of a strict counterexample) must not exceed the
    recomputed smallest Hessian eigenvalue.
    Malformed arguments raise :class:`InputError`; a wrong certificate gives ``ok = False``.
    """
    tol = tolerances or Tolerances()
    if not isinstance(operator, MeasurementOperator):
        raise InputError(f"operator: expected a MeasurementOperator, got {type(operator).__name__}")
    X = as_factor(X, "X")
    Z = as_factor(Z, "Z")
    n = operator.n
    if X.shape[0] != n or Z.shape[0] != n:
        raise InputError(f"X, Z: expected {n} rows to match the operator, got {X.shape[0]} and {Z.shape[0]}")
    if domain not in ("all", "symmetric"):
        raise InputError(f"domain: expected 'all' or 'symmetric', got {domain!r}")
    checks: dict = {}
    rep = VerificationReport(ok=False, checks=checks, failures=[], tolerances=asdict(tol), delta_claimed=delta)

    # -- structure of the operator --------------------------------------------------------------
    if isinstance(operator, CompactOperator):
        err = operator.orthonormality_error(operator.P)
        asym = float(np.max(np.abs(operator.H_hat - operator.H_hat.T)))
        good = err <= tol.structure and asym <= tol.structure * max(1.0, float(np.max(np.abs(operator.H_hat))))
        _check(checks, "operator_well_formed", good, max(err, asym), tol.structure, "P^T P = I and H_hat symmetric")
    else:
        if n > DENSE_LIMIT:
            raise InputError(f"operator: an explicit operator with n = {n} > {DENSE_LIMIT} is too large to verify densely")
        _check(checks, "operator_well_formed", True, 0.0, tol.structure, "explicit measurement matrices")
    if not checks["operator_well_formed"]["passed"]:
        rep.failures = ["operator_well_formed: P is not orthonormal or H_hat is not symmetric"]
        return rep

    # -- RIP constant ---------------------------------------------------------------------------
    rip = operator.rip_constant(domain)
    rep.rip_delta, rep.rip_scale, rep.eig_min, rep.eig_max = rip.delta, rip.scale, rip.lam_min, rip.lam_max
    rep.rip_delta_symmetric = operator.rip_constant("symmetric").delta
    _check(checks, "rip_below_one", rip.delta < 1.0, rip.delta, 1.0, f"recomputed RIP constant ({domain} matrices) < 1")
    if delta is not None:
        _check(
            checks, "delta_matches", abs(float(delta) - rip.delta) <= tol.delta, abs(float(delta) - rip.delta), tol.delta,
            "claimed delta equals the recomputed RIP constant",
        )
    if not rip.delta < 1.0:
        rep.failures = [k for k, c in checks.items() if not c["passed"]]
        return rep
    t = rip.scale

    # -- derivatives (dense, in a reduced basis for compact operators) ---------------------------
    extra_hess = np.zeros(0)
    if isinstance(operator, CompactOperator):
        Hr, Xr, Zr, P2 = operator.reduce(X, Z)
        if n > P2.shape[1]:  # identity on the complement: Hessian block 4 t (X^T X ⊗ I)
            extra_hess = 4.0 * t * np.linalg.eigvalsh(X.T @ X)
        H = t * Hr
    else:
        Xr, Zr = X, Z
        H = t * operator.gram()
    f, grad, hess = _dense_derivatives(H, Xr, Zr)
    C = rotation_complement(Xr)
    lam = np.linalg.eigvalsh(C.T @ hess @ C) if C.shape[1] else np.zeros(0)
    lam_all = np.concatenate([lam, extra_hess])
    hess_min = float(lam_all.min())
    hess_scale = max(float(np.abs(lam_all).max()), 1e-300)
    zz = float(np.linalg.norm(Z.T @ Z))
    if zz == 0.0:
        raise InputError("Z: the ground truth is zero")
    normE = float(np.linalg.norm(Xr @ Xr.T - Zr @ Zr.T))
    lam_max_scaled = t * rip.lam_max
    denom = 4.0 * lam_max_scaled * normE * max(float(np.linalg.norm(X, 2)), 1e-300)
    rep.grad_norm_abs = float(np.linalg.norm(grad))
    rep.grad_norm = rep.grad_norm_abs / denom if normE > 0 else math.inf
    rep.hess_min, rep.hess_max_abs, rep.hess_min_rel = hess_min, hess_scale, hess_min / hess_scale
    rep.f_value = f
    rep.f_value_rel = f / zz**2
    rep.f_ground_truth = t * operator.objective(Z, Z)
    rep.distance_rel = normE / zz
    rep.strict = rep.hess_min_rel > tol.hess

    _check(checks, "first_order", rep.grad_norm <= tol.grad, rep.grad_norm, tol.grad, "relative gradient norm at X")
    _check(
        checks, "second_order", rep.hess_min_rel >= -tol.hess, rep.hess_min_rel, tol.hess,
        "relative smallest Hessian eigenvalue on the rotation complement >= -tol",
    )
    _check(
        checks, "spurious", rep.distance_rel > tol.spurious and rep.f_value > 0.0,
        rep.distance_rel, tol.spurious, "||X X^T - Z Z^T|| / ||Z Z^T|| > tol and f(X) > 0",
    )
    # RIP consistency: f(X) = e^T (tH) e >= (1 - delta) ||e||^2 (up to rounding)
    f_floor = (1.0 - rip.delta) * normE**2
    _check(
        checks, "f_above_rip_floor", f >= f_floor - 1e-12 * lam_max_scaled * normE**2, f - f_floor, 1e-12,
        "f(X) >= (1 - delta) ||X X^T - Z Z^T||^2",
    )
    if claimed_hess_min is not None:
        claim = float(claimed_hess_min)
        _check(checks, "curvature_claim", rep.hess_min >= claim - tol.hess * hess_scale, rep.hess_min - claim, tol.hess,
               "recomputed smallest Hessian eigenvalue >= the claimed curvature")
    _check(checks, "ground_truth_zero", abs(rep.f_ground_truth) <= tol.spurious * zz**2, rep.f_ground_truth, tol.spurious, "f(Z) = 0")

    # -- dual lower bound -----------------------------------------------------------------------
    if dual is not None:
        try:
            lb = dual.lower_bound(X, Z)
        except InputError as exc:
            _check(checks, "dual_valid", False, None, tol.delta, str(exc))
        else:
            rep.delta_lower = lb
            _check(checks, "dual_below_delta", lb <= rip.delta + tol.delta, lb - rip.delta, tol.delta,
                   "certified lower bound <= recomputed RIP constant")
            if delta_lower is not None:
                _check(checks, "delta_lower_matches", abs(lb - float(delta_lower)) <= tol.delta, abs(lb - float(delta_lower)),
                       tol.delta, "claimed delta_lower equals the recomputed dual bound")
    elif delta_lower is not None:
        _check(checks, "dual_present", False, None, None, "a delta_lower is claimed but no dual point backs it")

    rep.failures = [f"{k}: {c['detail']} (value {c['value']}, tolerance {c['tolerance']})" for k, c in checks.items() if not c["passed"]]
    rep.ok = not rep.failures
    return rep


@dataclass
class Certificate:
    """A counterexample: operator, instance, RIP constant, dual bound, provenance, verification."""

    X: np.ndarray
    Z: np.ndarray
    operator: MeasurementOperator
    delta: float
    delta_lower: float | None = None
    dual: DualCertificate | None = None
    solver: dict | None = None
    formulation: dict | None = None
    source: str = "sdp"
    flags: list = field(default_factory=list)
    name: str | None = None
    description: str | None = None
    created: str | None = None
    package_version: str = __version__
    verification: dict | None = None
    validations: list = field(default_factory=list)
    exact: dict | None = None

    def __post_init__(self):
        self.X = as_factor(self.X, "X")
        self.Z = as_factor(self.Z, "Z")
        if self.created is None:
            self.created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def r(self) -> int:
        return self.X.shape[1]

    @property
    def r_star(self) -> int:
        return self.Z.shape[1]

    def verify(self, tolerances: Tolerances | None = None, domain: str = "all", exact: bool = False):
        """Run :func:`verify` on this certificate's operator, X, Z, delta and dual point, and keep
        the report in ``self.verification``; returns the :class:`VerificationReport`.

        With ``exact=True`` run instead the exact rational verification
        :func:`certify.exact.verify_exact` (python-flint; the trusted part, see that module) on the
        operator, X, Z, delta and the claimed curvature ``formulation["hess_min"]`` (if any), keep
        its report in ``self.exact`` (written under the key ``"exact"``) and return the
        :class:`~certify.exact.ExactReport` (``outcome``: proved / disproved / undecided).
        """
        if exact:
            from .exact import verify_exact  # noqa: PLC0415 - needs python-flint, imports no solver

            if tolerances is not None:
                raise InputError("tolerances: the exact verification takes no tolerances")
            ereport = verify_exact(self.operator, self.X, self.Z, self.delta,
                                   mu=(self.formulation or {}).get("hess_min"), domain=domain)
            self.exact = ereport.to_dict()
            return ereport
        report = verify(
            self.operator, self.X, self.Z, delta=self.delta, dual=self.dual, delta_lower=self.delta_lower,
            tolerances=tolerances, domain=domain,
            claimed_hess_min=(self.formulation or {}).get("hess_min"),
        )
        self.verification = report.to_dict()
        return report

    # -- serialization ----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        if self.verification is None:
            self.verify()
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": KIND,
            "name": self.name,
            "description": self.description,
            "created": self.created,
            "package": {"name": "certify", "version": self.package_version},
            "conventions": CONVENTIONS,
            "instance": {"n": self.n, "r": self.r, "r_star": self.r_star, "X": self.X.tolist(), "Z": self.Z.tolist()},
            "operator": self.operator.to_dict(),
            "delta": float(self.delta),
            "delta_lower": None if self.delta_lower is None else float(self.delta_lower),
            "dual": None if self.dual is None else self.dual.to_dict(),
            "solver": _jsonable(self.solver),
            "formulation": _jsonable(self.formulation),
            "source": self.source,
            "flags": list(self.flags),
            "verification": self.verification,
            "validations": _jsonable(self.validations),
            "exact": self.exact,
        }

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(self, path) -> Path:
        """Write the certificate as JSON, atomically (verifying it first if not yet verified)."""
        return atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def from_dict(cls, d: dict) -> "Certificate":
        from .schema import validate_certificate  # noqa: PLC0415 - schema, shapes and size bounds first

        validate_certificate(d)
        if not isinstance(d, dict):
            raise CertificateFormatError("certificate: expected a JSON object")
        if d.get("format") != FORMAT:
            raise CertificateFormatError(f"certificate: 'format' is {d.get('format')!r}, expected {FORMAT!r}")
        version = d.get("format_version")
        if version != FORMAT_VERSION:
            raise CertificateFormatError(
                f"certificate: format_version {version!r} is not supported (this is certify {__version__}, format {FORMAT_VERSION})"
            )
        try:
            inst = d["instance"]
            X = np.array(inst["X"], dtype=float)
            Z = np.array(inst["Z"], dtype=float)
            operator = MeasurementOperator.from_dict(d["operator"])
            delta = float(d["delta"])
            dl = d.get("delta_lower")
            dual = None if d.get("dual") is None else DualCertificate.from_dict(d["dual"])
            pkg = d.get("package") or {}
            return cls(
                X=X, Z=Z, operator=operator, delta=delta, delta_lower=None if dl is None else float(dl), dual=dual,
                solver=d.get("solver"), formulation=d.get("formulation"), source=str(d.get("source", "unknown")),
                flags=list(d.get("flags") or []), name=d.get("name"), description=d.get("description"),
                created=d.get("created"), package_version=str(pkg.get("version", "unknown")),
                verification=d.get("verification"), validations=list(d.get("validations") or []),
                exact=d.get("exact"),
            )
        except CertificateFormatError:
            raise
        except KeyError as exc:
            raise CertificateFormatError(f"certificate: missing field {exc.args[0]!r}") from exc
        except (InputError, TypeError, ValueError) as exc:
            raise CertificateFormatError(f"certificate: malformed content ({exc})") from exc


def load(path) -> Certificate:
    """Read a certificate file written by :meth:`Certificate.save`."""
    from .schema import read_json_file  # noqa: PLC0415 - size, depth, NaN/Infinity, UTF-8 checks

    d = read_json_file(path)
    return Certificate.from_dict(d)


