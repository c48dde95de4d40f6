"""The checker of NMF segment certificates — **trusted**: the exact rational recomputation of the
quartic ``ℓ(λ)`` along a segment, its curvature ``α = min_{[0,1]} ℓ''`` and the cosine, and
:func:`check_segment_certificate`, which accepts a :class:`SegmentCertificate` only when its numbers
and verdict hold exactly.

Source: "Star-Convexity in Non-Negative Matrix Factorization", anonymous ICLR 2020 submission
(**SC-NMF**), §3.1 (ℓ(λ) is a quartic, ℓ'' a quadratic) and eq. (6) (the curvature
``α(x) = min_λ ℓ''(λ x* + (1 − λ) x)``); docs/mathematics.md §3.

Along ``(W, H) + λ(ΔW, ΔH)``, ``ΔW = W* − W``, ``ΔH = H* − H``, ``λ ∈ [0, 1]``, with
``R₀ = M∘(X − WH)``, ``A = M∘(ΔW·H + W·ΔH)``, ``B = M∘(ΔW·ΔH)`` (``M`` the 0/1 mask)::

    ℓ(λ) = ½ ‖R₀ − λA − λ²B‖² = c₀ + c₁λ + c₂λ² + c₃λ³ + c₄λ⁴,
    c₀ = ½‖R₀‖²,  c₁ = −⟨R₀, A⟩,  c₂ = ½‖A‖² − ⟨R₀, B⟩,  c₃ = ⟨A, B⟩,  c₄ = ½‖B‖²

(the ½ convention of SC-NMF eq. (2)).  ``ℓ''(λ) = 2c₂ + 6c₃λ + 12c₄λ²`` is a convex quadratic
(``c₄ ≥ 0``), so ``α`` is attained at 0, 1 or the vertex ``−c₃/(4c₄)``.  ``ℓ'(0) = c₁ =
⟨∇ℓ(W, H), (ΔW, ΔH)⟩`` gives the cosine between ``−∇ℓ`` and the segment.

:func:`exact_segment` computes ``c_k``, α and the cosine exactly from the float inputs taken as
rationals (python-flint ``fmpq``/``fmpq_mat`` when installed, else :mod:`fractions`).  The
certificates are *made* in floating point, with a rigorous error bound, by
:mod:`certify.nmf.segments`; nothing here trusts a float.  The input checks of NMF data and factors
(:func:`check_data`, :func:`check_factors`) live here too, so the checker and the solver side read
instances the same way.

Imports only NumPy, :mod:`fractions`, :mod:`certify.errors` and the python-flint loader.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..errors import InputError
from .exact.rational import flint as _flint

__all__ = [
    "VERDICTS",
    "check_data",
    "check_factors",
    "prepare_segments",
    "SegmentCertificate",
    "exact_backend",
    "ExactSegment",
    "exact_segment",
    "SegmentCheck",
    "check_segment_certificate",
    "NMF_KIND",
    "NMFCertificate",
    "load_nmf",
    "verify_nmf_exact",
]

VERDICTS = ("convex", "not convex", "undecided")
_U = 2.0 ** -53          # unit roundoff of binary64, round to nearest


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------


def check_data(X, mask=None, *, nonnegative: bool = True, name: str = "X"):
    """``(X, mask, observed)``: ``X`` as float64 ``(n, m)`` with unobserved entries set to 0, the
    mask as a boolean ``(n, m)`` array (all True when ``mask`` is None), and ``|Ω|``.

    Raises :class:`InputError` for a non-matrix, an empty matrix, a mask of another shape or with
    values other than 0/1, an empty mask, NaN/inf at an observed entry, or (``nonnegative``) a
    negative observed entry."""
    try:
        A = np.array(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a numeric matrix (n, m), got {type(X).__name__}") from exc
    if A.ndim != 2 or A.size == 0:
        raise InputError(f"{name}: expected a non-empty matrix of shape (n, m), got shape {A.shape}")
    if mask is None:
        M = np.ones(A.shape, dtype=bool)
    else:
        try:
            Mraw = np.asarray(mask)
        except (TypeError, ValueError) as exc:  # pragma: no cover - asarray accepts almost anything
            raise InputError(f"mask: expected a boolean or 0/1 matrix of shape {A.shape}") from exc
        if Mraw.shape != A.shape:
            raise InputError(f"mask: expected shape {A.shape} (the shape of {name}), got {Mraw.shape}")
        if Mraw.dtype == bool:
            M = Mraw.copy()
        else:
            try:
                Mf = Mraw.astype(float)
            except (TypeError, ValueError) as exc:
                raise InputError("mask: expected a boolean or 0/1 matrix") from exc
            if not np.all((Mf == 0.0) | (Mf == 1.0)):
                raise InputError("mask: expected boolean or 0/1 entries (1 = observed), found other values")
            M = Mf == 1.0
    observed = int(M.sum())
    if observed == 0:
        raise InputError("mask: no entry is observed (the mask is all False); the loss would be empty")
    if not np.all(np.isfinite(A[M])):
        raise InputError(f"{name}: contains NaN or infinite values at observed entries "
                         "(mark missing entries False in mask)")
    if nonnegative and np.any(A[M] < 0):
        raise InputError(f"{name}: has negative observed entries (min {A[M].min():.3g}); NMF needs X >= 0 "
                         "(shift or clip the data, or mask those entries)")
    A = np.where(M, A, 0.0)
    return np.ascontiguousarray(A), M, observed


def check_factors(W, H, n: int, m: int, *, names=("W", "H"), nonnegative: bool = True, rank: int | None = None):
    """``(W, H, single)`` with ``W`` of shape ``(k, n, r)`` and ``H`` of shape ``(k, r, m)`` (a
    batch of one when 2-D arrays were given, ``single`` True)."""
    nw, nh = names
    out = []
    for name, F in ((nw, W), (nh, H)):
        try:
            A = np.array(F, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name}: expected a numeric array") from exc
        if A.ndim not in (2, 3) or A.size == 0:
            raise InputError(f"{name}: expected a matrix or a batch (starts, ., .) of matrices, got shape {A.shape}")
        if not np.all(np.isfinite(A)):
            raise InputError(f"{name}: contains NaN or infinite entries")
        if nonnegative and np.any(A < 0):
            raise InputError(f"{name}: has negative entries (min {A.min():.3g}); NMF factors must be >= 0")
        out.append(A)
    A, B = out
    single = A.ndim == 2 and B.ndim == 2
    A = A[None] if A.ndim == 2 else A
    B = B[None] if B.ndim == 2 else B
    if A.shape[1] != n:
        raise InputError(f"{nw}: expected {n} rows (X is {n} x {m}), got shape {A.shape[-2:]}")
    if B.shape[2] != m:
        raise InputError(f"{nh}: expected {m} columns (X is {n} x {m}), got shape {B.shape[-2:]}")
    if A.shape[2] != B.shape[1]:
        raise InputError(f"{nw}, {nh}: inner dimensions differ ({nw} has {A.shape[2]} columns, {nh} has {B.shape[1]} rows)")
    if rank is not None and A.shape[2] != rank:
        raise InputError(f"{nw}: expected rank {rank} (columns), got {A.shape[2]}")
    if A.shape[0] != B.shape[0]:
        if A.shape[0] == 1:
            A = np.broadcast_to(A, (B.shape[0],) + A.shape[1:])
        elif B.shape[0] == 1:
            B = np.broadcast_to(B, (A.shape[0],) + B.shape[1:])
        else:
            raise InputError(f"{nw}, {nh}: batch sizes differ ({A.shape[0]} and {B.shape[0]})")
    return np.ascontiguousarray(A), np.ascontiguousarray(B), single


def prepare_segments(W, H, W_star, H_star, X, mask):
    """``(W, H, W*, H*, X, mask, observed)`` for a batch of segments: the data through
    :func:`check_data`, the factors through :func:`check_factors` (same rank) and broadcast to one
    batch size ``k``."""
    X, M, obs = check_data(X, mask)
    n, m = X.shape
    W, H, _ = check_factors(W, H, n, m, names=("W", "H"))
    Ws, Hs, _ = check_factors(W_star, H_star, n, m, names=("W_star", "H_star"), rank=W.shape[2])
    k = max(W.shape[0], Ws.shape[0])
    if W.shape[0] not in (1, k) or Ws.shape[0] not in (1, k):
        raise InputError(f"W, W_star: batch sizes differ ({W.shape[0]} and {Ws.shape[0]})")
    W, H = (np.broadcast_to(a, (k,) + a.shape[1:]) for a in (W, H))
    Ws, Hs = (np.broadcast_to(a, (k,) + a.shape[1:]) for a in (Ws, Hs))
    return W, H, Ws, Hs, X, M, obs


# ----------------------------------------------------------------------------------------------
# the certificate
# ----------------------------------------------------------------------------------------------


@dataclass
class SegmentCertificate:
    """The quartic ``ℓ(λ) = Σ c_k λ^k`` along ``(W, H) → (W*, H*)`` (½ Σ_Ω convention), its exact
    curvature ``α = min_{[0,1]} ℓ''`` and a rigorous enclosure ``[alpha_lower, alpha_upper]`` of the
    value for the float inputs taken as exact, the verdict (``convex`` is a proof: ``alpha_lower ≥
    0``), and the cosine between ``−∇ℓ(W, H)`` and ``(W* − W, H* − H)``.

    ``coefficients`` are ``c₀ … c₄``; ``coefficient_errors`` the a-priori bounds ``e_k`` on
    ``|ĉ_k − c_k|``; ``error_bound`` bounds ``|alpha − α_exact|``; ``margin = alpha_lower``."""

    coefficients: np.ndarray
    coefficient_errors: np.ndarray
    alpha: float
    alpha_lower: float
    alpha_upper: float
    argmin: float
    cosine: float
    cosine_lower: float
    cosine_upper: float
    verdict: str
    shape: tuple = ()
    observed: int = 0
    convention: str = "l(W,H) = 1/2 sum over observed (WH - X)_ij^2"

    @property
    def convex(self) -> bool:
        """True only when convexity on the segment is proven (``alpha_lower ≥ 0``)."""
        return self.verdict == "convex"

    @property
    def error_bound(self) -> float:
        return float(max(self.alpha - self.alpha_lower, self.alpha_upper - self.alpha))

    @property
    def margin(self) -> float:
        return float(self.alpha_lower)

    def loss_at(self, lam):
        """``ℓ(λ)`` from the coefficients (λ scalar or array)."""
        return np.polynomial.polynomial.polyval(np.asarray(lam, dtype=float), self.coefficients)

    def second_derivative(self, lam):
        """``ℓ''(λ) = 2c₂ + 6c₃λ + 12c₄λ²``."""
        c = self.coefficients
        lam = np.asarray(lam, dtype=float)
        return 2 * c[2] + 6 * c[3] * lam + 12 * c[4] * lam * lam

    def check_exact(self, W, H, W_star, H_star, X, mask=None, backend: str = "auto") -> SegmentCheck:
        """:func:`check_segment_certificate` on this certificate."""
        return check_segment_certificate(self, W, H, W_star, H_star, X, mask, backend=backend)

    def to_dict(self) -> dict:
        def f(x):
            x = float(x)
            return x if math.isfinite(x) else None

        return {"coefficients": [float(x) for x in self.coefficients],
                "coefficient_errors": [float(x) for x in self.coefficient_errors],
                "alpha": f(self.alpha), "alpha_lower": f(self.alpha_lower), "alpha_upper": f(self.alpha_upper),
                "error_bound": f(self.error_bound), "argmin": f(self.argmin), "cosine": f(self.cosine),
                "cosine_lower": f(self.cosine_lower), "cosine_upper": f(self.cosine_upper),
                "verdict": self.verdict, "convex": self.convex, "shape": list(self.shape),
                "observed": int(self.observed), "convention": self.convention}

    @classmethod
    def from_dict(cls, d: dict) -> SegmentCertificate:
        """The certificate of :meth:`to_dict` output (``None`` for a non-finite number, as written)."""
        def f(key, default=math.nan):
            v = d.get(key, default)
            return math.nan if v is None else float(v)

        return cls(coefficients=np.array(d["coefficients"], dtype=float),
                   coefficient_errors=np.array(d["coefficient_errors"], dtype=float), alpha=f("alpha"),
                   alpha_lower=f("alpha_lower"), alpha_upper=f("alpha_upper"), argmin=f("argmin"), cosine=f("cosine"),
                   cosine_lower=f("cosine_lower"), cosine_upper=f("cosine_upper"), verdict=str(d["verdict"]),
                   shape=tuple(int(x) for x in d.get("shape") or ()), observed=int(d.get("observed") or 0),
                   convention=str(d.get("convention", "l(W,H) = 1/2 sum over observed (WH - X)_ij^2")))

    def summary(self) -> str:
        return (f"alpha = min_[0,1] l'' = {self.alpha:.6g} in [{self.alpha_lower:.6g}, {self.alpha_upper:.6g}] "
                f"(at lambda = {self.argmin:.4g}); cosine(-grad, segment) = {self.cosine:.4f}; verdict: {self.verdict}")


# ----------------------------------------------------------------------------------------------
# exact rational re-check
# ----------------------------------------------------------------------------------------------


def exact_backend(backend: str = "auto") -> str:
    """``"flint"`` (python-flint ``fmpq``/``fmpq_mat``) when installed, else ``"fractions"``."""
    if backend not in ("auto", "flint", "fractions"):
        raise InputError(f"backend: expected 'auto', 'flint' or 'fractions', got {backend!r}")
    if backend == "fractions":
        return backend
    try:
        _flint()
    except ImportError:  # the loader's ExactUnavailableError is an ImportError
        if backend == "flint":
            raise InputError('backend: python-flint is not installed (pip install "certify[exact]")') from None
        return "fractions"
    return "flint"


class _Exact:
    """Exact arithmetic on object arrays of rationals (flint.fmpq or fractions.Fraction)."""

    def __init__(self, backend):
        self.backend = backend
        if backend == "flint":
            self.flint = _flint()
            self.zero = self.flint.fmpq(0)
        else:
            self.zero = Fraction(0)

    def array(self, A):
        A = np.asarray(A, dtype=float)
        out = np.empty(A.shape, dtype=object)
        flat = out.reshape(-1)
        for i, x in enumerate(A.reshape(-1).tolist()):
            f = Fraction(x)  # exact: every float is a dyadic rational
            flat[i] = self.flint.fmpq(f.numerator, f.denominator) if self.backend == "flint" else f
        return out

    def matmul(self, A, B):
        if self.backend == "flint":
            fm = self.flint.fmpq_mat
            C = fm(A.shape[0], A.shape[1], list(A.reshape(-1))) * fm(B.shape[0], B.shape[1], list(B.reshape(-1)))
            out = np.empty((A.shape[0], B.shape[1]), dtype=object)
            out.reshape(-1)[:] = C.entries()
            return out
        return np.dot(A, B)

    def dot(self, P, Q):
        return sum((p * q for p, q in zip(P.reshape(-1).tolist(), Q.reshape(-1).tolist(), strict=True)), self.zero)

    @staticmethod
    def to_fraction(x) -> Fraction:
        if isinstance(x, Fraction):
            return x
        return Fraction(int(x.p), int(x.q))


@dataclass
class ExactSegment:
    """Exact rational values for a segment: ``coefficients`` ``c₀ … c₄``, ``alpha`` (exact
    minimum of ℓ'' on [0, 1]), ``argmin``, ``slope = ℓ'(0) = c₁``, the squared norms of the
    gradient and of the direction, and the cosine (a float from the exact ``cos²`` and sign)."""

    coefficients: list
    alpha: Fraction
    argmin: Fraction
    gradient_norm2: Fraction
    direction_norm2: Fraction
    cosine: float
    backend: str

    @property
    def convex(self) -> bool:
        return self.alpha >= 0


def _exact_alpha(c2, c3, c4):
    cands = [(2 * c2, Fraction(0)), (2 * c2 + 6 * c3 + 12 * c4, Fraction(1))]
    if c4 > 0:
        lam = -c3 / (4 * c4)
        if 0 < lam < 1:
            cands.append((2 * c2 - 3 * c3 * c3 / (4 * c4), lam))
    return min(cands, key=lambda t: t[0])


def exact_segment(W, H, W_star, H_star, X, mask=None, *, backend: str = "auto",
                  max_entries: int = 200_000) -> ExactSegment:
    """The coefficients, α and cosine of the segment computed in exact rational arithmetic from
    the float inputs taken as exact (for small instances: ``n·m·r ≤ max_entries``)."""
    for name, F in (("W", W), ("H", H), ("W_star", W_star), ("H_star", H_star)):
        if np.ndim(F) != 2:
            raise InputError(f"{name}: expected a matrix (one segment), got shape {np.shape(F)}")
    W, H, Ws, Hs, X, M, _ = prepare_segments(W, H, W_star, H_star, X, mask)
    n, m = X.shape
    r = W.shape[2]
    if n * m * r > max_entries:
        raise InputError(f"the exact re-check is for small instances: n·m·r = {n * m * r} > max_entries = {max_entries}")
    ex = _Exact(exact_backend(backend))
    w, h, ws, hs, x = (ex.array(a) for a in (W[0], H[0], Ws[0], Hs[0], X))
    Mo = M.astype(int).astype(object)  # 0/1 as Python ints: exact
    dW, dH = ws - w, hs - h
    R = (x - ex.matmul(w, h)) * Mo
    A = (ex.matmul(dW, h) + ex.matmul(w, dH)) * Mo
    B = ex.matmul(dW, dH) * Mo
    half = Fraction(1, 2)
    F = ex.to_fraction
    c = [half * F(ex.dot(R, R)), -F(ex.dot(R, A)), half * F(ex.dot(A, A)) - F(ex.dot(R, B)),
         F(ex.dot(A, B)), half * F(ex.dot(B, B))]
    alpha, lam = _exact_alpha(c[2], c[3], c[4])
    gW = ex.matmul(R, h.T.copy())
    gH = ex.matmul(w.T.copy(), R)
    g2 = F(ex.dot(gW, gW)) + F(ex.dot(gH, gH))
    d2 = F(ex.dot(dW, dW)) + F(ex.dot(dH, dH))
    if g2 > 0 and d2 > 0:
        cos2 = c[1] * c[1] / (g2 * d2)
        cos = math.copysign(math.sqrt(float(cos2)), float(-c[1])) if c[1] != 0 else 0.0
    else:
        cos = float("nan")
    return ExactSegment(coefficients=c, alpha=alpha, argmin=lam, gradient_norm2=g2, direction_norm2=d2,
                        cosine=cos, backend=ex.backend)


@dataclass
class SegmentCheck:
    """Outcome of :func:`check_segment_certificate`: ``ok`` and the list of ``failures``."""

    ok: bool
    failures: list = field(default_factory=list)
    exact: ExactSegment | None = None

    def summary(self) -> str:
        if self.ok:
            return f"exact re-check ({self.exact.backend}): VALID (alpha = {float(self.exact.alpha):.6g})"
        return f"exact re-check: INVALID ({'; '.join(self.failures)})"


def check_segment_certificate(cert: SegmentCertificate, W, H, W_star, H_star, X, mask=None, *,
                              backend: str = "auto", max_entries: int = 200_000) -> SegmentCheck:
    """Re-check a :class:`SegmentCertificate` exactly: each exact ``c_k`` within
    ``coefficient_errors`` of the stated one, the exact α in ``[alpha_lower, alpha_upper]`` and
    within ``error_bound`` of ``alpha``, the exact cosine in ``[cosine_lower, cosine_upper]``, and the
    verdict consistent with the sign of the exact α.  Rejects (``ok=False``) otherwise."""
    if not isinstance(cert, SegmentCertificate):
        raise InputError(f"cert: expected a SegmentCertificate, got {type(cert).__name__}")
    ex = exact_segment(W, H, W_star, H_star, X, mask, backend=backend, max_entries=max_entries)
    fails = []
    coeffs = np.asarray(cert.coefficients, dtype=float)
    errs = np.asarray(cert.coefficient_errors, dtype=float)
    if coeffs.shape != (5,) or errs.shape != (5,) or not (np.all(np.isfinite(coeffs)) and np.all(errs >= 0)):
        fails.append("coefficients/coefficient_errors: expected 5 finite values and 5 non-negative bounds")
    else:
        for i in range(5):
            if abs(ex.coefficients[i] - Fraction(float(coeffs[i]))) > Fraction(float(errs[i])):
                fails.append(f"c{i}: exact {float(ex.coefficients[i]):.17g} differs from {coeffs[i]:.17g} "
                             f"by more than the stated bound {errs[i]:.3g}")
    a = ex.alpha
    lo, hi = cert.alpha_lower, cert.alpha_upper
    if not (math.isfinite(lo) and math.isfinite(hi) and Fraction(lo) <= a <= Fraction(hi)):
        fails.append(f"alpha: exact {float(a):.17g} is outside the stated enclosure [{lo:.17g}, {hi:.17g}]")
    if not (math.isfinite(cert.alpha) and abs(Fraction(cert.alpha) - a) <= Fraction(cert.error_bound)):
        fails.append(f"alpha: stated {cert.alpha:.17g} is not within {cert.error_bound:.3g} of the exact {float(a):.17g}")
    if cert.verdict not in VERDICTS:
        fails.append(f"verdict: {cert.verdict!r} is not one of {VERDICTS}")
    elif cert.verdict == "convex" and a < 0:
        fails.append(f"verdict: 'convex' but the exact alpha = {float(a):.6g} < 0")
    elif cert.verdict == "not convex" and a >= 0:
        fails.append(f"verdict: 'not convex' but the exact alpha = {float(a):.6g} >= 0")
    elif cert.verdict == "convex" and not lo >= 0:
        fails.append("verdict: 'convex' without a non-negative lower bound alpha_lower")
    if math.isnan(ex.cosine):
        if not math.isnan(cert.cosine):
            fails.append("cosine: undefined (zero gradient or direction) but a value is stated")
    else:
        tol = 4 * _U * abs(ex.cosine) + 1e-300  # the exact cosine is a float rounding of sqrt(exact cos²)
        clo, chi = cert.cosine_lower, cert.cosine_upper
        if math.isnan(clo) or math.isnan(chi) or not (clo - tol <= ex.cosine <= chi + tol):
            fails.append(f"cosine: exact {ex.cosine:.17g} is outside the stated enclosure [{clo:.17g}, {chi:.17g}]")
        elif math.isnan(cert.cosine) and not (clo <= -1 and chi >= 1):
            fails.append("cosine: no value stated but the enclosure claims information")
        elif not math.isnan(cert.cosine) and not (clo - tol <= cert.cosine <= chi + tol):
            fails.append("cosine: the stated value is outside its own enclosure")
    return SegmentCheck(ok=not fails, failures=fails, exact=ex)


# ----------------------------------------------------------------------------------------------
# the certificate file (kind "nmf/segment-convexity")
# ----------------------------------------------------------------------------------------------

NMF_KIND = "nmf/segment-convexity"
NMF_CONVENTIONS = {
    "loss": "l(W, H) = 1/2 sum over observed (i, j) of ([WH]_ij - X_ij)^2 (SC-NMF eq. (2))",
    "segment": "(W, H) + lambda (W* - W, H* - H), lambda in [0, 1]",
    "quartic": "l(lambda) = c0 + c1 lambda + ... + c4 lambda^4; R0 = M o (X - WH), A = M o (dW H + W dH), "
               "B = M o (dW dH): c0 = |R0|^2/2, c1 = -<R0, A>, c2 = |A|^2/2 - <R0, B>, c3 = <A, B>, c4 = |B|^2/2",
    "curvature": "alpha = min over [0, 1] of l'' = 2 c2 + 6 c3 lambda + 12 c4 lambda^2 (SC-NMF eq. (6)); convex iff alpha >= 0",
    "cosine": "cosine between -grad l(W, H) and (W* - W, H* - H)",
    "mask": "1 = observed; null: every entry observed",
}


@dataclass
class NMFCertificate:
    """An NMF segment certificate as a file: the instance (``X``, ``mask``, the segment's ends
    ``(W, H)`` and ``(W*, H*)``, and optionally the ``model`` it was drawn from, e.g. the planted
    model's settings) and its :class:`SegmentCertificate` (the quartic's coefficients with their
    error bounds, α with its proven enclosure, the cosine, the verdict).  :meth:`verify` recomputes
    every number exactly (:func:`check_segment_certificate`), :meth:`verify_exact` reports each
    claim with its verdict."""

    X: np.ndarray
    mask: np.ndarray | None
    W: np.ndarray
    H: np.ndarray
    W_star: np.ndarray
    H_star: np.ndarray
    segment: SegmentCertificate
    model: dict | None = None
    name: str | None = None
    description: str | None = None
    created: str | None = None
    package_version: str = ""
    verification: dict | None = None
    validations: list = field(default_factory=list)
    exact: dict | None = None

    kind = NMF_KIND

    def __post_init__(self):
        from .._version import __version__  # noqa: PLC0415
        from ..io import utc_now  # noqa: PLC0415

        for name in ("X", "W", "H", "W_star", "H_star"):
            setattr(self, name, np.array(getattr(self, name), dtype=float))
        self.mask = None if self.mask is None else np.array(self.mask, dtype=bool)
        self.created = self.created or utc_now()
        self.package_version = self.package_version or __version__

    @property
    def shape(self) -> tuple:
        return (self.X.shape[0], self.X.shape[1], self.W.shape[1])

    def verify(self, backend: str = "auto"):
        """Recompute the segment's numbers exactly and compare (a
        :class:`~certify.check.kindfile.KindReport`; kept in ``self.verification``)."""
        from .kindfile import KindReport  # noqa: PLC0415

        rep = KindReport()
        try:
            chk = check_segment_certificate(self.segment, self.W, self.H, self.W_star, self.H_star, self.X, self.mask,
                                            backend=backend)
        except InputError as exc:
            rep.check("instance", False, None, str(exc))
            self.verification = rep.to_dict()
            return rep
        n, m, r = self.shape
        obs = int(n * m if self.mask is None else self.mask.sum())
        rep.check("instance", True, [n, m, r], f"X {n} x {m}, rank {r}, {obs} observed entries")
        rep.check("shape_matches", tuple(self.segment.shape) in ((), (n, m, r)) and self.segment.observed in (0, obs),
                  [list(self.segment.shape), self.segment.observed],
                  f"stated shape and observed count are ({n}, {m}, {r}), {obs}")
        rep.check("segment", chk.ok, chk.failures, "coefficients within their bounds, the exact alpha inside "
                  "[alpha_lower, alpha_upper] and within error_bound of alpha, the cosine inside its enclosure, the "
                  "verdict consistent with the sign of the exact alpha (exact rationals, " + chk.exact.backend + ")")
        rep.figures = {"alpha_exact": float(chk.exact.alpha), "argmin_exact": float(chk.exact.argmin),
                       "cosine": chk.exact.cosine, "coefficients_exact": [float(c) for c in chk.exact.coefficients],
                       "verdict": self.segment.verdict}
        self.verification = rep.to_dict()
        return rep

    def verify_exact(self, backend: str = "auto"):
        """Every claim with its verdict (:func:`verify_nmf_exact`); kept in ``self.exact``."""
        rep = verify_nmf_exact(self, backend=backend)
        self.exact = rep.to_dict()
        return rep

    def to_dict(self) -> dict:
        from .kindfile import header  # noqa: PLC0415

        if self.verification is None:
            self.verify()
        n, m, r = self.shape
        return {**header(NMF_KIND, self, NMF_CONVENTIONS),
                "instance": {"n": n, "m": m, "r": r, "X": self.X.tolist(),
                             "mask": None if self.mask is None else self.mask.astype(int).tolist(),
                             "W": self.W.tolist(), "H": self.H.tolist(), "W_star": self.W_star.tolist(),
                             "H_star": self.H_star.tolist(), "model": self.model},
                "segment": self.segment.to_dict(), "verification": self.verification,
                "validations": list(self.validations), "exact": self.exact}

    def save(self, path):
        """Write the certificate as JSON, atomically (verifying it first if not yet verified)."""
        from .kindfile import write  # noqa: PLC0415

        return write(path, self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> NMFCertificate:
        from ..errors import CertificateFormatError  # noqa: PLC0415
        from .kindfile import validate_kind  # noqa: PLC0415

        shapes = validate_kind(d, NMF_KIND)
        inst = d["instance"]
        n, m, r = inst["n"], inst["m"], inst["r"]
        want = {"X": (n, m), "mask": (n, m), "W": (n, r), "H": (r, m), "W_star": (n, r), "H_star": (r, m)}
        for key, shape in want.items():
            got = shapes.get(("instance", key))
            if got is not None and got != shape:
                raise CertificateFormatError(f"certificate: instance.{key}: has shape {got[0]} x {got[1]}, expected "
                                             f"{shape[0]} x {shape[1]} (instance.n = {n}, m = {m}, r = {r})")
        if inst["mask"] is not None and not all(v in (0, 1) for row in inst["mask"] for v in row):
            raise CertificateFormatError("certificate: instance.mask: expected 0/1 entries (1 = observed)")
        pkg = d.get("package") or {}
        try:
            seg = SegmentCertificate.from_dict(d["segment"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CertificateFormatError(f"certificate: segment: malformed ({exc})") from exc
        return cls(X=inst["X"], mask=inst["mask"], W=inst["W"], H=inst["H"], W_star=inst["W_star"], H_star=inst["H_star"],
                   segment=seg, model=inst.get("model"), name=d.get("name"), description=d.get("description"),
                   created=d.get("created"), package_version=str(pkg.get("version", "unknown")),
                   verification=d.get("verification"), validations=list(d.get("validations") or []), exact=d.get("exact"))


def load_nmf(path) -> NMFCertificate:
    """Read an NMF segment certificate file (the hardened JSON reader first)."""
    from .schema import read_json_file  # noqa: PLC0415

    return NMFCertificate.from_dict(read_json_file(path))


def _le_signed_sqrt(x: Fraction, s: int, q: Fraction) -> bool:
    """``x <= s·√q`` exactly (``s`` = ±1, ``q >= 0``)."""
    if s >= 0:
        return x <= 0 or x * x <= q
    return x < 0 and x * x >= q


def _ge_signed_sqrt(y: Fraction, s: int, q: Fraction) -> bool:
    """``s·√q <= y`` exactly."""
    if s >= 0:
        return y >= 0 and q <= y * y
    return y >= 0 or y * y <= q


def _cosine_claim(seg: SegmentCertificate, ex: ExactSegment) -> tuple[str, str]:
    """The cosine ``−c₁/(‖∇ℓ‖ ‖Δ‖) = s √q`` inside ``[cosine_lower, cosine_upper]``, decided exactly
    (``q = c₁²/(g² d²)``, ``s`` the sign of ``−c₁``)."""
    lo, hi = seg.cosine_lower, seg.cosine_upper
    if not (ex.gradient_norm2 > 0 and ex.direction_norm2 > 0):
        return ("proved", "undefined cosine (zero gradient or direction), none stated") if math.isnan(seg.cosine) \
            else ("disproved", "the cosine is undefined (zero gradient or direction) but a value is stated")
    if math.isnan(lo) or math.isnan(hi):
        return "disproved", "no enclosure stated for a defined cosine"
    c1 = ex.coefficients[1]
    q = c1 * c1 / (ex.gradient_norm2 * ex.direction_norm2)
    s = 1 if c1 <= 0 else -1
    inside = _le_signed_sqrt(Fraction(lo), s, q) and _ge_signed_sqrt(Fraction(hi), s, q)
    return ("proved" if inside else "disproved"), f"exact cosine {ex.cosine:.17g} (cos^2 = {float(q):.17g}, exactly compared)"


def _segment_claims(seg: SegmentCertificate, ex: ExactSegment) -> list:
    from .kindfile import claim  # noqa: PLC0415

    out = []
    errs = np.asarray(seg.coefficient_errors, dtype=float)
    for i in range(5):
        c, e = float(seg.coefficients[i]), float(errs[i])
        ok = math.isfinite(c) and e >= 0 and abs(ex.coefficients[i] - Fraction(c)) <= Fraction(e)
        out.append(claim(f"segment.c{i}", f"|c{i} - stated| <= stated error", [c, e], "proved" if ok else "disproved",
                         f"exact c{i} = {float(ex.coefficients[i]):.17g}"))
    a, lo, hi = ex.alpha, seg.alpha_lower, seg.alpha_upper
    ok = math.isfinite(lo) and math.isfinite(hi) and Fraction(lo) <= a <= Fraction(hi)
    out.append(claim("segment.alpha", "alpha = min over [0, 1] of l'' lies in [alpha_lower, alpha_upper]", [lo, hi],
                     "proved" if ok else "disproved", f"exact alpha = {float(a):.17g} (at lambda = {float(ex.argmin):.6g})"))
    eb = seg.error_bound
    ok = math.isfinite(seg.alpha) and math.isfinite(eb) and abs(Fraction(seg.alpha) - a) <= Fraction(eb)
    out.append(claim("segment.alpha_value", "|alpha - exact alpha| <= error_bound", [seg.alpha, eb],
                     "proved" if ok else "disproved", f"exact alpha = {float(a):.17g}"))
    out.append(_verdict_claim(seg, a))
    v, why = _cosine_claim(seg, ex)
    out.append(claim("segment.cosine", "the cosine between -grad l and the segment lies in [cosine_lower, cosine_upper]",
                     [seg.cosine_lower, seg.cosine_upper], v, why))
    out.append(claim("segment.argmin", "where l'' attains alpha", seg.argmin, "not a proof claim",
                     f"informative; exact argmin {float(ex.argmin):.6g}"))
    return out


def _verdict_claim(seg: SegmentCertificate, a: Fraction) -> dict:
    from .kindfile import claim  # noqa: PLC0415

    v = seg.verdict
    if v == "convex":
        ok = a >= 0 and seg.alpha_lower >= 0
        return claim("segment.verdict", "l is convex on the segment (alpha >= 0)", v, "proved" if ok else "disproved",
                     f"exact alpha = {float(a):.6g}" + ("" if seg.alpha_lower >= 0 else "; alpha_lower < 0"))
    if v == "not convex":
        return claim("segment.verdict", "l is not convex on the segment (alpha < 0)", v, "proved" if a < 0 else "disproved",
                     f"exact alpha = {float(a):.6g}")
    if v == "undecided":
        return claim("segment.verdict", "neither convexity nor its failure is claimed", v, "not a proof claim",
                     f"exact alpha = {float(a):.6g}")
    return claim("segment.verdict", "a verdict of " + ", ".join(VERDICTS), v, "disproved", "unknown verdict")


def verify_nmf_exact(cert: NMFCertificate, *, backend: str = "auto"):
    """Every claim of an NMF segment certificate decided in exact rational arithmetic: each
    coefficient within its stated error, α inside its enclosure and within ``error_bound`` of the
    stated value, the verdict, the cosine inside its enclosure (compared through squares, exactly);
    ``argmin`` and the records are "not a proof claim".  The outcome is proved only if every proof
    claim is."""
    import time  # noqa: PLC0415

    from .exact.report import ExactReport  # noqa: PLC0415
    from .kindfile import agree_with_float, combine, records  # noqa: PLC0415

    if not isinstance(cert, NMFCertificate):
        raise InputError(f"cert: expected an NMFCertificate, got {type(cert).__name__}")
    t0 = time.perf_counter()
    float_report = cert.verify(backend=backend)
    try:
        ex = exact_segment(cert.W, cert.H, cert.W_star, cert.H_star, cert.X, cert.mask, backend=backend)
    except InputError as exc:  # not an NMF instance (negative factors, too large): nothing it states holds
        from .kindfile import claim  # noqa: PLC0415

        claims = [claim("instance", "an NMF instance the checker can decide", None, "disproved", str(exc))]
        return ExactReport(outcome="disproved", reason=f"instance disproved: {exc}", claim="nmf-segment-convexity",
                           claims=claims, seconds=time.perf_counter() - t0)
    claims = _segment_claims(cert.segment, ex)
    agree_with_float(claims, float_report)
    claims += records(cert)
    outcome, reason = combine(claims)
    return ExactReport(outcome=outcome, reason=reason, claim="nmf-segment-convexity", claims=claims,
                       seconds=time.perf_counter() - t0,
                       instance={"n": cert.shape[0], "m": cert.shape[1], "r": cert.shape[2], "backend": ex.backend})
