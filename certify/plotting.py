"""Saving matplotlib figures: :func:`save_figure`, the one way certify writes a plot.

Matplotlib is not imported here: the caller made the figure, so it is loaded already.
"""

from __future__ import annotations

import io as _io
import sys
from pathlib import Path
from typing import Any

from .errors import InputError
from .io import atomic_write_bytes

__all__ = ["save_figure"]


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
        pyplot = sys.modules.get("matplotlib.pyplot")
        if close and pyplot is not None:  # without pyplot loaded, no figure is registered with it
            pyplot.close(fig)
