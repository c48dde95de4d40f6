"""Gaussian moments of an activation and the curvature constant ρ of non-linear inductive matrix
completion (NIMC), as rigorous enclosures.

Definitions (Zhong, Jain, Song, Dhillon 2018, "Nonlinear Inductive Matrix Completion based on
One-layer Neural Networks", Appendix C.2, eq. (9)), for ``z ~ N(0, 1)``::

    α_{i,j} = E[φ(z)^i z^j],   β_{i,j} = E[φ'(z)^i z^j],   γ = E[φ(z) φ'(z) z],
    ρ = min{ α₂₀β₂₀ − α₁₀²β₁₀² − β₁₀²α₁₁² ,  α₂₀β₂₂ − α₁₀²β₁₂² − γ² }.

Lemma C.1 (ibid.): if ``d = k``, ``U*, V*`` are orthogonal and ``β₁₁ = 0``, the population Hessian
``H*`` of ``½ E[(φ(Uᵀx)ᵀφ(Vᵀy) − A(x, y))²]`` (eq. (7)) at the ground truth satisfies
``λ_min(H*) >= ρ``.  The paper reports ``ρ ≈ 0.000658`` (sigmoid) and ``ρ ≈ 0.0095`` (tanh).

How the enclosures are obtained (no float quadrature error estimate is trusted):

* sigmoid, tanh: ``E[g(z)] = ∫_{−L}^{L} g(z) e^{−z²/2} dz / √(2π) + tail``.  The integral over
  ``[−L, L]`` is computed by Arb's rigorous Gauss–Legendre integration (python-flint
  ``acb.integral``; the integrand is meromorphic, with poles at ``z = iπ(2m+1)`` for the sigmoid and
  ``z = iπ(m+½)`` for tanh, so Arb's complex error bounds apply).  The tail is bounded
  analytically: ``|φ| <= 1``, ``0 < σ' <= 1/4``, ``0 < tanh' <= 1`` give
  ``|∫_{|z|>L} g φ_N| <= C · 2 ∫_L^∞ z^j φ_N(z) dz`` (``φ_N`` the standard normal density), with
  ``I_j(L) = ∫_L^∞ z^j φ_N = L^{j−1} φ_N(L) + (j−1) I_{j−2}(L)``, ``I_0 = erfc(L/√2)/2``,
  ``I_1 = φ_N(L)``, all evaluated in ball arithmetic.  Moments whose integrand is odd (``β_{i,j}``
  with ``j`` odd for sigmoid and tanh, ``α_{i,j}`` with ``i + j`` odd for tanh) are exactly 0 by
  symmetry and are returned as the exact point 0; likewise ``α_{1,j} = ½ E[z^j]`` for the sigmoid
  and even ``j`` (``σ − ½`` is odd).
* ReLU and linear: closed forms.  ``E[z^n; z > 0] = (n−1)!!/2`` (n even),
  ``2^{(n−1)/2} ((n−1)/2)! / √(2π)`` (n odd); ``E[z^n] = (n−1)!!`` (n even), 0 (n odd).
  Evaluated in ball arithmetic (the only irrational constant is ``1/√(2π)``).

``ρ`` is then evaluated from the moment balls in interval arithmetic; ``lo``/``hi`` of every
:class:`Enclosure` are floats rounded outward, so ``lo <= true value <= hi`` holds rigorously.

Notes, where the seed text and our numbers differ (the computation wins; REFERENCE.md §2 copies
the paper):

* ReLU: the paper states ``β₁₁ = 1/2`` (Appendix C.2) and ``α₁₀ = β₁₁ = 1/2`` (proof of
  Lemma D.3).  In fact ``β₁₁ = E[z; z > 0] = α₁₀ = 1/√(2π) ≈ 0.3989``.  Either way ``β₁₁ ≠ 0``,
  so Lemma C.1 does not apply to ReLU; moreover the formula gives ``ρ_ReLU = −1/(8π) < 0``
  (the second term: ``α₂₀β₂₂ − γ² = 0``), and ``H*`` is singular for ReLU (the rescaling
  ``(U*D, V*D⁻¹)`` is a flat direction), so no positive bound could hold without fixing the first
  row of ``U`` (paper eq. (4)).
* tanh: ``ρ = 0.0094586…``; the published "0.0095" is this value rounded to two significant digits.
* linear (IMC): ``ρ = 0`` exactly (``α₂₀β₂₀ = β₁₀²α₁₁² = 1``); Lemma C.1 applies (``β₁₁ = 0``) and
  is tight, since ``(U*R, V*R⁻ᵀ)`` is a flat direction.

python-flint is an optional dependency: ``pip install "certify[exact]"``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from ..check.exact.rational import flint as _load_flint
from ..errors import InputError
from .activations import ACTIVATIONS, check_activation

__all__ = [
    "ACTIVATIONS",
    "PUBLISHED_RHO",
    "Enclosure",
    "moment",
    "moments",
    "gamma",
    "rho",
    "rho_terms",
    "lemma_c1_applies",
    "published_rho",
    "orthogonal_lambda_min",
    "matches_published",
    "DEFAULT_DIGITS",
]

#: Published values of ρ (Zhong, Jain, Song, Dhillon 2018, Lemma C.1 and proof of Lemma D.1).
PUBLISHED_RHO = {"sigmoid": 0.000658, "tanh": 0.0095}
DEFAULT_DIGITS = 30
#: Moments computed by :func:`moments` (those entering ρ, eq. (9), and the population Hessian).
MOMENT_NAMES = (
    "alpha_10", "alpha_11", "alpha_12", "alpha_20", "alpha_21", "alpha_22",
    "beta_10", "beta_11", "beta_12", "beta_20", "beta_21", "beta_22", "gamma",
)


def _flint():
    """python-flint through the project's one loader; missing, it is bad input (exit code 2) with
    the install hint, as before."""
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
    i1 = phiL
    vals = [i0, i1]
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
    if activation == "tanh":
        def phi(z):
            return acb.tanh(z)

        def dphi(z):
            t = acb.tanh(z)
            return 1 - t * t

        return phi, dphi, 1, 1
    raise AssertionError(activation)  # pragma: no cover


def _odd_by_symmetry(activation: str, kind: str, i: int, j: int) -> bool:
    """True when the integrand of the moment is an odd function of z (the moment is exactly 0)."""
    if activation in ("sigmoid", "tanh") and kind == "beta":
        return (j % 2 == 1) and i >= 1  # φ' is even
    if activation == "tanh" and kind == "alpha":
        return (i + j) % 2 == 1  # tanh is odd
    if activation == "tanh" and kind == "gamma":
        return False  # tanh · tanh' · z is even
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


def moments(activation: str, digits: int = DEFAULT_DIGITS) -> dict[str, Enclosure]:
    """Enclosures of ``alpha_10 … alpha_22``, ``beta_10 … beta_22`` and ``gamma`` (eq. (9)),
    keyed by those names."""
    activation = check_activation(activation)
    out = {}
    for name in MOMENT_NAMES:
        if name == "gamma":
            out[name] = gamma(activation, digits)
        else:
            kind, ij = name.split("_")
            out[name] = moment(kind, int(ij[0]), int(ij[1]), activation, digits)
    return out


def _rho_balls(activation: str, digits: int, flint):
    def b(kind, i, j):
        return _moment_ball(activation, kind, i, j, digits)

    a10, a11, a20 = b("alpha", 1, 0), b("alpha", 1, 1), b("alpha", 2, 0)
    b10, b12, b20, b22 = b("beta", 1, 0), b("beta", 1, 2), b("beta", 2, 0), b("beta", 2, 2)
    g = b("gamma", 1, 1)
    t1 = a20 * b20 - a10**2 * b10**2 - b10**2 * a11**2
    t2 = a20 * b22 - a10**2 * b12**2 - g**2
    return t1, t2


def rho_terms(activation: str, digits: int = DEFAULT_DIGITS) -> tuple[Enclosure, Enclosure]:
    """Enclosures of the two terms of ρ (eq. (9)): the off-diagonal term
    ``α₂₀β₂₀ − α₁₀²β₁₀² − β₁₀²α₁₁²`` and the diagonal term ``α₂₀β₂₂ − α₁₀²β₁₂² − γ²``."""
    activation = check_activation(activation)
    digits = _check_digits(digits)
    flint = _flint()
    with flint.ctx.workprec(_prec_bits(digits)):
        t1, t2 = _rho_balls(activation, digits, flint)
        return _enclosure("rho_offdiag", t1, digits), _enclosure("rho_diag", t2, digits)


@lru_cache(maxsize=64)
def _rho_cached(activation: str, digits: int) -> Enclosure:
    flint = _flint()
    with flint.ctx.workprec(_prec_bits(digits)):
        t1, t2 = _rho_balls(activation, digits, flint)
        r = flint.arb.min(t1, t2)
        # arb.min is an enclosure of min over the two balls; make sure by taking the hull explicitly
        lo = flint.arb.min(t1.lower(), t2.lower())
        hi = flint.arb.min(t1.upper(), t2.upper())
        hull = lo.union(hi)
        if not hull.contains(r):  # pragma: no cover - defensive
            r = hull
        return _enclosure("rho", r, digits)


def rho(activation: str, digits: int = DEFAULT_DIGITS) -> Enclosure:
    """Enclosure of ``ρ = min{α₂₀β₂₀ − α₁₀²β₁₀² − β₁₀²α₁₁², α₂₀β₂₂ − α₁₀²β₁₂² − γ²}`` (eq. (9)).

    ``rho("sigmoid")`` contains ``0.000658331…``, ``rho("tanh")`` ``0.0094586…``; ``rho("relu")``
    is ``−1/(8π)`` and ``rho("linear")`` is 0 (see the module docstring for what that means)."""
    return _rho_cached(check_activation(activation), _check_digits(digits))


def lemma_c1_applies(activation: str, digits: int = DEFAULT_DIGITS) -> tuple[bool, str]:
    """Whether Lemma C.1 (``λ_min(H*) >= ρ`` for orthogonal ``U*, V*``, ``d = k``) applies: it needs
    ``β₁₁ = 0``.  Returns ``(applies, reason)``; ``applies`` is True only when ``β₁₁`` is proven 0
    (exactly, by symmetry)."""
    activation = check_activation(activation)
    b11 = moment("beta", 1, 1, activation, digits)
    if b11.exact and b11.lo == 0.0 == b11.hi:
        why = "E[z] = 0" if activation == "linear" else "phi' is even, so phi'(z) z is odd"
        return True, f"beta_11 = 0 exactly ({why})"
    if b11.lo > 0 or b11.hi < 0:
        return False, f"beta_11 = {b11.mid:.10g} != 0 (enclosure {b11.text}); Lemma C.1 assumes beta_11 = 0"
    return False, f"beta_11 is not proven 0 (enclosure {b11.text})"  # pragma: no cover


def published_rho(activation: str, digits: int = DEFAULT_DIGITS) -> tuple[Enclosure, float]:
    """``(computed enclosure, published value)`` for sigmoid and tanh (STYLE: every published
    constant has a function returning both)."""
    activation = check_activation(activation)
    if activation not in PUBLISHED_RHO:
        raise InputError(f"activation: no published rho for {activation!r}; published: {', '.join(PUBLISHED_RHO)}")
    return rho(activation, digits), PUBLISHED_RHO[activation]


# ---------------------------------------------------------------- λ_min(H*) in the orthogonal case


def _orthogonal_hessian_balls(activation: str, k: int, digits: int, flint):
    """``H*`` for ``U* = V* = I_k`` (``d = k``) as a list of lists of Arb balls, from the moment
    balls (ZJSD18 proof of Lemma D.1: coordinates of ``x``, ``y`` are then independent):

    * ``H_{u_i u_i} = α₂₀ diag(β₂₀, …, β₂₂ (entry i), …, β₂₀)``;
    * ``H_{u_i u_j} = α₁₀² M_ij`` (i ≠ j) with ``M_pp = β₁₀²`` (p ∉ {i, j}), ``M_ii = M_jj = β₁₀β₁₂``,
      ``M_ij = M_ji = β₁₁²``;
    * ``H_{u_i v_i} = γ² e_i e_iᵀ``; ``H_{u_i v_j} = a bᵀ`` (i ≠ j) with
      ``a = β₁₁α₁₀ e_i + β₁₀α₁₁ e_j``, ``b = β₁₁α₁₀ e_j + β₁₀α₁₁ e_i``;
    * the v-v blocks equal the u-u blocks.  Packing: ``u_i`` at ``i·k``, ``v_i`` at ``k² + i·k``.
    """
    def b(kind, i, j):
        return _moment_ball(activation, kind, i, j, digits)

    a10, a11, a20 = b("alpha", 1, 0), b("alpha", 1, 1), b("alpha", 2, 0)
    b10, b11, b12 = b("beta", 1, 0), b("beta", 1, 1), b("beta", 1, 2)
    b20, b22, g = b("beta", 2, 0), b("beta", 2, 2), b("gamma", 1, 1)
    zero = flint.arb(0)
    n = 2 * k * k
    H = [[zero] * n for _ in range(n)]
    off = k * k
    for i in range(k):
        for p in range(k):  # diagonal blocks
            H[i * k + p][i * k + p] = a20 * (b22 if p == i else b20)
            H[off + i * k + p][off + i * k + p] = H[i * k + p][i * k + p]
        H[i * k + i][off + i * k + i] = g * g
        H[off + i * k + i][i * k + i] = g * g
        for j in range(k):
            if j == i:
                continue
            for p in range(k):
                val = a10 * a10 * (b10 * b12 if p in (i, j) else b10 * b10)
                H[i * k + p][j * k + p] = val
                H[off + i * k + p][off + j * k + p] = val
            c = a10 * a10 * b11 * b11
            for (p, q) in ((i, j), (j, i)):
                H[i * k + p][j * k + q] = c
                H[off + i * k + p][off + j * k + q] = c
            av = {i: b11 * a10, j: b10 * a11}
            bv = {j: b11 * a10, i: b10 * a11}
            for p, ap in av.items():
                for q, bq in bv.items():
                    H[i * k + p][off + j * k + q] = ap * bq
                    H[off + j * k + q][i * k + p] = ap * bq
    return H


def _is_positive_definite(M, mu, flint) -> bool:
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


def orthogonal_lambda_min(activation: str, k: int, digits: int = DEFAULT_DIGITS) -> Enclosure:
    """A rigorous enclosure of ``λ_min(H*)`` for ``d = k`` and orthogonal ``U*, V*`` (the setting of
    Lemma C.1; ``λ_min`` does not depend on which orthogonal matrices).

    Upper end: the Rayleigh quotient, in ball arithmetic, of the float eigenvector of the float
    matrix.  Lower end: the largest ``μ`` among ``ρ − 10^{−(digits−6)}`` and ``λ_float − 1e-12``
    (and smaller fallbacks) for which interval Cholesky proves ``H* − μI ≻ 0``.  So the enclosure
    is a proof, not an estimate; when ``λ_min(H*) = ρ`` (the bound is attained) it has width about
    ``10^{−(digits−6)}`` around ``ρ``."""
    import numpy as np  # noqa: PLC0415

    activation = check_activation(activation)
    digits = _check_digits(digits)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 8:
        raise InputError(f"k: expected an integer between 1 and 8, got {k!r}")
    flint = _flint()
    arb = flint.arb
    with flint.ctx.workprec(_prec_bits(digits) + 30):
        H = _orthogonal_hessian_balls(activation, k, digits, flint)
        Hf = np.array([[float(x.mid()) for x in row] for row in H])
        w, V = np.linalg.eigh(0.5 * (Hf + Hf.T))
        lam, v = float(w[0]), V[:, 0]
        va = [arb(float(x)) for x in v]
        num = sum((va[i] * sum((H[i][j] * va[j] for j in range(len(va))), arb(0)) for i in range(len(va))), arb(0))
        den = sum((x * x for x in va), arb(0))
        rq = num / den
        hi = math.nextafter(float(rq.upper()), math.inf)
        t1, t2 = _rho_balls(activation, digits, flint)
        rball = arb.min(t1, t2)
        tiny = arb(10) ** (-(digits - 6))
        scale = max(1.0, abs(lam))
        candidates = [rball.lower() - tiny] + [arb(lam) - arb(eps) * scale for eps in (1e-12, 1e-9, 1e-6)]
        candidates = sorted((c for c in candidates if c < rq.upper()), key=lambda c: float(c.mid()), reverse=True)
        mu = None
        for c in candidates:
            if _is_positive_definite(H, c, flint):
                mu = c
                break
        lo = -math.inf if mu is None else math.nextafter(float(mu.lower()), -math.inf)
        gap = "" if mu is None else (
            f"; lambda_min - rho in [{float((mu - rball).lower()):.3g}, {float((rq - rball).upper()):.3g}]")
        text = f"[{lo!r}, {hi!r}] (interval Cholesky / Rayleigh quotient, {digits} digits{gap})"
        return Enclosure(name=f"lambda_min(H*) k={k}", lo=lo, hi=hi, mid=lam, text=text)


def matches_published(enclosure: Enclosure, published) -> bool:
    """True when every value of ``enclosure`` rounds to ``published`` at the number of significant
    digits ``published`` is written with (``0.000658``: 3, ``0.0095``: 2)."""
    text = repr(float(published)) if not isinstance(published, str) else published
    mant = text.lower().split("e")[0].lstrip("-+").replace(".", "").lstrip("0")
    sig = max(1, len(mant))
    p = float(published)

    def rnd(x):
        if x == 0:
            return 0.0
        return float(f"{x:.{sig - 1}e}")

    return rnd(enclosure.lo) == rnd(p) == rnd(enclosure.hi)
