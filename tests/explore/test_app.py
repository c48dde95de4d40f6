"""certify.explore.app in-process: one Explorer built without a server or a browser, its callbacks called
directly, every value read back from the HTML its panes show (errors in the page, the lazy second page,
downloads, uploads, the atlas)."""

import html
import io
import json
import math
import re
import types

import numpy as np
import pytest

pytest.importorskip("panel", reason="the explorer needs Panel (the explore extra: pip install 'certify[explore]')")
pytest.importorskip("bokeh", reason="the explorer needs Bokeh (the explore extra: pip install 'certify[explore]')")

import panel as pn  # noqa: E402

from certify import rip  # noqa: E402
from certify.check.exact.algebraic import FORMAT as ALGEBRAIC_FORMAT  # noqa: E402
from certify.check.exact.algebraic import AlgebraicCertificate  # noqa: E402
from certify.check.format import Certificate  # noqa: E402
from certify.check.loader import from_dict_any  # noqa: E402
from certify.explore import model  # noqa: E402
from certify.explore.app import Explorer  # noqa: E402


def span(text: str, cls: str) -> str:
    """The (unescaped) text of the one ``<span class="cls">`` in ``text``."""
    hits = re.findall(rf'<span class="{re.escape(cls)}">(.*?)</span>', text, re.S)
    assert len(hits) == 1, f"expected one span {cls!r} in {text[:300]!r}"
    return html.unescape(hits[0])


def error(pane) -> str | None:
    """The error message shown in ``pane``, or ``None`` when it shows none."""
    m = re.search(r'<div class="error-message">(.*?)</div>', pane.object or "", re.S)
    return None if m is None else html.unescape(m.group(1))


def delta_shown(ex) -> float:
    return float(span(ex.point_info.object, "delta-value"))


def state_shown(ex) -> str:
    return span(ex.curv_info.object, "curv-state")


def error_panes(ex):
    return (ex.err_point, ex.err_trap, ex.err_atlas, ex.err_files)


@pytest.fixture(scope="module")
def built():
    """The Explorer and what its pages showed right after it was built (before any test changed them)."""
    doc = pn.state.curdoc
    assert doc is None or getattr(doc, "session_context", None) is None, "these tests need no served session"
    ex = Explorer()
    shown = {name: getattr(ex, name).object for name in ("point_info", "curv_info", "sgd_info", "cell_info")}
    shown["fractions"] = dict(ex.trials.fractions)
    shown["slider"] = ex.delta_slider.value
    shown["stale"] = ex._stale
    shown["errors"] = [p.object for p in error_panes(ex)]
    return ex, shown


@pytest.fixture
def ex(built):
    """The module's Explorer back at the default point, its second page computed, no message shown."""
    ex = built[0]
    for p in error_panes(ex):
        p.object = ""
    ex.tabs.active = 0
    ex.trials_input.value_input = "300"
    if ex.gamma_slider.value != 0.1:
        ex.gamma_slider.value = 0.1  # runs SGD (the watcher)
    ex.set_point(model.X_DEFAULT, follow=False)
    ex._follow_point()
    assert [p.object for p in error_panes(ex)] == ["", "", "", ""]
    assert not ex._stale and ex.curv.state == "strict"
    return ex


# -- 1. the default page -------------------------------------------------------------------------------

def test_default_page(built):
    ex, shown = built
    assert shown["errors"] == ["", "", "", ""]
    assert span(shown["point_info"], "point-x1") == "0.0"
    assert float(span(shown["point_info"], "point-x2")) == pytest.approx(1 / math.sqrt(2), abs=1e-15)
    assert abs(float(span(shown["point_info"], "delta-value")) - 0.5) <= 1e-6
    assert span(shown["point_info"], "verify-verdict") == "VALID"
    # the second page of the default point was computed: the delta slider just above delta(x̂)
    assert not shown["stale"]
    assert shown["slider"] == pytest.approx(round(0.5 + 0.05, 3), abs=1e-12)
    assert span(shown["curv_info"], "curv-state") == "strict"
    assert abs(float(span(shown["curv_info"], "curv-point-delta")) - 0.5) <= 1e-6
    fr = shown["fractions"]
    assert span(shown["sgd_info"], "sgd-success") == f"{fr['success']:.3f}"
    assert span(shown["sgd_info"], "sgd-trapped") == f"{fr['trapped']:.3f}"
    assert span(shown["cell_info"], "atlas-cell") == "(r, r*) = (2, 1)"


# -- 2. the first page: bad points and typed text ---------------------------------------------------------

@pytest.mark.parametrize("x, words", [((1.0, 0.0), "global minimizer"), ((0.5, 0.0), "colinear")])
def test_point_without_counterexample_is_a_message_and_keeps_the_point(ex, x, words):
    before_x, before_delta = ex.point.x.copy(), span(ex.point_info.object, "delta-value")
    assert ex._guard(ex.err_point, ex.set_point, x) is None
    msg = error(ex.err_point)
    assert msg is not None and words in msg
    assert np.array_equal(ex.point.x, before_x)
    assert span(ex.point_info.object, "delta-value") == before_delta


def test_typed_point(ex):
    before = span(ex.point_info.object, "delta-value")
    ex.x1.value_input, ex.x2.value_input = "abc", "0.9"
    ex._guard(ex.err_point, ex._typed_point)
    msg = error(ex.err_point)
    assert msg is not None and msg.startswith("x1:") and "abc" in msg
    assert span(ex.point_info.object, "delta-value") == before
    ex.x1.value_input, ex.x2.value_input = "0.2", "0.9"
    ex._guard(ex.err_point, ex._typed_point)
    assert ex.err_point.object == ""
    assert np.array_equal(ex.point.x, [0.2, 0.9])
    want = rip.counterexample([0.2, 0.9], [1.0, 0.0]).delta
    assert abs(delta_shown(ex) - want) <= 1e-9
    assert ex.x1.value == "0.2" and ex.x2.value == "0.9"


# -- 3. the second page follows the point only when it is shown ------------------------------------------------

def test_second_page_is_computed_when_opened(ex):
    old = span(ex.curv_info.object, "curv-point-delta")
    assert ex.tabs.active == 0
    ex.set_point((0.3, 0.6), follow=True)
    new = delta_shown(ex)
    assert abs(new - float(old)) > 1e-3  # another point, another delta
    assert ex._stale
    assert span(ex.curv_info.object, "curv-point-delta") == old  # page 2 not recomputed
    ex._on_tab(types.SimpleNamespace(new=1))
    assert ex.err_trap.object == ""
    assert not ex._stale
    assert float(span(ex.curv_info.object, "curv-point-delta")) == pytest.approx(new, abs=1e-12)
    assert ex.delta_slider.value == pytest.approx(min(0.99, round(new + 0.05, 3)), abs=1e-12)
    assert ex.curv.delta == pytest.approx(ex.delta_slider.value, abs=1e-12)


def test_second_page_follows_at_once_when_open(ex):
    ex.tabs.active = 1
    ex.set_point((0.3, 0.6), follow=True)
    assert not ex._stale
    assert float(span(ex.curv_info.object, "curv-point-delta")) == pytest.approx(delta_shown(ex), abs=1e-12)


# -- 4. the delta slider -----------------------------------------------------------------------------------

def test_delta_slider_states_and_bad_deltas(ex):
    d0 = ex.point.delta
    ex._guard(ex.err_trap, ex.set_delta, d0 - 0.05)
    assert ex.err_trap.object == "" and state_shown(ex) == "none" and ex.curv.state == "none"
    ex._guard(ex.err_trap, ex.set_delta, d0 + 0.03)
    assert ex.err_trap.object == "" and state_shown(ex) == "strict"
    assert ex.curv.certificate.verify().ok
    for bad in ("abc", 1.5, -0.2):
        ex._guard(ex.err_trap, ex.set_delta, bad)
        msg = error(ex.err_trap)
        assert msg is not None and msg.startswith("delta:"), (bad, msg)
        assert state_shown(ex) == "strict" and ex.curv.state == "strict"
        assert ex.curv.delta == pytest.approx(d0 + 0.03, abs=1e-12)


# -- 5. SGD --------------------------------------------------------------------------------------------------

def test_sgd_trials_field(ex):
    shown = ex.sgd_info.object
    for text, words in (("ten", "not a whole number"), ("0", "[1, 5000]"), ("100000000", "[1, 5000]")):
        ex.trials_input.value_input = text
        ex._guard(ex.err_trap, ex.run_sgd)
        msg = error(ex.err_trap)
        assert msg is not None and msg.startswith("trials:") and words in msg, (text, msg)
        assert ex.sgd_info.object == shown
    ex.trials_input.value_input = "300"
    ex._guard(ex.err_trap, ex.run_sgd)
    assert ex.err_trap.object == "" and ex.trials.trials == 300


def test_sgd_from_the_strict_point_is_trapped(ex):
    assert ex.curv.state == "strict"
    ex.gamma_slider.value = 0.0  # the watcher runs SGD
    assert ex.err_trap.object == "" and ex.trials.gamma == 0.0
    ex._guard(ex.err_trap, ex.run_sgd)
    assert ex.err_trap.object == ""
    assert "strict" in ex.sgd_info.object
    trapped = float(span(ex.sgd_info.object, "sgd-trapped"))
    assert trapped == float(f"{ex.trials.fractions['trapped']:.3f}")
    assert trapped >= 0.9
    assert len(ex.paths_src.data["xs"]) == len(ex.paths_src.data["color"]) == 300


@pytest.mark.parametrize("trials, drawn", [("20", 20), ("400", 300)])
def test_sgd_paths_drawn(ex, trials, drawn):
    ex.trials_input.value_input = trials
    ex._guard(ex.err_trap, ex.run_sgd)
    assert ex.err_trap.object == "" and ex.trials.trials == int(trials)
    assert str(int(trials)) + " SGD trials" in ex.sgd_info.object
    assert len(ex.paths_src.data["xs"]) == len(ex.paths_src.data["ys"]) == drawn
    assert len(ex.ends_src.data["x"]) == drawn



@pytest.mark.parametrize("text", ["++5", "²"])
def test_sgd_trials_odd_text_is_a_message(ex, text):
    ex.trials_input.value_input = text
    ex._guard(ex.err_trap, ex.run_sgd)
    msg = error(ex.err_trap)
    assert msg is not None and msg.startswith("trials:"), msg


# -- 6. the atlas --------------------------------------------------------------------------------------------

def test_atlas_cell_and_bad_cells(ex):
    ex._guard(ex.err_atlas, ex.select_cell, 4, 2)
    assert ex.err_atlas.object == ""
    assert span(ex.cell_info.object, "atlas-cell") == "(r, r*) = (4, 2)"
    assert abs(float(span(ex.cell_info.object, "atlas-threshold")) - 1 / (1 + math.sqrt(1 / 2))) <= 1e-9
    for r, s, name in ((2, 3, "r_star"), (0, 1, "r"), (99, 1, "r")):
        ex._guard(ex.err_atlas, ex.select_cell, r, s)
        msg = error(ex.err_atlas)
        assert msg is not None and msg.startswith(f"{name}:"), (r, s, msg)
        assert span(ex.cell_info.object, "atlas-cell") == "(r, r*) = (4, 2)"
        assert (ex.cell["r"], ex.cell["r_star"]) == (4, 2)


def _proved_threshold(ex, r=4, r_star=2):
    ex.select_cell(r, r_star)
    ex.err_atlas.object = ""
    assert ex._threshold_json() is None
    assert "prove the threshold first" in error(ex.err_atlas)
    ex._guard(ex.err_atlas, ex.prove_cell)
    assert ex.err_atlas.object == ""
    assert span(ex.prove_info.object, "prove-outcome") == "proved"
    out = ex._threshold_json()
    assert isinstance(out, io.StringIO)
    return json.loads(out.getvalue())


def test_prove_and_download_threshold(ex):
    d = _proved_threshold(ex)
    # the catalog's form: the family's certificate, the exact one over Q(sqrt(8)) in formulation.algebraic
    assert d["format"] == "certify.certificate" and d["formulation"]["algebraic"]["format"] == ALGEBRAIC_FORMAT
    assert d["delta"] == pytest.approx(1 / (1 + math.sqrt(1 / 2)), abs=1e-7)
    rep = AlgebraicCertificate.from_dict(d["formulation"]["algebraic"]).verify()
    assert rep.outcome == "proved"
    assert rep.delta["float"] == pytest.approx(1 / (1 + math.sqrt(1 / 2)), abs=1e-12)
    ex.select_cell(2, 1)  # another cell: the proof is gone
    assert ex._threshold_json() is None and ex.prove_info.object == ""



def test_threshold_download_is_read_by_the_kernel_reader(ex):
    obj = from_dict_any(_proved_threshold(ex))
    assert obj.verify().ok
    assert obj.verify(exact=True).outcome == "proved"


def test_an_algebraic_certificate_file_uploads_as_valid(ex):
    from certify import rip

    alg = rip.threshold_certificate(2, 1)
    ex.upload.filename, ex.upload.value = "alg.json", alg.to_json().encode()
    ex._guard(ex.err_files, ex.check_uploaded)
    assert span(ex.upload_info.object, "upload-verdict") == "VALID"
    d = json.loads(alg.to_json())
    d["delta"] = "1/2"  # below the threshold 2 - sqrt(2): the operator does not have it
    ex.upload.filename, ex.upload.value = "alg-tampered.json", json.dumps(d).encode()
    ex._guard(ex.err_files, ex.check_uploaded)
    assert span(ex.upload_info.object, "upload-verdict") in ("INVALID", "REFUSED")



def test_threshold_download_uploads_as_valid(ex):
    d = _proved_threshold(ex)
    ex.upload.filename, ex.upload.value = "threshold-certificate.json", json.dumps(d).encode()
    ex._guard(ex.err_files, ex.check_uploaded)
    assert span(ex.upload_info.object, "upload-verdict") == "VALID"


# -- 7. uploads ----------------------------------------------------------------------------------------------

def _upload(ex, data: bytes, name="upload.json") -> str:
    ex.upload.filename, ex.upload.value = name, data
    ex._guard(ex.err_files, ex.check_uploaded)
    assert ex.err_files.object == ""
    return span(ex.upload_info.object, "upload-verdict")


def test_uploads(ex):
    d = json.loads(ex._point_json().getvalue())
    assert _upload(ex, json.dumps(d).encode()) == "VALID"
    d["delta"] -= 0.01
    assert _upload(ex, json.dumps(d).encode()) == "INVALID"
    assert "delta" in ex.upload_info.object
    assert _upload(ex, b"{") == "REFUSED"
    assert _upload(ex, b" " * (5 * 2**20)) == "REFUSED"
    assert "MiB" in ex.upload_info.object
    assert _upload(ex, b"\xff\xfe") == "REFUSED"
    assert "UTF-8" in ex.upload_info.object


def test_upload_name_is_escaped(ex):
    name = "<script>alert(1)</script>.json"
    for data in (b"{", ex._point_json().getvalue().encode()):
        _upload(ex, data, name)
        assert "<script>" not in ex.upload_info.object
        assert html.escape(name) in ex.upload_info.object


# -- 8. downloads --------------------------------------------------------------------------------------------

def test_point_download_is_the_point_certificate(ex):
    ex.set_point((0.3, 0.6), follow=False)
    cert = Certificate.from_dict(json.loads(ex._point_json().getvalue()))
    assert np.allclose(np.asarray(cert.X).reshape(-1), ex.point.x, rtol=0, atol=1e-15)
    assert cert.verify().ok
    assert float(cert.delta) == pytest.approx(ex.point.delta, abs=1e-15)


def test_strict_download(ex):
    d0 = ex.point.delta
    ex._guard(ex.err_trap, ex.set_delta, d0 - 0.05)
    assert state_shown(ex) == "none"
    assert ex._strict_json() is None
    assert "no strict certificate" in error(ex.err_trap)
    ex._guard(ex.err_trap, ex.set_delta, d0 + 0.05)
    assert ex.err_trap.object == "" and state_shown(ex) == "strict"
    cert = Certificate.from_dict(json.loads(ex._strict_json().getvalue()))
    assert cert.verify().ok
    assert np.allclose(np.asarray(cert.X).reshape(-1), ex.point.x, rtol=0, atol=1e-12)


# -- 9. a bad atlas file -------------------------------------------------------------------------------------

def _atlas_note(ex) -> str:
    return " ".join(m.object for m in ex.page_atlas.select(pn.pane.Markdown))


def test_garbage_atlas_file_falls_back_to_thresholds(tmp_path):
    p = tmp_path / "atlas.json"
    p.write_text("not json")
    ex = Explorer(atlas_path=p)
    assert ex.atlas.source is None and ex.atlas.rows == {}
    assert ex._atlas_error and "atlas.json" in ex._atlas_error
    note = _atlas_note(ex)
    assert "could not be read" in note and "thresholds only" in note
    assert span(ex.cell_info.object, "atlas-cell") == "(r, r*) = (2, 1)"
    assert "no atlas file row" in ex.cell_info.object



def test_atlas_file_with_incomplete_rows_falls_back(tmp_path):
    p = tmp_path / "atlas.json"
    p.write_text(json.dumps({"format": "certify.atlas", "params": {}, "rows": [{"r": 2, "r_star": 1}]}))
    ex = Explorer(atlas_path=p)
    assert "could not be read" in _atlas_note(ex) or ex.atlas.source is not None


# -- 10. a bug in a callback ---------------------------------------------------------------------------------

def test_a_bug_is_an_internal_error_message(ex, monkeypatch):
    before = ex.point.x.copy()

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(model, "point_view", boom)
    assert ex._guard(ex.err_point, ex.set_point, (0.3, 0.6)) is None
    msg = error(ex.err_point)
    assert msg is not None and "internal error" in msg and "RuntimeError: boom" in msg
    assert np.array_equal(ex.point.x, before)
