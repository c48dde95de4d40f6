"""Star-convexity of NMF landscapes: curvature along solver trajectories, distributions of the
curvature over many (start, optimum) pairs, the size ablation, and the planted-model table.

Source: "Star-Convexity in Non-Negative Matrix Factorization", anonymous ICLR 2020 submission
(**SC-NMF**): curvature ``α(x) = min_{λ∈[0,1]} ℓ''(λx* + (1 − λ)x)`` (eq. (6)); Figure 5
(relative deviation σ/μ of α against the data size: for each subsample rate, optima found by
gradient descent from random starts and α evaluated from random points — 100 optima × 50 points in
the paper); Figure 6 (α and the cosine between ``−∇ℓ`` and the segment to the final point, during
training); Theorem 1 (planted model: convex on the segment to the planted optimum with probability
``≥ 1 − c₁ exp(−c₂ n^{1/3})``).

Every α here comes with the verdict of :func:`certify.nmf.segments.segment_certificates`
("convex" is a proof up to the stated floating-point bound).  Work is batched: all segments of a
call go through one vectorized certificate computation; solvers run all starts at once.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from ..errors import InputError
from .model import (
    _check_positive_int,
    _loss_batch,
    check_data,
    check_rank,
    half_normal_init,
    init_scale,
    planted,
)
from .segments import SegmentBatch, segment_certificates
from .solvers import solve

__all__ = [
    "Trajectory",
    "trajectory",
    "StarConvexity",
    "segment_statistics",
    "star_convexity",
    "AblationRow",
    "ablation",
    "planted_table",
    "loss_profiles",
]


def _finite(obj):
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _stats(alpha: np.ndarray) -> dict:
    a = np.asarray(alpha, dtype=float)
    mu = float(np.mean(a))
    sd = float(np.std(a, ddof=1)) if a.size > 1 else 0.0
    q = np.quantile(a, [0.0, 0.05, 0.5, 0.95, 1.0])
    return {"mean": mu, "std": sd, "relative_deviation": sd / abs(mu) if mu != 0 else math.inf,
            "quantiles": {"min": float(q[0]), "p5": float(q[1]), "median": float(q[2]), "p95": float(q[3]),
                          "max": float(q[4])}}


# ----------------------------------------------------------------------------------------------
# along a trajectory (SC-NMF Figure 6)
# ----------------------------------------------------------------------------------------------


@dataclass
class Trajectory:
    """α and the cosine at each checkpoint of a run, toward the run's final point (same start).
    Arrays have shape ``(checkpoints, starts)``; ``verdict`` holds the certificate verdicts."""

    steps: np.ndarray
    alpha: np.ndarray
    alpha_lower: np.ndarray
    cosine: np.ndarray
    verdict: np.ndarray
    loss: np.ndarray

    @property
    def all_convex(self) -> bool:
        return bool(np.all(self.verdict == "convex"))

    def table(self) -> str:
        lines = [f"{'step':>7} {'loss (median)':>14} {'alpha min':>12} {'alpha median':>13} {'cos min':>9} "
                 f"{'cos median':>10} {'convex':>7}"]
        for i, s in enumerate(self.steps):
            cos = self.cosine[i][np.isfinite(self.cosine[i])]
            cmin, cmed = (cos.min(), np.median(cos)) if cos.size else (float("nan"), float("nan"))
            lines.append(f"{int(s):7d} {np.median(self.loss[i]):14.6g} {np.min(self.alpha[i]):12.5g} "
                         f"{np.median(self.alpha[i]):13.5g} {cmin:9.4f} {cmed:10.4f} "
                         f"{np.mean(self.verdict[i] == 'convex'):7.0%}")
        return "\n".join(lines)


def trajectory(run, X, mask=None) -> Trajectory:
    """Certificates from every checkpoint ``(W_t, H_t)`` of ``run`` (an
    :class:`~certify.nmf.solvers.NMFRun` made with ``checkpoints=[…]``) to its final
    ``(W_T, H_T)``, start by start: α, the certified lower bound, the cosine between ``−∇ℓ(x_t)``
    and ``x_T − x_t`` (SC-NMF Figure 6), and the loss at ``x_t``."""
    if not getattr(run, "checkpoints", None):
        raise InputError("run: no checkpoints recorded; call the solver with checkpoints=[0, 10, ...]")
    steps = np.array(sorted(run.checkpoints))
    Ws = np.stack([run.checkpoints[s][0] for s in steps])  # (T, starts, n, r)
    Hs = np.stack([run.checkpoints[s][1] for s in steps])
    T, S = Ws.shape[:2]
    Wf = np.broadcast_to(run.W, (T,) + run.W.shape).reshape((T * S,) + run.W.shape[1:])
    Hf = np.broadcast_to(run.H, (T,) + run.H.shape).reshape((T * S,) + run.H.shape[1:])
    b = segment_certificates(Ws.reshape((T * S,) + Ws.shape[2:]), Hs.reshape((T * S,) + Hs.shape[2:]), Wf, Hf, X, mask)
    shp = (T, S)
    return Trajectory(steps=steps, alpha=b.alpha.reshape(shp), alpha_lower=b.alpha_lower.reshape(shp),
                      cosine=b.cosine.reshape(shp), verdict=b.verdict.reshape(shp),
                      loss=b.coefficients[:, 0].reshape(shp))


# ----------------------------------------------------------------------------------------------
# distributions over (point, optimum) pairs (SC-NMF §4.2, Figure 5)
# ----------------------------------------------------------------------------------------------


@dataclass
class StarConvexity:
    """α over (random point, optimum) pairs: ``alpha``, ``alpha_lower`` (certified), ``cosine`` and
    ``verdict`` have one entry per pair, ``optimum_index`` says which optimum the pair ends at;
    ``stats`` mean, std (ddof 1), relative deviation σ/μ and quantiles of α; ``fractions`` of
    verdicts; ``optimum_loss`` the ½Σ_Ω loss at each optimum."""

    alpha: np.ndarray
    alpha_lower: np.ndarray
    cosine: np.ndarray
    verdict: np.ndarray
    optimum_loss: np.ndarray
    optimum_index: np.ndarray
    shape: tuple
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def stats(self) -> dict:
        return _stats(self.alpha)

    @property
    def fractions(self) -> dict:
        v = self.verdict
        return {"convex": float(np.mean(v == "convex")), "not convex": float(np.mean(v == "not convex")),
                "undecided": float(np.mean(v == "undecided"))}

    @property
    def pairs(self) -> int:
        return int(self.alpha.size)

    def plot(self, path=None, ax=None, *, title: str | None = None):
        """A histogram of α over the pairs, stacked by certificate verdict (convex / not convex /
        undecided), with α = 0 marked and the fractions in the legend.  Saved to ``path`` when
        given (PNG, PDF, SVG by the suffix); returns the figure."""
        from ..plotting import pyplot, save_figure  # noqa: PLC0415

        plt = pyplot(path is not None and ax is None)
        own = ax is None
        fig, ax = plt.subplots(figsize=(6.4, 3.9), layout="constrained") if own else (ax.figure, ax)
        a = np.asarray(self.alpha, dtype=float)
        ok = np.isfinite(a)
        edges = np.histogram_bin_edges(a[ok], bins=min(60, max(10, int(np.sqrt(ok.sum())) * 2))) if ok.any() else 10
        groups, labels, colors = [], [], []
        fr = self.fractions
        for verdict, color in (("convex", "C2"), ("not convex", "C3"), ("undecided", "0.6")):
            sel = ok & (self.verdict == verdict)
            groups.append(a[sel])
            labels.append(f"{verdict}: {int(sel.sum())} ({fr[verdict]:.1%})")
            colors.append(color)
        ax.hist(groups, bins=edges, stacked=True, color=colors, label=labels, edgecolor="white", linewidth=0.3)
        ax.axvline(0.0, color="k", lw=0.8)
        ax.set_xlabel(r"$\alpha = \min_{\lambda \in [0, 1]} \ell''(\lambda)$ along the segment point $\to$ optimum")
        ax.set_ylabel("segments")
        st = self.stats
        rd = st["relative_deviation"]
        ax.set_title(title or (f"{self.pairs} segments, {self.shape[0]} x {self.shape[1]}, rank {self.shape[2]}: "
                               rf"mean $\alpha$ = {st['mean']:.3g}, $\sigma/\mu$ = "
                               + ("undefined" if not math.isfinite(rd) else f"{rd:.3f}")), fontsize=9)
        ax.legend(title="certified verdict", fontsize=8, title_fontsize=8)
        if path is not None:
            save_figure(fig, path, close=own)
        return fig

    def to_dict(self) -> dict:
        """JSON-ready (non-finite numbers become None)."""
        cos = self.cosine[np.isfinite(self.cosine)]
        return _finite({"shape": list(self.shape), "pairs": self.pairs, "alpha": self.stats, "fractions": self.fractions,
                "certified_alpha_lower_min": float(np.min(self.alpha_lower)),
                "cosine": None if cos.size == 0 else {"min": float(cos.min()), "median": float(np.median(cos)),
                                                      "max": float(cos.max())},
                "optimum_loss": [float(x) if np.isfinite(x) else None for x in self.optimum_loss],
                "settings": self.settings,
                "seconds": self.seconds})


def segment_statistics(W, H, W_star, H_star, X, mask=None) -> StarConvexity:
    """α statistics of given segments (batched as in :func:`segment_certificates`)."""
    t0 = time.perf_counter()
    b = segment_certificates(W, H, W_star, H_star, X, mask)
    return _from_batch(b, np.zeros(len(b), dtype=int), {}, time.perf_counter() - t0, np.array([np.nan]))


def _from_batch(b: SegmentBatch, index, settings, seconds, opt_loss):
    return StarConvexity(alpha=b.alpha, alpha_lower=b.alpha_lower, cosine=b.cosine, verdict=b.verdict,
                         optimum_loss=opt_loss, optimum_index=np.asarray(index), shape=b.shape,
                         settings=settings, seconds=seconds)


def star_convexity(X, rank: int, mask=None, *, optima: int = 10, points: int = 50, pairs: int | None = None,
                   method: str = "mu", steps: int = 1000, seed: int = 0, optimum=None,
                   point_scale: float | None = None, solver_kwargs: dict | None = None,
                   progress=None, certify_progress=None) -> StarConvexity:
    """SC-NMF §4.2: find ``optima`` optima with ``method`` (``"mu"`` or ``"pgd"``; all starts in
    one batched run of ``steps`` steps from half-normal starts matched to the data mean), draw
    ``points`` random points per optimum from the same half-normal distribution (independent of
    the starts), and certify the segment from each point to its optimum (``optima × points``
    pairs; ``pairs=N`` instead takes exactly N pairs, pair j ending at optimum ``j mod optima``).

    ``optimum=(W*, H*)`` skips the solver and uses that point (e.g. the planted solution), with
    ``optima`` forced to 1.  ``point_scale`` overrides the σ of the random points.
    ``progress(k, steps)`` reports the solver's steps; ``certify_progress(done, pairs)`` the
    certificates (then computed in chunks of :data:`CERTIFY_CHUNK` segments, with the same results:
    each segment's certificate depends on that segment only)."""
    t0 = time.perf_counter()
    rank = check_rank(rank)
    Xc, M, obs = check_data(X, mask)
    n, m = Xc.shape
    points = _check_positive_int(points, "points")
    if pairs is not None:
        pairs = _check_positive_int(pairs, "pairs")
    scale = init_scale(Xc, M, rank) if point_scale is None else float(point_scale)
    if not (math.isfinite(scale) and scale > 0):
        raise InputError(f"point_scale: expected a positive number, got {point_scale!r}")
    if optimum is not None:
        try:
            Ws, Hs = optimum
        except (TypeError, ValueError):
            raise InputError("optimum: expected a pair (W_star, H_star)") from None
        Ws, Hs = np.asarray(Ws, dtype=float)[None], np.asarray(Hs, dtype=float)[None]
        optima = 1
        if Ws.ndim != 3 or Hs.ndim != 3:
            raise InputError(f"optimum: expected matrices W_star (n, r) and H_star (r, m), got {Ws.shape[1:]}, {Hs.shape[1:]}")
        opt_loss = np.asarray(_loss_batch(Ws, Hs, Xc, M)) if Ws.shape[1] == n and Hs.shape[2] == m else np.array([np.nan])
        settings = {"optimum": "given", "points": points, "point_scale": scale, "seed": seed}
    else:
        optima = _check_positive_int(optima, "optima")
        kw = dict(solver_kwargs or {})
        run = solve(Xc, rank, method, mask=M, starts=optima, steps=steps, seed=seed, progress=progress, **kw)
        Ws, Hs, opt_loss = run.W, run.H, run.loss
        settings = {"optimum": "solver", "method": method, "steps": int(steps), "optima": optima, "points": points,
                    "point_scale": scale, "seed": seed, "solver": run.settings}
        if not np.all(np.isfinite(opt_loss)):
            raise InputError(f"the {method} runs diverged for {int(np.sum(~np.isfinite(opt_loss)))} starts; "
                             "lower step_size or use the default (adaptive) step")
    total = optima * points if pairs is None else pairs
    index = np.arange(total) % optima if pairs is not None else np.repeat(np.arange(optima), points)
    W0, H0 = half_normal_init(n, m, rank, starts=total, scale=scale, seed=seed + 104729)
    b = _certify_in_chunks(W0, H0, Ws, Hs, index, Xc, M, certify_progress)
    settings.update(rank=rank, observed=obs, pairs=total)
    return _from_batch(b, index, settings, time.perf_counter() - t0, np.asarray(opt_loss, dtype=float))


#: segments per certificate computation when :func:`star_convexity` reports their progress
CERTIFY_CHUNK = 64


def _certify_in_chunks(W0, H0, Ws, Hs, index, X, M, progress) -> SegmentBatch:
    """:func:`segment_certificates` of the segments ``(W0[j], H0[j]) → (Ws[index[j]], Hs[index[j]])``:
    one batch, or chunks of :data:`CERTIFY_CHUNK` with ``progress(done, total)`` after each."""
    total = len(index)
    if progress is None:
        return segment_certificates(W0, H0, Ws[index], Hs[index], X, M)
    parts = []
    progress(0, total)
    for a in range(0, total, CERTIFY_CHUNK):
        j = index[a:a + CERTIFY_CHUNK]
        parts.append(segment_certificates(W0[a:a + CERTIFY_CHUNK], H0[a:a + CERTIFY_CHUNK], Ws[j], Hs[j], X, M))
        progress(min(a + CERTIFY_CHUNK, total), total)
    first = parts[0]
    arrays = {f.name: np.concatenate([getattr(b, f.name) for b in parts])
              for f in fields(SegmentBatch) if f.name not in ("shape", "observed")}
    return SegmentBatch(**arrays, shape=first.shape, observed=first.observed)


@dataclass
class AblationRow:
    """One size of the ablation: subsample ``rate`` of rows and columns (or planted size ``n``)."""

    rate: float
    n: int
    m: int
    rank: int
    pairs: int
    mean: float
    std: float
    relative_deviation: float
    fraction_convex: float
    fraction_not_convex: float
    fraction_undecided: float
    alpha_min: float
    cosine_median: float
    seconds: float


def _row(rate, res: StarConvexity) -> AblationRow:
    st, fr = res.stats, res.fractions
    cos = res.cosine[np.isfinite(res.cosine)]
    return AblationRow(rate=float(rate), n=res.shape[0], m=res.shape[1], rank=res.shape[2], pairs=res.pairs,
                       mean=st["mean"], std=st["std"], relative_deviation=st["relative_deviation"],
                       fraction_convex=fr["convex"], fraction_not_convex=fr["not convex"],
                       fraction_undecided=fr["undecided"], alpha_min=st["quantiles"]["min"],
                       cosine_median=float(np.median(cos)) if cos.size else float("nan"), seconds=res.seconds)


def ablation_table(rows) -> str:
    """A text table of :class:`AblationRow` rows."""
    lines = [f"{'rate':>5} {'n':>6} {'m':>6} {'r':>4} {'pairs':>6} {'mean alpha':>11} {'sigma/mu':>9} "
             f"{'convex':>7} {'not':>6} {'undec.':>6} {'min alpha':>11}"]
    for r in rows:
        lines.append(f"{r.rate:5.2f} {r.n:6d} {r.m:6d} {r.rank:4d} {r.pairs:6d} {r.mean:11.4g} {r.relative_deviation:9.4f} "
                     f"{r.fraction_convex:7.1%} {r.fraction_not_convex:6.1%} {r.fraction_undecided:6.1%} {r.alpha_min:11.4g}")
    return "\n".join(lines)


def ablation(X, rank: int, mask=None, *, rates=(0.25, 0.5, 1.0), optima: int = 10, points: int = 20,
             method: str = "mu", steps: int = 1000, seed: int = 0, progress=None) -> list:
    """SC-NMF Figure 5: for each ``rate``, keep a uniformly random ``rate`` fraction of the rows and
    of the columns (same rank), then :func:`star_convexity`; one :class:`AblationRow` per rate."""
    Xc, M, _ = check_data(X, mask)
    rates = list(rates)
    if not rates or not all(isinstance(q, (int, float)) and 0 < q <= 1 for q in rates):
        raise InputError(f"rates: expected numbers in (0, 1], got {rates!r}")
    rng = np.random.default_rng(seed)
    rows = []
    for i, q in enumerate(rates):  # a handful of sizes, each one batched computation
        n = max(1, int(round(q * Xc.shape[0])))
        m = max(1, int(round(q * Xc.shape[1])))
        ri = np.sort(rng.choice(Xc.shape[0], n, replace=False))
        ci = np.sort(rng.choice(Xc.shape[1], m, replace=False))
        Xs, Ms = Xc[np.ix_(ri, ci)], M[np.ix_(ri, ci)]
        if not Ms.any() or not (Xs[Ms] > 0).any():
            raise InputError(f"rates: the subsample at rate {q} has no positive observed entry")
        res = star_convexity(Xs, rank, Ms, optima=optima, points=points, method=method, steps=steps, seed=seed + i)
        rows.append(_row(q, res))
        if progress:
            progress(i + 1, len(rates))
    return rows


def planted_table(sizes=(4, 8, 16, 32, 64), *, gamma: float = 0.5, points: int = 200, instances: int = 5,
                  distribution: str = "half-normal", observed_fraction: float = 1.0, seed: int = 0) -> list:
    """Theorem 1 of SC-NMF, measured: for each ``n`` in ``sizes``, ``instances`` planted instances
    (``m = n``, ``r = round(n^γ)``) and ``points`` random points each (same distribution as the
    planted factors), the fraction of segments point → planted optimum certified convex, with the
    α statistics.  One :class:`AblationRow` per size (``rate`` = 1)."""
    instances = _check_positive_int(instances, "instances")
    rows = []
    for n in sizes:  # one batched certificate computation per size
        t0 = time.perf_counter()
        alphas, lows, cos, verd = [], [], [], []
        for j in range(instances):  # the instances differ in X: one batched computation each
            inst = planted(n, gamma=gamma, distribution=distribution, observed_fraction=observed_fraction,
                           seed=seed + 1000 * j + n)
            W0, H0 = inst.random_points(points, seed=seed + 1000 * j + n + 1)
            b = segment_certificates(W0, H0, inst.W_star, inst.H_star, inst.X, inst.mask)
            alphas.append(b.alpha)
            lows.append(b.alpha_lower)
            cos.append(b.cosine)
            verd.append(b.verdict)
        shape = (int(n), int(n), int(inst.rank))
        res = StarConvexity(alpha=np.concatenate(alphas), alpha_lower=np.concatenate(lows),
                            cosine=np.concatenate(cos), verdict=np.concatenate(verd),
                            optimum_loss=np.zeros(instances), optimum_index=np.repeat(np.arange(instances), points),
                            shape=shape, seconds=time.perf_counter() - t0)
        rows.append(_row(1.0, res))
    return rows


def loss_profiles(W, H, W_star, H_star, X, mask=None, *, num: int = 101, reduction: str = "mean"):
    """``(λ, ℓ)`` with ``λ`` the ``num`` points of [0, 1] and ``ℓ`` of shape ``(k, num)``: the loss
    along each segment from its quartic coefficients (SC-NMF Figures 3–4), divided by ``|Ω|`` for
    ``reduction="mean"`` (the paper's scaling)."""
    if reduction not in ("sum", "mean"):
        raise InputError(f"reduction: expected 'sum' or 'mean', got {reduction!r}")
    num = _check_positive_int(num, "num")
    b = segment_certificates(W, H, W_star, H_star, X, mask)
    lam = np.linspace(0.0, 1.0, num)
    vals = b.loss_at(lam)
    if reduction == "mean":
        vals = vals / b.observed
    return lam, vals, b


def rows_to_dicts(rows) -> list:
    return [asdict(r) for r in rows]
