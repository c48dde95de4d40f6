import numpy as np
import pytest

from certify import InputError, rip
from certify.check.operators import CompactOperator
from certify.linalg import orth
from certify.sgd import sensing


def test_gradient_and_hvp_agree_with_finite_differences():
    op, Z, X = sensing.random_instance(6, 2, seed=1)
    U = np.random.default_rng(2).standard_normal(X.shape)
    h = 1e-6
    fd = (sensing.objective(op, Z, X + h * U) - sensing.objective(op, Z, X - h * U)) / (2 * h)
    assert fd == pytest.approx(np.sum(sensing.gradient(op, Z, X) * U), rel=1e-6)
    fd2 = (sensing.gradient(op, Z, X + h * U) - sensing.gradient(op, Z, X - h * U)) / (2 * h)
    assert np.allclose(fd2, sensing.hvp(op, Z, X, U), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("n, r", [(5, 1), (8, 2)])
def test_gd_and_sgd_recover_a_random_gaussian_instance(n, r):
    op, Z, _ = sensing.random_instance(n, r, seed=3)  # m = 5 n r
    X0 = np.random.default_rng(4).standard_normal((8, n, r))
    g = sensing.gd(op, Z, X0, steps=3000)
    assert np.all(sensing.distance_to_solutions(g.X, Z) <= 1e-6)
    s = sensing.sgd(op, Z, X0, steps=60_000, batch=5, seed=5)
    assert np.all(sensing.distance_to_solutions(s.X, Z) <= 1e-6)
    assert not s.diverged.any()


def test_sgd_is_deterministic_for_a_seed_whatever_the_threads():
    import numba

    op, x, z = rip.examples.zhang2018()
    X0 = np.random.default_rng(0).standard_normal((257, 2, 1))
    a = sensing.sgd(op, z, X0, steps=500, step_size=0.03, seed=7)
    b = sensing.sgd(op, z, X0, steps=500, step_size=0.03, seed=7)
    old = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        c = sensing.sgd(op, z, X0, steps=500, step_size=0.03, seed=7)
    finally:
        numba.set_num_threads(old)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.X, c.X)
    d = sensing.sgd(op, z, X0, steps=500, step_size=0.03, seed=8)
    assert not np.array_equal(a.X, d.X)
    # running in chunks (as with a progress bar) gives the same iterates
    e = sensing.sgd(op, z, X0, steps=500, step_size=0.03, seed=7, progress=lambda done, total: None)
    assert np.array_equal(a.X, e.X)


def test_compiled_gd_matches_a_plain_numpy_loop():
    rng = np.random.default_rng(5)
    P = orth(rng.standard_normal((5, 3)))
    K = rng.standard_normal((9, 9))
    op = CompactOperator(P, np.eye(9) + 0.1 * (K + K.T))
    Z = rng.standard_normal((5, 1))
    X0 = rng.standard_normal((3, 5, 1))
    res = sensing.gd(op, Z, X0, steps=50, step_size=0.01)
    X = X0.copy()
    for _ in range(50):
        X = X - 0.01 * op.gradient(X, Z)
    assert np.allclose(res.X, X, atol=1e-12)
    # decaying step size
    res = sensing.gd(op, Z, X0, steps=30, step_size=0.01, decay=10.0)
    X = X0.copy()
    for k in range(30):
        X = X - 0.01 / (1 + k / 10.0) * op.gradient(X, Z)
    assert np.allclose(res.X, X, atol=1e-12)


def test_gd_on_a_large_compact_operator():
    rng = np.random.default_rng(0)
    n = 5000
    Q = np.linalg.qr(rng.standard_normal((n, 2)))[0]
    cert = rip.counterexample(Q[:, 1] / np.sqrt(2), Q[:, 0])
    X0 = Q[:, :1] + 0.3 * rng.standard_normal((2, n, 1)) / np.sqrt(n)
    res = sensing.gd(cert.operator, cert.Z, X0, steps=400)
    assert np.all(sensing.distance_to_solutions(res.X, cert.Z) < 1e-6)
    with pytest.raises(InputError, match="method='gd'"):
        sensing.sgd(cert.operator, cert.Z, X0, steps=10)


def test_divergence_is_flagged_not_hidden():
    op, x, z = rip.examples.zhang2018()
    res = sensing.sgd(op, z, 30 * np.ones((4, 2, 1)), steps=100, step_size=1.0, seed=0)
    assert res.diverged.all() and np.all(np.isinf(res.f))
    assert np.all(np.isinf(sensing.distance_to_solutions(res.X, z)))


def test_distances():
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((6, 2))
    R = np.linalg.qr(rng.standard_normal((3, 3)))[0]
    Zpad = np.column_stack([Z, np.zeros(6)])
    assert sensing.distance_to_solutions(Zpad @ R, Z) == pytest.approx(0.0, abs=1e-7)
    assert sensing.distance_to_solutions(-Z, Z) == pytest.approx(0.0, abs=1e-7)
    X = rng.standard_normal((6, 2))
    d = sensing.distance_to_solutions(X, Z, relative=False)
    best = min(np.linalg.norm(X - Z @ Q) for Q in (np.linalg.qr(rng.standard_normal((2, 2)))[0] for _ in range(2000)))
    assert d <= best + 1e-12
    Q2 = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    assert sensing.distance_to_orbit(X @ Q2, X) == pytest.approx(0.0, abs=1e-7)
    assert sensing.distance_to_orbit(X + 0.1, X) > 0.01
    with pytest.raises(InputError, match="not reachable"):
        sensing.distance_to_solutions(np.ones((6, 1)), Z)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"steps": -1}, "steps"), ({"step_size": -0.1}, "step_size"), ({"batch": 0}, "batch"), ({"seed": -3}, "seed"),
     ({"decay": 0.0}, "decay")],
)
def test_bad_arguments(kwargs, match):
    op, x, z = rip.examples.zhang2018()
    with pytest.raises(InputError, match=match):
        sensing.sgd(op, z, np.ones((2, 2, 1)), **kwargs)


def test_bad_inputs():
    op, x, z = rip.examples.zhang2018()
    with pytest.raises(InputError, match="X0"):
        sensing.gd(op, z, np.ones((2, 3, 1)))
    with pytest.raises(InputError, match="NaN"):
        sensing.gd(op, z, np.array([np.nan, 1.0]))
    with pytest.raises(InputError, match="operator"):
        sensing.gd("op", z, x)
    with pytest.raises(InputError):
        sensing.random_instance(0)
    with pytest.raises(InputError, match="r"):
        sensing.random_instance(4, 2, r=1)
