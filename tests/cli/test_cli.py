import ast
import importlib
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

import certify.cli
from certify.cli import _common, exitcodes, sweep

CLI_DIR = Path(certify.cli.__file__).parent
COMMAND_MODULES = sorted(p.stem for p in CLI_DIR.glob("*.py") if p.stem not in ("__init__", "__main__"))


def test_counterexample_writes_a_valid_certificate(tmp_path, cli_run):
    out = tmp_path / "c.json"
    code, stdout, _ = cli_run("counterexample", "--x", "[0, 0.7071067811865476]", "--z", "[1, 0]", "-o", str(out))
    assert code == 0 and "VALID" in stdout and out.is_file()
    code, stdout, _ = cli_run("verify", str(out), "--json")
    d = json.loads(stdout)
    assert code == 0 and d["valid"] is True and abs(d["report"]["rip_delta"] - 0.5) < 1e-6


def test_counterexample_accepts_matrices_and_npy(tmp_path, cli_run):
    np.save(tmp_path / "X.npy", np.array([[1.0, 0.0], [0.0, 0.5], [0.3, 0.2]]))
    code, stdout, _ = cli_run("counterexample", "--x", str(tmp_path / "X.npy"), "--z", "[[1, 0], [0, 1], [0, 0]]", "--json")
    d = json.loads(stdout)
    assert code == 0 and d["r"] == 2 and d["r_star"] == 2 and d["gap"] < 1e-6


def test_example_zhang2018(tmp_path, cli_run):
    out = tmp_path / "z.json"
    code, stdout, _ = cli_run("example", "zhang2018", "-o", str(out), "--json")
    d = json.loads(stdout)
    assert code == 0 and d["valid"] and d["published_delta"] == 0.5 and abs(d["delta"] - 0.5) < 1e-12
    code, stdout, _ = cli_run("example", "zhang2018", "--source", "sdp", "-o", str(out))
    assert code == 0 and "VALID" in stdout


def test_verify_rejects_a_tampered_file_with_exit_1(tmp_path, cli_run):
    out = tmp_path / "z.json"
    cli_run("example", "zhang2018", "-o", str(out))
    d = json.loads(out.read_text())
    d["operator"]["A"][0][1][1] = 0.55  # one entry of one measurement matrix
    out.write_text(json.dumps(d))
    code, stdout, _ = cli_run("verify", str(out))
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
def test_bad_input_gives_one_line_and_exit_code(cli_run, args, code, needle):
    got, _, err = cli_run(*args)
    assert got == code
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_help_and_version_exit_zero(cli_run):
    assert cli_run("--version")[0] == 0
    assert cli_run("verify", "--help")[0] == 0
    assert cli_run()[0] == 2


def test_verify_not_json_is_bad_input(tmp_path, cli_run):
    p = tmp_path / "bad.json"
    p.write_text("hello")
    code, _, err = cli_run("verify", str(p))
    assert code == 2 and "not a JSON" in err


def test_console_script_entry_point(tmp_path):
    out = subprocess.run([sys.executable, "-m", "certify.cli", "solvers", "--json"], capture_output=True, text=True, check=False)
    assert out.returncode == 0
    rows = json.loads(out.stdout)
    assert {r["solver"] for r in rows} == {"CLARABEL", "SCS", "MOSEK"}
    assert next(r for r in rows if r["solver"] == "CLARABEL")["available"]


def test_catalog_check(cli_run, tmp_path):
    code, stdout, _ = cli_run("catalog", "--dir", str(tmp_path), "--only", "zhang2018_sdp")
    assert code == 0
    code, stdout, _ = cli_run("catalog", "--dir", str(tmp_path), "--check")
    assert code == 0 and "valid" in stdout
    code, _, err = cli_run("catalog", "--dir", str(tmp_path / "empty"), "--check")
    assert code == 2


# -- the package's layout --------------------------------------------------------------------------------


def test_console_script_is_cli_main():
    eps = [ep for ep in metadata.entry_points(group="console_scripts") if ep.name == "certify"]
    assert eps and eps[0].value == "certify.cli:main"
    assert eps[0].load() is certify.cli.main


@pytest.mark.parametrize("name", COMMAND_MODULES)
def test_command_modules_do_not_import_the_package(name):
    """No import cycle: a command module imports the table and helpers from certify.cli._common /
    certify.cli.exitcodes, never from certify.cli itself."""
    tree = ast.parse((CLI_DIR / f"{name}.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            target = "." * node.level + (node.module or "")
            assert target not in (".", "..cli", "certify.cli"), f"certify/cli/{name}.py: from {target} import ..."
        elif isinstance(node, ast.Import):
            assert all(a.name != "certify.cli" for a in node.names), f"certify/cli/{name}.py: import certify.cli"


@pytest.mark.parametrize("name", COMMAND_MODULES)
def test_each_command_module_imports_first(name):
    """Any module of the package can be the first one imported (what an import cycle would break)."""
    code = f"import certify.cli.{name} as m; import certify.cli as c; assert c.EXIT_CODES"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("old, new", [("certify.cli_sweep", "certify.cli.sweep"), ("certify.cli_nmf", "certify.cli.nmf"),
                                      ("certify.cli_constants", "certify.cli.constants")])
def test_old_module_paths_are_aliases(old, new):
    assert importlib.import_module(old) is importlib.import_module(new)


def test_exit_codes_come_from_one_module():
    for name in exitcodes.__all__:
        assert getattr(certify.cli, name) is getattr(exitcodes, name)
    assert sweep.EXIT_FAILED == exitcodes.EXIT_SOLVER
    assert _common.EXIT_INPUT == exitcodes.EXIT_INPUT
    for name in COMMAND_MODULES:
        if name == "exitcodes":
            continue
        src = (CLI_DIR / f"{name}.py").read_text(encoding="utf-8")
        assert "EXIT_OK =" not in src and "EXIT_INPUT =" not in src, name


def test_help_lists_every_command_in_order(cli_run):
    code, out, _ = cli_run("--help")
    assert code == 0
    names = ["counterexample", "verify", "example", "catalog", "validate", "curvature", "search", "solvers",
             "constants", "nmf-landscape", "sweep"]
    where = [out.index(f"\n    {n}") for n in names]
    assert where == sorted(where)


def test_curvature_delta_grid_goes_through_io_parse_grid(cli_run):
    code, _, err = cli_run("curvature", "--x", "[0, 0.7]", "--z", "[1, 0]", "--delta", "0:0.5:100000000")
    assert code == 2 and "at most" in err
