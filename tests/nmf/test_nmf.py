"""NMF: masked loss and solvers, exact segment certificates (with negative tests for every checker),
star-convexity statistics, planted model, real data and the MovieLens loader.

Paper: "Star-Convexity in Non-Negative Matrix Factorization" (anonymous ICLR 2020 submission).
"""

import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest

from certify import nmf
from certify.errors import InputError


def _factors(rng, n, m, r, k=None):
    pre = () if k is None else (k,)
    return (np.abs(rng.standard_normal(pre + (n, r))), np.abs(rng.standard_normal(pre + (r, m))))


def _instance(seed, n=7, m=5, r=2, masked=False, planted=True):
    rng = np.random.default_rng(seed)
    W, H = _factors(rng, n, m, r)
    Ws, Hs = _factors(rng, n, m, r)
    X = Ws @ Hs if planted else 3 * np.abs(rng.standard_normal((n, m)))
    M = rng.random((n, m)) < 0.6 if masked else None
    if M is not None:
        M[0, 0] = True
    return W, H, Ws, Hs, X, M


# ----------------------------------------------------------------------------------------------
# the exact curvature and the quartic
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_alpha_matches_a_fine_grid_and_coefficients_match_direct_evaluation(seed):
    W, H, Ws, Hs, X, M = _instance(seed, n=6 + seed, m=5, r=1 + seed % 3, masked=seed % 2 == 1, planted=seed < 3)
    c = nmf.segment_certificate(W, H, Ws, Hs, X, mask=M)
    lam = np.linspace(0.0, 1.0, 100_001)
    grid_min = c.second_derivative(lam).min()
    scale = max(abs(c.alpha), np.abs(c.coefficients[2:]).max())
    assert abs(grid_min - c.alpha) <= 1e-8 * scale
    assert grid_min >= c.alpha - 1e-12 * scale  # the exact minimum is below every grid value
    # l(lambda) from the coefficients = direct evaluation of the masked loss
    lam_s = np.linspace(0.0, 1.0, 11)
    direct = [nmf.loss(W + t * (Ws - W), H + t * (Hs - H), X, M) for t in lam_s]
    assert np.allclose(c.loss_at(lam_s), direct, rtol=1e-12, atol=1e-12 * max(direct))
    assert c.coefficients.shape == (5,) and c.coefficients[4] >= 0
    assert c.verdict in nmf.VERDICTS and c.convex == (c.verdict == "convex")
    # the cosine is <-grad, direction> / norms, from the gradient function
    gW, gH = nmf.gradient(W, H, X, M)
    d = np.concatenate([(Ws - W).ravel(), (Hs - H).ravel()])
    g = np.concatenate([gW.ravel(), gH.ravel()])
    assert c.cosine == pytest.approx(-g @ d / np.linalg.norm(g) / np.linalg.norm(d), rel=1e-9, abs=1e-12)
    assert np.dot(g, d) == pytest.approx(c.coefficients[1], rel=1e-9, abs=1e-9)  # l'(0) = c1


def test_papers_non_star_convex_instance_is_reported_not_convex():
    # SC-NMF section 3: u1 = 1, u* = 0, v1 = 0, v* = 1 is not star-convex; l(lambda) = (lambda - lambda^2)^2 / 2
    c = nmf.segment_certificate([[1.0]], [[0.0]], [[0.0]], [[1.0]], [[0.0]])
    assert c.verdict == "not convex" and not c.convex
    assert c.alpha == pytest.approx(-0.5) and c.argmin == pytest.approx(0.5)
    assert c.alpha_upper < 0
    assert np.allclose(c.coefficients, [0, 0, 0.5, -1, 0.5])
    assert c.check_exact([[1.0]], [[0.0]], [[0.0]], [[1.0]], [[0.0]]).ok


def test_planted_segment_is_certified_convex_and_the_bound_is_tiny():
    inst = nmf.planted(24, seed=3)
    W, H = inst.random_points(1)
    c = nmf.segment_certificate(W[0], H[0], inst.W_star, inst.H_star, inst.X)
    assert c.verdict == "convex" and c.convex and c.margin >= 0
    assert 0 < c.error_bound < 1e-8 * abs(c.alpha)
    assert -1 <= c.cosine_lower <= c.cosine <= c.cosine_upper <= 1 and c.cosine > 0


def test_zero_direction_is_convex_and_unobserved_direction_is_undecided_but_valid():
    W, H, Ws, Hs, X, _ = _instance(4)
    c = nmf.segment_certificate(W, H, W, H, X)
    assert c.alpha == 0 and c.verdict == "convex" and np.all(c.coefficient_errors[1:] == 0)
    assert c.check_exact(W, H, W, H, X).ok
    # moving only a row that is never observed: l is constant, alpha = 0 exactly, the bound is > 0
    M = np.ones(X.shape, bool)
    M[0] = False
    Ws2 = W.copy()
    Ws2[0] += 1.0
    c = nmf.segment_certificate(W, H, Ws2, H, X, M)
    assert c.verdict == "undecided" and c.alpha_lower <= 0 <= c.alpha_upper
    assert c.check_exact(W, H, Ws2, H, X, M).ok


def test_batch_equals_one_by_one():
    rng = np.random.default_rng(5)
    W, H = _factors(rng, 9, 6, 3, k=4)
    Ws, Hs = _factors(rng, 9, 6, 3)
    X = Ws @ Hs
    b = nmf.segment_certificates(W, H, Ws, Hs, X)
    assert len(b) == 4 and sum(b.counts().values()) == 4
    for i in range(4):
        c = nmf.segment_certificate(W[i], H[i], Ws, Hs, X)
        assert np.array_equal(c.coefficients, b.coefficients[i]) and c.alpha == b.alpha[i] and c.verdict == b.verdict[i]
    lam = np.linspace(0, 1, 5)
    assert b.loss_at(lam).shape == (4, 5)


# ----------------------------------------------------------------------------------------------
# the exact rational re-check, and its negative tests
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["flint", "fractions"])
@pytest.mark.parametrize("seed", range(3))
def test_exact_recheck_confirms_the_float_certificate(seed, backend):
    if backend == "flint":
        pytest.importorskip("flint", reason="needs python-flint (certify[exact])")
    W, H, Ws, Hs, X, M = _instance(10 + seed, n=6, m=5, r=2, masked=seed == 1, planted=seed != 2)
    c = nmf.segment_certificate(W, H, Ws, Hs, X, M)
    chk = nmf.check_segment_certificate(c, W, H, Ws, Hs, X, M, backend=backend)
    assert chk.ok, chk.failures
    ex = chk.exact
    assert ex.backend == backend
    for k in range(5):  # the stated bounds hold, and are not absurdly loose
        err = abs(ex.coefficients[k] - Fraction(c.coefficients[k]))
        assert err <= Fraction(c.coefficient_errors[k])
    assert abs(float(ex.alpha) - c.alpha) <= c.error_bound
    assert c.error_bound < 1e-9 * max(1.0, abs(c.alpha))
    assert ex.cosine == pytest.approx(c.cosine, rel=1e-12, abs=1e-14)


def test_exact_recheck_with_tiny_and_subnormal_entries():
    W, H, Ws, Hs, X, _ = _instance(21, n=5, m=4, r=2)
    args = (W * 1e-160, H * 1e-160, Ws * 1e-160, Hs * 1e-160, X * 1e-320)
    c = nmf.segment_certificate(*args)
    assert c.verdict in ("convex", "undecided")
    assert nmf.check_segment_certificate(c, *args).ok
    # a mix of scales: huge and tiny entries
    W2 = W.copy()
    W2[0, 0] = 1e-300
    args = (W2, H * 1e5, Ws, Hs * 1e-3, X)
    c = nmf.segment_certificate(*args)
    chk = nmf.check_segment_certificate(c, *args)
    assert chk.ok, chk.failures


def test_near_zero_alpha_is_undecided_never_wrong():
    # a 1x1 family where alpha is affine in X: find the float where the exact alpha changes sign, then every
    # float within 20 ulps must be "undecided" (never a wrong proof), and the exact re-check must pass
    a, b, c, d = [[1.0]], [[0.5]], [[0.2]], [[1.5]]

    def exact_alpha(x):
        return nmf.exact_segment(a, b, c, d, [[x]], backend="fractions").alpha

    lo, hi = 0.5, 1.0  # exact alpha < 0 at lo, >= 0 at hi
    while True:
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if exact_alpha(mid) < 0 else (lo, mid)
    xs = [lo, hi]
    for _ in range(20):
        xs += [np.nextafter(xs[-2], 0.0), np.nextafter(xs[-1], 2.0)]
    for x in xs:
        cert = nmf.segment_certificate(a, b, c, d, [[x]])
        assert cert.verdict == "undecided" and cert.alpha_lower < 0 <= cert.alpha_upper
        assert cert.check_exact(a, b, c, d, [[x]]).ok
    assert nmf.segment_certificate(a, b, c, d, [[lo - 1e-11]]).verdict == "not convex"
    assert nmf.segment_certificate(a, b, c, d, [[hi + 1e-11]]).verdict == "convex"


def _tampered(c, **changes):
    d = dict(c.__dict__)
    d.update(changes)
    return nmf.SegmentCertificate(**d)


def test_exact_recheck_rejects_wrong_certificates():
    W, H, Ws, Hs, X, _ = _instance(30)
    c = nmf.segment_certificate(W, H, Ws, Hs, X)
    args = (W, H, Ws, Hs, X)
    assert c.check_exact(*args).ok and c.verdict == "convex"
    # a wrong alpha with its enclosure moved along
    bad = _tampered(c, alpha=c.alpha * 1.001, alpha_lower=c.alpha_lower * 1.001, alpha_upper=c.alpha_upper * 1.001)
    chk = bad.check_exact(*args)
    assert not chk.ok and any("alpha" in f for f in chk.failures)
    # a wrong coefficient
    coeffs = c.coefficients.copy()
    coeffs[3] += 1e-6 * abs(coeffs[3]) + 1e-9
    chk = _tampered(c, coefficients=coeffs).check_exact(*args)
    assert not chk.ok and any(f.startswith("c3") for f in chk.failures)
    # an error bound too small (zero) for the actual rounding
    chk = _tampered(c, coefficient_errors=np.zeros(5)).check_exact(*args)
    assert not chk.ok
    # a verdict that contradicts the exact sign
    chk = _tampered(c, verdict="not convex").check_exact(*args)
    assert not chk.ok and any("verdict" in f for f in chk.failures)
    # a wrong cosine
    chk = _tampered(c, cosine=-c.cosine, cosine_lower=-c.cosine_upper, cosine_upper=-c.cosine_lower).check_exact(*args)
    assert not chk.ok and any("cosine" in f for f in chk.failures)
    # the right certificate, checked against other data
    chk = c.check_exact(W, H, Ws, Hs, X + 0.5)
    assert not chk.ok


def test_exact_recheck_rejects_convex_claim_on_the_non_convex_instance():
    args = ([[1.0]], [[0.0]], [[0.0]], [[1.0]], [[0.0]])
    c = nmf.segment_certificate(*args)
    lie = _tampered(c, verdict="convex", alpha=0.1, alpha_lower=0.0, alpha_upper=0.2)
    chk = lie.check_exact(*args)
    assert not chk.ok and any("verdict" in f for f in chk.failures) and any("alpha" in f for f in chk.failures)


def test_exact_recheck_refuses_large_instances_and_non_certificates():
    W, H, Ws, Hs, X, _ = _instance(31, n=30, m=30, r=3)
    c = nmf.segment_certificate(W, H, Ws, Hs, X)
    with pytest.raises(InputError, match="small instances"):
        nmf.check_segment_certificate(c, W, H, Ws, Hs, X, max_entries=100)
    with pytest.raises(InputError, match="SegmentCertificate"):
        nmf.check_segment_certificate({"alpha": 1.0}, W, H, Ws, Hs, X)
    with pytest.raises(InputError, match="backend"):
        nmf.exact_segment(W, H, Ws, Hs, X, backend="sympy")


# ----------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------


def test_bad_input_raises_input_error():
    W, H, Ws, Hs, X, _ = _instance(40)
    cases = [
        (lambda: nmf.segment_certificate(W[:-1], H, Ws, Hs, X), "rows"),
        (lambda: nmf.segment_certificate(W, H[:, :-1], Ws, Hs, X), "columns"),
        (lambda: nmf.segment_certificate(W, H, Ws[:, :1], Hs[:1], X), "rank"),
        (lambda: nmf.segment_certificate(-W, H, Ws, Hs, X), "negative"),
        (lambda: nmf.segment_certificate(W, H, Ws, Hs, -X), "negative"),
        (lambda: nmf.segment_certificate(W, H, Ws, Hs, X, mask=np.ones((2, 2))), "mask: expected shape"),
        (lambda: nmf.segment_certificate(W, H, Ws, Hs, X, mask=np.zeros(X.shape, bool)), "no entry is observed"),
        (lambda: nmf.segment_certificate(W, H, Ws, Hs, X, mask=2 * np.ones(X.shape)), "0/1"),
        (lambda: nmf.segment_certificate(W, H, Ws, Hs, np.where(X > 1, np.nan, X)), "NaN"),
        (lambda: nmf.segment_certificate(W * np.nan, H, Ws, Hs, X), "NaN"),
        (lambda: nmf.segment_certificate(W[None], H[None], Ws, Hs, X), "segment_certificates"),
        (lambda: nmf.mu(X, 0), "rank"),
        (lambda: nmf.pgd(X, 2, steps=-1), "steps"),
        (lambda: nmf.pgd(X, 2, step_size=-1.0), "step_size"),
        (lambda: nmf.mu(-X, 2), "negative"),
        (lambda: nmf.mu(X, 2, W0=W), "both"),
        (lambda: nmf.solve(X, 2, "als"), "method"),
        (lambda: nmf.loss(W, H, X, reduction="max"), "reduction"),
        (lambda: nmf.planted(8, distribution="cauchy"), "distribution"),
        (lambda: nmf.random_mask((3, 3), 1.5), "observed_fraction"),
        (lambda: nmf.load_real("mnist"), "unknown dataset"),
        (lambda: nmf.mu(np.zeros((0, 3)), 1), "non-empty"),
    ]
    for fn, msg in cases:
        with pytest.raises(InputError, match=msg):
            fn()
    # NaN at unobserved entries is fine
    Xn = X.copy()
    Xn[0, 0] = np.nan
    M = np.ones(X.shape, bool)
    M[0, 0] = False
    assert nmf.segment_certificate(W, H, Ws, Hs, Xn, M).verdict in nmf.VERDICTS


# ----------------------------------------------------------------------------------------------
# model and solvers
# ----------------------------------------------------------------------------------------------


def test_loss_gradient_and_init_conventions():
    W, H, Ws, Hs, X, M = _instance(50, masked=True)
    E = (W @ H - X) * M
    assert nmf.loss(W, H, X, M) == pytest.approx(0.5 * np.sum(E**2))
    assert nmf.loss(W, H, X, M, reduction="mean") == pytest.approx(0.5 * np.sum(E**2) / M.sum())
    gW, gH = nmf.gradient(W, H, X, M)
    eps = 1e-6
    D = np.zeros_like(W)
    D[2, 1] = 1.0
    fd = (nmf.loss(W + eps * D, H, X, M) - nmf.loss(W - eps * D, H, X, M)) / (2 * eps)
    assert gW[2, 1] == pytest.approx(fd, rel=1e-6)
    # half-normal init matched to the data mean: E[W0 H0] = mean of observed X
    inst = nmf.planted(40, rank=5, seed=1)
    s = nmf.init_scale(inst.X, rank=5)
    W0, H0 = nmf.half_normal_init(40, 40, 5, starts=200, scale=s, seed=2)
    assert np.mean(W0 @ H0) == pytest.approx(inst.X.mean(), rel=0.05)
    Xs, f = nmf.scale_data(inst.X)
    assert np.var(Xs) == pytest.approx(1.0) and f > 0


def test_planted_model_follows_assumption_1():
    inst = nmf.planted(64, gamma=0.5, seed=0)
    assert inst.rank == 8 and inst.X.shape == (64, 64) and np.allclose(inst.X, inst.W_star @ inst.H_star)
    assert np.all(inst.W_star >= 0) and inst.W_star.mean() == pytest.approx(np.sqrt(2 / np.pi), rel=0.1)
    u = nmf.planted(16, gamma=1.0, distribution="uniform", observed_fraction=0.5, seed=1)
    assert u.rank == 16 and u.W_star.max() <= 1 and 0.3 < u.mask.mean() < 0.7
    assert np.all(u.X[~u.mask] == 0)
    W, H = u.random_points(3)
    assert W.shape == (3, 16, 16) and H.shape == (3, 16, 16)


@pytest.mark.parametrize("method", ["mu", "pgd"])
def test_solvers_decrease_the_loss_batched_and_masked(method):
    inst = nmf.planted(30, rank=3, observed_fraction=0.5, seed=2)
    run = nmf.solve(inst.X, 3, method, mask=inst.mask, starts=4, steps=200, seed=1, record_every=10)
    h = run.history
    assert run.W.shape == (4, 30, 3) and run.H.shape == (4, 3, 30) and h.shape == (21, 4)
    assert np.all(np.diff(h, axis=0) <= 1e-9 * h[:-1])  # monotone (MU: Lee-Seung; PGD: 1/L steps)
    assert np.all(run.loss < 0.05 * h[0])
    assert np.all(run.W >= 0) and np.all(run.H >= 0)
    # a start of the batch = the same start run alone (no cross-talk between starts)
    s = nmf.init_scale(inst.X, inst.mask, 3)
    W0, H0 = nmf.half_normal_init(30, 30, 3, starts=4, scale=s, seed=9)
    batch = nmf.solve(inst.X, 3, method, mask=inst.mask, steps=50, W0=W0, H0=H0)
    one = nmf.solve(inst.X, 3, method, mask=inst.mask, steps=50, W0=W0[1:2], H0=H0[1:2])
    assert one.loss[0] == pytest.approx(batch.loss[1], rel=1e-10)


def test_pgd_with_the_papers_constant_step():
    inst = nmf.planted(20, rank=2, seed=3)
    Xs, _ = nmf.scale_data(inst.X)
    run = nmf.pgd(Xs, 2, starts=2, steps=300, step_size=1e-3, seed=0)
    assert run.settings["schedule"] == "simultaneous constant" and np.all(run.loss < run.history[0])
    bad = nmf.pgd(Xs * 1e4, 2, starts=1, steps=50, step_size=10.0, seed=0)
    assert np.isinf(bad.loss[0]) and bad.settings["diverged"] == 1


def test_trajectory_alpha_and_cosine_toward_the_final_point():
    inst = nmf.planted(24, rank=3, seed=4)
    run = nmf.mu(inst.X, 3, starts=3, steps=100, checkpoints=[0, 10, 50, 100], seed=0)
    tr = nmf.trajectory(run, inst.X)
    assert tr.alpha.shape == (4, 3) and list(tr.steps) == [0, 10, 50, 100]
    assert np.all(tr.alpha[-1] == 0) and np.all(tr.verdict[-1] == "convex")  # the final point itself
    assert np.all(tr.cosine[0] > 0)  # -grad points toward the final point at the start
    assert np.allclose(tr.loss[:, 0], [nmf.loss(*run.checkpoints[s], inst.X)[0] for s in tr.steps])
    assert "step" in tr.table()
    with pytest.raises(InputError, match="checkpoints"):
        nmf.trajectory(nmf.mu(inst.X, 3, steps=5), inst.X)


# ----------------------------------------------------------------------------------------------
# star-convexity statistics
# ----------------------------------------------------------------------------------------------


def test_fraction_of_convex_segments_rises_with_n_on_the_planted_model():
    rows = nmf.planted_table(sizes=(2, 4, 16), points=100, instances=3, seed=0)
    frac = [r.fraction_convex for r in rows]
    assert frac[0] < 0.9 and frac[2] >= 0.95 and frac[2] >= frac[0] + 0.1
    assert rows[2].relative_deviation < rows[1].relative_deviation  # alpha concentrates (SC-NMF Fig. 5)
    assert "sigma/mu" in nmf.ablation_table(rows)


def test_star_convexity_toward_solver_optima_and_planted_optimum():
    inst = nmf.planted(20, rank=3, seed=5)
    res = nmf.star_convexity(inst.X, 3, optima=3, points=4, steps=100, seed=1)
    assert res.alpha.shape == (12,) and set(res.optimum_index) == {0, 1, 2}
    assert res.optimum_loss.shape == (3,) and abs(sum(res.fractions.values()) - 1) < 1e-12
    d = res.to_dict()
    assert d["pairs"] == 12 and d["alpha"]["relative_deviation"] >= 0
    res = nmf.star_convexity(inst.X, 3, pairs=7, optimum=(inst.W_star, inst.H_star), seed=2)
    assert res.pairs == 7 and res.optimum_loss[0] == pytest.approx(0, abs=1e-20)
    rows = nmf.ablation(inst.X, 3, rates=(0.5, 1.0), optima=2, points=3, steps=50)
    assert [r.n for r in rows] == [10, 20] and all(r.pairs == 6 for r in rows)


# ----------------------------------------------------------------------------------------------
# real data, scikit-learn comparison, MovieLens
# ----------------------------------------------------------------------------------------------


def test_masked_solvers_match_sklearn_on_digits_and_handle_90_percent_missing():
    pytest.importorskip("sklearn", reason="needs scikit-learn (certify[nmf])")
    from sklearn.decomposition import NMF

    X = nmf.load_digits()
    assert X.shape == (1797, 64)
    r = 10
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning
        est = NMF(r, solver="cd", random_state=0, max_iter=400)
        est.fit(X)
    ref = 0.5 * est.reconstruction_err_**2  # sklearn minimizes 1/2 ||X - WH||_F^2, the same loss
    ours_mu = nmf.mu(X, r, starts=4, steps=1500, seed=0).loss.min()
    ours_pgd = nmf.pgd(X, r, starts=4, steps=1500, seed=0).loss.min()
    assert ours_mu <= 1.01 * ref and ours_pgd <= 1.01 * ref
    # 90 % missing: scikit-learn has no mask and rejects NaN; ours fits the observed entries
    M = nmf.random_mask(X.shape, 0.1, seed=0)
    Xn = np.where(M, X, np.nan)
    with pytest.raises(ValueError):
        NMF(r, max_iter=5).fit(Xn)
    for method in ("mu", "pgd"):
        run = nmf.solve(Xn, 5, method, mask=M, starts=2, steps=100, seed=0)
        assert np.all(run.loss < 0.2 * run.history[0])


def test_bundled_real_matrices():
    pytest.importorskip("sklearn", reason="needs scikit-learn (certify[nmf])")
    for name in ("iris", "mri"):
        d = nmf.load_real(name)
        assert d.X.ndim == 2 and np.all(d.X >= 0) and d.mask.all() and d.suggested_rank >= 1


def test_missing_sklearn_gives_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(InputError, match=r'pip install "certify\[nmf\]"'):
        nmf.load_real("digits")


def _write_udata(path, rows):
    path.write_text("".join("\t".join(str(x) for x in row) + "\n" for row in rows))


def test_movielens_loader_on_a_synthetic_u_data(tmp_path):
    rows = [(1, 1, 5, 881250949), (1, 3, 3, 881250950), (2, 2, 4, 881250951), (4, 5, 1, 881250952),
            (3, 1, 2, 881250953)]
    _write_udata(tmp_path / "u.data", rows)
    R, M = nmf.load_movielens(tmp_path)
    assert R.shape == (4, 5) and M.sum() == 5
    assert R[0, 0] == 5 and R[0, 2] == 3 and R[3, 4] == 1 and R[1, 0] == 0 and not M[1, 0]
    run = nmf.mu(R, 2, mask=M, starts=2, steps=50)  # the masked solver takes it as is
    assert np.all(np.isfinite(run.loss))


@pytest.mark.parametrize("content, msg", [
    ("1\t1\t5\t881250949\n1\t2\t4\n", "line 2: expected 4"),
    ("1\t1\t5\t881250949\n1\tx\t4\t881250949\n", "line 2: expected integer"),
    ("1\t1\t5\t881250949\n0\t2\t4\t881250949\n", "line 2: user and item ids start at 1"),
    ("1\t1\t5\t881250949\n\n1\t1\t3\t881250949\n", "line 3: duplicate rating"),
    ("1\t1\tnan\t881250949\n", "line 1: rating"),
    ("", "empty"),
])
def test_movielens_loader_rejects_malformed_files(tmp_path, content, msg):
    (tmp_path / "u.data").write_text(content)
    with pytest.raises(InputError, match=msg):
        nmf.load_movielens(tmp_path)


def test_movielens_loader_missing_file(tmp_path):
    with pytest.raises(InputError, match="no u.data"):
        nmf.load_movielens(tmp_path)
    with pytest.raises(InputError, match="neither"):
        nmf.load_movielens(tmp_path / "nope")


def test_the_segment_checker_is_kernel_code():
    """certify.check.nmf (the exact re-check) loads no SciPy, scikit-learn, numba, matplotlib or
    cvxpy and nothing of the solver side."""
    import subprocess

    code = ("import sys, certify.check.nmf; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('scipy', 'sklearn', 'numba', 'matplotlib', 'cvxpy') or m.startswith(('certify.nmf', 'certify.nonconvex'))))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "[]"
