"""Small dense linear-algebra helpers shared by the SDPs, the operators and the checkers.

Conventions (``../shared/REFERENCE.md`` notation):

* ``vec`` stacks columns (Fortran order); ``mat`` is its inverse.
* ``svec`` is the isometric coordinate map of symmetric matrices: diagonal entries as they are,
  each off-diagonal pair ``(i, j), i < j`` as ``sqrt(2) * M[i, j]``.  The columns of
  :func:`sym_basis` are ``vec`` of the corresponding orthonormal basis matrices, so
  ``vec(M) = Q @ svec(M)`` and ``svec(M) = Q.T @ vec(M)`` for symmetric ``M``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .errors import InputError

__all__ = [
    "vec",
    "mat",
    "sym",
    "sym_basis",
    "svec",
    "smat",
    "orth",
    "jacobian",
    "rotation_basis",
    "rotation_complement",
    "as_factor",
]


def vec(M: np.ndarray) -> np.ndarray:
    """Stack the columns of ``M`` (column-major vectorization)."""
    return np.asarray(M).reshape(-1, order="F")


def mat(v: np.ndarray, n: int | None = None) -> np.ndarray:
    """Inverse of :func:`vec` for a square ``n x n`` matrix."""
    v = np.asarray(v)
    if n is None:
        n = int(round(np.sqrt(v.size)))
    return v.reshape(n, -1, order="F")


def sym(M: np.ndarray) -> np.ndarray:
    """Symmetric part ``(M + M.T) / 2``."""
    return 0.5 * (M + M.T)


@lru_cache(maxsize=64)
def _sym_basis_cached(n: int) -> np.ndarray:
    s = n * (n + 1) // 2
    Q = np.zeros((n * n, s))
    k = 0
    r2 = np.sqrt(0.5)
    for j in range(n):
        for i in range(j + 1):
            if i == j:
                Q[i + n * j, k] = 1.0
            else:
                Q[i + n * j, k] = r2
                Q[j + n * i, k] = r2
            k += 1
    Q.setflags(write=False)
    return Q


def sym_basis(n: int) -> np.ndarray:
    """Orthonormal basis ``Q`` (``n^2 x n(n+1)/2``) of vectorized symmetric ``n x n`` matrices."""
    return _sym_basis_cached(int(n))


def svec(M: np.ndarray) -> np.ndarray:
    """Isometric coordinates of the symmetric part of ``M``."""
    M = np.asarray(M, dtype=float)
    return sym_basis(M.shape[0]).T @ vec(sym(M))


def smat(v: np.ndarray) -> np.ndarray:
    """Inverse of :func:`svec`."""
    v = np.asarray(v, dtype=float)
    n = int(round((np.sqrt(8 * v.size + 1) - 1) / 2))
    return mat(sym_basis(n) @ v, n)


def orth(M: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis of the column space of ``M`` (SVD with a relative rank tolerance)."""
    M = np.asarray(M, dtype=float)
    if M.size == 0:
        return np.zeros((M.shape[0], 0))
    U, s, _ = np.linalg.svd(M, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return np.zeros((M.shape[0], 0))
    rank = int(np.sum(s > rtol * s[0]))
    return U[:, :rank]


def jacobian(X: np.ndarray) -> np.ndarray:
    """The Jacobian ``𝐗`` (``n^2 x nr``) of ``X -> vec(X X^T)``: ``𝐗 vec(U) = vec(X U^T + U X^T)``."""
    X = np.asarray(X, dtype=float)
    n, r = X.shape
    J = np.zeros((n * n, n * r))
    for k in range(r):
        x = X[:, k]
        for a in range(n):
            col = a + n * k
            # U = e_a e_k^T  ->  X U^T = x e_a^T (column a is x), U X^T = e_a x^T (row a is x)
            D = np.zeros((n, n))
            D[:, a] += x
            D[a, :] += x
            J[:, col] = vec(D)
    return J


def rotation_basis(X: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis (columns, in ``vec`` coordinates of ``R^{n x r}``) of ``{X Ω : Ω = -Ω^T}``.

    These are the directions along which ``f(X R)`` is constant for orthogonal ``R``; at a critical
    point they lie in the null space of the Hessian (REFERENCE §1).  Empty for ``r = 1``.
    """
    X = np.asarray(X, dtype=float)
    n, r = X.shape
    cols = []
    for i in range(r):
        for j in range(i + 1, r):
            Om = np.zeros((r, r))
            Om[i, j], Om[j, i] = 1.0, -1.0
            cols.append(vec(X @ Om))
    if not cols:
        return np.zeros((n * r, 0))
    return orth(np.column_stack(cols), rtol=rtol)


def rotation_complement(X: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Orthonormal basis of the orthogonal complement of :func:`rotation_basis` in ``R^{nr}``."""
    X = np.asarray(X, dtype=float)
    n, r = X.shape
    R = rotation_basis(X, rtol=rtol)
    if R.shape[1] == 0:
        return np.eye(n * r)
    # complement through a full QR of [R, I]
    Qfull, _ = np.linalg.qr(np.column_stack([R, np.eye(n * r)]))
    return Qfull[:, R.shape[1] : n * r]


def as_factor(A, name: str) -> np.ndarray:
    """Validate a factor matrix: 1-D vectors become one column; finite real entries required."""
    try:
        M = np.array(A, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a real array (n,) or (n, r), got {type(A).__name__}") from exc
    if M.ndim == 1:
        M = M[:, None]
    if M.ndim != 2 or M.shape[0] == 0 or M.shape[1] == 0:
        raise InputError(f"{name}: expected a non-empty array of shape (n,) or (n, r), got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise InputError(f"{name}: contains NaN or infinite entries")
    return M


def as_pair(X, Z) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate a point ``X`` and a ground truth ``Z`` (finite, same ``n``, ``Z Z^T != 0``);
    returns ``(X, Z, ||Z^T Z||_F)`` (``= ||Z Z^T||_F``)."""
    X = as_factor(X, "X")
    Z = as_factor(Z, "Z")
    if X.shape[0] != Z.shape[0]:
        raise InputError(f"X, Z: must have the same number of rows n, got {X.shape[0]} and {Z.shape[0]}")
    zz = float(np.linalg.norm(Z.T @ Z))
    if zz == 0.0:
        raise InputError("Z: the ground truth is zero; Z Z^T must be nonzero")
    return X, Z, zz
