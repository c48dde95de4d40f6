"""Certificate objects and their JSON file format — part of the trusted kernel.

A certificate file (``docs/certificate-format.md``, schema ``certificate.schema.json``) is read by
:func:`load` (the safe reader and schema of :mod:`certify.check.schema` first) and checked by
:mod:`certify.check.verify` (floating point) or :mod:`certify.check.exact` (exact); nothing here
calls a solver.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import CertificateFormatError, InputError
from ..io import atomic_write_text, utc_now
from ..io import jsonable as _jsonable
from ..linalg import as_factor
from .operators import MeasurementOperator
from .verify import Tolerances, VerificationReport, _check_basis, _dense_derivatives, verify

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

# re-exported for the one-release alias certify.certificates (the solver side used this name)
_dense_derivatives = _dense_derivatives

FORMAT = "certify.certificate"
FORMAT_VERSION = 1
KIND = "bm-sensing/spurious-second-order-point"
CONVENTIONS = {
    "objective": "f(X) = ||A(X X^T - Z Z^T)||^2, no 1/2; gradient and Hessian of this f",
    "rip": "(1 - delta) I <= t H <= (1 + delta) I on all n x n matrices, H = A^T A, optimal scale t",
    "vec": "column-major (vec stacks columns); svec scales off-diagonal entries by sqrt(2)",
    "hessian": "smallest eigenvalue on the orthogonal complement of the rotation directions X Omega",
}

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
    def from_dict(cls, d: dict) -> DualCertificate:
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

    def lower_bound(self, X, Z, scale: float | None = None) -> float:
        """Recompute the certified lower bound for the instance ``(X, Z)`` (``scale``: overrides
        ``self.scale``, for an instance given in another normalization).

        Raises :class:`InputError` when ``P`` does not fit the instance (not orthonormal, or
        ``X``, ``Z`` outside its range), or when the scaled instance overflows, since the bound then
        says nothing about ``(X, Z)``.
        """
        from .duality import dual_lower_bound, lmi_data  # noqa: PLC0415 - pure NumPy

        P = np.asarray(self.P, dtype=float)
        if P.ndim != 2 or P.shape[0] != np.shape(X)[0]:
            raise InputError(f"dual: P has shape {P.shape}, which does not fit n = {np.shape(X)[0]}")
        _check_basis(P, X, Z, "dual")
        s = self.scale if scale is None else scale
        with np.errstate(all="ignore"):
            data = lmi_data(s * (P.T @ X), s * (P.T @ Z), self.basis)
            if not (math.isfinite(s) and np.all(np.isfinite(data.e)) and np.all(np.isfinite(data.J))
                    and np.any(data.e != 0.0)):
                raise InputError(f"dual: the scale {self.scale!r} overflows or underflows the instance")
            lb = dual_lower_bound(data, self.y, self.V)
        if not math.isfinite(lb):
            raise InputError("dual: the recomputed bound is not a finite number")
        return lb


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
            self.created = utc_now()

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

        With ``exact=True`` decide instead every claim of the file in exact rational arithmetic
        (:func:`certify.exact_claims.verify_certificate_exact`, python-flint; the trusted part):
        ``delta`` (the operator proof), ``delta_lower`` (the dual point), the curvature claims
        ``hess_min``, ``formulation.mu`` and ``mu_upper``; keep the report in ``self.exact``
        (written under the key ``"exact"``) and return the :class:`~certify.exact.ExactReport`
        (``outcome``: proved only when every claim is proved, else disproved / undecided;
        ``claims``: each claim with its verdict).
        """
        if exact:
            from .exact.claims import verify_certificate_exact  # noqa: PLC0415 - needs python-flint, no solver

            if tolerances is not None:
                raise InputError("tolerances: the exact verification takes no tolerances")
            ereport = verify_certificate_exact(self, domain=domain)
            self.exact = ereport.to_dict()
            return ereport
        form = self.formulation if isinstance(self.formulation, dict) else {}
        report = verify(
            self.operator, self.X, self.Z, delta=self.delta, dual=self.dual, delta_lower=self.delta_lower,
            tolerances=tolerances, domain=domain, claimed_hess_min=form.get("hess_min"),
            curvature=form if form.get("problem") == "curvature" else None,
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
    def from_dict(cls, d: dict) -> Certificate:
        from .schema import validate_certificate  # noqa: PLC0415 - schema, shapes and size bounds first

        validate_certificate(d)
        if not isinstance(d, dict):
            raise CertificateFormatError("certificate: expected a JSON object")
        if d.get("format") != FORMAT:
            raise CertificateFormatError(f"certificate: 'format' is {d.get('format')!r}, expected {FORMAT!r}")
        version = d.get("format_version")
        if version != FORMAT_VERSION:
            raise CertificateFormatError(
                f"certificate: format_version {version!r} is not supported "
                f"(this is certify {__version__}, format {FORMAT_VERSION})"
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


