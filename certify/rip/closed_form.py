"""Closed-form lower bound on ``δ(x, z)`` for rank 1 (JMLR19 Theorem 12, eqs. 30-32).

Numerics.  The bound depends only on the scale-invariant ``ρ = ||x|| / ||z||`` and ``φ``; both are
computed on the instance normalized by a power of two (:func:`certify.linalg.normalize_pair`), so
inputs scaled by ``1e±300`` give the same value, and the angle comes from
``2 atan2(||u - w||, ||u + w||)`` (unit vectors ``u, w``), accurate for every angle (``arccos`` of
the cosine loses all digits below about ``1e-8``).  ``D = ||xx^T - zz^T|| / ||zz^T||`` is taken
from the same normalization (no cancellation near ``x = ±z``), and ``ρ > 1`` is handled through
``1/ρ²``, so ``ρ`` beyond ``1e154`` (``ρ²`` would overflow) gives the limit value 1.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..linalg import GLOBAL_MIN_RTOL, Pair, as_real_array, normalize_pair

__all__ = ["closed_form_lower_bound", "closed_form_lower_bound_polar", "polar_coordinates", "closed_form_from_pair"]


def _as_vectors(x, z) -> tuple[np.ndarray, np.ndarray]:
    x = as_real_array(x, "x").reshape(-1)
    z = as_real_array(z, "z").reshape(-1)
    if x.shape != z.shape or x.size == 0:
        raise InputError(f"x, z: expected two non-empty vectors of the same length, got {x.shape} and {z.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(z))):
        raise InputError("x, z: contain NaN or infinite entries")
    if not np.any(z != 0.0):
        raise InputError("z: the ground truth is zero")
    return x, z


def polar_coordinates(x, z) -> tuple[float, float]:
    """Length ratio ``ρ = ||x|| / ||z||`` and incidence angle ``φ = arccos(x^T z / (||x|| ||z||))``
    (JMLR19 eq. 30), in radians; ``φ`` is ``π/2`` by convention when ``x = 0``.

    Computed on the normalized instance: ``φ`` is accurate to a few ulps at every angle (also
    ``1e-12``), ``ρ`` is ``inf`` only when the ratio exceeds the double range.  Complex input is
    refused."""
    x, z = _as_vectors(x, z)
    p = normalize_pair(x, z)
    if p.angle is None:
        return 0.0, float(np.pi / 2)
    return float(p.rho), float(p.angle)


def _bound(rho, s2, D=None):
    """``δ_lb`` from ``ρ >= 0`` (may be ``inf``), ``sin² φ`` and optionally ``D`` (arrays)."""
    rho = np.asarray(rho, dtype=float)
    s2 = np.asarray(s2, dtype=float)
    big = rho > 1.0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # rho <= 1: D = sqrt(((rho - 1)(rho + 1))^2 + 2 rho^2 s2), alpha = s2 / D, beta = rho^2 / D
        rs = np.where(big, 0.0, rho)
        D_small = np.sqrt(((rs - 1.0) * (rs + 1.0)) ** 2 + 2.0 * rs**2 * s2) if D is None else np.asarray(D, dtype=float)
        # rho > 1: with u = 1/rho^2, D = rho^2 D', D' = sqrt((1 - u)^2 + 2 u s2): alpha = s2 u / D', beta = 1 / D'
        u = np.where(big, 1.0 / np.where(big, rho, 1.0) ** 2, 1.0)
        Dp = np.sqrt(((1.0 - u) ** 2) + 2.0 * u * s2)
        if np.any(np.where(big, Dp, D_small) == 0.0):
            raise InputError("rho, phi: rho = 1 with sin(phi) = 0 means x x^T = z z^T, which has no spurious point")
        alpha = np.where(big, s2 * u / Dp, s2 / D_small)
        beta = np.where(big, 1.0 / Dp, rs**2 / D_small)
        root = np.sqrt(np.clip(1.0 - alpha**2, 0.0, None))
        case31 = beta >= alpha / (1.0 + root)
        v32 = (1.0 - 2.0 * alpha * beta + beta**2) / (1.0 - beta**2)
    out = np.where(case31, root, v32)
    return float(out) if out.ndim == 0 else out


def closed_form_lower_bound_polar(rho, phi):
    """``δ_lb(ρ, φ)`` of JMLR19 Theorem 12 (vectorized over arrays ``rho``, ``phi`` in radians)::

        D = sqrt((ρ² - 1)² + 2 ρ² sin² φ),  α = sin² φ / D,  β = ρ² / D,
        δ_lb = sqrt(1 - α²)                      if β >= α / (1 + sqrt(1 - α²))   (31)
        δ_lb = (1 - 2αβ + β²) / (1 - β²)         otherwise                        (32)

    ``D = 0`` means ``x x^T = z z^T`` (no spurious point): raises :class:`InputError`.  ``rho``,
    ``phi``: finite real numbers (arrays of them), ``rho >= 0``; complex input is refused.
    """
    rho = as_real_array(rho, "rho")
    phi = as_real_array(phi, "phi")
    if np.any(rho < 0) or not (np.all(np.isfinite(rho)) and np.all(np.isfinite(phi))):
        raise InputError("rho, phi: expected finite values with rho >= 0")
    return _bound(rho, np.sin(phi) ** 2)


def closed_form_from_pair(pair: Pair) -> float:
    """``δ_lb`` for a rank-1 :class:`~certify.linalg.Pair` (its stable ``ρ``, ``sin φ`` and
    ``D = rel_distance``); ``x = 0`` gives 1 (``φ = π/2``, ``ρ = 0``).  A global minimizer
    (``||xx^T - zz^T|| <= GLOBAL_MIN_RTOL ||zz^T||``) is refused with :class:`InputError`."""
    if not pair.rank_one:
        raise InputError(f"x, z: the closed form is for rank 1 (vectors), got shapes {pair.X.shape} and {pair.Z.shape}")
    if pair.global_minimizer:
        raise InputError(
            f"x, z: x x^T = z z^T (relative distance {pair.rel_distance:.2e} <= {GLOBAL_MIN_RTOL:g}), "
            "which has no spurious point"
        )
    if pair.sin_angle is None:  # x = 0
        return _bound(0.0, 1.0)
    rho, s = pair.rho, pair.sin_angle
    if rho > 1.0 or not math.isfinite(pair.rel_distance):
        return _bound(rho, s * s)
    return _bound(rho, s * s, D=pair.rel_distance)


def closed_form_lower_bound(x, z) -> float:
    """``δ_lb(x, z) <= δ(x, z)`` for rank-1 ``x, z ∈ R^n`` (JMLR19 Theorem 12); ``(n, 1)`` arrays
    count as vectors.  Scale-invariant and computed on the normalized instance (see the module
    docstring); complex input is refused."""
    xa = as_real_array(x, "x")
    za = as_real_array(z, "z")
    if xa.ndim == 2 and xa.shape[1] == 1:
        xa = xa[:, 0]
    if za.ndim == 2 and za.shape[1] == 1:
        za = za[:, 0]
    if xa.ndim != 1 or za.ndim != 1:
        raise InputError(f"x, z: the closed form is for rank 1 (vectors), got shapes {xa.shape} and {za.shape}")
    xa, za = _as_vectors(xa, za)
    return closed_form_from_pair(normalize_pair(xa, za))
