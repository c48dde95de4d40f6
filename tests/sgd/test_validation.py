"""The validation harness (docs/mathematics.md §1.5): rates, reproducibility, strict traps, files, command."""

import json
from pathlib import Path

import numpy as np
import pytest

import certify
from certify.errors import InputError
from certify.sgd import sensing

CATALOG = Path(__file__).resolve().parents[2] / "counterexamples"


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
    before = len(published.validations)
    certify.validate(published, trials=20, gammas=[1.0], steps=10, seed=0)
    assert len(published.validations) == before  # recording is opt-in
    res = certify.validate(published, trials=200, gammas=[0.0, 1.0], steps=300, seed=0, record=True)
    assert len(published.validations) == before + 1
    assert published.validations[-1]["rows"][0]["gamma"] == 0.0
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
    [dict(gammas=[1.5]), dict(gammas=[]), dict(gammas=["0.5"]), dict(gammas=[float("nan")]), dict(trials=0),
     dict(trials=-3), dict(trials=2.0), dict(trials=True), dict(trials="10"), dict(trials=10**12), dict(method="adam"),
     dict(seed=-1), dict(seed=1.5), dict(seed="0"), dict(tol=0.0), dict(tol=float("nan")), dict(tol_spurious=-1.0),
     dict(steps=-5), dict(steps=1.5), dict(batch=0), dict(batch=5), dict(batch=10**9), dict(batch=True),
     dict(step_size=-1.0), dict(step_size=0.0), dict(step_size=float("inf")), dict(step_size="0.1"),
     dict(decay=0.0), dict(decay=float("nan")), dict(init_scale=0.0), dict(init_scale=float("inf")),
     dict(record="yes"), dict(progress=1)],
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
               "--plot", str(tmp_path / "v.png"), "-o", str(tmp_path / "v.json"), "--record"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "success" in out and "gamma" in out
    assert len(certify.load(f).validations) == 1
    assert json.loads((tmp_path / "v.json").read_text())["rows"][1]["trials"] == 300
    rc = main(["validate", str(f), "--trials", "100", "--gammas", "1", "--steps", "100", "--json"])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert d["rows"][0]["trials"] == 100
    assert len(certify.load(f).validations) == 1


def test_cli_validate_bad_input(tmp_path, capsys):
    from certify.cli import main

    assert main(["validate", str(tmp_path / "missing.json")]) == 2
    assert main(["validate", str(CATALOG / "zhang2018_published.json"), "--gammas", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "Traceback" not in err


def test_cli_validate_leaves_the_file_alone_unless_record(tmp_path, capsys):
    from certify.cli import main

    src = CATALOG / "zhang2018_published.json"
    f = tmp_path / "c.json"
    f.write_bytes(src.read_bytes())
    original = f.read_bytes()
    before = len(certify.load(f).validations)
    args = ["validate", str(f), "--trials", "50", "--gammas", "1", "--steps", "50", "--quiet"]
    assert main(args) == 0
    assert f.read_bytes() == original  # byte-identical without --record
    assert main(args + ["-o", str(tmp_path / "r.json")]) == 0
    assert f.read_bytes() == original
    assert json.loads((tmp_path / "r.json").read_text())["rows"][0]["trials"] == 50
    assert main(args + ["--record"]) == 0
    after = certify.load(f)
    assert len(after.validations) == before + 1
    assert after.validations[-1]["settings"]["trials"] == 50
    d0, d1 = json.loads(original), json.loads(f.read_text())
    for d in (d0, d1):
        d.pop("validations", None), d.pop("verification", None)  # the record, and the fresh verification report
    assert d0 == d1  # the instance, operator and claims are unchanged
    capsys.readouterr()


def test_cli_validate_deprecated_out_and_no_record(tmp_path, capsys):
    from certify.cli import main

    f = tmp_path / "c.json"
    f.write_bytes((CATALOG / "zhang2018_published.json").read_bytes())
    original = f.read_bytes()
    args = ["validate", str(f), "--trials", "20", "--gammas", "1", "--steps", "20", "--quiet"]
    assert main(args + ["--out", str(tmp_path / "old.json"), "--no-record"]) == 0
    err = capsys.readouterr().err
    assert "--out is deprecated" in err and "--no-record is deprecated" in err
    assert (tmp_path / "old.json").is_file() and f.read_bytes() == original
    assert main(args + ["--record", "--no-record"]) == 2
    assert main(args + ["--out", str(tmp_path / "a.json"), "-o", str(tmp_path / "b.json")]) == 2
    assert f.read_bytes() == original


@pytest.mark.parametrize("extra, match", [
    (["--trials", "1000000000000"], "MAX_TRIALS"), (["--batch", "1000000000"], "batch"), (["--trials", "0"], "trials"),
    (["--steps", "-1"], "steps"), (["--step-size", "0"], "step_size"), (["--step-size", "nan"], "step_size"),
    (["--tol", "-1"], "tol"), (["--seed", "-2"], "seed"), (["--decay", "inf"], "decay"),
])
def test_cli_validate_refuses_before_allocating(tmp_path, capsys, extra, match):
    from certify.cli import main

    f = tmp_path / "c.json"
    f.write_bytes((CATALOG / "zhang2018_published.json").read_bytes())
    assert main(["validate", str(f), "--gammas", "1", "--steps", "10", "--quiet"] + extra) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err and err.count("\n") == 1


def test_huge_trial_count_and_batch_are_refused_with_the_limit(published):
    from certify.sgd.protocol import MAX_TRIALS

    with pytest.raises(InputError, match=r"trials: expected an integer in \[1, 100000000\].*MAX_TRIALS"):
        certify.validate(published, trials=10**12, gammas=[1.0], steps=1)
    with pytest.raises(InputError, match=r"batch: expected an integer in \[1, 4\]"):
        certify.validate(published, trials=10, gammas=[1.0], steps=1, batch=10**9)
    assert MAX_TRIALS == 10**8
    res = certify.validate(published, trials=10, gammas=[1.0], steps=5, batch=4)  # batch = m: allowed
    assert res.settings["batch"] == 4


def test_chunked_trials_equal_one_piece(published, monkeypatch):
    import certify.sgd.protocol as V

    kw = dict(trials=301, gammas=[0.0, 1.0], steps=200, seed=5)
    for method, batch in (("sgd", 2), ("gd", 1)):
        one = certify.validate(published, method=method, batch=batch, **kw)
        with monkeypatch.context() as mp:
            per = 8 * V.STATE_COPIES * 2 * 1 + V.TRIAL_OVERHEAD_BYTES
            mp.setattr(V, "CHUNK_BYTES", 7 * per)
            assert V.chunk_trials(2, 1) == 7
            many = certify.validate(published, method=method, batch=batch, **kw)
        for a, b in zip(one.rows, many.rows, strict=True):
            assert (a.successes, a.spurious, a.diverged, a.other) == (b.successes, b.spurious, b.diverged, b.other)
            assert a.error_quantiles == b.error_quantiles


def test_memory_is_bounded_by_chunks(published, monkeypatch):
    import tracemalloc

    import certify.sgd.protocol as V

    per = 8 * V.STATE_COPIES * 2 + V.TRIAL_OVERHEAD_BYTES
    monkeypatch.setattr(V, "CHUNK_BYTES", 1000 * per)  # 1000 trials per chunk
    trials = 200_000
    certify.validate(published, trials=10, gammas=[1.0], steps=1)  # compile and warm up outside the measurement
    tracemalloc.start()
    try:
        res = certify.validate(published, trials=trials, gammas=[1.0], steps=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.rows[0].trials == trials
    # the errors (8 bytes a trial) plus one chunk; one piece would hold ~ 6 arrays of 16 bytes a trial
    assert peak < 8 * trials + 4 * 1000 * per + 2 * 2**20, peak
    assert V.memory_estimate(trials, 2, 1) == 1000 * per + 8 * trials


def test_one_protocol_for_validate_and_the_sweep(published):
    from certify import sweep
    from certify.sgd.protocol import Protocol

    proto = Protocol.from_options(published, trials=10, gammas=[0.5, 1], steps=5, batch=2)
    assert proto.batch == 2 and proto.step_size == sensing.default_step_size(published.operator, published.Z, "sgd", 2)
    assert Protocol.from_dict(proto.to_dict()) == proto
    assert certify.validate(published, trials=10, gammas=[0.5, 1], steps=5, batch=2).settings == proto.settings()
    prepare = sweep.get_kind("validation").prepare
    spec, _ = prepare({"certificate": published, "trials": 10, "gammas": [0.5, 1], "steps": 5, "batch": 2})
    assert {k: spec[k] for k in proto.to_dict()} == proto.to_dict()
    assert Protocol.from_options(published, method="gd", batch=10**9).batch is None  # GD: no minibatch
    for bad in (dict(batch=10**9), dict(batch=0), dict(tol=0.0), dict(gammas=[1.5]), dict(gammas="0.5"),
                dict(method="adam"), dict(step_size=-1.0), dict(init_scale=float("inf")), dict(seed=-1),
                dict(steps=1.5), dict(decay=0.0), dict(tol_spurious="0.1"), dict(batch=True)):
        with pytest.raises(InputError) as direct:
            certify.validate(published, **{"trials": 10, "steps": 5, **bad})
        with pytest.raises(InputError) as swept:
            prepare({"certificate": published, "trials": 10, "steps": 5, **bad})
        assert str(direct.value) == str(swept.value), bad
    # a sweep's trials in all are not limited (its chunks are)
    assert prepare({"certificate": published, "trials": 10**9, "chunk": 10})[0]["trials"] == 10**9
    with pytest.raises(InputError, match="MAX_TRIALS"):
        certify.validate(published, trials=10**9)
