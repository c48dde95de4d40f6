"""Exact arithmetic in a real quadratic field ``K = Q(√m)`` and the exact checks of BM sensing over
it — part of the trusted kernel.

The sharp overparameterized threshold ``1/(1 + √(r*/r)) = (r - √(r r*)) / (r - r*)`` is irrational
in general, so a certificate *at* the threshold cannot have rational entries.  Its numbers live in
``Q(√(r r*))``; this module decides, exactly, every claim a certificate over such a field makes.

The field
---------
:class:`QuadraticField` ``K = Q(√m)``, ``m >= 1`` squarefree (``m = 1`` is ``Q`` itself), and its
elements :class:`QF` ``a + b√m`` with ``a, b`` rationals (python-flint ``fmpq``).  Sums, products and
inverses (``1/(a + b√m) = (a - b√m)/(a² - m b²)``) stay in ``K``; the sign of ``a + b√m`` is
decided exactly (equal signs of ``a`` and ``b`` decide it, otherwise the sign of ``a² - m b²``,
times the sign of ``a``).  Elements are written ``"a"``, ``"a + b*sqrt(m)"``, ``"b*sqrt(m)"``
(``a``, ``b`` integers or ``p/q``): :meth:`QuadraticField.parse`, :func:`qf_str`.

Linear algebra
--------------
Matrices are sparse (a dict of rows, each a dict ``column -> QF``; zeros are not stored), since a
threshold certificate of size ``d = 16`` is a ``256 x 256`` operator that differs from the
identity in a few hundred entries.  :func:`psd` is the exact PSD test: ``LDL^T`` with symmetric
(diagonal) pivoting — a negative diagonal entry is a witness ``e_i``; when every remaining diagonal
entry is zero the block is PSD iff it is zero, else ``e_i ∓ e_j`` is a witness — with the witness
carried back through the eliminations (``v_p = -Σ l_i v_i``) and evaluated exactly.  The pivot is
the largest remaining diagonal entry by its float value (a proposal; its sign is decided exactly).

BM sensing over K
-----------------
Conventions of REFERENCE §1 (those of :mod:`certify.check.exact.operator_proof`): ``vec`` is
column-major, ``f(X) = e^T H e`` with ``e = vec(X X^T - M)``, no ½; ``𝐗 vec(U) = vec(X U^T + U X^T)``
so ``𝐗^T v = vec((V + V^T) X)`` for ``v = vec(V)``; ``∇f = 2 𝐗^T H e``; the second-order matrix is
``½ ∇²f = 𝐗^T H 𝐗 + 2 [I_r ⊗ sym(mat(H e))]``.  :func:`derivatives` computes them exactly;
:func:`rotation_complement` is an exact basis of the orthogonal complement of the rotation
directions ``{vec(X Ω) : Ω = -Ω^T}``; :func:`dual_matrix` is the matrix ``G`` of a dual point
``(y, V)`` of ``LMI(X, Z)`` (:mod:`certify.check.duality`): for every symmetric ``H``,
``<H, -G> = <y, 𝐗^T H e> + <V, ½ ∇²f>``.

No solver, no SciPy: python-flint (through the one loader) and the standard library only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from ...errors import CertificateFormatError, InputError
from .rational import flint

__all__ = ["QuadraticField", "QF", "qf_str", "squarefree_part", "psd", "PsdOutcome", "derivatives", "Derivatives",
           "rotation_complement", "dual_matrix", "MAX_M", "MAX_ENTRY_CHARS"]

#: largest ``m`` of a field ``Q(√m)`` accepted (squarefreeness is checked by trial division)
MAX_M = 10**6
#: longest text of one field element accepted in a file
MAX_ENTRY_CHARS = 2000

_RAT = r"\d+(?:/\d+)?"
_ELEMENT = re.compile(rf"^\s*(?P<a>[+-]?\s*{_RAT})?\s*(?:(?P<sign>[+-])?\s*(?P<b>{_RAT})\s*\*\s*sqrt\(\s*(?P<m>\d+)\s*\))?\s*$")


def squarefree_part(k: int) -> tuple[int, int]:
    """``(s, m)`` with ``k = s² m``, ``m`` squarefree (``k >= 1``, trial division)."""
    if not isinstance(k, int) or k < 1:
        raise InputError(f"squarefree_part: expected an integer >= 1, got {k!r}")
    s, m, p = 1, k, 2
    while p * p <= m:
        while m % (p * p) == 0:
            m //= p * p
            s *= p
        p += 1
    return s, m


class QuadraticField:
    """``Q(√m)`` for a squarefree integer ``1 <= m <= MAX_M`` (``m = 1``: the rationals)."""

    def __init__(self, m: int):
        if isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= MAX_M:
            raise InputError(f"field: expected a squarefree integer m in [1, {MAX_M}], got {m!r}")
        if squarefree_part(m)[1] != m:
            raise InputError(f"field: m = {m} is not squarefree")
        self.m = m
        self.fl = flint()
        self.zero = QF(self, self.fl.fmpq(0), self.fl.fmpq(0))
        self.one = QF(self, self.fl.fmpq(1), self.fl.fmpq(0))

    @property
    def name(self) -> str:
        return "Q" if self.m == 1 else f"Q(sqrt({self.m}))"

    def __eq__(self, other):
        return isinstance(other, QuadraticField) and other.m == self.m

    def __hash__(self):
        return hash(("QuadraticField", self.m))

    def __repr__(self) -> str:
        return f"QuadraticField({self.m})"

    def q(self, x):
        """A rational (int, Fraction, fmpq, ``"p/q"``) as ``fmpq``."""
        fl = self.fl
        if isinstance(x, fl.fmpq):
            return x
        if isinstance(x, bool):
            raise InputError("field: a bool is not a number")
        if isinstance(x, int):
            return fl.fmpq(x)
        if isinstance(x, Fraction):
            return fl.fmpq(x.numerator, x.denominator)
        if isinstance(x, str):
            f = Fraction(x.replace(" ", ""))
            return fl.fmpq(f.numerator, f.denominator)
        raise InputError(f"field: expected a rational number, got {x!r} ({type(x).__name__})")

    def __call__(self, a=0, b=0) -> QF:
        """The element ``a + b√m`` (``b`` must be 0 when ``m = 1``... it is folded into ``a``)."""
        a, b = self.q(a), self.q(b)
        if self.m == 1:
            return QF(self, a + b, self.fl.fmpq(0))
        return QF(self, a, b)

    def sqrt(self, k: int) -> QF | None:
        """``√k`` as an element of the field, or None when it is not in it (``k >= 0``)."""
        if k == 0:
            return self.zero
        s, mk = squarefree_part(k)
        if mk == 1:
            return self(s)
        return self(0, s) if mk == self.m else None

    def parse(self, text) -> QF:
        """Read ``"a"``, ``"a + b*sqrt(m)"``, ``"a - b*sqrt(m)"``, ``"b*sqrt(m)"`` (integers or ``p/q``; the
        ``m`` written must be this field's).  Raises :class:`CertificateFormatError`."""
        if isinstance(text, int) and not isinstance(text, bool):
            return self(text)
        if not isinstance(text, str) or len(text) > MAX_ENTRY_CHARS:
            raise CertificateFormatError(f"field element: expected a string such as '1/2 + 3*sqrt({self.m})' of at most "
                                         f"{MAX_ENTRY_CHARS} characters, got {str(text)[:60]!r}")
        mt = _ELEMENT.match(text)
        if mt is None or (mt.group("a") is None and mt.group("b") is None):
            raise CertificateFormatError(f"field element: cannot read {text[:60]!r} (expected 'a', 'a + b*sqrt(m)' "
                                         "with integers or p/q)")
        if mt.group("b") is not None and int(mt.group("m")) != self.m:
            raise CertificateFormatError(f"field element {text[:60]!r}: sqrt({mt.group('m')}) is not the field's "
                                         f"sqrt({self.m})")
        try:
            a = self.q(mt.group("a")) if mt.group("a") is not None else self.fl.fmpq(0)
            b = self.q(mt.group("b")) if mt.group("b") is not None else self.fl.fmpq(0)
        except (ValueError, ZeroDivisionError) as exc:
            raise CertificateFormatError(f"field element {text[:60]!r}: {exc}") from exc
        return self(a, -b if mt.group("sign") == "-" else b)


class QF:
    """An element ``a + b√m`` of a :class:`QuadraticField` (immutable; ``a``, ``b`` are ``fmpq``)."""

    __slots__ = ("K", "a", "b")

    def __init__(self, K: QuadraticField, a, b):
        self.K, self.a, self.b = K, a, b

    def _coerce(self, y) -> QF:
        if isinstance(y, QF):
            if y.K.m != self.K.m:
                raise InputError(f"field: cannot combine elements of {self.K.name} and {y.K.name}")
            return y
        return self.K(y)

    def __add__(self, y):
        y = self._coerce(y)
        return QF(self.K, self.a + y.a, self.b + y.b)

    __radd__ = __add__

    def __sub__(self, y):
        y = self._coerce(y)
        return QF(self.K, self.a - y.a, self.b - y.b)

    def __rsub__(self, y):
        return self._coerce(y) - self

    def __neg__(self):
        return QF(self.K, -self.a, -self.b)

    def __mul__(self, y):
        y = self._coerce(y)
        if self.b == 0 and y.b == 0:
            return QF(self.K, self.a * y.a, self.b)
        return QF(self.K, self.a * y.a + self.K.m * self.b * y.b, self.a * y.b + self.b * y.a)

    __rmul__ = __mul__

    def norm(self):
        """``a² - m b²`` (nonzero for a nonzero element: ``√m`` is irrational for ``m > 1``)."""
        return self.a * self.a - self.K.m * self.b * self.b

    def inverse(self) -> QF:
        if self.is_zero():
            raise ZeroDivisionError("division by zero in the field")
        n = self.norm()
        return QF(self.K, self.a / n, -self.b / n)

    def __truediv__(self, y):
        return self * self._coerce(y).inverse()

    def __rtruediv__(self, y):
        return self._coerce(y) * self.inverse()

    def is_zero(self) -> bool:
        return self.a == 0 and self.b == 0

    def sign(self) -> int:
        """The exact sign (-1, 0, 1)."""
        sa = (self.a > 0) - (self.a < 0)
        sb = (self.b > 0) - (self.b < 0)
        if sb == 0 or sa == sb:
            return sa if sa else sb
        if sa == 0:
            return sb
        n = self.norm()  # a² - m b², with a and b of opposite signs
        sn = (n > 0) - (n < 0)
        return sa * sn

    def __eq__(self, y):
        try:
            return (self - y).is_zero()
        except InputError:
            return False

    def __hash__(self):
        return hash((self.K.m, int(self.a.p), int(self.a.q), int(self.b.p), int(self.b.q)))

    def __lt__(self, y):
        return (self - y).sign() < 0

    def __le__(self, y):
        return (self - y).sign() <= 0

    def __gt__(self, y):
        return (self - y).sign() > 0

    def __ge__(self, y):
        return (self - y).sign() >= 0

    def __float__(self) -> float:
        return _fq(self.a) + _fq(self.b) * math.sqrt(self.K.m)

    def __repr__(self) -> str:
        return f"QF({qf_str(self)})"

    def __str__(self) -> str:
        return qf_str(self)


def _fq(q) -> float:
    """``fmpq`` -> float without overflow errors (±inf beyond the range)."""
    try:
        return float(Fraction(int(q.p), int(q.q)))
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def _rat_str(q) -> str:
    return str(int(q.p)) if q.q == 1 else f"{int(q.p)}/{int(q.q)}"


def qf_str(x: QF) -> str:
    """``"a"``, ``"a + b*sqrt(m)"``, ``"a - b*sqrt(m)"`` or ``"b*sqrt(m)"`` (what :meth:`QuadraticField.parse` reads)."""
    if x.b == 0:
        return _rat_str(x.a)
    root = f"{_rat_str(abs(x.b))}*sqrt({x.K.m})"
    if x.a == 0:
        return root if x.b > 0 else f"-{root}"
    return f"{_rat_str(x.a)} {'+' if x.b > 0 else '-'} {root}"


# ---------------------------------------------------------------------------------------------
# sparse matrices: dict of rows {i: {j: QF}}, zeros not stored
# ---------------------------------------------------------------------------------------------
def _add_to(row: dict, j, v) -> None:
    """``row[j] += v``, dropping an exact zero."""
    w = row.get(j)
    w = v if w is None else w + v
    if w.is_zero():
        row.pop(j, None)
    else:
        row[j] = w


def sp_mul(A: dict, B: dict) -> dict:
    """``A B`` for sparse row dicts."""
    out: dict = {}
    for i, row in A.items():
        acc: dict = {}
        for k, a in row.items():
            for j, b in B.get(k, {}).items():
                _add_to(acc, j, a * b)
        if acc:
            out[i] = acc
    return out


def sp_transpose(A: dict) -> dict:
    out: dict = {}
    for i, row in A.items():
        for j, v in row.items():
            out.setdefault(j, {})[i] = v
    return out


def sp_add(A: dict, B: dict, s=None) -> dict:
    """``A + s B`` (``s`` an element or None for 1)."""
    out = {i: dict(row) for i, row in A.items()}
    for i, row in B.items():
        acc = out.setdefault(i, {})
        for j, v in row.items():
            _add_to(acc, j, v if s is None else s * v)
        if not acc:
            out.pop(i)
    return out


def sp_matvec(A: dict, v: dict) -> dict:
    """``A v`` for a sparse vector ``{index: QF}``."""
    out: dict = {}
    for i, row in A.items():
        acc = None
        for k, a in row.items():
            x = v.get(k)
            if x is not None:
                acc = a * x if acc is None else acc + a * x
        if acc is not None and not acc.is_zero():
            out[i] = acc
    return out


def sp_is_symmetric(A: dict) -> tuple | None:
    """None if ``A = A^T`` exactly, else the first ``(i, j)`` where it is not."""
    for i, row in A.items():
        for j, v in row.items():
            w = A.get(j, {}).get(i)
            if w is None or not (w - v).is_zero():
                return (i, j)
    return None


def sp_trace(A: dict, K: QuadraticField) -> QF:
    t = K.zero
    for i, row in A.items():
        if i in row:
            t = t + row[i]
    return t


def sp_shift(A: dict, n: int, s: QF, c: int = 1) -> dict:
    """``c A + s I_n`` (``c = ±1``)."""
    out = {i: {j: (v if c == 1 else -v) for j, v in row.items()} for i, row in A.items()}
    for i in range(n):
        _add_to(out.setdefault(i, {}), i, s)
        if not out[i]:
            out.pop(i)
    return out


# ---------------------------------------------------------------------------------------------
# the exact PSD test
# ---------------------------------------------------------------------------------------------
@dataclass
class PsdOutcome:
    """``psd``; ``inertia`` ``(positive, zero, negative)`` when PSD (negative 0) or None; for a
    matrix that is not PSD a ``witness`` ``{index: QF}`` with ``v^T A v = value < 0`` (checked)."""

    psd: bool
    inertia: tuple | None = None
    witness: dict | None = None
    value: QF | None = None
    min_pivot: QF | None = None


def psd(A: dict, n: int, K: QuadraticField) -> PsdOutcome:
    """Exact PSD test of the symmetric sparse ``n x n`` matrix ``A`` over ``K`` (module docstring).
    ``A`` must be exactly symmetric (the caller checks it: :func:`sp_is_symmetric`)."""
    W = {i: dict(A.get(i, {})) for i in range(n)}
    active = set(range(n))
    steps: list = []
    pivots: list = []
    while active:
        p, neg = _pivot(W, active)
        if neg is not None:
            return _indefinite(A, steps, {neg: K.one}, K)
        if p is None:  # every remaining diagonal entry is zero: PSD iff the block is zero
            found = _zero_block_witness(W, active, K)
            if found is not None:
                return _indefinite(A, steps, found, K)
            break
        active.discard(p)
        steps.append((p, _eliminate(W, p, active)))
        pivots.append(W[p][p])
    zero = len(active)
    mp = None if not pivots else min(pivots, key=float)
    return PsdOutcome(True, (len(pivots), zero, 0), min_pivot=K.zero if zero else mp)


def _pivot(W: dict, active: set):
    """``(pivot, None)``: the active index with the largest positive diagonal entry (by float,
    sign exact), ``(None, i)`` for an exactly negative diagonal entry, ``(None, None)`` if all are zero."""
    best, best_f = None, -math.inf
    for i in active:
        v = W[i].get(i)
        if v is None:
            continue
        s = v.sign()
        if s < 0:
            return None, i
        f = float(v)
        if s > 0 and (f > best_f or best is None):
            best, best_f = i, f
    return best, None


def _eliminate(W: dict, p: int, active: set) -> list:
    """One elimination step with pivot ``p`` on the active Schur complement (in place); returns the
    multipliers ``[(i, l_i)]``."""
    inv = W[p][p].inverse()
    col = [(i, c) for i, c in W[p].items() if i in active]
    ls = [(i, c * inv) for i, c in col]
    for i, li in ls:
        Wi = W[i]
        for j, cj in col:
            _add_to(Wi, j, -(li * cj))
    return ls


def _zero_block_witness(W: dict, active: set, K: QuadraticField):
    """For a Schur complement with zero diagonal: ``{i: 1, j: ∓1}`` at a nonzero off-diagonal entry,
    or None when the block is zero."""
    for i in sorted(active):
        for j, v in W[i].items():
            if j in active and j != i and not v.is_zero():
                return {i: K.one, j: K(-1) if v.sign() > 0 else K.one}
    return None


def _indefinite(A: dict, steps: list, local: dict, K: QuadraticField) -> PsdOutcome:
    """The witness on the Schur complement carried back (``v_p = -Σ l_i v_i`` in reverse order) and
    evaluated exactly on the original matrix."""
    v = dict(local)
    for p, ls in reversed(steps):
        s = K.zero
        for i, li in ls:
            x = v.get(i)
            if x is not None:
                s = s + li * x
        if not s.is_zero():
            v[p] = -s
    Av = sp_matvec(A, v)
    val = K.zero
    for i, x in v.items():
        y = Av.get(i)
        if y is not None:
            val = val + x * y
    if val.sign() >= 0:  # cannot happen: a negative Schur-complement diagonal entry is a negative direction
        raise RuntimeError(f"internal error in the exact LDL^T: the witness gives v^T A v = {qf_str(val)} >= 0")
    return PsdOutcome(False, witness=v, value=val)


# ---------------------------------------------------------------------------------------------
# BM sensing over K
# ---------------------------------------------------------------------------------------------
def _vec_of(M: list, d: int) -> dict:
    """``vec`` (column-major) of a dense ``d x d`` list of rows, as a sparse vector."""
    return {i + d * j: M[i][j] for j in range(d) for i in range(d) if not M[i][j].is_zero()}


def residual_vector(X: list, M: list, K: QuadraticField) -> dict:
    """``e = vec(X X^T - M)`` (sparse)."""
    d, r = len(X), len(X[0])
    E = [[K.zero] * d for _ in range(d)]
    for i in range(d):
        for j in range(d):
            s = -M[i][j]
            for k in range(r):
                if not X[i][k].is_zero() and not X[j][k].is_zero():
                    s = s + X[i][k] * X[j][k]
            E[i][j] = s
    return _vec_of(E, d)


def jacobian_columns(X: list, K: QuadraticField) -> list:
    """The columns of ``𝐗`` (``d² x d r``), column ``i + d k`` being ``vec(X E_ki + E_ik X^T)``."""
    d, r = len(X), len(X[0])
    cols = []
    for k in range(r):
        for i in range(d):
            col: dict = {}
            for a in range(d):
                x = X[a][k]
                if x.is_zero():
                    continue
                _add_to(col, a + d * i, x)  # (X U^T)_{a i} = X_{a k}
                _add_to(col, i + d * a, x)  # (U X^T)_{i a} = X_{a k}
            cols.append(col)
    return cols


def jacobian_transpose(v: dict, X: list, K: QuadraticField) -> dict:
    """``𝐗^T v = vec((V + V^T) X)`` for ``v = vec(V)`` (sparse in, sparse out; index ``i + d k``)."""
    d, r = len(X), len(X[0])
    S: dict = {}
    for idx, x in v.items():
        i, j = idx % d, idx // d
        _add_to(S.setdefault(i, {}), j, x)
        _add_to(S.setdefault(j, {}), i, x)
    out: dict = {}
    for i, row in S.items():
        for k in range(r):
            acc = None
            for a, s in row.items():
                xa = X[a][k]
                if not xa.is_zero():
                    acc = s * xa if acc is None else acc + s * xa
            if acc is not None and not acc.is_zero():
                out[i + d * k] = acc
    return out


@dataclass
class Derivatives:
    """``e``, ``He``, ``f = e^T H e``, the gradient ``g = 𝐗^T H e`` (``∇f = 2 g``) and the
    second-order matrix ``S2 = ½ ∇²f`` (sparse, ``d r x d r``), exactly."""

    e: dict
    He: dict
    f: QF
    g: dict
    S2: dict | None = None


def derivatives(X: list, M: list, H: dict, K: QuadraticField, *, hessian: bool = True) -> Derivatives:
    """The exact derivatives of ``f(X) = e^T H e`` at ``X`` (module docstring)."""
    d, r = len(X), len(X[0])
    e = residual_vector(X, M, K)
    He = sp_matvec(H, e)
    f = K.zero
    for i, x in e.items():
        y = He.get(i)
        if y is not None:
            f = f + x * y
    g = jacobian_transpose(He, X, K)
    if not hessian:
        return Derivatives(e, He, f, g)
    cols = jacobian_columns(X, K)
    S2: dict = {}
    for c, col in enumerate(cols):  # column c of X^T H X
        hc = sp_matvec(H, col)
        for i, v in jacobian_transpose(hc, X, K).items():
            _add_to(S2.setdefault(i, {}), c, v)
    # + 2 [I_r ⊗ sym(mat(He))]
    for idx, x in He.items():
        a, b = idx % d, idx // d
        for k in range(r):
            _add_to(S2.setdefault(a + d * k, {}), b + d * k, x)
            _add_to(S2.setdefault(b + d * k, {}), a + d * k, x)
    return Derivatives(e, He, f, g, {i: row for i, row in S2.items() if row})


def rotation_complement(X: list, K: QuadraticField) -> tuple[dict, int]:
    """``(C, c)``: an exact basis (the ``c`` columns of a sparse ``d r x c`` matrix ``C``) of the orthogonal
    complement of ``{vec(X Ω) : Ω = -Ω^T}``: the null space of the rows ``vec(X (E_ij - E_ji))``,
    ``i < j``, by exact Gauss–Jordan elimination."""
    d, r = len(X), len(X[0])
    rows = []
    for i in range(r):
        for j in range(i + 1, r):
            w: dict = {}
            for a in range(d):  # X (E_ij - E_ji): column j is X[:, i], column i is -X[:, j]
                if not X[a][i].is_zero():
                    _add_to(w, a + d * j, X[a][i])
                if not X[a][j].is_zero():
                    _add_to(w, a + d * i, -X[a][j])
            if w:
                rows.append(w)
    pivots = _rref(rows)
    piv_cols = {c for c, _ in pivots}
    free = [c for c in range(d * r) if c not in piv_cols]
    C: dict = {}
    for k, f in enumerate(free):
        C.setdefault(f, {})[k] = K.one
        for c, row in pivots:
            v = row.get(f)
            if v is not None and not v.is_zero():
                C.setdefault(c, {})[k] = -v
    return C, len(free)


def _rref(rows: list) -> list:
    """Gauss–Jordan on sparse rows (in place): ``[(pivot column, normalized row)]``."""
    done: list = []
    for w in rows:
        for c, prow in done:  # reduce by the earlier pivots
            x = w.get(c)
            if x is not None:
                for j, v in prow.items():
                    _add_to(w, j, -(x * v))
        if not w:
            continue
        c = min(w)
        inv = w[c].inverse()
        w = {j: v * inv for j, v in w.items()}
        for k, (c2, prow) in enumerate(done):  # back-substitute into the earlier rows
            x = prow.get(c)
            if x is not None:
                for j, v in w.items():
                    _add_to(prow, j, -(x * v))
                done[k] = (c2, prow)
        done.append((c, w))
    return done


def dual_matrix(X: list, M: list, y: dict, V: dict, K: QuadraticField) -> dict:
    """``G = -(sym(𝐗 y e^T) + w e^T + e w^T + 𝐗 V 𝐗^T)``, ``w = vec(sym Σ_k V_kk)`` (``d² x d²``, sparse):
    for every symmetric ``H``, ``<H, G> = -<y, 𝐗^T H e> - <V, ½ ∇²f>`` (:mod:`certify.check.duality`)."""
    d = len(X)
    e = residual_vector(X, M, K)
    cols = jacobian_columns(X, K)
    Jy: dict = {}
    for c, yc in y.items():
        for i, v in cols[c].items():
            _add_to(Jy, i, v * yc)
    W: dict = {}  # Σ_k V_kk as a d x d sparse matrix
    for i, row in V.items():
        for j, v in row.items():
            if i // d == j // d:
                _add_to(W.setdefault(i % d, {}), j % d, v)
    w: dict = {}
    half = K("1/2")
    for a, row in W.items():
        for b, v in row.items():
            _add_to(w, a + d * b, half * v)
            _add_to(w, b + d * a, half * v)
    G: dict = {}
    for u, coef in ((Jy, half), (w, None)):  # sym(J y e^T) = ½ (Jy e^T + e Jy^T); w e^T + e w^T
        for i, ui in u.items():
            for j, ej in e.items():
                t = ui * ej if coef is None else coef * ui * ej
                _add_to(G.setdefault(i, {}), j, -t)
                _add_to(G.setdefault(j, {}), i, -t)
    for c1, row in V.items():  # J V J^T
        for c2, v in row.items():
            for i, a in cols[c1].items():
                for j, b in cols[c2].items():
                    _add_to(G.setdefault(i, {}), j, -(v * a * b))
    return {i: row for i, row in G.items() if row}
