"""Curvature-SDP result files: float verification and the exact check of every claim (Farkas
vectors, mu, mu_upper), with negative tests."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from certify.check.exact.curvature import sqrt_down, sqrt_up
from certify.curvature_file import CurvatureFile
from certify.errors import CertificateFormatError
from certify.rip.curvature import curvature

pytest.importorskip("flint", reason="needs python-flint (certify[exact])")

X_HAT = np.array([0.0, 1.0 / np.sqrt(2.0)])
Z_HAT = np.array([1.0, 0.0])


@pytest.fixture(scope="module")
def results():
    out = {}
    for d in (0.3, 0.45, 0.55):
        res = curvature(X_HAT, Z_HAT, d, certificate=False)
        out[d] = json.loads(json.dumps(res.to_dict()))
    X = np.array([[1.0, 0.0], [0.0, 0.3], [0.0, 0.0]])
    Z = np.array([[0.2], [0.5], [1.0]])
    out["rank2"] = json.loads(json.dumps(curvature(X, Z, 0.6, certificate=False).to_dict()))
    return out


def _verdicts(rep):
    return {c["claim"]: c["verdict"] for c in rep.claims}


@pytest.mark.parametrize("key,kind", [(0.3, "infeasible"), (0.45, "strict-saddle"), (0.55, "strict-minimum"),
                                      ("rank2", "infeasible")])
def test_every_claim_proved(results, key, kind):
    d = results[key]
    assert d["kind"] == kind
    cf = CurvatureFile.from_dict(d)
    assert cf.verify().ok
    rep = cf.verify_exact()
    assert rep.outcome == "proved", rep.reason
    v = _verdicts(rep)
    if kind == "infeasible":
        assert v["infeasible"] == v["min_grad_lower"] == "proved"
    else:
        assert v["mu"] == v["mu_upper"] == "proved"


def test_saddle_certificate_bounds_the_whole_class(results):
    """mu_upper < 0, proved exactly: at x_hat with delta = 0.45 every RIP operator has a negative curvature direction."""
    rep = CurvatureFile.from_dict(results[0.45]).verify_exact()
    up = [c for c in rep.claims if c["claim"] == "mu_upper"][0]
    assert up["verdict"] == "proved" and up["proved_float"] < -0.8


def test_tampered_farkas_vector_is_rejected(results):
    d = copy.deepcopy(results[0.3])
    d["dual"]["y"] = (-np.asarray(d["dual"]["y"]) * 0 + 1e-3 * np.ones(len(d["dual"]["y"]))).tolist()
    cf = CurvatureFile.from_dict(d)
    assert not cf.verify().ok
    assert cf.verify_exact().outcome != "proved"


def test_overclaimed_min_grad_lower_is_not_proved(results):
    d = copy.deepcopy(results[0.3])
    d["min_grad_lower"] *= 1.001
    cf = CurvatureFile.from_dict(d)
    assert not cf.verify().ok
    assert _verdicts(cf.verify_exact())["min_grad_lower"] == "undecided"


@pytest.mark.parametrize("field,change", [("mu", 1e-6), ("mu_upper", -1e-6)])
def test_false_mu_claims_are_not_proved(results, field, change):
    d = copy.deepcopy(results[0.55])
    d[field] += change
    cf = CurvatureFile.from_dict(d)
    assert not cf.verify().ok
    rep = cf.verify_exact()
    assert rep.outcome != "proved" and _verdicts(rep)[field] == "undecided"


def test_saddle_claim_with_a_positive_mu_upper_changed_sign_is_not_proved(results):
    d = copy.deepcopy(results[0.45])
    d["mu_upper"] = -abs(d["mu_upper"]) - 0.1  # claims an even more negative curvature bound
    assert CurvatureFile.from_dict(d).verify_exact().outcome != "proved"


def test_missing_dual_point_is_not_proved(results):
    d = copy.deepcopy(results[0.55])
    d["dual"] = None
    cf = CurvatureFile.from_dict(d)
    assert not cf.verify().ok
    assert _verdicts(cf.verify_exact())["mu_upper"] == "undecided"


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(format="x"), lambda d: d.update(delta="0.5"), lambda d: d.update(delta=1.5),
    lambda d: d["instance"].update(X=[[1, 2], [3]]), lambda d: d.update(feasible="yes"),
    lambda d: d["dual"].update(y=[[[1]]]), lambda d: d.update(mu=float("nan")),
])
def test_malformed_files_are_format_errors(results, mutate):
    d = copy.deepcopy(results[0.55])
    mutate(d)
    with pytest.raises(CertificateFormatError):
        CurvatureFile.from_dict(d)


@pytest.mark.parametrize("q", [2, 3, 10**40 + 7, 1e-30, 0.5])
def test_exact_square_root_bounds(q):
    from fractions import Fraction

    q = Fraction(q)
    lo, hi = sqrt_down(q), sqrt_up(q)
    assert lo * lo <= q <= hi * hi
    assert hi - lo <= hi * Fraction(1, 2**70)
