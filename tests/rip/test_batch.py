"""rip.delta_batch: brackets for many instances, their checks against the kernel, bad input."""

import math
import warnings

import numpy as np
import pytest

from certify import InputError, NoCounterexampleError, rip
from certify.check.duality import (
    dual_lower_bound,
    lmi_data,
    project_first_order,
    second_order_matrix,
)
from certify.check.operators import CompactOperator
from certify.linalg import rotation_complement, sym, sym_basis
from certify.rip import conic
from certify.rip.batch import dual_bound_batch, project_first_order_batch, second_order_batch

SHAPES = [(2, 1, 1, 30), (5, 1, 1, 20), (3, 2, 1, 12), (4, 2, 2, 8)]


def _stack(n, r, rs, K, seed=0):
    rng = np.random.default_rng([seed, n, r, rs])
    return rng.standard_normal((K, n, r)), rng.standard_normal((K, n, rs))


@pytest.mark.parametrize("n, r, rs, K", SHAPES)
def test_batch_brackets_are_checked_by_the_kernel(n, r, rs, K):
    """Every bracket: the kernel recomputes delta (the lifted operator's RIP constant) and
    delta_lower (the dual point's bound) from the stored point, and verifies the certificate."""
    Xs, Zs = _stack(n, r, rs, K)
    res = rip.delta_batch(Xs, Zs, keep_points=True)
    assert len(res) == K and set(res.status) <= {"ok", "no-counterexample"}
    for k in range(K):
        if res.status[k] != "ok":
            assert res.delta[k] == 1.0 and res.delta_lower[k] >= 1 - 1e-9
            continue
        P, dual_scale, y, V, H, exp = res.points[k]
        assert exp is None
        d = P.shape[1]
        B = sym_basis(d)
        op = CompactOperator(P, sym(B @ H @ B.T + np.eye(d * d) - B @ B.T))
        assert abs(op.rip_constant().delta - res.delta[k]) < 1e-12
        data = lmi_data(dual_scale * (P.T @ Xs[k]), dual_scale * (P.T @ Zs[k]), "svec")
        # the batch evaluates the bound on the power-of-two normalized instance: the same number up to
        # the rounding of the data (the kernel's own tolerance is 1e-7)
        assert abs(dual_lower_bound(data, y, V) - res.delta_lower[k]) < 1e-9
        assert res.delta_lower[k] <= res.delta[k] + 1e-9
        assert res.delta[k] - res.delta_lower[k] <= 1e-6
        if k < 3:
            cert = res.certificate(k)
            rep = cert.verify()
            assert rep.ok, rep.failures


@pytest.mark.parametrize("n, r, rs, K", SHAPES)
def test_batch_matches_single_instances(n, r, rs, K):
    Xs, Zs = _stack(n, r, rs, K)
    res = rip.delta_batch(Xs, Zs)
    for k in range(min(K, 6)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                c = rip.counterexample(Xs[k], Zs[k])
        except NoCounterexampleError:  # pragma: no cover - depends on the draw
            assert res.status[k] == "no-counterexample"
            continue
        assert res.status[k] == "ok"
        assert abs(c.delta - res.delta[k]) < 1e-7
        assert abs(c.delta_lower - res.delta_lower[k]) < 1e-7


def test_batch_against_the_cvxpy_reference():
    Xs, Zs = _stack(3, 2, 1, 5, seed=3)
    a = rip.delta_batch(Xs, Zs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        b = rip.delta_batch(Xs, Zs, backend="cvxpy")
    assert (a.status == b.status).all() and set(b.method) == {"scalar"}
    ok = a.ok
    assert np.all(np.abs(a.delta[ok] - b.delta[ok]) < 1e-7)
    assert np.all(np.abs(a.delta_lower[ok] - b.delta_lower[ok]) < 1e-7)


@pytest.mark.parametrize("mode", ["update", "block"])
def test_solve_modes_agree(mode):
    Xs, Zs = _stack(2, 1, 1, 25, seed=1)
    a = rip.delta_batch(Xs, Zs)
    b = rip.delta_batch(Xs, Zs, mode=mode)
    ok = a.ok & b.ok
    assert ok.sum() >= 20
    # different solver paths: both brackets contain δ(X, Z)
    assert np.all(b.delta_lower[ok] <= a.delta[ok] + 1e-9) and np.all(a.delta_lower[ok] <= b.delta[ok] + 1e-9)
    assert np.all(np.abs(a.delta[ok] - b.delta[ok]) < 1e-6)


def test_kernel_checks_and_certificates_on_request():
    Xs, Zs = _stack(4, 2, 1, 6, seed=2)
    a = rip.delta_batch(Xs, Zs)
    b = rip.delta_batch(Xs, Zs, check="kernel", certificates=True)
    assert (a.status == b.status).all()
    ok = a.ok
    assert np.all(np.abs(a.delta[ok] - b.delta[ok]) < 1e-10)
    assert np.all(np.abs(a.delta_lower[ok] - b.delta_lower[ok]) < 1e-10)
    for k in np.flatnonzero(ok):
        cert = b.certificates[k]
        assert cert.verification is not None and cert.verify().ok
        assert cert.delta == pytest.approx(b.delta[k], abs=1e-12)
    assert a.certificates is None


# --- the vectorized formulas are the kernel's --------------------------------------------------------
@pytest.mark.parametrize("n, r", [(2, 1), (3, 2), (5, 3)])
def test_vectorized_formulas_equal_the_kernel(n, r):
    rng = np.random.default_rng(n * r)
    K = 4
    X, Z = rng.standard_normal((K, n, r)), rng.standard_normal((K, n, 2))
    C = np.stack([rotation_complement(X[k]) for k in range(K)])
    lay = conic.layout("delta", n, r, C.shape[2])
    e, J = conic.instance_arrays(lay, X, Z)
    s, Nr = lay.s, n * r
    H = rng.standard_normal((K, s, s))
    H = 0.5 * (H + np.swapaxes(H, 1, 2))
    y = rng.standard_normal((K, Nr))
    B = rng.standard_normal((K, Nr, Nr))
    V = B @ np.swapaxes(B, 1, 2) - 0.5 * np.eye(Nr)  # not PSD: the projection must happen
    Hr = project_first_order_batch(e, J, H)
    M = second_order_batch(lay, e, J, H)
    dl = dual_bound_batch(lay, e, J, y, V)
    for k in range(K):
        data = lmi_data(X[k], Z[k])
        assert np.allclose(Hr[k], project_first_order(data, H[k]), atol=1e-10)
        assert np.allclose(M[k], second_order_matrix(data, H[k]), atol=1e-10)
        assert abs(dl[k] - dual_lower_bound(data, y[k], V[k])) < 1e-12


# --- bad input ---------------------------------------------------------------------------------
def test_bad_input_is_refused_clearly():
    x = np.random.default_rng(0).standard_normal((3, 2, 1))
    with pytest.raises(InputError, match="mixed shapes"):
        rip.delta_batch([np.ones((2, 1)), np.ones((3, 1))], [np.ones((2, 1)), np.ones((3, 1))])
    with pytest.raises(InputError, match="empty"):
        rip.delta_batch([], [])
    with pytest.raises(InputError, match="empty"):
        rip.delta_batch(np.zeros((0, 2, 1)), np.zeros((0, 2, 1)))
    bad = x.copy()
    bad[1, 0, 0] = np.nan
    with pytest.raises(InputError, match="instance.*1.*NaN"):
        rip.delta_batch(bad, x)
    bad[1, 0, 0] = np.inf
    with pytest.raises(InputError, match="NaN or infinite"):
        rip.delta_batch(x, bad)
    with pytest.raises(InputError, match="same K and n"):
        rip.delta_batch(x, x[:2])
    with pytest.raises(InputError, match="complex"):
        rip.delta_batch(x + 0j, x)
    with pytest.raises(InputError, match="zero"):
        rip.delta_batch(x, np.zeros_like(x))
    with pytest.raises(InputError, match="shape"):
        rip.delta_batch(np.ones((2, 2, 2, 2)), np.ones((2, 2, 2, 2)))
    for kw in ({"mode": "fast"}, {"check": "none"}, {"gap_tol": 0.0}, {"gap_tol": "1e-6"}, {"certificates": 1},
               {"block": 0}, {"backend": "gurobi"}, {"settings": [1]}):
        with pytest.raises(InputError):
            rip.delta_batch(x, x, **kw)


def test_colinear_and_global_minimizers_get_a_status_not_a_silent_number():
    z = np.array([1.0, 0.0])
    Xs = np.array([[0.0, 1 / math.sqrt(2)],  # the 2x2 example: δ = 1/2
                   [2.0, 0.0],  # colinear: δ = 1
                   [-1.0, 0.0],  # x x^T = z z^T: global minimizer
                   [0.0, 0.0],  # x = 0: δ = 1 (closed form)
                   [1e-3, 1.0]])[:, :, None]
    Zs = np.broadcast_to(z, (5, 2))[:, :, None]
    res = rip.delta_batch(Xs, Zs)
    assert list(res.status) == ["ok", "no-counterexample", "global-minimizer", "no-counterexample", "ok"]
    assert res.delta_lower[0] <= 0.5 <= res.delta[0] and res.delta[0] - res.delta_lower[0] < 1e-6
    assert res.delta[1] == 1.0 and res.delta_lower[1] == 1.0 and "colinear" in res.message[1]
    assert np.isnan(res.delta[2]) and np.isnan(res.delta_lower[2]) and "global minimizer" in res.message[2]
    assert res.delta[3] == 1.0 and res.delta_lower[3] >= 1 - 1e-9
    assert res.counts() == {"ok": 2, "no-counterexample": 2, "global-minimizer": 1, "failed": 0}
    assert "5 instances" in res.summary()


def test_scales_and_a_list_input():
    rng = np.random.default_rng(8)
    X, Z = rng.standard_normal((3, 3, 1)), rng.standard_normal((3, 3, 1))
    base = rip.delta_batch(X, Z)
    for c in (1e-120, 1e150):
        res = rip.delta_batch(list(c * X), list(c * Z))
        assert np.allclose(res.delta, base.delta, atol=1e-8)
    res = rip.delta_batch(1e250 * X, 1e250 * Z, keep_points=True)  # stored normalized: verify still passes
    assert np.allclose(res.delta, base.delta, atol=1e-8)
    cert = res.certificate(0)
    assert "instance_normalized" in cert.flags and cert.verify().ok
