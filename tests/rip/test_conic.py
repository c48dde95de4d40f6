"""The compiled SDP core (certify.rip.conic, certify.rip.ipm): conventions, conic data, agreement
with the cvxpy reference backend, injected solver failures, and no cvxpy on the compiled path."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from certify import InputError, NoCounterexampleError, SolverError, rip
from certify.check.duality import dual_lower_bound, first_order_residual, lmi_data, second_order_matrix
from certify.linalg import orth, rotation_complement, svec, sym, sym_basis
from certify.rip import conic
from certify.rip.conic import RawSolution

# (n, r, r*) of the random instances the backends are compared on
SHAPES = [(2, 1, 1), (3, 1, 1), (5, 1, 1), (3, 2, 1), (4, 2, 1), (4, 2, 2), (5, 3, 2)]


def _instances(seed=11):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((n, r)), rng.standard_normal((n, rs))) for n, r, rs in SHAPES]


# --- solver conventions ------------------------------------------------------------------------
def test_psd_triangle_conventions_on_a_tiny_sdp():
    """min <C, X> s.t. tr X = 1, X ⪰ 0 has the value λ_min(C) and X = v v^T: Clarabel reads the
    PSD triangle in certify's svec order (upper triangle by columns, √2 off the diagonal); SCS
    through the lower-triangle permutation."""
    import clarabel
    import scs
    from scipy import sparse

    rng = np.random.default_rng(1)
    n = 4
    Cm = sym(rng.standard_normal((n, n)))
    lam, Q = np.linalg.eigh(Cm)
    T = n * (n + 1) // 2
    A = sparse.vstack([sparse.csc_matrix(svec(np.eye(n))[None, :]), -sparse.identity(T)]).tocsc()
    b = np.concatenate([[1.0], np.zeros(T)])
    st = clarabel.DefaultSettings()
    st.verbose = False
    sol = clarabel.DefaultSolver(sparse.csc_matrix((T, T)), svec(Cm), A, b,
                                 [clarabel.ZeroConeT(1), clarabel.PSDTriangleConeT(n)], st).solve()
    assert sol.obj_val == pytest.approx(lam[0], abs=1e-7)
    assert np.allclose(conic.smat_batch(np.asarray(sol.x), n), np.outer(Q[:, 0], Q[:, 0]), atol=1e-6)
    perm = conic._scs_perm(n)
    A2 = sparse.vstack([sparse.csc_matrix(svec(np.eye(n))[None, :]), -sparse.identity(T).tocsr()[perm]]).tocsc()
    out = scs.SCS({"A": A2, "b": b, "c": svec(Cm)}, {"z": 1, "s": [n]}, eps_abs=1e-9, eps_rel=1e-9, verbose=False).solve()
    assert np.allclose(conic.smat_batch(out["x"], n), np.outer(Q[:, 0], Q[:, 0]), atol=1e-6)
    # svec order of certify = Clarabel's: sym_basis columns are (0,0), (0,1), (1,1), (0,2), ...
    i, j, _, _, gamma = conic.tri(n)
    assert list(zip(i[:4], j[:4], strict=False)) == [(0, 0), (0, 1), (1, 1), (0, 2)]
    M = sym(rng.standard_normal((n, n)))
    assert np.allclose(conic.svec_batch(M[None])[0], sym_basis(n).T @ M.reshape(-1, order="F"))


# --- the conic data ----------------------------------------------------------------------------
@pytest.mark.parametrize("n, r, rs, basis", [(2, 1, 1, "svec"), (3, 2, 1, "svec"), (4, 2, 2, "svec"), (3, 1, 1, "vec"),
                                            (3, 2, 1, "vec"), (5, 3, 2, "svec")])
def test_conic_rows_are_the_lmi_blocks(n, r, rs, basis):
    """s = b - A x for x = (t, svec H): the first-order block is C^T J^T H e, the Hessian block
    svec(C^T M(H) C), the bands H - (1 - t) I and (1 + t) I - H; e, J equal lmi_data's."""
    rng = np.random.default_rng(n + 10 * r)
    X, Z = rng.standard_normal((n, r)), rng.standard_normal((n, rs))
    data = lmi_data(X, Z, basis)
    C = rotation_complement(X)
    lay = conic.layout("delta", n, r, C.shape[1], basis)
    e, J = conic.instance_arrays(lay, X[None], Z[None])
    assert np.allclose(e[0], data.e) and np.allclose(J[0], data.J)
    values = conic.fill_values(lay, e, J, None if r == 1 else C[None])[0]
    A = conic._csc(lay, values).toarray()
    H = sym(rng.standard_normal((data.s, data.s)))
    t = 0.37
    sl = lay.b - A @ np.concatenate([[t], svec(H)])
    assert np.allclose(sl[:lay.nG], C.T @ first_order_residual(data, H))
    assert np.allclose(sl[lay.rows_M], svec(C.T @ second_order_matrix(data, H) @ C))
    assert np.allclose(sl[lay.rows_B1], svec(H - (1 - t) * np.eye(data.s)))
    assert np.allclose(sl[lay.rows_B2], svec((1 + t) * np.eye(data.s) - H))
    # the structure is cached: one Layout object per key
    assert conic.layout("delta", n, r, C.shape[1], basis) is lay


def test_first_order_rows_on_the_complement_are_independent():
    """The full Nr first-order rows are rank-deficient by r(r-1)/2 (𝐗 vec(XΩ) = 0); the compiled
    core keeps the q = Nr - r(r-1)/2 rows on the rotation complement, of full rank."""
    rng = np.random.default_rng(3)
    X, Z = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    data = lmi_data(X, Z)
    C = rotation_complement(X)
    lay = conic.layout("delta", 5, 3, C.shape[1])
    vals = conic.fill_values(lay, data.e[None], data.J[None], C[None])[0]
    AG = conic._csc(lay, vals).toarray()[:lay.nG, 1:]
    assert np.linalg.matrix_rank(AG) == C.shape[1] == 15 - 3


# --- the backends agree ------------------------------------------------------------------------
@pytest.mark.parametrize("k", range(len(SHAPES)))
def test_compiled_and_cvxpy_backends_agree(k):
    X, Z = _instances()[k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = rip.counterexample(X, Z, backend="cvxpy")
        new = rip.counterexample(X, Z, backend="clarabel")
    assert new.solver["backend"] == "clarabel" and ref.solver["backend"] == "cvxpy"
    assert abs(new.delta - ref.delta) < 1e-7
    assert abs(new.delta_lower - ref.delta_lower) < 1e-7
    assert new.verify().ok


@pytest.mark.parametrize("k", [0, 2, 3, 5])
def test_scs_and_ipm_backends_bracket_the_same_delta(k):
    X, Z = _instances()[k]
    ref = rip.counterexample(X, Z)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for backend in ("scs", "ipm"):
            c = rip.counterexample(X, Z, backend=backend, gap_tol=1e-5)
            assert c.solver["backend"] == backend and c.verify().ok
            assert c.delta_lower - 1e-9 <= ref.delta <= c.delta + 1e-9  # both brackets contain δ(X, Z)
            assert ref.delta_lower - 1e-9 <= c.delta
            assert abs(c.delta - ref.delta) < 1e-5


def test_direct_formulation_and_vec_basis_on_the_compiled_core():
    rng = np.random.default_rng(4)
    X, Z = rng.standard_normal((3, 2)), rng.standard_normal((3, 1))
    a = rip.counterexample(X, Z)
    b = rip.counterexample(X, Z, project=False)
    c = rip.counterexample(X, Z, project=False, basis="vec")
    d = rip.counterexample(X, Z, project=False, basis="vec", backend="cvxpy")
    for o in (b, c, d):
        assert abs(o.delta - a.delta) < 1e-6 and abs(o.delta_lower - a.delta_lower) < 1e-6


@pytest.mark.parametrize("delta, g", [(0.3, 0.0), (0.95, 0.0), (0.99, 0.1), (0.2, 0.01)])
def test_curvature_sdp_backends_agree(delta, g):
    rng = np.random.default_rng(7)
    X, Z = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    a = rip.curvature(X, Z, delta, g, backend="clarabel")
    b = rip.curvature(X, Z, delta, g, backend="cvxpy")
    assert a.kind == b.kind and a.solver["backend"] == "clarabel"
    if a.feasible:
        assert abs(a.mu - b.mu) < 1e-6 and abs(a.mu_upper - b.mu_upper) < 1e-6
        assert a.verify().ok
    else:
        assert abs(a.min_grad_lower - b.min_grad_lower) < 1e-6
        assert a.verify().ok


def test_backend_selection():
    x, z = np.array([0.0, 0.7]), np.array([1.0, 0.0])
    assert rip.counterexample(x, z).solver["backend"] == "clarabel"
    assert rip.counterexample(x, z, solver="SCS", gap_tol=1e-4).solver["backend"] == "scs"
    assert rip.counterexample(x, z, backend="cvxpy", solver="SCS", gap_tol=1e-4).solver["name"] == "SCS"
    with pytest.raises(InputError, match="backend"):
        rip.counterexample(x, z, backend="gurobi")
    with pytest.raises(InputError, match="backend"):
        rip.counterexample(x, z, backend="clarabel", solver="SCS")
    with pytest.raises(InputError, match="setting"):
        rip.counterexample(x, z, settings={"no_such_option": 1})
    with pytest.raises(InputError, match="setting"):
        rip.counterexample(x, z, backend="ipm", settings={"no_such_option": 1})


# --- injected solver failures are caught, never returned ------------------------------------------
def _wrong(kind):
    """A broken Clarabel: every raw solution it returns (fresh solver or update) is corrupted."""
    real = conic._clarabel_read

    def fake(sol, elapsed):
        raw = real(sol, elapsed)
        rng = np.random.default_rng(0)
        x, z = raw.x.copy(), raw.z.copy()
        if kind == "primal":
            x[1:] += 1e-3 * rng.standard_normal(x.size - 1)
        elif kind == "dual":
            z += 0.3 * np.abs(z).max() * rng.standard_normal(z.size)
        elif kind == "nan":
            x[1] = np.nan
        return RawSolution(x, z, raw.status, raw.accurate, raw.iterations, raw.solve_time, raw.raw_status)

    return fake


@pytest.mark.parametrize("kind", ["primal", "dual", "nan"])
def test_injected_solver_failure_is_caught(monkeypatch, kind):
    rng = np.random.default_rng(5)
    X, Z = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    good = rip.counterexample(X, Z)
    monkeypatch.setattr(conic, "_clarabel_read", _wrong(kind))
    with pytest.raises((SolverError, NoCounterexampleError)):
        rip.counterexample(X, Z)
    # the batch (every mode): the checks reject it, the scalar re-solve (same broken Clarabel) fails
    # too; the last resort (certify's interior point, not broken here) gives a checked bracket,
    # which must contain δ
    for mode in ("update", "loop"):
        res = rip.delta_batch(np.stack([X, X]), np.stack([Z, Z]), keep_points=True, mode=mode)
        assert list(res.method) == ["scalar-ipm", "scalar-ipm"] and list(res.status) == ["ok", "ok"]
        assert np.all(res.delta_lower <= good.delta + 1e-9) and np.all(good.delta_lower <= res.delta + 1e-9)
        assert res.certificate(0).verify().ok
    # with the interior point broken as well: no number at all
    from certify.rip import ipm

    real_ipm = ipm.solve_delta_ipm

    def broken_ipm(lay, values, settings=None, monitor=None):
        out = real_ipm(lay, values, settings, monitor)
        for raw in out:
            raw.z[lay.rows_M] *= 0.2
            raw.x[1:] += 1e-2
        return out

    monkeypatch.setattr(ipm, "solve_delta_ipm", broken_ipm)
    res = rip.delta_batch(np.stack([X, X]), np.stack([Z, Z]))
    assert list(res.status) == ["failed", "failed"]
    assert np.all(np.isnan(res.delta)) and np.all(np.isnan(res.delta_lower))
    assert all("SolverError" in m for m in res.message)
    assert good.verify().ok


def test_a_wrong_dual_only_weakens_the_bound():
    """Any dual point gives a valid lower bound (the kernel's formula): a tampered dual can make
    the bracket wider, never wrong."""
    x, z = np.array([0.3, 0.8]), np.array([1.0, 0.2])
    c = rip.counterexample(x, z)
    data = lmi_data(c.dual.scale * (c.dual.P.T @ c.X), c.dual.scale * (c.dual.P.T @ c.Z))
    rng = np.random.default_rng(2)
    for _ in range(10):
        y = c.dual.y + rng.standard_normal(c.dual.y.shape)
        B = rng.standard_normal(c.dual.V.shape)
        assert dual_lower_bound(data, y, c.dual.V + B @ B.T) <= c.delta + 1e-9


# --- the compiled path loads no cvxpy ------------------------------------------------------------
def test_compiled_core_does_not_import_cvxpy():
    code = (
        "import sys, json, numpy as np\n"
        "from certify import rip\n"
        "c = rip.counterexample([0.0, 0.7071], [1.0, 0.0])\n"
        "rng = np.random.default_rng(0)\n"
        "r = rip.delta_batch(rng.standard_normal((5, 3, 2)), rng.standard_normal((5, 3, 1)))\n"
        "m = rip.curvature([0.3, 0.5], [1.0, 0.0], 0.4)\n"
        "g = rip.gap_map([0.5, 1.0], [0.5, 1.5])\n"
        "b = rip.counterexample([0.0, 0.7071], [1.0, 0.0], backend='ipm')\n"
        "print(json.dumps({'cvxpy': 'cvxpy' in sys.modules, 'ok': bool(c.verify().ok), 'batch': r.counts()}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    assert res["cvxpy"] is False and res["ok"] is True and res["batch"]["ok"] == 5


def test_ipm_matches_clarabel_on_a_stack():
    rng = np.random.default_rng(9)
    K = 40
    Xs, Zs = rng.standard_normal((K, 2, 1)), rng.standard_normal((K, 2, 1))
    a = rip.delta_batch(Xs, Zs)
    b = rip.delta_batch(Xs, Zs, backend="ipm")
    assert (a.status == b.status).all()
    ok = a.ok
    assert np.all(np.abs(a.delta[ok] - b.delta[ok]) < 1e-6)
    # the two brackets overlap (both contain δ)
    assert np.all(b.delta_lower[ok] <= a.delta[ok] + 1e-9) and np.all(a.delta_lower[ok] <= b.delta[ok] + 1e-9)


def test_orthogonal_family_value():
    """REFERENCE §1.1: the orthogonal family gives δ = 1/(1 + √(r*/r)) (here (3, 2))."""
    from certify.rip.search import family_point

    X, Z = family_point(5, 3, 2)
    c = rip.counterexample(X, Z)
    assert abs(c.delta - 1 / (1 + np.sqrt(2 / 3))) < 1e-8
    assert c.delta_lower <= 1 / (1 + np.sqrt(2 / 3)) + 1e-9


def test_orth_of_projection_matches():
    rng = np.random.default_rng(0)
    X, Z = rng.standard_normal((7, 2)), rng.standard_normal((7, 1))
    c = rip.counterexample(X, Z)
    assert np.allclose(np.abs(c.dual.P.T @ orth(np.column_stack([X, Z]))), np.eye(3), atol=1e-8) or c.dual.P.shape == (7, 3)
