"""NIMC studies: ``λ_min`` of the empirical Hessian near the truth, local convergence of GD against
ZJSD18 Theorem 3.3, and one cell of the synthetic phase-transition experiment (§4.1).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from .activations import check_activation
from .hessians import hessian
from .model import _rng, random_truth, sample_data
from .training import RECOVERY_TOL, gd, perturbed_start, recovered, relative_test_error

__all__ = [
    "empirical_lambda_min",
    "local_convergence",
    "recovery_experiment",
]


def empirical_lambda_min(U_star, V_star, activation: str, *, radius: float, m: int, n: int, trials: int = 5,
                         fix_first_row: bool = False, seed=None) -> np.ndarray:
    """``λ_min(∇²f_Ω(U, V))`` (mean convention) at ``trials`` random points with
    ``||W − W*||_F = radius`` (uniformly random direction; with ``fix_first_row`` the direction does
    not move the first row of U), each with freshly sampled data (``n₁ = n₂ = n``, ``|Ω| = m``)."""
    activation = check_activation(activation)
    if not (np.isfinite(radius) and radius >= 0):
        raise InputError(f"radius: expected a non-negative number, got {radius!r}")
    rng = _rng(seed)
    data = sample_data(U_star, V_star, n, n, m, activation, trials=trials, seed=rng)
    Us, Vs = data.U_star, data.V_star
    dU = rng.standard_normal(Us.shape)
    dV = rng.standard_normal(Vs.shape)
    if fix_first_row:
        dU[:, 0, :] = 0.0
    nrm = np.sqrt(np.einsum("tdk,tdk->t", dU, dU) + np.einsum("tdk,tdk->t", dV, dV))[:, None, None]
    H = hessian(data, Us + radius * dU / nrm, Vs + radius * dV / nrm, fix_first_row=fix_first_row)
    return np.linalg.eigvalsh(H)[:, 0]


def local_convergence(U_star, V_star, activation: str, *, n: int, m: int, alpha: float = 0.1, steps: int = 2000,
                      trials: int = 3, fix_first_row: bool = False, seed=None) -> dict:
    """GD from ``W⁰ = (1 − α)W* + αW_rand`` with ``η = 1/λ_max(∇²f_Ω(W*))`` (per trial), compared
    with the local theory.

    Returns the distance history and: ``lam_min``, ``lam_max`` of ``∇²f_Ω(W*)``; the measured
    per-step contraction of ``||W − W*||_F`` (geometric mean over the last half of the run, while
    the distance is above 1e-10); the rate predicted by linearizing GD at ``W*``,
    ``max_i |1 − η λ_i| = 1 − λ_min/λ_max``; and the per-step bound of ZJSD18 Theorem 3.3 with
    the sharpest constants ``M_l = λ_min``, ``M_u = λ_max``: ``√(1 − M_l/M_u)`` for the distance
    (the theorem states ``1 − M_l/M_u`` for its square, with fresh samples at every step; here Ω
    is reused, so the iterates converge to the empirical minimizer, which is ``W*`` in this
    noiseless realizable model)."""
    activation = check_activation(activation)
    rng = _rng(seed)
    data = sample_data(U_star, V_star, n, n, m, activation, trials=trials, seed=rng)
    Us, Vs = data.U_star, data.V_star
    H = hessian(data, Us, Vs, fix_first_row=fix_first_row)
    ev = np.linalg.eigvalsh(H)
    lmin, lmax = ev[:, 0], ev[:, -1]
    eta = 1.0 / lmax
    U0, V0 = perturbed_start(Us, Vs, alpha, seed=rng, fix_first_row=fix_first_row)
    run = gd(data, U0, V0, steps=steps, step_size=eta, fix_first_row=fix_first_row, record_every=1)
    dist = run.history["dist"]  # (steps+1, T)
    measured = np.full(trials, np.nan)
    for t in range(trials):  # per-trial fit over a short vector
        dt = dist[:, t]
        ok = np.nonzero(dt > 1e-10)[0]
        if ok.size >= 4:
            last = ok[-1]
            first = last // 2
            if last > first:
                measured[t] = float(np.exp((np.log(dt[last]) - np.log(dt[first])) / (last - first)))
    with np.errstate(invalid="ignore"):
        predicted = np.maximum(np.abs(1 - eta * lmin), np.abs(1 - eta * lmax))
        bound = np.sqrt(np.clip(1 - lmin / lmax, 0, None))
    return {"dist": dist, "steps": run.history["step"], "lam_min": lmin, "lam_max": lmax, "eta": eta,
            "measured_rate": measured, "predicted_rate": predicted, "theorem_3_3_rate": bound,
            "final_test_error": relative_test_error(run.U, run.V, Us, Vs, activation, seed=rng),
            "settings": {"n": n, "m": m, "alpha": alpha, "steps": steps, "trials": trials,
                         "fix_first_row": fix_first_row, "loss": "mean"}}


def _finite(x):
    x = float(x)
    return x if math.isfinite(x) else None


def recovery_experiment(activation: str, n: int, m: int, *, d: int = 10, k: int = 5, trials: int = 5,
                        alpha: float = 1.0, steps: int = 5000, kappa: float | None = None, rtol: float = 1e-10,
                        tol: float = RECOVERY_TOL, n_test: int | None = None, fix_first_row: bool = False,
                        seed=None) -> dict:
    """One cell of the synthetic phase-transition experiment (ZJSD18 §4.1): ``trials`` independent
    instances (ground truth from :func:`random_truth` with ``σ_k = 1``, data with ``n₁ = n₂ = n``,
    ``|Ω| = m``), GD from ``W⁰ = (1 − α)W* + αW_rand`` (``α = 1``: random initialization, as in
    the paper's Figure 1 (c)(d) per ZJSD19 §4) for at most ``steps`` steps (a trial stops early once
    ``f_Ω <= rtol · ½ mean(A²)``), success = relative test error on fresh samples (``n_test``,
    default ``max(n, 100)`` per side) ``<= tol``.  Batched over trials."""
    activation = check_activation(activation)
    rng = _rng(seed)
    Us, Vs = random_truth(d, k, kappa=kappa, trials=trials, seed=rng)
    data = sample_data(Us, Vs, n, n, m, activation, seed=rng)
    U0, V0 = perturbed_start(Us, Vs, alpha, seed=rng, fix_first_row=fix_first_row)
    run = gd(data, U0, V0, steps=steps, rtol=rtol, fix_first_row=fix_first_row, record_every=max(steps, 1))
    err = relative_test_error(run.U, run.V, Us, Vs, activation, n_test=n_test or max(n, 100), seed=rng)
    ok = recovered(err, tol)
    return {"activation": activation, "n": int(n), "m": int(m), "trials": int(trials),
            "successes": int(ok.sum()), "rate": float(ok.mean()), "test_errors": [_finite(e) for e in err],
            "train_loss": [_finite(f) for f in run.loss], "steps": [int(s) for s in run.steps],
            "diverged": int(run.diverged.sum()), "elapsed": run.elapsed}
