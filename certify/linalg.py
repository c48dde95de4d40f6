"""Small dense linear-algebra helpers shared by the SDPs, the operators and the checkers.

Conventions (docs/mathematics.md notation):

* ``vec`` stacks columns (Fortran order); ``mat`` is its inverse.
* ``svec`` is the isometric coordinate map of symmetric matrices: diagonal entries as they are,
  each off-diagonal pair ``(i, j), i < j`` as ``sqrt(2) * M[i, j]``.  The columns of
  :func:`sym_basis` are ``vec`` of the corresponding orthonormal basis matrices, so
  ``vec(M) = Q @ svec(M)`` and ``svec(M) = Q.T @ vec(M)`` for symmetric ``M``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
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
    "as_real_array",
    "as_factor",
    "as_pair",
    "normalize_pair",
    "Pair",
    "GLOBAL_MIN_RTOL",
    "COLINEAR_TOL",
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
    point they lie in the null space of the Hessian (docs/mathematics.md §1).  Empty for ``r = 1``.
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


def _leaf_problem(obj, depth: int = 0):
    """The first entry of a nested list/tuple that is not a real number (bool, complex, str, ...)."""
    if isinstance(obj, (list, tuple)):
        if depth > 64:
            return obj
        for v in obj:
            bad = _leaf_problem(v, depth + 1)
            if bad is not None:
                return bad
        return None
    if isinstance(obj, np.ndarray):
        return None if obj.dtype.kind in "fiu" else obj
    if isinstance(obj, (bool, np.bool_)) or not isinstance(obj, (numbers.Real, np.integer, np.floating)):
        return obj
    return None


def _kind_text(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "a boolean"
    if isinstance(v, (complex, np.complexfloating)):
        return "a complex number"
    if isinstance(v, (str, bytes)):
        return "a string"
    if v is None:
        return "None"
    return f"a {type(v).__name__}"


_DTYPE_TEXT = {"b": "booleans", "c": "complex numbers", "U": "strings", "S": "byte strings", "V": "structured records",
               "M": "dates", "m": "time deltas"}


def as_real_array(A, name: str) -> np.ndarray:
    """``A`` as a float64 array, refusing anything that is not made of real numbers.

    Accepted: NumPy arrays of integer or floating dtype, Python/NumPy real scalars, nested lists
    and tuples of them (and objects such as ``fractions.Fraction`` that are ``numbers.Real``).
    Refused with :class:`InputError` naming ``name``: complex values (even with a zero imaginary
    part: never silently cast), booleans, strings, ``None``, ragged nesting, integers too large
    for a float.  Finiteness is *not* checked here.
    """
    if isinstance(A, (str, bytes)):
        raise InputError(f"{name}: expected an array of real numbers, got a string {A[:40]!r}")
    if isinstance(A, (list, tuple)):
        bad = _leaf_problem(A)
        if bad is not None:
            what = (f"an array of {_DTYPE_TEXT.get(bad.dtype.kind, bad.dtype.name)}"
                    if isinstance(bad, np.ndarray) else _kind_text(bad))
            raise InputError(f"{name}: expected real numbers (int or float), found {what} ({bad!r:.40})")
    try:
        arr = np.asarray(A)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a real array (n,) or (n, r), got a ragged or malformed {type(A).__name__}") from exc
    kind = arr.dtype.kind
    if kind == "O":
        for v in arr.flat:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (numbers.Real, np.integer, np.floating)):
                raise InputError(f"{name}: expected real numbers (int or float), found {_kind_text(v)} ({v!r:.40})")
    elif kind not in "fiu":
        what = _DTYPE_TEXT.get(kind, f"dtype {arr.dtype}")
        raise InputError(f"{name}: expected a real numeric array (int or float), got {what} (dtype {arr.dtype})"
                         + ("; pass the real part explicitly if that is what you mean" if kind == "c" else ""))
    try:
        return np.array(arr, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError(f"{name}: cannot convert to float64 ({exc})") from exc


def as_factor(A, name: str) -> np.ndarray:
    """Validate a factor matrix: 1-D vectors become one column; finite real entries required
    (complex, boolean and string entries are refused, see :func:`as_real_array`)."""
    M = as_real_array(A, name)
    if M.ndim == 1:
        M = M[:, None]
    if M.ndim != 2 or M.shape[0] == 0 or M.shape[1] == 0:
        raise InputError(f"{name}: expected a non-empty array of shape (n,) or (n, r), got shape {M.shape}")
    if not np.all(np.isfinite(M)):
        raise InputError(f"{name}: contains NaN or infinite entries")
    return M


# -- normalization of an instance (X, Z) -----------------------------------------------------------

#: ``||XX^T - ZZ^T|| / ||ZZ^T||`` at or below this: X is a global minimizer (same as the
#: verifier's ``Tolerances.spurious``)
GLOBAL_MIN_RTOL = 1e-9
#: rank 1: ``sin`` of the angle between x and z at or below this: colinear (exactly, up to the
#: rounding of the normalization, a few units of 2^-52)
COLINEAR_TOL = 64 * np.finfo(float).eps


def _ldexp(m: float, e: int) -> float:
    """``m * 2**e`` as a float: ``inf`` on overflow, ``0.0`` (or subnormal) on underflow."""
    try:
        return math.ldexp(float(m), int(e))
    except OverflowError:
        return math.inf if m > 0 else -math.inf


def _binary_exponent(m: float) -> int:
    """``e`` with ``m = f * 2**e``, ``0.5 <= f < 1`` (``m > 0``)."""
    return math.frexp(float(m))[1]


def _scaled_norm(A: np.ndarray) -> tuple[float, int]:
    """``(f, e)`` with ``||A||_F = f * 2**e`` and ``f`` of order 1, without overflow or underflow."""
    m = float(np.max(np.abs(A))) if A.size else 0.0
    if m == 0.0:
        return 0.0, 0
    e = _binary_exponent(m)
    return float(np.linalg.norm(np.ldexp(A, -e))), e


def _scaled_gram_norm(A: np.ndarray) -> tuple[float, int]:
    """``(g, e)`` with ``||A A^T||_F = ||A^T A||_F = g * 2**e``, ``g`` of order 1."""
    m = float(np.max(np.abs(A))) if A.size else 0.0
    if m == 0.0:
        return 0.0, 0
    e = _binary_exponent(m)
    As = np.ldexp(A, -e)
    return float(np.linalg.norm(As.T @ As)), 2 * e


@dataclass(frozen=True)
class Pair:
    """A validated instance ``(X, Z)`` and its normalization (see :func:`normalize_pair`).

    ``X``, ``Z``: the instance as given (float64, 1-D vectors as one column).
    ``exponent``: the power of two applied, ``Xn = 2**exponent * X``, ``Zn = 2**exponent * Z``
    (exact in binary), chosen so that the largest entry of ``[Xn, Zn]`` lies in ``[1/2, 1)``.
    ``zz``: ``||Zn Zn^T||_F`` (normalized; ``0.0`` only if it underflows, i.e. ``Z`` is below
    ``1e-154`` relative to ``X``).
    ``distance``: ``||Xn Xn^T - Zn Zn^T||_F`` (normalized), from a QR of ``[Xn, Zn]``.
    ``rel_distance``: ``||XX^T - ZZ^T|| / ||ZZ^T||`` (scale-invariant; ``inf`` beyond the float range).
    ``rho``, ``angle``, ``sin_angle``: rank 1 only (``r = r* = 1``; else ``None``): ``||x|| / ||z||``
    and the angle ``φ`` in ``[0, π]`` between ``x`` and ``z`` (``None`` when ``x = 0``), computed as
    ``2 atan2(||u - w||, ||u + w||)`` for the unit vectors ``u, w`` (accurate to a few ulps for every
    angle, unlike ``arccos``), and ``sin φ = ||u - w|| ||u + w|| / 2``.
    """

    X: np.ndarray
    Z: np.ndarray
    exponent: int
    Xn: np.ndarray
    Zn: np.ndarray
    zz: float
    distance: float
    rel_distance: float
    rho: float | None = None
    angle: float | None = None
    sin_angle: float | None = None

    @property
    def scale(self) -> float:
        """``2**exponent`` (``inf``/``0.0`` if it is not representable)."""
        return _ldexp(1.0, self.exponent)

    @property
    def rank_one(self) -> bool:
        return self.X.shape[1] == 1 and self.Z.shape[1] == 1

    @property
    def global_minimizer(self) -> bool:
        """``||XX^T - ZZ^T|| <= GLOBAL_MIN_RTOL ||ZZ^T||``."""
        return self.rel_distance <= GLOBAL_MIN_RTOL

    @property
    def colinear(self) -> bool:
        """Rank 1, ``x != 0`` and ``sin φ <= COLINEAR_TOL`` (``δ(x, z) = 1``, JMLR19)."""
        return self.sin_angle is not None and self.sin_angle <= COLINEAR_TOL

    @property
    def given_scale_exponent(self) -> int:
        """``e`` with ``max |entry|`` of the instance as given in ``[2**(e-1), 2**e)`` (``= -exponent``)."""
        return -self.exponent


def normalize_pair(X, Z) -> Pair:
    """Validate a point ``X`` and a ground truth ``Z`` and normalize them (no refusal of global
    minimizers or colinear pairs: callers decide, from :attr:`Pair.global_minimizer` and
    :attr:`Pair.colinear`).

    Checks: real finite entries (complex refused), same ``n``, ``Z`` not identically zero.
    Normalization: both factors are multiplied by one power of two (exact in binary, so that
    ``Xn Xn^T - Zn Zn^T = 4**exponent (X X^T - Z Z^T)`` exactly) bringing the largest entry into
    ``[1/2, 1)``, before any product is formed: instances scaled by ``1e±300`` give the same
    figures as at unit scale.  Every scale-invariant figure (relative distance, angle, ``ρ``) is
    computed on the normalized instance, without the cancellation of the Gram-matrix identity:
    ``||XX^T - ZZ^T|| = ||Rx Rx^T - Rz Rz^T||`` for the QR factorization ``[X, Z] = Q [Rx, Rz]``
    (error of order ``2^-52 ||ZZ^T||``, so relative distances down to ``1e-9`` and below are
    resolved).  Entries more than ``2^1022`` times smaller than the largest one become subnormal
    (they are below double precision relative to it anyway).
    """
    X = as_factor(X, "X")
    Z = as_factor(Z, "Z")
    if X.shape[0] != Z.shape[0]:
        raise InputError(f"X, Z: must have the same number of rows n, got {X.shape[0]} and {Z.shape[0]}")
    if not np.any(Z != 0.0):
        raise InputError("Z: the ground truth is zero; Z Z^T must be nonzero")
    m = max(float(np.max(np.abs(X))), float(np.max(np.abs(Z))))
    exponent = -_binary_exponent(m)
    Xn, Zn = np.ldexp(X, exponent), np.ldexp(Z, exponent)
    r = X.shape[1]
    # ||XX^T - ZZ^T|| through R of [X, Z] (n x (r + r*) -> k x (r + r*), k = min(n, r + r*))
    R = np.linalg.qr(np.column_stack([Xn, Zn]), mode="r")
    Rx, Rz = R[:, :r], R[:, r:]
    distance = float(np.linalg.norm(Rx @ Rx.T - Rz @ Rz.T))
    # ||ZZ^T|| from Z itself (Zn may underflow where Z is tiny next to X): ||ZZ^T|| = g 2^eg
    g, eg = _scaled_gram_norm(Z)
    zz = _ldexp(g, eg + 2 * exponent)
    rel = _ldexp(distance / g, -eg - 2 * exponent) if distance > 0.0 else 0.0
    rho = angle = sin_angle = None
    if X.shape[1] == 1 and Z.shape[1] == 1:
        x, z = X[:, 0], Z[:, 0]  # each scaled by its own power of two below
        fx, ex = _scaled_norm(x)
        fz, ez = _scaled_norm(z)
        if fx == 0.0:
            rho = 0.0
        else:
            rho = _ldexp(fx / fz, ex - ez)
            u = np.ldexp(x, -ex) / fx
            w = np.ldexp(z, -ez) / fz
            a, b = float(np.linalg.norm(u - w)), float(np.linalg.norm(u + w))
            angle = 2.0 * math.atan2(a, b)
            sin_angle = min(1.0, a * b / 2.0)
    return Pair(X=X, Z=Z, exponent=int(exponent), Xn=Xn, Zn=Zn, zz=zz, distance=distance, rel_distance=rel,
                rho=rho, angle=angle, sin_angle=sin_angle)


def as_pair(X, Z) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate a point ``X`` and a ground truth ``Z`` (finite, real, same ``n``, ``Z != 0``);
    returns ``(X, Z, ||Z^T Z||_F)`` (``= ||Z Z^T||_F``) for the instance *as given*.

    ``||Z^T Z||`` is computed without overflow; when it is not a normal float (the instance's
    scale is beyond about ``1e±77``) an :class:`InputError` says so, since a caller working at the
    given scale would overflow: use :func:`normalize_pair` (exact power-of-two normalization)."""
    p = normalize_pair(X, Z)
    g, eg = _scaled_gram_norm(p.Z)
    zz = _ldexp(g, eg)
    if not (math.isfinite(zz) and zz >= np.finfo(float).tiny):
        raise InputError(
            f"X, Z: ||Z Z^T|| = {g:.3g} * 2^{eg} is outside the double-precision range at the given scale "
            f"(largest entry ~ 2^{p.given_scale_exponent}); rescale X and Z by a common factor"
        )
    return p.X, p.Z, zz
