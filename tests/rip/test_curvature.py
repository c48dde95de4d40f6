"""The curvature SDP μ*(X, Z, δ, g) (docs/mathematics.md §1.4): values, invariants, and its checkers."""

import math

import numpy as np
import pytest

import certify
from certify import rip
from certify.errors import InputError

X2 = np.array([0.0, 1.0 / math.sqrt(2.0)])
Z2 = np.array([1.0, 0.0])


@pytest.fixture(scope="module")
def at055():
    return rip.curvature(X2, Z2, 0.55)


def test_two_by_two_zero_at_half():
    res = rip.curvature(X2, Z2, 0.5)
    assert res.kind == "degenerate"
    assert abs(res.mu) < 1e-6 and abs(res.mu_upper) < 1e-6
    assert res.certificate is None
    assert res.verify().ok


def test_two_by_two_strict_minimum_above_half(at055):
    assert at055.kind == "strict-minimum"
    assert at055.mu > 0.5 and at055.mu_upper - at055.mu < 1e-6
    rep = at055.verify()
    assert rep.ok, rep.failures
    cert = at055.certificate
    assert cert is not None
    vrep = cert.verify()
    assert vrep.ok and vrep.strict
    assert cert.delta <= 0.55 + 1e-7
    # the certificate's curvature equals mu (n = d and ||ZZ^T|| = 1, optimal scale ~ 1)
    assert vrep.hess_min == pytest.approx(at055.mu * vrep.rip_scale, rel=1e-6)
    res6 = rip.curvature(X2, Z2, 0.6)
    assert res6.mu > at055.mu > 0


def test_two_by_two_strict_saddle_below_half():
    res = rip.curvature(X2, Z2, 0.45)
    assert res.kind == "strict-saddle" and res.mu_upper < 0
    assert res.verify().ok


def test_two_by_two_infeasible_at_0_3_with_farkas():
    res = rip.curvature(X2, Z2, 0.3)
    assert not res.feasible and res.kind == "infeasible"
    assert res.min_grad_lower > 0.0
    rep = res.verify()
    assert rep.ok
    # negative: a wrong Farkas vector proves nothing
    res.dual = {"y": np.zeros_like(res.dual["y"])}
    assert not res.verify().ok


def test_strict_saddle_at_zero_for_random_z():
    rng = np.random.default_rng(3)
    z = rng.standard_normal(5)
    res = rip.curvature(np.zeros(5), z, 0.3)
    assert res.kind == "strict-saddle"
    assert res.verify().ok
    # rank-1 z, X = 0: μ* = -4 (1 - δ) (the Hessian is 4 I ⊗ S with <S, zz^T/||z||^2> <= -(1 - δ))
    assert res.mu_upper == pytest.approx(-4 * 0.7, abs=1e-6)
    assert res.mu == pytest.approx(-4 * 0.7, abs=1e-6)


def test_sign_of_mu_matches_delta_xz():
    rng = np.random.default_rng(11)
    x, z = rng.standard_normal(3), rng.standard_normal(3)
    d = rip.counterexample(x, z).delta
    above = rip.curvature(x, z, min(d + 0.02, 0.999))
    assert above.kind == "strict-minimum" and above.certificate is not None
    below = rip.curvature(x, z, d - 0.02)
    assert below.kind in ("infeasible", "strict-saddle")
    at = rip.curvature(x, z, d + 1e-6)
    assert at.mu > -1e-5


def test_monotone_in_delta_and_grad_tol():
    rng = np.random.default_rng(5)
    X, Z = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    mus = []
    for delta in (0.9, 0.95, 0.99):
        res = rip.curvature(X, Z, delta, grad_tol=0.5)
        assert res.feasible
        mus.append(res.mu_upper)
    assert all(b >= a - 1e-6 for a, b in zip(mus, mus[1:], strict=False))
    a = rip.curvature(X, Z, 0.9, grad_tol=0.5)
    b = rip.curvature(X, Z, 0.9, grad_tol=1.0)
    assert b.mu_upper >= a.mu_upper - 1e-6
    assert a.verify().ok and b.verify().ok


def test_tampered_claims_are_rejected(at055):
    import copy

    res = copy.deepcopy(at055)
    res.mu += 1e-3
    assert not res.verify().ok
    res = copy.deepcopy(at055)
    res.mu_upper -= 1e-3
    assert not res.verify().ok
    res = copy.deepcopy(at055)
    W = np.asarray(res.dual["W"])
    res.dual = {"y": res.dual["y"], "W": W + np.eye(W.shape[0])}
    assert not res.verify().ok
    res = copy.deepcopy(at055)
    res.delta = 0.5  # the operator does not fit a 0.5-band
    assert not res.verify().ok


def test_certificate_curvature_claim_is_checked(at055, tmp_path):
    cert = at055.certificate
    path = cert.save(tmp_path / "strict.json")
    loaded = certify.load(path)
    assert loaded.verify().ok
    loaded.formulation["hess_min"] = loaded.formulation["hess_min"] + 0.1
    rep = loaded.verify()
    assert not rep.ok and any("curvature_claim" in f for f in rep.failures)


def test_profile_and_plot(tmp_path):
    prof = rip.curvature_profile(X2, Z2, [0.3, 0.5, 0.6])
    kinds = [r["kind"] for r in prof.rows]
    assert kinds == ["infeasible", "degenerate", "strict-minimum"]
    assert "delta" in prof.table()
    prof.plot(tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000
    prof.save(tmp_path / "p.json")


def test_saddle_map_below_half_has_no_minimum():
    m = rip.saddle_map(0.4, [0.5, 1.0], [0.0, math.pi / 3, math.pi / 2])
    kinds = set(m.kind.ravel())
    assert "strict-minimum" not in kinds and "degenerate" not in kinds and "error" not in kinds
    assert m.kind[1, 0] == "ground-truth"
    assert np.nanmax(m.mu_upper) < 0


@pytest.mark.parametrize(
    "kwargs",
    [dict(delta=1.0), dict(delta=-0.1), dict(delta="a"), dict(delta=0.5, grad_tol=-1.0), dict(delta=0.5, grad_tol=math.inf)],
)
def test_bad_input(kwargs):
    with pytest.raises(InputError):
        rip.curvature(X2, Z2, **kwargs)


def test_bad_shapes():
    with pytest.raises(InputError):
        rip.curvature(np.zeros(3), Z2, 0.5)
    with pytest.raises(InputError):
        rip.curvature(X2, np.zeros(2), 0.5)


# -- the command ----------------------------------------------------------------------------------
def test_cli_curvature_strict_writes_certificate(tmp_path, capsys):
    from certify.cli import main

    out = tmp_path / "strict.json"
    assert main(["curvature", "--x", "[0, 0.7071067811865476]", "--z", "[1, 0]", "--delta", "0.55", "-o", str(out)]) == 0
    assert "strict-minimum" in capsys.readouterr().out
    assert main(["verify", str(out)]) == 0


def test_cli_curvature_profile_json(tmp_path, capsys):
    import json

    from certify.cli import main

    rc = main(["curvature", "--x", "[0, 0.7071067811865476]", "--z", "[1, 0]", "--delta", "0.3:0.6:3", "--json",
               "--plot", str(tmp_path / "p.png")])
    assert rc == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["kind"] for r in d["rows"]] == ["infeasible", "strict-saddle", "strict-minimum"]


@pytest.mark.parametrize("delta", ["1.5", "a", "0.3:0.5:0", ""])
def test_cli_curvature_bad_delta(delta, capsys):
    from certify.cli import main

    assert main(["curvature", "--x", "[0, 1]", "--z", "[1, 0]", "--delta", delta]) == 2
    err = capsys.readouterr().err
    assert err.startswith("certify: error:") and err.count("\n") == 1


def test_sgd_leaves_a_certified_strict_saddle():
    from certify.nonconvex import sensing

    res = rip.curvature(X2, Z2, 0.45)
    assert res.kind == "strict-saddle"
    X0 = np.repeat(X2[None, :, None], 1000, axis=0)  # started exactly at X
    eta = sensing.default_step_size(res.operator, Z2, "sgd", 1)
    out = sensing.sgd(res.operator, Z2, X0, steps=3000, step_size=eta, batch=1, seed=0)
    left = sensing.distance_to_orbit(out.X, X2[:, None]) > 0.1
    assert left.mean() >= 0.99
    assert (sensing.distance_to_solutions(out.X, Z2) <= 1e-3).mean() >= 0.95
