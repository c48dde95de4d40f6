"""``record_every`` of sensing.gd/sgd (RunResult.path, path_steps) and the protocol's pieces
(trial_streams, start_points, classify) that the explorer shares with ``certify validate``."""

import numpy as np
import pytest

from certify import InputError, rip
from certify.check.operators import CompactOperator
from certify.linalg import orth
from certify.sgd import protocol, sensing


@pytest.fixture(scope="module")
def zhang():
    op, x, z = rip.examples.zhang2018()
    X0 = np.random.default_rng(11).standard_normal((7, 2, 1))
    return op, x[:, None], z[:, None], X0


def _expected_steps(steps, every):
    return list(range(0, steps + 1, every)) + ([steps] if steps % every else [])


@pytest.mark.parametrize("method", ["sgd", "gd"])
@pytest.mark.parametrize("steps, every", [(103, 10), (100, 10), (5, 10), (7, 7), (0, 3), (40, 1)])
def test_recording_does_not_change_the_run(zhang, method, steps, every):
    op, _, Z, X0 = zhang
    run = sensing.sgd if method == "sgd" else sensing.gd
    kw = {"steps": steps, "step_size": 0.03, "decay": 50.0, **({"seed": 5} if method == "sgd" else {})}
    plain = run(op, Z, X0, **kw)
    rec = run(op, Z, X0, record_every=every, **kw)
    assert np.array_equal(rec.X, plain.X)
    assert np.array_equal(rec.f, plain.f) and np.array_equal(rec.diverged, plain.diverged)
    assert plain.path is None and plain.path_steps is None
    assert rec.path_steps.tolist() == _expected_steps(steps, every)
    assert rec.path.shape == (len(rec.path_steps), *X0.shape)
    assert np.array_equal(rec.path[0], X0) and np.array_equal(rec.path[-1], rec.X)
    assert rec.settings["record_every"] == every


def test_each_snapshot_is_the_iterate_of_a_shorter_run(zhang):
    op, _, Z, X0 = zhang
    rec = sensing.sgd(op, Z, X0, steps=30, step_size=0.03, seed=2, decay=20.0, record_every=8)
    for k, s in enumerate(rec.path_steps):
        short = sensing.sgd(op, Z, X0, steps=int(s), step_size=0.03, seed=2, decay=20.0)
        assert np.array_equal(rec.path[k], short.X), s


def test_recording_with_a_progress_callback(zhang):
    op, _, Z, X0 = zhang
    seen = []
    plain = sensing.sgd(op, Z, X0, steps=1000, step_size=0.03, seed=1)
    rec = sensing.sgd(op, Z, X0, steps=1000, step_size=0.03, seed=1, record_every=130,
                      progress=lambda done, total: seen.append(done))
    assert np.array_equal(rec.X, plain.X)
    assert rec.path_steps.tolist() == _expected_steps(1000, 130)
    assert seen[-1] == 1000


def test_single_start_gives_a_path_of_single_iterates(zhang):
    op, x, Z, _ = zhang
    X0 = x + 0.1
    rec = sensing.sgd(op, Z, X0, steps=25, step_size=0.03, seed=3, record_every=10)
    assert rec.X.shape == (2, 1)
    assert rec.path.shape == (4, 2, 1)
    assert np.array_equal(rec.path[0], X0) and np.array_equal(rec.path[-1], rec.X)
    g = sensing.gd(op, Z, X0, steps=25, step_size=0.03, record_every=10)
    assert g.path.shape == (4, 2, 1) and np.array_equal(g.path[-1], g.X)


def test_recording_on_the_numpy_gd_path():
    # a lifted operator with n > DENSE_LIMIT: gd runs the vectorized numpy loop, not the kernel
    rng = np.random.default_rng(5)
    n = 70
    P = orth(rng.standard_normal((n, 2)))
    K = rng.standard_normal((4, 4))
    op = CompactOperator(P, np.eye(4) + 0.05 * (K + K.T))
    Z = rng.standard_normal((n, 1)) / np.sqrt(n)
    X0 = rng.standard_normal((3, n, 1)) / np.sqrt(n)
    plain = sensing.gd(op, Z, X0, steps=7, step_size=0.05)
    rec = sensing.gd(op, Z, X0, steps=7, step_size=0.05, record_every=3)
    assert not plain.diverged.any() and not np.array_equal(plain.X, X0)
    assert np.array_equal(rec.X, plain.X)
    assert rec.path_steps.tolist() == [0, 3, 6, 7]
    assert rec.path.shape == (4, 3, n, 1)
    assert np.array_equal(rec.path[0], X0) and np.array_equal(rec.path[-1], rec.X)


@pytest.mark.parametrize("every", [0, -1, 1.5, "a", "3", True, float("nan")])
@pytest.mark.parametrize("method", ["sgd", "gd"])
def test_bad_record_every_is_refused(zhang, method, every):
    op, _, Z, X0 = zhang
    run = sensing.sgd if method == "sgd" else sensing.gd
    with pytest.raises(InputError, match="record_every"):
        run(op, Z, X0, steps=10, record_every=every)


def test_a_record_too_large_is_refused_before_running(zhang):
    op, _, Z, X0 = zhang
    with pytest.raises(InputError, match="snapshots"):
        sensing.sgd(op, Z, X0, steps=10**7, record_every=1)
    with pytest.raises(InputError, match="snapshots"):
        sensing.gd(op, Z, X0, steps=10**7, record_every=1)
    # within the snapshot count, beyond the memory budget: 10,000 snapshots of 200,000 2 x 1 iterates (32 GB)
    many = np.zeros((200_000, 2, 1))
    with pytest.raises(InputError, match="GiB"):
        sensing.sgd(op, Z, many, steps=9_999, record_every=1)
    # the largest snapshot count accepted
    ok = sensing.gd(op, Z, X0[:1], steps=sensing.MAX_SNAPSHOTS - 1, step_size=0.01, record_every=1)
    assert len(ok.path_steps) == sensing.MAX_SNAPSHOTS


# -- the protocol's pieces ---------------------------------------------------------------------------

@pytest.mark.parametrize("method, gamma, decay", [("sgd", 0.4, 200.0), ("gd", 0.7, None), ("sgd", 0.0, None)])
def test_classify_agrees_with_run_trials(zhang, method, gamma, decay):
    op, Xs, Z, _ = zhang
    trials, seed, steps, eta = 60, 2, 1500, 0.03
    ref = protocol.run_trials(op, Xs, Z, gamma, trials, seed, init_scale=1.0, method=method, steps=steps, step_size=eta,
                              batch=1, decay=decay)
    rng, stream = protocol.trial_streams(seed, gamma)
    X0 = protocol.start_points(rng, Xs, gamma, trials, 1.0)
    if method == "sgd":
        res = sensing.sgd(op, Z, X0, steps=steps, step_size=eta, batch=1, seed=stream, decay=decay)
    else:
        res = sensing.gd(op, Z, X0, steps=steps, step_size=eta, decay=decay)
    out = protocol.classify(res.X, res.diverged, Xs, Z)
    for f in ("errors", "success", "spurious", "diverged", "other"):
        assert np.array_equal(getattr(out, f), getattr(ref, f)), f
    masks = np.stack([out.success, out.spurious, out.diverged, out.other]).astype(int)
    assert np.all(masks.sum(axis=0) == 1)


def test_trial_streams_and_start_points():
    Xs = np.array([[0.0], [0.5]])
    rng_a, s_a = protocol.trial_streams(3, 0.25)
    rng_b, s_b = protocol.trial_streams(3, 0.25)
    assert s_a == s_b and np.array_equal(rng_a.standard_normal(4), rng_b.standard_normal(4))
    assert protocol.trial_streams(3, 0.5)[1] != s_a and protocol.trial_streams(4, 0.25)[1] != s_a
    assert np.array_equal(protocol.start_points(protocol.trial_streams(0, 0.0)[0], Xs, 0.0, 5, 2.0),
                          np.broadcast_to(Xs, (5, 2, 1)))
    rng, _ = protocol.trial_streams(1, 0.5)
    W = np.random.default_rng([1, round(0.5 * 2**32)]).standard_normal((6, 2, 1))
    assert np.allclose(protocol.start_points(rng, Xs, 0.5, 6, 2.0), 0.5 * Xs[None] + 0.5 * 2.0 * W, rtol=0, atol=1e-15)


def test_classify_outcomes():
    Xs = np.array([[0.0], [1.0 / np.sqrt(2.0)]])
    Z = np.array([[1.0], [0.0]])
    X = np.stack([Z, -Z, Xs, -Xs * 1.01, np.array([[3.0], [3.0]]), np.array([[np.inf], [0.0]]), Z * (1 + 2e-3)])
    div = np.array([False, False, False, False, False, True, False])
    out = protocol.classify(X, div, Xs, Z)
    assert out.success.tolist() == [True, True, False, False, False, False, False]
    assert out.spurious.tolist() == [False, False, True, True, False, False, False]
    assert out.diverged.tolist() == div.tolist()
    assert out.other.tolist() == [False, False, False, False, True, False, True]
    # the tolerances decide
    loose = protocol.classify(X, div, Xs, Z, tol=1e-2, tol_spurious=1e-3)
    assert loose.success[6] and not loose.spurious[3] and loose.other[3]
