"""The exact PSD test of the checker: :func:`psd_test` (public) and :func:`_psd` (fmpq in, fmpq out).

Three methods, every decision exact:

* ``ldlt`` — ``LDL^T`` with symmetric (diagonal) pivoting, robust to zero pivots (a zero diagonal
  with a nonzero off-diagonal entry is indefinite; the all-zero Schur complement is PSD), with a
  witness ``v`` (``v^T M v < 0``) built by back-substitution.  Used up to ``LDL_MAX`` rows.
* ``rounding`` — above ``LDL_MAX`` rows, a matrix that is clearly definite in floating point is
  proved definite by rounding it to a dyadic grid ``h`` and checking ``M_0 - (τ/2) I ⪰ 0`` exactly on
  the small-integer matrix, with ``||M - M_0||_2 <= N h / 2 <= τ/4`` by construction (Weyl).
* ``charpoly`` — anything else: the exact inertia from the characteristic polynomial (FLINT's
  multimodular ``charpoly``; a real symmetric matrix has only real eigenvalues, so Descartes' rule
  of signs is exact), and a witness from a float eigenvector (evaluated exactly) or, failing that,
  from the ``LDL^T``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import InputError
from .rational import _F, _Q, _as_fmpq_mat, _dyadic, _entries, _quad, _to_np, flint

__all__ = ["PsdResult", "psd_test", "LDL_MAX"]

#: exact ``LDL^T`` up to this size; above it the inertia comes from the characteristic polynomial
LDL_MAX = 40


@dataclass
class PsdResult:
    """Result of :func:`psd_test` (all numbers exact :class:`fractions.Fraction`).

    ``psd``: the matrix is positive semidefinite.  ``inertia``: (positive, zero, negative)
    eigenvalue counts when known.  ``min_pivot``: the smallest ``LDL^T`` pivot (``0`` when a zero
    block remains; ``ldlt`` only).  ``witness``/``value``: for a matrix that is not PSD, a vector
    ``v`` with ``v^T M v = value < 0``.
    """

    psd: bool
    method: str
    inertia: tuple | None = None
    min_pivot: Fraction | None = None
    witness: list | None = None
    value: Fraction | None = None


def psd_test(M, method: str = "auto") -> PsdResult:
    """Exact positive-semidefiniteness test of a symmetric rational matrix.

    ``M``: a python-flint ``fmpq_mat`` or a nested sequence of ints, Fractions, fmpq or floats
    (floats are taken at their exact binary value).  ``method``: ``"ldlt"`` (symmetric pivoting,
    gives pivots and a witness), ``"charpoly"`` (inertia from the characteristic polynomial by
    Descartes' rule, exact for symmetric matrices), or ``"auto"`` (``ldlt`` up to ``LDL_MAX``).
    """
    fl = flint()
    Mq = _as_fmpq_mat(M, fl)
    ok, meth, inertia, mp, w, val = _psd(Mq, fl, method)
    return PsdResult(
        psd=bool(ok), method=meth, inertia=inertia, min_pivot=None if mp is None else _F(mp),
        witness=None if w is None else [_F(x) for x in w], value=None if val is None else _F(val),
    )


def _psd(M, fl, method: str = "auto"):
    """Internal version of :func:`psd_test` (fmpq in, fmpq out):
    ``(psd, method, inertia, min_pivot, witness, value)``."""
    n = M.nrows()
    if M.ncols() != n:
        raise InputError(f"psd_test: expected a square matrix, got {n} x {M.ncols()}")
    if M != M.transpose():
        raise InputError("psd_test: the matrix is not exactly symmetric")
    if n == 0:
        return True, "ldlt", (0, 0, 0), None, None, None
    if method not in ("auto", "ldlt", "charpoly"):
        raise InputError(f"psd_test: method must be 'auto', 'ldlt' or 'charpoly', got {method!r}")
    if method == "ldlt" or (method == "auto" and n <= LDL_MAX):
        ok, inertia, mp, w, val = _ldlt(_entries(M), fl)
        return ok, "ldlt", inertia, mp, w, val
    Mf = _to_np(M)
    lam_f = np.linalg.eigvalsh(Mf)
    if lam_f[0] > 1e-12 * max(float(np.max(np.abs(Mf))), 1e-300):
        lb = _pd_by_rounding(M, float(lam_f[0]), fl)
        if lb is not None:
            return True, "rounding", (n, 0, 0), lb, None, None
    return _psd_charpoly(M, fl, n)


# ---------------------------------------------------------------------------------------------
# LDL^T with symmetric pivoting
# ---------------------------------------------------------------------------------------------
def _ldlt(A, fl):
    """Symmetric-pivoting ``LDL^T`` on a list-of-lists of fmpq (modified in place):
    ``(psd, inertia, min_pivot, witness, value)``.

    Each step takes the largest remaining diagonal entry as pivot; a negative diagonal entry
    stops with the witness ``e_i``; an all-zero remaining diagonal is PSD iff the block is zero
    (else the witness ``e_i ∓ e_j``).  The witness is carried back through the eliminations.
    """
    n = len(A)
    active = list(range(n))
    steps, pivots = [], []
    while active:
        neg = min(active, key=lambda i: A[i][i])
        if A[neg][neg] < 0:
            return _ldlt_indefinite(steps, pivots, {neg: fl.fmpq(1)}, A[neg][neg], n, fl)
        p = max(active, key=lambda i: A[i][i])
        if A[p][p] == 0:
            # every remaining diagonal entry is zero: PSD iff the whole block is zero
            found = _zero_block_witness(A, active, fl)
            if found is not None:
                return _ldlt_indefinite(steps, pivots, *found, n, fl)
            break
        active.remove(p)
        _eliminate(A, p, active, steps, pivots)
    zero = len(active)
    mp = min(pivots) if pivots else None
    if zero:
        mp = fl.fmpq(0)
    return True, (len(pivots), zero, 0), mp, None, None


def _eliminate(A, p, active, steps, pivots) -> None:
    """One elimination step with pivot ``p`` on the Schur complement of ``active`` (in place);
    records ``(p, active, multipliers)`` in ``steps`` and the pivot in ``pivots``."""
    piv = A[p][p]
    inv = 1 / piv
    col = [A[i][p] for i in active]
    ls = [c * inv for c in col]
    steps.append((p, list(active), ls))
    pivots.append(piv)
    for a, i in enumerate(active):
        li = ls[a]
        if li == 0:
            continue
        Ai = A[i]
        for b in range(a, len(active)):
            j = active[b]
            cb = col[b]
            if cb == 0:
                continue
            Ai[j] -= li * cb
            if j != i:
                A[j][i] = Ai[j]


def _zero_block_witness(A, active, fl):
    """For a Schur complement with zero diagonal: ``({i: 1, j: ∓1}, -2 |A_ij|)`` at its first nonzero
    off-diagonal entry, or None when the block is zero (PSD)."""
    for ia, i in enumerate(active):
        for j in active[ia + 1:]:
            if A[i][j] != 0:
                s = 1 if A[i][j] > 0 else -1
                return {i: fl.fmpq(1), j: fl.fmpq(-s)}, -2 * abs(A[i][j])
    return None


def _ldlt_indefinite(steps, pivots, witness_local, value, n, fl):
    """The "not PSD" result: the local witness (on the Schur complement) carried back to the whole
    matrix by back-substitution, ``v_p = -sum_i l_i v_i`` in reverse elimination order."""
    v = {i: fl.fmpq(0) for i in range(n)}
    v.update(witness_local)
    for p, act, ls in reversed(steps):
        s = fl.fmpq(0)
        for i, li in zip(act, ls, strict=True):
            if li != 0 and v[i] != 0:
                s += li * v[i]
        v[p] = -s
    mp = min(pivots + [value]) if pivots else value
    return False, None, mp, [v[i] for i in range(n)], value


# ---------------------------------------------------------------------------------------------
# large matrices: rounding, characteristic polynomial
# ---------------------------------------------------------------------------------------------
def _inertia_from_charpoly(coeffs, n) -> tuple[int, int, int]:
    """``(positive, zero, negative)`` eigenvalue counts of a real symmetric ``n x n`` matrix from its
    characteristic polynomial (coefficients low -> high degree): Descartes' rule of signs is exact
    when every root is real."""
    k = next(i for i, c in enumerate(coeffs) if c != 0)
    signs = [1 if c > 0 else -1 for c in coeffs[k:] if c != 0]
    changes = sum(1 for a, b in zip(signs, signs[1:], strict=False) if a != b)
    return changes, k, n - changes - k


def _pd_by_rounding(M, lam_min_float, fl):
    """Prove ``M ≻ 0`` for a clearly definite ``M`` cheaply; returns a certified lower bound on
    ``λ_min(M)`` (exact), or None when the argument does not close.

    With ``τ`` a power of two below ``λ_min/2`` (a float estimate, only a proposal) and ``M_0`` the
    entries of ``M`` rounded to nearest on the grid ``h = 2^-k <= τ / (2N)`` (so
    ``||M - M_0||_2 <= ||M - M_0||_F <= N h / 2 <= τ/4``): if exactly ``M_0 - (τ/2) I ⪰ 0`` (integer
    characteristic polynomial, Descartes) then ``λ_min(M) >= τ/2 - τ/4 = τ/4 > 0`` (Weyl).  The
    integer matrix has small entries, so this is much faster than the characteristic polynomial of
    ``M`` itself.
    """
    N = M.nrows()
    tau_e = math.floor(math.log2(lam_min_float / 2.0))
    k = -(tau_e - math.ceil(math.log2(2 * N)))  # h = 2^-k <= tau / (2N)
    if k > 4000 or k < -4000:
        return None
    # entries rounded to nearest on the grid h = 2^-k: |x - v h| <= h/2 by construction, so
    # ||M - M_0||_F <= N h / 2 <= τ/4 < τ/2 without computing it
    ints = _grid_integers(M, k)
    shift_e = tau_e - 1 + k  # (τ/2) / h = 2^shift_e, an integer
    if shift_e < 0:
        return None
    s = 1 << shift_e
    for i in range(N):
        ints[i * N + i] -= s
    coeffs = fl.fmpz_mat(N, N, ints).charpoly().coeffs()
    if _inertia_from_charpoly(coeffs, N)[2] != 0:  # M_0 - (τ/2) I has a negative eigenvalue: inconclusive
        return None
    # λ_min(M) >= λ_min(M_0) - ||M - M_0||_2 >= τ/2 - τ/4 = τ/4
    quarter = Fraction(2) ** (tau_e - 2)
    return fl.fmpq(quarter.numerator, quarter.denominator)


def _grid_integers(M, k) -> list[int]:
    """The entries of ``M`` (row-major) rounded to nearest on the grid ``2^-k``, as integers
    ``floor(x 2^k + 1/2)``."""
    ints = []
    for x in M.entries():
        p, q = int(x.p), int(x.q)
        if k >= 0:
            ints.append((2 * (p << k) + q) // (2 * q))  # floor(x 2^k + 1/2)
        else:
            den = q << (-k)
            ints.append((2 * p + den) // (2 * den))
    return ints


def _psd_charpoly(M, fl, n):
    """The ``charpoly`` method: exact inertia, and a witness when ``M`` is not PSD."""
    pos, zero, neg = _inertia_from_charpoly(M.charpoly().coeffs(), n)
    if neg == 0:
        return True, "charpoly", (pos, zero, 0), None, None, None
    # a witness: the float eigenvector of the smallest eigenvalue, evaluated exactly
    lam, V = np.linalg.eigh(_to_np(M))
    w = [_Q(x, fl) for x in _dyadic(V[:, 0])]
    val = _quad(M, w, fl)
    if not val < 0:
        ok, _, _, w, val = _ldlt(_entries(M), fl)
    return False, "charpoly", (pos, zero, neg), None, w, val
