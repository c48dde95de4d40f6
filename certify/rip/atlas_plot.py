"""The atlas' figure: heat maps over ``(r, r*)`` (:meth:`certify.rip.atlas.AtlasResult.plot`)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["atlas_figure"]


def _grid(rows: list, value) -> np.ndarray:
    R = max(r["r"] for r in rows)
    A = np.full((R, R), np.nan)
    for row in rows:
        v = value(row)
        if v is not None:
            A[row["r_star"] - 1, row["r"] - 1] = v
    return A


def _deviation(row):
    fam = row.get("family") or {}
    if "delta" not in fam:
        return None
    dev = max(abs(fam["delta"] - row["sufficient"]), abs(fam["delta_lower"] - row["sufficient"]))
    return math.log10(max(dev, 1e-16))


def atlas_figure(rows: list, path=None):
    """Three panels: the threshold ``1/(1 + √(r*/r))``; the published counterexample value minus the
    threshold (how far below the published counterexamples the family goes); ``log10`` of the
    family bracket's distance to the threshold.  Cells with ``sharp: proved`` carry an "S"."""
    from ..plotting import pyplot, save_figure  # noqa: PLC0415

    plt = pyplot()
    panels = [("threshold 1/(1 + sqrt(r*/r))", lambda r: r["sufficient"], "viridis"),
              ("published counterexample - threshold", lambda r: r["published_counterexample"] - r["sufficient"], "magma"),
              ("log10 |family bracket - threshold|", _deviation, "cividis")]
    R = max(r["r"] for r in rows)
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    for ax, (title, fn, cmap) in zip(axes, panels, strict=True):
        A = _grid(rows, fn)
        im = ax.imshow(A, origin="lower", cmap=cmap, extent=(0.5, R + 0.5, 0.5, R + 0.5))
        fig.colorbar(im, ax=ax, shrink=0.85)
        ax.set_xlabel("search rank r")
        ax.set_ylabel("true rank r*")
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(1, R + 1))
        ax.set_yticks(range(1, R + 1))
        lo, hi = np.nanmin(A), np.nanmax(A)
        for row in rows:
            v = fn(row)
            if v is None:
                continue
            color = "k" if hi > lo and (v - lo) / (hi - lo) > 0.6 else "w"  # dark text on the bright cells
            txt = f"{v:.3f}" if "log10" not in title else f"{v:.0f}"
            ax.text(row["r"], row["r_star"] - 0.18, txt, ha="center", va="center", fontsize=6, color=color)
            if row.get("sharp") == "proved":
                ax.text(row["r"], row["r_star"] + 0.22, "S", ha="center", va="center", fontsize=7, color=color,
                        fontweight="bold")
    fig.suptitle("Sharp overparameterized RIP threshold: the orthogonal family attains 1/(1 + sqrt(r*/r)); "
                 "S = exact certificate at the threshold and strict minima above it, proved", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig
