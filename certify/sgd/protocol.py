"""Empirical validation of a certificate by (S)GD from perturbed starts (REFERENCE §1.5).

Protocol, for each γ in ``gammas``: ``trials`` starts ``X0 = (1 - γ) X + γ W`` with ``W`` i.i.d.
``N(0, s^2)``, ``s = init_scale`` (default ``||Z Z^T||_F^{1/2}``, which is 1 for the 2x2 example,
i.e. a standard Gaussian as in the published protocol); then ``steps`` iterations of SGD
(``batch`` measurements drawn uniformly with replacement per step) or GD on the certificate's
operator, with step size ``step_size`` (default :func:`certify.sgd.sensing.default_step_size`).
A trial *succeeds* when ``min_R ||X - Z R|| / ||Z|| <= tol``; it *ends at the spurious point* when
``min_R ||X - X_s R|| / ||X_s|| <= tol_spurious``; it *diverged* when the iterate overflowed; the
rest is *other*.  Error quantiles are of ``min_R ||X - Z R|| / ||Z||`` (``inf`` for diverged).
Everything is deterministic for a given ``seed`` (the W draws and the SGD streams of a row derive
from ``(seed, γ)`` only, so a row does not depend on the other γ), whatever the number of threads.

Bounded resources: the trials of a γ run in chunks (:func:`chunk_trials`: at most
:data:`CHUNK_BYTES` = 256 MiB of iterates alive), drawing exactly the numbers of one piece, so memory
is one chunk plus the 8-byte error of each trial (kept for the exact quantiles), whatever the
trial count; counts above :data:`MAX_TRIALS` (10**8 per γ) are refused as a matter of time.  The
SGD minibatch ``batch`` is at most the operator's number of measurements ``m``.  The certificate
is only modified with ``record=True`` (its in-memory ``validations`` list; nothing is written).

The settings are checked once, by :meth:`Protocol.from_options` (used by :func:`validate` and by
the ``validation`` sweep kind of :mod:`certify.sweep`), and the trials of a γ are pooled by one
:class:`Tally` (within :func:`validate`, and across the chunks of a sweep).

One :func:`validate` for every kind of certificate: a BM sensing certificate runs the protocol
above; a NIMC Hessian certificate the protocol of :mod:`certify.sgd.nimc_protocol` (finite samples,
starts ``(1 − α)W* + αW_rand``, GD or SGD, success = relative test error <= 1e-3, observed linear
rate against the rate the certified curvature predicts); an NMF segment certificate the protocol
of :mod:`certify.sgd.nmf_protocol` (starts ``(1 − γ)(W*, H*) + γ(random)``, the solvers' success
rate beside the fraction of certified-convex segments).  Every one returns a
:class:`ValidationResult` (rows per perturbation level, ``.table()``, ``.plot()``, ``.save()``).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..io import atomic_write_text, utc_now
from ..options import integer, real, reals
from ..progress import Progress
from . import sensing

__all__ = ["Protocol", "Tally", "TrialOutcome", "ValidationRow", "ValidationResult", "validate", "run_trials",
           "iter_trials", "trial_streams", "start_points", "classify", "QUANTILES", "MAX_TRIALS", "CHUNK_BYTES",
           "chunk_trials", "memory_estimate"]

QUANTILES = {"min": 0.0, "p5": 0.05, "median": 0.5, "p95": 0.95, "max": 1.0}
#: the outcome counts of a row, in order
OUTCOMES = ("successes", "spurious", "diverged", "other")
#: the γ of the protocol unless given
DEFAULT_GAMMAS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: the settings' descriptions of the start and of the error
INIT_TEXT = "X0 = (1 - gamma) X_spurious + gamma W, W iid N(0, init_scale^2)"
ERROR_TEXT = "min over orthogonal R of ||X - Z R||_F / ||Z||_F"

#: largest number of trials per γ :func:`validate` accepts.  Memory does not limit it (trials run in
#: chunks, and the 8-byte error of each trial is kept for the exact quantiles: 0.8 GB at this count);
#: time does (10**8 trials of 10,000 SGD steps on the 2x2 example take hours on 2 cores).  Larger runs:
#: ``certify sweep validation`` (chunks pooled exactly, resumable).
MAX_TRIALS = 10**8
#: memory budget of the iterates of one chunk of trials (starts, iterates, temporaries): 256 MiB
CHUNK_BYTES = 256 * 2**20
#: float64 copies of one trial's state (``n r`` numbers) alive during a chunk: start, iterate, the
#: low-rank gradient's temporaries, distances (a generous estimate)
STATE_COPIES = 16
#: further bytes per trial in a chunk (error, outcome masks, random-stream state, status)
TRIAL_OVERHEAD_BYTES = 64


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
    #: kind-specific figures of the row (NIMC: observed and predicted rates; NMF: certified-convex
    #: fraction), listed with their column headers in ``settings["columns"]``; empty for BM sensing
    extra: dict = field(default_factory=dict)


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
    def from_dict(cls, d: dict) -> ValidationResult:
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
        """A plain-text summary table: one row per perturbation level (γ, or α for NIMC), the
        outcome rates, the error quantiles and the kind's own columns (``settings["columns"]``)."""
        level = str(self.settings.get("perturbation", "gamma"))
        cols = [tuple(c) for c in self.settings.get("columns") or ()]
        head = f"{level:>6} {'trials':>8} {'success':>9} {'spurious':>9} {'diverged':>9} {'other':>8}   " \
               f"{'err min':>9} {'p5':>9} {'median':>9} {'p95':>9} {'max':>9}"
        head += "".join(f" {h:>11}" for _, h in cols)
        lines = [head, "-" * len(head)]
        for r in self.rows:
            q = r.error_quantiles
            lines.append(
                f"{r.gamma:6.3f} {r.trials:8d} {r.success_rate:9.4f} {r.spurious_rate:9.4f} {r.diverged_rate:9.4f} "
                f"{r.other_rate:8.4f}   " + " ".join(f"{q[k]:9.2e}" for k in QUANTILES)
                + "".join(f" {_cell(r.extra.get(key)):>11}" for key, _ in cols)
            )
        return "\n".join(lines)

    def plot(self, path=None, ax=None):
        """Error quantiles (min, 5 %, median, 95 %, max) and success rate against γ, like the
        published figure; saved atomically to ``path`` (PNG/PDF/SVG by extension) when given.

        A quantile that is infinite (that share of the trials diverged) is drawn as a triangle on
        the top edge ("diverged"), never dropped; an error of exactly 0 is drawn at 1e-16.  The
        success rate (and the divergence rate, when a trial diverged) are on the right axis; one
        legend lists everything.  Returns the (left) axes."""
        from ..plotting import pyplot  # noqa: PLC0415

        plt = pyplot(path is not None and ax is None)
        gam = np.array([r.gamma for r in self.rows])
        own = ax is None
        if own:
            fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
        else:
            fig = ax.figure
        floor = 1e-16
        styles = {"min": ":", "p5": "--", "median": "-", "p95": "--", "max": ":"}
        handles = []
        zero = False
        for k in QUANTILES:
            vals = np.array([r.error_quantiles[k] for r in self.rows], dtype=float)
            zero = zero or bool(np.any(vals == 0))
            handles += ax.semilogy(gam, np.where(np.isfinite(vals), np.maximum(vals, floor), np.nan), styles[k], marker="o",
                                   ms=3, label=f"error {k}")
        # quantiles are ordered, so the infinite ones of a row are its top ones: "p95-max" = p95 and max are inf
        names = list(QUANTILES)
        tops = []
        for r in self.rows:
            inf = [k for k in names if math.isinf(r.error_quantiles[k])]
            if inf:
                tops.append((r.gamma, inf[0] if len(inf) == 1 else f"{inf[0]}-{inf[-1]}"))
        if tops:
            edge = ax.get_xaxis_transform()  # x in data, y in axes fraction: the top edge is y = 1
            for g, text in tops:
                ax.plot([g], [1.0], marker="v", ms=7, color="C3", mec="k", mew=0.6, ls="", transform=edge, clip_on=False,
                        zorder=5)
                ax.annotate(text, (g, 1.0), xycoords=edge, xytext=(0, -11), textcoords="offset points", ha="center",
                            va="top", fontsize=6, color="C3")
            handles.append(plt.Line2D([], [], marker="v", ms=7, color="C3", mec="k", mew=0.6, ls="",
                                      label=r"diverged: these quantiles $= \infty$ (top edge)"))
        level = self.settings.get("perturbation")  # None: BM sensing; NIMC/NMF name their level and error
        ax.set_xlabel(r"$\gamma$ (start $X_0 = (1-\gamma)\,X_{\mathrm{spurious}} + \gamma W$)" if level is None
                      else f"{level} (start {self.settings.get('init', '')})")
        ax.set_ylabel(r"error $\min_R \|X - ZR\|_F / \|Z\|_F$" if level is None
                      else str(self.settings.get("error_label", "error")))
        ax2 = ax.twinx()
        handles += ax2.plot(gam, [r.success_rate for r in self.rows], "k-", lw=2, alpha=0.35, label="success rate (right axis)")
        for key, label in self.settings.get("plot_fractions") or ():  # NMF: the certified-convex fraction beside it
            handles += ax2.plot(gam, [r.extra.get(key, np.nan) for r in self.rows], "--", color="C2", lw=2, alpha=0.7,
                                label=f"{label} (right axis)")
        if any(r.diverged for r in self.rows):
            handles += ax2.plot(gam, [r.diverged_rate for r in self.rows], "-.", color="C3", lw=1.2, alpha=0.8,
                                label="divergence rate (right axis)")
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_ylabel("rate")
        s = self.settings
        ax.set_title(f"{s['method'].upper()}, {s['steps']} steps, {s['trials']} trials per γ", fontsize=10,
                     pad=12 if tops else None)
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=7,
                  title="an error of 0 is drawn at 1e-16" if zero else None, title_fontsize=7, frameon=False)
        if path is not None:
            from ..plotting import save_figure  # noqa: PLC0415

            save_figure(fig, path, dpi=110, close=own)  # a figure of the caller's axes stays open
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


def chunk_trials(n: int, r: int) -> int:
    """Trials per chunk for iterates of shape ``(n, r)``: as many as fit in :data:`CHUNK_BYTES` at
    :data:`STATE_COPIES` float64 copies of the state per trial (at least one)."""
    per = 8 * STATE_COPIES * int(n) * int(r) + TRIAL_OVERHEAD_BYTES
    return max(1, CHUNK_BYTES // per)


def memory_estimate(trials: int, n: int, r: int) -> int:
    """Bytes :func:`validate` holds at most for one γ: one chunk of trials (:func:`chunk_trials`)
    plus the 8-byte error of every trial (kept for the exact quantiles)."""
    per = 8 * STATE_COPIES * int(n) * int(r) + TRIAL_OVERHEAD_BYTES
    return min(int(trials), chunk_trials(n, r)) * per + 8 * int(trials)


def iter_trials(op, Xs, Z, gamma: float, trials: int, seed: int, *, init_scale: float, method: str, steps: int,
                step_size: float, batch: int = 1, decay: float | None = None, tol: float = 1e-3,
                tol_spurious: float = 0.1, progress=None, chunk: int | None = None):
    """The trials of one γ of the protocol in chunks of at most ``chunk`` trials (default
    :func:`chunk_trials`), yielding ``(first, TrialOutcome)`` per chunk: memory is bounded by one
    chunk whatever ``trials``.  Arguments unchecked (:meth:`Protocol.from_options` checks them).

    The chunks draw exactly the numbers of one piece: the starts continue the generator of
    ``(seed, γ)`` and trial ``t`` of the SGD kernel uses the stream of global index ``t``.
    ``progress(done, total)`` counts steps over all chunks (``total = steps × chunks``)."""
    n, r = Xs.shape
    chunk = chunk_trials(n, r) if chunk is None else max(1, int(chunk))
    nchunks = -(-int(trials) // chunk)
    rng, stream_seed = trial_streams(seed, gamma)
    for ci in range(nchunks):
        first = ci * chunk
        c = min(chunk, trials - first)
        X0 = start_points(rng, Xs, gamma, c, init_scale)
        cb = None
        if progress is not None:
            def cb(done, total=None, _ci=ci):  # noqa: ANN001 - per-chunk step count -> overall
                progress(_ci * steps + done, max(1, steps * nchunks))
        if method == "sgd":
            res = sensing.sgd(op, Z, X0, steps=steps, step_size=step_size, batch=batch, seed=stream_seed, decay=decay,
                              progress=cb, first_trial=first)
        else:
            res = sensing.gd(op, Z, X0, steps=steps, step_size=step_size, decay=decay, progress=cb)
        del X0
        out = classify(res.X, res.diverged, Xs, Z, tol=tol, tol_spurious=tol_spurious)
        del res
        yield first, out


def trial_streams(seed: int, gamma: float) -> tuple[np.random.Generator, int]:
    """The random streams of the trials of ``(seed, γ)``: the generator of the starts
    (``default_rng([seed, round(γ 2³²)])``) and the SGD stream seed (``SeedSequence([seed, round(γ 2³²), 1])``)."""
    key = [int(seed), int(round(float(gamma) * 2**32))]
    return np.random.default_rng(key), int(np.random.SeedSequence(key + [1]).generate_state(1, dtype=np.uint32)[0])


def start_points(rng: np.random.Generator, Xs, gamma: float, count: int, init_scale: float) -> np.ndarray:
    """``count`` starts ``(1 − γ) X_s + γ W``, ``W`` iid ``N(0, init_scale²)`` drawn from ``rng``."""
    n, r = Xs.shape
    X0 = init_scale * rng.standard_normal((int(count), n, r))
    X0 *= gamma
    X0 += (1.0 - gamma) * Xs[None]
    return X0


def classify(X, diverged, Xs, Z, *, tol: float = 1e-3, tol_spurious: float = 0.1) -> TrialOutcome:
    """The outcome of every trial ending at ``X`` (``(trials, n, r)``): success when the relative
    distance to the global set ``{Z R}`` is at most ``tol``; at the spurious point when not, not
    diverged, and within ``tol_spurious`` of the orbit ``{X_s R}``; else diverged or other."""
    err = np.atleast_1d(sensing.distance_to_solutions(X, Z))
    dsp = np.atleast_1d(sensing.distance_to_orbit(X, Xs))
    div = np.atleast_1d(np.asarray(diverged, dtype=bool))
    succ = err <= tol
    spur = ~succ & ~div & (dsp <= tol_spurious)
    other = ~succ & ~div & ~spur
    return TrialOutcome(errors=err, success=succ, spurious=spur, diverged=div, other=other)


def run_trials(op, Xs, Z, gamma: float, trials: int, seed: int, *, init_scale: float, method: str, steps: int,
               step_size: float, batch: int = 1, decay: float | None = None, tol: float = 1e-3,
               tol_spurious: float = 0.1, progress=None) -> TrialOutcome:
    """The trials of one γ of the protocol (arguments unchecked: :meth:`Protocol.from_options` checks them).

    Start ``X0 = (1 − γ) X_s + γ W``, ``W`` iid ``N(0, init_scale²)`` from ``default_rng([seed, round(γ 2³²)])``;
    the SGD streams from ``SeedSequence([seed, round(γ 2³²), 1])``: a run is determined by ``(seed, γ)`` and the
    settings, whatever else runs beside it.  Runs in chunks (:func:`iter_trials`): the iterates of at most
    :func:`chunk_trials` trials are alive at a time; the per-trial outcomes (about 12 bytes a trial) are returned.
    """
    parts = [out for _, out in iter_trials(op, Xs, Z, gamma, trials, seed, init_scale=init_scale, method=method,
                                           steps=steps, step_size=step_size, batch=batch, decay=decay, tol=tol,
                                           tol_spurious=tol_spurious, progress=progress)]
    if len(parts) == 1:
        return parts[0]
    return TrialOutcome(*(np.concatenate([getattr(o, f) for o in parts])
                          for f in ("errors", "success", "spurious", "diverged", "other")))


def _cell(v) -> str:
    """A table cell for a kind-specific figure (a rate, a fraction; ``-`` when absent)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    return f"{float(v):.6g}"


def _quantiles(err: np.ndarray) -> dict:
    # "inverted_cdf" never interpolates, so infinite errors (diverged trials) stay meaningful
    return {k: float(np.quantile(err, q, method="inverted_cdf")) for k, q in QUANTILES.items()}


class Tally:
    """The pooled outcomes of trials of one γ: the counts (:data:`OUTCOMES`) and every trial's
    error (8 bytes a trial, kept for the exact quantiles), for at most ``capacity`` trials.

    Filled from the :class:`TrialOutcome` s of the chunks of one run (:meth:`add_outcome`, as in
    :func:`validate`) or from the JSON parts of the chunks of a sweep (:meth:`add_part`, whose
    :meth:`part` wrote them), so that both pool the trials the same way, exactly.
    """

    def __init__(self, capacity: int):
        self.errors = np.empty(int(capacity))
        self.trials = 0
        self.counts = dict.fromkeys(OUTCOMES, 0)

    def add(self, errors, successes: int, spurious: int, diverged: int, other: int) -> None:
        k = len(errors)
        self.errors[self.trials:self.trials + k] = errors
        self.trials += k
        for name, v in zip(OUTCOMES, (successes, spurious, diverged, other), strict=True):
            self.counts[name] += int(v)

    def add_outcome(self, out: TrialOutcome) -> None:
        self.add(out.errors, out.success.sum(), out.spurious.sum(), out.diverged.sum(), out.other.sum())

    def part(self, gamma: float) -> dict:
        """The strict-JSON record of these trials (a sweep's chunk): the counts and the sorted
        errors (``None`` for a diverged trial, whose error is infinite)."""
        err = np.sort(self.errors[:self.trials])
        return {"gamma": float(gamma), "trials": self.trials, **self.counts,
                "errors": [float(e) if math.isfinite(e) else None for e in err]}

    def add_part(self, part: dict) -> None:
        """Pool the trials of a record written by :meth:`part`."""
        err = np.array([math.inf if e is None else e for e in part["errors"]], dtype=float)
        self.add(err, *(part[name] for name in OUTCOMES))

    def row(self, gamma: float, seconds: float | None = None) -> dict:
        """The fields of a :class:`ValidationRow`: counts, rates and error quantiles over the
        trials so far (rates and quantiles ``None`` when there are none)."""
        t = self.trials
        rates = {f"{k}_rate": (self.counts[c] / t if t else None)
                 for k, c in (("success", "successes"), ("spurious", "spurious"), ("diverged", "diverged"),
                              ("other", "other"))}
        q = _quantiles(self.errors[:t]) if t else {k: None for k in QUANTILES}
        return {"gamma": float(gamma), "trials": t, **self.counts, **rates, "error_quantiles": q, "seconds": seconds}


#: the options of :meth:`Protocol.from_options` (and of :func:`validate` and the ``validation`` sweep kind)
OPTIONS = ("trials", "gammas", "steps", "method", "seed", "step_size", "batch", "decay", "tol", "tol_spurious",
           "init_scale")


@dataclass(frozen=True)
class Protocol:
    """The settings of the validation protocol (module docstring), checked and resolved: the
    defaults of ``step_size`` and ``init_scale`` filled in, ``batch`` ``None`` for GD.

    Build it with :meth:`from_options` (every check of the options, once, against a certificate);
    :meth:`tally` runs the trials of one γ; :meth:`to_dict` / :meth:`from_dict` are its JSON form
    (the fields, in order: the spec of a ``validation`` sweep).
    """

    trials: int
    gammas: tuple
    steps: int
    method: str
    seed: int
    step_size: float
    batch: int | None
    decay: float | None
    tol: float
    tol_spurious: float
    init_scale: float

    @classmethod
    def from_options(cls, cert, trials=1000, gammas=DEFAULT_GAMMAS, steps=10_000, method: str = "sgd", seed=0, *,
                     step_size=None, batch=1, decay=None, tol=1e-3, tol_spurious=0.1, init_scale=None,
                     max_trials: int | None = MAX_TRIALS) -> Protocol:
        """Check the options of :func:`validate` against the certificate ``cert`` (its operator:
        ``batch <= m``; its ``Z``: the default step size and initial scale) and resolve the
        defaults; :class:`~certify.errors.InputError` naming the first bad option.  ``trials`` is
        at most ``max_trials`` (``None``: no limit, for a sweep, whose chunks are limited instead)."""
        from ..check.format import Certificate  # noqa: PLC0415

        if not isinstance(cert, Certificate):
            raise InputError(f"cert: expected a certify Certificate, got {type(cert).__name__}")
        if method not in ("sgd", "gd"):
            raise InputError(f"method: expected 'sgd' or 'gd', got {method!r}")
        try:
            trials = integer(trials, "trials", lo=1, hi=max_trials)
        except InputError as exc:
            if max_trials is None:
                raise
            raise InputError(f"{exc}; MAX_TRIALS = {max_trials:,} per gamma (split larger runs with "
                             "'certify sweep validation')") from None
        gam = reals(gammas, "gammas", lo=0.0, hi=1.0)
        seed = integer(seed, "seed", lo=0)
        tol = real(tol, "tol", lo=0.0, lo_open=True)
        tol_spurious = real(tol_spurious, "tol_spurious", lo=0.0, lo_open=True)
        op, Z = cert.operator, cert.Z
        steps, step_size, decay, batch = sensing.check_run_args(op, method, steps, step_size, decay, batch)
        if init_scale is None:
            init_scale = float(np.sqrt(np.linalg.norm(Z.T @ Z)))
        else:
            init_scale = real(init_scale, "init_scale", lo=0.0, lo_open=True)
        if step_size is None:
            step_size = sensing.default_step_size(op, Z, method, batch or 1)
        return cls(trials=int(trials), gammas=tuple(float(g) for g in gam), steps=int(steps), method=method,
                   seed=int(seed), step_size=float(step_size), batch=batch, decay=decay, tol=float(tol),
                   tol_spurious=float(tol_spurious), init_scale=init_scale)

    def to_dict(self) -> dict:
        """The settings as a JSON-able dict, fields in order (``gammas`` a list)."""
        return {name: (list(self.gammas) if name == "gammas" else getattr(self, name)) for name in OPTIONS}

    @classmethod
    def from_dict(cls, d: dict) -> Protocol:
        """The protocol of :meth:`to_dict` output (checked already: no checks)."""
        return cls(**{name: (tuple(float(g) for g in d[name]) if name == "gammas" else d[name]) for name in OPTIONS})

    def settings(self) -> dict:
        """The ``settings`` of a :class:`ValidationResult`: the fields plus the descriptions of the
        start and of the error."""
        return {**self.to_dict(), "init": INIT_TEXT, "error": ERROR_TEXT}

    def tally(self, cert, gamma: float, *, progress=None) -> Tally:
        """The :attr:`trials` trials of one γ from :attr:`seed` (:func:`iter_trials`: in chunks,
        memory bounded by one chunk plus 8 bytes a trial), pooled."""
        out = Tally(self.trials)
        for _, part in iter_trials(cert.operator, cert.X, cert.Z, float(gamma), self.trials, self.seed,
                                   init_scale=self.init_scale, method=self.method, steps=self.steps,
                                   step_size=self.step_size, batch=self.batch or 1, decay=self.decay, tol=self.tol,
                                   tol_spurious=self.tol_spurious, progress=progress):
            out.add_outcome(part)
        return out


def validate(
    cert,
    trials: int | None = None,
    gammas=None,
    steps: int | None = None,
    method: str | None = None,
    seed: int = 0,
    *,
    step_size: float | None = None,
    batch: int | None = None,
    decay: float | None = None,
    tol: float = 1e-3,
    tol_spurious: float | None = None,
    init_scale: float | None = None,
    record: bool = False,
    progress: bool = False,
    **kind_options,
) -> ValidationResult:
    """Run the validation protocol of the certificate's kind (module docstring) on a certificate.

    Returns a :class:`ValidationResult` whose ``rows[i]`` has ``gamma`` (the perturbation level:
    γ, or α for NIMC), ``success_rate``, ``spurious_rate``, ``diverged_rate``, ``other_rate``,
    ``error_quantiles`` (min, p5, median, p95, max) and ``extra`` (the kind's own figures).  With
    ``record=True`` the result is also appended to ``cert.validations`` (in memory;
    ``cert.save(path)`` writes it); by default the certificate is left untouched.  Options left
    at ``None`` take the kind's defaults (BM sensing: 1000 trials, γ in 0, 0.25, ..., 1, 10,000
    SGD steps, batch 1, tol_spurious 0.1; NIMC: :data:`certify.sgd.nimc_protocol.DEFAULTS`; NMF:
    :data:`certify.sgd.nmf_protocol.DEFAULTS`); ``kind_options`` are the NIMC protocol's sample
    sizes and settings (``n1``, ``n2``, ``m``, ``n_test``, ``near``).

    BM sensing options (checked by :meth:`Protocol.from_options`): ``trials`` an integer in
    ``[1, MAX_TRIALS]`` (10**8); ``gammas`` real numbers in ``[0, 1]``; ``steps`` an integer >= 0;
    ``seed`` an integer >= 0; ``step_size``, ``decay``, ``tol``, ``tol_spurious``, ``init_scale``
    finite real numbers > 0 (or None where a default exists); ``batch`` (SGD) an integer in
    ``[1, m]``, ``m`` the operator's number of measurements.  Trials run in chunks
    (:func:`chunk_trials`, at most :data:`CHUNK_BYTES` of iterates alive), so memory is bounded by
    :func:`memory_estimate`: one chunk plus 8 bytes per trial.
    """
    kind = getattr(cert, "kind", None)
    if kind in ("nimc/population-hessian", "nmf/segment-convexity"):
        from . import nimc_protocol, nmf_protocol  # noqa: PLC0415 - the NIMC / NMF solvers only when needed

        if tol_spurious is not None or init_scale is not None:
            raise InputError(f"tol_spurious, init_scale: options of the BM sensing protocol, not of {kind}")
        run = nimc_protocol.validate if kind.startswith("nimc") else nmf_protocol.validate
        return run(cert, trials, gammas, steps, method, seed, step_size=step_size, batch=batch, decay=decay, tol=tol,
                   record=record, progress=progress, **kind_options)
    if kind_options:
        raise InputError(f"{', '.join(sorted(kind_options))}: unknown option(s) of the BM sensing protocol")
    trials = 1000 if trials is None else trials
    gammas = DEFAULT_GAMMAS if gammas is None else gammas
    steps = 10_000 if steps is None else steps
    method = "sgd" if method is None else method
    batch = 1 if batch is None else batch
    tol_spurious = 0.1 if tol_spurious is None else tol_spurious
    for name, flag in (("record", record), ("progress", progress)):
        if not isinstance(flag, (bool, np.bool_)):
            raise InputError(f"{name}: expected True or False, got {flag!r} ({type(flag).__name__})")
    proto = Protocol.from_options(cert, trials, gammas, steps, method, seed, step_size=step_size, batch=batch,
                                  decay=decay, tol=tol, tol_spurious=tol_spurious, init_scale=init_scale)
    rows = []
    t_all = time.perf_counter()
    for gi, g in enumerate(proto.gammas):
        bar = Progress(proto.steps, f"gamma {g:.3f} ({gi + 1}/{len(proto.gammas)})", enabled=progress)
        t0 = time.perf_counter()
        pooled = proto.tally(cert, g, progress=bar.update)
        bar.close()
        rows.append(ValidationRow(**pooled.row(g, seconds=time.perf_counter() - t0)))
        del pooled
    n, r = cert.X.shape
    result = ValidationResult(
        rows=rows, settings=proto.settings(),
        certificate={"name": cert.name, "n": n, "r": r, "r_star": cert.r_star, "delta": cert.delta, "source": cert.source},
        elapsed=time.perf_counter() - t_all,
        created=utc_now(),
    )
    if record:
        cert.validations.append(result.to_dict())
    return result
