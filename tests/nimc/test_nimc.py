"""Non-linear inductive matrix completion (certify.nimc): derivatives against finite
differences, population Hessian by independent routes, bounds of Lemma C.1 / Theorem D.5 with a
checker that rejects wrong values, GD recovery, and the phase-transition script."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from certify import nimc
from certify.errors import InputError
from certify.nimc import hessians as nimc_hessians

ROOT = Path(__file__).resolve().parents[2]
ACTS = ("sigmoid", "tanh", "relu", "linear")


def small_instance(act, d=4, k=3, n=20, m=60, seed=0, trials=None):
    Us, Vs = nimc.random_truth(d, k, seed=seed, trials=trials)
    data = nimc.sample_data(Us, Vs, n, n, m, act, seed=seed + 1)
    rng = np.random.default_rng(seed + 2)
    U = Us + 0.3 * rng.standard_normal(Us.shape)
    V = Vs + 0.3 * rng.standard_normal(Vs.shape)
    return data, U, V


def random_orthogonal(k, rng):
    return np.linalg.qr(rng.standard_normal((k, k)))[0]


# ----------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("act", ACTS)
def test_gradient_and_hessian_match_finite_differences(act):
    data, U, V = small_instance(act)
    d, k = U.shape
    w = nimc.pack(U, V)
    eps = 1e-6
    E = np.eye(w.size)

    def f(x):
        return nimc.loss(data, *nimc.unpack(x, d, k))

    def g(x):
        return nimc.pack(*nimc.gradient(data, *nimc.unpack(x, d, k)))

    grad = g(w)
    fd_grad = np.array([(f(w + eps * e) - f(w - eps * e)) / (2 * eps) for e in E])
    H = nimc.hessian(data, U, V)
    fd_H = np.array([(g(w + eps * e) - g(w - eps * e)) / (2 * eps) for e in E])
    scale = max(1.0, np.abs(H).max())
    assert np.abs(grad - fd_grad).max() < 1e-7 * max(1.0, np.abs(grad).max())
    assert np.abs(H - fd_H).max() < 1e-6 * scale  # ReLU: no kink crossed at this step size
    assert np.abs(H - H.T).max() < 1e-12 * scale
    rng = np.random.default_rng(5)
    dU, dV = rng.standard_normal(U.shape), rng.standard_normal(V.shape)
    assert np.allclose(nimc.pack(*nimc.hvp(data, U, V, dU, dV)), H @ nimc.pack(dU, dV), atol=1e-12 * scale)


def test_residual_terms_and_reduction_conventions():
    data, U, V = small_instance("sigmoid")
    H = nimc.hessian(data, U, V)
    gn = nimc.hessian(data, U, V, residual=False)
    assert np.abs(H - gn).max() > 1e-4  # the residual terms of Appendix C matter away from W*
    Us, Vs = data.U_star[0], data.V_star[0]
    assert np.allclose(nimc.hessian(data, Us, Vs), nimc.hessian(data, Us, Vs, residual=False), atol=1e-15)
    assert nimc.loss(data, Us, Vs) < 1e-28
    m = data.m
    assert np.isclose(nimc.loss(data, U, V, reduction="sum"), m * nimc.loss(data, U, V))
    assert np.allclose(nimc.hessian(data, U, V, reduction="sum"), m * H)
    gs = nimc.gradient(data, U, V, reduction="sum")
    assert np.allclose(gs[0], m * nimc.gradient(data, U, V)[0])


def test_batched_derivatives_equal_per_trial_ones():
    Us, Vs = nimc.random_truth(3, 2, trials=3, seed=1)
    data = nimc.sample_data(Us, Vs, 10, 12, 30, "tanh", seed=2)
    rng = np.random.default_rng(3)
    U, V = Us + 0.2 * rng.standard_normal(Us.shape), Vs + 0.2 * rng.standard_normal(Vs.shape)
    gU, gV = nimc.gradient(data, U, V)
    H = nimc.hessian(data, U, V)
    f = nimc.loss(data, U, V)
    assert gU.shape == (3, 3, 2) and H.shape == (3, 12, 12) and f.shape == (3,)
    for t in range(3):
        one = data.subset([t])
        assert np.allclose(nimc.gradient(one, U[t], V[t])[0][0], gU[t])
        assert np.allclose(nimc.hessian(one, U[t], V[t])[0], H[t])


def test_fixed_first_row_variant():
    data, U, V = small_instance("relu", d=4, k=2, m=200)
    d, k = U.shape
    H = nimc.hessian(data, U, V)
    Hr = nimc.hessian(data, U, V, fix_first_row=True)
    idx = nimc.free_indices(d, k, True)
    assert Hr.shape == (2 * d * k - k,) * 2 and np.allclose(Hr, H[np.ix_(idx, idx)])
    gU, _ = nimc.gradient(data, U, V, fix_first_row=True)
    assert np.all(gU[0] == 0)
    U0, V0 = nimc.perturbed_start(data.U_star[0], data.V_star[0], 0.2, seed=1, fix_first_row=True)
    assert np.array_equal(U0[0], data.U_star[0][0])
    run = nimc.gd(data, U0, V0, steps=20, fix_first_row=True)
    assert np.array_equal(run.U[0, 0], U0[0])


# ----------------------------------------------------------------------------- population Hessian


@pytest.mark.parametrize("act", ACTS)
def test_population_hessian_moments_and_quadrature_agree(act):
    rng = np.random.default_rng(7)
    U, V = random_orthogonal(3, rng), random_orthogonal(3, rng)
    H1 = nimc.population_hessian(U, V, act, method="moments")
    H2, err = nimc.population_hessian(U, V, act, method="quadrature", return_error=True)
    assert H1.shape == (18, 18)
    assert np.abs(H1 - H2).max() < 1e-12 and err < 1e-12


def test_polar_and_plane_quadratures_agree_for_linear_activation():
    # two unrelated quadrature routes (Gauss-Legendre in the plane; polar with exact radial moments)
    U, V = nimc.random_truth(5, 3, kappa=3.0, seed=4)
    routes = (nimc_hessians._factor_expectations_smooth, nimc_hessians._factor_expectations_homogeneous)
    parts = [f(M, "linear", 48) for f in routes for M in (U, V)]
    H1 = nimc_hessians._hessian_from_factor_expectations(*parts[0], *parts[1])
    H2 = nimc_hessians._hessian_from_factor_expectations(*parts[2], *parts[3])
    assert np.abs(H1 - H2).max() < 1e-12 * np.abs(H1).max()
    # linear phi: E[x x^T] = I etc., so H_{u_i u_j} = (v_i . v_j) I
    assert np.allclose(H1[:5, 5:10], (V[:, 0] @ V[:, 1]) * np.eye(5))


def test_empirical_hessian_at_the_truth_approaches_the_population_hessian():
    rng = np.random.default_rng(0)
    U, V = random_orthogonal(2, rng), random_orthogonal(2, rng)
    Hs = nimc.population_hessian(U, V, "tanh")
    data = nimc.sample_data(U, V, 20000, 20000, 100000, "tanh", seed=1)
    He = nimc.hessian(data, U, V)
    assert np.abs(He - Hs).max() < 0.02 * np.abs(Hs).max()


def test_monte_carlo_estimate_is_within_its_confidence_radius():
    rng = np.random.default_rng(1)
    U, V = random_orthogonal(2, rng), random_orthogonal(2, rng)
    H = nimc.population_hessian(U, V, "tanh")
    est = nimc.population_hessian_mc(U, V, "tanh", samples=40000, batches=20, seed=2)
    assert est.H.shape == H.shape and est.radius > 0
    assert np.linalg.norm(est.H - H) <= est.radius
    assert abs(est.lam_min - nimc.lambda_min(H)) <= est.radius


# ----------------------------------------------------------------------------- bounds


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_lemma_c1_holds_in_the_orthogonal_case_and_the_checker_rejects_wrong_values(act):
    from certify.nimc import constants as C

    rho = C.rho(act)
    rng = np.random.default_rng(3)
    for k in (1, 2, 3, 4):
        H, err = nimc.population_hessian(random_orthogonal(k, rng), random_orthogonal(k, rng), act, return_error=True)
        chk = nimc.check_curvature_bound(H, rho.lo, error=max(err, 1e-15))
        assert chk.status in ("certified", "tight") and chk.ok, chk.message
        assert chk.gap > -1e-14
        # a wrong (too large) value of rho is rejected ...
        bad = nimc.check_curvature_bound(H, 1.01 * chk.lam_min, error=max(err, 1e-15))
        assert not bad.ok and bad.status == "rejected" and "REJECTED" in bad.message
        # ... and so is a wrong Hessian
        wrong = nimc.check_curvature_bound(H - 2 * chk.lam_min * np.eye(H.shape[0]), rho)
        assert not wrong.ok


def test_theorem_d5_bound_is_below_lambda_min_and_needs_sigma_k_one():
    from certify.nimc import constants as C

    rho = C.rho("sigmoid")
    U, V = nimc.random_truth(3, 3, kappa=2.0, seed=5)
    H, err = nimc.population_hessian(U, V, "sigmoid", return_error=True)
    bound = nimc.theorem_d5_bound(U, V, rho)
    lam_u, kap_u, sk = nimc.condition_numbers(U)
    assert np.isclose(sk, 1.0) and np.isclose(kap_u, 2.0) and lam_u >= 1
    assert 0 < bound < rho.hi
    assert nimc.check_curvature_bound(H, bound, error=err).status == "certified"
    Q = nimc.random_truth(4, 4, kappa=1.0, seed=6)
    assert np.isclose(nimc.theorem_d5_bound(*Q, rho), rho.hi)  # orthogonal: the bound is rho
    with pytest.raises(InputError, match="sigma_k = 1"):
        nimc.theorem_d5_bound(2 * U, V, rho)


def test_relu_population_hessian_is_singular_until_the_first_row_is_fixed():
    rng = np.random.default_rng(11)
    k = 3
    U, V = random_orthogonal(k, rng), random_orthogonal(k, rng)
    H = nimc.population_hessian(U, V, "relu")
    # (U D, V D^-1) is flat: the direction (u_i, -v_i) is in the null space
    w = nimc.pack(np.outer(np.ones(k), np.eye(k)[0]) * U, -np.outer(np.ones(k), np.eye(k)[0]) * V)
    assert np.linalg.norm(H @ w) < 1e-12 * np.linalg.norm(w)
    assert abs(nimc.lambda_min(H)) < 1e-12
    lam = nimc.lambda_min(H, d=k, k=k, fix_first_row=True)  # ZJSD19 eq. (4) / Lemma D.3
    assert lam > 1e-5 and nimc.check_curvature_bound(H, 0.0, d=k, k=k, fix_first_row=True).status == "certified"
    HL = nimc.population_hessian(U, V, "linear")  # IMC: (U R, V R^-T) is flat
    assert abs(nimc.lambda_min(HL)) < 1e-12


# ----------------------------------------------------------------------------- optimization


def test_gd_recovers_sigmoid_k5_d10_from_alpha_0_1():
    Us, Vs = nimc.random_truth(10, 5, trials=3, seed=0)
    data = nimc.sample_data(Us, Vs, 300, 300, 3000, "sigmoid", seed=1)
    U0, V0 = nimc.perturbed_start(Us, Vs, 0.1, seed=2)
    err0 = nimc.relative_test_error(U0, V0, Us, Vs, "sigmoid", seed=3)
    run = nimc.gd(data, U0, V0, steps=4000, rtol=1e-9)
    err = nimc.relative_test_error(run.U, run.V, Us, Vs, "sigmoid", seed=3)
    assert np.all(err0 > 1e-2)
    assert np.all(nimc.recovered(err)) and np.all(err <= nimc.RECOVERY_TOL), err
    assert not run.diverged.any() and np.all(run.steps < 4000)


def test_local_linear_rate_matches_the_linearization():
    out = nimc.local_convergence(*nimc.random_truth(3, 2, seed=0), "sigmoid", n=100, m=1000, alpha=0.1,
                                 steps=3000, trials=2, seed=1)
    assert np.all(out["lam_min"] > 0)
    assert np.allclose(out["measured_rate"], out["predicted_rate"], rtol=1e-4)
    assert np.all(out["predicted_rate"] <= out["theorem_3_3_rate"])
    assert np.all(out["final_test_error"] < 1e-10)


def test_sgd_decreases_the_loss():
    Us, Vs = nimc.random_truth(4, 2, trials=2, seed=3)
    data = nimc.sample_data(Us, Vs, 50, 50, 400, "tanh", seed=4)
    U0, V0 = nimc.perturbed_start(Us, Vs, 0.2, seed=5)
    f0 = nimc.loss(data, U0, V0)
    run = nimc.sgd(data, U0, V0, steps=1500, batch=16, seed=6)
    assert np.all(run.loss < 0.1 * f0)
    assert run.history["loss"].shape[1] == 2


def test_empirical_lambda_min_is_positive_near_the_truth():
    lam = nimc.empirical_lambda_min(*nimc.random_truth(2, 2, kappa=1.0, seed=0), "sigmoid", radius=0.05, m=4000,
                                    n=400, trials=3, seed=1)
    assert lam.shape == (3,) and np.all(lam > 0)


# ----------------------------------------------------------------------------- input checks


def test_bad_input_raises_input_error():
    Us, Vs = nimc.random_truth(3, 2, seed=0)
    data = nimc.sample_data(Us, Vs, 5, 5, 10, "sigmoid", seed=1)
    with pytest.raises(InputError, match="activation.*accepted"):
        nimc.sample_data(Us, Vs, 5, 5, 10, "softplus")
    with pytest.raises(InputError, match="activation"):
        nimc.population_hessian(Us, Vs, "gelu")
    with pytest.raises(InputError, match="V_star"):
        nimc.sample_data(Us, Vs[:2], 5, 5, 10, "sigmoid")
    with pytest.raises(InputError, match="U:"):
        nimc.gradient(data, np.zeros((4, 2)), Vs)
    with pytest.raises(InputError, match="NaN"):
        nimc.loss(data, np.full((3, 2), np.nan), Vs)
    with pytest.raises(InputError, match="k <= d"):
        nimc.random_truth(2, 3)
    with pytest.raises(InputError, match="alpha"):
        nimc.perturbed_start(Us, Vs, 1.5)
    with pytest.raises(InputError, match="reduction"):
        nimc.loss(data, Us, Vs, reduction="max")
    with pytest.raises(InputError, match="method='moments'"):
        nimc.population_hessian(Us, Vs, "sigmoid", method="moments")
    with pytest.raises(InputError, match="data"):
        nimc.gd("not data", Us, Vs)
    with pytest.raises(InputError, match="step_size"):
        nimc.gd(data, Us, Vs, steps=1, step_size=-1.0)
    with pytest.raises(InputError, match="m:"):
        nimc.sample_data(Us, Vs, 5, 5, 0, "sigmoid")


# ----------------------------------------------------------------------------- the script


def load_script():
    spec = importlib.util.spec_from_file_location("nimc_phase_transition", ROOT / "scripts" / "nimc_phase_transition.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_phase_transition_script_writes_resumes_and_plots(tmp_path, capsys):
    mod = load_script()
    out, png = tmp_path / "pt.json", tmp_path / "pt.png"
    args = ["--grid", "1", "2", "--trials", "1", "--steps", "30", "--activations", "sigmoid", "--out", str(out), "--quiet"]
    assert mod.main(args + ["--plot", str(png)]) == 0
    doc = json.loads(out.read_text())
    assert doc["format"] == mod.FORMAT and len(doc["results"]) == 4 and png.stat().st_size > 1000
    assert {(r["n"], r["m"]) for r in doc["results"]} == {(10, 100), (10, 200), (20, 100), (20, 200)}
    capsys.readouterr()
    assert mod.main(args) == 0  # resume: nothing recomputed, same numbers
    assert "0 cells computed" in capsys.readouterr().out
    assert json.loads(out.read_text())["results"] == doc["results"]
    assert mod.main(args[:-3] + ["--out", str(out), "--quiet", "--steps", "31"]) == 2  # other settings: refused
    (tmp_path / "bad.json").write_text("{not json")
    assert mod.main(["--grid", "1", "--out", str(tmp_path / "bad.json"), "--quiet"]) == 2
