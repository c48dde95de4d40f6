"""Validation of a NIMC Hessian certificate by GD or SGD from perturbed starts (ZJSD18 §4.1, ZJSD19
§4): the protocol of its source, run by :func:`certify.validate` on a
:class:`~certify.check.nimc.NIMCCertificate`.

For each perturbation level α in ``levels`` (``gammas`` in :func:`certify.validate`), ``trials``
independent trials, each with

* fresh finite samples of the data model of the certificate's ground truth: ``n1`` queries and
  ``n2`` items ``~ N(0, I_d)``, ``m`` observed pairs uniformly with replacement
  (:func:`certify.nimc.sample_data`);
* the start ``W⁰ = (1 − α)W* + αW_rand``, ``W_rand`` i.i.d. ``N(0, 1)``
  (:func:`certify.nimc.perturbed_start`);
* ``steps`` steps of GD (or minibatch SGD, ``batch`` observations a step) on
  ``f_Ω = 1/(2m) Σ_Ω (φ(Uᵀx)ᵀφ(Vᵀy) − A)²`` with step ``η = 0.9/λ_max(∇²f_Ω(W*))`` per trial
  (SGD: half of it; or ``step_size``), stopped early once ``f_Ω <= 1e-20 · ½ mean(A²)``;

success = relative test error ``||φ(X_tU)φ(Y_tV)ᵀ − φ(X_tU*)φ(Y_tV*)ᵀ||_F / ||φ(X_tU*)φ(Y_tV*)ᵀ||_F
<= tol`` (1e-3) on ``n_test`` fresh queries and items; *diverged*: a non-finite iterate; the rest is
*other* (no spurious point is certified here, so ``spurious`` is 0).  Error quantiles are of the
test error.

Rates (the row's ``extra``): near the truth set — the permutations of ``(U*, V*)``, so the rate is
measured on the loss, which does not see them — GD contracts like ``|1 − ηλ|`` per step along each
eigenvector of ``∇²f_Ω(W*)``.  ``rate_observed`` is the median over trials of
``(f_Ω(t_b)/f_Ω(t_a))^{1/(2(t_b − t_a))}`` over the records with ``f_Ω <= near · ½ mean(A²)``;
``rate_certified = 1 − η λ_lo`` is the rate the certified curvature predicts (``λ_lo`` the lower end
of the certificate's ``λ_min(H*)``: the population Hessian, which ``∇²f_Ω(W*)`` approaches as
``m → ∞``); ``rate_sampled = max |1 − ηλ_i(∇²f_Ω(W*))|`` is what the sampled Hessian at the truth
predicts.  With finite samples ``λ_min(∇²f_Ω(W*))`` is below ``λ_min(H*)``, so the observed rate is
slower than the certified prediction and close to the sampled one.

Seeds: level α uses ``default_rng([seed, round(α 2³²)])`` for the data, the starts, the SGD batches
and the test sets, so a row does not depend on the other levels.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..io import utc_now
from ..options import integer, real, reals
from ..progress import Progress

__all__ = ["DEFAULTS", "NIMCProtocol", "validate", "run_level"]

#: the protocol's defaults (``n1 = n2 = max(100, 10 d)``, ``m = 40 k d`` unless given)
DEFAULTS = {"trials": 20, "levels": (0.1, 0.3, 0.5, 0.7, 1.0), "steps": 2000, "method": "gd", "batch": 64,
            "tol": 1e-3, "n_test": 200, "near": 1e-6}
#: a trial stops once f_Omega <= STOP_RTOL * 1/2 mean(A^2) (after the rate window)
STOP_RTOL = 1e-20
RECORD_EVERY = 10
INIT_TEXT = "W0 = (1 - alpha) W* + alpha W_rand, W_rand iid N(0, 1)"
ERROR_TEXT = ("relative test error ||phi(Xt U) phi(Yt V)^T - phi(Xt U*) phi(Yt V*)^T||_F / ||phi(Xt U*) phi(Yt V*)^T||_F "
              "on n_test fresh queries and items")
RATE_TEXT = ("per-step contraction near the truth set: rate_observed = median over trials of "
             "(f(t_b)/f(t_a))^(1/(2(t_b - t_a))) where f <= near * mean(A^2)/2; rate_certified = 1 - eta * lambda_lo "
             "(the certificate's lower end of lambda_min(H*)); rate_sampled = max_i |1 - eta lambda_i(Hessian of f_Omega "
             "at W*)| (median over trials)")
COLUMNS = [["rate_observed", "rate obs"], ["rate_certified", "rate cert"], ["rate_sampled", "rate sampled"],
           ["lambda_min_sampled", "lam sampled"]]


@dataclass(frozen=True)
class NIMCProtocol:
    """The settings of the NIMC validation protocol (module docstring), checked and resolved."""

    trials: int
    levels: tuple
    steps: int
    method: str
    seed: int
    step_size: float | None
    batch: int | None
    decay: float | None
    tol: float
    n1: int
    n2: int
    m: int
    n_test: int
    near: float

    @classmethod
    def from_options(cls, cert, trials=None, levels=None, steps=None, method=None, seed=0, *, step_size=None, batch=None,
                     decay=None, tol=1e-3, n1=None, n2=None, m=None, n_test=None, near=None) -> NIMCProtocol:
        """Check every option (``None``: the default of :data:`DEFAULTS`); an
        :class:`~certify.errors.InputError` naming the first bad one."""
        D = DEFAULTS
        method = D["method"] if method is None else method
        if method not in ("gd", "sgd"):
            raise InputError(f"method: expected 'gd' or 'sgd' (NIMC), got {method!r}")
        d, k = cert.U_star.shape
        n_default = max(100, 10 * d)
        m_val = integer(40 * k * d if m is None else m, "m", lo=1, hi=10**7)
        opts = dict(
            trials=integer(D["trials"] if trials is None else trials, "trials", lo=1, hi=10**5),
            levels=tuple(float(x) for x in reals(D["levels"] if levels is None else levels, "gammas", lo=0.0, hi=1.0)),
            steps=integer(D["steps"] if steps is None else steps, "steps", lo=0, hi=10**7),
            method=method, seed=integer(seed, "seed", lo=0),
            step_size=None if step_size is None else real(step_size, "step_size", lo=0.0, lo_open=True),
            batch=None if method == "gd" else integer(D["batch"] if batch is None else batch, "batch", lo=1, hi=m_val),
            decay=None if decay is None else real(decay, "decay", lo=0.0, lo_open=True),
            tol=real(tol, "tol", lo=0.0, lo_open=True), n1=integer(n_default if n1 is None else n1, "n1", lo=1, hi=10**6),
            n2=integer(n_default if n2 is None else n2, "n2", lo=1, hi=10**6), m=m_val,
            n_test=integer(D["n_test"] if n_test is None else n_test, "n_test", lo=1, hi=10**5),
            near=real(D["near"] if near is None else near, "near", lo=0.0, lo_open=True))
        per_step = opts["trials"] * m_val * d * k
        if per_step > 5 * 10**8:
            raise InputError(f"trials, m: {opts['trials']} trials x {m_val} samples x d k = {d * k} is too large for one "
                             "run (at most 5e8 per step); fewer trials or samples")
        return cls(**opts)

    def settings(self) -> dict:
        """The ``settings`` of a :class:`~certify.sgd.protocol.ValidationResult`."""
        d = asdict(self)
        d["gammas"] = list(d.pop("levels"))
        d.update(kind="nimc/population-hessian", perturbation="alpha", init=INIT_TEXT, error=ERROR_TEXT,
                 error_label="relative test error", success=f"error <= {self.tol:g}", rate=RATE_TEXT, columns=COLUMNS,
                 stop_rtol=STOP_RTOL, record_every=RECORD_EVERY,
                 step_size_rule="given" if self.step_size is not None else
                 "0.9 / lambda_max(Hessian of f_Omega at W*) per trial" + (" / 2 (SGD)" if self.method == "sgd" else ""))
        return d


def _observed_rates(hist, steps_done, A2, near) -> np.ndarray:
    """Per trial: the per-step contraction of ``sqrt(f_Ω)`` over the records where the relative
    loss is at most ``near`` (and above 1e-28, before the trial stopped); NaN without a window."""
    L, st = np.asarray(hist["loss"]), np.asarray(hist["step"])
    out = np.full(L.shape[1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = L / A2[None, :]
    for t in range(L.shape[1]):  # a short loop over trials (the records are a few hundred)
        ok = np.nonzero((rel[:, t] <= near) & (rel[:, t] > 1e-28) & (st <= steps_done[t]) & np.isfinite(rel[:, t]))[0]
        if ok.size >= 3 and st[ok[-1]] - st[ok[0]] >= 2 * RECORD_EVERY:
            a, b = ok[0], ok[-1]
            out[t] = math.exp((math.log(L[b, t]) - math.log(L[a, t])) / (2.0 * (st[b] - st[a])))
    return out


def _median(x) -> float | None:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    return float(np.median(x)) if x.size else None


def run_level(cert, proto: NIMCProtocol, alpha: float):
    """The trials of one level: ``(errors, success, diverged, extra)``."""
    from ..nimc import default_step_size, gd, hessian, perturbed_start, relative_test_error, sample_data, sgd  # noqa: PLC0415

    rng = np.random.default_rng([proto.seed, int(round(float(alpha) * 2**32))])
    data = sample_data(cert.U_star, cert.V_star, proto.n1, proto.n2, proto.m, cert.activation, trials=proto.trials,
                       seed=rng)
    Us, Vs = data.U_star, data.V_star
    ev = np.linalg.eigvalsh(hessian(data, Us, Vs))  # (T, 2dk): the sampled Hessian at the truth
    if proto.step_size is None:
        eta = default_step_size(data, Us, Vs) * (0.5 if proto.method == "sgd" else 1.0)
    else:
        eta = np.full(proto.trials, proto.step_size)
    U0, V0 = perturbed_start(Us, Vs, float(alpha), seed=rng)
    kw = dict(steps=proto.steps, step_size=eta, rtol=STOP_RTOL, record_every=RECORD_EVERY)
    if proto.method == "gd":
        run = gd(data, U0, V0, **kw)
    else:
        run = sgd(data, U0, V0, batch=proto.batch, decay=proto.decay, seed=rng, **kw)
    with np.errstate(all="ignore"):
        err = np.asarray(relative_test_error(run.U, run.V, Us, Vs, cert.activation, n_test=proto.n_test, seed=rng))
    diverged = np.asarray(run.diverged) | ~np.isfinite(err)
    err = np.where(diverged, np.inf, err)
    A2 = 0.5 * np.mean(data.A**2, axis=1)
    observed = _observed_rates(run.history, run.steps, A2, proto.near)
    lam_lo = float(cert.lambda_min["lo"])
    extra = {"rate_observed": _median(observed), "rate_observed_max": float(np.nanmax(observed))
             if np.isfinite(observed).any() else None, "rate_trials": int(np.isfinite(observed).sum()),
             "rate_certified": _median(1.0 - eta * lam_lo),
             "rate_sampled": _median(np.maximum(np.abs(1 - eta * ev[:, 0]), np.abs(1 - eta * ev[:, -1]))),
             "lambda_min_certified": lam_lo, "lambda_min_sampled": _median(ev[:, 0]), "step_size": _median(eta),
             "steps_median": _median(run.steps)}
    return err, (err <= proto.tol) & ~diverged, diverged, extra


def validate(cert, trials=None, gammas=None, steps=None, method=None, seed=0, *, step_size=None, batch=None, decay=None,
             tol=1e-3, record=False, progress=False, **options):
    """The NIMC protocol (module docstring) on ``cert``; a
    :class:`~certify.sgd.protocol.ValidationResult` with one row per level α (``gammas``)."""
    from ..check.nimc import NIMCCertificate  # noqa: PLC0415
    from .protocol import Tally, ValidationResult, ValidationRow  # noqa: PLC0415

    if not isinstance(cert, NIMCCertificate):
        raise InputError(f"cert: expected an NIMCCertificate, got {type(cert).__name__}")
    for name, flag in (("record", record), ("progress", progress)):
        if not isinstance(flag, (bool, np.bool_)):
            raise InputError(f"{name}: expected True or False, got {flag!r}")
    bad = sorted(set(options) - {"n1", "n2", "m", "n_test", "near"})
    if bad:
        raise InputError(f"{', '.join(bad)}: unknown option(s) of the NIMC protocol; accepted: n1, n2, m, n_test, near")
    proto = NIMCProtocol.from_options(cert, trials, gammas, steps, method, seed, step_size=step_size, batch=batch,
                                      decay=decay, tol=tol, **options)
    rows, t_all = [], time.perf_counter()
    bar = Progress(len(proto.levels), "NIMC validation (levels)", enabled=bool(progress))
    for i, a in enumerate(proto.levels):
        t0 = time.perf_counter()
        err, ok, div, extra = run_level(cert, proto, a)
        tally = Tally(proto.trials)
        tally.add(err, int(ok.sum()), 0, int(div.sum()), int((~ok & ~div).sum()))
        rows.append(ValidationRow(**tally.row(a, seconds=time.perf_counter() - t0), extra=extra))
        bar.update(i + 1)
    bar.close()
    lam = cert.lambda_min
    result = ValidationResult(
        rows=rows, settings=proto.settings(),
        certificate={"name": cert.name, "kind": cert.kind, "activation": cert.activation, "d": cert.d, "k": cert.k,
                     "method": cert.method, "rho": [cert.rho["lo"], cert.rho["hi"]], "lambda_min": [lam["lo"], lam["hi"]],
                     "rigorous": bool(lam.get("rigorous"))},
        elapsed=time.perf_counter() - t_all, created=utc_now(), package_version=__version__)
    if record:
        cert.validations.append(result.to_dict())
    return result
