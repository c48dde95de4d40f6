"""NMF with an observation mask: loss, gradient, initialization, data scaling, random masks and the
planted model (the batched solvers are in :mod:`certify.nmf.solvers`; the input checks
:func:`check_data` and :func:`check_factors` come from the kernel, :mod:`certify.check.nmf`).

Source: "Star-Convexity in Non-Negative Matrix Factorization", anonymous ICLR 2020 submission
(cited below as **SC-NMF**), eq. (1)–(2), Assumption 1 and the protocol of §4.1.

Loss (SC-NMF eq. (2), the convention of every number in this module)::

    reduction="sum"  (default):  ℓ(W, H) = ½ Σ_{(i,j) ∈ Ω} ([WH]_ij − X_ij)²
    reduction="mean":            ℓ(W, H) / |Ω|        (SC-NMF §4.1: "divide the loss by the
                                                        number of (observed) entries")

with ``W ∈ R^{n×r}_{≥0}``, ``H ∈ R^{r×m}_{≥0}`` and ``Ω`` the observed entries (``mask``; all
entries when ``mask`` is None).  scikit-learn's ``NMF`` minimizes ``½‖X − WH‖²_F`` (the "sum"
form with every entry observed) and has no mask.

Gradient: ``∇_W ℓ = (M∘(WH − X)) Hᵀ``, ``∇_H ℓ = Wᵀ (M∘(WH − X))`` with ``M`` the 0/1 mask.

Batched over starts: factors carry a leading axis, ``W`` of shape ``(starts, n, r)`` and ``H`` of
shape ``(starts, r, m)``; one update is one batched matrix product for all starts.  Unobserved
entries of ``X`` are never read (they are set to 0 internally, NaN allowed there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..check.nmf import check_data, check_factors
from ..errors import InputError

__all__ = [
    "REDUCTIONS",
    "check_data",
    "check_factors",
    "check_rank",
    "loss",
    "gradient",
    "init_scale",
    "half_normal_init",
    "scale_data",
    "random_mask",
    "PlantedInstance",
    "planted",
]

REDUCTIONS = ("sum", "mean")


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------


def check_rank(rank) -> int:
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
        raise InputError(f"rank: expected a positive integer (the inner dimension r of W H), got {rank!r}")
    return int(rank)


def _check_reduction(reduction) -> str:
    if reduction not in REDUCTIONS:
        raise InputError(f"reduction: expected one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    return reduction


# ----------------------------------------------------------------------------------------------
# loss and gradient
# ----------------------------------------------------------------------------------------------


def _residual(W, H, X, M):
    """``M∘(WH − X)`` for a batch, shape ``(k, n, m)`` (in place: a float mask multiplies much
    faster than a boolean one)."""
    E = np.matmul(W, H)
    E -= X
    if not (M.dtype == bool and M.all()):
        E *= M if M.dtype != bool else M.astype(float)
    return E


def _loss_batch(W, H, X, M, chunk_elems: int = 4_000_000):
    k, n, m = W.shape[0], X.shape[0], X.shape[1]
    out = np.empty(k)
    step = max(1, chunk_elems // (n * m))
    for s in range(0, k, step):
        E = _residual(W[s:s + step], H[s:s + step], X, M)
        out[s:s + step] = 0.5 * np.einsum("kij,kij->k", E, E)
    return out


def loss(W, H, X, mask=None, *, reduction: str = "sum"):
    """``ℓ(W, H) = ½ Σ_Ω ([WH]_ij − X_ij)²`` (SC-NMF eq. (2)); divided by ``|Ω|`` when
    ``reduction="mean"``.  A float, or one value per start for batched factors."""
    reduction = _check_reduction(reduction)
    X, M, obs = check_data(X, mask, nonnegative=False)
    W, H, single = check_factors(W, H, *X.shape, nonnegative=False)
    val = _loss_batch(W, H, X, M)
    if reduction == "mean":
        val = val / obs
    return float(val[0]) if single else val


def gradient(W, H, X, mask=None, *, reduction: str = "sum"):
    """``(∇_W ℓ, ∇_H ℓ) = ((M∘(WH − X)) Hᵀ, Wᵀ (M∘(WH − X)))`` (divided by ``|Ω|`` for "mean"),
    with the shapes of ``W`` and ``H``."""
    reduction = _check_reduction(reduction)
    X, M, obs = check_data(X, mask, nonnegative=False)
    W, H, single = check_factors(W, H, *X.shape, nonnegative=False)
    E = _residual(W, H, X, M)
    gW = np.matmul(E, np.swapaxes(H, 1, 2))
    gH = np.matmul(np.swapaxes(W, 1, 2), E)
    if reduction == "mean":
        gW /= obs
        gH /= obs
    return (gW[0], gH[0]) if single else (gW, gH)


# ----------------------------------------------------------------------------------------------
# initialization, scaling, masks, planted model
# ----------------------------------------------------------------------------------------------


def init_scale(X, mask=None, rank: int = 1) -> float:
    """σ of the half-normal initialization matched to the data mean (SC-NMF §4.1): with
    ``W_ik, H_kj ~ |N(0, σ²)|`` i.i.d., ``E[WH]_ij = r σ² · 2/π``; setting it to the mean of the
    observed entries gives ``σ = sqrt(π · mean(X_Ω) / (2 r))``."""
    rank = check_rank(rank)
    X, M, _ = check_data(X, mask)
    mean = float(X[M].mean())
    if not mean > 0:
        raise InputError("X: the observed entries are all zero; the initialization cannot match a zero mean")
    return math.sqrt(math.pi * mean / (2.0 * rank))


def half_normal_init(shape_n: int, shape_m: int, rank: int, *, starts: int = 1, scale: float = 1.0, seed=0):
    """``(W0, H0)`` of shapes ``(starts, n, r)``, ``(starts, r, m)`` with i.i.d. ``|N(0, scale²)|``
    entries."""
    rank = check_rank(rank)
    starts = _check_positive_int(starts, "starts")
    if not (np.isfinite(scale) and scale > 0):
        raise InputError(f"scale: expected a positive number, got {scale!r}")
    rng = np.random.default_rng(seed)
    W = np.abs(rng.standard_normal((starts, shape_n, rank))) * scale
    H = np.abs(rng.standard_normal((starts, rank, shape_m))) * scale
    return W, H


def scale_data(X, mask=None):
    """``(X / s, s)`` with ``s`` the standard deviation of the observed entries, so the observed
    entries have variance 1 (SC-NMF §4.1).  Unobserved entries are returned as 0."""
    X, M, _ = check_data(X, mask)
    s = float(X[M].std())
    if not s > 0:
        raise InputError("X: the observed entries are constant (variance 0); nothing to scale")
    return X / s, s


def random_mask(shape, observed_fraction: float, *, seed=0) -> np.ndarray:
    """A boolean mask observing each entry independently with probability ``observed_fraction``
    (SC-NMF Theorem 1, unobserved data); at least one entry is observed."""
    if not (isinstance(observed_fraction, (int, float, np.floating)) and 0 < observed_fraction <= 1):
        raise InputError(f"observed_fraction: expected a number in (0, 1], got {observed_fraction!r}")
    rng = np.random.default_rng(seed)
    M = rng.random(shape) < observed_fraction
    if not M.any():
        M.flat[rng.integers(M.size)] = True
    return M


def _check_positive_int(v, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise InputError(f"{name}: expected a positive integer, got {v!r}")
    return int(v)


PLANTED_DISTRIBUTIONS = ("half-normal", "uniform")


def _draw(rng, shape, distribution: str):
    if distribution == "half-normal":
        return np.abs(rng.standard_normal(shape))
    return rng.random(shape)


@dataclass
class PlantedInstance:
    """A planted NMF instance (SC-NMF Assumption 1): ``X = W* H*`` with i.i.d. non-negative factor
    entries, rank ``r = round(n^γ)``, optional random mask.  ``random_points(k)`` draws factors from
    the same distribution (the random points of SC-NMF Theorem 1)."""

    X: np.ndarray
    mask: np.ndarray
    W_star: np.ndarray
    H_star: np.ndarray
    rank: int
    distribution: str
    gamma: float | None
    seed: int
    settings: dict = field(default_factory=dict)

    @property
    def shape(self):
        return self.X.shape

    def random_points(self, k: int, seed=None):
        """``(W, H)`` of shapes ``(k, n, r)``, ``(k, r, m)`` from the factor distribution."""
        k = _check_positive_int(k, "k")
        rng = np.random.default_rng(self.seed + 1 if seed is None else seed)
        n, m = self.X.shape
        return _draw(rng, (k, n, self.rank), self.distribution), _draw(rng, (k, self.rank, m), self.distribution)


def planted(n: int, m: int | None = None, rank: int | None = None, *, gamma: float = 0.5,
            distribution: str = "half-normal", observed_fraction: float = 1.0, seed: int = 0) -> PlantedInstance:
    """SC-NMF Assumption 1: ``W* ∈ R^{n×r}``, ``H* ∈ R^{r×m}`` with i.i.d. entries ``|N(0, 1)|``
    (``distribution="half-normal"``, a 1-Lipschitz function of a Gaussian) or ``U[0, 1]``
    ("uniform", bounded); ``r = max(1, round(n^γ))`` unless ``rank`` is given (γ ∈ [1/2, 1] in the
    theorem), ``m = n`` by default; ``X = W* H*``, each entry observed with probability
    ``observed_fraction``."""
    n = _check_positive_int(n, "n")
    m = n if m is None else _check_positive_int(m, "m")
    if distribution not in PLANTED_DISTRIBUTIONS:
        raise InputError(f"distribution: expected one of {', '.join(PLANTED_DISTRIBUTIONS)}, got {distribution!r}")
    if rank is None:
        if not (isinstance(gamma, (int, float)) and 0 <= gamma <= 1):
            raise InputError(f"gamma: expected a number in [0, 1] (r = n^gamma), got {gamma!r}")
        rank = max(1, int(round(n ** gamma)))
        g = float(gamma)
    else:
        rank = check_rank(rank)
        g = None
    rng = np.random.default_rng(seed)
    Ws = _draw(rng, (n, rank), distribution)
    Hs = _draw(rng, (rank, m), distribution)
    X = Ws @ Hs
    M = random_mask((n, m), observed_fraction, seed=seed + 7919) if observed_fraction < 1 else np.ones((n, m), bool)
    X = np.where(M, X, 0.0)
    return PlantedInstance(X=X, mask=M, W_star=Ws, H_star=Hs, rank=rank, distribution=distribution, gamma=g,
                           seed=int(seed), settings={"n": n, "m": m, "rank": rank, "gamma": g,
                                                     "distribution": distribution,
                                                     "observed_fraction": float(observed_fraction)})
