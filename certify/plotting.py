"""Saving matplotlib figures (:func:`save_figure`, the one way certify writes a plot), and the figures
of results that have no class of their own to carry a ``plot`` method: the sharp-threshold search
(:func:`search_figure`, also for a ``search-restarts`` sweep) and the (ρ, φ) grids of a sweep
(:func:`grid_figure`).

Matplotlib is not imported when this module is: :func:`save_figure` uses the figure it is given,
the figure functions import it when called (with the non-interactive Agg backend when nothing else
was chosen, so they work without a display).  Every figure uses constrained layout (labels never
overlap) and mathtext for symbols (``$\\lambda_{\\min}$``, never a raw underscore).
"""

from __future__ import annotations

import io as _io
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import InputError
from .io import atomic_write_bytes

__all__ = ["save_figure", "pyplot", "search_figure", "grid_figure"]


def save_figure(fig: Any, path: str | Path, *, dpi: int = 120, close: bool = True) -> Path:
    """Write the matplotlib figure ``fig`` to ``path`` and return the path written.

    The format comes from the suffix (``.png``, ``.pdf``, ``.svg``, ...; PNG without one), an
    unknown one is an :class:`~certify.errors.InputError` naming the formats the figure can be
    saved in.  The figure is rendered in memory (``bbox_inches="tight"``) and written with
    :func:`certify.io.atomic_write_bytes`: a reader never sees half a file, and a target that is
    not a regular file (a directory, ``/dev/null``, a FIFO, ...) or is read-only is refused, as
    for every file certify writes.  With ``close=True`` (the default) the figure is closed
    afterwards, whether or not the write succeeded, so that a long run does not accumulate open
    figures; pass ``close=False`` for a figure that belongs to the caller (e.g. drawn on their axes).
    """
    try:
        target = Path(path)
        fmt = target.suffix.lstrip(".").lower() or "png"
        supported = fig.canvas.get_supported_filetypes()
        if fmt not in supported:
            raise InputError(f"{path}: unknown figure format {fmt!r}; give a file name ending in one of "
                             f"{', '.join('.' + k for k in sorted(supported))}")
        buf = _io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
        return atomic_write_bytes(target, buf.getvalue())
    finally:
        pyplot_module = sys.modules.get("matplotlib.pyplot")
        if close and pyplot_module is not None:  # without pyplot loaded, no figure is registered with it
            pyplot_module.close(fig)


def pyplot(headless: bool = True) -> Any:
    """``matplotlib.pyplot``, on the Agg backend unless a backend was chosen already (``headless``:
    the figure is going to a file)."""
    import matplotlib  # noqa: PLC0415

    if headless and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    return plt


def _finish(fig: Any, path: str | Path | None) -> Any:
    if path is not None:
        save_figure(fig, path)
    return fig


# ------------------------------------------------------------------------------------------------
# the sharp-threshold search
# ------------------------------------------------------------------------------------------------


def _trace_axis(h: dict) -> tuple[list[float], list[float]]:
    """``(evaluations, best δ so far)`` of one restart.  ``trace`` is the running minimum sampled
    every ``max(1, calls // 50)`` objective calls (:func:`certify.rip.search_sharp_delta`), its first
    value the start; without a trace, the start and the best value."""
    trace = [float(v) for v in (h.get("trace") or []) if v is not None]
    if not trace:
        start, best = h.get("start"), h.get("best")
        pts = [float(v) for v in (start, best) if v is not None]
        return [0.0, float(max(1, h.get("evaluations") or 1))][: len(pts)], pts
    calls = max(0, int(h.get("evaluations") or len(trace)) - 1)
    stride = max(1, calls // 50)
    x = [min(float(i * stride), float(max(calls, 1))) for i in range(len(trace))]
    return x, trace


def search_figure(history: Sequence[dict], published: dict | None = None, *, title: str | None = None,
                  path: str | Path | None = None) -> Any:
    """The convergence of a sharp-threshold search: left, the best δ so far against the SDPs solved,
    one line per restart (from ``history[k]["trace"]``); right, the best δ of each restart, sorted,
    coloured by the kind of start.  ``published`` (:func:`certify.rip.published_threshold`) adds the
    published value and the sufficient condition.  ``history``: :attr:`SearchResult.history`, or the
    results of a ``search-restarts`` sweep (the same keys).  Saved to ``path`` when given; returns the
    figure."""
    rows = [h for h in history if h is not None and h.get("best") is not None]
    if not rows:
        raise InputError("search_figure: no restart has a result to plot")
    plt = pyplot(path is not None)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained", width_ratios=(1.6, 1))
    colors = {"family": "C3", "near-family": "C1", "random": "C0"}
    for h in rows:
        x, y = _trace_axis(h)
        ax.plot([v + 1 for v in x], y, "-", lw=0.9, alpha=0.75, color=colors.get(h.get("start_kind", "random"), "C0"))
    best = min(float(h["best"]) for h in rows)
    lines = []
    if published:
        lines.append(ax.axhline(published["value"], color="k", ls="--", lw=0.9,
                                label=rf"published: ${published['value']:.6f}$ ({published.get('kind', '')})"))
        if published.get("lower") is not None and published["lower"] < published["value"] - 1e-12:
            lines.append(ax.axhline(published["lower"], color="0.4", ls=":", lw=0.9,
                                    label=rf"sufficient condition ${published['lower']:.6f}$"))
    ax.set_xscale("log")
    ax.set_xlabel("SDPs solved in the restart (the start is the first)")
    ax.set_ylabel(r"best $\delta(X, Z)$ so far")
    top = max(max(_trace_axis(h)[1]) for h in rows)
    span = max(top - best, 1e-6)
    ax.set_ylim(best - 0.05 * span, top + 0.05 * span)
    kinds = sorted({h.get("start_kind", "random") for h in rows}, key=list(colors).index)
    handles = [plt.Line2D([], [], color=colors[k], lw=1.5, label=f"{k} start") for k in kinds] + lines
    ax.legend(handles=handles, fontsize=7, loc="upper right")
    ax.set_title(f"{len(rows)} restarts: convergence", fontsize=9)
    order = sorted(rows, key=lambda h: float(h["best"]))
    ref = float(published["value"]) if published else 0.0
    diffs = [float(h["best"]) - ref for h in order]
    marks = diffs + ([published["lower"] - ref] if published and published.get("lower") is not None else [])
    big = max((abs(v) for v in marks), default=0.0)
    e = int(math.floor(math.log10(big))) if big > 0 and not 1e-3 <= big < 1e3 else 0
    unit = 10.0 ** e
    bx.scatter(range(1, len(order) + 1), [v / unit for v in diffs], s=14,
               c=[colors.get(h.get("start_kind", "random"), "C0") for h in order], zorder=3)
    scale = "" if e == 0 else rf" $(\times 10^{{{e}}})$"
    if published:
        bx.axhline(0.0, color="k", ls="--", lw=0.9)
        if published.get("lower") is not None and published["lower"] < published["value"] - 1e-12:
            bx.axhline((published["lower"] - ref) / unit, color="0.4", ls=":", lw=0.9)
        bx.set_ylabel(r"best $\delta$ of the restart $-$ published" + scale)
    else:
        bx.set_ylabel(r"best $\delta$ of the restart" + scale)
    bx.ticklabel_format(axis="y", useOffset=False, style="plain")
    bx.set_title(rf"best $\delta = {best:.9f}$", fontsize=9)
    bx.grid(alpha=0.3)
    bx.set_xlabel("restarts, sorted by their best value")
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    bx.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        fig.suptitle(title, fontsize=10)
    return _finish(fig, path)


# ------------------------------------------------------------------------------------------------
# (rho, phi) grids
# ------------------------------------------------------------------------------------------------


def _edges(centers: Any) -> Any:
    """Cell edges around sorted grid values (a single value gets a unit-width cell)."""
    import numpy as np  # noqa: PLC0415

    c = np.asarray(centers, dtype=float)
    if c.size == 1:
        w = max(abs(c[0]) * 0.1, 0.5)
        return np.array([c[0] - w, c[0] + w])
    mid = (c[1:] + c[:-1]) / 2
    return np.concatenate([[c[0] - (mid[0] - c[0])], mid, [c[-1] + (c[-1] - mid[-1])]])


def _hatch(ax: Any, xe: Any, ye: Any, mask: Any, hatch: str) -> None:
    """Grey, hatched cells where ``mask`` (one rectangle per cell, no seams)."""
    from matplotlib.patches import Rectangle  # noqa: PLC0415

    for i, j in zip(*mask.nonzero(), strict=True):
        ax.add_patch(Rectangle((xe[j], ye[i]), xe[j + 1] - xe[j], ye[i + 1] - ye[i], facecolor="0.85", edgecolor="0.3",
                               hatch=hatch, linewidth=0, zorder=2))


def _stars(ax: Any, phi: Any, rho: Any, mask: Any) -> None:
    import numpy as np  # noqa: PLC0415

    if np.any(mask):
        i, j = mask.nonzero()
        ax.scatter(phi[j], rho[i], marker="*", c="gold", edgecolors="k", s=70, zorder=4)


def grid_figure(arrays: dict, kind: str, *, title: str | None = None, path: str | Path | None = None) -> Any:
    """Heat maps of a ``rank1-grid`` or ``curvature-map`` sweep over (φ in degrees, ρ), from
    :func:`certify.sweep.grid_arrays`.

    ``rank1-grid``: δ(x, z) of the SDP (left; the smallest marked) and its distance above the
    closed-form lower bound (right).  ``curvature-map``: μ* on a diverging scale centred at 0 (red:
    strict spurious minima, blue: strict saddles), the level μ* = 0, and the points where no
    δ-RIP operator makes x critical (infeasible, hatched) or that are the ground truth.  Points not
    computed (missing, failed) are left white and counted in the title.  Saved to ``path`` when
    given; returns the figure."""
    import numpy as np  # noqa: PLC0415

    if kind not in ("rank1-grid", "curvature-map"):
        raise InputError(f"grid_figure: expected a rank1-grid or curvature-map sweep, got {kind!r}")
    plt = pyplot(path is not None)
    from matplotlib.colors import TwoSlopeNorm  # noqa: PLC0415
    from matplotlib.patches import Patch  # noqa: PLC0415

    order_r, order_p = np.argsort(arrays["rho"]), np.argsort(arrays["phi_deg"])
    rho, phi = np.asarray(arrays["rho"], float)[order_r], np.asarray(arrays["phi_deg"], float)[order_p]

    def field(name):
        return np.asarray(arrays[name])[np.ix_(order_r, order_p)]

    status, kinds = field("status"), field("kind")
    missing = int(np.sum(status == None))  # noqa: E711 - an object array
    failed = int(np.sum(status == "failed"))
    xe, ye = _edges(phi), _edges(rho)
    note = "; ".join(s for s in (f"{missing} missing" if missing else "", f"{failed} failed" if failed else "") if s)
    gt = kinds == "ground-truth"
    if kind == "rank1-grid":
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.9), layout="constrained")
        delta = field("delta").astype(float)
        nc = kinds == "no-counterexample"
        delta[nc] = 1.0  # colinear x, z: no counterexample, delta(x, z) = 1
        m = axes[0].pcolormesh(xe, ye, delta, cmap="viridis", shading="flat")
        fig.colorbar(m, ax=axes[0], label=r"$\delta(x, z)$ (SDP)")
        handles = []
        if np.any(np.isfinite(delta) & ~nc):
            i, j = np.unravel_index(np.nanargmin(np.where(nc, np.nan, delta)), delta.shape)
            handles += axes[0].plot(phi[j], rho[i], "r*", ms=11, ls="", label=rf"min $\delta = {delta[i, j]:.6f}$")
        gap = field("closed_form_gap").astype(float)
        m2 = axes[1].pcolormesh(xe, ye, gap, cmap="magma", shading="flat")
        fig.colorbar(m2, ax=axes[1], label=r"$\delta - $ closed form (JMLR19 Thm. 12)")
        if np.any(nc):
            for ax in axes:
                _hatch(ax, xe, ye, nc, "..")
            handles.append(Patch(facecolor="0.85", hatch="..", label=r"colinear $x, z$: $\delta = 1$, no counterexample"))
        for ax in axes:
            _stars(ax, phi, rho, gt)
        if np.any(gt):
            handles.append(plt.Line2D([], [], marker="*", ls="", mfc="gold", mec="k", ms=9, label="ground truth"))
        if handles:
            axes[0].legend(handles=handles, fontsize=7, loc="upper left", framealpha=0.9)
        axes[0].set_title(r"$\delta(x, z)$, $x = \rho(\cos\phi, \sin\phi)$, $z = (1, 0)$", fontsize=9)
        axes[1].set_title("distance above the closed-form lower bound", fontsize=9)
    else:
        fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
        axes = [ax]
        mu = field("mu").astype(float)
        finite = mu[np.isfinite(mu)]
        bound = float(np.max(np.abs(finite))) if finite.size and np.max(np.abs(finite)) > 0 else 1.0
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-bound, vmax=bound)
        m = ax.pcolormesh(xe, ye, mu, cmap="RdBu_r", norm=norm, shading="flat")
        fig.colorbar(m, ax=ax, label=r"$\mu^* = $ best $\lambda_{\min}(\nabla^2 f)$")
        if finite.size and finite.min() < 0 < finite.max() and min(mu.shape) > 1:
            ax.contour(phi, rho, mu, levels=[0.0], colors="k", linewidths=0.8)
        handles = [Patch(color=plt.get_cmap("RdBu_r")(0.85), label=r"strict minimum ($\mu^* > 0$)"),
                   Patch(color=plt.get_cmap("RdBu_r")(0.15), label=r"strict saddle ($\mu^* < 0$)")]
        inf = kinds == "infeasible"
        if np.any(inf):
            _hatch(ax, xe, ye, inf, "////")
            handles.append(Patch(facecolor="0.85", hatch="////", label="infeasible (Farkas): not critical"))
        _stars(ax, phi, rho, gt)
        if np.any(gt):
            handles.append(plt.Line2D([], [], marker="*", ls="", mfc="gold", mec="k", ms=9, label="ground truth"))
        ax.legend(handles=handles, fontsize=7, loc="upper right", framealpha=0.9)
        d = arrays.get("delta")
        ax.set_title(r"curvature SDP $\mu^*(x, z, \delta)$" + ("" if d is None else rf", $\delta = {d:g}$"), fontsize=9)
    for ax in axes:
        ax.set_xlabel(r"$\phi$ (degrees): angle between $x$ and $z$")
        ax.set_ylabel(r"$\rho = \|x\| / \|z\|$")
    if title or note:
        fig.suptitle(" — ".join(s for s in (title, note) if s), fontsize=10)
    return _finish(fig, path)
