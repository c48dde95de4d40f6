"""The data of the counterexample SDP ``LMI(X, Z)`` and its solver-free checks (pure NumPy).

JMLR19 eq. (23), in a basis ``B`` (``N^2 x s``, orthonormal columns) of a subspace that contains
every symmetric ``N x N`` matrix (``basis="svec"``: exactly the symmetric matrices; ``"vec"``:
all of ``R^{N x N}``, the literal eq. (23)).  With ``e_B = B^T vec(X X^T - Z Z^T)`` and
``J_B = B^T 𝐗``::

    minimize   δ
    subject to J_B^T H e_B = 0                                        (first order,  dual y)
               2 [I_r ⊗ sym(mat(B H e_B))] + J_B^T H J_B ⪰ 0           (second order, dual V)
               (1 - δ) I ⪯ H ⪯ (1 + δ) I                               (isometry,  duals U1, U2)

The second-order matrix is half the Hessian of ``f = e^T H e`` (no ½ in ``f``).  Lagrangian
duality (our derivation, equivalent to JMLR19 eq. (24)): for **any** ``y`` and any ``V ⪰ 0`` put ::

    G = -sym(J_B y e_B^T) - (w e_B^T + e_B w^T) - J_B V J_B^T,   w = B^T vec(Σ_k V_kk),

then ``U1 = G_+ / ||G||_*``, ``U2 = G_- / ||G||_*`` is dual feasible and
``δ(X, Z) >= tr(G) / ||G||_*`` (``||·||_*`` the nuclear norm).  :func:`dual_lower_bound` evaluates
exactly this, after projecting ``V`` onto the PSD cone, so the lower bound rests on an
eigenvalue computation only, never on the solver's claimed objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..linalg import jacobian, mat, rotation_complement, sym, sym_basis, vec

__all__ = [
    "LMIData", "lmi_data", "second_order_matrix", "first_order_residual", "dual_lower_bound", "project_first_order",
    "band_support", "curvature_upper_bound", "min_gradient_lower_bound",
]


@dataclass
class LMIData:
    """``LMI(X, Z)`` in a basis ``B``; ``X``, ``Z`` already projected/normalized as wanted."""

    X: np.ndarray
    Z: np.ndarray
    basis: str
    B: np.ndarray
    e: np.ndarray  # e_B
    J: np.ndarray  # J_B, shape (s, N r)

    @property
    def N(self) -> int:
        return self.X.shape[0]

    @property
    def r(self) -> int:
        return self.X.shape[1]

    @property
    def s(self) -> int:
        return self.B.shape[1]


def lmi_data(X: np.ndarray, Z: np.ndarray, basis: str = "svec") -> LMIData:
    """Assemble ``e_B`` and ``J_B`` for ``basis`` in ``{"svec", "vec"}``."""
    if basis not in ("svec", "vec"):
        raise InputError(f"basis: expected 'svec' or 'vec', got {basis!r}")
    X = np.asarray(X, dtype=float)
    Z = np.asarray(Z, dtype=float)
    N = X.shape[0]
    B = sym_basis(N) if basis == "svec" else np.eye(N * N)
    e = B.T @ vec(X @ X.T - Z @ Z.T)
    J = B.T @ jacobian(X)
    return LMIData(X=X, Z=Z, basis=basis, B=B, e=e, J=J)


def second_order_matrix(data: LMIData, H: np.ndarray) -> np.ndarray:
    """``2 [I_r ⊗ sym(mat(B H e))] + J^T H J`` (= ½ ∇²f(X)), symmetrized."""
    S = sym(mat(data.B @ (H @ data.e), data.N))
    M = 2.0 * np.kron(np.eye(data.r), S) + data.J.T @ H @ data.J
    return sym(M)


def first_order_residual(data: LMIData, H: np.ndarray) -> np.ndarray:
    """``J^T H e`` (= ∇f(X) / 2 in vec coordinates)."""
    return data.J.T @ (H @ data.e)


def project_first_order(data: LMIData, H: np.ndarray) -> np.ndarray:
    """Frobenius-nearest symmetric ``H'`` with ``J^T H' e = 0`` (exact up to rounding).

    The correction is ``sym(J w e^T)`` with ``M w = -J^T H e``,
    ``M = (||e||^2 J^T J + g g^T) / 2``, ``g = J^T e``; ``J^T H e`` lies in ``range(M)``.
    """
    H = sym(np.asarray(H, dtype=float))
    J, e = data.J, data.e
    res = J.T @ (H @ e)
    g = J.T @ e
    M = 0.5 * (float(e @ e) * (J.T @ J) + np.outer(g, g))
    w = np.linalg.lstsq(M, -res, rcond=None)[0]
    return H + sym(np.outer(J @ w, e))


def hessian_min_on_complement(data: LMIData, H: np.ndarray) -> tuple[float, float]:
    """Smallest eigenvalue of the second-order matrix on the complement of the rotation
    directions ``XΩ``, and the largest absolute eigenvalue (for a relative figure)."""
    M = second_order_matrix(data, H)
    C = rotation_complement(data.X)
    lam = np.linalg.eigvalsh(C.T @ M @ C)
    return float(lam.min()), float(np.abs(lam).max())


def dual_lower_bound(data: LMIData, y, V) -> float:
    """The lower bound ``tr(G)/||G||_*`` on ``δ(X, Z)`` certified by ``(y, V)`` (module docstring).

    ``V`` is first symmetrized and projected onto the PSD cone (clipping negative eigenvalues);
    both signs of ``y`` are tried (solvers differ in their sign convention), which is legitimate
    because the bound holds for every ``y``.  Returns a number in ``[-1, 1]``.
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    V = np.asarray(V, dtype=float)
    Nr = data.N * data.r
    if y.shape != (Nr,) or V.shape != (Nr, Nr):
        raise InputError(f"dual: expected y of length {Nr} and V of shape ({Nr}, {Nr}), got {y.shape}, {V.shape}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(V))):
        raise InputError("dual: contains NaN or infinite entries")
    lam, Q = np.linalg.eigh(sym(V))
    Vp = (Q * np.clip(lam, 0.0, None)) @ Q.T
    N, r = data.N, data.r
    W = sum(Vp[k * N : (k + 1) * N, k * N : (k + 1) * N] for k in range(r))
    w = data.B.T @ vec(sym(W))
    base = -(np.outer(w, data.e) + np.outer(data.e, w)) - data.J @ Vp @ data.J.T
    best = -1.0
    for sgn in (1.0, -1.0):
        G = sym(base - sgn * sym(np.outer(data.J @ y, data.e)))
        ev = np.linalg.eigvalsh(G)
        nuc = float(np.abs(ev).sum())
        if nuc > 0.0:
            best = max(best, float(ev.sum()) / nuc)
    return best


# ---------------------------------------------------------------------------------------------
# The curvature SDP (docs/mathematics.md §1.4): solver-free bounds
# ---------------------------------------------------------------------------------------------
def band_support(G: np.ndarray, delta: float) -> float:
    """``max {<H, G> : (1 - δ) I ⪯ H ⪯ (1 + δ) I} = tr(G) + δ ||G||_*`` (eigenvalues of ``G``)."""
    ev = np.linalg.eigvalsh(sym(G))
    return float(ev.sum() + delta * np.abs(ev).sum())


def _hessian_adjoint(data: LMIData, V: np.ndarray) -> np.ndarray:
    """``K(V)`` with ``<V, ½∇²f(H)> = <H, K(V)>``: ``K = w e^T + e w^T + J V J^T``,
    ``w = B^T vec(sym Σ_k V_kk)``."""
    N, r = data.N, data.r
    W = sum(V[k * N : (k + 1) * N, k * N : (k + 1) * N] for k in range(r))
    w = data.B.T @ vec(sym(W))
    return np.outer(w, data.e) + np.outer(data.e, w) + data.J @ V @ data.J.T


def curvature_upper_bound(data: LMIData, C: np.ndarray, delta: float, grad_tol: float, y, W) -> float:
    """An upper bound on ``μ*(X, Z, δ, g)`` certified by ``(y, W)``, for any ``y`` and ``W ⪰ 0``.

    Weak duality (our derivation): for every ``H`` in the band with ``||∇f(X)|| = ||2 J^T H e|| <= g``
    and every ``W ⪰ 0`` with ``tr W = 1``, ``V = C W C^T``,
    ``λ_min(C^T ∇²f C) <= <W, C^T ∇²f C> = 2 <H, K(V)>
    = 2 <H, G> - 2 <y, J^T H e> <= 2 (tr G + δ ||G||_*) + g ||y||``, ``G = K(V) + sym(J y e^T)``.
    ``W`` is symmetrized, projected onto the PSD cone and normalized to unit trace here, so the
    bound rests on eigenvalue computations only.  Returns ``+inf`` for ``W = 0``.
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    W = sym(np.asarray(W, dtype=float))
    q = C.shape[1]
    if W.shape != (q, q) or y.shape != (data.N * data.r,):
        raise InputError(f"dual: expected y of length {data.N * data.r} and W of shape ({q}, {q}), got {y.shape}, {W.shape}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(W))):
        raise InputError("dual: contains NaN or infinite entries")
    lam, Q = np.linalg.eigh(W)
    lam = np.clip(lam, 0.0, None)
    if lam.sum() <= 0.0:
        return math.inf
    Wp = (Q * (lam / lam.sum())) @ Q.T
    G = _hessian_adjoint(data, C @ Wp @ C.T) + sym(np.outer(data.J @ y, data.e))
    return 2.0 * band_support(G, delta) + grad_tol * float(np.linalg.norm(y))


def min_gradient_lower_bound(data: LMIData, delta: float, y) -> float:
    """A lower bound on ``min ||∇f(X)||`` over the band ``(1 - δ) I ⪯ H ⪯ (1 + δ) I``, certified by ``y``.

    For ``||y|| = 1``: ``||J^T H e|| >= -<y, J^T H e> = -<H, sym(J y e^T)> >= -(tr G_y + δ ||G_y||_*)``;
    ``∇f = 2 J^T H e``.  Both signs of ``y`` are tried.  A value ``> g`` is a Farkas certificate
    that no δ-RIP operator (on the reduced instance) makes ``||∇f(X)|| <= g``.
    """
    y = np.asarray(y, dtype=float).reshape(-1)
    if y.shape != (data.N * data.r,) or not np.all(np.isfinite(y)):
        raise InputError(f"farkas: expected a finite y of length {data.N * data.r}, got shape {y.shape}")
    ny = float(np.linalg.norm(y))
    if ny == 0.0:
        return 0.0
    best = -math.inf
    for sgn in (1.0, -1.0):
        G = sym(np.outer(data.J @ (sgn * y / ny), data.e))
        best = max(best, -2.0 * band_support(G, delta))
    return max(best, 0.0)
