"""Validation of an NMF segment certificate by the NMF solvers from perturbed starts on its
instance (SC-NMF §4, Theorem 1's planted model): the protocol run by :func:`certify.validate` on a
:class:`~certify.check.nmf.NMFCertificate`.

For each perturbation level γ in ``gammas``, ``trials`` starts

    (W⁰, H⁰) = (1 − γ)(W*, H*) + γ(W_rand, H_rand),

``W_rand``, ``H_rand`` drawn from the planted model's factor distribution when the certificate
records one (``instance.model.planted.distribution``: half-normal ``|N(0, 1)|`` or ``U[0, 1]``),
else half-normal matched to the data mean (:func:`certify.nmf.init_scale`).  Two things are
measured from the same starts, side by side:

* the solver's success rate: ``steps`` steps of ``method`` (``"pgd"``, projected gradient descent
  with alternating ``1/L`` steps or a constant ``step_size``; ``"mu"``, masked Lee–Seung) on
  ``ℓ = ½ Σ_Ω ([WH]_ij − X_ij)²``; success = relative fit error
  ``||M∘(WH − X)||_F / ||M∘X||_F <= tol`` (1e-3; the planted optimum has error 0); diverged: a
  non-finite loss; the rest is *other* (``spurious`` is 0: no spurious point is certified);
* the fraction of the segments start → ``(W*, H*)`` certified convex (``certified_convex``; also
  ``not_convex``, ``undecided``, the smallest α) by the rigorous float certificates of
  :func:`certify.nmf.segment_certificates`, and the success rate among the starts whose segment
  is certified convex (``success_if_convex``).

Seeds: level γ uses ``default_rng([seed, round(γ 2³²)])``, so a row does not depend on the others.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..io import utc_now
from ..options import integer, real, reals
from ..progress import Progress

__all__ = ["DEFAULTS", "NMFProtocol", "validate", "run_level"]

DEFAULTS = {"trials": 50, "levels": (0.1, 0.25, 0.5, 0.75, 1.0), "steps": 2000, "method": "pgd", "tol": 1e-3}
INIT_TEXT = "(W0, H0) = (1 - gamma)(W*, H*) + gamma (W_rand, H_rand)"
ERROR_TEXT = "relative fit error ||M o (WH - X)||_F / ||M o X||_F"
COLUMNS = [["certified_convex", "cert convex"], ["success_if_convex", "succ|convex"], ["alpha_min", "alpha min"]]


@dataclass(frozen=True)
class NMFProtocol:
    """The settings of the NMF validation protocol (module docstring), checked and resolved."""

    trials: int
    levels: tuple
    steps: int
    method: str
    seed: int
    step_size: float | None
    tol: float

    @classmethod
    def from_options(cls, trials=None, levels=None, steps=None, method=None, seed=0, *, step_size=None, batch=None,
                     decay=None, tol=1e-3) -> NMFProtocol:
        D = DEFAULTS
        method = D["method"] if method is None else ("pgd" if method == "gd" else method)
        if method not in ("pgd", "mu"):
            raise InputError(f"method: expected 'pgd' (or its alias 'gd') or 'mu' (NMF solvers), got {method!r}")
        if batch is not None or decay is not None:
            raise InputError("batch, decay: the NMF solvers are full-batch with a constant or adaptive step")
        if step_size is not None and method == "mu":
            raise InputError("step_size: the multiplicative updates (mu) take no step size")
        return cls(trials=integer(D["trials"] if trials is None else trials, "trials", lo=1, hi=10**6),
                   levels=tuple(float(x) for x in reals(D["levels"] if levels is None else levels, "gammas", lo=0.0, hi=1.0)),
                   steps=integer(D["steps"] if steps is None else steps, "steps", lo=0, hi=10**7), method=method,
                   seed=integer(seed, "seed", lo=0),
                   step_size=None if step_size is None else real(step_size, "step_size", lo=0.0, lo_open=True),
                   tol=real(tol, "tol", lo=0.0, lo_open=True))

    def settings(self, random_text: str) -> dict:
        d = asdict(self)
        d["gammas"] = list(d.pop("levels"))
        d.update(kind="nmf/segment-convexity", perturbation="gamma", init=INIT_TEXT, random=random_text,
                 error=ERROR_TEXT, error_label="relative fit error", success=f"error <= {self.tol:g}", columns=COLUMNS,
                 plot_fractions=[["certified_convex", "certified-convex fraction"]],
                 step_size_rule="given" if self.step_size is not None else
                 ("alternating 1/L" if self.method == "pgd" else "multiplicative"))
        return d


def _random_factors(cert, rng, trials: int):
    """``(W_rand, H_rand, text)``: the planted distribution when recorded, else half-normal."""
    from ..nmf import init_scale  # noqa: PLC0415

    n, m, r = cert.shape
    planted = (cert.model or {}).get("planted") if isinstance(cert.model, dict) else None
    dist = planted.get("distribution") if isinstance(planted, dict) else None
    if dist == "uniform":
        return rng.random((trials, n, r)), rng.random((trials, r, m)), "planted: iid U[0, 1]"
    if dist == "half-normal":
        return (np.abs(rng.standard_normal((trials, n, r))), np.abs(rng.standard_normal((trials, r, m))),
                "planted: iid |N(0, 1)|")
    s = init_scale(cert.X, cert.mask, r)
    return (s * np.abs(rng.standard_normal((trials, n, r))), s * np.abs(rng.standard_normal((trials, r, m))),
            f"half-normal |N(0, s^2)|, s = {s:.4g} (matched to the data mean)")


def run_level(cert, proto: NMFProtocol, gamma: float):
    """The trials of one level: ``(errors, success, diverged, extra, random_text)``."""
    from ..nmf import segment_certificates, solve  # noqa: PLC0415

    rng = np.random.default_rng([proto.seed, int(round(float(gamma) * 2**32))])
    Wr, Hr, text = _random_factors(cert, rng, proto.trials)
    W0 = (1.0 - gamma) * cert.W_star[None] + gamma * Wr
    H0 = (1.0 - gamma) * cert.H_star[None] + gamma * Hr
    b = segment_certificates(W0, H0, cert.W_star, cert.H_star, cert.X, cert.mask)
    kw = {} if proto.step_size is None else {"step_size": proto.step_size}
    run = solve(cert.X, cert.shape[2], proto.method, mask=cert.mask, W0=W0, H0=H0, steps=proto.steps,
                record_every=max(1, proto.steps), **kw)
    M = np.ones(cert.X.shape) if cert.mask is None else cert.mask.astype(float)
    with np.errstate(all="ignore"):
        R = (np.matmul(run.W, run.H) - cert.X) * M
        err = np.sqrt(np.sum(R * R, axis=(1, 2))) / np.linalg.norm(cert.X * M)
    diverged = ~np.isfinite(run.loss) | ~np.isfinite(err)
    err = np.where(diverged, np.inf, err)
    ok = (err <= proto.tol) & ~diverged
    convex = b.convex
    extra = {"certified_convex": float(convex.mean()), "not_convex": float(np.mean(b.verdict == "not convex")),
             "undecided": float(np.mean(b.verdict == "undecided")), "alpha_min": float(np.min(b.alpha)),
             "alpha_lower_min": float(np.min(b.alpha_lower)),
             "success_if_convex": float(ok[convex].mean()) if convex.any() else None,
             "success_if_not_certified": float(ok[~convex].mean()) if (~convex).any() else None}
    return err, ok, diverged, extra, text


def validate(cert, trials=None, gammas=None, steps=None, method=None, seed=0, *, step_size=None, batch=None, decay=None,
             tol=1e-3, record=False, progress=False, **options):
    """The NMF protocol (module docstring) on ``cert``; a
    :class:`~certify.sgd.protocol.ValidationResult` with one row per level γ."""
    from ..check.nmf import NMFCertificate  # noqa: PLC0415
    from .protocol import Tally, ValidationResult, ValidationRow  # noqa: PLC0415

    if not isinstance(cert, NMFCertificate):
        raise InputError(f"cert: expected an NMFCertificate, got {type(cert).__name__}")
    for name, flag in (("record", record), ("progress", progress)):
        if not isinstance(flag, (bool, np.bool_)):
            raise InputError(f"{name}: expected True or False, got {flag!r}")
    if options:
        raise InputError(f"{', '.join(sorted(options))}: unknown option(s) of the NMF protocol")
    proto = NMFProtocol.from_options(trials, gammas, steps, method, seed, step_size=step_size, batch=batch, decay=decay,
                                     tol=tol)
    rows, text, t_all = [], "", time.perf_counter()
    bar = Progress(len(proto.levels), "NMF validation (levels)", enabled=bool(progress))
    for i, g in enumerate(proto.levels):
        t0 = time.perf_counter()
        err, ok, div, extra, text = run_level(cert, proto, g)
        tally = Tally(proto.trials)
        tally.add(err, int(ok.sum()), 0, int(div.sum()), int((~ok & ~div).sum()))
        rows.append(ValidationRow(**tally.row(g, seconds=time.perf_counter() - t0), extra=extra))
        bar.update(i + 1)
    bar.close()
    n, m, r = cert.shape
    seg = cert.segment
    result = ValidationResult(
        rows=rows, settings=proto.settings(text),
        certificate={"name": cert.name, "kind": cert.kind, "n": n, "m": m, "r": r, "alpha": seg.alpha,
                     "alpha_lower": seg.alpha_lower, "verdict": seg.verdict, "model": cert.model},
        elapsed=time.perf_counter() - t_all, created=utc_now(), package_version=__version__)
    if record:
        cert.validations.append(result.to_dict())
    return result
