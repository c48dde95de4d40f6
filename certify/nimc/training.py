"""NIMC training: perturbed starts, the default step size, batched GD and minibatch SGD (mean
convention of :mod:`certify.nimc.model`), the relative test error and the recovery criterion of
ZJSD18 §4.1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .activations import check_activation
from .hessians import _hvp
from .model import _ACT, NIMCData, _as_factor, _batch, _check_int, _grad, _prepare, _rng

__all__ = [
    "RECOVERY_TOL",
    "perturbed_start",
    "default_step_size",
    "NIMCRun",
    "gd",
    "sgd",
    "relative_test_error",
    "recovered",
]

#: Success criterion of ZJSD18 §4.1: relative test error <= 1e-3 on fresh samples.
RECOVERY_TOL = 1e-3


def perturbed_start(U_star, V_star, alpha: float, *, seed=None, fix_first_row: bool = False):
    """``W⁰ = (1 − α) W* + α W_rand`` with ``W_rand`` i.i.d. ``N(0, 1)`` (ZJSD19 §4); batched over a
    leading trials axis of the truth.  ``fix_first_row`` keeps the first row of ``U*``."""
    U = _as_factor(U_star, "U_star")
    V = _as_factor(V_star, "V_star", d=U.shape[-2], k=U.shape[-1])
    if not (np.isfinite(alpha) and 0.0 <= alpha <= 1.0):
        raise InputError(f"alpha: expected a number in [0, 1], got {alpha!r}")
    rng = _rng(seed)
    U0 = (1 - alpha) * U + alpha * rng.standard_normal(U.shape)
    V0 = (1 - alpha) * V + alpha * rng.standard_normal(V.shape)
    if fix_first_row:
        U0[..., 0, :] = U[..., 0, :]
    return U0, V0


def default_step_size(data: NIMCData, U, V, *, fix_first_row: bool = False, iterations: int = 40,
                      safety: float = 0.9, seed=0) -> np.ndarray:
    """``safety / |λ|_max(∇²f_Ω(U, V))`` per trial (mean convention), by power iteration with
    Hessian-vector products (ZJSD18 Theorem 3.3 takes ``η = Θ(1/M_u)``)."""
    U, V, _ = _prepare(data, U, V)
    rng = _rng(seed)
    dU = rng.standard_normal(U.shape)
    dV = rng.standard_normal(V.shape)
    lam = np.zeros(U.shape[0])
    for _ in range(iterations):
        if fix_first_row:
            dU[:, 0, :] = 0.0
        nrm = np.sqrt(np.einsum("tdk,tdk->t", dU, dU) + np.einsum("tdk,tdk->t", dV, dV))[:, None, None]
        dU, dV = dU / nrm, dV / nrm
        HU, HV = _hvp(data.activation, data.Xo, data.Yo, data.A, U, V, dU, dV, 1.0 / data.m)
        if fix_first_row:
            HU[:, 0, :] = 0.0
        lam = np.sqrt(np.einsum("tdk,tdk->t", HU, HU) + np.einsum("tdk,tdk->t", HV, HV))
        dU, dV = HU, HV
    lam = np.where(lam > 0, lam, 1.0)
    return safety / lam


@dataclass
class NIMCRun:
    """Final iterates and history of a batch of (S)GD runs.

    ``U``, ``V``: ``(trials, d, k)``; ``loss``: final ``f_Ω`` (mean convention); ``steps``: steps
    taken per trial (fewer when ``rtol`` stopped it); ``history``: ``{"step": (R,), "loss": (R, T),
    "dist": (R, T)}`` recorded every ``record_every`` steps (``dist = ||W − W*||_F`` when the data
    carries the truth); ``diverged``: trials whose loss became non-finite (frozen there)."""

    U: np.ndarray
    V: np.ndarray
    loss: np.ndarray
    steps: np.ndarray
    step_size: np.ndarray
    diverged: np.ndarray
    history: dict
    settings: dict
    elapsed: float


def _dist(U, V, Us, Vs):
    if Us is None:
        return np.full(U.shape[0], np.nan)
    return np.sqrt(np.einsum("tdk,tdk->t", U - Us, U - Us) + np.einsum("tdk,tdk->t", V - Vs, V - Vs))


def _full_loss(data: NIMCData, idx, U, V) -> np.ndarray:
    """``f_Ω`` (mean convention) of the trials ``idx`` at ``(U, V)`` (the iterates of those trials)."""
    Zu, Zv = data.Xo[idx] @ U, data.Yo[idx] @ V
    phi = _ACT[data.activation][0]
    r = np.einsum("tmk,tmk->tm", phi(Zu), phi(Zv)) - data.A[idx]
    return 0.5 * np.mean(r * r, axis=1)


class _History:
    """Loss and distance to the truth of every trial, recorded at chosen steps."""

    def __init__(self, data: NIMCData):
        self.data = data
        self.step, self.loss, self.dist = [], [], []

    def record(self, s: int, U, V):
        self.step.append(s)
        self.loss.append(_full_loss(self.data, np.arange(U.shape[0]), U, V))
        self.dist.append(_dist(U, V, self.data.U_star, self.data.V_star))

    def as_dict(self) -> dict:
        return {"step": np.array(self.step), "loss": np.array(self.loss), "dist": np.array(self.dist)}


def _setup(data, U0, V0, *, steps, step_size, fix_first_row, rtol, record_every, batch, decay, method):
    """Validated ``(steps, U, V, eta, record_every, batch)``: copies of the starts, one step size per
    trial (default: :func:`default_step_size`, halved for SGD)."""
    if not isinstance(data, NIMCData):
        raise InputError(f"data: expected NIMCData (see sample_data), got {type(data).__name__}")
    steps = _check_int(steps, "steps", 0)
    U, V, _ = _prepare(data, U0, V0)
    U, V = U.copy(), V.copy()
    T = U.shape[0]
    if step_size is None:
        eta = default_step_size(data, U, V, fix_first_row=fix_first_row)
        if method == "sgd":
            eta = 0.5 * eta
    else:
        eta = np.broadcast_to(np.asarray(step_size, dtype=float), (T,)).copy()
        if not np.all(np.isfinite(eta) & (eta > 0)):
            raise InputError(f"step_size: expected positive step size(s), got {step_size!r}")
    if decay is not None and not (np.isfinite(decay) and decay > 0):
        raise InputError(f"decay: expected a positive number of steps or None, got {decay!r}")
    if rtol is not None and not (np.isfinite(rtol) and rtol >= 0):
        raise InputError(f"rtol: expected a non-negative number or None, got {rtol!r}")
    record_every = _check_int(record_every or max(1, steps // 200), "record_every")
    if batch is not None:
        batch = _check_int(batch, "batch")
    return steps, U, V, eta, record_every, batch


def _descend(data, U, V, eta, hist: _History, bar, rng, *, steps, fix_first_row, rtol, record_every, batch, decay,
             method):
    """The (S)GD loop, in place on ``U, V``; returns ``(steps done, diverged)`` per trial.  A trial
    stops when its iterate becomes non-finite (kept at the last finite one) or, with ``rtol``,
    once ``f_Ω <= rtol · ½ mean(A²)`` (checked every 25 steps)."""
    T = U.shape[0]
    A2 = 0.5 * np.mean(data.A**2, axis=1)  # f_Ω(0-prediction scale): relative loss reference
    done_steps = np.zeros(T, dtype=int)
    diverged = np.zeros(T, dtype=bool)
    active = np.arange(T)
    Xo, Yo, A = data.Xo, data.Yo, data.A
    scale = 1.0 / data.m
    for s in range(1, steps + 1):
        if active.size == 0:
            break
        Ua, Va = U[active], V[active]
        if method == "gd":
            gU, gV, r = _grad(data.activation, Xo, Yo, A, Ua, Va, scale)
        else:
            j = rng.integers(0, data.m, size=(active.size, batch))
            Xb = np.take_along_axis(Xo, j[:, :, None], 1)
            Yb = np.take_along_axis(Yo, j[:, :, None], 1)
            gU, gV, r = _grad(data.activation, Xb, Yb, np.take_along_axis(A, j, 1), Ua, Va, 1.0 / batch)
        if fix_first_row:
            gU[:, 0, :] = 0.0
        e = eta[active] if decay is None else eta[active] / (1.0 + (s - 1) / decay)
        Ua = Ua - e[:, None, None] * gU
        Va = Va - e[:, None, None] * gV
        bad = ~(np.all(np.isfinite(Ua), axis=(1, 2)) & np.all(np.isfinite(Va), axis=(1, 2)))
        good = ~bad
        U[active[good]] = Ua[good]
        V[active[good]] = Va[good]
        done_steps[active[good]] = s
        diverged[active[bad]] = True
        changed = bad.any()
        if rtol is not None and (s % 25 == 0 or s == steps):
            f = _full_loss(data, active, U[active], V[active])
            conv = f <= rtol * A2[active]
            changed = changed or conv.any()
            good = good & ~conv
        if changed:
            active = active[good]
            Xo, Yo, A = data.Xo[active], data.Yo[active], data.A[active]
        if s % record_every == 0 or s == steps:
            hist.record(s, U, V)
        if bar is not None:
            bar.update(s)
    return done_steps, diverged


def _run(data, U0, V0, *, steps, step_size, fix_first_row, rtol, record_every, batch, decay, seed, progress, method):
    steps, U, V, eta, record_every, batch = _setup(
        data, U0, V0, steps=steps, step_size=step_size, fix_first_row=fix_first_row, rtol=rtol,
        record_every=record_every, batch=batch, decay=decay, method=method)
    rng = _rng(seed)
    hist = _History(data)
    bar = None
    if progress:
        from ..progress import Progress  # noqa: PLC0415

        bar = Progress(steps, label=f"NIMC {method}")
    t0 = time.perf_counter()
    hist.record(0, U, V)
    done_steps, diverged = _descend(data, U, V, eta, hist, bar, rng, steps=steps, fix_first_row=fix_first_row,
                                    rtol=rtol, record_every=record_every, batch=batch, decay=decay, method=method)
    if bar is not None:
        bar.close()
    if done_steps.max(initial=0) > hist.step[-1]:  # every trial stopped early: record where they ended
        hist.record(int(done_steps.max()), U, V)
    final = _full_loss(data, np.arange(U.shape[0]), U, V)
    final[diverged] = np.inf
    settings = {"method": method, "steps": steps, "step_size": "1/|lambda|_max(Hessian at W0) x 0.9" if step_size is None
                else "given", "fix_first_row": fix_first_row, "rtol": rtol, "batch": batch, "decay": decay,
                "loss": "mean: 1/(2|Omega|) sum (phi(U^T x)^T phi(V^T y) - A)^2"}
    return NIMCRun(U=U, V=V, loss=final, steps=done_steps, step_size=eta, diverged=diverged, history=hist.as_dict(),
                   settings=settings, elapsed=time.perf_counter() - t0)


def gd(data: NIMCData, U0, V0, *, steps: int = 1000, step_size=None, fix_first_row: bool = False,
       rtol: float | None = None, record_every: int | None = None, progress: bool = False) -> NIMCRun:
    """Full-gradient descent ``W ← W − η ∇f_Ω(W)`` (mean convention), batched over trials.

    ``step_size``: a float or one per trial; default ``0.9/|λ|_max(∇²f_Ω(W⁰))`` per trial.
    ``rtol``: stop a trial once ``f_Ω <= rtol · ½ mean(A²)`` (checked every 25 steps).
    ``fix_first_row``: the ReLU variant of ZJSD19 eq. (4) (first row of ``U`` stays at ``U0``'s)."""
    return _run(data, U0, V0, steps=steps, step_size=step_size, fix_first_row=fix_first_row, rtol=rtol,
                record_every=record_every, batch=None, decay=None, seed=None, progress=progress, method="gd")


def sgd(data: NIMCData, U0, V0, *, steps: int = 1000, batch: int = 32, step_size=None, decay: float | None = None,
        fix_first_row: bool = False, rtol: float | None = None, record_every: int | None = None, seed=None,
        progress: bool = False) -> NIMCRun:
    """Minibatch SGD: each step draws ``batch`` observations of Ω uniformly with replacement (per
    trial) and steps along the minibatch mean gradient, an unbiased estimate of ``∇f_Ω`` (mean
    convention).  Default step: half the GD default; ``decay``: ``η_t = η / (1 + t/decay)``."""
    return _run(data, U0, V0, steps=steps, step_size=step_size, fix_first_row=fix_first_row, rtol=rtol,
                record_every=record_every, batch=batch, decay=decay, seed=seed, progress=progress, method="sgd")


def relative_test_error(U, V, U_star, V_star, activation: str, *, n_test: int = 500, seed=None):
    """Relative test error on fresh samples (ZJSD18 §4.1):
    ``||φ(X_t U)φ(Y_t V)ᵀ − φ(X_t U*)φ(Y_t V*)ᵀ||_F / ||φ(X_t U*)φ(Y_t V*)ᵀ||_F`` with new
    ``X_t, Y_t ∈ R^{n_test × d}``.  (The seed prints ``φ(X_tU)φ(X_tU)ᵀ`` on both sides, which only
    tests ``U``; the two-sided form is the model's prediction error and is invariant under the
    redundancies ``(U*D, V*D⁻¹)`` of ReLU.)  A float or one value per trial."""
    activation = check_activation(activation)
    Us = _as_factor(U_star, "U_star")
    Vs = _as_factor(V_star, "V_star", d=Us.shape[-2], k=Us.shape[-1])
    U = _as_factor(U, "U", d=Us.shape[-2], k=Us.shape[-1])
    V = _as_factor(V, "V", d=Us.shape[-2], k=Us.shape[-1])
    U, V, Us, Vs, single = _batch(U, V, Us, Vs)
    n_test = _check_int(n_test, "n_test")
    rng = _rng(seed)
    T, d, _ = U.shape
    Xt = rng.standard_normal((T, n_test, d))
    Yt = rng.standard_normal((T, n_test, d))
    phi = _ACT[activation][0]
    R = phi(Xt @ U) @ np.swapaxes(phi(Yt @ V), 1, 2)
    Rs = phi(Xt @ Us) @ np.swapaxes(phi(Yt @ Vs), 1, 2)
    num = np.sqrt(np.sum((R - Rs) ** 2, axis=(1, 2)))
    den = np.sqrt(np.sum(Rs**2, axis=(1, 2)))
    err = num / np.where(den > 0, den, 1.0)
    return float(err[0]) if single else err


def recovered(err, tol: float = RECOVERY_TOL):
    """The success criterion of ZJSD18 §4.1: relative test error ``<= tol`` (1e-3)."""
    return np.asarray(err) <= tol
