"""Compiled (numba) kernels for batched (S)GD on explicit measurement operators.

One trial is one row of ``X`` (shape ``(trials, n, r)``); trials run in parallel (``prange``) and
each owns a SplitMix64 random stream seeded from ``(seed, trial index)``, so results are
bit-for-bit identical whatever the number of worker threads.

Objective (no ½): ``f(X) = Σ_i (<S_i, X X^T> - b_i)^2`` with ``S_i = sym(A_i)``,
``∇f(X) = 4 Σ_i res_i S_i X``.  SGD draws ``batch`` indices uniformly with replacement and steps
along the unbiased estimate ``(m / batch) · 4 Σ_{j ∈ batch} res_j S_j X``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)

RUNNING, DIVERGED = 0, 1


@njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def seed_states(seed, trials, first):
    """Initial SplitMix64 state of trials ``first, ..., first + trials - 1``: a hash of (seed, trial).

    The state of a trial depends on its global index only, so a run split into chunks of trials
    (``first`` = the chunk's offset) draws exactly the streams of the run in one piece."""
    out = np.empty(trials, dtype=np.uint64)
    base = _mix(np.uint64(seed) + _GOLDEN)
    for t in range(trials):
        out[t] = _mix(base ^ _mix(np.uint64(first + t) * _GOLDEN + _GOLDEN))
    return out


@njit(cache=True, parallel=True)
def run_steps(S, b, X, state, status, k0, steps, eta0, tau, batch):
    """Advance every trial ``steps`` iterations in place (starting at iteration ``k0``).

    ``batch = 0`` is full-batch gradient descent; ``eta_k = eta0 / (1 + k / tau)`` when
    ``tau > 0``, else ``eta0``.  A trial whose iterate stops being finite is frozen and marked
    ``DIVERGED``.
    """
    trials, n, r = X.shape
    m = S.shape[0]
    scale = 4.0 if batch == 0 else 4.0 * m / batch
    nb = m if batch == 0 else batch
    mm = np.uint64(m)
    for t in prange(trials):
        if status[t] != RUNNING:
            continue
        x = X[t].copy()
        G = np.empty((n, r))
        Sx = np.empty((n, r))
        st = state[t]
        for k in range(k0, k0 + steps):
            eta = eta0 / (1.0 + k / tau) if tau > 0.0 else eta0
            G[:, :] = 0.0
            for j in range(nb):
                if batch == 0:
                    i = j
                else:
                    st += _GOLDEN
                    i = np.int64(((_mix(st) >> _S32) * mm) >> _S32)
                res = -b[i]
                for p in range(n):
                    for c in range(r):
                        acc = 0.0
                        for q in range(n):
                            acc += S[i, p, q] * x[q, c]
                        Sx[p, c] = acc
                        res += x[p, c] * acc
                for p in range(n):
                    for c in range(r):
                        G[p, c] += res * Sx[p, c]
            bad = False
            for p in range(n):
                for c in range(r):
                    x[p, c] -= eta * scale * G[p, c]
                    if not np.isfinite(x[p, c]):
                        bad = True
            if bad:
                status[t] = DIVERGED
                break
        state[t] = st
        X[t] = x
