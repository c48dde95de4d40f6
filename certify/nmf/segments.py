"""Convexity certificates for the NMF loss along segments, made in floating point (batched) with a
rigorous bound on the floating-point error — the solver side; the exact re-check, and the
certificate object it checks, are in the kernel, :mod:`certify.check.nmf`.

Source: "Star-Convexity in Non-Negative Matrix Factorization", anonymous ICLR 2020 submission
(**SC-NMF**), §3.1 (ℓ(λ) is a quartic, ℓ'' a quadratic) and eq. (6) (the curvature
``α(x) = min_λ ℓ''(λ x* + (1 − λ) x)``); docs/mathematics.md §3.

Along ``(W, H) + λ(ΔW, ΔH)``, ``ΔW = W* − W``, ``ΔH = H* − H``, ``λ ∈ [0, 1]``, with
``R₀ = M∘(X − WH)``, ``A = M∘(ΔW·H + W·ΔH)``, ``B = M∘(ΔW·ΔH)`` (``M`` the 0/1 mask)::

    ℓ(λ) = ½ ‖R₀ − λA − λ²B‖² = c₀ + c₁λ + c₂λ² + c₃λ³ + c₄λ⁴,
    c₀ = ½‖R₀‖²,  c₁ = −⟨R₀, A⟩,  c₂ = ½‖A‖² − ⟨R₀, B⟩,  c₃ = ⟨A, B⟩,  c₄ = ½‖B‖²

(the ½ convention of SC-NMF eq. (2); docs/mathematics.md §3 states them without the ½).  ``ℓ''(λ) = 2c₂ +
6c₃λ + 12c₄λ²`` is a convex quadratic (``c₄ ≥ 0``), so ``α = min_{[0,1]} ℓ''`` is attained at 0,
1 or the vertex ``−c₃/(4c₄)`` — computed exactly, no grid.  ``α ≥ 0`` ⇔ ℓ is convex on the
segment.  ``ℓ'(0) = c₁ = ⟨∇ℓ(W, H), (ΔW, ΔH)⟩`` gives the cosine between ``−∇ℓ`` and the segment.

Floating-point error (the verdict is a proof up to this bound).  Each ``c_k`` is a polynomial in
the inputs evaluated with matrix products (inner dimension ``r``), entrywise products and sums of
``N = n·m`` terms, so every monomial carries at most ``K = N + 2r + 8`` rounding factors
``(1 + δ)``, ``|δ| ≤ u = 2⁻⁵³``, and (Higham, *Accuracy and Stability of Numerical Algorithms*,
2nd ed., §3.1–3.5, for any summation order, FMA or not)::

    |ĉ_k − c_k| ≤ γ_K · m_k,   γ_K = K u / (1 − K u),

where ``m_k`` is the same formula evaluated on absolute values with every subtraction made an
addition (``|ΔW| → W + W*``, ``|R₀| → X + WH``, …).  ``m_k`` is itself computed in floating point
(all terms non-negative, relative error ≤ γ_K), hence the bound ``e_k = 2 γ_K m̂_k`` plus a term
for gradual underflow (absolute error ≤ 2⁻¹⁰⁷⁵ per product).  Since ``ℓ''(λ)`` is increasing in
``c₂, c₃, c₄`` for ``λ ∈ [0, 1]``, the exact α lies in ``[α(ĉ − e), α(ĉ + e)]`` (with ``c₄ ≥ 0``
used), and ``α(·)`` of given float coefficients is evaluated with error ≤ ``2γ₅(2|a₂| + 6|a₃| +
12|a₄|)``.  The verdict is ``"convex"`` when the lower end is ≥ 0, ``"not convex"`` when the upper
end is < 0, ``"undecided"`` otherwise.  The bound assumes IEEE binary64 arithmetic with round to
nearest and a classical (non-Strassen) matrix product, as NumPy's BLAS does.

:func:`certify.check.nmf.check_segment_certificate` (also ``SegmentCertificate.check_exact``)
recomputes ``c_k``, α and the cosine exactly from the float inputs taken as rationals
(python-flint ``fmpq``/``fmpq_mat`` when installed, else :mod:`fractions`) and rejects a
certificate whose numbers or verdict do not hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..check.nmf import _U, VERDICTS, SegmentCertificate, prepare_segments
from ..errors import InputError

__all__ = [
    "SegmentBatch",
    "segment_certificate",
    "segment_certificates",
    "curvature_min",
]

_ETA = 2.0 ** -1074      # smallest subnormal
_CHUNK_ELEMS = 1_000_000  # n·m·(segments per chunk) kept in memory at once (~8 MB per array)


def _gamma(k):
    k = np.asarray(k, dtype=float)
    ku = k * _U
    if np.any(ku >= 0.01):
        raise InputError("the instance is too large for the a-priori rounding-error bound (n·m·u must be < 0.01)")
    return ku / (1.0 - ku)


def curvature_min(c2, c3, c4):
    """``(α, λ_min, S)``: ``α = min_{λ ∈ [0,1]} 2c₂ + 6c₃λ + 12c₄λ²`` in floating point (arrays
    broadcast; ``c₄ ≥ 0``), the minimizing λ, and ``S = 2|c₂| + 6|c₃| + 12|c₄|``, the scale of the
    evaluation error (``|α̂ − α| ≤ γ₅ S + 12|c₄|u² ≤ 2γ₅ S`` for exact float coefficients)."""
    c2, c3, c4 = (np.asarray(c, dtype=float) for c in (c2, c3, c4))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        lam_v = np.where(c4 > 0, -c3 / (4.0 * c4), 0.0)
    lam_v = np.clip(np.nan_to_num(lam_v, nan=0.0), 0.0, 1.0)
    cands = np.stack([np.zeros_like(lam_v), np.ones_like(lam_v), lam_v])
    q = 2.0 * c2 + cands * (6.0 * c3 + 12.0 * c4 * cands)
    i = np.argmin(q, axis=0)
    alpha = np.take_along_axis(q, i[None], axis=0)[0]
    lam = np.take_along_axis(cands, i[None], axis=0)[0]
    S = 2.0 * np.abs(c2) + 6.0 * np.abs(c3) + 12.0 * np.abs(c4)
    return alpha, lam, S


def _alpha_interval(c, e):
    """Rigorous ``[lo, hi] ∋ α_exact`` from float coefficients ``c`` (k, 5) and bounds ``e``."""
    lo_c = np.where(e == 0, c, np.nextafter(c - e, -np.inf))
    hi_c = np.where(e == 0, c, np.nextafter(c + e, np.inf))
    lo_c[:, 4] = np.maximum(lo_c[:, 4], 0.0)  # the exact c₄ = ½‖B‖² is >= 0
    g5 = float(_gamma(5))
    a_lo, _, S_lo = curvature_min(lo_c[:, 2], lo_c[:, 3], lo_c[:, 4])
    a_hi, _, S_hi = curvature_min(hi_c[:, 2], hi_c[:, 3], hi_c[:, 4])
    err_lo = 2.0 * g5 * S_lo + 8.0 * _ETA
    err_hi = 2.0 * g5 * S_hi + 8.0 * _ETA
    lo = np.where((e[:, 2:] == 0).all(axis=1) & (S_lo == 0), a_lo, np.nextafter(a_lo - err_lo, -np.inf))
    hi = np.where((e[:, 2:] == 0).all(axis=1) & (S_hi == 0), a_hi, np.nextafter(a_hi + err_hi, np.inf))
    return lo, hi


def _sum2(P, Q):
    return np.einsum("kij,kij->k", P, Q)


def _certify_arrays(W, H, Ws, Hs, X, M):
    """Core, batched: float coefficients, a-priori error bounds, norms for the cosine."""
    k, n, r = W.shape
    m = H.shape[2]
    N = n * m
    Mf = M.astype(float)
    out = {key: np.empty(k) for key in ("g2", "d2", "e_g2", "u_g2", "e_d2")}
    c = np.empty((k, 5))
    mags = np.empty((k, 5))
    under = np.empty((k, 5))
    step = max(1, _CHUNK_ELEMS // N)
    for s in range(0, k, step):
        sl = slice(s, s + step)
        w, h, ws, hs = W[sl], H[sl], Ws[sl], Hs[sl]
        dW, dH = ws - w, hs - h
        P = np.matmul(w, h)
        R = (X - P) * Mf
        A = (np.matmul(dW, h) + np.matmul(w, dH)) * Mf
        B = np.matmul(dW, dH) * Mf
        c[sl, 0] = 0.5 * _sum2(R, R)
        c[sl, 1] = -_sum2(R, A)
        c[sl, 2] = 0.5 * _sum2(A, A) - _sum2(R, B)
        c[sl, 3] = _sum2(A, B)
        c[sl, 4] = 0.5 * _sum2(B, B)
        # magnitudes: the same algorithm on absolute values (inputs are non-negative)
        aW, aH = ws + w, hs + h
        mR = (X + P) * Mf
        mA = (np.matmul(aW, h) + np.matmul(w, aH)) * Mf
        mB = np.matmul(aW, aH) * Mf
        mags[sl, 0] = 0.5 * _sum2(mR, mR)
        mags[sl, 1] = _sum2(mR, mA)
        mags[sl, 2] = 0.5 * _sum2(mA, mA) + _sum2(mR, mB)
        mags[sl, 3] = _sum2(mA, mB)
        mags[sl, 4] = 0.5 * _sum2(mB, mB)
        sR, sA, sB = mR.sum(axis=(1, 2)), mA.sum(axis=(1, 2)), mB.sum(axis=(1, 2))
        t = 2.0 * r + 2.0
        under[sl, 0] = t * (2 * sR) + 2 * N
        under[sl, 1] = t * (sR + sA) + 2 * N
        under[sl, 2] = t * (2 * sA + sR + sB) + 4 * N
        under[sl, 3] = t * (sA + sB) + 2 * N
        under[sl, 4] = t * (2 * sB) + 2 * N
        zero_dir = ~(np.any(dW != 0, axis=(1, 2)) | np.any(dH != 0, axis=(1, 2)))
        under[sl][zero_dir, 1:] = 0.0  # ΔW = ΔH = 0: A = B = 0 and c₁..c₄ = 0 with no rounding at all
        mags[sl][zero_dir, 1:] = 0.0
        # cosine: ∇_W ℓ = −R Hᵀ, ∇_H ℓ = −Wᵀ R; the direction (ΔW, ΔH)
        gW = np.matmul(R, np.swapaxes(h, 1, 2))
        gH = np.matmul(np.swapaxes(w, 1, 2), R)
        out["g2"][sl] = _sum2(gW, gW) + _sum2(gH, gH)
        out["d2"][sl] = _sum2(dW, dW) + _sum2(dH, dH)
        mgW = np.matmul(mR, np.swapaxes(h, 1, 2))
        mgH = np.matmul(np.swapaxes(w, 1, 2), mR)
        out["e_g2"][sl] = _sum2(mgW, mgW) + _sum2(mgH, mgH)
        out["u_g2"][sl] = mgW.sum(axis=(1, 2)) + mgH.sum(axis=(1, 2))
        out["e_d2"][sl] = _sum2(aW, aW) + _sum2(aH, aH)
    if not (np.all(np.isfinite(mags)) and np.all(np.isfinite(out["e_g2"]))):
        raise InputError("W, H, W_star, H_star, X: the segment's coefficients overflow; rescale the data and factors")
    K = N + 2 * r + 8
    e = 2.0 * _gamma(K) * mags + 4.0 * _ETA * under + np.where(under > 0, 4.0 * _ETA, 0.0)
    Kg = 2 * (r + 3 + max(n, m)) + n * r + r * m + 2
    nf = n * r + r * m
    e_g2 = (2.0 * _gamma(Kg) * out["e_g2"]
            + 4.0 * _ETA * (2.0 * (2 * r + 2 + max(n, m)) * out["u_g2"] + 2 * nf) + 4.0 * _ETA)
    e_d2 = 2.0 * _gamma(nf + 2) * out["e_d2"] + 4.0 * _ETA * nf
    return c, e, out["g2"], out["d2"], e_g2, e_d2


def _cosine_interval(c1, e1, g2, d2, e_g2, e_d2):
    """``cos = −c₁ / (‖∇ℓ‖ ‖Δ‖)`` (nan where the computed gradient or direction is zero) and a
    rigorous enclosure of the exact cosine (``[-1, 1]`` where the enclosure of a norm contains 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        den = np.sqrt(g2) * np.sqrt(d2)
        cos = np.where(den > 0, -c1 / den, np.nan)
        den_lo = np.sqrt(np.maximum(g2 - e_g2, 0.0)) * np.sqrt(np.maximum(d2 - e_d2, 0.0)) * (1 - 8 * _U)
        den_hi = np.sqrt(g2 + e_g2) * np.sqrt(d2 + e_d2) * (1 + 8 * _U)
        num_lo = np.where(-c1 - e1 >= 0, (-c1 - e1) * (1 - 2 * _U), (-c1 - e1) * (1 + 2 * _U))
        num_hi = np.where(-c1 + e1 >= 0, (-c1 + e1) * (1 + 2 * _U), (-c1 + e1) * (1 - 2 * _U))
        lo = np.where(num_lo >= 0, num_lo / den_hi, num_lo / den_lo) * (1 + np.sign(-num_lo) * 2 * _U)
        hi = np.where(num_hi >= 0, num_hi / den_lo, num_hi / den_hi) * (1 + np.sign(num_hi) * 2 * _U)
    ok = (den > 0) & (den_lo > 0)
    # where a norm may be zero (or underflowed), nothing is claimed: the enclosure is [-1, 1]
    lo = np.where(ok, np.maximum(lo, -1.0), -1.0)
    hi = np.where(ok, np.minimum(hi, 1.0), 1.0)
    return cos, lo, hi


def _verdicts(lo, hi):
    return np.where(lo >= 0, "convex", np.where(hi < 0, "not convex", "undecided"))


@dataclass
class SegmentBatch:
    """Certificates of ``k`` segments as arrays (the fields of :class:`SegmentCertificate` with a
    leading axis); ``batch[i]`` is the i-th :class:`SegmentCertificate`."""

    coefficients: np.ndarray
    coefficient_errors: np.ndarray
    alpha: np.ndarray
    alpha_lower: np.ndarray
    alpha_upper: np.ndarray
    argmin: np.ndarray
    cosine: np.ndarray
    cosine_lower: np.ndarray
    cosine_upper: np.ndarray
    verdict: np.ndarray
    shape: tuple = ()
    observed: int = 0

    def __len__(self) -> int:
        return len(self.alpha)

    def __getitem__(self, i) -> SegmentCertificate:
        return SegmentCertificate(
            coefficients=self.coefficients[i].copy(), coefficient_errors=self.coefficient_errors[i].copy(),
            alpha=float(self.alpha[i]), alpha_lower=float(self.alpha_lower[i]), alpha_upper=float(self.alpha_upper[i]),
            argmin=float(self.argmin[i]), cosine=float(self.cosine[i]), cosine_lower=float(self.cosine_lower[i]),
            cosine_upper=float(self.cosine_upper[i]), verdict=str(self.verdict[i]), shape=self.shape,
            observed=self.observed)

    @property
    def convex(self) -> np.ndarray:
        return self.verdict == "convex"

    @property
    def error_bound(self) -> np.ndarray:
        return np.maximum(self.alpha - self.alpha_lower, self.alpha_upper - self.alpha)

    def counts(self) -> dict:
        return {v: int(np.sum(self.verdict == v)) for v in VERDICTS}

    def loss_at(self, lam):
        """``ℓ_i(λ)`` for every segment: shape ``(k,) + shape(λ)``."""
        lam = np.asarray(lam, dtype=float)
        return np.polynomial.polynomial.polyval(lam, self.coefficients.T, tensor=True)


def segment_certificates(W, H, W_star, H_star, X, mask=None) -> SegmentBatch:
    """Certificates for a batch of segments ``(W_i, H_i) → (W*_i, H*_i)``: ``W`` of shape
    ``(k, n, r)`` or ``(n, r)`` (broadcast), likewise ``H``, ``W_star``, ``H_star``.  Vectorized
    over segments (chunked to bound memory).  All factors and the observed data must be ≥ 0."""
    W, H, Ws, Hs, X, M, obs = prepare_segments(W, H, W_star, H_star, X, mask)
    c, e, g2, d2, e_g2, e_d2 = _certify_arrays(W, H, Ws, Hs, X, M)
    alpha, lam, _ = curvature_min(c[:, 2], c[:, 3], c[:, 4])
    lo, hi = _alpha_interval(c, e)
    cos, clo, chi = _cosine_interval(c[:, 1], e[:, 1], g2, d2, e_g2, e_d2)
    return SegmentBatch(coefficients=c, coefficient_errors=e, alpha=alpha, alpha_lower=lo, alpha_upper=hi,
                        argmin=lam, cosine=cos, cosine_lower=clo, cosine_upper=chi, verdict=_verdicts(lo, hi),
                        shape=(X.shape[0], X.shape[1], W.shape[2]), observed=obs)


def segment_certificate(W, H, W_star, H_star, X, mask=None) -> SegmentCertificate:
    """Certificate of convexity of ``ℓ(λ) = ½ Σ_Ω ([W(λ)H(λ)]_ij − X_ij)²`` on the segment
    ``(W, H) → (W*, H*)`` (one segment: 2-D factors).  See the module docstring for the formulas
    (SC-NMF §3.1, eq. (6)) and the error bound."""
    for name, F in (("W", W), ("H", H), ("W_star", W_star), ("H_star", H_star)):
        if np.ndim(F) != 2:
            raise InputError(f"{name}: expected a matrix (use segment_certificates for batches), got shape {np.shape(F)}")
    return segment_certificates(W, H, W_star, H_star, X, mask)[0]
