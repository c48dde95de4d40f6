"""The search on the compiled core: structured starts, the batched dual-model gradient, workers."""

import math

import numpy as np
import pytest

from certify import rip
from certify.check.duality import dual_lower_bound, lmi_data
from certify.errors import InputError
from certify.rip.search import SEARCH_SETTINGS, _Objective, family_point


def test_family_start_reaches_the_sharp_value_at_once():
    best = rip.search_sharp_delta(3, 2, 1, restarts=1, seed=0)
    h = best.history[0]
    assert h["start_kind"] == "family"
    assert abs(best.delta - (2 - math.sqrt(2))) < 1e-7  # 1/(1 + 1/sqrt 2), sharp for r* = 1
    assert h["evaluations"] < 40
    assert best.best_restarts == [{"restart": 0, "start_kind": "family", "best": h["best"]}]
    assert best.certificate.verify().ok
    assert "best found by restart(s) 0 (family)" in best.summary()
    assert best.to_dict()["best_restarts"][0]["start_kind"] == "family"


def test_start_kinds_and_the_random_only_mode():
    a = rip.search_sharp_delta(2, 1, 1, restarts=3, seed=1, max_iter=5)
    assert [h["start_kind"] for h in a.history] == ["family", "near-family", "random"]
    b = rip.search_sharp_delta(2, 1, 1, restarts=2, seed=1, max_iter=5, structured_starts=0)
    assert [h["start_kind"] for h in b.history] == ["random", "random"]
    # restart k alone (as the sweep's search-restarts kind runs it) is the same as inside the search
    c = rip.search_sharp_delta(2, 1, 1, restarts=1, seed=1, max_iter=5, start=2)
    assert c.history[0]["start_kind"] == "random" and c.history[0]["best"] == a.history[2]["best"]
    with pytest.raises(InputError):
        rip.search_sharp_delta(2, 1, 1, restarts=1, structured_starts=-1)
    with pytest.raises(InputError):
        rip.search_sharp_delta(2, 1, 1, restarts=1, workers=0)


def test_workers_give_the_same_result():
    a = rip.search_sharp_delta(2, 1, 1, restarts=3, seed=4, max_iter=8)
    b = rip.search_sharp_delta(2, 1, 1, restarts=3, seed=4, max_iter=8, workers=2)
    assert [h["best"] for h in a.history] == [h["best"] for h in b.history]
    assert a.evaluations == b.evaluations and a.delta == b.delta


def test_batched_model_gradient_equals_the_kernel_finite_differences():
    rng = np.random.default_rng(6)
    obj = _Objective(4, 2, 2, None, SEARCH_SETTINGS, "clarabel")
    theta = _Objective.normalize(rng.standard_normal(16), 4, 2, 2)
    X, Z = obj.split(theta)
    cert = rip.counterexample(X, Z)
    d = cert.dual
    g = obj.model_gradient(theta, d)
    h = 1e-6
    for i in range(0, 16, 3):
        e = np.zeros(16)
        e[i] = h
        vals = []
        for th in (theta + e, theta - e):
            Xt, Zt = obj.split(th)
            vals.append(dual_lower_bound(lmi_data(d.scale * (d.P.T @ Xt), d.scale * (d.P.T @ Zt), d.basis), d.y, d.V))
        assert g[i] == pytest.approx((vals[0] - vals[1]) / (2 * h), abs=1e-6)


@pytest.mark.parametrize("r, rs", [(2, 1), (3, 2), (4, 2)])
def test_family_point_is_the_sufficient_condition(r, rs):
    X, Z = family_point(r + rs, r, rs)
    assert np.allclose(Z.T @ Z, np.eye(rs)) and np.allclose(X.T @ Z, 0.0)
    assert np.allclose(X.T @ X, math.sqrt(rs) / (math.sqrt(r) + math.sqrt(rs)) * np.eye(r))
    if r + rs <= 5:
        c = rip.counterexample(X, Z)
        assert abs(c.delta - 1 / (1 + math.sqrt(rs / r))) < 1e-8


def test_explicit_backends_for_the_descent():
    for backend in ("clarabel", "ipm"):
        best = rip.search_sharp_delta(2, 1, 1, restarts=1, seed=0, backend=backend)
        assert abs(best.delta - 0.5) < 1e-6 and best.settings["backend"] == backend
    auto = rip.search_sharp_delta(2, 1, 1, restarts=1, seed=0)
    assert auto.settings["backend"] == "auto"
