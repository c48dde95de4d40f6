"""One line describing the machine, for benchmark tables and saved results."""

from __future__ import annotations

import os
import platform
from pathlib import Path

__all__ = ["cpu_model", "machine"]


def cpu_model() -> str:
    """The CPU model from ``/proc/cpuinfo`` (Linux), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine(extra: str = "") -> str:
    """``"<cpu>, <k> logical cores, Python x.y.z, numpy a.b, certify v"`` (plus ``extra``)."""
    import numpy as np  # noqa: PLC0415

    from ._version import __version__  # noqa: PLC0415

    parts = [cpu_model(), f"{os.cpu_count()} logical cores", f"Python {platform.python_version()}",
             f"numpy {np.__version__}", f"certify {__version__}"]
    if extra:
        parts.append(extra)
    return ", ".join(parts)
