"""Progress bars with an ETA for long runs (on stderr), drawn by tqdm.

``Progress(total, label).update(done)`` takes the number of units finished so far (not an
increment), so it can be handed as the ``progress(done, total)`` callback of the library's long
runs.  Where it draws:

* on a terminal: a bar redrawn in place (at most every 0.2 s), left on its line when closed;
* in a Jupyter notebook (an IPython kernel): a widget when ipywidgets is installed, else the text
  bar in the cell's output;
* anywhere else (a pipe, a log file, CI): nothing, as tqdm does when its stream is not a terminal.

``enabled=False`` silences it everywhere; so do tqdm's ``TQDM_DISABLE=1`` and :func:`silenced` (the
command line's ``--quiet`` and ``--json`` run the command inside it).  The ETA is the
average rate since the bar was created (from ``initial``: units already done when it starts, e.g.
resumed sweep points, do not count as speed) applied to what is left, shown from the first update
on (never ``nan``).

Before a slow run starts, the person waiting is told what to expect: :func:`expect` stores a one-line
hint (e.g. "this takes about 1 minute"), printed by :func:`note` or by the first bar drawn, whichever
comes first, and only where a bar would be drawn (never in a pipe, a log file or under
:func:`silenced`); :func:`note` prints one line the same way (e.g. the phase that runs before the
first bar: "loading digits ...").
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

__all__ = ["Progress", "silenced", "is_silenced", "expect", "note"]

_STATE: dict[str, Any] = {"silenced": 0, "hint": None}


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """No bar, hint or note is drawn inside this block (nestable); a pending hint is dropped at its end."""
    _STATE["silenced"] += 1
    try:
        yield
    finally:
        _STATE["silenced"] -= 1
        _STATE["hint"] = None


def is_silenced() -> bool:
    return _STATE["silenced"] > 0


def _shown(stream: Any) -> bool:
    """Whether progress output to ``stream`` (None: stderr) is shown: not silenced, and a terminal
    or a notebook's stderr."""
    if is_silenced():
        return False
    if stream is None:
        return _in_notebook() or _is_terminal(sys.stderr)
    return _is_terminal(stream)


def _write_line(text: str, stream: Any) -> None:
    try:
        print(text, file=stream if stream is not None else sys.stderr, flush=True)
    except (OSError, ValueError):  # a closed stream: the run goes on
        pass


def expect(text: str | None) -> None:
    """Keep ``text`` (one line, e.g. the expected duration of what starts now) until the first bar
    is drawn or :func:`note` is called; None forgets a pending hint."""
    _STATE["hint"] = None if is_silenced() else text


def _flush_hint(stream: Any) -> None:
    hint, _STATE["hint"] = _STATE["hint"], None
    if hint:
        _write_line(hint, stream)


def note(text: str, stream: IO[str] | None = None) -> bool:
    """Print the pending hint (if any) and ``text`` as one line on ``stream`` (stderr) where a bar
    would be drawn; returns whether it was printed."""
    if not _shown(stream):
        return False
    _flush_hint(stream)
    _write_line(text, stream)
    return True


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (not a console such as qtconsole or Spyder), as tqdm.autonotebook decides."""
    if "ipykernel.zmqshell" not in sys.modules:
        return False
    try:
        shell = sys.modules["IPython"].get_ipython()
    except Exception:  # noqa: BLE001 - no IPython shell: not a notebook
        return False
    name = type(shell).__name__.lower()
    return shell is not None and "qt" not in name and "spyder" not in name


def _size(stream: Any) -> tuple[int, int] | None:
    """``(columns, lines)`` of the terminal behind ``stream`` (zeros: a terminal that reports no
    size, as some pseudo-terminals and containers do), or None."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):  # not a file, or not a terminal
        return None
    return size.columns, size.lines


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):  # no isatty, or a closed stream
        return False


_BAR_CLASSES: dict[str, type] = {}


def _bar_class(widget: bool) -> type:
    """tqdm's text bar, or its notebook widget, with a thread lock of its own (tqdm's default lock
    is a multiprocessing semaphore, which the process pools of a sweep have no use for) and no
    monitor thread (it only tunes ``miniters`` of iterator bars; no thread is left running while a
    sweep forks its workers or handles SIGTERM)."""
    key = "widget" if widget else "text"
    if key not in _BAR_CLASSES:
        if widget:
            from tqdm.notebook import tqdm as base  # noqa: PLC0415 - IPython and ipywidgets only here
        else:
            from tqdm.std import tqdm as base  # noqa: PLC0415 - tqdm only when a bar is drawn
        cls = type(f"_Certify{base.__name__}", (base,), {"monitor_interval": 0})
        cls.set_lock(threading.RLock())
        _BAR_CLASSES[key] = cls
    return _BAR_CLASSES[key]


def _widgets_available() -> bool:
    try:
        from tqdm.notebook import IProgress  # noqa: PLC0415
    except ImportError:
        return False
    return IProgress is not None


class Progress:
    """``p = Progress(total, label); p.update(done); p.close()``, or ``with Progress(...) as p: ...``.

    ``update(done, total=None)`` sets the count of finished units (and, if given, a new total).
    ``callback`` is ``update`` when a bar is drawn and ``None`` otherwise, for library functions
    whose ``progress=None`` skips the reporting.
    """

    def __init__(self, total: int, label: str = "", stream: IO[str] | None = None, enabled: bool = True, *,
                 initial: int = 0, unit: str = "it"):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(enabled)
        self.done = max(int(initial), 0)
        self._bar: Any = None
        if not self.enabled or is_silenced():
            return
        notebook = stream is None and _in_notebook()
        if not (notebook or _is_terminal(self.stream)):
            return
        _flush_hint(self.stream)
        widget = notebook and _widgets_available()
        kwargs: dict[str, Any] = {"total": self.total, "desc": label or None, "initial": min(self.done, self.total),
                                  "unit": unit, "mininterval": 0.2, "smoothing": 0.0}
        if not widget:
            kwargs["file"] = self.stream
            columns, lines = _size(self.stream) or (None, None)
            if columns == 0 or lines == 0:  # a size not reported: tqdm would draw nothing, or hide the bar
                kwargs.update(ncols=columns or 80, nrows=lines or 24)
            else:
                kwargs["dynamic_ncols"] = True  # follow the window's width
        try:
            self._bar = _bar_class(widget)(**kwargs)
        except ImportError:  # a notebook whose widgets cannot be shown: the text bar
            kwargs["file"] = self.stream
            self._bar = _bar_class(False)(**kwargs)

    @property
    def active(self) -> bool:
        """Whether a bar is drawn."""
        return self._bar is not None

    @property
    def callback(self) -> Callable[..., None] | None:
        """``update`` when a bar is drawn, else ``None``."""
        return self.update if self._bar is not None else None

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = max(int(total), 1)
        self.done = min(max(int(done), 0), self.total)
        bar = self._bar
        if bar is None:
            return
        if total is not None and bar.total != self.total:
            bar.total = self.total
            bar.refresh()
        if self.done != bar.n:
            bar.update(self.done - bar.n)

    def close(self) -> None:
        """Draw the final state and end the bar's line (idempotent)."""
        bar, self._bar = self._bar, None
        if bar is not None:
            bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
