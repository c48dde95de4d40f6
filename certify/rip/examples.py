"""Published counterexamples, built from their published formulas (not from an SDP).

* :func:`zhang2018` — the 2x2 operator of Zhang, Josz, Sojoudi, Lavaei (NeurIPS 2018), quoted in
  JMLR19 p. 16: ``x̂ = (0, 1/√2)``, ``ẑ = (1, 0)``, 1/2-RIP, ``f(x̂) = 3/4``, ``∇²f(x̂) = diag(0, 4)``.
* :func:`example1` — JMLR19 Example 1: its lift to any ``n`` and any ground truth ``z``.
"""

from __future__ import annotations

import numpy as np

from ..check.operators import DENSE_LIMIT, ExplicitOperator
from ..errors import InputError

__all__ = ["zhang2018_matrices", "zhang2018", "example1_matrices", "example1"]

PUBLISHED = {
    "zhang2018": {"delta": 0.5, "f": 0.75, "hessian": [[0.0, 0.0], [0.0, 4.0]]},
}


def _vector(z) -> np.ndarray:
    """A finite nonzero ground truth ``z`` with ``2 <= n <= DENSE_LIMIT`` entries (checked before
    any ``n^4``-sized allocation)."""
    if isinstance(z, (str, bytes)):
        raise InputError(f"z: expected a real vector, got {z!r} (str)")
    try:
        v = np.asarray(z, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"z: expected a real vector, got {type(z).__name__}") from exc
    if v.ndim == 2 and 1 in v.shape:
        v = v.reshape(-1)
    if v.ndim != 1 or v.size < 2:
        raise InputError(f"z: expected a vector with n >= 2 entries, got shape {v.shape}")
    if v.size > DENSE_LIMIT:
        raise InputError(
            f"z: Example 1 has n^2 dense n x n measurement matrices (n^4 = {float(v.size) ** 4:.1e} numbers, "
            f"{8 * float(v.size) ** 4 / 2**30:.1f} GiB for n = {v.size}); accepted n <= DENSE_LIMIT = {DENSE_LIMIT}"
        )
    if not np.all(np.isfinite(v)) or not np.any(v):
        raise InputError("z: expected a finite nonzero vector (NaN, infinite or all-zero entries given)")
    return v


def zhang2018_matrices() -> np.ndarray:
    """The four published measurement matrices ``Â_1..Â_4`` (shape ``(4, 2, 2)``)."""
    s3 = np.sqrt(3.0) / 2.0
    r2 = 1.0 / np.sqrt(2.0)
    return np.array(
        [
            [[1.0, 0.0], [0.0, 0.5]],
            [[0.0, s3], [s3, 0.0]],
            [[0.0, -r2], [r2, 0.0]],
            [[0.0, 0.0], [0.0, s3]],
        ]
    )


def zhang2018():
    """``(operator, x̂, ẑ)`` of the published 2x2 example."""
    return ExplicitOperator(zhang2018_matrices()), np.array([0.0, 1.0 / np.sqrt(2.0)]), np.array([1.0, 0.0])


def example1_matrices(z) -> np.ndarray:
    """The ``n^2`` matrices of JMLR19 Example 1 for the ground truth ``z ∈ R^n``
    (``2 <= n <= DENSE_LIMIT = 64``: the ``n^2`` dense ``n x n`` matrices hold ``n^4`` numbers; for
    larger ``n`` lift the 2x2 example with :class:`~certify.operators.CompactOperator`)."""
    z = _vector(z)
    n = z.size
    # orthonormal u_1 = z/||z||, u_2, ..., u_n (deterministic completion)
    Q, _ = np.linalg.qr(np.column_stack([z / np.linalg.norm(z), np.eye(n)]))
    U = Q[:, :n] * np.sign(Q[:, 0] @ z)
    u = [U[:, i] for i in range(n)]
    s3 = np.sqrt(3.0) / 2.0
    A = np.zeros((n * n, n, n))
    for j in range(n):
        for i in range(n):
            A[i + n * j] = np.outer(u[i], u[j])
    A[0] = np.outer(u[0], u[0]) + 0.5 * np.outer(u[1], u[1])
    A[1] = s3 * (np.outer(u[0], u[1]) + np.outer(u[1], u[0]))
    A[n] = (np.outer(u[0], u[1]) - np.outer(u[1], u[0])) / np.sqrt(2.0)
    A[n + 1] = s3 * np.outer(u[1], u[1])
    return A


def example1(z):
    """``(operator, x, z)`` of JMLR19 Example 1: ``x = (||z|| / √2) u_2`` (``2 <= n <= 64``)."""
    z = _vector(z)
    A = example1_matrices(z)
    n = z.size
    # u_2 is recovered from A_{n+2} = (√3/2) u_2 u_2^T
    lam, V = np.linalg.eigh(A[n + 1])
    u2 = V[:, -1]
    return ExplicitOperator(A), (np.linalg.norm(z) / np.sqrt(2.0)) * u2, z
