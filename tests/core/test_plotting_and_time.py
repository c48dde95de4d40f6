"""Written once: figures are saved by certify.plotting.save_figure, timestamps come from certify.io.utc_now."""

from __future__ import annotations

import datetime as dt
import os

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from certify.errors import InputError  # noqa: E402
from certify.io import utc_now  # noqa: E402
from certify.plotting import save_figure  # noqa: E402


def _figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    return fig


def test_save_figure_png_svg_and_closes(tmp_path):
    fig = _figure()
    out = save_figure(fig, tmp_path / "a.png")
    assert out == tmp_path / "a.png" and out.read_bytes().startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)
    fig = _figure()
    save_figure(fig, tmp_path / "b.svg", close=False)
    assert b"<svg" in (tmp_path / "b.svg").read_bytes()
    assert plt.fignum_exists(fig.number)
    plt.close(fig)
    save_figure(_figure(), tmp_path / "noext")
    assert (tmp_path / "noext").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.svg", "noext"]  # no temporary file left


def test_save_figure_replaces_atomically_and_keeps_the_mode(tmp_path):
    target = tmp_path / "p.png"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    save_figure(_figure(), target)
    assert target.read_bytes().startswith(b"\x89PNG") and (target.stat().st_mode & 0o777) == 0o640


@pytest.mark.parametrize("kind", ["directory", "fifo", "unknown-format"])
def test_save_figure_refuses_and_still_closes(tmp_path, kind):
    fig = _figure()
    if kind == "directory":
        target = tmp_path / "d.png"
        target.mkdir()
    elif kind == "fifo":
        target = tmp_path / "f.png"
        os.mkfifo(target)
    else:
        target = tmp_path / "plot.xyz"
    with pytest.raises(InputError) as err:
        save_figure(fig, target)
    assert str(target) in str(err.value)
    assert not plt.fignum_exists(fig.number)


def test_utc_now():
    s = utc_now()
    t = dt.datetime.fromisoformat(s)
    assert s.endswith("+00:00") and t.microsecond == 0 and t.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - t).total_seconds()) < 5
