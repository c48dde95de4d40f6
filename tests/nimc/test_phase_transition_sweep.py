"""The NIMC phase transition as the sweep kind nimc-phase-transition: points, seeds, resume, summary."""

from __future__ import annotations

import numpy as np
import pytest

from certify import nimc, sweep
from certify.errors import InputError
from certify.sweep.kinds.nimc_phase_transition import cell_seed, table

PARAMS = {"activations": ["sigmoid"], "grid": [1, 2], "trials": 1, "steps": 20, "seed": 7}


def test_cells_keys_resume_and_summary(tmp_path):
    store = tmp_path / "pt.jsonl"
    res = sweep.run_sweep("nimc-phase-transition", PARAMS, store, executor="serial", progress=False)
    assert list(res.keys) == ["activation=sigmoid,n=10,m=100", "activation=sigmoid,n=10,m=200",
                              "activation=sigmoid,n=20,m=100", "activation=sigmoid,n=20,m=200"]
    assert res.complete and res.computed == 4
    cells = res.summary["cells"]["sigmoid"]
    assert [(c["n"], c["m"]) for c in cells] == [(10, 100), (10, 200), (20, 100), (20, 200)]
    assert "sigmoid: successes out of trials" in sweep.KINDS["nimc-phase-transition"].describe(res.summary)
    again = sweep.run_sweep("nimc-phase-transition", PARAMS, store, executor="serial", progress=False)
    assert again.computed == 0 and again.resumed == 4 and again.results == res.results
    with pytest.raises(InputError, match="steps"):
        sweep.run_sweep("nimc-phase-transition", {**PARAMS, "steps": 21}, store, executor="serial", progress=False)
    assert sweep.load_sweep(store).summary["cells"] == res.summary["cells"]


def test_a_cell_is_the_recovery_experiment_with_its_own_seed(tmp_path):
    res = sweep.run_sweep("nimc-phase-transition", {**PARAMS, "grid": [2]}, tmp_path / "a.jsonl", executor="serial",
                          progress=False)
    direct = nimc.recovery_experiment("sigmoid", 20, 200, d=10, k=5, trials=1, alpha=1.0, steps=20, rtol=1e-10,
                                      tol=1e-3, seed=np.random.default_rng(cell_seed(7, "sigmoid", 20, 200)))
    got = res.results[0]
    assert got["test_errors"] == direct["test_errors"] and got["successes"] == direct["successes"]


@pytest.mark.parametrize("bad, match", [
    ({"activations": ["tanh"]}, "activations"), ({"grid": [0]}, "grid"), ({"grid": []}, "grid"),
    ({"trials": 0}, "trials"), ({"alpha": 2.0}, "alpha"), ({"k": 11}, "k <= d"), ({"colour": 1}, "colour"),
    ({"kappa": 0.5}, "kappa"),
])
def test_bad_parameters(tmp_path, bad, match):
    with pytest.raises(InputError, match=match):
        sweep.run_sweep("nimc-phase-transition", {**PARAMS, **bad}, tmp_path / "x.jsonl", executor="serial",
                        progress=False)


def test_table_of_an_empty_activation_is_empty():
    assert table([], "relu", 5, 10) == ""
