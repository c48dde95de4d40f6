"""Gaussian moments of an activation, the curvature constant ρ of non-linear inductive matrix
completion (NIMC) and ``λ_min`` of the population Hessian for orthonormal ``U*, V*``, as rigorous
enclosures — part of the trusted kernel (python-flint's Arb through the one loader
:func:`certify.check.exact.rational.flint`; NumPy only to propose eigenvectors).

Definitions (Zhong, Jain, Song, Dhillon 2018, "Nonlinear Inductive Matrix Completion based on
One-layer Neural Networks", Appendix C.2, eq. (9)), for ``z ~ N(0, 1)``::

    α_{i,j} = E[φ(z)^i z^j],   β_{i,j} = E[φ'(z)^i z^j],   γ = E[φ(z) φ'(z) z],
    ρ = min{ α₂₀β₂₀ − α₁₀²β₁₀² − β₁₀²α₁₁² ,  α₂₀β₂₂ − α₁₀²β₁₂² − γ² }.

Lemma C.1 (ibid.): if ``d = k``, ``U*, V*`` are orthogonal and ``β₁₁ = 0``, the population Hessian
``H*`` of ``½ E[(φ(Uᵀx)ᵀφ(Vᵀy) − A(x, y))²]`` (eq. (7)) at the ground truth satisfies
``λ_min(H*) >= ρ``.  The paper reports ``ρ ≈ 0.000658`` (sigmoid) and ``ρ ≈ 0.0095`` (tanh).

How the enclosures are obtained (no float quadrature error estimate is trusted):

* sigmoid, tanh: ``E[g(z)] = ∫_{−L}^{L} g(z) e^{−z²/2} dz / √(2π) + tail``.  The integral over
  ``[−L, L]`` is computed by Arb's rigorous Gauss–Legendre integration (``acb.integral``; the
  integrand is meromorphic, with poles at ``z = iπ(2m+1)`` for the sigmoid and ``z = iπ(m+½)`` for
  tanh, so Arb's complex error bounds apply).  The tail is bounded analytically: ``|φ| <= 1``,
  ``0 < σ' <= 1/4``, ``0 < tanh' <= 1`` give ``|∫_{|z|>L} g φ_N| <= C · 2 ∫_L^∞ z^j φ_N(z) dz``
  (``φ_N`` the standard normal density), with ``I_j(L) = ∫_L^∞ z^j φ_N = L^{j−1} φ_N(L) + (j−1)
  I_{j−2}(L)``, ``I_0 = erfc(L/√2)/2``, ``I_1 = φ_N(L)``, all in ball arithmetic.  Moments whose
  integrand is odd (``β_{i,j}`` with ``j`` odd, ``α_{i,j}`` with ``i + j`` odd for tanh) are
  exactly 0 by symmetry; likewise ``α_{1,j} = ½ E[z^j]`` for the sigmoid and even ``j``.
* ReLU and linear: closed forms (``E[z^n; z > 0]``, ``E[z^n]``) in ball arithmetic.

``λ_min(H*)`` for orthonormal ``U*, V*`` (:func:`lambda_min_enclosure`; ``d >= k``, the value does
not depend on which orthonormal matrices): ``H*`` is, up to an orthogonal change of coordinates,
the ``2k²``-dimensional matrix ``H₀`` of ``U* = V* = I_k`` (entries products of the moments) plus,
when ``d > k``, ``M ⊗ I_{d−k}`` for ``u`` and for ``v`` with ``M = (α₂₀β₂₀ − c) I + c 11ᵀ``,
``c = α₁₀²β₁₀²`` (the coordinates of ``x`` outside the span of ``U*`` are independent of the rest;
eigenvalues ``α₂₀β₂₀ − c`` and ``α₂₀β₂₀ + (k − 1)c``).  Lower end: with ``β₁₁ = 0`` (proved
exactly, by symmetry or a closed form) the quadratic form of ``H₀`` at ``w = (A, B)`` (``A_{pi} =
(u_i)_p``) satisfies the identity (the proof of Lemma C.1, written out)::

    wᵀH₀w − t₂ Σ_p (A_pp² + B_pp²) − t₁ Σ_{p≠i} (A_pi² + B_pi²)
      = Σ_p [c (s_p + (e/c) A_pp)² + c (s'_p + (e/c) B_pp)² + γ² (A_pp + B_pp)²] + f Σ_{i≠j} (A_ji + B_ij)²

with ``s_p = Σ_{i≠p} A_pi``, ``s'_p = Σ_{i≠p} B_pi``, ``e = α₁₀²β₁₀β₁₂``, ``f = β₁₀²α₁₁²`` and
``t₁``, ``t₂`` the two terms of ρ (when ``c = 0``, also ``e = 0`` and the first two squares are
absent; when ``β₁₀ = 0`` the diagonal coefficient exceeds ``t₂`` by ``α₁₀²β₁₂² >= 0``), so
``λ_min(H₀) >= min(t₁, t₂) = ρ``; ``t₁ <= α₂₀β₂₀ − c`` covers the complement block.  A larger lower
end, when there is one, is proved by interval Cholesky of ``H₀ − μI`` (every pivot a positive
ball); without ``β₁₁ = 0`` (ReLU) interval Cholesky is the only proof.  Upper end: the Rayleigh
quotient, in ball arithmetic, of the float eigenvector of the float matrix.

``lo``/``hi`` of every :class:`Enclosure` are floats rounded outward from the Arb ball, so
``lo <= true value <= hi`` holds rigorously.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import InputError
from .exact.rational import flint as _load_flint

__all__ = [
    "ACTIVATIONS",
    "DEFAULT_DIGITS",
    "MOMENT_NAMES",
    "Enclosure",
    "LambdaMinProof",
    "check_activation",
    "moment",
    "moments",
    "gamma",
    "rho",
    "rho_terms",
    "rho_ball",
    "lemma_c1_applies",
    "lambda_min_enclosure",
    "orthogonal_lambda_min",
    "moment_hessian",
    "complement_eigenvalues",
]

#: the activations the kernel has enclosures for (the same tuple as ``certify.nimc.ACTIVATIONS``;
#: a test checks it)
ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
DEFAULT_DIGITS = 30
#: Moments computed by :func:`moments` (those entering ρ, eq. (9), and the population Hessian).
MOMENT_NAMES = (
    "alpha_10", "alpha_11", "alpha_12", "alpha_20", "alpha_21", "alpha_22",
    "beta_10", "beta_11", "beta_12", "beta_20", "beta_21", "beta_22", "gamma",
)
#: largest k of the ball-arithmetic Hessian (2k² = 128 rows)
MAX_K = 8


def check_activation(activation) -> str:
    """The normalized activation name (stripped, lower case), or :class:`InputError`."""
    if not isinstance(activation, str) or activation.strip().lower() not in ACTIVATIONS:
        raise InputError(f"activation: unknown activation {activation!r}; accepted: {', '.join(ACTIVATIONS)}")
    return activation.strip().lower()


def _flint():
    """python-flint through the project's one loader; missing, it is bad input (exit code 2) with
    the install hint."""
    try:
        return _load_flint()
    except ImportError as exc:  # the loader's ExactUnavailableError is an ImportError
        raise InputError(
            "the NIMC constants need python-flint (interval arithmetic); install it with "
            "pip install \"certify[exact]\""
        ) from exc


def _check_digits(digits) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or not 5 <= digits <= 200:
        raise InputError(f"digits: expected an integer between 5 and 200, got {digits!r}")
    return digits


def _check_k(k, name: str = "k", hi: int = MAX_K) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= hi:
        raise InputError(f"{name}: expected an integer between 1 and {hi}, got {k!r}")
    return int(k)


@dataclass(frozen=True)
class Enclosure:
    """A rigorous enclosure ``lo <= value <= hi`` of a real constant.

    ``lo`` and ``hi`` are floats rounded outward from the Arb ball; ``mid`` is the nearest float to
    the ball's midpoint; ``text`` is the ball printed to the requested number of digits
    (``[m +/- r]``, or the exact value); ``exact`` marks a value known exactly (by symmetry or a
    closed form with rational value).
    """

    name: str
    lo: float
    hi: float
    mid: float
    text: str
    exact: bool = False

    @property
    def width(self) -> float:
        return self.hi - self.lo

    def contains(self, x, tol: float = 0.0) -> bool:
        """``lo − tol <= x <= hi + tol``."""
        return bool(self.lo - tol <= float(x) <= self.hi + tol)

    def to_dict(self) -> dict:
        return {"name": self.name, "lo": self.lo, "hi": self.hi, "mid": self.mid, "width": self.width,
                "text": self.text, "exact": self.exact}

    def __str__(self) -> str:
        return f"{self.name} in [{self.lo!r}, {self.hi!r}]  ({self.text})"


def _enclosure(name: str, ball, digits: int, exact: bool = False) -> Enclosure:
    if not ball.is_finite():
        raise ArithmeticError(f"{name}: the enclosure is not finite ({ball})")  # pragma: no cover
    lo = math.nextafter(float(ball.lower()), -math.inf)
    hi = math.nextafter(float(ball.upper()), math.inf)
    if ball.is_exact():
        v = float(ball.mid())
        if float(v) == ball.mid():  # exactly representable: a point enclosure
            lo = hi = v
    mid = float(ball.mid())
    text = ball.str(digits, radius=True) if not ball.is_exact() else ball.str(digits)
    return Enclosure(name=name, lo=lo, hi=hi, mid=mid, text=text, exact=exact or bool(ball.is_exact()))


# ---------------------------------------------------------------- one-dimensional expectations


def _prec_bits(digits: int) -> int:
    return int(digits * 3.33) + 40


def _cutoff(digits: int) -> int:
    """``L`` with ``e^{−L²/2}`` far below ``10^{−digits}`` (the tail is then negligible)."""
    return int(math.ceil(math.sqrt(2.0 * (digits + 12) * math.log(10.0)))) + 2


def _tail_moment(j: int, L, flint):
    """``I_j(L) = ∫_L^∞ z^j φ_N(z) dz`` in ball arithmetic (recurrence in the module docstring)."""
    arb = flint.arb
    phiL = (-(L * L) / 2).exp() / (2 * arb.pi()).sqrt()
    i0 = (L / arb(2).sqrt()).erfc() / 2
    vals = [i0, phiL]
    for n in range(2, j + 1):
        vals.append(L ** (n - 1) * phiL + (n - 1) * vals[n - 2])
    return vals[j]


def _smooth_functions(activation: str, flint):
    """``(φ, φ', sup|φ|, sup|φ'|)`` for acb arguments."""
    acb = flint.acb
    if activation == "sigmoid":
        def phi(z):
            return 1 / (1 + (-z).exp())

        def dphi(z):
            s = phi(z)
            return s * (1 - s)

        return phi, dphi, 1, flint.arb(1) / 4

    def tanh(z):
        return acb.tanh(z)

    def dtanh(z):
        t = acb.tanh(z)
        return 1 - t * t

    return tanh, dtanh, 1, 1


def _odd_by_symmetry(activation: str, kind: str, i: int, j: int) -> bool:
    """True when the integrand of the moment is an odd function of z (the moment is exactly 0)."""
    if activation in ("sigmoid", "tanh") and kind == "beta":
        return (j % 2 == 1) and i >= 1  # φ' is even
    if activation == "tanh" and kind == "alpha":
        return (i + j) % 2 == 1  # tanh is odd
    return False


def _smooth_moment(activation: str, kind: str, i: int, j: int, digits: int, flint):
    """Ball enclosure of ``E[g(z)]`` for sigmoid/tanh: rigorous integral on [−L, L] plus tail bound."""
    arb, acb = flint.arb, flint.acb
    phi, dphi, sup_phi, sup_dphi = _smooth_functions(activation, flint)
    if kind == "alpha":
        def g(z):
            return phi(z) ** i * z**j
        C, jj = arb(sup_phi) ** i, j
    elif kind == "beta":
        def g(z):
            return dphi(z) ** i * z**j
        C, jj = arb(sup_dphi) ** i, j
    else:  # gamma
        def g(z):
            return phi(z) * dphi(z) * z
        C, jj = arb(sup_phi) * arb(sup_dphi), 1
    L = _cutoff(digits)
    tol = arb(10) ** (-(digits + 8))
    val = acb.integral(lambda z, _analytic: g(z) * (-(z * z) / 2).exp(), -L, L, rel_tol=tol, abs_tol=tol)
    body = val.real / (2 * arb.pi()).sqrt()
    tail = (C * 2 * _tail_moment(jj, arb(L), flint)).upper()
    return body + arb(0, 1) * tail


def _half_moment(n: int, flint):
    """``E[z^n; z > 0]`` exactly in ball arithmetic."""
    arb = flint.arb
    if n % 2 == 0:
        return arb(math.prod(range(n - 1, 0, -2))) / 2
    m = (n - 1) // 2
    return arb(2**m * math.factorial(m)) / (2 * arb.pi()).sqrt()


def _full_moment(n: int, flint):
    arb = flint.arb
    return arb(0) if n % 2 else arb(math.prod(range(n - 1, 0, -2)))


def _closed_form_moment(activation: str, kind: str, i: int, j: int, flint):
    if activation == "relu":
        if kind == "gamma":  # φ φ' z = z² 1{z>0}
            return _half_moment(2, flint)
        if i == 0:
            return _full_moment(j, flint)
        # α_{i,j} = E[z^{i+j}; z>0];  β_{i,j} = E[1{z>0} z^j]
        return _half_moment(i + j if kind == "alpha" else j, flint)
    # linear: φ(z) = z, φ'(z) = 1
    if kind == "gamma":
        return _full_moment(2, flint)
    return _full_moment(i + j if kind == "alpha" else j, flint)


@lru_cache(maxsize=512)
def _moment_ball(activation: str, kind: str, i: int, j: int, digits: int):
    """The Arb ball of a moment (an immutable object, cached per activation and digits)."""
    flint = _flint()
    with flint.ctx.workprec(_prec_bits(digits)):
        if _odd_by_symmetry(activation, kind, i, j):
            return flint.arb(0)
        if activation == "sigmoid" and kind == "alpha" and i == 1 and j % 2 == 0:
            return _full_moment(j, flint) / 2  # σ − ½ is odd, so E[σ(z) z^j] = ½ E[z^j] for even j
        if activation in ("relu", "linear"):
            return _closed_form_moment(activation, kind, i, j, flint)
        return _smooth_moment(activation, kind, i, j, digits, flint)


def moment(kind: str, i: int, j: int, activation: str, digits: int = DEFAULT_DIGITS) -> Enclosure:
    """Enclosure of ``α_{i,j} = E[φ(z)^i z^j]`` (``kind='alpha'``), ``β_{i,j} = E[φ'(z)^i z^j]``
    (``kind='beta'``) or ``γ = E[φ(z)φ'(z)z]`` (``kind='gamma'``, ``i, j`` ignored), eq. (9)."""
    activation = check_activation(activation)
    digits = _check_digits(digits)
    if kind not in ("alpha", "beta", "gamma"):
        raise InputError(f"kind: expected 'alpha', 'beta' or 'gamma', got {kind!r}")
    if kind == "gamma":
        i, j = 1, 1
    for nm, v in (("i", i), ("j", j)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 8:
            raise InputError(f"{nm}: expected an integer between 0 and 8, got {v!r}")
    ball = _moment_ball(activation, kind, i, j, digits)
    name = "gamma" if kind == "gamma" else f"{kind}_{i}{j}"
    flint = _flint()
    with flint.ctx.workprec(_prec_bits(digits)):
        return _enclosure(name, ball, digits, exact=_odd_by_symmetry(activation, kind, i, j))


def gamma(activation: str, digits: int = DEFAULT_DIGITS) -> Enclosure:
    """Enclosure of ``γ = E[φ(z) φ'(z) z]`` (eq. (9))."""
    return moment("gamma", 1, 1, activation, digits)


def _split(name: str):
    if name == "gamma":
        return "gamma", 1, 1
    kind, ij = name.split("_")
    return kind, int(ij[0]), int(ij[1])


def moments(activation: str, digits: int = DEFAULT_DIGITS) -> dict[str, Enclosure]:
    """Enclosures of ``alpha_10 … alpha_22``, ``beta_10 … beta_22`` and ``gamma`` (eq. (9)),
    keyed by those names."""
    activation = check_activation(activation)
    return {name: moment(*_split(name), activation, digits) for name in MOMENT_NAMES}


class _Balls:
    """The moment balls of one activation at one precision (attribute access: ``m.a10``, ``m.b22``, ``m.g``)."""

    def __init__(self, activation: str, digits: int):
        def b(kind, i, j):
            return _moment_ball(activation, kind, i, j, digits)

        self.a10, self.a11, self.a20 = b("alpha", 1, 0), b("alpha", 1, 1), b("alpha", 2, 0)
        self.b10, self.b11, self.b12 = b("beta", 1, 0), b("beta", 1, 1), b("beta", 1, 2)
        self.b20, self.b22, self.g = b("beta", 2, 0), b("beta", 2, 2), b("gamma", 1, 1)

    def terms(self):
        """``(t₁, t₂)``: the off-diagonal and the diagonal term of ρ."""
        t1 = self.a20 * self.b20 - self.a10**2 * self.b10**2 - self.b10**2 * self.a11**2
        t2 = self.a20 * self.b22 - self.a10**2 * self.b12**2 - self.g**2
        return t1, t2


def rho_terms(activation: str, digits: int = DEFAULT_DIGITS) -> tuple[Enclosure, Enclosure]:
    """Enclosures of the two terms of ρ (eq. (9)): the off-diagonal term
    ``α₂₀β₂₀ − α₁₀²β₁₀² − β₁₀²α₁₁²`` and the diagonal term ``α₂₀β₂₂ − α₁₀²β₁₂² − γ²``."""
    activation = check_activation(activation)
    digits = _check_digits(digits)
    flint = _flint()
    with flint.ctx.workprec(_prec_bits(digits)):
        t1, t2 = _Balls(activation, digits).terms()
        return _enclosure("rho_offdiag", t1, digits), _enclosure("rho_diag", t2, digits)


def rho_ball(activation: str, digits: int = DEFAULT_DIGITS):
    """The Arb ball of ``ρ = min(t₁, t₂)`` (the hull of the two balls' minimum; call inside a
    ``workprec`` context of at least :func:`_prec_bits` bits to keep its precision)."""
    flint = _flint()
    t1, t2 = _Balls(activation, digits).terms()
    r = flint.arb.min(t1, t2)
    hull = flint.arb.min(t1.lower(), t2.lower()).union(flint.arb.min(t1.upper(), t2.upper()))
    return r if hull.contains(r) else hull


@lru_cache(maxsize=64)
def _rho_cached(activation: str, digits: int) -> Enclosure:
    flint = _flint()
    with flint.ctx.workprec(_prec_bits(digits)):
        return _enclosure("rho", rho_ball(activation, digits), digits)


def rho(activation: str, digits: int = DEFAULT_DIGITS) -> Enclosure:
    """Enclosure of ``ρ = min{α₂₀β₂₀ − α₁₀²β₁₀² − β₁₀²α₁₁², α₂₀β₂₂ − α₁₀²β₁₂² − γ²}`` (eq. (9)).

    ``rho("sigmoid")`` contains ``0.000658331…``, ``rho("tanh")`` ``0.0094586…``; ``rho("relu")``
    is ``−1/(8π)`` and ``rho("linear")`` is 0."""
    return _rho_cached(check_activation(activation), _check_digits(digits))


def _beta11_is_zero(activation: str, digits: int) -> bool:
    """``β₁₁ = 0`` proved exactly (by symmetry or a closed form): the ball is the exact point 0."""
    b11 = _moment_ball(activation, "beta", 1, 1, digits)
    return bool(b11.is_exact() and b11.is_zero())


def lemma_c1_applies(activation: str, digits: int = DEFAULT_DIGITS) -> tuple[bool, str]:
    """Whether Lemma C.1 (``λ_min(H*) >= ρ`` for orthogonal ``U*, V*``, ``d = k``) applies: it needs
    ``β₁₁ = 0``.  Returns ``(applies, reason)``; ``applies`` is True only when ``β₁₁`` is proven 0
    (exactly, by symmetry or a closed form)."""
    activation = check_activation(activation)
    b11 = moment("beta", 1, 1, activation, digits)
    if _beta11_is_zero(activation, _check_digits(digits)):
        why = "E[z] = 0" if activation == "linear" else "phi' is even, so phi'(z) z is odd"
        return True, f"beta_11 = 0 exactly ({why})"
    if b11.lo > 0 or b11.hi < 0:
        return False, f"beta_11 = {b11.mid:.10g} != 0 (enclosure {b11.text}); Lemma C.1 assumes beta_11 = 0"
    return False, f"beta_11 is not proven 0 (enclosure {b11.text})"  # pragma: no cover


# ---------------------------------------------------------------- λ_min(H*), orthonormal U*, V*


def moment_hessian(m, k: int, zero):
    """``H₀``: the population Hessian for ``U* = V* = I_k`` as a list of lists (entries products of
    the moments ``m`` — balls, or floats with ``zero = 0.0``), ZJSD18 proof of Lemma D.1:

    * ``H_{u_i u_i} = α₂₀ diag(β₂₀, …, β₂₂ (entry i), …, β₂₀)``;
    * ``H_{u_i u_j} = α₁₀² M_ij`` (i ≠ j) with ``M_pp = β₁₀²`` (p ∉ {i, j}), ``M_ii = M_jj = β₁₀β₁₂``,
      ``M_ij = M_ji = β₁₁²``;
    * ``H_{u_i v_i} = γ² e_i e_iᵀ``; ``H_{u_i v_j} = a bᵀ`` (i ≠ j) with
      ``a = β₁₁α₁₀ e_i + β₁₀α₁₁ e_j``, ``b = β₁₁α₁₀ e_j + β₁₀α₁₁ e_i``;
    * the v-v blocks equal the u-u blocks.  Packing: ``u_i`` at ``i·k``, ``v_i`` at ``k² + i·k``.
    """
    n, off = 2 * k * k, k * k
    H = [[zero] * n for _ in range(n)]

    def put(r, c, v):
        H[r][c] = v
        H[c][r] = v

    for i in range(k):
        for p in range(k):
            d = m.a20 * (m.b22 if p == i else m.b20)
            H[i * k + p][i * k + p] = d
            H[off + i * k + p][off + i * k + p] = d
        put(i * k + i, off + i * k + i, m.g * m.g)
        for j in range(k):
            if j == i:
                continue
            for p in range(k):
                val = m.a10 * m.a10 * (m.b10 * m.b12 if p in (i, j) else m.b10 * m.b10)
                H[i * k + p][j * k + p] = val
                H[off + i * k + p][off + j * k + p] = val
            c = m.a10 * m.a10 * m.b11 * m.b11
            for (p, q) in ((i, j), (j, i)):
                H[i * k + p][j * k + q] = c
                H[off + i * k + p][off + j * k + q] = c
            av = {i: m.b11 * m.a10, j: m.b10 * m.a11}
            bv = {j: m.b11 * m.a10, i: m.b10 * m.a11}
            for p, ap in av.items():
                for q, bq in bv.items():
                    put(i * k + p, off + j * k + q, ap * bq)
    return H


def complement_eigenvalues(m, k: int):
    """The eigenvalues of ``M = (α₂₀β₂₀ − c) I + c 11ᵀ`` (``c = α₁₀²β₁₀²``), the block of ``H*``
    outside the span of orthonormal ``U*`` (and ``V*``) when ``d > k``: ``α₂₀β₂₀ − c`` (k ≥ 2)
    and ``α₂₀β₂₀ + (k − 1)c``."""
    c = m.a10**2 * m.b10**2
    top = m.a20 * m.b20 + (k - 1) * c
    return [top] if k == 1 else [m.a20 * m.b20 - c, top]


def _is_positive_definite(M, mu) -> bool:
    """Interval Cholesky of ``M − μI``: True proves that every symmetric matrix in the balls,
    shifted by ``μ``, is positive definite (all pivots are balls of positive numbers)."""
    n = len(M)
    L = [[None] * n for _ in range(n)]
    for j in range(n):
        s = M[j][j] - mu
        for p in range(j):
            s -= L[j][p] * L[j][p]
        if not s > 0:
            return False
        L[j][j] = s.sqrt()
        for i in range(j + 1, n):
            t = M[i][j]
            for p in range(j):
                t -= L[i][p] * L[j][p]
            L[i][j] = t / L[j][j]
    return True


@dataclass(frozen=True)
class LambdaMinProof:
    """A proved enclosure of ``λ_min(H*)`` (:func:`lambda_min_enclosure`) and how each end was
    proved: ``lower`` (``"lemma-c1-identity"``: ``λ_min >= ρ`` by the identity of the module
    docstring, ``"interval-cholesky"``: ``H − μI`` positive definite by interval Cholesky, or
    ``"none"``), ``upper`` (``"rayleigh-quotient"`` or ``"complement-block"``), the float estimate
    ``float_value``, and ``rho`` (the enclosure of ρ)."""

    enclosure: Enclosure
    lower: str
    upper: str
    float_value: float
    rho: Enclosure
    d: int
    k: int

    def to_dict(self) -> dict:
        return {"lo": self.enclosure.lo, "hi": self.enclosure.hi, "width": self.enclosure.width,
                "lower_proof": self.lower, "upper_proof": self.upper, "float": self.float_value}


def _rayleigh_upper(H, flint):
    """``(λ_float, upper end)``: the float λ_min of the ball midpoints and the Rayleigh quotient of
    its eigenvector in ball arithmetic (an upper bound on λ_min of every matrix in the balls)."""
    arb = flint.arb
    Hf = np.array([[float(x.mid()) for x in row] for row in H])
    w, V = np.linalg.eigh(0.5 * (Hf + Hf.T))
    va = [arb(float(x)) for x in V[:, 0]]
    n = len(va)
    num = sum((va[i] * sum((H[i][j] * va[j] for j in range(n)), arb(0)) for i in range(n)), arb(0))
    den = sum((x * x for x in va), arb(0))
    return float(w[0]), (num / den).upper()


def _lower_end(H, lam: float, sos_lower, hi, flint):
    """``(μ, how)``: the largest proved lower bound on λ_min(H) among the identity's ``ρ`` (when
    it applies) and float candidates just below ``lam`` that interval Cholesky proves."""
    arb = flint.arb
    scale = max(1.0, abs(lam))
    best, how = (sos_lower, "lemma-c1-identity") if sos_lower is not None else (None, "none")
    for eps in (1e-12, 1e-9, 1e-6):
        c = arb(lam) - arb(eps) * scale
        if best is not None and not c > best:
            break
        if c < hi and _is_positive_definite(H, c):
            return c, "interval-cholesky"
    return best, how


def _lambda_min_balls(activation: str, k: int, d: int, digits: int):
    """``(lower ball or None, how, upper ball, how, float λ)`` for orthonormal ``U*, V*``."""
    flint = _flint()
    m = _Balls(activation, digits)
    H = moment_hessian(m, k, flint.arb(0))
    lam, hi = _rayleigh_upper(H, flint)
    upper_how = "rayleigh-quotient"
    comp = complement_eigenvalues(m, k) if d > k else []
    for e in comp:
        lam = min(lam, float(e.mid()))
        if e.upper() < hi:
            hi, upper_how = e.upper(), "complement-block"
    sos = rho_ball(activation, digits).lower() if _beta11_is_zero(activation, digits) else None
    lo, how = _lower_end(H, min(lam, float(hi.mid())), sos, hi, flint)
    if lo is not None and how == "interval-cholesky" and comp:  # the complement block's own lower end
        lo = flint.arb.min(lo, min((e.lower() for e in comp), key=lambda b: float(b.mid())))
    return lo, how, hi, upper_how, lam


def lambda_min_enclosure(activation: str, k: int, d: int | None = None, digits: int = DEFAULT_DIGITS) -> LambdaMinProof:
    """A proved enclosure of ``λ_min(H*)`` for ``U*, V* ∈ R^{d×k}`` with orthonormal columns
    (``d = k``: orthogonal, the setting of Lemma C.1; ``λ_min`` does not depend on which
    orthonormal matrices).  The module docstring says how each end is proved; when ``λ_min(H*) =
    ρ`` (the bound is attained: tanh, sigmoid with ``k >= 3``) the enclosure is ``[ρ_lo, RQ]``,
    about 1e-19 wide."""
    activation = check_activation(activation)
    digits = _check_digits(digits)
    k = _check_k(k)
    d = k if d is None else _check_k(d, "d", hi=10**4)
    if d < k:
        raise InputError(f"d: expected d >= k = {k}, got {d}")
    flint = _flint()
    with flint.ctx.workprec(_prec_bits(digits) + 30):
        lo_b, lower, hi_b, upper, lam = _lambda_min_balls(activation, k, d, digits)
        lo = -math.inf if lo_b is None else math.nextafter(float(lo_b.lower()), -math.inf)
        hi = math.nextafter(float(hi_b.upper()), math.inf)
        rball = rho_ball(activation, digits)
        gap = "" if lo_b is None else (
            f"; lambda_min - rho in [{float((lo_b - rball).lower()):.3g}, {float((hi_b - rball).upper()):.3g}]")
        text = f"[{lo!r}, {hi!r}] ({lower} / {upper}, {digits} digits{gap})"
        enc = Enclosure(name=f"lambda_min(H*) d={d} k={k}" if d != k else f"lambda_min(H*) k={k}", lo=lo, hi=hi,
                        mid=lam, text=text)
        return LambdaMinProof(enclosure=enc, lower=lower, upper=upper, float_value=lam, rho=rho(activation, digits),
                              d=d, k=k)


def orthogonal_lambda_min(activation: str, k: int, digits: int = DEFAULT_DIGITS) -> Enclosure:
    """A rigorous enclosure of ``λ_min(H*)`` for ``d = k`` and orthogonal ``U*, V*`` (the setting
    of Lemma C.1): :func:`lambda_min_enclosure` with ``d = k``."""
    return lambda_min_enclosure(activation, k, None, digits).enclosure
