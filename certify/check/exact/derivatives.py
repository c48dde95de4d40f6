"""Exact derivatives of ``f(X) = e^T H e`` (docs/mathematics.md §1; no ½): the Jacobian ``𝐗``, the gradient
and Hessian, the rotation complement, and the exact projection onto the first-order constraints.

``e = vec(XX^T - M*)``, ``𝐗 vec(U) = vec(XU^T + UX^T)``, ``∇f = 2 𝐗^T H e`` and
``∇²f = 2 (𝐗^T H 𝐗 + 2 [I_r ⊗ sym(mat(He))])``; all in exact rationals (``fmpq_mat``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .rational import _dot, _eye, _sym, _unvec, _vec


@dataclass
class _Deriv:
    """``f`` and its derivatives at one ``(X, M*, H)``, exactly."""

    e: object  # vec(X X^T - M*)
    He: object
    J: object  # 𝐗
    g: object  # 𝐗^T H e  (∇f = 2 g)
    f: object
    hess: object | None = None


def _derivs(X, M, H, fl, hessian=True) -> _Deriv:
    """``f``, ``∇f / 2`` and (``hessian=True``) ``∇²f`` at ``X`` for ``(M*, H)``."""
    n, r = X.nrows(), X.ncols()
    E = X * X.transpose() - M
    e = _vec(E, fl)
    He = H * e
    J = _jacobian(X, fl)
    g = J.transpose() * He
    f = _dot(e, He)
    hess = None
    if hessian:
        S = _sym(_unvec(He, n, fl), fl)
        hess = (J.transpose() * H * J) * 2 + _kron_eye(r, S, fl) * 4
    return _Deriv(e, He, J, g, f, hess)


def _jacobian(X, fl):
    """Exact 𝐗 (``n^2 x nr``): ``𝐗 vec(U) = vec(X U^T + U X^T)``."""
    n, r = X.nrows(), X.ncols()
    J = fl.fmpq_mat(n * n, n * r)
    for k in range(r):
        for a in range(n):
            col = a + n * k
            for i in range(n):
                x = X[i, k]
                if x == 0:
                    continue
                # X U^T: column a is x -> entries (i, a); U X^T: row a is x -> entries (a, i)
                J[i + n * a, col] += x
                J[a + n * i, col] += x
    return J


def _kron_eye(r, S, fl):
    """``I_r ⊗ S``."""
    n = S.nrows()
    K = fl.fmpq_mat(n * r, n * r)
    for b in range(r):
        for i in range(n):
            for j in range(n):
                if S[i, j] != 0:
                    K[b * n + i, b * n + j] = S[i, j]
    return K


def _rotation_complement(X, fl):
    """Rational basis ``C`` (columns) of the orthogonal complement of ``{vec(X Ω)}``."""
    n, r = X.nrows(), X.ncols()
    if r == 1:
        return _eye(n * r, fl)
    cols = []
    for i in range(r):
        for j in range(i + 1, r):
            v = [fl.fmpq(0)] * (n * r)
            for a in range(n):  # X Ω with Ω_ij = 1, Ω_ji = -1: column j is X[:, i], column i is -X[:, j]
                v[a + n * j] = X[a, i]
                v[a + n * i] = -X[a, j]
            cols.append(v)
    Rt = fl.fmpq_mat(len(cols), n * r, [x for c in cols for x in c])
    return _nullspace(Rt, fl)


def _nullspace(A, fl):
    """Rational basis (columns) of the null space of ``A`` (via the exact rref)."""
    m, n = A.nrows(), A.ncols()
    if m == 0:
        return _eye(n, fl)
    R, rank = A.rref()
    pivots = []
    for i in range(rank):
        for j in range(n):
            if R[i, j] != 0:
                pivots.append(j)
                break
    free = [j for j in range(n) if j not in pivots]
    N = fl.fmpq_mat(n, len(free))
    for c, f in enumerate(free):
        N[f, c] = 1
        for i, p in enumerate(pivots):
            N[p, c] = -R[i, f]
    return N


def _solve_consistent(G, b, fl):
    """A solution of ``G y = b`` (exact; ``G`` may be singular, the system must be consistent)."""
    m, n = G.nrows(), G.ncols()
    aug = fl.fmpq_mat(m, n + 1)
    for i in range(m):
        for j in range(n):
            aug[i, j] = G[i, j]
        aug[i, n] = b[i, 0]
    R, rank = aug.rref()
    y = fl.fmpq_mat(n, 1)
    for i in range(rank):
        piv = next(j for j in range(n + 1) if R[i, j] != 0)
        if piv == n:
            return None  # inconsistent
        y[piv, 0] = R[i, n]
    return y


def _project_first_order(H, d: _Deriv, fl):
    """Nearest symmetric ``H'`` (Frobenius) with ``𝐗^T H' e = 0``: ``(H', ||H' - H||_F^2)``.

    ``H' = H + sym(w e^T)``, ``w = 𝐗 y``, ``G y = -𝐗^T H e`` with
    ``G = ½ ((𝐗^T𝐗) e^Te + (𝐗^Te)(𝐗^Te)^T)`` (consistent even when ``G`` is singular);
    ``(None, None)`` if the exact solve finds the system inconsistent (impossible in exact arithmetic).
    """
    J, e, g = d.J, d.e, d.g
    ee = _dot(e, e)
    Je = J.transpose() * e
    G = (J.transpose() * J) * (ee / 2) + (Je * Je.transpose()) * fl.fmpq(1, 2)
    y = _solve_consistent(G, g * (-1), fl)
    if y is None:  # impossible in exact arithmetic; keep H
        return None, None
    w = J * y
    Delta = (w * e.transpose() + e * w.transpose()) * fl.fmpq(1, 2)
    norm2 = -_dot(y, g)
    return H + Delta, norm2
