"""NMF with an observation mask: loss, gradient, initialization, data scaling, planted model, and
batched solvers (masked Lee–Seung multiplicative updates, projected gradient descent).

Source: "Star-Convexity in Non-Negative Matrix Factorization", anonymous ICLR 2020 submission
(seed 002, cited below as **SC-NMF**), eq. (1)–(2), Assumption 1 and the protocol of §4.1.

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
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError

__all__ = [
    "REDUCTIONS",
    "check_data",
    "check_rank",
    "loss",
    "gradient",
    "init_scale",
    "half_normal_init",
    "scale_data",
    "random_mask",
    "PlantedInstance",
    "planted",
    "NMFRun",
    "mu",
    "pgd",
    "solve",
    "SOLVERS",
]

REDUCTIONS = ("sum", "mean")
SOLVERS = ("mu", "pgd")
# Denominator guard of the multiplicative updates (scikit-learn uses float32 eps the same way).
MU_EPS = float(np.finfo(np.float32).eps)


# ----------------------------------------------------------------------------------------------
# input checks
# ----------------------------------------------------------------------------------------------


def check_rank(rank) -> int:
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank < 1:
        raise InputError(f"rank: expected a positive integer (the inner dimension r of W H), got {rank!r}")
    return int(rank)


def check_data(X, mask=None, *, nonnegative: bool = True, name: str = "X"):
    """``(X, mask, observed)``: ``X`` as float64 ``(n, m)`` with unobserved entries set to 0, the
    mask as a boolean ``(n, m)`` array (all True when ``mask`` is None), and ``|Ω|``.

    Raises :class:`InputError` for a non-matrix, an empty matrix, a mask of another shape or with
    values other than 0/1, an empty mask, NaN/inf at an observed entry, or (``nonnegative``) a
    negative observed entry."""
    try:
        A = np.array(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a numeric matrix (n, m), got {type(X).__name__}") from exc
    if A.ndim != 2 or A.size == 0:
        raise InputError(f"{name}: expected a non-empty matrix of shape (n, m), got shape {A.shape}")
    if mask is None:
        M = np.ones(A.shape, dtype=bool)
    else:
        try:
            Mraw = np.asarray(mask)
        except (TypeError, ValueError) as exc:  # pragma: no cover - asarray accepts almost anything
            raise InputError(f"mask: expected a boolean or 0/1 matrix of shape {A.shape}") from exc
        if Mraw.shape != A.shape:
            raise InputError(f"mask: expected shape {A.shape} (the shape of {name}), got {Mraw.shape}")
        if Mraw.dtype == bool:
            M = Mraw.copy()
        else:
            try:
                Mf = Mraw.astype(float)
            except (TypeError, ValueError) as exc:
                raise InputError("mask: expected a boolean or 0/1 matrix") from exc
            if not np.all((Mf == 0.0) | (Mf == 1.0)):
                raise InputError("mask: expected boolean or 0/1 entries (1 = observed), found other values")
            M = Mf == 1.0
    observed = int(M.sum())
    if observed == 0:
        raise InputError("mask: no entry is observed (the mask is all False); the loss would be empty")
    if not np.all(np.isfinite(A[M])):
        raise InputError(f"{name}: contains NaN or infinite values at observed entries "
                         "(mark missing entries False in mask)")
    if nonnegative and np.any(A[M] < 0):
        raise InputError(f"{name}: has negative observed entries (min {A[M].min():.3g}); NMF needs X >= 0 "
                         "(shift or clip the data, or mask those entries)")
    A = np.where(M, A, 0.0)
    return np.ascontiguousarray(A), M, observed


def check_factors(W, H, n: int, m: int, *, names=("W", "H"), nonnegative: bool = True, rank: int | None = None):
    """``(W, H, single)`` with ``W`` of shape ``(k, n, r)`` and ``H`` of shape ``(k, r, m)`` (a
    batch of one when 2-D arrays were given, ``single`` True)."""
    nw, nh = names
    out = []
    for name, F in ((nw, W), (nh, H)):
        try:
            A = np.array(F, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name}: expected a numeric array") from exc
        if A.ndim not in (2, 3) or A.size == 0:
            raise InputError(f"{name}: expected a matrix or a batch (starts, ., .) of matrices, got shape {A.shape}")
        if not np.all(np.isfinite(A)):
            raise InputError(f"{name}: contains NaN or infinite entries")
        if nonnegative and np.any(A < 0):
            raise InputError(f"{name}: has negative entries (min {A.min():.3g}); NMF factors must be >= 0")
        out.append(A)
    A, B = out
    single = A.ndim == 2 and B.ndim == 2
    A = A[None] if A.ndim == 2 else A
    B = B[None] if B.ndim == 2 else B
    if A.shape[1] != n:
        raise InputError(f"{nw}: expected {n} rows (X is {n} x {m}), got shape {A.shape[-2:]}")
    if B.shape[2] != m:
        raise InputError(f"{nh}: expected {m} columns (X is {n} x {m}), got shape {B.shape[-2:]}")
    if A.shape[2] != B.shape[1]:
        raise InputError(f"{nw}, {nh}: inner dimensions differ ({nw} has {A.shape[2]} columns, {nh} has {B.shape[1]} rows)")
    if rank is not None and A.shape[2] != rank:
        raise InputError(f"{nw}: expected rank {rank} (columns), got {A.shape[2]}")
    if A.shape[0] != B.shape[0]:
        if A.shape[0] == 1:
            A = np.broadcast_to(A, (B.shape[0],) + A.shape[1:])
        elif B.shape[0] == 1:
            B = np.broadcast_to(B, (A.shape[0],) + B.shape[1:])
        else:
            raise InputError(f"{nw}, {nh}: batch sizes differ ({A.shape[0]} and {B.shape[0]})")
    return np.ascontiguousarray(A), np.ascontiguousarray(B), single


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


# ----------------------------------------------------------------------------------------------
# solvers
# ----------------------------------------------------------------------------------------------


@dataclass
class NMFRun:
    """Final factors of a batch of runs: ``W`` ``(starts, n, r)``, ``H`` ``(starts, r, m)``,
    ``loss`` (``½ Σ_Ω``, one per start).  ``history`` has one row per recorded step
    (``history_steps``), one column per start, and ``history_seconds`` the wall time at each row.
    ``checkpoints`` maps a step to the iterates ``(W, H)`` there (step 0 is the start)."""

    W: np.ndarray
    H: np.ndarray
    loss: np.ndarray
    history: np.ndarray
    history_steps: np.ndarray
    history_seconds: np.ndarray
    checkpoints: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def best(self) -> int:
        """Index of the start with the lowest final loss."""
        return int(np.argmin(self.loss))


def _prepare(X, rank, mask, starts, W0, H0, seed, nonnegative_data: bool):
    rank = check_rank(rank)
    X, M, obs = check_data(X, mask, nonnegative=nonnegative_data)
    n, m = X.shape
    if W0 is None and H0 is None:
        starts = _check_positive_int(starts, "starts")
        W, H = half_normal_init(n, m, rank, starts=starts, scale=init_scale(X, M, rank), seed=seed)
    elif W0 is None or H0 is None:
        raise InputError("W0, H0: give both starting factors or neither")
    else:
        W, H, _ = check_factors(W0, H0, n, m, names=("W0", "H0"), rank=rank)
        W, H = W.copy(), H.copy()
    full = bool(M.all())
    return X, M, obs, full, W, H


def _check_steps(steps, checkpoints, record_every):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise InputError(f"steps: expected a non-negative integer, got {steps!r}")
    cps = set()
    if checkpoints is not None:
        for c in np.atleast_1d(checkpoints):
            if not (isinstance(c, (int, np.integer)) and 0 <= c <= steps):
                raise InputError(f"checkpoints: expected integers in [0, steps = {steps}], got {c!r}")
            cps.add(int(c))
    if record_every is None:
        record_every = max(1, steps // 100) if steps else 1
    record_every = _check_positive_int(record_every, "record_every")
    return int(steps), cps, record_every


def _run(update, X, M, W, H, steps, checkpoints, record_every, progress, settings):
    steps, cps, record_every = _check_steps(steps, checkpoints, record_every)
    M = M if M.all() else M.astype(float)
    t0 = time.perf_counter()
    hist, hsteps, hsec, saved = [], [], [], {}
    for k in range(steps + 1):
        if k in cps:
            saved[k] = (W.copy(), H.copy())
        if k % record_every == 0 or k == steps:
            hist.append(_loss_batch(W, H, X, M))
            hsteps.append(k)
            hsec.append(time.perf_counter() - t0)
            if progress:
                progress(k, steps)
        if k == steps:
            break
        W, H = update(W, H)
    seconds = time.perf_counter() - t0
    return NMFRun(W=W, H=H, loss=hist[-1], history=np.array(hist), history_steps=np.array(hsteps),
                  history_seconds=np.array(hsec), checkpoints=saved, settings=settings, seconds=seconds)


def mu(X, rank: int, *, mask=None, starts: int = 1, steps: int = 500, W0=None, H0=None, seed: int = 0,
       checkpoints=None, record_every: int | None = None, progress=None) -> NMFRun:
    """Masked Lee–Seung multiplicative updates (Lee and Seung 2001, Frobenius loss; the masked form
    of Zhang, Wang, Ford, Makedon 2006 cited in SC-NMF §4.1)::

        W ← W ∘ ((M∘X) Hᵀ) / ((M∘(WH)) Hᵀ + ε),    H ← H ∘ (Wᵀ(M∘X)) / (Wᵀ(M∘(WH)) + ε)

    with ``ε`` = float32 machine epsilon (as scikit-learn); entries that fall below the smallest
    normal double are set to 0 (a fixed point of the update; subnormals only slow the products).
    Without a mask the denominators are ``W (H Hᵀ)`` and ``(WᵀW) H`` (no n×m product).  Starts:
    ``starts`` half-normal starts matched to the data mean (:func:`init_scale`), or the batch
    ``W0, H0``.  Every start is updated in the same batched matrix products.  ``X`` must be
    non-negative."""
    X, M, obs, full, W, H = _prepare(X, rank, mask, starts, W0, H0, seed, True)
    MX = X  # unobserved entries are already 0
    Mf = M.astype(float)
    eps = MU_EPS
    tiny = np.finfo(float).tiny

    def masked_product(W, H):
        P = np.matmul(W, H)
        P *= Mf
        return P

    def update(W, H):
        Ht = np.swapaxes(H, 1, 2)
        num = np.matmul(MX, Ht)
        den = np.matmul(W, np.matmul(H, Ht)) if full else np.matmul(masked_product(W, H), Ht)
        den += eps
        W = W * num
        W /= den
        W[W < tiny] = 0.0  # flush subnormals (they would only decay further, and slow every product)
        Wt = np.swapaxes(W, 1, 2)
        num = np.matmul(Wt, MX)
        den = np.matmul(np.matmul(Wt, W), H) if full else np.matmul(Wt, masked_product(W, H))
        den += eps
        H = H * num
        H /= den
        H[H < tiny] = 0.0
        return W, H

    settings = {"method": "mu", "rank": W.shape[2], "starts": W.shape[0], "steps": int(steps), "seed": seed,
                "eps": eps, "observed": obs, "masked": not full}
    return _run(update, X, M, W, H, steps, checkpoints, record_every, progress, settings)


def _lmax_gram(F, axis_inner):
    """Largest eigenvalue of ``F Fᵀ`` (``axis_inner=2``) or ``Fᵀ F`` (``axis_inner=1``) per batch
    element: an upper bound on the block Lipschitz constant of the (masked) gradient."""
    G = np.matmul(F, np.swapaxes(F, 1, 2)) if axis_inner == 2 else np.matmul(np.swapaxes(F, 1, 2), F)
    return np.linalg.eigvalsh(G)[:, -1]


def pgd(X, rank: int, *, mask=None, starts: int = 1, steps: int = 500, W0=None, H0=None, seed: int = 0,
        step_size: float | None = None, checkpoints=None, record_every: int | None = None, progress=None) -> NMFRun:
    """Projected gradient descent on ``ℓ = ½ Σ_Ω ([WH]_ij − X_ij)²``.

    * ``step_size=None`` (default): alternating projected gradient steps with step ``1/L`` per
      block, ``W ← [W − ∇_W ℓ / L_W]₊`` with ``L_W = λ_max(H Hᵀ)``, then ``H ← [H − ∇_H ℓ / L_H]₊``
      with ``L_H = λ_max(WᵀW)`` (each block's gradient is ``L``-Lipschitz, masked or not, so each
      step decreases ℓ; the PALM scheme of Bolte, Sabach, Teboulle 2014).
    * ``step_size=η``: plain simultaneous projected gradient descent
      ``(W, H) ← [(W, H) − η ∇ℓ(W, H)]₊`` with a constant step — the protocol of SC-NMF §4.1
      (there η = 1e-7 on the "mean" loss of data scaled to unit variance, 10⁴ steps).  A step too
      large for the data diverges; diverged starts are reported with ``loss = inf``.

    Batched over starts like :func:`mu`."""
    X, M, obs, full, W, H = _prepare(X, rank, mask, starts, W0, H0, seed, False)
    if step_size is not None and not (isinstance(step_size, (int, float)) and np.isfinite(step_size) and step_size > 0):
        raise InputError(f"step_size: expected a positive number or None (adaptive 1/L steps), got {step_size!r}")

    Mf = M.astype(float)

    def residual(W, H):
        E = np.matmul(W, H)
        E -= X
        if not full:
            E *= Mf
        return E

    def grad_W(W, H):
        Ht = np.swapaxes(H, 1, 2)
        if full:  # (WH − X)Hᵀ = W(HHᵀ) − XHᵀ: no n×m product
            return np.matmul(W, np.matmul(H, Ht)) - np.matmul(X, Ht)
        return np.matmul(residual(W, H), Ht)

    def grad_H(W, H):
        Wt = np.swapaxes(W, 1, 2)
        if full:
            return np.matmul(np.matmul(Wt, W), H) - np.matmul(Wt, X)
        return np.matmul(Wt, residual(W, H))

    if step_size is None:
        def update(W, H):
            L = _lmax_gram(H, 2)
            W = np.maximum(W - grad_W(W, H) / np.maximum(L, 1e-300)[:, None, None], 0.0)
            L = _lmax_gram(W, 1)
            H = np.maximum(H - grad_H(W, H) / np.maximum(L, 1e-300)[:, None, None], 0.0)
            return W, H
    else:
        eta = float(step_size)

        def update(W, H):
            E = residual(W, H)
            gW = np.matmul(E, np.swapaxes(H, 1, 2))
            gH = np.matmul(np.swapaxes(W, 1, 2), E)
            return np.maximum(W - eta * gW, 0.0), np.maximum(H - eta * gH, 0.0)

    settings = {"method": "pgd", "rank": W.shape[2], "starts": W.shape[0], "steps": int(steps), "seed": seed,
                "step_size": None if step_size is None else float(step_size),
                "schedule": "alternating 1/L" if step_size is None else "simultaneous constant",
                "observed": obs, "masked": not full}
    with np.errstate(over="ignore", invalid="ignore"):
        run = _run(update, X, M, W, H, steps, checkpoints, record_every, progress, settings)
    bad = ~np.isfinite(run.loss)
    if bad.any():
        run.loss = np.where(bad, np.inf, run.loss)
        run.settings["diverged"] = int(bad.sum())
    return run


def solve(X, rank: int, method: str = "mu", **kwargs) -> NMFRun:
    """:func:`mu` or :func:`pgd` by name."""
    if method == "mu":
        return mu(X, rank, **kwargs)
    if method == "pgd":
        return pgd(X, rank, **kwargs)
    raise InputError(f"method: expected one of {', '.join(SOLVERS)}, got {method!r}")
