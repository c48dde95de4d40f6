"""``certify explore``: its options are checked before anything is served (no server is started here;
tests/explore/test_browser.py serves the explorer)."""

import sys

import pytest


def refuse(*args, **kwargs):
    raise RuntimeError("the test would have started a server")


@pytest.fixture
def no_serving(monkeypatch):
    """Panel present (else skip) and the serving stopped at its first step: an option that passes its
    check by mistake ends in an internal error (exit 5) here instead of a server that never returns."""
    pytest.importorskip("panel", reason="certify explore needs Panel (the explore extra: pip install 'certify[explore]')")
    pytest.importorskip("bokeh", reason="certify explore needs Bokeh (the explore extra: pip install 'certify[explore]')")
    import certify.explore.app as app

    monkeypatch.setattr(app, "plane_cached", refuse)


def _one_line_error(code, out, err, *words):
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certify: error:"), err
    for w in words:
        assert w in lines[0], (w, err)


def test_help(cli_run):
    code, out, err = cli_run("explore", "--help")
    assert code == 0
    for opt in ("--host", "--port", "--atlas", "--grid"):
        assert opt in out


@pytest.mark.parametrize("argv, words", [
    (("--port", "70000"), ("port", "70000")),
    (("--port", "-1"), ("port", "-1")),
    (("--port", "abc"), ("--port",)),
    (("--grid", "2"), ("--grid", "2")),
    (("--grid", "402"), ("--grid", "402")),
    (("--grid", "x"), ("--grid",)),
    (("--host", ""), ("host",)),
    (("--host", "bad host!"), ("host", "bad host!")),
    (("--atlas", "/nonexistent.json"), ("/nonexistent.json",)),
])
def test_bad_options_are_one_line_errors(cli_run, no_serving, argv, words):
    _one_line_error(*cli_run("explore", *argv), *words)


def test_an_atlas_of_another_format_is_an_input_error(cli_run, no_serving, tmp_path):
    p = tmp_path / "other.json"
    p.write_text('{"format": "certify.certificate"}')
    _one_line_error(*cli_run("explore", "--atlas", p), "not an atlas file")


def test_a_malformed_atlas_is_an_input_error(cli_run, no_serving, tmp_path):
    p = tmp_path / "garbage.json"
    p.write_text("not json {")
    _one_line_error(*cli_run("explore", "--atlas", p), "garbage.json")


def test_a_host_name_with_a_space_is_refused(cli_run, no_serving):
    _one_line_error(*cli_run("explore", "--host", "bad host-name"), "host")


def test_without_panel_the_error_names_the_extra(cli_run, monkeypatch):
    monkeypatch.setitem(sys.modules, "panel", None)  # `import panel` raises ImportError
    monkeypatch.setattr("certify.explore.server.serve", refuse)
    _one_line_error(*cli_run("explore"), "certify[explore]")


def test_a_busy_port_is_an_input_error_at_once(cli_run, no_serving):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        _one_line_error(*cli_run("explore", "--port", str(port)), "in use", str(port))
