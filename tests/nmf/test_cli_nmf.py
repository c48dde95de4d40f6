"""`certify nmf-landscape`: data specifications, human and JSON output, --out, exit codes."""

import json

import numpy as np
import pytest


def test_planted_json_and_out_file(tmp_path, capsys, cli_run):
    out = tmp_path / "res.json"
    code, stdout, _ = cli_run("nmf-landscape", "planted:32", "--pairs", "50", "--json", "--out", str(out))
    d = json.loads(stdout)
    assert code == 0 and d["pairs"] == 50 and d["rank"] == 6 and d["target"] == "planted"
    assert d["fractions"]["convex"] == 1.0 and d["certified_alpha_lower_min"] > 0
    assert json.loads(out.read_text()) == d
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write leaves no temporary file


def test_planted_with_solver_target_and_mask_human_output(capsys, cli_run):
    code, stdout, _ = cli_run("nmf-landscape", "planted:16:3", "--target", "solver", "--pairs", "12", "--optima",
                          "3", "--steps", "50", "--mask-fraction", "0.5", "--method", "pgd", "--quiet")
    assert code == 0
    assert "pairs: 12" in stdout and "convex segments (certified)" in stdout and "pgd" in stdout
    assert "observed" in stdout and "(100.0%)" not in stdout


def test_npy_with_nan_as_missing_and_movielens_folder(tmp_path, capsys, cli_run):
    rng = np.random.default_rng(0)
    X = np.abs(rng.standard_normal((12, 9)))
    X[0, 0] = np.nan
    np.save(tmp_path / "X.npy", X)
    code, stdout, _ = cli_run("nmf-landscape", str(tmp_path / "X.npy"), "--rank", "2", "--pairs", "6",
                          "--optima", "2", "--steps", "20", "--json")
    d = json.loads(stdout)
    assert code == 0 and d["observed"] == X.size - 1 and d["shape"] == [12, 9]
    ml = tmp_path / "ml"
    ml.mkdir()
    lines = [f"{u}\t{i}\t{1 + (u * i) % 5}\t88125{u}{i}\n" for u in range(1, 9) for i in range(1, 7) if (u + i) % 3]
    (ml / "u.data").write_text("".join(lines))
    code, stdout, _ = cli_run("nmf-landscape", str(ml), "--rank", "2", "--pairs", "4", "--optima", "2",
                          "--steps", "20", "--json")
    d = json.loads(stdout)
    assert code == 0 and d["shape"] == [8, 6] and d["observed"] == len(lines)


@pytest.mark.parametrize("args, msg", [
    (["planted:x"], "planted:N"),
    (["nothing.npy"], "no such .npy"),
    (["no-such-dataset"], "not a known dataset"),
    (["planted:8", "--pairs", "0"], "--pairs"),
    (["planted:8", "--mask-fraction", "1.5"], "--mask-fraction"),
    (["planted:8", "--rank", "5"], "planted optimum has rank"),
    (["planted:8", "--rank", "0"], "--rank"),
])
def test_bad_input_exit_2_one_line(capsys, args, msg, cli_run):
    code, stdout, err = cli_run("nmf-landscape", *args)
    assert code == 2 and msg in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_npy_needs_a_rank_and_folder_needs_u_data(tmp_path, capsys, cli_run):
    np.save(tmp_path / "X.npy", np.ones((4, 4)))
    code, _, err = cli_run("nmf-landscape", str(tmp_path / "X.npy"))
    assert code == 2 and "--rank: required" in err
    code, _, err = cli_run("nmf-landscape", str(tmp_path), "--rank", "2")
    assert code == 2 and "u.data" in err
    np.save(tmp_path / "neg.npy", -np.ones((4, 4)))
    code, _, err = cli_run("nmf-landscape", str(tmp_path / "neg.npy"), "--rank", "2")
    assert code == 2 and "negative" in err


def test_help_documents_the_data_syntax(capsys, cli_run):
    code, stdout, _ = cli_run("nmf-landscape", "--help")
    assert code == 0 and "planted:N" in stdout and "u.data" in stdout and "--mask-fraction" in stdout
