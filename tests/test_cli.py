import json
import subprocess
import sys

import numpy as np
import pytest

from certify.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_counterexample_writes_a_valid_certificate(tmp_path, capsys):
    out = tmp_path / "c.json"
    code, stdout, _ = run(capsys, "counterexample", "--x", "[0, 0.7071067811865476]", "--z", "[1, 0]", "-o", str(out))
    assert code == 0 and "VALID" in stdout and out.is_file()
    code, stdout, _ = run(capsys, "verify", str(out), "--json")
    d = json.loads(stdout)
    assert code == 0 and d["valid"] is True and abs(d["report"]["rip_delta"] - 0.5) < 1e-6


def test_counterexample_accepts_matrices_and_npy(tmp_path, capsys):
    np.save(tmp_path / "X.npy", np.array([[1.0, 0.0], [0.0, 0.5], [0.3, 0.2]]))
    code, stdout, _ = run(capsys, "counterexample", "--x", str(tmp_path / "X.npy"), "--z", "[[1, 0], [0, 1], [0, 0]]", "--json")
    d = json.loads(stdout)
    assert code == 0 and d["r"] == 2 and d["r_star"] == 2 and d["gap"] < 1e-6


def test_example_zhang2018(tmp_path, capsys):
    out = tmp_path / "z.json"
    code, stdout, _ = run(capsys, "example", "zhang2018", "-o", str(out), "--json")
    d = json.loads(stdout)
    assert code == 0 and d["valid"] and d["published_delta"] == 0.5 and abs(d["delta"] - 0.5) < 1e-12
    code, stdout, _ = run(capsys, "example", "zhang2018", "--source", "sdp", "-o", str(out))
    assert code == 0 and "VALID" in stdout


def test_verify_rejects_a_tampered_file_with_exit_1(tmp_path, capsys):
    out = tmp_path / "z.json"
    run(capsys, "example", "zhang2018", "-o", str(out))
    d = json.loads(out.read_text())
    d["operator"]["A"][0][1][1] = 0.55  # one entry of one measurement matrix
    out.write_text(json.dumps(d))
    code, stdout, _ = run(capsys, "verify", str(out))
    assert code == 1 and "INVALID" in stdout


@pytest.mark.parametrize(
    "args, code, needle",
    [
        (["counterexample", "--x", "[1, nan]", "--z", "[1, 0]"], 2, "--x"),
        (["counterexample", "--x", "[1, 0]", "--z", "[1, 0, 0]"], 2, "same number of rows"),
        (["counterexample", "--x", "[1, 1]", "--z", "[2, 2]"], 1, "colinear"),
        (["counterexample", "--x", "[0, 1]", "--z", "[1, 0]", "--solver", "CPLEX"], 2, "unknown solver"),
        (["counterexample", "--x", "[0, 1]", "--z", "missing.npy"], 2, "no such .npy"),
        (["counterexample", "--z", "[1, 0]"], 2, "--x"),
        (["verify", "does-not-exist.json"], 2, "no such file"),
        (["example", "nobody2020"], 2, "unknown example"),
        (["frobnicate"], 2, "invalid choice"),
    ],
)
def test_bad_input_gives_one_line_and_exit_code(capsys, args, code, needle):
    got, _, err = run(capsys, *args)
    assert got == code
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_help_and_version_exit_zero(capsys):
    assert main(["--version"]) == 0
    assert main(["verify", "--help"]) == 0
    assert main([]) == 2


def test_verify_not_json_is_bad_input(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text("hello")
    code, _, err = run(capsys, "verify", str(p))
    assert code == 2 and "not a JSON" in err


def test_console_script_entry_point(tmp_path):
    out = subprocess.run([sys.executable, "-m", "certify.cli", "solvers", "--json"], capture_output=True, text=True, check=False)
    assert out.returncode == 0
    rows = json.loads(out.stdout)
    assert {r["solver"] for r in rows} == {"CLARABEL", "SCS", "MOSEK"}
    assert next(r for r in rows if r["solver"] == "CLARABEL")["available"]


def test_catalog_check(capsys, tmp_path):
    code, stdout, _ = run(capsys, "catalog", "--dir", str(tmp_path), "--only", "zhang2018_sdp")
    assert code == 0
    code, stdout, _ = run(capsys, "catalog", "--dir", str(tmp_path), "--check")
    assert code == 0 and "valid" in stdout
    code, _, err = run(capsys, "catalog", "--dir", str(tmp_path / "empty"), "--check")
    assert code == 2
