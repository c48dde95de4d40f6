"""Rationals for the exact checker: the python-flint loader, conversions, bounded printing, the
dyadic grid, recognition of small-denominator rationals, and small ``fmpq_mat`` helpers.

:func:`flint` is **the** python-flint loader of the project: every module that needs exact
arithmetic calls it (it raises :class:`~certify.check.exact.report.ExactUnavailableError`, with the
``pip install 'certify[exact]'`` hint, when python-flint is missing), so that importing the
package never needs python-flint.

Conventions: ``fl`` is the python-flint module; matrices are ``fmpq_mat``; ``vec`` is column-major
(``vec(U)`` stacks the columns of ``U``).  Floats are always taken at their exact binary value.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ...errors import InputError
from .report import ExactUnavailableError

__all__ = ["flint", "simplest_between", "GRID_BITS", "RECOGNIZE_TOL"]

#: relative accuracy required of a recognized small-denominator rational
RECOGNIZE_TOL = 1e-13
#: witness vectors are rounded to this dyadic grid (exactly representable as floats)
_DYADIC_BITS = 40
#: arrays that are not recognized as small-denominator rationals are rounded to the dyadic grid
#: of 2^-GRID_BITS times their largest entry (entries within 2^27 of the largest stay exact)
GRID_BITS = 80


def flint():
    """The python-flint module, imported on first use.

    Raises :class:`ExactUnavailableError` (a :class:`~certify.errors.CertifyError` and an
    :class:`ImportError`) with the ``pip install 'certify[exact]'`` hint when it is not installed.
    """
    try:
        import flint as module  # noqa: PLC0415
    except ImportError as exc:
        raise ExactUnavailableError(
            "exact verification needs python-flint (exact rational arithmetic); install it with "
            "pip install 'certify[exact]'"
        ) from exc
    return module


#: the former private name of :func:`flint`
_flint = flint


# ---------------------------------------------------------------------------------------------
# conversions and printing
# ---------------------------------------------------------------------------------------------
def _F(q) -> Fraction:
    """fmpq / int / Fraction / float (exact binary value) -> Fraction."""
    if isinstance(q, Fraction):
        return q
    if isinstance(q, (int, np.integer)):
        return Fraction(int(q))
    if isinstance(q, (float, np.floating)):
        return Fraction(float(q))
    return Fraction(int(q.p), int(q.q))


def _Q(x, fl):
    """Fraction / int / float (exact binary value) / fmpq -> fmpq."""
    if isinstance(x, (float, np.floating)):
        n, d = float(x).as_integer_ratio()
        return fl.fmpq(n, d)
    if isinstance(x, Fraction):
        return fl.fmpq(x.numerator, x.denominator)
    if isinstance(x, (int, np.integer)):
        return fl.fmpq(int(x))
    return x


def _qstr(q, limit: int = 300) -> str:
    """Exact string ``p/q``; abbreviated (approximate value and digit counts) beyond ``limit``
    characters.  The size is judged from the bit lengths first, so a huge rational is never
    expanded to decimal (CPython refuses ``str`` of integers above 4300 digits)."""
    f = _F(q)
    nbits = abs(f.numerator).bit_length() + f.denominator.bit_length()
    if nbits * 0.30103 <= limit - 2:
        return str(f)
    nd = int(abs(f.numerator).bit_length() * 0.30103) + 1
    dd = int(f.denominator.bit_length() * 0.30103) + 1
    return f"~{_float(f):.17g} (exact rational, about {nd}/{dd} digits)"


def _float(f: Fraction) -> float:
    """``float(f)`` without OverflowError: ±inf beyond the float range."""
    try:
        return float(f)
    except OverflowError:
        return math.inf if f > 0 else -math.inf


def _qd(q) -> dict:
    """A rational for a report: ``{"exact": "p/q" (bounded), "float"}``."""
    return {"exact": _qstr(q), "float": float(_F(q))}


# ---------------------------------------------------------------------------------------------
# recognition and the dyadic grid
# ---------------------------------------------------------------------------------------------
def simplest_between(lo, hi) -> Fraction:
    """The rational of smallest denominator in the closed interval ``[lo, hi]`` (``0 <= lo <= hi``)."""
    lo, hi = Fraction(lo), Fraction(hi)
    if lo < 0 or hi < lo:
        raise InputError(f"simplest_between: expected 0 <= lo <= hi, got {lo}, {hi}")
    a = lo.numerator // lo.denominator
    if a == lo:
        return Fraction(a)
    if a + 1 <= hi:
        return Fraction(a + 1)
    return a + 1 / simplest_between(1 / (hi - a), 1 / (lo - a))


def _recognize_scalar(x: float, max_den: int) -> Fraction | None:
    """The rational of denominator ``<= max_den`` next to ``x`` if it reproduces ``x`` to
    ``RECOGNIZE_TOL`` (relative), else None."""
    fr = Fraction(float(x)).limit_denominator(max_den)
    if abs(float(fr) - float(x)) <= RECOGNIZE_TOL * abs(float(x)) or (x == 0.0):
        return fr
    return None


def _rationalize(a, max_den: int) -> tuple[list, str]:
    """Entries of a float array as Fractions: all recognized (small denominators), or all rounded
    to the dyadic grid ``2^-GRID_BITS`` relative to the array's largest entry (:func:`_grid`)."""
    flat = [float(v) for v in np.asarray(a, dtype=float).ravel(order="C")]
    scale = max((abs(v) for v in flat), default=0.0)
    if scale == 0.0:
        return [Fraction(0)] * len(flat), "recognized"
    out = []
    for v in flat:
        fr = Fraction(v).limit_denominator(max_den)
        if abs(float(fr) - v) > RECOGNIZE_TOL * scale:
            break
        out.append(fr)
    else:
        return out, "recognized"
    return _grid(flat), "dyadic"


def _grid(flat) -> list[Fraction]:
    """Round floats to the grid ``2^(e - GRID_BITS)``, ``2^e >= max |v|``: bounded denominators, and
    exact (the float's own value) for every entry within ``2^(GRID_BITS - 53)`` of the largest."""
    flat = [float(v) for v in flat]
    scale = max((abs(v) for v in flat), default=0.0)
    if scale == 0.0:
        return [Fraction(0)] * len(flat)
    e = math.frexp(scale)[1] - GRID_BITS  # grid step 2^e
    return [Fraction(round(Fraction(v) / Fraction(2) ** e)) * Fraction(2) ** e for v in flat]


def _dyadic(v) -> list[float]:
    """Round a float vector (scaled to max |v| = 1) to the grid 2^-40: exact as floats and as rationals."""
    v = np.asarray(v, dtype=float).ravel()
    m = float(np.max(np.abs(v))) if v.size else 0.0
    if m == 0.0 or not np.isfinite(m):
        return [0.0] * v.size
    s = float(2**_DYADIC_BITS)
    return [float(round(x / m * s)) / s for x in v]


# ---------------------------------------------------------------------------------------------
# fmpq_mat helpers
# ---------------------------------------------------------------------------------------------
def _mat(rows, fl):
    """A nested sequence (rows) -> fmpq_mat."""
    rows = [list(r) for r in rows]
    m = len(rows)
    n = len(rows[0]) if m else 0
    return fl.fmpq_mat(m, n, [_Q(x, fl) for r in rows for x in r])


def _as_fmpq_mat(M, fl):
    """fmpq_mat, NumPy array or nested sequence -> fmpq_mat."""
    if isinstance(M, fl.fmpq_mat):
        return M
    if isinstance(M, np.ndarray):
        return _mat(M.tolist(), fl)
    return _mat(M, fl)


def _from_flat(vals, m, n, fl):
    """Row-major values -> ``m x n`` fmpq_mat."""
    return fl.fmpq_mat(m, n, [_Q(x, fl) for x in vals])


def _eye(n, fl, s=1):
    """``s I_n``."""
    M = fl.fmpq_mat(n, n)
    for i in range(n):
        M[i, i] = s
    return M


def _col(vals, fl):
    """A column fmpq_mat."""
    return fl.fmpq_mat(len(vals), 1, [_Q(x, fl) for x in vals])


def _entries(M) -> list:
    """fmpq_mat -> list of rows of fmpq."""
    return [[M[i, j] for j in range(M.ncols())] for i in range(M.nrows())]


def _to_np(M) -> np.ndarray:
    """fmpq_mat -> float array (a proposal only: rounded)."""
    return np.array([[float(M[i, j]) for j in range(M.ncols())] for i in range(M.nrows())], dtype=float).reshape(
        M.nrows(), M.ncols()
    )


def _frob2(M):
    """``||M||_F^2``, exactly (fmpq; the int 0 for an empty matrix)."""
    s = 0
    for x in M.entries():
        s += x * x
    return s


def _dot(a, b):
    """Inner product of two column fmpq_mats."""
    return (a.transpose() * b)[0, 0]


def _quad(M, v, fl):
    """``v^T M v`` exactly (``v`` a sequence of numbers)."""
    x = _col(v, fl)
    return (x.transpose() * M * x)[0, 0]


def _vec(M, fl):
    """``vec(M)`` (column-major) as a column."""
    n = M.nrows()
    return fl.fmpq_mat(n * M.ncols(), 1, [M[i, j] for j in range(M.ncols()) for i in range(n)])


def _unvec(v, n, fl):
    """The inverse of :func:`_vec` for ``n`` rows."""
    k = v.nrows() // n
    return fl.fmpq_mat(n, k, [v[i + n * j, 0] for i in range(n) for j in range(k)])


def _sym(M, fl):
    """``(M + M^T) / 2``."""
    half = fl.fmpq(1, 2)
    return (M + M.transpose()) * half


def _sym_basis_exact(n, fl):
    """A basis (columns, ``n^2 x n(n+1)/2``, not orthonormal) of ``vec`` of the symmetric ``n x n``
    matrices: ``vec(E_ij + E_ji)`` for ``i < j`` and ``vec(E_ii)``."""
    cols = []
    for j in range(n):
        for i in range(j + 1):
            v = [0] * (n * n)
            v[i + n * j] = 1
            v[j + n * i] = 1
            cols.append(v)
    return fl.fmpq_mat(n * n, len(cols), [fl.fmpq(cols[c][k]) for k in range(n * n) for c in range(len(cols))])
