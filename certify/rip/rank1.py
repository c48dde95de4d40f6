"""The rank-1 (ρ, φ) grid of the 2×2 problem, written once: the points
``x = ρ (cos φ, sin φ)`` against a rank-1 ground truth ``z`` (default ``e_1``), each marked when it
is the ground truth itself (``x xᵀ = z zᵀ``).

Used by :func:`certify.rip.saddle_map` and by the ``rank1-grid`` and ``curvature-map`` sweep kinds
of :mod:`certify.sweep`, so the map and the sweeps solve at the very same points.  NumPy only.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

__all__ = ["E1", "GROUND_TRUTH_RTOL", "rank1_point", "rank1_grid"]

#: the default ground truth ``z = (1, 0)``
E1 = (1.0, 0.0)
#: ``x`` is the ground truth when ``||x xᵀ - z zᵀ||_F <= GROUND_TRUTH_RTOL · ||z||²``
GROUND_TRUTH_RTOL = 1e-9


def rank1_point(rho: float, phi: float, z=E1) -> tuple[np.ndarray, bool]:
    """``(x, ground)``: ``x = ρ (cos φ, sin φ)`` (φ in radians) and whether ``x xᵀ = z zᵀ`` (to
    :data:`GROUND_TRUTH_RTOL` relative to ``||z||²``).  Arguments unchecked (``z`` a length-2 vector)."""
    z = np.asarray(z, dtype=float)
    x = rho * np.array([math.cos(phi), math.sin(phi)])
    ground = np.linalg.norm(np.outer(x, x) - np.outer(z, z)) <= GROUND_TRUTH_RTOL * float(z @ z)
    return x, bool(ground)


def rank1_grid(rhos, phis, z=E1) -> Iterator[tuple[int, int, np.ndarray, bool]]:
    """``(i, j, x, ground)`` for every point of the grid ``rhos × phis`` (φ in radians), row by row
    (point ``(i, j)`` is number ``i · len(phis) + j``, as in a sweep's grid); see :func:`rank1_point`."""
    for i, rho in enumerate(rhos):
        for j, phi in enumerate(phis):
            x, ground = rank1_point(rho, phi, z)
            yield i, j, x, ground
