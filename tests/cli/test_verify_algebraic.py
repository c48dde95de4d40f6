"""``certify verify`` on an exact sharp-threshold certificate file (format ``certify.algebraic-certificate``)."""

import json

import pytest

from certify import rip


@pytest.fixture
def alg_file(tmp_path):
    path = tmp_path / "threshold.json"
    rip.threshold_certificate(2, 1).save(path)
    return path


def test_float_and_exact(cli_run, alg_file):
    code, out, _ = cli_run("verify", alg_file)
    assert code == 0 and "VALID" in out
    pytest.importorskip("flint", reason="exact verification needs python-flint (the exact extra)")
    code, out, _ = cli_run("verify", "--exact", alg_file)
    assert code == 0 and "proved" in out


def test_a_changed_delta_is_rejected(cli_run, alg_file):
    d = json.loads(alg_file.read_text())
    d["delta"] = "1/2"  # the threshold is 2 - sqrt(2) > 1/2
    alg_file.write_text(json.dumps(d))
    code, _, _ = cli_run("verify", alg_file)
    assert code == 1
    pytest.importorskip("flint", reason="exact verification needs python-flint (the exact extra)")
    code, _, _ = cli_run("verify", "--exact", alg_file)
    assert code == 1


def test_json_output(cli_run, alg_file):
    code, out, _ = cli_run("verify", "--json", alg_file)
    assert code == 0 and json.loads(out)["kind"] == "bm-sensing/sharp-threshold"
