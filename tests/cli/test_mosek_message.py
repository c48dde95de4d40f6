"""Without a MOSEK licence the one-line error says where the licence goes and where the set-up is
documented (the raw MOSEK message was only ``rescode.err_missing_license_file(1008): ``)."""

from __future__ import annotations

import sys
import types

import pytest

from certify import solvers


def _fake_mosek(message: str) -> types.ModuleType:
    m = types.ModuleType("mosek")

    class Env:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def checkoutlicense(self, feature):
            raise Exception(message)

    m.Env = Env
    m.feature = types.SimpleNamespace(pts=1)
    return m


@pytest.fixture
def no_licence(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mosek", _fake_mosek("rescode.err_missing_license_file(1008): "))
    monkeypatch.delenv("MOSEKLM_LICENSE_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def test_the_licence_message_says_where_the_licence_goes(no_licence, tmp_path):
    ok, why = solvers.mosek_licence_ok()
    assert not ok
    assert "MOSEK found no licence file (rescode.err_missing_license_file(1008))" in why
    assert "~/mosek/mosek.lic" in why and "MOSEKLM_LICENSE_FILE" in why and "docs/mosek.md" in why
    assert f"{tmp_path}/mosek/mosek.lic does not exist" in why and "is not set" in why
    assert "\n" not in why and "): " not in why  # one line, no dangling separator


def test_the_message_names_a_licence_file_that_is_not_there(no_licence, monkeypatch, tmp_path):
    monkeypatch.setenv("MOSEKLM_LICENSE_FILE", str(tmp_path / "nowhere.lic"))
    why = solvers.mosek_licence_ok()[1]
    assert f"MOSEKLM_LICENSE_FILE={tmp_path / 'nowhere.lic'} (no such file)" in why


def test_other_licence_failures_keep_mosek_s_words(monkeypatch):
    monkeypatch.setitem(sys.modules, "mosek", _fake_mosek("rescode.err_license_expired(1001): License has expired"))
    why = solvers.mosek_licence_ok()[1]
    assert "MOSEK refused the licence (rescode.err_license_expired(1001): License has expired)" in why
    assert "docs/mosek.md" in why


def test_the_command_line_error_is_one_line(no_licence, cli_run):
    code, _, err = cli_run("counterexample", "--x", "[0, 0.7071067811865476]", "--z", "[1, 0]", "--solver", "MOSEK")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("certify: error: solver: MOSEK cannot be used: no usable MOSEK licence")
    assert "~/mosek/mosek.lic" in err and "docs/mosek.md" in err
    code, out, _ = cli_run("solvers")
    assert code == 0 and "MOSEK" in out and "docs/mosek.md" in out
