"""certify.progress: the time hint and phase notes printed where a bar would be drawn, and
``silenced`` (the command line's --quiet / --json) that stops every bar, hint and note."""

from __future__ import annotations

import io

from certify import progress
from certify.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_note_is_printed_on_a_terminal_only():
    term, pipe = _Terminal(), io.StringIO()
    assert progress.note("certify: loading digits ...", stream=term)
    assert term.getvalue() == "certify: loading digits ...\n"
    assert not progress.note("certify: loading digits ...", stream=pipe) and pipe.getvalue() == ""


def test_the_hint_is_printed_once_by_the_first_bar():
    term = _Terminal()
    progress.expect("certify: search takes about 2 min")
    with Progress(3, label="restarts", stream=term) as bar:
        bar.update(1)
    with Progress(3, label="again", stream=term) as bar:
        bar.update(3)
    text = term.getvalue()
    assert text.startswith("certify: search takes about 2 min\n") and text.count("takes about") == 1
    assert "restarts:" in text and "again:" in text


def test_a_hint_goes_with_the_first_note_when_it_comes_first():
    term = _Terminal()
    progress.expect("certify: nmf-landscape takes about 1 min")
    progress.note("certify: loading digits ...", stream=term)
    assert term.getvalue().splitlines() == ["certify: nmf-landscape takes about 1 min", "certify: loading digits ..."]
    progress.expect(None)


def test_silenced_stops_bars_hints_and_notes():
    term = _Terminal()
    with progress.silenced():
        assert progress.is_silenced()
        progress.expect("certify: takes about 1 h")
        assert not progress.note("certify: loading ...", stream=term)
        with Progress(5, label="x", stream=term) as bar:
            assert not bar.active and bar.callback is None
            bar.update(5)
    assert term.getvalue() == "" and not progress.is_silenced()
    with Progress(2, label="after", stream=term) as bar:  # the hint given while silenced is gone
        bar.update(2)
    assert "takes about" not in term.getvalue() and "after:" in term.getvalue()
