"""Gaussian moments of an activation and the curvature constant ρ of non-linear inductive matrix
completion (NIMC), as rigorous enclosures.

Definitions (Zhong, Jain, Song, Dhillon 2018, "Nonlinear Inductive Matrix Completion based on
One-layer Neural Networks", Appendix C.2, eq. (9)), for ``z ~ N(0, 1)``::

    α_{i,j} = E[φ(z)^i z^j],   β_{i,j} = E[φ'(z)^i z^j],   γ = E[φ(z) φ'(z) z],
    ρ = min{ α₂₀β₂₀ − α₁₀²β₁₀² − β₁₀²α₁₁² ,  α₂₀β₂₂ − α₁₀²β₁₂² − γ² }.

Lemma C.1 (ibid.): if ``d = k``, ``U*, V*`` are orthogonal and ``β₁₁ = 0``, the population Hessian
``H*`` of ``½ E[(φ(Uᵀx)ᵀφ(Vᵀy) − A(x, y))²]`` (eq. (7)) at the ground truth satisfies
``λ_min(H*) >= ρ``.  The paper reports ``ρ ≈ 0.000658`` (sigmoid) and ``ρ ≈ 0.0095`` (tanh).

How the enclosures are obtained (Arb's rigorous integration with analytic tail bounds for sigmoid
and tanh, closed forms for ReLU and linear, outward-rounded ``lo``/``hi``): the trusted kernel,
:mod:`certify.check.nimc_constants`, says it once.

Notes, where the paper's text and our numbers differ (the computation wins; docs/mathematics.md §2 copies
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

The enclosures are computed by the trusted kernel, :mod:`certify.check.nimc_constants` (so that
``certify verify`` recomputes a NIMC certificate's moments without the solver side); this module
re-exports them, with the published values and their comparison.
"""

from __future__ import annotations

from ..check.nimc_constants import (
    DEFAULT_DIGITS,
    MOMENT_NAMES,
    Enclosure,
    LambdaMinProof,
    _flint,
    _moment_ball,
    gamma,
    lambda_min_enclosure,
    lemma_c1_applies,
    moment,
    moments,
    orthogonal_lambda_min,
    rho,
    rho_terms,
)
from ..errors import InputError
from .activations import ACTIVATIONS, check_activation

__all__ = [
    "ACTIVATIONS",
    "PUBLISHED_RHO",
    "Enclosure",
    "LambdaMinProof",
    "moment",
    "moments",
    "gamma",
    "rho",
    "rho_terms",
    "lemma_c1_applies",
    "published_rho",
    "orthogonal_lambda_min",
    "lambda_min_enclosure",
    "matches_published",
    "DEFAULT_DIGITS",
    "MOMENT_NAMES",
]

# the kernel's private helpers, re-exported for callers of the former module
_flint, _moment_ball = _flint, _moment_ball

#: Published values of ρ (Zhong, Jain, Song, Dhillon 2018, Lemma C.1 and proof of Lemma D.1).
PUBLISHED_RHO = {"sigmoid": 0.000658, "tanh": 0.0095}


def published_rho(activation: str, digits: int = DEFAULT_DIGITS) -> tuple[Enclosure, float]:
    """``(computed enclosure, published value)`` for sigmoid and tanh (STYLE: every published
    constant has a function returning both)."""
    activation = check_activation(activation)
    if activation not in PUBLISHED_RHO:
        raise InputError(f"activation: no published rho for {activation!r}; published: {', '.join(PUBLISHED_RHO)}")
    return rho(activation, digits), PUBLISHED_RHO[activation]


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
