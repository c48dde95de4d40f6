"""Closed-form lower bound on ``δ(x, z)`` for rank 1 (JMLR19 Theorem 12, eqs. 30-32)."""

from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["closed_form_lower_bound", "closed_form_lower_bound_polar", "polar_coordinates"]


def polar_coordinates(x, z) -> tuple[float, float]:
    """Length ratio ``ρ = ||x|| / ||z||`` and incidence angle ``φ = arccos(x^T z / (||x|| ||z||))``
    (JMLR19 eq. 30), in radians; ``φ`` is ``π/2`` by convention when ``x = 0``."""
    x = np.asarray(x, dtype=float).reshape(-1)
    z = np.asarray(z, dtype=float).reshape(-1)
    if x.shape != z.shape or x.size == 0:
        raise InputError(f"x, z: expected two non-empty vectors of the same length, got {x.shape} and {z.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(z))):
        raise InputError("x, z: contain NaN or infinite entries")
    nz = float(np.linalg.norm(z))
    if nz == 0.0:
        raise InputError("z: the ground truth is zero")
    nx = float(np.linalg.norm(x))
    if nx == 0.0:
        return 0.0, float(np.pi / 2)
    c = float(np.clip(x @ z / (nx * nz), -1.0, 1.0))
    return nx / nz, float(np.arccos(c))


def closed_form_lower_bound_polar(rho, phi):
    """``δ_lb(ρ, φ)`` of JMLR19 Theorem 12 (vectorized over arrays ``rho``, ``phi`` in radians)::

        D = sqrt((ρ² - 1)² + 2 ρ² sin² φ),  α = sin² φ / D,  β = ρ² / D,
        δ_lb = sqrt(1 - α²)                      if β >= α / (1 + sqrt(1 - α²))   (31)
        δ_lb = (1 - 2αβ + β²) / (1 - β²)         otherwise                        (32)

    ``D = 0`` means ``x x^T = z z^T`` (no spurious point): raises :class:`InputError`.
    """
    rho = np.asarray(rho, dtype=float)
    phi = np.asarray(phi, dtype=float)
    if np.any(rho < 0) or not (np.all(np.isfinite(rho)) and np.all(np.isfinite(phi))):
        raise InputError("rho, phi: expected finite values with rho >= 0")
    s2 = np.sin(phi) ** 2
    D = np.sqrt((rho**2 - 1.0) ** 2 + 2.0 * rho**2 * s2)
    if np.any(D == 0.0):
        raise InputError("rho, phi: rho = 1 with sin(phi) = 0 means x x^T = z z^T, which has no spurious point")
    alpha = s2 / D
    beta = rho**2 / D
    root = np.sqrt(np.clip(1.0 - alpha**2, 0.0, None))
    case31 = beta >= alpha / (1.0 + root)
    with np.errstate(divide="ignore", invalid="ignore"):
        v32 = (1.0 - 2.0 * alpha * beta + beta**2) / (1.0 - beta**2)
    out = np.where(case31, root, v32)
    return float(out) if out.ndim == 0 else out


def closed_form_lower_bound(x, z) -> float:
    """``δ_lb(x, z) <= δ(x, z)`` for rank-1 ``x, z ∈ R^n`` (JMLR19 Theorem 12)."""
    x = np.asarray(x, dtype=float)
    z = np.asarray(z, dtype=float)
    if x.ndim == 2 and x.shape[1] == 1:
        x = x[:, 0]
    if z.ndim == 2 and z.shape[1] == 1:
        z = z[:, 0]
    if x.ndim != 1 or z.ndim != 1:
        raise InputError(f"x, z: the closed form is for rank 1 (vectors), got shapes {x.shape} and {z.shape}")
    rho, phi = polar_coordinates(x, z)
    return closed_form_lower_bound_polar(rho, phi)
