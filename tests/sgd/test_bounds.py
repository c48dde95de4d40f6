"""Bounded resources and checked numeric options: the curvature SDP at large n (projection only,
never an n x n array), the shared option checks of certify.options, and refusals before any
allocation (random instances, Example 1, SGD minibatches, search options)."""

import tracemalloc

import numpy as np
import pytest

from certify import rip
from certify.check.operators import CompactOperator, ExplicitOperator, rip_from_bounds
from certify.cli import main
from certify.errors import InputError
from certify.options import integer, real, reals
from certify.sgd import sensing

MU_055 = 0.5317821063  # mu* of the 2x2 example at delta = 0.55 (tests/test_curvature.py)


def _embedded_example(n, seed=0):
    """The 2x2 example x = (0, 1/sqrt 2), z = (1, 0) in random orthonormal coordinates of R^n (dense)."""
    Q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, 2)))
    return Q @ np.array([0.0, 1.0 / np.sqrt(2.0)]), Q[:, 0].copy()


def _measure(fn):
    tracemalloc.start()
    try:
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return out, peak


# -- certify.options ------------------------------------------------------------------------------
def test_real_accepts_numbers_and_refuses_the_rest():
    assert real(0.5, "delta", lo=0, hi=1, hi_open=True) == 0.5
    assert real(np.float32(0.25), "x") == 0.25 and real(np.int64(3), "x") == 3.0 and real(2, "x") == 2.0
    with pytest.raises(InputError, match=r"^delta: expected a real number in \[0, 1\), got '0\.5' \(str\)$"):
        real("0.5", "delta", lo=0, hi=1, hi_open=True)
    for bad in (True, np.bool_(False), None, [0.5], b"1", 1 + 0j, float("nan"), float("inf"), -float("inf")):
        with pytest.raises(InputError, match="^x: expected"):
            real(bad, "x")
    with pytest.raises(InputError, match=r"in \[0, 1\), got 1 \(int\)"):
        real(1, "delta", lo=0, hi=1, hi_open=True)
    with pytest.raises(InputError, match=r"> 0, got 0\.0"):
        real(0.0, "step_size", lo=0, lo_open=True)
    with pytest.raises(InputError, match=r">= 0, got -1e-300"):
        real(-1e-300, "grad_tol", lo=0)
    with pytest.raises(InputError, match=r"<= 2"):
        real(2.5, "x", hi=2)


def test_integer_accepts_ints_only():
    assert integer(3, "k") == 3 and integer(np.int32(7), "k", lo=1, hi=7) == 7
    for bad in (3.0, True, "3", None, np.float64(2.0), 2**0.5):
        with pytest.raises(InputError, match=r"^k: expected an integer >= 1, got"):
            integer(bad, "k", lo=1)
    with pytest.raises(InputError, match=r"^k: expected an integer in \[1, 4\], got 5 \(int\)$"):
        integer(5, "k", lo=1, hi=4)
    with pytest.raises(InputError, match=r">= 0, got -1"):
        integer(-1, "k", lo=0)


def test_reals_checks_every_entry():
    assert reals([0, 0.5, np.float64(0.9)], "deltas", lo=0, hi=1).tolist() == [0.0, 0.5, 0.9]
    assert reals(0.3, "d").tolist() == [0.3] and reals(np.array([1.0, 2.0]), "d").tolist() == [1.0, 2.0]
    with pytest.raises(InputError, match=r"deltas\[1\]: expected a real number in \[0, 1\), got '0\.5' \(str\)"):
        reals([0.1, "0.5"], "deltas", lo=0, hi=1, hi_open=True)
    for bad in ([], (), "0.5", np.zeros((2, 2)), None, [float("nan")]):
        with pytest.raises(InputError, match="^d"):
            reals(bad, "d")


# -- curvature at large n: the projection only ------------------------------------------------------
def test_curvature_at_n_20000_stays_small():
    x, z = _embedded_example(20_000)
    rip.curvature([0.0, 0.7], [1.0, 0.0], 0.55)  # imports and solver set-up outside the measurement
    res, peak = _measure(lambda: rip.curvature(x, z, 0.55))
    assert res.kind == "strict-minimum" and res.mu == pytest.approx(MU_055, abs=1e-7)
    assert res.certificate is not None and res.certificate.verify().strict
    # one n x n array would be 3.2 GB; n x d arrays are 0.3 MB each
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.1f} MiB"
    rep, peak = _measure(res.verify)
    assert rep.ok and peak < 64 * 2**20
    prof, peak = _measure(lambda: rip.curvature_profile(x, z, [0.3, 0.55]))
    assert [r["kind"] for r in prof.rows] == ["infeasible", "strict-minimum"]
    assert peak < 64 * 2**20


@pytest.mark.slow
def test_curvature_at_n_100000_takes_seconds_and_little_memory(tmp_path):
    import time

    x, z = _embedded_example(100_000, seed=1)
    rip.curvature([0.0, 0.7], [1.0, 0.0], 0.55)
    t0 = time.perf_counter()
    res, peak = _measure(lambda: rip.curvature(x, z, 0.55))
    seconds = time.perf_counter() - t0
    assert res.kind == "strict-minimum" and res.mu == pytest.approx(MU_055, abs=1e-7)
    assert res.verify().ok and res.certificate.verify().ok
    assert peak < 256 * 2**20 and seconds < 60
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "z.npy", z)
    rc, peak = _measure(lambda: main(["curvature", "--x", str(tmp_path / "x.npy"), "--z", str(tmp_path / "z.npy"),
                                      "--delta", "0.45,0.55", "--json"]))
    assert rc == 0 and peak < 256 * 2**20  # one n x n array would be 75 GiB


# -- curvature options --------------------------------------------------------------------------------
X2, Z2 = [0.0, 1.0 / np.sqrt(2.0)], [1.0, 0.0]


@pytest.mark.parametrize("kwargs, match", [
    (dict(delta="0.5"), r"delta: expected a real number in \[0, 1\), got '0\.5' \(str\)"),
    (dict(delta=True), "delta"), (dict(delta=1.0), "delta"), (dict(delta=float("nan")), "delta"),
    (dict(delta=-0.1), "delta"), (dict(grad_tol=-1e-3), "grad_tol"), (dict(grad_tol=float("nan")), "grad_tol"),
    (dict(grad_tol=float("inf")), "grad_tol"), (dict(grad_tol="0"), "grad_tol"), (dict(gap_tol=float("nan")), "gap_tol"),
    (dict(gap_tol=0.0), "gap_tol"), (dict(gap_tol=-1.0), "gap_tol"), (dict(gap_tol="1e-6"), "gap_tol"),
    (dict(certificate="yes"), "certificate"),
])
def test_curvature_refuses_bad_options(kwargs, match):
    args = {"delta": 0.55, **kwargs}
    with pytest.raises(InputError, match=match):
        rip.curvature(X2, Z2, **args)


def test_curvature_verify_profile_and_map_refuse_bad_options():
    res = rip.curvature(X2, Z2, 0.55, certificate=False)
    with pytest.raises(InputError, match="gap_tol"):
        res.verify(gap_tol=float("nan"))
    assert res.verify(gap_tol=1e-6).ok
    for deltas in (["0.5"], [], [1.0], [0.5, float("nan")], "0.5", [[0.5]]):
        with pytest.raises(InputError, match="deltas"):
            rip.curvature_profile(X2, Z2, deltas)
    with pytest.raises(InputError, match="grad_tol"):
        rip.curvature_profile(X2, Z2, [0.5], grad_tol=-1.0)
    with pytest.raises(InputError, match="X, Z"):
        rip.curvature_profile(X2, [1.0, 0.0, 0.0], [0.5])
    with pytest.raises(InputError, match="delta"):
        rip.saddle_map("0.4", [1.0], [0.3])
    with pytest.raises(InputError, match="rhos"):
        rip.saddle_map(0.4, [float("inf")], [0.3])
    with pytest.raises(InputError, match="phis"):
        rip.saddle_map(0.4, [1.0], ["0"])
    with pytest.raises(InputError, match="z"):
        rip.saddle_map(0.4, [1.0], [0.3], z=(0.0, 0.0))
    with pytest.raises(InputError, match="grad_tol"):
        rip.saddle_map(0.4, [1.0], [0.3], grad_tol=float("nan"))


def test_cli_curvature_refuses_nan_grad_tol(capsys):
    assert main(["curvature", "--x", "[0, 0.7071]", "--z", "[1, 0]", "--delta", "0.55", "--grad-tol", "nan"]) == 2
    assert "grad_tol" in capsys.readouterr().err


# -- search ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    (dict(max_iter=-1), "max_iter"), (dict(max_iter=0), "max_iter"), (dict(max_iter=2.0), "max_iter"),
    (dict(max_iter=True), "max_iter"), (dict(polish_evals=-1), "polish_evals"), (dict(seed="0"), "seed"),
    (dict(restarts=0), "restarts"), (dict(start=-1), "start"), (dict(n=1.5), "n"),
])
def test_search_refuses_bad_options_before_solving(kwargs, match):
    args = {"n": 2, "r": 1, "r_star": 1, "restarts": 1, **kwargs}
    with pytest.raises(InputError, match=match):
        rip.search_sharp_delta(**args)


def test_search_ranks_and_published_threshold():
    with pytest.raises(InputError, match=r"r\* <= r"):
        rip.search_sharp_delta(4, 1, 2)
    with pytest.raises(InputError, match=r"n: expected an integer >= r \+ r\* = 3"):
        rip.search_sharp_delta(2, 2, 1)
    with pytest.raises(InputError, match=r"r\* <= r"):
        rip.published_threshold(1, 2)
    with pytest.raises(InputError, match="r"):
        rip.published_threshold(2.0, 1)
    assert rip.published_threshold(2, 2)["value"] == 0.5


def test_cli_search_refuses_negative_max_iter(capsys):
    assert main(["search", "--rank", "1", "--rank-star", "1", "--max-iter", "-1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "max_iter: expected an integer >= 1, got -1" in err and "Traceback" not in err


# -- sensing: sizes, minibatches, seeds, chunked streams -----------------------------------------------
@pytest.mark.parametrize("args, kwargs, match", [
    ((0,), {}, "n"), ((3, 4), {}, r"r_star: expected an integer in \[1, n\]"), ((3, 0), {}, "r_star"),
    ((3, 1, 0), {}, "m"), ((3, 1, 2.0), {}, "m"), ((3, 2), {"r": 1}, "r"), ((3, 1), {"r": 0}, "r"),
    ((3, 1), {"seed": -1}, "seed"), ((3, 1), {"seed": "1"}, "seed"), ((2.0,), {}, "n"), ((True,), {}, "n"),
    ((500, 1), {}, "MAX_INSTANCE_BYTES"), ((10, 1, 10**9), {}, "GiB"),
])
def test_random_instance_refuses_impossible_or_huge_sizes(args, kwargs, match):
    with pytest.raises(InputError, match=match):
        sensing.random_instance(*args, **kwargs)


def test_random_instance_sizes():
    op, Z, X0 = sensing.random_instance(4, 2, 7, r=3, seed=2)
    assert (op.m, op.n, Z.shape, X0.shape) == (7, 4, (4, 2), (4, 3))
    op, Z, X0 = sensing.random_instance(3, 3)  # r* = n is possible
    assert Z.shape == (3, 3) and op.m == 45


def test_sgd_batch_is_bounded_by_the_measurements():
    op, x, z = rip.examples.zhang2018()
    assert sensing.measurement_count(op) == 4
    X0 = np.ones((3, 2, 1))
    for bad in (5, 10**9, 0, True, 2.0):
        with pytest.raises(InputError, match=r"batch: expected an integer in \[1, 4\]"):
            sensing.sgd(op, z, X0, steps=1, batch=bad)
        with pytest.raises(InputError, match="batch"):
            sensing.default_step_size(op, z, "sgd", bad)
    assert sensing.sgd(op, z, X0, steps=3, batch=4).X.shape == (3, 2, 1)
    assert sensing.gd(op, z, X0, steps=3).X.shape == (3, 2, 1)  # GD has no minibatch
    compact = CompactOperator(np.eye(3)[:, :2], np.eye(4))
    assert sensing.measurement_count(compact) == 9


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=1.5), "steps"), (dict(steps=True), "steps"), (dict(step_size=float("nan")), "step_size"),
    (dict(step_size=float("inf")), "step_size"), (dict(step_size=0.0), "step_size"), (dict(step_size="0.1"), "step_size"),
    (dict(decay=-1.0), "decay"), (dict(decay=float("inf")), "decay"), (dict(seed=2**64), "seed"),
    (dict(seed=1.0), "seed"), (dict(first_trial=-1), "first_trial"),
])
def test_sgd_refuses_bad_options(kwargs, match):
    op, x, z = rip.examples.zhang2018()
    with pytest.raises(InputError, match=match):
        sensing.sgd(op, z, np.ones((2, 2, 1)), **kwargs)


def test_sgd_in_chunks_equals_one_batch():
    op, x, z = rip.examples.zhang2018()
    X0 = np.random.default_rng(4).standard_normal((10, 2, 1))
    whole = sensing.sgd(op, z, X0, steps=300, seed=9, batch=2)
    parts = [sensing.sgd(op, z, X0[a:b], steps=300, seed=9, batch=2, first_trial=a) for a, b in ((0, 3), (3, 4), (4, 10))]
    assert np.array_equal(whole.X, np.concatenate([p.X for p in parts]))
    shifted = sensing.sgd(op, z, X0[3:], steps=300, seed=9, batch=2)  # without the offset: other streams
    assert not np.array_equal(whole.X[3:], shifted.X)


def test_distances_refuse_mismatched_shapes():
    with pytest.raises(InputError, match="X, Z"):
        sensing.distance_to_solutions(np.ones((3, 1)), np.ones((2, 1)))
    with pytest.raises(InputError, match="relative"):
        sensing.distance_to_solutions(np.ones((2, 1)), np.ones((2, 1)), relative="no")
    with pytest.raises(InputError, match="X"):
        sensing.distance_to_solutions("abc", np.ones((2, 1)))


# -- operators and examples --------------------------------------------------------------------------------
def test_operator_options():
    op, x, z = rip.examples.zhang2018()
    for bad in (-1.0, 0.0, "2", float("nan"), True):
        with pytest.raises(InputError, match="^t: "):
            op.scaled(bad)
    assert np.allclose(op.scaled(4).gram(), 4 * op.gram())
    with pytest.raises(InputError, match="U: expected the shape of X"):
        op.hvp(x, z, np.ones(3))
    with pytest.raises(InputError, match="U: contains NaN"):
        op.hvp(x, z, [np.nan, 1.0])
    with pytest.raises(InputError, match="lam_min"):
        rip_from_bounds("1", 2.0)
    with pytest.raises(InputError, match="lam_min"):
        rip_from_bounds(2.0, 1.0)
    with pytest.raises(InputError, match="lam_min"):
        rip_from_bounds(float("nan"), 1.0)
    assert rip_from_bounds(1, 3).delta == 0.5 and rip_from_bounds(0.0, 1.0).delta == 1.0
    with pytest.raises(InputError, match="^t: "):
        CompactOperator(np.eye(2), np.eye(4)).scaled(-2.0)
    assert isinstance(ExplicitOperator(np.ones((1, 1, 1))).scaled(2.0), ExplicitOperator)


def test_example1_refuses_huge_or_malformed_z():
    with pytest.raises(InputError, match="DENSE_LIMIT = 64"):
        rip.examples.example1(np.ones(65))
    with pytest.raises(InputError, match="z: expected a real vector"):
        rip.examples.example1("1, 2")
    with pytest.raises(InputError, match="n >= 2"):
        rip.examples.example1([1.0])
    with pytest.raises(InputError, match="nonzero"):
        rip.examples.example1([0.0, 0.0, 0.0])
    op, x, z = rip.examples.example1(np.arange(1.0, 4.0))
    assert op.m == 9 and x.shape == (3,)
