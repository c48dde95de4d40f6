"""certify.progress.Progress: the tqdm bar behind every long run's progress report."""

from __future__ import annotations

import io
import os
import re
import select
import time

import pytest

from certify.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _last_frame(text: str) -> str:
    return re.split(r"[\r\n]", text.rstrip("\n"))[-1]


def test_eta_from_the_first_tick():
    term = _Terminal()
    bar = Progress(10, label="steps", stream=term)
    time.sleep(0.25)  # past the redraw interval
    bar.update(1)
    frame = _last_frame(term.getvalue())
    assert "nan" not in term.getvalue().lower()
    assert frame.startswith("steps:") and "1/10" in frame
    elapsed, remaining = re.search(r"\[(\S+)<(\S+),", frame).groups()
    assert remaining != "?" and re.fullmatch(r"\d+:\d\d", remaining)  # 9 more steps at ~0.25 s: about 2 s
    bar.update(10)
    bar.close()
    assert "10/10" in _last_frame(term.getvalue()) and term.getvalue().endswith("\n")
    bar.close()  # idempotent


def test_resumed_units_are_not_speed():
    term = _Terminal()
    with Progress(100, label="grid", stream=term, initial=90) as bar:
        time.sleep(0.25)
        bar.update(91)
    frame = _last_frame(term.getvalue())
    assert "91/100" in frame
    remaining = re.search(r"<(\S+),", frame).group(1)
    minutes, seconds = (int(x) for x in remaining.split(":"))
    assert 1 <= 60 * minutes + seconds <= 10  # 9 more at ~0.25 s each, not 9 / (91 / 0.25 s)


def test_quiet_outside_a_terminal_and_when_disabled():
    pipe = io.StringIO()
    bar = Progress(5, label="x", stream=pipe)
    assert not bar.active and bar.callback is None
    for k in range(6):
        bar.update(k)
    bar.close()
    assert pipe.getvalue() == ""
    term = _Terminal()
    bar = Progress(5, label="x", stream=term, enabled=False)
    bar.update(3)
    bar.close()
    assert term.getvalue() == "" and bar.callback is None and bar.done == 3


def test_update_takes_counts_and_a_new_total():
    term = _Terminal()
    with Progress(4, label="chunks", stream=term) as bar:
        assert bar.callback == bar.update
        bar.update(2, 8)
        assert bar.total == 8 and bar.done == 2
        bar.update(50)  # clamped to the total
        assert bar.done == 8
        bar.update(3)  # a count may go back (a new chunk)
        assert bar.done == 3
    assert "/8" in _last_frame(term.getvalue())


def test_in_a_notebook(tmp_path):
    """In a Jupyter kernel the bar is drawn (a widget with ipywidgets, else text on stderr), although
    the kernel's stderr is not a terminal."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    code = ("from certify.progress import Progress\n"
            "with Progress(10, label='nb') as p:\n"
            "    p.update(4)\n"
            "    p.update(10)\n"
            "print('active', p.callback is None)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    widgets = [o for o in outputs if o.output_type == "display_data"]
    assert "active True" in text  # closed at the end of the with block
    assert widgets or ("nb:" in text and "10/10" in text)


def test_a_terminal_that_reports_no_size():
    """A pseudo-terminal of size 0 x 0 (some containers): tqdm alone would draw nothing or hide the bar."""
    pty = pytest.importorskip("pty")
    master, slave = pty.openpty()
    stream = os.fdopen(slave, "w", encoding="utf-8")
    try:
        assert os.get_terminal_size(slave) == (0, 0)
        with Progress(4, label="sized", stream=stream) as bar:
            assert bar.active
            bar.update(2)
        stream.flush()
        text = ""
        deadline = time.monotonic() + 5.0  # the pty hands the frames over as they come: read until the last
        while "2/4" not in text and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                text += os.read(master, 65536).decode("utf-8", "replace")
    finally:
        stream.close()
        os.close(master)
    assert "sized:" in text and "2/4" in text
