"""Bounds on the NIMC curvature and their check: ``λ_min``, the condition numbers of ZJSD18
Definition 3.1, the bound of Theorem D.5, and a checker of a claimed lower bound ``λ_min(H) >= b``
against the spectrum computed here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .model import _as_factor, free_indices

__all__ = [
    "lambda_min",
    "condition_numbers",
    "theorem_d5_bound",
    "CurvatureCheck",
    "check_curvature_bound",
]


def lambda_min(H, *, d: int | None = None, k: int | None = None, fix_first_row: bool = False) -> float:
    """Smallest eigenvalue of a symmetric ``H`` (optionally restricted to :func:`free_indices`)."""
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or not np.all(np.isfinite(H)):
        raise InputError(f"H: expected a finite square matrix, got shape {H.shape}")
    if fix_first_row:
        if d is None or k is None or H.shape[0] != 2 * d * k:
            raise InputError("fix_first_row: give d and k with H of shape (2dk, 2dk)")
        idx = free_indices(d, k, True)
        H = H[np.ix_(idx, idx)]
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[0])


def condition_numbers(M) -> tuple[float, float, float]:
    """``(λ(M), κ(M), σ_k(M))`` of Definition 3.1 (ZJSD18): ``λ = σ₁^k / Π σ_i``, ``κ = σ₁/σ_k``."""
    M = _as_factor(M, "M")
    if M.ndim != 2:
        raise InputError(f"M: expected shape (d, k), got {M.shape}")
    s = np.linalg.svd(M, compute_uv=False)
    if s[-1] <= 0:
        raise InputError("M: not of full column rank")
    k = s.size
    lam = float(np.exp(k * np.log(s[0]) - np.sum(np.log(s))))
    return lam, float(s[0] / s[-1]), float(s[-1])


def theorem_d5_bound(U_star, V_star, rho: float, *, tol: float = 1e-8) -> float:
    """``ρ / (λ(U*) λ(V*) max{κ(U*), κ(V*)})``, the lower bound on ``λ_min(H*)`` of ZJSD18
    Theorem D.5 (stated for ``σ_k(U*) = σ_k(V*) = 1`` and ``β₁₁ = 0``).  ``rho`` a float or an
    :class:`~certify.nimc.constants.Enclosure` (its ``hi`` is used: the bound is then an upper
    estimate of what the theorem gives, i.e. the comparison ``λ_min >= bound`` is the harder one)."""
    r = float(getattr(rho, "hi", rho))
    lu, ku, su = condition_numbers(U_star)
    lv, kv, sv = condition_numbers(V_star)
    if abs(su - 1) > tol or abs(sv - 1) > tol:
        raise InputError(f"U_star, V_star: Theorem D.5 assumes sigma_k = 1, got {su:.6g} and {sv:.6g} "
                         "(divide each factor by its smallest singular value, e.g. random_truth does)")
    return r / (lu * lv * max(ku, kv))


@dataclass
class CurvatureCheck:
    """Outcome of :func:`check_curvature_bound`.

    ``status``: ``"certified"`` (``lam_min − error >= bound``: the bound holds with room),
    ``"tight"`` (``|lam_min − bound| <= error``: consistent, equality within the error — e.g. Lemma
    C.1 is attained for tanh and, for k >= 3, sigmoid) or ``"rejected"`` (``lam_min + error < bound``:
    the spectrum contradicts the claimed bound).  ``ok`` is False only for ``"rejected"``."""

    ok: bool
    status: str
    lam_min: float
    bound: float
    error: float
    gap: float
    message: str


def check_curvature_bound(H, bound, *, error: float | None = None, d: int | None = None, k: int | None = None,
                          fix_first_row: bool = False) -> CurvatureCheck:
    """Check a claimed lower bound ``λ_min(H) >= bound`` (e.g. ``ρ`` of Lemma C.1 or the bound of
    Theorem D.5) against the eigenvalues of ``H`` computed here, independently of how the bound was
    obtained.  ``bound`` may be a float or an Enclosure (its ``hi``: the check must hold for every
    value in the enclosure).  ``error`` bounds the error of ``H`` itself in spectral norm
    (quadrature or Monte Carlo radius; by Weyl it moves ``λ_min`` by at most that much); the
    rounding error of ``eigvalsh`` is added.  A value the computed spectrum contradicts is rejected."""
    b = float(getattr(bound, "hi", bound))
    if not np.isfinite(b):
        raise InputError(f"bound: expected a finite number, got {bound!r}")
    lam = lambda_min(H, d=d, k=k, fix_first_row=fix_first_row)
    Hn = np.asarray(H, dtype=float)
    rounding = 16 * Hn.shape[0] * np.finfo(float).eps * float(np.linalg.norm(Hn, 2))
    if error is not None and not (np.isfinite(error) and error >= 0):
        raise InputError(f"error: expected a non-negative number, got {error!r}")
    err = rounding + (0.0 if error is None else float(error))
    if lam - err >= b:
        status, msg = "certified", f"lambda_min = {lam:.9g} >= bound {b:.9g} (gap {lam - b:.3g}, error <= {err:.2g})"
    elif lam + err >= b:
        status, msg = "tight", (f"lambda_min = {lam:.9g} equals the bound {b:.9g} within the error {err:.2g} "
                                f"(gap {lam - b:.3g})")
    else:
        status, msg = "rejected", f"REJECTED: lambda_min = {lam:.9g} < bound {b:.9g} (violated by {b - lam:.3g})"
    return CurvatureCheck(ok=status != "rejected", status=status, lam_min=lam, bound=b, error=err, gap=lam - b,
                          message=msg)
