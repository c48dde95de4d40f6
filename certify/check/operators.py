"""Measurement operators of Burer–Monteiro matrix sensing, and their RIP constants.

A measurement operator is ``A(M) = (<A_1, M>, ..., <A_m, M>)``; its Gram matrix is
``H = 𝐀^T 𝐀`` (``n^2 x n^2``, docs/mathematics.md §1).  Two concrete types share one interface:

* :class:`ExplicitOperator` holds the ``m`` matrices ``A_i`` (moderate ``n``).
* :class:`CompactOperator` holds an orthonormal ``P`` (``n x d``) and a reduced Gram matrix ``Ĥ``
  (``d^2 x d^2``) and *is* the lift of JMLR19 Lemma 9 / Algorithm 1,
  ``H = 𝐏 Ĥ 𝐏^T + (I - 𝐏 𝐏^T)`` with ``𝐏 = P ⊗ P``, applied on the fly, so that ``n = 10,000`` works
  without forming ``n^4`` numbers.

Objective convention (docs/mathematics.md §1, no ½): ``f(X) = ||A(X X^T - Z Z^T)||^2 = e^T H e``, so
``∇f(X) = 4 sym(mat(He)) X`` and ``∇²f(X)[U] = 4 (sym(H(XU^T + UX^T)) X + sym(mat(He)) U)``.
Every derivative accepts a single point ``X`` of shape ``(n, r)`` or a batch ``(trials, n, r)``.

RIP constants are those of the convex sufficient condition ``(1-δ) I ⪯ t·H ⪯ (1+δ) I`` on the whole
space (JMLR19 eq. 20), with the optimal scaling ``t = 2 / (λ_min + λ_max)``, which gives
``δ = (λ_max - λ_min) / (λ_max + λ_min)``.  ``domain="all"`` measures on all ``n x n`` matrices
(JMLR19's definition); ``domain="symmetric"`` only on symmetric ones, which is all ``f`` sees.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..linalg import as_factor, mat, orth, sym_basis
from ..options import real

__all__ = [
    "RipConstant",
    "MeasurementOperator",
    "ExplicitOperator",
    "CompactOperator",
    "rip_from_bounds",
    "DENSE_LIMIT",
]

#: largest ``n`` for which a dense ``n^2 x n^2`` Gram matrix is formed on request
DENSE_LIMIT = 64


@dataclass(frozen=True)
class RipConstant:
    """RIP constant of an operator under the optimal scaling ``t``.

    ``delta = (lam_max - lam_min) / (lam_max + lam_min)``; ``t * H`` then has its spectrum in
    ``[1 - delta, 1 + delta]``.  ``delta = 1`` (and ``scale = nan``) when ``lam_min <= 0``.
    """

    delta: float
    scale: float
    lam_min: float
    lam_max: float
    domain: str


def rip_from_bounds(lam_min: float, lam_max: float, domain: str = "all") -> RipConstant:
    """The optimal-scaling RIP constant from the extreme eigenvalues of a Gram matrix.

    ``lam_min <= lam_max`` real numbers (not strings; NaN refused); ``lam_min <= 0`` or an infinite
    ``lam_max`` gives ``delta = 1``."""
    for name, v in (("lam_min", lam_min), ("lam_max", lam_max)):
        if isinstance(v, (bool, np.bool_, str, bytes)) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise InputError(f"{name}: expected a real number, got {v!r} ({type(v).__name__})")
    lam_min, lam_max = float(lam_min), float(lam_max)
    if math.isnan(lam_min) or math.isnan(lam_max) or lam_min > lam_max:
        raise InputError(f"lam_min, lam_max: expected real numbers with lam_min <= lam_max, got {lam_min!r}, {lam_max!r}")
    _check_domain(domain)
    if not (lam_min > 0.0) or not np.isfinite(lam_max):
        return RipConstant(1.0, float("nan"), lam_min, lam_max, domain)
    return RipConstant(
        (lam_max - lam_min) / (lam_max + lam_min), 2.0 / (lam_max + lam_min), lam_min, lam_max, domain
    )


def _check_domain(domain: str) -> str:
    if domain not in ("all", "symmetric"):
        raise InputError(f"domain: expected 'all' or 'symmetric', got {domain!r}")
    return domain


def _points(X, Z, n: int):
    """Validate a point (or batch of points) X and a ground truth Z for an operator of size n."""
    Xa = np.asarray(X, dtype=float)
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    if Xa.ndim not in (2, 3) or Xa.shape[-2] != n:
        raise InputError(f"X: expected shape (n,), (n, r) or (trials, n, r) with n = {n}, got {np.shape(X)}")
    if not np.all(np.isfinite(Xa)):
        raise InputError("X: contains NaN or infinite entries")
    Za = as_factor(Z, "Z")
    if Za.shape[0] != n:
        raise InputError(f"Z: expected {n} rows to match the operator, got shape {Za.shape}")
    return Xa, Za


def _orthonormal(Q, n: int) -> np.ndarray:
    Q = np.asarray(Q, dtype=float)
    if Q.ndim != 2 or Q.shape[0] != n or Q.shape[1] == 0:
        raise InputError(f"Q: expected an orthonormal matrix of shape ({n}, k), got {Q.shape}")
    if CompactOperator.orthonormality_error(Q) > 1e-8:
        raise InputError("Q: columns are not orthonormal")
    return Q


def _T(A):
    return np.swapaxes(A, -1, -2)


def _symb(M):
    return 0.5 * (M + _T(M))


def _vecb(M):
    """Column-major vectorization of the last two axes."""
    return _T(M).reshape(M.shape[:-2] + (-1,))


def _matb(v, n):
    return _T(v.reshape(v.shape[:-1] + (n, n)))


class MeasurementOperator(ABC):
    """Common interface of measurement operators (see the module docstring for conventions)."""

    n: int

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_matrices(cls, A) -> ExplicitOperator:
        """An explicit operator from its measurement matrices ``A`` of shape ``(m, n, n)``."""
        return ExplicitOperator(A)

    @staticmethod
    def from_dict(data: dict) -> MeasurementOperator:
        """Rebuild an operator from :meth:`to_dict` output (no numerical validation)."""
        if not isinstance(data, dict) or "type" not in data:
            raise InputError("operator: expected an object with a 'type' field")
        kind = data["type"]
        try:
            if kind == "explicit":
                return ExplicitOperator(np.array(data["A"], dtype=float))
            if kind == "compact":
                return CompactOperator(
                    np.array(data["P"], dtype=float), np.array(data["H_hat"], dtype=float), check=False
                )
        except KeyError as exc:
            raise InputError(f"operator: missing field {exc.args[0]!r} for type {kind!r}") from exc
        except (TypeError, ValueError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(f"operator: malformed {kind!r} operator data ({exc})") from exc
        raise InputError(f"operator: unknown type {kind!r}; expected 'explicit' or 'compact'")

    @abstractmethod
    def to_dict(self) -> dict:
        """The operator as a JSON-ready dict (the ``operator`` field of a certificate)."""

    # -- spectra ------------------------------------------------------------------------------
    @abstractmethod
    def spectrum_bounds(self, domain: str = "all") -> tuple[float, float]:
        """Smallest and largest eigenvalue of the Gram matrix ``H`` on ``domain``."""

    def rip_constant(self, domain: str = "all") -> RipConstant:
        """RIP constant of the convex sufficient condition, with the optimal scaling."""
        lo, hi = self.spectrum_bounds(_check_domain(domain))
        return rip_from_bounds(lo, hi, domain)

    @abstractmethod
    def scaled(self, t: float) -> MeasurementOperator:
        """The operator with its Gram matrix scaled by ``t``."""

    # -- the objective ------------------------------------------------------------------------
    def objective(self, X, Z):
        """``f(X) = ||A(X X^T - Z Z^T)||^2`` (no ½); a float, or an array for a batch of X."""
        Xa, Za = _points(X, Z, self.n)
        out = self._objective(Xa, Za)
        return float(out) if Xa.ndim == 2 else out

    def gradient(self, X, Z):
        """``∇f(X) = 4 sym(mat(He)) X``, same shape as ``X`` (as a 2-D or 3-D array)."""
        Xa, Za = _points(X, Z, self.n)
        return self._gradient(Xa, Za)

    def hvp(self, X, Z, U):
        """Hessian-vector product ``∇²f(X)[U]`` (``U`` has the shape of ``X``)."""
        Xa, Za = _points(X, Z, self.n)
        try:
            Ua = np.asarray(U, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"U: expected a real array with the shape of X {Xa.shape}, got {type(U).__name__}") from exc
        if Ua.size != Xa.size:
            raise InputError(f"U: expected the shape of X {Xa.shape}, got {Ua.shape}")
        Ua = Ua.reshape(Xa.shape)
        if not np.all(np.isfinite(Ua)):
            raise InputError("U: contains NaN or infinite entries")
        return self._hvp(Xa, Za, Ua)

    def hessian(self, X, Z) -> np.ndarray:
        """Dense Hessian (``nr x nr``, ``vec`` ordering) at a single point, from Hessian-vector
        products.  Meant for moderate ``n r``."""
        Xa, Za = _points(X, Z, self.n)
        if Xa.ndim != 2:
            raise InputError("X: hessian() takes a single point of shape (n, r)")
        n, r = Xa.shape
        if n * r > 4000:
            raise InputError(f"X: a dense Hessian of size {n * r} is too large; use hvp()")
        E = np.eye(n * r).reshape(n * r, r, n).transpose(0, 2, 1)  # batch of unit directions
        cols = self._hvp(np.broadcast_to(Xa, (n * r, n, r)), Za, E)
        Hs = _vecb(cols).T
        return 0.5 * (Hs + Hs.T)


class ExplicitOperator(MeasurementOperator):
    """An operator given by its ``m`` measurement matrices ``A`` (shape ``(m, n, n)``)."""

    def __init__(self, A):
        try:
            A = np.array(A, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"A: expected a real array of shape (m, n, n) ({exc})") from exc
        if A.ndim != 3 or A.shape[1] != A.shape[2] or A.shape[0] == 0 or A.shape[1] == 0:
            raise InputError(f"A: expected shape (m, n, n) with m, n >= 1, got {A.shape}")
        if not np.all(np.isfinite(A)):
            raise InputError("A: contains NaN or infinite entries")
        self.A = A
        self.m, self.n = A.shape[0], A.shape[1]
        self._Amat = _vecb(A)  # rows vec(A_i)^T, shape (m, n^2)

    def __repr__(self) -> str:
        return f"ExplicitOperator(m={self.m}, n={self.n})"

    def to_dict(self) -> dict:
        return {"type": "explicit", "n": self.n, "m": self.m, "A": self.A.tolist()}

    def matrix(self) -> np.ndarray:
        """The ``m x n^2`` matrix 𝐀 with rows ``vec(A_i)^T``."""
        return self._Amat

    def gram(self) -> np.ndarray:
        """``H = 𝐀^T 𝐀``."""
        return self._Amat.T @ self._Amat

    def gram_on(self, Q) -> np.ndarray:
        """``H`` restricted to ``{Q Y Q^T : Y ∈ R^{k x k}}`` for an orthonormal ``Q`` (``n x k``),
        in ``vec(Y)`` coordinates: ``(Q⊗Q)^T H (Q⊗Q)`` (``k^2 x k^2``)."""
        Q = _orthonormal(Q, self.n)
        B = _vecb(_T(Q) @ self.A @ Q)  # rows vec(Q^T A_i Q)
        return B.T @ B

    def apply(self, M) -> np.ndarray:
        """The measurements ``A(M)`` of an ``n x n`` matrix (or a batch ``(..., n, n)``)."""
        M = np.asarray(M, dtype=float)
        if M.shape[-2:] != (self.n, self.n):
            raise InputError(f"M: expected shape (..., {self.n}, {self.n}), got {M.shape}")
        return _vecb(M) @ self._Amat.T

    def spectrum_bounds(self, domain: str = "all") -> tuple[float, float]:
        _check_domain(domain)
        if domain == "all":
            sv = np.linalg.svd(self._Amat, compute_uv=False)
            lam = sv**2
            if self._Amat.shape[0] < self.n**2:
                return 0.0, float(lam.max())
            return float(lam.min()), float(lam.max())
        Q = sym_basis(self.n)
        sv = np.linalg.svd(self._Amat @ Q, compute_uv=False)
        lam = sv**2
        if self._Amat.shape[0] < Q.shape[1]:
            return 0.0, float(lam.max())
        return float(lam.min()), float(lam.max())

    def scaled(self, t: float) -> ExplicitOperator:
        """The operator ``sqrt(t) A`` (Gram matrix ``t H``); ``t`` a finite real number > 0."""
        t = real(t, "t", lo=0.0, lo_open=True)
        return ExplicitOperator(np.sqrt(t) * self.A)

    def _S(self, Xa, Za):
        E = Xa @ _T(Xa) - Za @ Za.T
        He = _vecb(E) @ self._Amat.T @ self._Amat
        return _symb(_matb(He, self.n))

    def _objective(self, Xa, Za):
        E = Xa @ _T(Xa) - Za @ Za.T
        meas = _vecb(E) @ self._Amat.T
        return np.sum(meas * meas, axis=-1)

    def _gradient(self, Xa, Za):
        return 4.0 * self._S(Xa, Za) @ Xa

    def _hvp(self, Xa, Za, Ua):
        D = Xa @ _T(Ua) + Ua @ _T(Xa)
        HD = _symb(_matb(_vecb(D) @ self._Amat.T @ self._Amat, self.n))
        return 4.0 * (HD @ Xa + self._S(Xa, Za) @ Ua)


class CompactOperator(MeasurementOperator):
    """The lift ``H = 𝐏 Ĥ 𝐏^T + (I - 𝐏𝐏^T)`` of a reduced Gram matrix (JMLR19 Lemma 9).

    Parameters
    ----------
    P : (n, d) array with orthonormal columns.
    H_hat : (d^2, d^2) symmetric array, the Gram matrix on ``{P Y P^T : Y ∈ R^{d x d}}`` in the
        coordinates ``vec(Y)``.
    check : validate orthonormality of ``P`` and symmetry of ``H_hat`` (``verify`` re-checks both).
    """

    def __init__(self, P, H_hat, *, check: bool = True):
        P = np.array(P, dtype=float)
        H_hat = np.array(H_hat, dtype=float)
        if P.ndim == 1:
            P = P[:, None]
        if P.ndim != 2 or P.shape[1] == 0 or P.shape[1] > P.shape[0]:
            raise InputError(f"P: expected shape (n, d) with 1 <= d <= n, got {P.shape}")
        d = P.shape[1]
        if H_hat.shape != (d * d, d * d):
            raise InputError(f"H_hat: expected shape ({d * d}, {d * d}) for d = {d}, got {H_hat.shape}")
        if not (np.all(np.isfinite(P)) and np.all(np.isfinite(H_hat))):
            raise InputError("P, H_hat: contain NaN or infinite entries")
        if check:
            err = self.orthonormality_error(P)
            if err > 1e-8:
                raise InputError(f"P: columns are not orthonormal (max |P^T P - I| = {err:.2e})")
            asym = float(np.max(np.abs(H_hat - H_hat.T))) if H_hat.size else 0.0
            if asym > 1e-8 * max(1.0, float(np.max(np.abs(H_hat)))):
                raise InputError(f"H_hat: not symmetric (max asymmetry {asym:.2e})")
        self.P = P
        self.H_hat = H_hat
        self.n, self.d = P.shape
        self.m = self.n * self.n
        self._K = 0.5 * (H_hat + H_hat.T) - np.eye(d * d)  # Ĥ - I

    def __repr__(self) -> str:
        return f"CompactOperator(n={self.n}, d={self.d})"

    @staticmethod
    def orthonormality_error(P) -> float:
        P = np.asarray(P, dtype=float)
        return float(np.max(np.abs(P.T @ P - np.eye(P.shape[1])))) if P.size else 0.0

    def to_dict(self) -> dict:
        return {"type": "compact", "n": self.n, "d": self.d, "P": self.P.tolist(), "H_hat": self.H_hat.tolist()}

    # -- the lift -----------------------------------------------------------------------------
    def gram(self) -> np.ndarray:
        """The full ``n^2 x n^2`` Gram matrix (only for ``n <= DENSE_LIMIT``)."""
        if self.n > DENSE_LIMIT:
            raise InputError(f"gram(): n = {self.n} is too large for a dense n^2 x n^2 matrix")
        PP = np.kron(self.P, self.P)
        return PP @ self._K @ PP.T + np.eye(self.n**2)

    def gram_on(self, Q) -> np.ndarray:
        """``H`` restricted to ``{Q Y Q^T : Y ∈ R^{k x k}}`` for an orthonormal ``Q`` (``n x k``):
        ``(R⊗R)^T (Ĥ - I) (R⊗R) + I`` with ``R = P^T Q``; no ``n^2``-sized array is formed."""
        Q = _orthonormal(Q, self.n)
        RR = np.kron(self.P.T @ Q, self.P.T @ Q)
        k = Q.shape[1]
        G = RR.T @ self._K @ RR + np.eye(k * k)
        return 0.5 * (G + G.T)

    def _K_of(self, Mhat):
        """``sym(mat((Ĥ - I) vec(M̂)))`` for a batch of ``d x d`` matrices."""
        return _symb(_matb(_vecb(Mhat) @ self._K.T, self.d))

    def factor(self) -> np.ndarray:
        """A factor ``Â`` (rows ``d^2``) with ``Â^T Â = Ĥ`` (symmetric eigen square root)."""
        lam, V = np.linalg.eigh(0.5 * (self.H_hat + self.H_hat.T))
        if lam.min() < -1e-12 * max(1.0, abs(lam).max()):
            raise InputError(f"H_hat: not positive semidefinite (smallest eigenvalue {lam.min():.3e})")
        return np.sqrt(np.clip(lam, 0.0, None))[:, None] * V.T

    def apply(self, M) -> np.ndarray:
        """Measurements of one factorization of ``H``:
        ``A(M) = (Â vec(P^T M P), vec(M - P P^T M P P^T))`` (``d^2 + n^2`` numbers)."""
        M = np.asarray(M, dtype=float)
        if M.shape[-2:] != (self.n, self.n):
            raise InputError(f"M: expected shape (..., {self.n}, {self.n}), got {M.shape}")
        P = self.P
        Mhat = _T(P) @ M @ P
        rest = M - P @ Mhat @ _T(P)
        return np.concatenate([_vecb(Mhat) @ self.factor().T, _vecb(rest)], axis=-1)

    def to_explicit(self) -> ExplicitOperator:
        """The explicit ``n^2`` measurement matrices of JMLR19 Algorithm 1, steps 3-6."""
        n, d, P = self.n, self.d, self.P
        if n > DENSE_LIMIT:
            raise InputError(f"to_explicit(): n = {n} would need n^4 = {n**4:.1e} numbers")
        Ahat = self.factor()
        Q, _ = np.linalg.qr(P, mode="complete")
        Pp = Q[:, d:]  # P_perp, orthonormal complement
        mats = [P @ mat(a, d) @ P.T for a in Ahat]
        # columns of P⊗P⊥, P⊥⊗P, P⊥⊗P⊥: (B⊗C) vec(E_ab) = vec(C e_a e_b^T B^T) = vec(c_a b_b^T)
        for B, C in ((P, Pp), (Pp, P), (Pp, Pp)):
            for b in range(B.shape[1]):
                for a in range(C.shape[1]):
                    mats.append(np.outer(C[:, a], B[:, b]))
        return ExplicitOperator(np.array(mats))

    def spectrum_bounds(self, domain: str = "all") -> tuple[float, float]:
        _check_domain(domain)
        Hh = 0.5 * (self.H_hat + self.H_hat.T)
        if domain == "symmetric":
            Q = sym_basis(self.d)
            Hh = Q.T @ Hh @ Q
        lam = np.linalg.eigvalsh(Hh)
        lo, hi = float(lam.min()), float(lam.max())
        if self.n > self.d:  # the complement of P⊗P carries the eigenvalue 1
            lo, hi = min(lo, 1.0), max(hi, 1.0)
        return lo, hi

    def scaled(self, t: float) -> CompactOperator:
        """Scaling by ``t`` also scales the identity on the complement, so the result is the lift
        in the enlarged basis only when ``t = 1``; we therefore keep ``H = t(𝐏Ĥ𝐏^T + I - 𝐏𝐏^T)``
        exact by storing it on the full space when ``n = d``, and refuse otherwise.  ``t``: a finite
        real number > 0."""
        t = real(t, "t", lo=0.0, lo_open=True)
        if self.n == self.d:
            return CompactOperator(self.P, t * self.H_hat, check=False)
        raise InputError(
            "scaled(): a compact operator with n > d keeps the identity on the complement; "
            "scale the measurements instead (rip_constant() reports the optimal scale)"
        )

    def reduce(self, X, Z):
        """Re-express the operator in a basis ``P'`` that contains ``P``, ``X`` and ``Z``.

        Returns ``(H', X', Z', P')`` with ``H'`` the ``d'^2 x d'^2`` Gram matrix on
        ``{P' Y P'^T}``.  On the complement the operator is the identity; there the Hessian of
        ``f`` at ``X`` is ``4 (X^T X ⊗ I)`` (directions ``P'_⊥ W``), block-diagonal to the rest.
        """
        Xa = as_factor(X, "X")
        Za = as_factor(Z, "Z")
        P2 = orth(np.column_stack([self.P, Xa, Za]))
        if P2.shape[1] == self.d and np.allclose(P2 @ (P2.T @ self.P), self.P, atol=1e-12):
            P2 = self.P
        return self.gram_on(P2), P2.T @ Xa, P2.T @ Za, P2

    # -- low-rank derivative formulas ----------------------------------------------------------
    def _objective(self, Xa, Za):
        Xh, Zh = _T(self.P) @ Xa, self.P.T @ Za
        XtX, XtZ, ZtZ = _T(Xa) @ Xa, _T(Xa) @ Za, Za.T @ Za
        normE2 = np.sum(XtX * XtX, axis=(-2, -1)) - 2 * np.sum(XtZ * XtZ, axis=(-2, -1)) + np.sum(ZtZ * ZtZ)
        eh = _vecb(Xh @ _T(Xh) - Zh @ Zh.T)
        return normE2 + np.sum(eh * (eh @ self._K.T), axis=-1)

    def _SX(self, Xa, Za, U):
        """``S U`` with ``S = sym(mat(He)) = E + P K(Ê) P^T``."""
        P = self.P
        Xh, Zh, Uh = _T(P) @ Xa, P.T @ Za, _T(P) @ U
        KE = self._K_of(Xh @ _T(Xh) - Zh @ Zh.T)
        return Xa @ (_T(Xa) @ U) - Za @ (Za.T @ U) + P @ (KE @ Uh)

    def _gradient(self, Xa, Za):
        return 4.0 * self._SX(Xa, Za, Xa)

    def _hvp(self, Xa, Za, Ua):
        P = self.P
        Xh, Uh = _T(P) @ Xa, _T(P) @ Ua
        KD = self._K_of(Xh @ _T(Uh) + Uh @ _T(Xh))
        HDX = Xa @ (_T(Ua) @ Xa) + Ua @ (_T(Xa) @ Xa) + P @ (KD @ Xh)
        return 4.0 * (HDX + self._SX(Xa, Za, Ua))
