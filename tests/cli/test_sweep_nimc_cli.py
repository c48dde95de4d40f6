"""``certify sweep nimc-phase-transition``: the NIMC phase-transition sweep kind from the command line."""

import json

from certify import sweep

ARGS = ("--activations", "sigmoid", "--grid", "1", "2", "--trials", "2", "--steps", "300", "--serial")


def test_runs_resumes_and_matches_the_kind(cli_run, tmp_path):
    store = tmp_path / "pt.jsonl"
    code, out, _ = cli_run("sweep", "nimc-phase-transition", *ARGS, "-o", store, "--json")
    assert code == 0
    d = json.loads(out)
    assert d["summary"]["k"] == 5 and d["points"] == 4 and d["computed"] == 4 and d["ok"] == 4
    code, out, _ = cli_run("sweep", "nimc-phase-transition", *ARGS, "-o", store, "--json")
    assert code == 0 and json.loads(out)["resumed"] == 4 and json.loads(out)["computed"] == 0
    params = {"activations": ["sigmoid"], "grid": [1, 2], "trials": 2, "steps": 300, "seed": 0}
    direct = sweep.run_sweep("nimc-phase-transition", params, tmp_path / "direct.jsonl", executor="serial", progress=False)
    resumed = sweep.run_sweep("nimc-phase-transition", params, store, executor="serial", progress=False).results

    def numbers(rows):  # everything but the wall time
        return [{k: v for k, v in r.items() if k != "elapsed"} for r in rows]

    assert numbers(direct.results) == numbers(resumed)


def test_bad_options_are_one_line_errors(cli_run, tmp_path):
    for argv in (("--activations", "tanh"), ("--grid", "0"), ("--trials", "0"), ("--alpha", "2"), ("--k", "11")):
        code, _, err = cli_run("sweep", "nimc-phase-transition", *argv, "-o", tmp_path / "x.jsonl", "--serial")
        assert code == 2, (argv, err)
        assert err.strip().count("\n") == 0 and err.startswith("certify: error:"), (argv, err)
