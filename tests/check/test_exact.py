"""The exact rational verification (certify.check.exact): proofs, disproofs with checked witnesses, the
exact PSD test, the CLI and the behaviour without python-flint.

Every witness a disproof reports is re-checked here with an independent implementation in Python
Fractions (the other derivative formulas: ∇f = 4 sym(mat(He)) X, Hessian-vector products), and the
two proofs of the 2x2 instance are re-checked independently too (principal minors).
"""

import json
import subprocess
import sys
from fractions import Fraction
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from certify import CertifyError, InputError, rip
from certify.certificates import Certificate, load
from certify.check.exact import ExactUnavailableError, psd_test, simplest_between, verify_exact
from certify.operators import CompactOperator, ExplicitOperator

pytest.importorskip("flint", reason="needs python-flint (certify[exact])")

CATALOG = Path(__file__).resolve().parents[2] / "counterexamples"


# ---------------------------------------------------------------------------------------------
# an independent exact toolkit (Fractions only)
# ---------------------------------------------------------------------------------------------
def F(x):
    return Fraction(x) if not isinstance(x, str) else Fraction(x)


def fmat(A):
    return [[F(x) for x in row] for row in np.asarray(A, dtype=float).tolist()]


def matmul(A, B):
    return [[sum(A[i][k] * B[k][j] for k in range(len(B))) for j in range(len(B[0]))] for i in range(len(A))]


def tr(A):
    return [list(r) for r in zip(*A, strict=True)]


def vec(M):  # column-major
    return [M[i][j] for j in range(len(M[0])) for i in range(len(M))]


def unvec(v, n):
    k = len(v) // n
    return [[v[i + n * j] for j in range(k)] for i in range(n)]


def sym(M):
    return [[(M[i][j] + M[j][i]) / 2 for j in range(len(M))] for i in range(len(M))]


def matvec(H, v):
    return [sum(h * x for h, x in zip(row, v, strict=True)) for row in H]


def det(A):
    A = [list(r) for r in A]
    n, d = len(A), Fraction(1)
    for k in range(n):
        p = next((i for i in range(k, n) if A[i][k] != 0), None)
        if p is None:
            return Fraction(0)
        if p != k:
            A[k], A[p] = A[p], A[k]
            d = -d
        d *= A[k][k]
        for i in range(k + 1, n):
            f = A[i][k] / A[k][k]
            for j in range(k, n):
                A[i][j] -= f * A[k][j]
    return d


def psd_by_minors(A):
    n = len(A)
    return all(det([[A[i][j] for j in S] for i in S]) >= 0 for k in range(1, n + 1) for S in combinations(range(n), k))


def residual(X, M, H):
    XX = matmul(X, tr(X))
    return vec([[XX[i][j] - M[i][j] for j in range(len(XX))] for i in range(len(XX))])


def grad(X, M, H):
    """∇f = 4 sym(mat(He)) X (the low-rank formula, not the Jacobian one of certify.check.exact)."""
    n = len(X)
    S = sym(unvec(matvec(H, residual(X, M, H)), n))
    return [[4 * v for v in row] for row in matmul(S, X)]


def hess_quad(X, M, H, U):
    """u^T ∇²f u with ∇²f[U] = 4 (sym(mat(H vec(XU^T + UX^T))) X + sym(mat(He)) U)."""
    n = len(X)
    D = matmul(X, tr(U))
    D = [[D[i][j] + D[j][i] for j in range(n)] for i in range(n)]
    HD = sym(unvec(matvec(H, vec(D)), n))
    S = sym(unvec(matvec(H, residual(X, M, H)), n))
    A, B = matmul(HD, X), matmul(S, U)
    return 4 * sum((A[i][k] + B[i][k]) * U[i][k] for i in range(n) for k in range(len(U[0])))


def exact_gram(A):
    rows = [vec(fmat(a)) for a in A]
    N = len(rows[0])
    return [[sum(r[i] * r[j] for r in rows) for j in range(N)] for i in range(N)]


def rayleigh(H, u):
    u = [F(x) for x in u]
    return sum(a * b for a, b in zip(u, matvec(H, u), strict=True)) / sum(a * a for a in u)


def check_witness(rep, X, Z, H, delta, mu=0.0):
    """Re-check a disproof's witness exactly on the certificate's own numbers (reduced for compact:
    X, Z, H are then P^T X, P^T Z and H_hat)."""
    assert rep.outcome == "disproved" and rep.witness is not None
    w = rep.witness
    Xq, Zq = fmat(X), fmat(Z)
    Mq = matmul(Zq, tr(Zq))
    n = len(Xq)
    if w["check"] == "first_order":
        v = [F(x) for x in rep.violating_vector]
        g = grad(Xq, Mq, H)
        val = sum(gx * vx for gx, vx in zip(vec(g), v, strict=True))
        assert val < 0  # f decreases along v: X is not critical (any t > 0 scales this value)
        return "first_order"
    if w["check"] == "isometry":
        rmax, rmin = (rayleigh(H, u) for u in w["vectors"])
        assert rmin > 0 and (rmax - rmin) / (rmax + rmin) > F(delta)  # no scaling makes it delta-RIP
        return "isometry"
    if w["check"] == "second_order":
        t = Fraction(w["t"])
        u = [Fraction(x) for x in w["exact_vector"]] if w.get("exact_vector") else [F(x) for x in rep.violating_vector]
        U = unvec(u, n)
        tH = [[t * h for h in row] for row in H]
        if len(X[0]) > 1:  # u must lie on the complement of the rotation directions X Omega
            for i, j in combinations(range(len(X[0])), 2):
                Om = [[Fraction(0)] * len(X[0]) for _ in X[0]]
                Om[i][j], Om[j][i] = Fraction(1), Fraction(-1)
                assert sum(a * b for a, b in zip(vec(matmul(Xq, Om)), u, strict=True)) == 0
        val = hess_quad(Xq, Mq, tH, U) - F(mu) * sum(x * x for x in u)
        assert val < 0
        assert val == Fraction(w["value"])
        return "second_order"
    raise AssertionError(f"unexpected witness {w['check']}")


# ---------------------------------------------------------------------------------------------
# proofs
# ---------------------------------------------------------------------------------------------
def test_published_2x2_is_proved_with_delta_one_half_exactly():
    op, x, z = rip.examples.zhang2018()
    rep = verify_exact(op, x, z, op.rip_constant().delta)
    assert rep.outcome == "proved", rep.reason
    assert rep.delta["exact"] == "1/2" and rep.delta["relaxed"] is False
    assert rep.mu["exact"] == "0" and rep.claim == "second-order-critical-point"
    assert all(c["passed"] for c in rep.checks.values())
    assert rep.checks["first_order"]["value"] == "0"
    # the rational instance is the published one: x = (0, 1), M* = diag(2, 0), H = A^T A exactly
    p = rep.proof
    assert p["X"] == [[0], [1]] and p["M"] == [[2, 0], [0, 0]] and p["t"] == 1
    q = Fraction
    assert p["H"] == [[1, 0, 0, q(1, 2)], [0, q(5, 4), q(1, 4), 0], [0, q(1, 4), q(5, 4), 0], [q(1, 2), 0, 0, 1]]
    # independent re-check: gradient zero, Hessian diag(0, 8) (= 2 x diag(0, 4), scale c^2 = 2), band at 1/2
    X, M, H = p["X"], p["M"], p["H"]
    assert grad(X, M, H) == [[0], [0]]
    Hs = [[hess_quad(X, M, H, [[a], [b]]) for a, b in ((1, 0), (0, 1))]]
    assert Hs == [[0, 8]]
    I4 = [[Fraction(int(i == j)) for j in range(4)] for i in range(4)]
    half = Fraction(1, 2)
    assert psd_by_minors([[H[i][j] - half * I4[i][j] for j in range(4)] for i in range(4)])
    assert psd_by_minors([[3 * half * I4[i][j] - H[i][j] for j in range(4)] for i in range(4)])
    assert not psd_by_minors([[H[i][j] - (half + Fraction(1, 10**6)) * I4[i][j] for j in range(4)] for i in range(4)])


def test_strict_055_is_proved_as_a_strict_local_minimum():
    cert = load(CATALOG / "zhang2018_strict_055.json")
    mu = cert.formulation["hess_min"]
    rep = verify_exact(cert.operator, cert.X, cert.Z, cert.delta, mu)
    assert rep.outcome == "proved", rep.reason
    assert rep.claim == "strict-local-minimum"
    mu_q = Fraction(rep.mu["exact"])
    assert 0 < mu_q < Fraction(mu) and float(mu_q) == pytest.approx(0.5317821, abs=1e-6)
    dq = Fraction(rep.delta["exact"])
    assert Fraction(cert.delta) < dq < Fraction(cert.delta) + Fraction(1, 10**8)
    # independent re-check of the proved instance (n = d = 2, r = 1)
    p = rep.proof
    X, M, H = p["X"], p["M"], p["H"]
    assert grad(X, M, H) == [[0], [0]]
    Hs = [[hess_quad(X, M, H, [[a], [b]]) for a, b in ((1, 0), (0, 1))]]
    # polarization for the off-diagonal entry
    h01 = (hess_quad(X, M, H, [[1], [1]]) - Hs[0][0] - Hs[0][1]) / 2
    Hess = [[Hs[0][0], h01], [h01, Hs[0][1]]]
    mus = p["mu_scaled"]
    # the proof runs on 2^k (X, Z) (normalized), scaled by c: the Hessian scales by (2^k c)^2
    assert mus == mu_q * (p["c"] * Fraction(2) ** p["k"]) ** 2
    assert psd_by_minors([[Hess[i][j] - mus * (i == j) for j in range(2)] for i in range(2)])
    I4 = [[Fraction(int(i == j)) for j in range(4)] for i in range(4)]
    assert psd_by_minors([[H[i][j] - (1 - dq) * I4[i][j] for j in range(4)] for i in range(4)])
    assert psd_by_minors([[(1 + dq) * I4[i][j] - H[i][j] for j in range(4)] for i in range(4)])
    e = residual(X, M, H)
    assert any(e) and sum(a * b for a, b in zip(e, matvec(H, e), strict=True)) > 0


def test_strict_certificate_built_by_the_curvature_sdp_is_proved():
    c = rip.curvature([0, 1 / np.sqrt(2)], [1, 0], 0.55).certificate
    rep = c.verify(exact=True)
    assert rep.outcome == "proved" and rep.claim == "strict-local-minimum" and Fraction(rep.mu["exact"]) > 0
    assert c.to_dict()["exact"]["outcome"] == "proved"


@pytest.mark.parametrize("name", ["overparameterized_r2_rstar1", "rank1_optimal_n1000", "example1_n8",
                                  "random_n5_r2_rstar2_seed0"])
def test_catalog_certificates_are_proved(name):
    cert = load(CATALOG / f"{name}.json")
    rep = cert.verify(exact=True)
    assert rep.outcome == "proved", rep.reason
    assert cert.exact["outcome"] == "proved"
    if name == "rank1_optimal_n1000":  # compact, lifted from d = 2 to n = 1000
        assert rep.instance["lift"] and rep.instance["d"] == 2 and rep.checks["second_order"]["complement_block"]["psd"]
    if name == "example1_n8":  # singular Hessian of the published formula: proved after the repair step
        assert rep.repair["nudge"]["succeeded"] and rep.repair["nudge"]["relative_change"] < 1e-8
    assert rep.instance["closeness"]["tH"] < 1e-8 and rep.instance["closeness"]["X"] < 1e-12


def test_symmetric_domain_and_stored_verdict(tmp_path):
    op, x, z = rip.examples.zhang2018()
    rep = verify_exact(op, x, z, op.rip_constant("symmetric").delta, domain="symmetric")
    assert rep.outcome == "proved" and rep.instance["domain"] == "symmetric"
    cert = load(CATALOG / "zhang2018_published.json")
    cert.verify(exact=True)
    path = cert.save(tmp_path / "c.json")
    d = json.loads(path.read_text())
    assert d["format_version"] == 1 and d["exact"]["outcome"] == "proved" and d["exact"]["delta"]["exact"] == "1/2"
    assert load(path).exact == d["exact"]
    json.dumps(rep.to_dict(), allow_nan=False)


# ---------------------------------------------------------------------------------------------
# disproofs (every witness re-checked exactly)
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def strict():
    return load(CATALOG / "zhang2018_strict_055.json")


def _reduced(cert):
    P = cert.operator.P
    return P.T @ cert.X, P.T @ cert.Z


@pytest.mark.parametrize("entry, expected", [((0, 3), "first_order"), ((1, 1), "isometry"), ((0, 0), "second_order")])
def test_altered_H_hat_is_disproved(strict, entry, expected):
    i, j = entry
    Hh = strict.operator.H_hat.copy()
    Hh[i, j] += 0.01
    Hh[j, i] = Hh[i, j]
    op = CompactOperator(strict.operator.P, Hh)
    mu = strict.formulation["hess_min"]
    rep = verify_exact(op, strict.X, strict.Z, strict.delta, mu)
    Xr, Zr = _reduced(strict)
    H = [[F(h) for h in row] for row in (0.5 * (Hh + Hh.T)).tolist()]
    assert check_witness(rep, Xr, Zr, H, strict.delta, mu) == expected


def test_altered_X_is_disproved(strict):
    X = strict.X.copy()
    X[0, 0] += 1e-3
    rep = verify_exact(strict.operator, X, strict.Z, strict.delta, strict.formulation["hess_min"])
    assert rep.checks["first_order"]["passed"] is False
    H = fmat(strict.operator.H_hat)
    P = strict.operator.P
    assert check_witness(rep, P.T @ X, P.T @ strict.Z, H, strict.delta) == "first_order"


@pytest.mark.parametrize("delta", [0.45, 0.499])
def test_delta_below_the_true_rip_constant_is_disproved(delta):
    op, x, z = rip.examples.zhang2018()
    rep = verify_exact(op, x, z, delta)
    assert check_witness(rep, x[:, None], z[:, None], exact_gram(op.A), delta) == "isometry"
    assert float(Fraction(rep.witness["value"])) == pytest.approx(0.5, abs=1e-9)


def test_altered_measurement_matrix_is_disproved():
    op, x, z = rip.examples.zhang2018()
    A = op.A.copy()
    A[2, 0, 1] += 0.05  # the antisymmetric measurement: only the RIP band sees it
    rep = verify_exact(ExplicitOperator(A), x, z, op.rip_constant().delta)
    assert check_witness(rep, x[:, None], z[:, None], exact_gram(A), op.rip_constant().delta) == "isometry"
    A = op.A.copy()
    A[0, 1, 1] = 0.55
    rep = verify_exact(ExplicitOperator(A), x, z, op.rip_constant().delta)
    assert check_witness(rep, x[:, None], z[:, None], exact_gram(A), 0.5) == "first_order"


def test_curvature_claim_too_large_is_disproved(strict):
    rep = verify_exact(strict.operator, strict.X, strict.Z, strict.delta, 0.6)
    Xr, Zr = _reduced(strict)
    H = fmat(0.5 * (strict.operator.H_hat + strict.operator.H_hat.T))
    assert check_witness(rep, Xr, Zr, H, strict.delta, 0.6) == "second_order"


def test_rank2_disproofs_use_the_rotation_complement():
    cert = load(CATALOG / "random_n6_r2_rstar2_seed3.json")  # hess_min ~ 0.30
    rep = verify_exact(cert.operator, cert.X, cert.Z, cert.delta, 1.0)
    P = cert.operator.P
    H = fmat(0.5 * (cert.operator.H_hat + cert.operator.H_hat.T))
    assert check_witness(rep, P.T @ cert.X, P.T @ cert.Z, H, cert.delta, 1.0) == "second_order"
    X = cert.X.copy()
    X[1, 1] += 1e-2
    rep = verify_exact(cert.operator, X, cert.Z, cert.delta)
    assert rep.outcome == "disproved" and rep.witness["check"] == "first_order"


def test_not_spurious_and_malformed_operator():
    op, x, z = rip.examples.zhang2018()
    rep = verify_exact(op, z, z, 0.5)
    assert rep.outcome == "disproved" and rep.witness["check"] == "spurious"
    c = load(CATALOG / "zhang2018_sdp.json")
    bad = CompactOperator(c.operator.P * 1.01, c.operator.H_hat, check=False)
    rep = verify_exact(bad, c.X, c.Z, c.delta)
    assert rep.outcome == "disproved" and rep.witness["check"] == "operator_well_formed"


def test_bad_arguments():
    op, x, z = rip.examples.zhang2018()
    for kwargs in ({"delta": 1.0}, {"delta": -0.1}, {"delta": "a"}, {"delta": 0.5, "mu": -1.0},
                   {"delta": 0.5, "mu": float("nan")}):
        with pytest.raises(InputError):
            verify_exact(op, x, z, **kwargs)
    with pytest.raises(InputError):
        verify_exact(op, [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], 0.5)
    with pytest.raises(InputError):
        verify_exact(op, x, z, 0.5, domain="hermitian")
    with pytest.raises(InputError):
        verify_exact(object(), x, z, 0.5)


def test_rounding_level_failure_is_undecided_without_repair_and_proved_with_it():
    op, x, z = rip.examples.zhang2018()
    A = op.A.copy()
    A[0, 1, 1] -= 1e-12  # the singular Hessian of the published point becomes ~ -1e-12 after projection
    op2 = ExplicitOperator(A)
    d = op2.rip_constant().delta
    rep = verify_exact(op2, x, z, d, repair=False)
    assert rep.outcome == "undecided" and "within rounding" in rep.reason and rep.violating_vector is None
    rep = verify_exact(op2, x, z, d)
    assert rep.outcome == "proved" and rep.repair["nudge"]["succeeded"]
    assert Fraction(d) < rep.proof["delta"] <= Fraction(d) + Fraction(3, 10**9)


def test_exact_verification_imports_no_solver(tmp_path):
    code = (
        "import sys\n"
        "for m in ('cvxpy', 'clarabel', 'scs', 'scipy'): sys.modules[m] = None\n"
        "import certify\n"
        f"rep = certify.load({str(CATALOG / 'zhang2018_strict_055.json')!r}).verify(exact=True)\n"
        "assert rep.outcome == 'proved', rep.reason\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_explicit_operator_too_large_is_undecided():
    op, x, z = rip.examples.example1(np.arange(1.0, 18.0))  # n = 17: n^2 = 289 > 256
    rep = verify_exact(op, x, z, 0.5)
    assert rep.outcome == "undecided" and "limit" in rep.reason


# ---------------------------------------------------------------------------------------------
# the exact PSD test
# ---------------------------------------------------------------------------------------------
def _qv(M, v):
    return sum(F(v[i]) * F(M[i][j]) * F(v[j]) for i in range(len(M)) for j in range(len(M)))


@pytest.mark.parametrize("method", ["ldlt", "charpoly"])
def test_psd_singular(method):
    res = psd_test([[1, 1], [1, 1]], method=method)
    assert res.psd and res.inertia == (1, 1, 0)
    if method == "ldlt":
        assert res.min_pivot == 0
    res = psd_test([[0, 0], [0, 0]], method=method)
    assert res.psd and res.inertia == (0, 2, 0)
    res = psd_test([[Fraction(1, 3), Fraction(2, 3), 0], [Fraction(2, 3), Fraction(4, 3), 0], [0, 0, 0]], method=method)
    assert res.psd and res.inertia == (1, 2, 0)


@pytest.mark.parametrize(
    "M",
    [
        [[0, 1], [1, 0]],  # zero diagonal, nonzero off-diagonal
        [[0, 1], [1, 1]],  # zero pivot: the Schur complement of the 1 is -1
        [[1, 0, 0], [0, 0, Fraction(1, 7)], [0, Fraction(1, 7), 0]],
        [[2, 3], [3, 2]],
        [[1, 2, 3], [2, 4, 6], [3, 6, 9 - Fraction(1, 10**12)]],  # nearly PSD, rank 1 minus a tiny bit
        [[-1, 0], [0, 5]],
    ],
)
def test_psd_indefinite_with_witness(M):
    for method in ("ldlt", "charpoly"):
        res = psd_test(M, method=method)
        assert not res.psd
        assert res.witness is not None and res.value < 0
        assert _qv(M, res.witness) == res.value


def test_psd_definite_and_agreement_between_methods():
    rng = np.random.default_rng(0)
    for _ in range(20):
        B = rng.integers(-3, 4, size=(5, 3))
        M = (B @ B.T).tolist()  # PSD of rank <= 3
        if rng.random() < 0.5:
            M[0][0] -= 1  # sometimes indefinite
        a, b = psd_test(M, method="ldlt"), psd_test(M, method="charpoly")
        assert a.psd == b.psd
        if a.psd:
            assert a.inertia == b.inertia
    res = psd_test([[2, -1, 0], [-1, 2, -1], [0, -1, 2]])
    assert res.psd and res.inertia == (3, 0, 0) and res.min_pivot == 1  # pivots 2, 2, 1 (largest diagonal first)


def test_psd_large_matrices_use_the_fast_paths():
    rng = np.random.default_rng(1)
    B = rng.standard_normal((50, 50))
    S = B @ B.T / 50 + 1e-3 * np.eye(50)
    res = psd_test(S.tolist())  # floats at their exact binary values
    assert res.psd and res.method == "rounding" and 0 < res.min_pivot <= Fraction(np.linalg.eigvalsh(S)[0])
    lam, V = np.linalg.eigh(S)
    T = S - (lam[0] + 1e-6) * np.outer(V[:, 0], V[:, 0])  # one eigenvalue ~ -1e-6
    T = 0.5 * (T + T.T)
    res = psd_test(T.tolist())
    assert not res.psd and res.inertia[2] == 1 and _qv(T.tolist(), res.witness) == res.value < 0


def test_psd_rejects_bad_matrices():
    with pytest.raises(InputError):
        psd_test([[1, 2], [3, 4]])
    with pytest.raises(InputError):
        psd_test([[1, 2, 3], [2, 3, 4]])
    with pytest.raises(InputError):
        psd_test([[1]], method="qr")


def test_simplest_between():
    assert simplest_between(Fraction(1, 3), Fraction(1, 2)) == Fraction(1, 2)
    assert simplest_between(Fraction(3, 10), Fraction(4, 10)) == Fraction(1, 3)
    assert simplest_between(Fraction(5), Fraction(6)) == 5
    q = simplest_between(Fraction(0.5) + Fraction(1, 10**9), Fraction(0.5) + Fraction(2, 10**9))
    assert Fraction(0.5) + Fraction(1, 10**9) <= q <= Fraction(0.5) + Fraction(2, 10**9) and q.denominator < 10**10


# ---------------------------------------------------------------------------------------------
# command line and missing python-flint
# ---------------------------------------------------------------------------------------------

def test_cli_exit_codes(tmp_path, capsys, cli_run):
    good = CATALOG / "zhang2018_published.json"
    code, out, _ = cli_run("verify", str(good), "--exact")
    assert code == 0 and "PROVED" in out and "1/2" in out
    code, out, _ = cli_run("verify", str(good), "--exact", "--json")
    d = json.loads(out)
    assert code == 0 and d["outcome"] == "proved" and d["exact"]["delta"]["exact"] == "1/2"
    # tampered: one entry of one measurement matrix
    d = json.loads(good.read_text())
    d["operator"]["A"][0][1][1] = 0.55
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(d))
    code, out, _ = cli_run("verify", str(bad), "--exact")
    assert code == 1 and "DISPROVED" in out
    # bad input: no file, not JSON
    code, _, err = cli_run("verify", str(tmp_path / "missing.json"), "--exact")
    assert code == 2 and "no such file" in err and "Traceback" not in err
    (tmp_path / "x.json").write_text("{")
    code, _, err = cli_run("verify", str(tmp_path / "x.json"), "--exact")
    assert code == 2 and err.count("\n") == 1


def test_cli_undecided_exit_code(tmp_path, capsys, cli_run):
    op, x, z = rip.examples.example1(np.arange(1.0, 18.0))
    cert = Certificate(X=x, Z=z, operator=op, delta=0.5, source="published-formula")
    path = cert.save(tmp_path / "big.json")
    code, out, _ = cli_run("verify", str(path), "--exact")
    assert code == 4 and "UNDECIDED" in out


def test_without_flint(monkeypatch, capsys, cli_run):
    monkeypatch.setitem(sys.modules, "flint", None)  # `import flint` now raises ImportError
    op, x, z = rip.examples.zhang2018()
    with pytest.raises(ExactUnavailableError, match=r"pip install 'certify\[exact\]'") as info:
        verify_exact(op, x, z, 0.5)
    assert isinstance(info.value, CertifyError)
    with pytest.raises(ExactUnavailableError):
        psd_test([[1]])
    code, _, err = cli_run("verify", str(CATALOG / "zhang2018_published.json"), "--exact")
    assert code == 2 and "certify[exact]" in err
    code, _, _ = cli_run("verify", str(CATALOG / "zhang2018_published.json"))  # the float verifier needs no flint
    assert code == 0
    from certify.check.exact import flint  # the project's one python-flint loader

    with pytest.raises(ExactUnavailableError, match=r"pip install 'certify\[exact\]'"):
        flint()


# ---------------------------------------------------------------------------------------------
# the package layout: old import paths, short stages
# ---------------------------------------------------------------------------------------------
def test_old_import_paths_are_aliases():
    import certify.check.exact as pkg
    import certify.exact
    import certify.exact_claims
    import certify.exact_curvature
    from certify.check.exact import claims, core, curvature, operator_proof, psd, rational, report

    assert certify.exact is core and certify.exact_claims is claims and certify.exact_curvature is curvature
    missing = [name for name in core._FORMER_NAMES if not hasattr(core, name)]
    assert not missing, missing
    assert core.verify_exact is operator_proof.verify_exact is pkg.verify_exact
    assert core._qstr is rational._qstr and core._psd is psd._psd and core.ExactReport is report.ExactReport
    assert core._flint is rational.flint is pkg.flint
    assert {"MAX_EXPLICIT_GRAM", "LDL_MAX", "DISPROOF_RTOL"} <= set(dir(certify.exact))


def test_exact_functions_are_short():
    """The trusted kernel reads as named stages: no function of certify/check/exact above 80 lines."""
    import ast

    import certify.check.exact as pkg

    long = []
    for path in sorted(Path(pkg.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 80:
                long.append(f"{path.name}:{node.lineno} {node.name}")
    assert not long, long
