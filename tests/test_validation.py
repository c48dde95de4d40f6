"""The validation harness (REFERENCE §1.5): rates, reproducibility, strict traps, files, command."""

import json
from pathlib import Path

import numpy as np
import pytest

import certify
from certify.errors import InputError
from certify.nonconvex import sensing

CATALOG = Path(__file__).resolve().parent.parent / "counterexamples"


@pytest.fixture()
def published():
    return certify.load(CATALOG / "zhang2018_published.json")


@pytest.fixture()
def strict():
    return certify.load(CATALOG / "zhang2018_strict_055.json")


def test_gamma_one_rate_strictly_between_and_reproducible(published):
    kw = dict(trials=10_000, gammas=[1.0], steps=2_000, method="sgd", seed=7, record=False)
    a = certify.validate(published, **kw)
    b = certify.validate(published, **kw)
    ra, rb = a.rows[0], b.rows[0]
    assert 0.0 < ra.success_rate < 1.0
    assert ra.successes == rb.successes and ra.spurious == rb.spurious and ra.diverged == rb.diverged
    assert ra.error_quantiles == rb.error_quantiles
    assert ra.successes + ra.spurious + ra.diverged + ra.other == 10_000
    assert set(ra.error_quantiles) == {"min", "p5", "median", "p95", "max"}
    c = certify.validate(published, **{**kw, "seed": 8})
    assert c.rows[0].successes != ra.successes  # the seed matters


def test_rows_do_not_depend_on_other_gammas(published):
    a = certify.validate(published, trials=500, gammas=[0.5], steps=500, seed=3, record=False)
    b = certify.validate(published, trials=500, gammas=[0.0, 0.5], steps=500, seed=3, record=False)
    assert a.rows[0].successes == b.rows[1].successes


def test_same_result_whatever_the_thread_count(published):
    numba = pytest.importorskip("numba")
    kw = dict(trials=2_000, gammas=[1.0], steps=1_000, seed=1, record=False)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = certify.validate(published, **kw)
        numba.set_num_threads(max(old, 2) if numba.config.NUMBA_NUM_THREADS >= 2 else 1)
        b = certify.validate(published, **kw)
    finally:
        numba.set_num_threads(old)
    assert a.rows[0].error_quantiles == b.rows[0].error_quantiles
    assert a.rows[0].successes == b.rows[0].successes


def test_strict_counterexample_traps_every_trial_from_gamma_zero(strict):
    assert strict.verify().strict
    res = certify.validate(strict, trials=2_000, gammas=[0.0, 0.01], steps=5_000, seed=0, step_size=0.002, record=False)
    for row in res.rows:
        assert row.successes == 0
        assert row.error_quantiles["min"] > 1.0  # ||x_hat - z|| = 1.22: every trial is still far from the truth


def test_strict_counterexample_traps_gd_starts_nearby(strict):
    res = certify.validate(strict, trials=1_000, gammas=[0.0, 0.02, 0.05], steps=3_000, method="gd", seed=0, record=False)
    for row in res.rows:
        assert row.spurious_rate == 1.0


def test_degenerate_example_escapes_sometimes(published):
    # at delta = 1/2 the Hessian is singular: from gamma = 1 a fraction of trials still succeeds,
    # but from gamma = 0 none does (gradient zero at x_hat; SGD noise alone does not reach z)
    res = certify.validate(published, trials=2_000, gammas=[0.0, 1.0], steps=3_000, seed=0, record=False)
    assert res.rows[0].successes == 0
    assert res.rows[1].success_rate > 0.5


def test_ground_truth_is_a_fixed_point_of_sgd(strict, published):
    for cert in (strict, published):
        Z = cert.Z
        X0 = np.repeat(Z[None], 64, axis=0)
        out = sensing.sgd(cert.operator, Z, X0, steps=2_000, step_size=0.01, batch=1, seed=5)
        assert np.max(sensing.distance_to_solutions(out.X, Z)) <= 1e-12
        out = sensing.gd(cert.operator, Z, X0, steps=200, step_size=0.01)
        assert np.max(sensing.distance_to_solutions(out.X, Z)) <= 1e-12


def test_save_plot_and_record(published, tmp_path):
    res = certify.validate(published, trials=200, gammas=[0.0, 1.0], steps=300, seed=0)
    assert published.validations and published.validations[-1]["rows"][0]["gamma"] == 0.0
    p = res.save(tmp_path / "v.json")
    d = json.loads(Path(p).read_text())
    back = certify.ValidationResult.from_dict(d)
    assert back.rows[1].successes == res.rows[1].successes
    res.plot(tmp_path / "v.png")
    assert (tmp_path / "v.png").stat().st_size > 1000
    published.save(tmp_path / "c.json")
    assert certify.load(tmp_path / "c.json").validations[-1]["settings"]["trials"] == 200


@pytest.mark.parametrize(
    "kwargs",
    [dict(gammas=[1.5]), dict(gammas=[]), dict(trials=0), dict(method="adam"), dict(seed=-1), dict(tol=0.0),
     dict(steps=-5), dict(batch=0), dict(step_size=-1.0)],
)
def test_bad_input(published, kwargs):
    base = dict(trials=10, gammas=[0.5], steps=10, record=False)
    with pytest.raises(InputError):
        certify.validate(published, **{**base, **kwargs})


def test_not_a_certificate():
    with pytest.raises(InputError):
        certify.validate({"X": [1]}, trials=10)


def test_cli_validate(tmp_path, capsys):
    from certify.cli import main

    src = CATALOG / "zhang2018_published.json"
    f = tmp_path / "c.json"
    f.write_text(src.read_text())
    rc = main(["validate", str(f), "--trials", "300", "--gammas", "0", "1", "--steps", "300", "--quiet",
               "--plot", str(tmp_path / "v.png"), "--out", str(tmp_path / "v.json")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "success" in out and "gamma" in out
    assert len(certify.load(f).validations) == 1
    rc = main(["validate", str(f), "--trials", "100", "--gammas", "1", "--steps", "100", "--json", "--no-record"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["rows"][0]["trials"] == 100
    assert len(certify.load(f).validations) == 1


def test_cli_validate_bad_input(tmp_path, capsys):
    from certify.cli import main

    assert main(["validate", str(tmp_path / "missing.json")]) == 2
    assert main(["validate", str(CATALOG / "zhang2018_published.json"), "--gammas", "2", "--no-record"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "Traceback" not in err
