import numpy as np
import pytest

from certify import InputError
from certify.linalg import jacobian, mat, orth, rotation_basis, rotation_complement, smat, svec, sym, sym_basis, vec
from certify.operators import CompactOperator, ExplicitOperator, MeasurementOperator, rip_from_bounds


def random_compact(rng, n, d, spread=0.2):
    P = orth(rng.standard_normal((n, d)))
    K = rng.standard_normal((d * d, d * d))
    return CompactOperator(P, np.eye(d * d) + spread * (K + K.T) / np.sqrt(d * d))


def test_svec_is_an_isometry():
    rng = np.random.default_rng(0)
    M = sym(rng.standard_normal((4, 4)))
    Q = sym_basis(4)
    assert np.allclose(Q.T @ Q, np.eye(10))
    assert np.isclose(np.linalg.norm(svec(M)), np.linalg.norm(M))
    assert np.allclose(smat(svec(M)), M)
    assert np.allclose(Q @ svec(M), vec(M))


def test_jacobian_formula():
    rng = np.random.default_rng(1)
    X, U = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    assert np.allclose(jacobian(X) @ vec(U), vec(X @ U.T + U @ X.T))


def test_rotation_directions_are_orthogonal_complements():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 3))
    R, C = rotation_basis(X), rotation_complement(X)
    assert R.shape == (15, 3) and C.shape == (15, 12)
    assert np.allclose(R.T @ C, 0) and np.allclose(C.T @ C, np.eye(12))
    assert rotation_basis(X[:, :1]).shape == (5, 0)


def test_compact_lift_matches_explicit_algorithm1():
    rng = np.random.default_rng(3)
    op = random_compact(rng, 5, 3)
    ex = op.to_explicit()
    assert ex.m == 25
    assert np.allclose(ex.gram(), op.gram(), atol=1e-12)
    lo, hi = op.spectrum_bounds()
    assert np.allclose((lo, hi), ex.spectrum_bounds(), atol=1e-12)
    assert np.isclose(op.rip_constant().delta, ex.rip_constant().delta)
    assert np.isclose(op.rip_constant("symmetric").delta, ex.rip_constant("symmetric").delta)
    Q = orth(rng.standard_normal((5, 2)))
    assert np.allclose(op.gram_on(Q), ex.gram_on(Q), atol=1e-12)
    QQ = np.kron(Q, Q)
    assert np.allclose(op.gram_on(Q), QQ.T @ op.gram() @ QQ, atol=1e-12)
    assert np.allclose(op.gram_on(op.P), op.H_hat, atol=1e-12)
    with pytest.raises(InputError, match="orthonormal"):
        op.gram_on(np.ones((5, 2)))


@pytest.mark.parametrize("r", [1, 2, 3])
def test_derivatives_agree_between_operator_types_and_reference_formulas(r):
    rng = np.random.default_rng(10 + r)
    n = 5
    op = random_compact(rng, n, 3)
    ex = op.to_explicit()
    X, Z = rng.standard_normal((n, r)), rng.standard_normal((n, 2))  # X, Z not in range(P)
    H = op.gram()
    e = vec(X @ X.T - Z @ Z.T)
    J = jacobian(X)
    f_ref = e @ H @ e
    g_ref = 2 * J.T @ H @ e
    hess_ref = 2 * (J.T @ H @ J + 2 * np.kron(np.eye(r), sym(mat(H @ e))))
    for o in (op, ex):
        assert np.isclose(o.objective(X, Z), f_ref)
        assert np.allclose(vec(o.gradient(X, Z)), g_ref, atol=1e-10)
        assert np.allclose(o.hessian(X, Z), hess_ref, atol=1e-9)


def test_gradient_and_hvp_match_finite_differences():
    rng = np.random.default_rng(4)
    op = random_compact(rng, 6, 3)
    X, Z, U = rng.standard_normal((6, 2)), rng.standard_normal((6, 1)), rng.standard_normal((6, 2))
    h = 1e-6
    fd = (op.objective(X + h * U, Z) - op.objective(X - h * U, Z)) / (2 * h)
    assert np.isclose(fd, np.sum(op.gradient(X, Z) * U), rtol=1e-6)
    fd2 = (op.gradient(X + h * U, Z) - op.gradient(X - h * U, Z)) / (2 * h)
    assert np.allclose(fd2, op.hvp(X, Z, U), rtol=1e-5, atol=1e-6)


def test_batched_derivatives_equal_pointwise():
    rng = np.random.default_rng(5)
    op = random_compact(rng, 4, 2)
    Xb, Z = rng.standard_normal((7, 4, 2)), rng.standard_normal((4, 1))
    f = op.objective(Xb, Z)
    g = op.gradient(Xb, Z)
    for k in range(7):
        assert np.isclose(f[k], op.objective(Xb[k], Z))
        assert np.allclose(g[k], op.gradient(Xb[k], Z))


def test_apply_realizes_the_gram_matrix():
    rng = np.random.default_rng(6)
    op = random_compact(rng, 5, 2)
    M = rng.standard_normal((5, 5))
    a = op.apply(M)
    assert np.isclose(a @ a, vec(M) @ op.gram() @ vec(M))
    ex = ExplicitOperator(rng.standard_normal((30, 3, 3)))
    assert np.allclose(ex.apply(M[:3, :3]), [np.sum(A * M[:3, :3]) for A in ex.A])


def test_compact_operator_scales_to_large_n_without_dense_matrices():
    rng = np.random.default_rng(7)
    n = 20_000
    op = random_compact(rng, n, 2)
    X = op.P @ rng.standard_normal((2, 1))
    Z = op.P @ rng.standard_normal((2, 1))
    assert np.isfinite(op.objective(X, Z))
    assert op.gradient(X, Z).shape == (n, 1)
    assert op.hvp(X, Z, X).shape == (n, 1)
    with pytest.raises(InputError):
        op.gram()


def test_rip_constant_of_scaled_identity_is_zero_and_singular_is_one():
    assert rip_from_bounds(2.0, 2.0).delta == 0.0
    assert rip_from_bounds(0.0, 1.0).delta == 1.0
    # symmetric measurement matrices never see antisymmetric matrices: RIP fails on all matrices
    rng = np.random.default_rng(8)
    A = rng.standard_normal((20, 3, 3))
    A = A + A.transpose(0, 2, 1)
    ex = ExplicitOperator(A)
    assert ex.rip_constant("all").delta == 1.0
    assert ex.rip_constant("symmetric").delta < 1.0


@pytest.mark.parametrize(
    "bad",
    [np.zeros((3, 2, 3)), np.full((2, 2, 2), np.nan), np.zeros((0, 2, 2)), "abc"],
)
def test_explicit_operator_rejects_bad_matrices(bad):
    with pytest.raises(InputError):
        MeasurementOperator.from_matrices(bad)


def test_compact_operator_rejects_bad_input():
    with pytest.raises(InputError, match="orthonormal"):
        CompactOperator(np.ones((3, 2)), np.eye(4))
    with pytest.raises(InputError, match="shape"):
        CompactOperator(np.eye(3)[:, :2], np.eye(3))
    with pytest.raises(InputError, match="symmetric"):
        CompactOperator(np.eye(2), np.triu(np.ones((4, 4))))
    with pytest.raises(InputError, match="unknown type"):
        MeasurementOperator.from_dict({"type": "weird"})
    op = CompactOperator(np.eye(2), np.eye(4))
    with pytest.raises(InputError, match="X"):
        op.objective(np.ones(3), np.ones(2))
    with pytest.raises(InputError, match="domain"):
        op.rip_constant("antisymmetric")
