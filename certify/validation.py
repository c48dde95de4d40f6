"""Empirical validation of a certificate by (S)GD from perturbed starts (REFERENCE §1.5).

Protocol, for each γ in ``gammas``: ``trials`` starts ``X0 = (1 - γ) X + γ W`` with ``W`` i.i.d.
``N(0, s^2)``, ``s = init_scale`` (default ``||Z Z^T||_F^{1/2}``, which is 1 for the 2x2 example,
i.e. a standard Gaussian as in the published protocol); then ``steps`` iterations of SGD
(``batch`` measurements drawn uniformly with replacement per step) or GD on the certificate's
operator, with step size ``step_size`` (default :func:`certify.nonconvex.sensing.default_step_size`).
A trial *succeeds* when ``min_R ||X - Z R|| / ||Z|| <= tol``; it *ends at the spurious point* when
``min_R ||X - X_s R|| / ||X_s|| <= tol_spurious``; it *diverged* when the iterate overflowed; the
rest is *other*.  Error quantiles are of ``min_R ||X - Z R|| / ||Z||`` (``inf`` for diverged).
Everything is deterministic for a given ``seed`` (the W draws and the SGD streams of a row derive
from ``(seed, γ)`` only, so a row does not depend on the other γ), whatever the number of threads.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .errors import InputError
from .io import atomic_write_bytes, atomic_write_text
from .nonconvex import sensing
from .progress import Progress

__all__ = ["ValidationRow", "ValidationResult", "validate", "QUANTILES"]

QUANTILES = {"min": 0.0, "p5": 0.05, "median": 0.5, "p95": 0.95, "max": 1.0}


@dataclass
class ValidationRow:
    gamma: float
    trials: int
    successes: int
    spurious: int
    diverged: int
    other: int
    success_rate: float
    spurious_rate: float
    diverged_rate: float
    other_rate: float
    error_quantiles: dict
    seconds: float


@dataclass
class ValidationResult:
    """Rows per γ plus the protocol; ``save`` writes JSON, ``plot`` the quantile figure."""

    rows: list
    settings: dict
    certificate: dict = field(default_factory=dict)
    elapsed: float = 0.0
    created: str = ""
    package_version: str = __version__

    def to_dict(self) -> dict:
        d = asdict(self)
        for row in d["rows"]:
            row["error_quantiles"] = {k: (None if not math.isfinite(v) else v) for k, v in row["error_quantiles"].items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ValidationResult":
        rows = []
        for row in d["rows"]:
            row = dict(row)
            row["error_quantiles"] = {k: (math.inf if v is None else float(v)) for k, v in row["error_quantiles"].items()}
            rows.append(ValidationRow(**row))
        return cls(rows=rows, settings=d["settings"], certificate=d.get("certificate", {}), elapsed=d.get("elapsed", 0.0),
                   created=d.get("created", ""), package_version=d.get("package_version", "unknown"))

    def save(self, path) -> Path:
        """Write the result as JSON (atomically)."""
        return atomic_write_text(path, json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n")

    def table(self) -> str:
        """A plain-text summary table."""
        head = f"{'gamma':>6} {'trials':>8} {'success':>9} {'spurious':>9} {'diverged':>9} {'other':>8}   " \
               f"{'err min':>9} {'p5':>9} {'median':>9} {'p95':>9} {'max':>9}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            q = r.error_quantiles
            lines.append(
                f"{r.gamma:6.3f} {r.trials:8d} {r.success_rate:9.4f} {r.spurious_rate:9.4f} {r.diverged_rate:9.4f} "
                f"{r.other_rate:8.4f}   " + " ".join(f"{q[k]:9.2e}" for k in QUANTILES)
            )
        return "\n".join(lines)

    def plot(self, path=None, ax=None):
        """Error quantiles (min, 5 %, median, 95 %, max) and success rate against γ, like the
        published figure; saved atomically to ``path`` (PNG/PDF/SVG by extension) when given."""
        import matplotlib  # noqa: PLC0415

        if path is not None and ax is None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt  # noqa: PLC0415

        gam = np.array([r.gamma for r in self.rows])
        own = ax is None
        if own:
            fig, ax = plt.subplots(figsize=(6.4, 4.2))
        else:
            fig = ax.figure
        floor = 1e-16
        styles = {"min": ":", "p5": "--", "median": "-", "p95": "--", "max": ":"}
        for k in QUANTILES:
            vals = np.array([r.error_quantiles[k] for r in self.rows], dtype=float)
            vals = np.where(np.isfinite(vals), np.maximum(vals, floor), np.nan)
            ax.semilogy(gam, vals, styles[k], marker="o", ms=3, label=k)
        ax.set_xlabel("γ  (start (1-γ) X_spurious + γ W)")
        ax.set_ylabel("error min_R ||X - Z R|| / ||Z||")
        ax2 = ax.twinx()
        ax2.plot(gam, [r.success_rate for r in self.rows], "k-", lw=2, alpha=0.35, label="success rate")
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_ylabel("success rate")
        s = self.settings
        ax.set_title(f"{s['method'].upper()}, {s['steps']} steps, {s['trials']} trials per γ", fontsize=10)
        ax.legend(loc="lower left", fontsize=8)
        if path is not None:
            import io  # noqa: PLC0415

            buf = io.BytesIO()
            fmt = Path(path).suffix.lstrip(".") or "png"
            fig.savefig(buf, format=fmt, dpi=110, bbox_inches="tight")
            atomic_write_bytes(path, buf.getvalue())
            if own:
                plt.close(fig)
        return ax


@dataclass
class TrialOutcome:
    """Per-trial outcome of one γ of the protocol: ``errors`` (relative distance to the global set,
    ``inf`` when diverged) and the boolean masks ``success``, ``spurious``, ``diverged``, ``other``."""

    errors: np.ndarray
    success: np.ndarray
    spurious: np.ndarray
    diverged: np.ndarray
    other: np.ndarray


def run_trials(op, Xs, Z, gamma: float, trials: int, seed: int, *, init_scale: float, method: str, steps: int,
               step_size: float, batch: int = 1, decay: float | None = None, tol: float = 1e-3,
               tol_spurious: float = 0.1, progress=None) -> TrialOutcome:
    """The trials of one γ of the protocol (arguments unchecked: :func:`validate` and the sweep runner check them).

    Start ``X0 = (1 − γ) X_s + γ W``, ``W`` iid ``N(0, init_scale²)`` from ``default_rng([seed, round(γ 2³²)])``;
    the SGD streams from ``SeedSequence([seed, round(γ 2³²), 1])``: a run is determined by ``(seed, γ)`` and the
    settings, whatever else runs beside it.
    """
    n, r = Xs.shape
    key = [int(seed), int(round(float(gamma) * 2**32))]
    rng = np.random.default_rng(key)
    W = init_scale * rng.standard_normal((trials, n, r))
    X0 = (1.0 - gamma) * Xs[None] + gamma * W
    stream_seed = int(np.random.SeedSequence(key + [1]).generate_state(1, dtype=np.uint32)[0])
    if method == "sgd":
        res = sensing.sgd(op, Z, X0, steps=steps, step_size=step_size, batch=batch, seed=stream_seed, decay=decay,
                          progress=progress)
    else:
        res = sensing.gd(op, Z, X0, steps=steps, step_size=step_size, decay=decay, progress=progress)
    err = np.atleast_1d(sensing.distance_to_solutions(res.X, Z))
    dsp = np.atleast_1d(sensing.distance_to_orbit(res.X, Xs))
    succ = err <= tol
    div = np.asarray(res.diverged)
    spur = ~succ & ~div & (dsp <= tol_spurious)
    other = ~succ & ~div & ~spur
    return TrialOutcome(errors=err, success=succ, spurious=spur, diverged=div, other=other)


def _quantiles(err: np.ndarray) -> dict:
    # "inverted_cdf" never interpolates, so infinite errors (diverged trials) stay meaningful
    return {k: float(np.quantile(err, q, method="inverted_cdf")) for k, q in QUANTILES.items()}


def validate(
    cert,
    trials: int = 1000,
    gammas=(0.0, 0.25, 0.5, 0.75, 1.0),
    steps: int = 10_000,
    method: str = "sgd",
    seed: int = 0,
    *,
    step_size: float | None = None,
    batch: int = 1,
    decay: float | None = None,
    tol: float = 1e-3,
    tol_spurious: float = 0.1,
    init_scale: float | None = None,
    record: bool = True,
    progress: bool = False,
) -> ValidationResult:
    """Run the validation protocol of the module docstring on a certificate.

    Returns a :class:`ValidationResult` whose ``rows[i]`` has ``gamma``, ``success_rate``,
    ``spurious_rate``, ``diverged_rate``, ``other_rate`` and ``error_quantiles`` (min, p5,
    median, p95, max).  With ``record=True`` the result is appended to ``cert.validations``
    (saved with the certificate).
    """
    from .certificates import Certificate  # noqa: PLC0415

    if not isinstance(cert, Certificate):
        raise InputError(f"cert: expected a certify Certificate, got {type(cert).__name__}")
    if method not in ("sgd", "gd"):
        raise InputError(f"method: expected 'sgd' or 'gd', got {method!r}")
    if not isinstance(trials, (int, np.integer)) or trials < 1:
        raise InputError(f"trials: expected a positive integer, got {trials!r}")
    try:
        gam = np.array(gammas, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise InputError(f"gammas: expected numbers in [0, 1], got {gammas!r}") from exc
    if gam.size == 0 or not np.all(np.isfinite(gam)) or np.any(gam < 0) or np.any(gam > 1):
        raise InputError(f"gammas: expected a non-empty list of numbers in [0, 1], got {gammas!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed: expected a non-negative integer, got {seed!r}")
    for name, v in (("tol", tol), ("tol_spurious", tol_spurious)):
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"{name}: expected a positive number, got {v!r}")
    op, Xs, Z = cert.operator, cert.X, cert.Z
    n, r = Xs.shape
    s = float(np.sqrt(np.linalg.norm(Z.T @ Z))) if init_scale is None else float(init_scale)
    if not (np.isfinite(s) and s > 0):
        raise InputError(f"init_scale: expected a positive number, got {init_scale!r}")
    if step_size is None:
        step_size = sensing.default_step_size(op, Z, method, batch)
    settings = {
        "trials": int(trials), "gammas": gam.tolist(), "steps": int(steps), "method": method, "seed": int(seed),
        "step_size": float(step_size), "batch": int(batch) if method == "sgd" else None,
        "decay": decay, "tol": float(tol), "tol_spurious": float(tol_spurious), "init_scale": s,
        "init": "X0 = (1 - gamma) X_spurious + gamma W, W iid N(0, init_scale^2)",
        "error": "min over orthogonal R of ||X - Z R||_F / ||Z||_F",
    }
    rows = []
    t_all = time.perf_counter()
    for gi, g in enumerate(gam):
        bar = Progress(steps, f"gamma {g:.3f} ({gi + 1}/{gam.size})", enabled=progress)
        t0 = time.perf_counter()
        out = run_trials(op, Xs, Z, float(g), trials, seed, init_scale=s, method=method, steps=steps,
                         step_size=step_size, batch=batch, decay=decay, tol=tol, tol_spurious=tol_spurious,
                         progress=bar.update)
        bar.close()
        err, succ, spur, div, other = out.errors, out.success, out.spurious, out.diverged, out.other
        rows.append(ValidationRow(
            gamma=float(g), trials=int(trials), successes=int(succ.sum()), spurious=int(spur.sum()),
            diverged=int(div.sum()), other=int(other.sum()), success_rate=float(succ.mean()),
            spurious_rate=float(spur.mean()), diverged_rate=float(div.mean()), other_rate=float(other.mean()),
            error_quantiles=_quantiles(err), seconds=time.perf_counter() - t0,
        ))
    result = ValidationResult(
        rows=rows, settings=settings,
        certificate={"name": cert.name, "n": n, "r": r, "r_star": cert.r_star, "delta": cert.delta, "source": cert.source},
        elapsed=time.perf_counter() - t_all,
        created=_dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    )
    if record:
        cert.validations.append(result.to_dict())
    return result
