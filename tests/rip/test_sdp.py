import numpy as np
import pytest

from certify import InputError, NoCounterexampleError, SolverError, SolverUnavailableError, rip
from certify.linalg import orth
from certify.rip.lmi import dual_lower_bound, first_order_residual, lmi_data, project_first_order
from certify.solvers import resolve_solver


def test_zhang2018_bounds_bracket_one_half(zhang):
    x, z = zhang
    cert = rip.counterexample(x, z)
    assert cert.delta_lower <= 0.5 <= cert.delta
    assert cert.delta - cert.delta_lower < 1e-6
    rep = cert.verify()
    assert rep.ok, rep.failures
    assert np.isclose(rep.f_value, 0.75, atol=1e-6)  # f(x̂) = 3/4 at the optimal scaling
    assert rep.delta_lower == pytest.approx(cert.delta_lower, abs=1e-12)
    assert cert.X.shape == (2, 1) and cert.Z.shape == (2, 1)


def _random_instances():
    rng = np.random.default_rng(2024)
    out = []
    for n, r, rs in [(3, 1, 1), (5, 1, 1), (8, 1, 1), (4, 2, 1), (5, 2, 2), (6, 2, 2)]:
        out.append((rng.standard_normal((n, r)), rng.standard_normal((n, rs))))
    return out


@pytest.mark.parametrize("k", range(6))
def test_projected_and_direct_formulations_agree(k):
    X, Z = _random_instances()[k]
    a = rip.counterexample(X, Z)
    b = rip.counterexample(X, Z, project=False)
    assert abs(a.delta - b.delta) < 1e-6
    assert abs(a.delta_lower - b.delta_lower) < 1e-6
    if X.shape[0] <= 4:  # the literal full-n^2 formulation of eq. 23
        c = rip.counterexample(X, Z, project=False, basis="vec")
        assert abs(a.delta - c.delta) < 1e-6


def test_delta_invariances():
    rng = np.random.default_rng(7)
    X, Z = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    base = rip.counterexample(X, Z).delta
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    R = np.linalg.qr(rng.standard_normal((2, 2)))[0]
    assert abs(rip.counterexample(Q @ X, Q @ Z).delta - base) < 1e-6  # rotate the space
    assert abs(rip.counterexample(X @ R, -Z).delta - base) < 1e-6  # rotate the factors
    assert abs(rip.counterexample(3.7 * X, 3.7 * Z).delta - base) < 1e-6  # scale
    E = orth(rng.standard_normal((9, 4)))  # isometric embedding into R^9
    assert abs(rip.counterexample(E @ X, E @ Z).delta - base) < 1e-6


def test_large_n_compact_operator_is_verified():
    rng = np.random.default_rng(0)
    n = 3000
    Q = np.linalg.qr(rng.standard_normal((n, 2)))[0]
    cert = rip.counterexample(Q[:, 1] / np.sqrt(2), Q[:, 0])
    assert cert.operator.n == n and cert.operator.d == 2
    assert abs(cert.delta - 0.5) < 1e-6
    rep = cert.verify()
    assert rep.ok
    # the complement block of the Hessian is 4 x^T x = 2 > 0
    assert rep.hess_max_abs >= 2.0 - 1e-9


def test_scs_is_selectable(zhang):
    x, z = zhang
    cert = rip.counterexample(x, z, solver="scs", gap_tol=1e-4)
    assert cert.solver["name"] == "SCS"
    assert cert.delta_lower <= 0.5 + 1e-9 <= cert.delta + 2e-9


@pytest.mark.parametrize(
    "X, Z, err, match",
    [
        ([np.nan, 1.0], [1.0, 0.0], InputError, "NaN"),
        ([np.inf, 1.0], [1.0, 0.0], InputError, "NaN"),
        ([1.0, 0.0, 0.0], [1.0, 0.0], InputError, "same number of rows"),
        (np.zeros((2, 2, 2)), [1.0, 0.0], InputError, "shape"),
        ([0.0, 1.0], [0.0, 0.0], InputError, "zero"),
        ([1.0, 0.0], [-1.0, 0.0], InputError, "global minimizer"),
        ([[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]], InputError, "global minimizer"),
        ([2.0, 1.0], [4.0, 2.0], NoCounterexampleError, "colinear"),
        ([-1.0, 0.0], [2.0, 0.0], NoCounterexampleError, "colinear"),
    ],
)
def test_bad_instances_raise_clear_errors(X, Z, err, match):
    with pytest.raises(err, match=match):
        rip.counterexample(X, Z)


def test_zero_x_has_no_counterexample():
    with pytest.raises(NoCounterexampleError):
        rip.counterexample([0.0, 0.0], [1.0, 0.0])


def test_solver_selection_errors(monkeypatch, zhang):
    x, z = zhang
    with pytest.raises(InputError, match="unknown solver"):
        rip.counterexample(x, z, solver="GUROBI")
    with pytest.raises(InputError, match="unknown solver"):
        resolve_solver(3)
    import certify.solvers as S

    monkeypatch.setattr(S, "mosek_licence_ok", lambda: (False, "no usable MOSEK licence (test)"))
    with pytest.raises(SolverUnavailableError, match="MOSEK"):
        rip.counterexample(x, z, solver="MOSEK")
    with pytest.raises(InputError, match="direct formulation"):
        rip.counterexample(np.ones(20), np.arange(20.0), project=False)
    with pytest.raises(InputError, match="basis"):
        rip.counterexample(x, z, basis="full")


def test_inaccurate_solve_is_an_error_not_a_number(zhang):
    x, z = zhang
    # SCS stopped after a handful of iterations cannot close the gap: a clear error
    with pytest.raises(SolverError, match="gap|did not solve"):
        rip.counterexample(x, z, solver="SCS", settings={"max_iters": 5, "eps_abs": 1e-3, "eps_rel": 1e-3})


def test_dual_bound_is_valid_for_any_dual_point_and_detects_tampering(zhang):
    x, z = zhang
    cert = rip.counterexample(x, z)
    P, s = cert.dual.P, cert.dual.scale
    data = lmi_data(s * P.T @ cert.X, s * P.T @ cert.Z, "svec")
    assert dual_lower_bound(data, cert.dual.y, cert.dual.V) == pytest.approx(cert.delta_lower, abs=1e-12)
    rng = np.random.default_rng(1)
    for _ in range(20):  # arbitrary (y, V): always a valid, weaker bound
        y = rng.standard_normal(cert.dual.y.shape)
        B = rng.standard_normal(cert.dual.V.shape)
        assert dual_lower_bound(data, y, B @ B.T) <= cert.delta + 1e-9
    V2 = cert.dual.V.copy()
    V2[0, 0] += 1.0
    assert dual_lower_bound(data, cert.dual.y, V2) < cert.delta_lower - 1e-3
    with pytest.raises(InputError):
        dual_lower_bound(data, cert.dual.y[:-1], cert.dual.V)


def test_first_order_projection_is_exact():
    rng = np.random.default_rng(3)
    X, Z = rng.standard_normal((3, 2)), rng.standard_normal((3, 1))
    data = lmi_data(X, Z, "svec")
    H = rng.standard_normal((data.s, data.s))
    H2 = project_first_order(data, H)
    assert np.linalg.norm(first_order_residual(data, H2)) < 1e-10 * np.linalg.norm(H)
    assert np.allclose(H2, H2.T)
