"""Batched NMF solvers on the masked loss ``ℓ(W, H) = ½ Σ_Ω ([WH]_ij − X_ij)²`` of
:mod:`certify.nmf.model`: masked Lee–Seung multiplicative updates (:func:`mu`) and projected
gradient descent (:func:`pgd`), every start updated in the same batched matrix products.

Source: "Star-Convexity in Non-Negative Matrix Factorization", anonymous ICLR 2020 submission
(**SC-NMF**), the protocol of §4.1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from .model import (
    _check_positive_int,
    _loss_batch,
    check_data,
    check_factors,
    check_rank,
    half_normal_init,
    init_scale,
)

__all__ = [
    "SOLVERS",
    "NMFRun",
    "mu",
    "pgd",
    "solve",
]

SOLVERS = ("mu", "pgd")
# Denominator guard of the multiplicative updates (scikit-learn uses float32 eps the same way).
MU_EPS = float(np.finfo(np.float32).eps)


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
