"""Algebraic certificates: BM-sensing certificates whose numbers lie in a real quadratic field
``K = Q(√m)`` — the file format and its exact verification; part of the trusted kernel.

A rational certificate can only prove ``δ(X, Z) <= δ`` for rational ``δ``; the sharp
overparameterized threshold ``1/(1 + √(r*/r))`` is irrational unless ``r r*`` is a square.  An
algebraic certificate states its instance, operator, δ and dual point over ``K`` and every claim
is decided exactly (:mod:`.quadratic`); nothing is rounded, so a failed check is a real violation
(outcome ``"disproved"``) and there is no ``"undecided"`` short of malformed or oversized data.

The claims (each with its verdict in ``report.claims``)
-------------------------------------------------------
``delta`` — ``δ(X, Z) <= δ``: with ``e = vec(X X^T - M)`` (``M = Z Z^T`` given exactly, checked
    ``⪰ 0`` of rank ``r*``) and the symmetric ``d² x d²`` operator ``H`` (``vec`` coordinates, all
    ``d x d`` matrices):

    (i)   ``𝐗^T H e = 0`` (first order: ``∇f(X) = 0``);
    (ii)  ``C^T (½∇²f) C ⪰ (μ/2) C^T C`` with ``C`` an exact basis of the orthogonal complement of
          the rotation directions ``X Ω`` (second order; ``μ = 0`` here, ``μ > 0`` for ``strict``);
    (iii) ``(1 - δ) I ⪯ H ⪯ (1 + δ) I`` (two exact ``LDL^T``);
    (iv)  ``f(X) = e^T H e > 0`` (spurious: ``X X^T ≠ M``);
    (v)   the lift: ``4 X^T X - μ I ⪰ 0`` and ``1 - δ <= 1 <= 1 + δ``, so that
          ``𝐏 H 𝐏^T + (I - 𝐏𝐏^T)`` (``𝐏 = P ⊗ P``, any ``n x d`` ``P`` with orthonormal columns) is a
          certificate for ``(P X, P M P^T)`` in every ``n >= d`` (JMLR19 Lemma 9; the Hessian of the
          lift is block diagonal with the reduced block and ``4 (X^T X ⊗ I_{n-d})``).

    ``H ⪰ (1 - δ) I ≻ 0`` is a Gram matrix ``𝐀^T 𝐀`` of real measurement matrices, so (i)-(v) prove
    that ``X`` is a spurious second-order critical point of a δ-RIP instance (convex sufficient
    condition of JMLR19 eq. 20).
``threshold`` — ``δ = 1/(1 + √(r*/r))`` exactly, ``r`` the columns of ``X``, ``r*`` the rank of
    ``M``: ``δ (r + √(r r*)) = r`` in ``K`` (``√(r r*)`` must be an element of ``K``).
``delta_lower`` — ``δ(X, Z) >= δ``: weak duality (:mod:`certify.check.duality`) with the stored
    ``y``, ``V ⪰ 0`` and split ``G = P - N``: ``P ⪰ 0`` and ``N = P - G ⪰ 0`` are checked, and for every
    feasible ``(H, δ')``, ``tr G <= δ' (tr P + tr N)``, so ``δ(X, Z) >= tr G / (tr P + tr N)``, which
    must be ``>= δ``.
``strict`` — a second operator ``H₁`` with ``δ₁ > δ`` at which (i)-(v) hold with ``μ₁ > 0``: ``X``
    is a strict local minimum (up to rotations) of a ``δ₁``-RIP instance, ``∇²f ⪰ μ₁`` on the
    rotation complement.
``sharpness`` — from ``delta`` (μ = 0) and ``strict`` on the same instance: the constraints
    (i)-(iv) are linear in ``H`` and (iii) is jointly convex in ``(H, δ)``, so for ``λ ∈ (0, 1]``
    ``H_λ = (1 - λ) H + λ H₁`` satisfies them with ``δ_λ = (1 - λ) δ + λ δ₁`` and ``∇²f ⪰ λ μ₁``:
    **every** ``δ' ∈ (δ, δ₁]`` has a δ'-RIP instance with ``X`` a strict spurious local minimum.  The
    midpoint ``λ = 1/2`` is also checked exactly.

With ``threshold``, ``delta`` and ``delta_lower`` proved, ``δ(X, Z) = 1/(1 + √(r*/r))`` exactly;
``report.delta["exact"]`` is then that number written in radicals, e.g. ``sqrt(3)/(sqrt(3)+sqrt(2))``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..._version import __version__
from ...errors import CertificateFormatError, InputError
from ...io import atomic_write_text, utc_now
from .quadratic import (
    QF,
    QuadraticField,
    derivatives,
    dual_matrix,
    psd,
    qf_str,
    rotation_complement,
    sp_add,
    sp_is_symmetric,
    sp_mul,
    sp_shift,
    sp_trace,
    sp_transpose,
)
from .report import ExactReport

__all__ = ["FORMAT", "FORMAT_VERSION", "KIND", "AlgebraicCertificate", "verify_algebraic", "load_algebraic",
           "embedded_claims", "threshold_expression", "MAX_D"]

FORMAT = "certify.algebraic-certificate"
FORMAT_VERSION = 1
KIND = "bm-sensing/sharp-threshold"
#: largest reduced dimension ``d`` (operators are ``d² x d²``)
MAX_D = 32
#: largest number of stored nonzeros of one sparse matrix
MAX_NNZ = 200_000
CONVENTIONS = {
    "objective": "f(X) = e^T H e, e = vec(X X^T - M), M = Z Z^T; no 1/2",
    "operator": "H on vec(R^{d x d}) (column-major), d^2 x d^2, symmetric; entries [i, j, value] with i <= j",
    "band": "(1 - delta) I <= H <= (1 + delta) I on all d x d matrices (no rescaling)",
    "hessian": "grad^2 f >= mu on the orthogonal complement of the rotation directions X Omega",
    "dual": "y (d r), V (d r x d r, PSD), P (d^2 x d^2, PSD): G = -(sym(J y e^T) + w e^T + e w^T + J V J^T), N = P - G",
    "field": "elements 'a', 'a + b*sqrt(m)', 'b*sqrt(m)' with a, b integers or p/q",
}


def threshold_expression(r: int, r_star: int) -> str:
    """``1/(1 + √(r*/r))`` written in radicals: ``sqrt(r)/(sqrt(r)+sqrt(r*))``."""
    return f"sqrt({r})/(sqrt({r})+sqrt({r_star}))"


# ---------------------------------------------------------------------------------------------
# the certificate object and its file
# ---------------------------------------------------------------------------------------------
@dataclass
class AlgebraicCertificate:
    """An algebraic certificate (module docstring): instance ``X`` (``d x r``), ``M = Z Z^T``
    (``d x d``), operator ``H`` (sparse ``d² x d²``), ``delta``, and optionally the threshold
    claim (``threshold = {"r", "r_star"}``), a dual point (``dual = {"y", "V", "P"}``, sparse) and
    a strict operator (``strict = {"H", "delta", "mu"}``).  Numbers are :class:`QF` of ``field``."""

    field: QuadraticField
    X: list
    M: list
    H: dict
    delta: QF
    threshold: dict | None = None
    dual: dict | None = None
    strict: dict | None = None
    name: str | None = None
    description: str | None = None
    source: str = "closed-form"
    provenance: dict = field(default_factory=dict)
    created: str | None = None
    exact: dict | None = None

    def __post_init__(self):
        if self.created is None:
            self.created = utc_now()

    @property
    def d(self) -> int:
        return len(self.X)

    @property
    def r(self) -> int:
        return len(self.X[0])

    @property
    def kind(self) -> str:
        """``"bm-sensing/sharp-threshold"`` (every object of :func:`certify.check.loader.load_any` has a kind)."""
        return KIND

    def verify(self, exact: bool = True, **kw):
        """``exact=True``: every claim decided exactly (:func:`verify_algebraic`, an
        :class:`~certify.check.exact.report.ExactReport`, kept in ``self.exact``).  ``exact=False``:
        the float verifier of :mod:`certify.check.verify` on the operator rounded to floats (a
        :class:`~certify.check.verify.VerificationReport`)."""
        if exact:
            report = verify_algebraic(self)
            self.exact = report.to_dict()
            return report
        return _float_verify(self, **kw)

    def float_instance(self):
        """``(X, Z, H)`` as float arrays (``Z`` from the eigen-decomposition of ``M``)."""
        import numpy as np  # noqa: PLC0415

        X = np.array([[float(v) for v in row] for row in self.X])
        M = np.array([[float(v) for v in row] for row in self.M])
        lam, U = np.linalg.eigh(0.5 * (M + M.T))
        keep = lam > 1e-12 * max(float(np.max(np.abs(lam))), 1e-300)
        Z = U[:, keep] * np.sqrt(lam[keep])
        n2 = self.d * self.d
        H = np.zeros((n2, n2))
        for i, row in self.H.items():
            for j, v in row.items():
                H[i, j] = float(v)
        return X, Z, H

    def to_dict(self) -> dict:
        out = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": KIND, "name": self.name,
               "description": self.description, "created": self.created,
               "package": {"name": "certify", "version": __version__}, "conventions": CONVENTIONS,
               "field": {"m": self.field.m, "name": self.field.name},
               "instance": {"n": self.d, "r": self.r, "X": _dense_out(self.X), "M": _dense_out(self.M)},
               "operator": _sparse_out(self.H, self.d * self.d), "delta": qf_str(self.delta),
               "threshold": None, "dual": None, "strict": None, "source": self.source,
               "provenance": self.provenance, "exact": self.exact}
        if self.threshold is not None:
            r, rs = int(self.threshold["r"]), int(self.threshold["r_star"])
            out["threshold"] = {"r": r, "r_star": rs, "expression": threshold_expression(r, rs)}
        if self.dual is not None:
            out["dual"] = {"y": [[int(i), qf_str(v)] for i, v in sorted(self.dual["y"].items())],
                           "V": _sparse_out(self.dual["V"], self.d * self.r),
                           "P": _sparse_out(self.dual["P"], self.d * self.d)}
        if self.strict is not None:
            out["strict"] = {"operator": _sparse_out(self.strict["H"], self.d * self.d),
                             "delta": qf_str(self.strict["delta"]), "mu": qf_str(self.strict["mu"])}
        return out

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def save(self, path) -> Path:
        return atomic_write_text(path, self.to_json() + "\n")

    @classmethod
    def from_dict(cls, d: dict) -> AlgebraicCertificate:
        """Read (and check the shapes of) a dict written by :meth:`to_dict`; malformed content
        raises :class:`CertificateFormatError`."""
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise CertificateFormatError(f"algebraic certificate: 'format' must be {FORMAT!r}")
        if d.get("format_version") != FORMAT_VERSION:
            raise CertificateFormatError(f"algebraic certificate: format_version {d.get('format_version')!r} is not "
                                         f"supported (expected {FORMAT_VERSION})")
        try:
            return _from_dict(cls, d)
        except CertificateFormatError:
            raise
        except (KeyError, TypeError, ValueError, InputError) as exc:
            raise CertificateFormatError(f"algebraic certificate: malformed content ({type(exc).__name__}: {exc})") from exc


def _from_dict(cls, d: dict) -> AlgebraicCertificate:
    K = QuadraticField(int(d["field"]["m"]))
    inst = d["instance"]
    X, M = _dense_in(inst["X"], K, "X"), _dense_in(inst["M"], K, "M")
    dd, r = len(X), len(X[0])
    if not 1 <= dd <= MAX_D or len(M) != dd or any(len(row) != dd for row in M):
        raise CertificateFormatError(f"algebraic certificate: X must be d x r and M d x d with 1 <= d <= {MAX_D}")
    H = _sparse_in(d["operator"], K, dd * dd, "operator")
    thr = d.get("threshold")
    if thr is not None:
        thr = {"r": int(thr["r"]), "r_star": int(thr["r_star"])}
    dual = d.get("dual")
    if dual is not None:
        y = {}
        for i, v in dual["y"]:
            if not isinstance(i, int) or not 0 <= i < dd * r or i in y:
                raise CertificateFormatError("algebraic certificate: dual.y has a bad or repeated index")
            y[i] = K.parse(v)
        dual = {"y": y, "V": _sparse_in(dual["V"], K, dd * r, "dual.V"), "P": _sparse_in(dual["P"], K, dd * dd, "dual.P")}
    strict = d.get("strict")
    if strict is not None:
        strict = {"H": _sparse_in(strict["operator"], K, dd * dd, "strict.operator"), "delta": K.parse(strict["delta"]),
                  "mu": K.parse(strict["mu"])}
    return cls(field=K, X=X, M=M, H=H, delta=K.parse(d["delta"]), threshold=thr, dual=dual, strict=strict,
               name=d.get("name"), description=d.get("description"), source=str(d.get("source", "unknown")),
               provenance=d.get("provenance") or {}, created=d.get("created"), exact=d.get("exact"))


def load_algebraic(path) -> AlgebraicCertificate:
    """Read an algebraic certificate file (the kernel's safe JSON reader first)."""
    from ..schema import read_json_file  # noqa: PLC0415

    return AlgebraicCertificate.from_dict(read_json_file(path))


def _dense_out(A: list) -> list:
    return [[qf_str(v) for v in row] for row in A]


def _dense_in(rows, K: QuadraticField, name: str) -> list:
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows):
        raise CertificateFormatError(f"algebraic certificate: {name} must be a non-empty list of rows")
    if len({len(r) for r in rows}) != 1 or len(rows) > MAX_D:
        raise CertificateFormatError(f"algebraic certificate: {name} must be rectangular with at most {MAX_D} rows")
    return [[K.parse(v) for v in row] for row in rows]


def _sparse_out(A: dict, n: int) -> dict:
    entries = [[int(i), int(j), qf_str(v)] for i, row in sorted(A.items()) for j, v in sorted(row.items()) if i <= j]
    return {"size": int(n), "entries": entries}


def _sparse_in(obj, K: QuadraticField, n: int, name: str) -> dict:
    """A symmetric sparse matrix from ``{"size": n, "entries": [[i, j, value], ...]}`` (``i <= j``)."""
    if not isinstance(obj, dict) or obj.get("size") != n or not isinstance(obj.get("entries"), list):
        raise CertificateFormatError(f"algebraic certificate: {name} must be {{'size': {n}, 'entries': [...]}}")
    if len(obj["entries"]) > MAX_NNZ:
        raise CertificateFormatError(f"algebraic certificate: {name} has more than {MAX_NNZ} entries")
    A: dict = {}
    for ent in obj["entries"]:
        if not (isinstance(ent, list) and len(ent) == 3 and all(isinstance(x, int) and not isinstance(x, bool)
                                                                 for x in ent[:2])):
            raise CertificateFormatError(f"algebraic certificate: {name} entries are [i, j, value]")
        i, j, v = ent
        if not 0 <= i <= j < n or j in A.get(i, {}):
            raise CertificateFormatError(f"algebraic certificate: {name} entry ({i}, {j}) is out of range, below the "
                                         "diagonal or repeated")
        x = K.parse(v)
        if x.is_zero():
            continue
        A.setdefault(i, {})[j] = x
        A.setdefault(j, {})[i] = x
    return A


# ---------------------------------------------------------------------------------------------
# the checks
# ---------------------------------------------------------------------------------------------
def _claim(name, statement, claimed, verdict, detail, **extra) -> dict:
    return {"claim": name, "statement": statement, "claimed": claimed, "verdict": verdict, "detail": detail, **extra}


def _psd_check(A: dict, n: int, K, what: str) -> tuple[bool, str, dict]:
    """``(ok, detail, info)`` of the exact PSD test of ``A`` (symmetry checked first)."""
    bad = sp_is_symmetric(A)
    if bad is not None:
        return False, f"{what} is not symmetric (entry {bad})", {}
    res = psd(A, n, K)
    if res.psd:
        return True, f"{what} >= 0 (exact LDL^T, inertia {res.inertia})", {"inertia": list(res.inertia)}
    wit = {str(i): qf_str(v) for i, v in sorted(res.witness.items())}
    return False, (f"{what} is not PSD: v^T A v = {qf_str(res.value)} ~ {float(res.value):.3g} < 0 for the witness v "
                   f"(exact)"), {"witness": wit, "value": qf_str(res.value)}


def _matrix_psd_rank(M: list, K) -> tuple[bool, int, str]:
    """``M`` symmetric and PSD (exactly); its rank from the inertia."""
    d = len(M)
    A = {i: {j: M[i][j] for j in range(d) if not M[i][j].is_zero()} for i in range(d)}
    A = {i: row for i, row in A.items() if row}
    bad = sp_is_symmetric(A)
    if bad is not None:
        return False, 0, f"M is not symmetric (entry {bad})"
    res = psd(A, d, K)
    if not res.psd:
        return False, 0, "M = Z Z^T is not PSD"
    return True, res.inertia[0], f"M >= 0 of rank {res.inertia[0]} (exact LDL^T)"


def check_operator(X: list, M: list, H: dict, delta: QF, mu: QF, K: QuadraticField) -> tuple[bool, dict]:
    """(i)-(v) of the module docstring on one operator: ``(all passed, checks)``; each check is
    ``{"passed", "detail", ...}``."""
    d, r = len(X), len(X[0])
    n2 = d * d
    checks: dict = {}
    bad = sp_is_symmetric(H)
    if bad is not None:
        checks["structure"] = {"passed": False, "detail": f"H is not symmetric (entry {bad})"}
        return False, checks
    der = derivatives(X, M, H, K)
    checks["first_order"] = {"passed": not der.g, "detail": "X^T H e = 0 exactly" if not der.g else
                             f"X^T H e has {len(der.g)} nonzero entries, e.g. {qf_str(next(iter(der.g.values())))}"}
    checks["spurious"] = {"passed": der.f.sign() > 0 and bool(der.e), "value": qf_str(der.f),
                          "detail": f"f(X) = e^T H e = {qf_str(der.f)} ~ {float(der.f):.6g}"}
    for key, A, what in (("isometry_lower", sp_shift(H, n2, -(1 - delta)), "H - (1 - delta) I"),
                         ("isometry_upper", sp_shift(H, n2, 1 + delta, c=-1), "(1 + delta) I - H")):
        ok, detail, info = _psd_check(A, n2, K, what)
        checks[key] = {"passed": ok, "detail": detail, **info}
    C, c = rotation_complement(X, K)
    Ct = sp_transpose(C)
    A = sp_mul(Ct, sp_mul(der.S2, C))
    if not mu.is_zero():
        A = sp_add(A, sp_mul(Ct, C), -(mu / 2))
    ok, detail, info = _psd_check(A, c, K, f"C^T (Hess/2) C - (mu/2) C^T C (mu = {qf_str(mu)})")
    checks["second_order"] = {"passed": ok, "detail": detail, "complement_dimension": c, **info}
    XtX = {i: {j: sum((X[a][i] * X[a][j] for a in range(d)), K.zero) for j in range(r)} for i in range(r)}
    L = {i: {j: 4 * v for j, v in row.items() if not v.is_zero()} for i, row in XtX.items()}
    ok, detail, _ = _psd_check(sp_shift(L, r, -mu), r, K, "4 X^T X - mu I")
    in_band = delta.sign() >= 0 and (1 - delta).sign() > 0
    checks["lift"] = {"passed": ok and in_band, "detail": detail + ("; 0 <= delta < 1, so the identity block is in the band"
                                                                     if in_band else "; delta is not in [0, 1)")}
    return all(ch["passed"] for ch in checks.values()), checks


def _summary(checks: dict) -> str:
    bad = [f"{k}: {v['detail']}" for k, v in checks.items() if not v["passed"]]
    return "; ".join(bad) if bad else "first order, second order, isometry band, spurious and lift proved exactly"


def _threshold_claim(cert: AlgebraicCertificate, r_star: int | None) -> dict:
    """``δ = 1/(1 + √(r*/r))``: ``δ (r + √(r r*)) = r`` in the field."""
    thr = cert.threshold
    stmt = "delta = 1/(1 + sqrt(r*/r)) exactly (r: columns of X, r*: rank of M = Z Z^T)"
    if thr is None:
        return None
    r, rs = thr["r"], thr["r_star"]
    claimed = threshold_expression(r, rs)
    if r != cert.r or rs != r_star:
        return _claim("threshold", stmt, claimed, "disproved",
                      f"the claim names (r, r*) = ({r}, {rs}) but the instance has r = {cert.r}, rank M = {r_star}")
    root = cert.field.sqrt(r * rs)
    if root is None:
        return _claim("threshold", stmt, claimed, "disproved",
                      f"sqrt({r * rs}) is not in {cert.field.name}, so delta (in the field) cannot equal the threshold")
    ok = (cert.delta * (r + root) - r).is_zero()
    return _claim("threshold", stmt, claimed, "proved" if ok else "disproved",
                  f"delta * (r + sqrt(r r*)) = r holds exactly in {cert.field.name}" if ok else
                  f"delta * (r + sqrt(r r*)) = {qf_str(cert.delta * (r + root))} != {r}")


def _dual_claim(cert: AlgebraicCertificate) -> tuple[dict | None, QF | None]:
    """``δ(X, Z) >= tr G / (tr P + tr N) >= δ`` (weak duality; module docstring)."""
    if cert.dual is None:
        return None, None
    K, d, r = cert.field, cert.d, cert.r
    stmt = "delta(X, Z) >= delta: weak duality with the stored y, V >= 0 and the split G = P - N, P, N >= 0"
    y, V, P = cert.dual["y"], cert.dual["V"], cert.dual["P"]
    for A, n, what in ((V, d * r, "V"), (P, d * d, "P")):
        ok, detail, _ = _psd_check(A, n, K, what)
        if not ok:
            return _claim("delta_lower", stmt, qf_str(cert.delta), "disproved", detail), None
    G = dual_matrix(cert.X, cert.M, y, V, K)
    N = sp_add(P, G, K(-1))
    ok, detail, _ = _psd_check(N, d * d, K, "N = P - G")
    if not ok:
        return _claim("delta_lower", stmt, qf_str(cert.delta), "disproved", detail), None
    den = sp_trace(P, K) + sp_trace(N, K)
    if den.sign() <= 0:
        return _claim("delta_lower", stmt, qf_str(cert.delta), "disproved", "tr P + tr N = 0: the point certifies nothing"), None
    bound = sp_trace(G, K) / den
    ok = bound >= cert.delta
    return _claim("delta_lower", stmt, qf_str(cert.delta), "proved" if ok else "disproved",
                  f"tr G / (tr P + tr N) = {qf_str(bound)} ~ {float(bound):.15g} "
                  + (">= delta" if ok else f"< delta = {qf_str(cert.delta)}"), exact_bound=qf_str(bound)), bound


def _strict_claims(cert: AlgebraicCertificate, upper_ok: bool) -> list:
    """``strict`` and, from it and the threshold operator, ``sharpness`` (with the midpoint checked)."""
    if cert.strict is None:
        return []
    K = cert.field
    H1, d1, mu1 = cert.strict["H"], cert.strict["delta"], cert.strict["mu"]
    stmt = "X is a strict local minimum (up to rotations) of a delta1-RIP instance, Hess f >= mu1 > 0 on the complement"
    if mu1.sign() <= 0:
        return [_claim("strict", stmt, qf_str(mu1), "disproved", "mu1 must be > 0")]
    ok, checks = check_operator(cert.X, cert.M, H1, d1, mu1, K)
    out = [_claim("strict", stmt, {"delta1": qf_str(d1), "mu1": qf_str(mu1)}, "proved" if ok else "disproved",
                  _summary(checks), checks=checks)]
    stmt2 = ("for every delta' in (delta, delta1]: a delta'-RIP instance with X a strict spurious local minimum, "
             "Hess f >= mu1 (delta' - delta)/(delta1 - delta) (convex combination of the two operators)")
    if not (ok and upper_ok):
        return out + [_claim("sharpness", stmt2, "proved", "undecided", "needs both the delta and the strict claims")]
    if not d1 > cert.delta:
        return out + [_claim("sharpness", stmt2, "proved", "disproved", "delta1 is not above delta")]
    half = K("1/2")
    Hm = sp_add({i: {j: half * v for j, v in row.items()} for i, row in cert.H.items()}, H1, half)
    okm, chm = check_operator(cert.X, cert.M, Hm, half * (cert.delta + d1), half * mu1, K)
    return out + [_claim("sharpness", stmt2, "proved", "proved" if okm else "disproved",
                         "convexity of the feasible set in (H, delta) (module docstring); the midpoint lambda = 1/2 is "
                         "also checked exactly: " + _summary(chm))]


def verify_algebraic(cert) -> ExactReport:
    """Decide every claim of an :class:`AlgebraicCertificate` (or its dict) exactly (module
    docstring).  ``outcome``: ``"proved"`` when every claim is, ``"disproved"`` when one is false."""
    if isinstance(cert, dict):
        cert = AlgebraicCertificate.from_dict(cert)
    if not isinstance(cert, AlgebraicCertificate):
        raise InputError(f"cert: expected an AlgebraicCertificate, got {type(cert).__name__}")
    t0 = time.perf_counter()
    K = cert.field
    claims = []
    okM, r_star, detailM = _matrix_psd_rank(cert.M, K)
    ok, checks = check_operator(cert.X, cert.M, cert.H, cert.delta, K.zero, K)
    checks["ground_truth"] = {"passed": okM, "detail": detailM}
    ok = ok and okM
    claims.append(_claim("delta", "delta(X, Z) <= delta: X is a spurious second-order critical point of a delta-RIP "
                         "operator (the stored H)", qf_str(cert.delta), "proved" if ok else "disproved", _summary(checks)))
    thr = _threshold_claim(cert, r_star if okM else None)
    if thr is not None:
        claims.append(thr)
    low, bound = _dual_claim(cert)
    if low is not None:
        claims.append(low)
    claims += _strict_claims(cert, ok)
    return _report(cert, claims, checks, bound, time.perf_counter() - t0)


def _report(cert, claims, checks, bound, seconds) -> ExactReport:
    bad = [c for c in claims if c["verdict"] == "disproved"]
    open_ = [c for c in claims if c["verdict"] == "undecided"]
    outcome = "disproved" if bad else ("undecided" if open_ else "proved")
    by = {c["claim"]: c for c in claims}
    thr_ok = by.get("threshold", {}).get("verdict") == "proved"
    equal = thr_ok and by["delta"]["verdict"] == "proved" and by.get("delta_lower", {}).get("verdict") == "proved"
    dq = cert.delta
    delta = {"exact": threshold_expression(cert.threshold["r"], cert.threshold["r_star"]) if thr_ok else qf_str(dq),
             "value": qf_str(dq), "float": float(dq), "field": cert.field.name, "claimed": qf_str(dq), "relaxed": False}
    if outcome == "proved":
        reason = (f"delta(X, Z) = {delta['exact']} = {qf_str(dq)} exactly (upper bound: the operator; lower bound: the "
                  f"dual point)" if equal else f"all {len(claims)} claim(s) proved")
        if "sharpness" in by:
            reason += (f"; strict spurious minima for every delta in (delta, {qf_str(cert.strict['delta'])}] "
                       "(convex combination)")
    else:
        reason = "; ".join(f"{c['claim']} {c['verdict']}: {c['detail']}" for c in (bad or open_))
    mu = None
    if cert.strict is not None:
        m1 = cert.strict["mu"]
        mu = {"exact": qf_str(m1), "float": float(m1), "claimed": qf_str(m1), "relaxed": False,
              "scale": "the strict operator, instance as stored (Hessian of f, no 1/2)"}
    rep = ExactReport(outcome, reason, claim="sharp-threshold" if cert.threshold else "second-order-critical-point",
                      delta=delta, mu=mu, checks=checks, claims=claims, seconds=seconds,
                      instance={"d": cert.d, "r": cert.r, "field": cert.field.name, "n": "every n >= d (lift)"})
    if bound is not None:
        rep.delta_lower = {"exact": qf_str(bound), "float": float(bound), "claimed": qf_str(dq), "scope": "the instance"}
    return rep


def _float_verify(cert: AlgebraicCertificate, **kw):
    """The float verifier (:func:`certify.check.verify.verify`) on the operator rounded to floats."""
    import numpy as np  # noqa: PLC0415

    from ..operators import CompactOperator  # noqa: PLC0415
    from ..verify import verify  # noqa: PLC0415

    X, Z, H = cert.float_instance()
    return verify(CompactOperator(np.eye(cert.d), 0.5 * (H + H.T)), X, Z, delta=float(cert.delta), **kw)


# ---------------------------------------------------------------------------------------------
# an algebraic certificate inside an ordinary certificate file (formulation["algebraic"])
# ---------------------------------------------------------------------------------------------
#: largest relative distance between the file's float instance and the algebraic one (up to scale)
MATCH_RTOL = 1e-9


def _instance_distance(cert_float, alg: AlgebraicCertificate) -> float:
    """``min_c ||c X_K - X|| / ||X||`` and ``||c² M_K - Z Z^T|| / ||Z Z^T||`` (the larger), floats: the
    file's instance is the algebraic one up to the scale ``c`` and rounding."""
    import numpy as np  # noqa: PLC0415

    Xk, _, _ = alg.float_instance()
    Mk = np.array([[float(v) for v in row] for row in alg.M])
    X, Z = np.asarray(cert_float.X, float), np.asarray(cert_float.Z, float)
    if X.shape != Xk.shape:
        return float("inf")
    c = float(np.vdot(Xk, X) / max(np.vdot(Xk, Xk), 1e-300))
    ZZ = Z @ Z.T
    dx = np.linalg.norm(c * Xk - X) / max(np.linalg.norm(X), 1e-300)
    dm = np.linalg.norm(c * c * Mk - ZZ) / max(np.linalg.norm(ZZ), 1e-300)
    return float(max(dx, dm))


def embedded_claims(cert) -> list:
    """The claims of ``cert.formulation["algebraic"]`` (an algebraic certificate of the same instance,
    up to scale) for :func:`certify.check.exact.claims.verify_certificate_exact`; ``[]`` without one.
    Each claim is renamed ``algebraic.<claim>``; when the algebraic instance is not the file's
    (relative distance above ``MATCH_RTOL`` up to scale) they are "undecided"."""
    form = cert.formulation if isinstance(cert.formulation, dict) else {}
    data = form.get("algebraic")
    if data is None:
        return []
    try:
        alg = AlgebraicCertificate.from_dict(data)
    except CertificateFormatError as exc:
        return [_claim("algebraic", "the embedded algebraic certificate", "formulation.algebraic", "undecided",
                       f"unreadable: {exc}")]
    report = verify_algebraic(alg)
    dist = _instance_distance(cert, alg)
    out = []
    for c in report.claims:
        c = {k: v for k, v in c.items() if k != "checks"}
        c["claim"] = f"algebraic.{c['claim']}"
        if dist > MATCH_RTOL and c["verdict"] == "proved":
            c.update(verdict="undecided", detail=f"{c['detail']}; but the algebraic instance is not this file's "
                                                 f"(relative distance {dist:.2g} up to scale)")
        else:
            c["detail"] += f" (the file's X, Z are this instance up to scale, relative distance {dist:.1e})"
        if c["claim"] == "algebraic.threshold" and c["verdict"] == "proved":
            c["proved_value"] = report.delta["exact"]
        out.append(c)
    return out
