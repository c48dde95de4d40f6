"""The command line never prints a traceback: malformed input is exit 2 with one line on stderr, an
unexpected exception is exit 5 ('internal error', a bug) with one line, and the exit-code table is
defined once (certify.cli.exitcodes) and shared."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from certify import cli, cli_sweep

ROOT = Path(__file__).resolve().parents[2]
COMPACT = ROOT / "counterexamples" / "zhang2018_sdp.json"
STRICT = ROOT / "counterexamples" / "zhang2018_strict_055.json"


def _doc(path=COMPACT) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _text_with(d: dict, parts, token: str) -> str:
    d = copy.deepcopy(d)
    node = d
    for k in parts[:-1]:
        node = node[k]
    node[parts[-1]] = "@@TOKEN@@"
    return json.dumps(d).replace('"@@TOKEN@@"', token)


def _assert_one_error_line(err: str, prefix="certify: error: "):
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(prefix), err


def _malformed_files(tmp_path) -> dict[str, Path]:
    d = _doc()
    cases: dict[str, str | bytes] = {
        "scale_nan": _text_with(d, ("dual", "scale"), "NaN"),
        "scale_inf": _text_with(d, ("dual", "scale"), "Infinity"),
        "scale_minus_inf": _text_with(d, ("dual", "scale"), "-Infinity"),
        "formulation_string": _text_with(d, ("formulation",), '"x"'),
        "package_string": _text_with(d, ("package",), '"x"'),
        "hess_min_nested_list": _text_with(_doc(STRICT), ("formulation", "hess_min"), "[[[0.5]]]"),
        "hess_min_dict": _text_with(_doc(STRICT), ("formulation", "hess_min"), '{"value": 0.5}'),
        "x_deep_nesting": _text_with(d, ("instance", "X"), "[" * 100_000 + "0.5" + "]" * 100_000),
        "huge_integer": _text_with(d, ("delta",), "7" * 5000),
        "integer_beyond_double": _text_with(d, ("instance", "X"), "[[" + "1" * 400 + "], [0.5]]"),
        "non_utf8": COMPACT.read_bytes().replace(b'"zhang2018_sdp"', b'"\xc3\x28\xff"'),
        "truncated": COMPACT.read_text()[:1234],
        "x_rows_not_n": _text_with(d, ("instance", "X"), "[[0.0], [0.7], [0.1]]"),
        "h_hat_wrong_size": _text_with(d, ("operator", "H_hat"), "[[1.0, 0.0], [0.0, 1.0]]"),
        "v_wrong_size": _text_with(d, ("dual", "V"), "[[1.0]]"),
        "empty": "",
        "not_an_object": "[1, 2, 3]",
    }
    files = {}
    for name, text in cases.items():
        p = tmp_path / f"{name}.json"
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text, encoding="utf-8")
        files[name] = p
    return files


MALFORMED = ["scale_nan", "scale_inf", "scale_minus_inf", "formulation_string", "package_string",
             "hess_min_nested_list", "hess_min_dict", "x_deep_nesting", "huge_integer", "integer_beyond_double",
             "non_utf8", "truncated", "x_rows_not_n", "h_hat_wrong_size", "v_wrong_size", "empty", "not_an_object"]


@pytest.mark.parametrize("case", MALFORMED)
@pytest.mark.parametrize("extra", [[], ["--exact"], ["--json"]], ids=["verify", "verify-exact", "verify-json"])
def test_verify_malformed_file_is_exit_2_one_line(tmp_path, cli_run, case, extra):
    path = _malformed_files(tmp_path)[case]
    code, out, err = cli_run("verify", str(path), *extra)
    assert code == cli.EXIT_INPUT
    _assert_one_error_line(err)
    assert out == ""


@pytest.mark.parametrize("case", ["scale_nan", "x_deep_nesting", "non_utf8", "v_wrong_size", "empty"])
def test_validate_and_catalog_check_refuse_malformed_files(tmp_path, cli_run, case):
    path = _malformed_files(tmp_path)[case]
    code, _, err = cli_run("validate", str(path), "--trials", "1", "--steps", "1", "--quiet")
    assert code == cli.EXIT_INPUT
    _assert_one_error_line(err)
    folder = tmp_path / "catalog"
    folder.mkdir()
    path.rename(folder / path.name)
    code, out, err = cli_run("catalog", "--check", "--dir", str(folder))
    # the unreadable file is either the command's input error or a failed catalog entry
    assert code in (cli.EXIT_INPUT, cli.EXIT_NEGATIVE)
    if code == cli.EXIT_INPUT:
        _assert_one_error_line(err)
    else:
        assert err == "" and out.startswith("INVALID") and path.name in out


def test_directory_and_missing_file(tmp_path, cli_run):
    code, _, err = cli_run("verify", str(tmp_path))
    assert code == cli.EXIT_INPUT
    _assert_one_error_line(err)
    assert "is a directory" in err
    code, _, err = cli_run("verify", str(tmp_path / "nope.json"))
    assert code == cli.EXIT_INPUT
    _assert_one_error_line(err)
    assert "no such file" in err


def test_usage_errors_are_one_line(cli_run):
    for argv in (["verify"], ["nonsense"], ["verify", "a.json", "--domain", "complex"],
                 ["validate", str(COMPACT), "--trials", "many"]):
        code, _, err = cli_run(*argv)
        assert code == cli.EXIT_INPUT
        _assert_one_error_line(err)


def test_bad_array_arguments_are_exit_2(cli_run):
    for argv in (["counterexample", "--x", "[0, NaN]", "--z", "[1, 0]"],
                 ["counterexample", "--x", "[[[[1]]]]", "--z", "[1, 0]"],
                 ["counterexample", "--x", "[0, 1", "--z", "[1, 0]"],
                 ["curvature", "--x", "[0, 0.7]", "--z", "[1, 0]", "--delta", "nan"]):
        code, _, err = cli_run(*argv)
        assert code == cli.EXIT_INPUT, (argv, err)
        _assert_one_error_line(err)


# -- unexpected exceptions: exit 5, one line, never a traceback ---------------------------------------------


@pytest.mark.parametrize(
    "exc, code, needle",
    [
        (ZeroDivisionError("division by zero"), 5, ("certify: internal error: ZeroDivisionError: division by zero "
                                                    "(this is a bug; please report it with the command line)")),
        (AttributeError("'list' object has no attribute 'get'\n  second line"), 5,
         "certify: internal error: AttributeError: 'list' object has no attribute 'get' second line"),
        (MemoryError(), 5, "certify: error: out of memory"),
        (RecursionError("maximum recursion depth exceeded"), 5, "certify: internal error: RecursionError"),
        (KeyboardInterrupt(), 130, "certify: interrupted"),
        (PermissionError(13, "Permission denied", "/x.json"), 2, "certify: error: Permission denied: /x.json"),
    ],
    ids=["ZeroDivisionError", "multiline", "MemoryError", "RecursionError", "KeyboardInterrupt", "OSError"],
)
def test_injected_exception(monkeypatch, cli_run, exc, code, needle):
    def boom(args):
        raise exc

    monkeypatch.setattr(cli, "cmd_verify", boom)
    got, _, err = cli_run("verify", str(COMPACT))
    assert got == code
    assert len(err.splitlines()) == 1, err
    assert err.startswith(needle), err


def test_internal_error_in_a_submodule_command(monkeypatch, cli_run):
    monkeypatch.setattr(cli, "cmd_solvers", lambda args: 1 / 0)
    code, _, err = cli_run("solvers")
    assert code == cli.EXIT_INTERNAL
    assert err.startswith("certify: internal error: ZeroDivisionError")


def test_subprocess_no_traceback(tmp_path):
    files = _malformed_files(tmp_path)
    runner = "import sys; from certify.cli import main; sys.exit(main(sys.argv[1:]))"
    for case in ("scale_nan", "x_deep_nesting"):
        res = subprocess.run([sys.executable, "-c", runner, "verify", str(files[case])], capture_output=True, text=True,
                             check=False)
        assert res.returncode == 2, res.stderr
        assert "Traceback" not in res.stderr
        assert len(res.stderr.splitlines()) == 1, res.stderr
    res = subprocess.run([sys.executable, "-c", runner, "verify", str(COMPACT)], capture_output=True, text=True,
                         check=False)
    assert res.returncode == 0 and res.stderr == ""


# -- the exit-code table ---------------------------------------------------------------------------------


def test_exit_code_table_defined_once():
    assert (cli.EXIT_OK, cli.EXIT_NEGATIVE, cli.EXIT_INPUT, cli.EXIT_SOLVER, cli.EXIT_UNDECIDED, cli.EXIT_INTERNAL,
            cli.EXIT_INTERRUPTED, cli.EXIT_TERMINATED) == (0, 1, 2, 3, 4, 5, 130, 143)
    assert set(cli.EXIT_CODES) == {0, 1, 2, 3, 4, 5, 130, 143}
    assert (cli_sweep.EXIT_OK, cli_sweep.EXIT_INPUT, cli_sweep.EXIT_FAILED) == (cli.EXIT_OK, cli.EXIT_INPUT, cli.EXIT_SOLVER)
    for module in (ROOT / "certify" / "cli").glob("*.py"):
        if module.name != "exitcodes.py":
            assert "= 0, 2, 3" not in module.read_text(encoding="utf-8"), module.name
    for code in cli.EXIT_CODES:
        assert f"| {code} |" in (ROOT / "docs" / "certificate-format.md").read_text()


def test_valid_certificate_still_verifies(cli_run):
    code, out, err = cli_run("verify", str(COMPACT))
    assert code == cli.EXIT_OK and "VALID" in out and err == ""
