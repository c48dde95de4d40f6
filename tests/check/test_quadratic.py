"""The kernel over Q(sqrt(m)): field arithmetic, the exact PSD test, BM-sensing derivatives, and the
algebraic certificate format (proved, disproved on a changed entry, malformed files refused)."""

import copy
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("flint", reason="needs python-flint (certify[exact])")

from certify.check.exact.algebraic import AlgebraicCertificate, embedded_claims, load_algebraic, verify_algebraic
from certify.check.exact.quadratic import (
    QuadraticField,
    derivatives,
    psd,
    qf_str,
    rotation_complement,
    squarefree_part,
)
from certify.errors import CertificateFormatError, InputError

CATALOG = Path(__file__).resolve().parents[2] / "counterexamples"


# --- the field --------------------------------------------------------------------------------
def test_squarefree_part():
    assert squarefree_part(24) == (2, 6) and squarefree_part(16) == (4, 1) and squarefree_part(7) == (1, 7)


@pytest.mark.parametrize("m", [1, 2, 6, 15])
def test_field_arithmetic_and_printing(m):
    K = QuadraticField(m)
    rng = np.random.default_rng(m)
    for _ in range(200):
        a, b, c, e = (Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 7))) for _ in range(4))
        x, y = K(a, b), K(c, e)
        fx, fy = float(x), float(y)
        assert math.isclose(float(x * y), fx * fy, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(float(x - y), fx - fy, rel_tol=1e-12, abs_tol=1e-12)
        assert K.parse(qf_str(x)) == x
        if not y.is_zero():
            assert (x / y) * y == x
        s = (x - y).sign()
        assert s == (0 if x == y else (1 if fx > fy else -1))


def test_sign_is_exact_where_floats_are_not():
    K = QuadraticField(2)
    # 665857/470832 is a continued-fraction convergent of sqrt(2): the difference is ~1.6e-12
    x = K(Fraction(665857, 470832)) - K(0, 1)
    assert x.sign() == 1 and 0 < float(x) < 1e-11
    y = K(Fraction(1393, 985)) - K(0, 1)  # below sqrt(2)
    assert y.sign() == -1


def test_field_refusals():
    with pytest.raises(InputError):
        QuadraticField(12)  # not squarefree
    K = QuadraticField(6)
    with pytest.raises(CertificateFormatError):
        K.parse("1 + 2*sqrt(3)")  # another field's root
    with pytest.raises(CertificateFormatError):
        K.parse("one half")
    assert K.sqrt(24) == K(0, 2) and K.sqrt(9) == K(3) and K.sqrt(5) is None
    with pytest.raises(InputError):
        K(1) + QuadraticField(2)(1)


# --- the exact PSD test -----------------------------------------------------------------------
def _sparse(M):
    return {i: {j: v for j, v in enumerate(row) if not v.is_zero()} for i, row in enumerate(M)
            if any(not v.is_zero() for v in row)}


def _gram(K, rng, n, k):
    G = [[K(int(rng.integers(-3, 4)), int(rng.integers(-2, 3))) for _ in range(k)] for _ in range(n)]
    return [[sum((G[i][t] * G[j][t] for t in range(k)), K.zero) for j in range(n)] for i in range(n)]


@pytest.mark.parametrize("seed", range(6))
def test_psd_of_gram_matrices_and_their_perturbations(seed):
    K = QuadraticField(3)
    rng = np.random.default_rng(seed)
    n, k = 6, 3 + seed % 3
    M = _gram(K, rng, n, k)
    res = psd(_sparse(M), n, K)
    assert res.psd and res.inertia[0] == np.linalg.matrix_rank(np.array([[float(v) for v in row] for row in M]))
    M[2][2] = M[2][2] - K(0, 1) * 100  # far below: indefinite
    bad = psd(_sparse(M), n, K)
    assert not bad.psd and bad.value.sign() < 0
    # the witness is evaluated exactly on the matrix
    v = bad.witness
    val = sum((v[i] * M[i][j] * v[j] for i in v for j in v), K.zero)
    assert val == bad.value


def test_psd_zero_diagonal_with_off_diagonal_entry_is_indefinite():
    K = QuadraticField(2)
    M = {0: {1: K(0, 1)}, 1: {0: K(0, 1)}}
    res = psd(M, 2, K)
    assert not res.psd and res.value.sign() < 0


# --- derivatives against the float formulas ---------------------------------------------------
def test_derivatives_match_the_float_kernel():
    from certify.check.verify import _dense_derivatives

    K = QuadraticField(2)
    rng = np.random.default_rng(0)
    d, r = 3, 2
    X = [[K(Fraction(int(rng.integers(-4, 5)), 3), Fraction(int(rng.integers(-2, 3)), 5)) for _ in range(r)] for _ in range(d)]
    Zq = [[K(int(rng.integers(-3, 4))) for _ in range(1)] for _ in range(d)]
    M = [[Zq[i][0] * Zq[j][0] for j in range(d)] for i in range(d)]
    G = _gram(K, rng, d * d, d * d)
    H = _sparse([[G[i][j] + (K(5) if i == j else K.zero) for j in range(d * d)] for i in range(d * d)])
    der = derivatives(X, M, H, K)
    Xf = np.array([[float(v) for v in row] for row in X])
    Zf = np.array([[float(v) for v in row] for row in Zq])
    Hf = np.zeros((d * d, d * d))
    for i, row in H.items():
        for j, v in row.items():
            Hf[i, j] = float(v)
    f, grad, hess = _dense_derivatives(Hf, Xf, Zf)
    assert math.isclose(float(der.f), f, rel_tol=1e-10)
    g = np.zeros(d * r)
    for i, v in der.g.items():
        g[i] = float(v)
    assert np.allclose(2.0 * g, grad.reshape(-1, order="F"), rtol=1e-10, atol=1e-8)
    S2 = np.zeros((d * r, d * r))
    for i, row in der.S2.items():
        for j, v in row.items():
            S2[i, j] = float(v)
    assert np.allclose(2.0 * S2, hess, rtol=1e-10, atol=1e-8)


def test_rotation_complement_is_orthogonal_to_the_rotations():
    K = QuadraticField(5)
    X = [[K(1), K(0, 1), K(2)], [K(0), K(1), K(-1)], [K(3), K(0), K(1, 1)], [K(1), K(1), K(1)]]
    C, c = rotation_complement(X, K)
    d, r = 4, 3
    assert c == d * r - r * (r - 1) // 2
    for i in range(r):
        for j in range(i + 1, r):
            w = {}
            for a in range(d):
                w[a + d * j] = w.get(a + d * j, K.zero) + X[a][i]
                w[a + d * i] = w.get(a + d * i, K.zero) - X[a][j]
            for k in range(c):
                dot = sum((w[idx] * C.get(idx, {}).get(k, K.zero) for idx in w), K.zero)
                assert dot.is_zero()


# --- the (2, 1) threshold certificate written out by hand (independent of certify.rip) --------
def _hand_certificate():
    """(r, r*) = (2, 1) over Q(sqrt(2)): delta = 2 - sqrt(2), X = [0; I_2], M = diag(1/(1 - delta), 0, 0)."""
    K = QuadraticField(2)
    delta = K(2, -1)
    d = 3
    X = [[K(0), K(0)], [K(1), K(0)], [K(0), K(1)]]
    M = [[(1 - delta).inverse(), K(0), K(0)], [K(0)] * 3, [K(0)] * 3]
    H = {k: {k: K(1)} for k in range(9)}
    for j in (1, 2):
        H[0][j + d * j] = H[j + d * j][0] = K(-1, 1)  # delta / sqrt(2) = sqrt(2) - 1
        k1, k2 = d * j, j
        H[k1][k1] = H[k2][k2] = 1 + delta / 2
        H[k1][k2] = H[k2][k1] = delta / 2
    return AlgebraicCertificate(field=K, X=X, M=M, H=H, delta=delta, threshold={"r": 2, "r_star": 1})


def test_the_hand_written_certificate_is_proved():
    rep = verify_algebraic(_hand_certificate())
    assert rep.outcome == "proved", rep.reason
    assert rep.delta["exact"] == "sqrt(2)/(sqrt(2)+sqrt(1))" and rep.delta["value"] == "2 - 1*sqrt(2)"
    assert {c["claim"]: c["verdict"] for c in rep.claims} == {"delta": "proved", "threshold": "proved"}


def test_a_claimed_threshold_that_is_not_the_threshold_is_disproved():
    c = _hand_certificate()
    c.threshold = {"r": 3, "r_star": 1}
    assert verify_algebraic(c).outcome == "disproved"


# --- the closed-form certificates (rip.family) and their mutations ----------------------------
@pytest.fixture(scope="module")
def cert32():
    from certify.rip.family import threshold_certificate

    return threshold_certificate(3, 2)


def test_round_trip_and_file(tmp_path, cert32):
    d = cert32.to_dict()
    back = AlgebraicCertificate.from_dict(json.loads(json.dumps(d)))
    assert back.to_dict()["operator"] == d["operator"]
    p = cert32.save(tmp_path / "t.json")
    rep = load_algebraic(p).verify(exact=True)
    assert rep.outcome == "proved" and rep.delta["exact"] == "sqrt(3)/(sqrt(3)+sqrt(2))"
    assert rep.delta_lower["exact"] == "3 - 1*sqrt(6)"
    assert cert32.verify(exact=False).ok  # the float verifier accepts the rounded operator


def _mutated(d, where, value):
    d = copy.deepcopy(d)
    obj = d
    for k in where[:-1]:
        obj = obj[k]
    obj[where[-1]] = value
    return d


def _entry(d, pred):
    for k, e in enumerate(d["operator"]["entries"]):
        if pred(e):
            return k
    raise AssertionError("no such entry")


@pytest.mark.parametrize("which", ["cross", "block_diagonal", "block_offdiagonal", "X", "M", "delta"])
def test_changing_one_entry_disproves(cert32, which):
    d = cert32.to_dict()
    if which == "cross":  # delta/sqrt(6) between E_ii (A) and E_jj (B)
        k = _entry(d, lambda e: e[0] != e[1] and "sqrt" in e[2] and not e[2].startswith("3/2"))
        d = _mutated(d, ["operator", "entries", k, 2], "1/2")
    elif which == "block_diagonal":
        k = _entry(d, lambda e: e[0] == e[1] and e[2] != "1")
        d = _mutated(d, ["operator", "entries", k, 2], "3/2")
    elif which == "block_offdiagonal":
        k = _entry(d, lambda e: e[0] != e[1] and e[2].startswith("3/2"))
        d = _mutated(d, ["operator", "entries", k, 2], "1/4")
    elif which == "X":
        d = _mutated(d, ["instance", "X", 2, 0], "11/10")
    elif which == "M":
        d = _mutated(d, ["instance", "M", 0, 0], "5/2")
    else:
        d = _mutated(d, ["delta"], "11/20")
    rep = verify_algebraic(d)
    assert rep.outcome == "disproved", (which, rep.reason)


def test_a_strict_mu_too_large_is_disproved(cert32):
    d = cert32.to_dict()
    d["strict"]["mu"] = "401/10000"  # the proved value is 4/100
    rep = verify_algebraic(d)
    assert rep.outcome == "disproved" and "strict" in rep.reason


@pytest.mark.parametrize("bad", [
    {"format": "certify.certificate"},
    "field",
    "entry_below_diagonal",
    "repeated_entry",
    "wrong_size",
])
def test_malformed_files_are_refused(cert32, bad):
    d = cert32.to_dict()
    if bad == "field":
        d["field"]["m"] = 4
    elif bad == "entry_below_diagonal":
        d["operator"]["entries"].append([5, 1, "1"])
    elif bad == "repeated_entry":
        d["operator"]["entries"].append(list(d["operator"]["entries"][0]))
    elif bad == "wrong_size":
        d["operator"]["size"] = 24
    else:
        d = bad
    with pytest.raises((CertificateFormatError, InputError)):
        AlgebraicCertificate.from_dict(d)


def test_catalog_files_carry_proved_algebraic_claims():
    from certify.check.format import load

    files = sorted(CATALOG.glob("threshold_*.json"))
    assert files
    for p in files[:2]:
        cert = load(p)
        claims = {c["claim"]: c["verdict"] for c in embedded_claims(cert)}
        assert claims and all(v == "proved" for v in claims.values()), claims
        assert {"algebraic.delta", "algebraic.threshold", "algebraic.delta_lower", "algebraic.sharpness"} <= set(claims)


def test_an_algebraic_certificate_of_another_instance_is_not_proved_for_the_file():
    from certify.check.format import load

    cert = load(CATALOG / "threshold_r3_rstar2.json")
    cert.X = cert.X * 1.01  # no longer the algebraic instance up to scale (X moves, Z does not)
    verdicts = {c["verdict"] for c in embedded_claims(cert)}
    assert "proved" not in verdicts and "undecided" in verdicts
