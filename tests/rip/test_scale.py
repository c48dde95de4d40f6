"""Scale, overflow and cancellation: δ(X, Z) is scale-invariant, and the checks that refuse an
instance (global minimizer, colinear, zero ground truth) must be decided on scale-free figures
computed without overflow or cancellation."""

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

from certify import InputError, NoCounterexampleError, SolverError, rip
from certify.linalg import COLINEAR_TOL, GLOBAL_MIN_RTOL, as_factor, as_pair, as_real_array, normalize_pair
from certify.rip.sdp import STORE_EXPONENT_LIMIT, check_instance, check_pair, first_order_lower_bound

X_HAT = np.array([0.0, 1.0 / np.sqrt(2.0)])
Z_HAT = np.array([1.0, 0.0])


@pytest.fixture(autouse=True)
def _quiet_inaccurate():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*reported 'optimal_inaccurate'.*")
        yield


def _rel_dist_exact(theta):
    """Z = [e1, e2], X = [cos θ e1 + sin θ e3, e2] in R^4 (then rotated): ||XX^T - ZZ^T|| / ||ZZ^T||
    = sqrt(2) sin θ / sqrt(2) = sin θ."""
    Z = np.eye(4)[:, :2]
    X = Z.copy()
    X[:, 0] = np.cos(theta) * np.eye(4)[:, 0] + np.sin(theta) * np.eye(4)[:, 2]
    return X, Z


# -- normalization ------------------------------------------------------------------------------


@pytest.mark.parametrize("c", [1e-300, 1e-150, 1e-100, 1.0, 3.7, 1e100, 1e150, 1e300])
def test_normalization_is_an_exact_power_of_two(c):
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow / underflow anywhere
        p = normalize_pair(c * X_HAT, c * Z_HAT)
    assert 0.5 <= max(np.max(np.abs(p.Xn)), np.max(np.abs(p.Zn))) < 1.0
    assert np.array_equal(p.Xn, np.ldexp(p.X, p.exponent)) and np.array_equal(p.X, np.ldexp(p.Xn, -p.exponent))
    assert p.rel_distance == pytest.approx(math.sqrt(1.25), rel=1e-14)  # ||xx^T - zz^T|| / ||zz^T|| = sqrt(1/4 + 1)
    assert p.rho == pytest.approx(1 / math.sqrt(2), rel=1e-14) and p.angle == pytest.approx(math.pi / 2, rel=1e-14)
    assert not p.colinear and not p.global_minimizer


def test_zero_ground_truth_only_when_exactly_zero():
    p = normalize_pair([1e300, 1e300], [1e-300, 0.0])  # ZZ^T underflows at any common scale, but Z != 0
    assert p.zz == 0.0 and p.rel_distance == math.inf
    with pytest.raises(InputError, match="ground truth is zero"):
        normalize_pair([1.0, 0.0], [0.0, 0.0])
    with pytest.raises(InputError, match="ground truth is zero"):
        normalize_pair([1.0, 0.0], [-0.0, 0.0])


def test_as_pair_refuses_a_scale_it_cannot_represent():
    X, Z, zz = as_pair(1e30 * X_HAT, 1e30 * Z_HAT)
    assert zz == pytest.approx(1e60, rel=1e-14) and np.array_equal(X[:, 0], 1e30 * X_HAT)
    for c in (1e200, 1e-200):  # ||ZZ^T|| = 1e400 / 1e-400 is not a double
        with pytest.raises(InputError, match="outside the double-precision range"):
            as_pair(c * X_HAT, c * Z_HAT)
        normalize_pair(c * X_HAT, c * Z_HAT)  # fine


# -- the published instance at every scale ---------------------------------------------------------


@pytest.mark.parametrize("c", [1e-150, 1e-100, 1e100, 1e150])
def test_published_instance_at_extreme_scales(c):
    cert = rip.counterexample(c * X_HAT, c * Z_HAT)
    assert abs(cert.delta - 0.5) < 1e-7 and abs(cert.delta_lower - 0.5) < 1e-7
    # the given scale would overflow/underflow f (~ c^4): the normalized instance is stored, and said so
    assert "instance_normalized" in cert.flags
    k = cert.formulation["instance_scale_exponent"]
    assert abs(k) > STORE_EXPONENT_LIMIT
    assert np.array_equal(cert.X[:, 0], np.ldexp(c * X_HAT, k)) and np.array_equal(cert.Z[:, 0], np.ldexp(c * Z_HAT, k))
    rep = cert.verify()
    assert rep.ok, rep.failures
    assert rep.delta_lower == pytest.approx(cert.delta_lower, abs=1e-12)


@pytest.mark.parametrize("c", [1e-40, 1e-10, 3.7, 1e10, 1e40])
def test_moderate_scales_keep_the_instance_as_given(c):
    cert = rip.counterexample(c * X_HAT, c * Z_HAT)
    assert abs(cert.delta - 0.5) < 1e-7
    assert "instance_normalized" not in cert.flags and "instance_scale_exponent" not in cert.formulation
    assert np.array_equal(cert.X[:, 0], c * X_HAT) and np.array_equal(cert.Z[:, 0], c * Z_HAT)
    rep = cert.verify()
    assert rep.ok, rep.failures
    assert cert.dual.lower_bound(cert.X, cert.Z) == pytest.approx(cert.delta_lower, abs=1e-12)


def test_general_rank_scale_invariance():
    rng = np.random.default_rng(11)
    X, Z = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    base = rip.counterexample(X, Z)
    for c in (1e-120, 1e120):
        cert = rip.counterexample(c * X, c * Z)
        assert abs(cert.delta - base.delta) < 1e-6 and abs(cert.delta_lower - base.delta_lower) < 1e-6
        assert cert.verify().ok


# -- overflow: [1e308, 1e308] against [1, 0] ----------------------------------------------------------


def test_huge_x_is_not_colinear_and_has_no_counterexample_below_one():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = normalize_pair([1e308, 1e308], [1.0, 0.0])
    assert p.angle == pytest.approx(math.pi / 4, rel=1e-14) and not p.colinear
    assert p.rho == pytest.approx(math.sqrt(2) * 1e308, rel=1e-14)
    assert first_order_lower_bound(p) == 1.0  # q = ||zz^T|| / ||xx^T - zz^T|| ~ 1e-616
    with pytest.raises(NoCounterexampleError) as info:
        rip.counterexample([1e308, 1e308], [1.0, 0.0])
    assert "colinear" not in str(info.value) and "first-order" in str(info.value)
    assert rip.closed_form_lower_bound([1e308, 1e308], [1.0, 0.0]) == 1.0
    assert rip.polar_coordinates([1e308, 1e308], [1.0, 0.0])[1] == pytest.approx(math.pi / 4, rel=1e-14)
    # and the other way round: x underflows at the common scale, its direction does not get lost
    p = normalize_pair([1e-300, 1e-300], [1e300, 0.0])
    assert not np.any(p.Xn) and p.angle == pytest.approx(math.pi / 4, rel=1e-14) and p.rel_distance == 1.0
    with pytest.raises(NoCounterexampleError, match="Theorem 12"):
        rip.counterexample([1e-300, 1e-300], [1e300, 0.0])


def test_first_order_bound_is_below_the_sdp_value():
    # the solver-free bound (1 - q) / (1 + q) is a valid lower bound on δ (checked against the dual)
    rng = np.random.default_rng(5)
    for n, r, rs in [(3, 1, 1), (4, 2, 2), (5, 3, 1)]:
        X, Z = 2.0 * rng.standard_normal((n, r)), rng.standard_normal((n, rs))
        lb = first_order_lower_bound(normalize_pair(X, Z))
        assert 0.0 < lb < 1.0
        assert rip.counterexample(X, Z).delta_lower >= lb - 1e-9
    # and it is weak or trivial (negative) when X X^T does not dominate Z Z^T
    assert first_order_lower_bound(normalize_pair(X_HAT, Z_HAT)) < 0.5
    assert first_order_lower_bound(normalize_pair([0.9, 0.1], Z_HAT)) < 0.0


# -- colinearity -------------------------------------------------------------------------------------


@pytest.mark.parametrize("a", [1e-3, 1e-4, 1e-5, 1e-6, 1e-7])
@pytest.mark.parametrize("rho", [1.0, 1 / np.sqrt(2)])
def test_near_colinear_is_not_colinear_and_delta_is_close_to_one(a, rho):
    x = rho * np.array([np.cos(a), np.sin(a)])
    p = normalize_pair(x, Z_HAT)
    assert not p.colinear and p.angle == pytest.approx(a, rel=1e-9)
    assert rip.polar_coordinates(x, Z_HAT)[1] == pytest.approx(a, rel=1e-9)
    lb = rip.closed_form_lower_bound(x, Z_HAT)
    assert 1.0 - 1e-5 < lb <= 1.0
    check_pair(x, Z_HAT)  # not refused
    try:
        cert = rip.counterexample(x, Z_HAT)
    except NoCounterexampleError as exc:  # δ within 1e-9 of 1: certified, not "colinear"
        assert "colinear" not in str(exc)
        assert "Theorem 12" in str(exc) or "dual certifies" in str(exc)
        assert lb >= 1.0 - 1e-9
    else:
        assert lb - 1e-7 <= cert.delta_lower <= cert.delta < 1.0
        assert cert.verify().ok


@pytest.mark.parametrize("c", [1e-200, 1.0, 1e200])
def test_small_angles_at_any_scale(c):
    for a in (1e-7, 1e-10, 1e-13):
        p = normalize_pair(c * np.array([np.cos(a), np.sin(a)]), c * Z_HAT)
        assert p.angle == pytest.approx(a, rel=1e-6) and not p.colinear
    # π - a: antiparallel, also not colinear
    a = 1e-9
    p = normalize_pair(c * np.array([-np.cos(a), np.sin(a)]), c * Z_HAT)
    assert p.angle == pytest.approx(math.pi - a, rel=1e-15) and p.sin_angle == pytest.approx(a, rel=1e-6)
    assert not p.colinear


@pytest.mark.parametrize(
    "x, z",
    [([2.0, 1.0], [4.0, 2.0]), ([-1.0, 0.0], [2.0, 0.0]), ([1e308, 1e308], [1.0, 1.0]), ([1e-300, 3e-300], [1.0, 3.0]),
     ([0.1, 0.2, 0.3], [0.3, 0.6, 0.9]), ([3 * np.cos(1e-17), 3 * np.sin(1e-17)], [1.0, 0.0])],
)
def test_exactly_colinear_is_refused(x, z):
    p = normalize_pair(x, z)
    assert p.colinear and p.sin_angle <= COLINEAR_TOL
    with pytest.raises(NoCounterexampleError, match="colinear"):
        rip.counterexample(x, z)


# -- cancellation: relative distance to the ground truth ----------------------------------------------


@pytest.mark.parametrize("d", [1e-7, 1.4e-8, 7e-9, 1.4e-9])
@pytest.mark.parametrize("c", [1.0, 1e-100, 1e100])
def test_small_relative_distances_are_not_global_minimizers(d, c):
    rng = np.random.default_rng(0)
    Q = np.linalg.qr(rng.standard_normal((4, 4)))[0]
    X, Z = _rel_dist_exact(math.asin(d))
    p = normalize_pair(c * (Q @ X), c * (Q @ Z))
    assert p.rel_distance == pytest.approx(d, rel=1e-5) and not p.global_minimizer
    check_instance(c * (Q @ X), c * (Q @ Z))  # not refused
    # rank 1: x = z rotated by θ, ||xx^T - zz^T|| / ||zz^T|| = sqrt(2) sin θ
    x = c * np.array([np.cos(math.asin(d / math.sqrt(2))), d / math.sqrt(2)])
    p1 = normalize_pair(x, c * Z_HAT)
    assert p1.rel_distance == pytest.approx(d, rel=1e-5) and not p1.global_minimizer and not p1.colinear
    with pytest.raises(NoCounterexampleError, match="Theorem 12"):  # δ ≈ 1 - d²/8: certified, not refused
        rip.counterexample(x, c * Z_HAT)


def test_counterexample_does_not_call_a_near_ground_truth_point_a_global_minimizer():
    X, Z = _rel_dist_exact(math.asin(1.4e-9))
    try:
        rip.counterexample(X, Z)
    except (NoCounterexampleError, SolverError) as exc:  # δ within ~1e-9 of 1: beyond double precision
        assert "global minimizer" not in str(exc)


@pytest.mark.parametrize("d", [1e-10, 1e-12, 0.0])
@pytest.mark.parametrize("c", [1.0, 1e-100, 1e100])
def test_global_minimizers_are_refused(d, c):
    X, Z = _rel_dist_exact(math.asin(d))
    p = normalize_pair(c * X, c * Z)
    assert p.global_minimizer and p.rel_distance <= GLOBAL_MIN_RTOL
    with pytest.raises(InputError, match="global minimizer"):
        rip.counterexample(c * X, c * Z)
    with pytest.raises(InputError, match="global minimizer"):
        rip.counterexample(c * X @ np.array([[0.0, 1.0], [1.0, 0.0]]), c * Z)  # X = Z R


def test_relative_distance_is_accurate_where_the_gram_identity_cancels():
    # ||XX^T||^2 + ||ZZ^T||^2 - 2 ||X^T Z||^2 loses everything below ~1e-8; the QR form does not
    for d in (1e-6, 1e-9, 1e-12, 1e-14):
        X, Z = _rel_dist_exact(math.asin(d))
        assert normalize_pair(X, Z).rel_distance == pytest.approx(d, rel=1e-2)


# -- complex and other non-real input -----------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [np.array([1.0 + 0j, 0.0]), np.array([1.0, 2j]), [1.0, 2j], [1 + 0j, 0.0], 1 + 0j, np.complex128(1.0),
     np.array([True, False]), [True, 0.5], ["1", "2"], [1.0, None], "[1, 2]", [[1.0, 2.0], [3.0]]],
)
def test_non_real_factors_are_refused(bad):
    with pytest.raises(InputError, match="^X: "):
        as_factor(bad, "X")
    with pytest.raises(InputError, match="^X: "):
        rip.counterexample(bad, Z_HAT)


def test_complex_refused_everywhere():
    with pytest.raises(InputError, match="complex"):
        rip.counterexample(X_HAT, np.array([1.0, 0.0], dtype=complex))
    with pytest.raises(InputError, match="complex"):
        rip.closed_form_lower_bound(X_HAT.astype(complex), Z_HAT)
    with pytest.raises(InputError, match="complex"):
        rip.polar_coordinates(X_HAT, [1.0, 1j])
    with pytest.raises(InputError, match="complex"):
        rip.closed_form_lower_bound_polar(1.0 + 0j, 0.3)
    with pytest.raises(InputError, match="complex"):
        normalize_pair(X_HAT, [1 + 0j, 0])


def test_real_number_types_are_accepted():
    for good in ([0, 1], np.array([0, 1], dtype=np.int32), np.array([0.0, 1.0], dtype=np.float32),
                 [Fraction(0), Fraction(1, 2)], [np.float64(0.0), np.int64(1)]):
        M = as_factor(good, "X")
        assert M.dtype == np.float64 and M.shape == (2, 1)
    assert as_real_array(3, "a").dtype == np.float64


# -- options of counterexample ------------------------------------------------------------------------


@pytest.mark.parametrize("gap_tol", [float("nan"), float("inf"), -1e-6, 0.0, "0.5", "1e-6", True, None, [1e-6], 1j])
def test_gap_tol_is_validated(gap_tol):
    with pytest.raises(InputError, match="^gap_tol: expected a real number > 0"):
        rip.counterexample(X_HAT, Z_HAT, gap_tol=gap_tol)


@pytest.mark.parametrize("gap_tol", [1, 1e-5, np.float32(1e-5), np.float64(1e-6), np.int64(1)])
def test_gap_tol_accepts_real_numbers(gap_tol):
    cert = rip.counterexample(X_HAT, Z_HAT, gap_tol=gap_tol)
    assert cert.formulation["gap_tol"] == float(gap_tol)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"project": "yes"}, "^project: expected True or False"), ({"project": 1}, "^project: expected True or False"),
     ({"verify": "no"}, "^verify: expected True or False"), ({"verify": None}, "^verify: expected True or False"),
     ({"settings": "max_iters=5"}, "^settings: expected a dict"), ({"basis": 3}, "^basis: expected 'svec' or 'vec'")],
)
def test_other_options_are_validated(kwargs, match):
    with pytest.raises(InputError, match=match):
        rip.counterexample(X_HAT, Z_HAT, **kwargs)
