"""A dependency-free progress bar with an ETA, for long runs (written to stderr)."""

from __future__ import annotations

import sys
import time


class Progress:
    """``p = Progress(total, label); p.update(done); p.close()``.

    On a terminal the bar is redrawn in place (at most every 0.2 s); otherwise a line is printed at
    every 10 %.  ``enabled=False`` makes it silent.
    """

    def __init__(self, total: int, label: str = "", stream=None, enabled: bool = True):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._decile = -1
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = max(int(total), 1)
        if not self.enabled:
            return
        now = time.perf_counter()
        frac = min(max(done / self.total, 0.0), 1.0)
        elapsed = now - self.t0
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        if self.tty:
            if now - self._last < 0.2 and frac < 1.0:
                return
            self._last = now
            width = 30
            bar = "#" * int(round(width * frac)) + "-" * (width - int(round(width * frac)))
            self.stream.write(f"\r{self.label} [{bar}] {100 * frac:5.1f}%  elapsed {elapsed:6.1f} s  ETA {eta:6.1f} s")
            self.stream.flush()
        else:
            decile = int(frac * 10)
            if decile > self._decile:
                self._decile = decile
                self.stream.write(f"{self.label} {100 * frac:5.1f}%  elapsed {elapsed:.1f} s  ETA {eta:.1f} s\n")
                self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()
