"""Enclosures of the NIMC moments and of rho (certify.nimc.constants), checked against independent
float quadrature, closed forms, symmetry identities and the published values."""

import json
import math
import sys

import numpy as np
import pytest

pytest.importorskip("flint", reason="install the exact extra: pip install 'certify[exact]'")

from scipy.integrate import quad  # noqa: E402
from scipy.special import expit  # noqa: E402

from certify.cli import main  # noqa: E402
from certify.errors import InputError  # noqa: E402
from certify.nimc import constants as C  # noqa: E402

FUNCS = {
    "sigmoid": (expit, lambda z: expit(z) * (1 - expit(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
}
QUAD_TOL = 1e-12  # what we ask of scipy's quad; its own estimate is not trusted, only compared


def quad_expectation(g) -> float:
    """E[g(z)], z ~ N(0, 1), by scipy's adaptive quadrature (independent of Arb)."""
    f = lambda z: g(z) * math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    val = 0.0
    for a, b in ((-40, -10), (-10, 0), (0, 10), (10, 40)):
        val += quad(f, a, b, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
    return val


def quad_moments(act):
    phi, dphi = FUNCS[act]
    out = {}
    for name in C.MOMENT_NAMES:
        if name == "gamma":
            out[name] = quad_expectation(lambda z: phi(z) * dphi(z) * z)
        else:
            kind, ij = name.split("_")
            i, j = int(ij[0]), int(ij[1])
            f = phi if kind == "alpha" else dphi
            out[name] = quad_expectation(lambda z, f=f, i=i, j=j: f(z) ** i * z**j)
    return out


def rho_terms_from(r):
    """The two terms of rho (eq. (9)) from a dict of float moments."""
    t1 = r["alpha_20"] * r["beta_20"] - r["alpha_10"] ** 2 * r["beta_10"] ** 2 - r["beta_10"] ** 2 * r["alpha_11"] ** 2
    t2 = r["alpha_20"] * r["beta_22"] - r["alpha_10"] ** 2 * r["beta_12"] ** 2 - r["gamma"] ** 2
    return t1, t2


def assert_encloses(enc, value, tol=QUAD_TOL):
    """The check the acceptance test relies on: the float value lies in the enclosure (up to the
    accuracy asked of the float quadrature)."""
    assert enc.lo - tol <= value <= enc.hi + tol, f"{enc.name}: {value!r} outside [{enc.lo!r}, {enc.hi!r}]"


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_moment_enclosures_contain_scipy_quadrature(act):
    mom = C.moments(act)
    ref = quad_moments(act)
    assert set(mom) == set(C.MOMENT_NAMES)
    for name, enc in mom.items():
        assert enc.width < 1e-15
        assert_encloses(enc, ref[name])
    assert_encloses(C.rho(act), min(rho_terms_from(ref)), tol=1e-11)


def test_enclosure_check_rejects_an_enclosure_that_excludes_the_quadrature_value():
    enc = C.rho("sigmoid")
    ref = quad_moments("sigmoid")
    value = min(rho_terms_from(ref))
    shifted = C.Enclosure("rho (shifted)", enc.lo + 1e-9, enc.hi + 1e-9, enc.mid + 1e-9, "wrong on purpose")
    assert_encloses(enc, value, tol=1e-11)
    with pytest.raises(AssertionError, match="outside"):
        assert_encloses(shifted, value, tol=1e-11)


@pytest.mark.parametrize("act, digits", [("sigmoid", "0.000658"), ("tanh", "0.0095")])
def test_rho_reproduces_the_published_digits(act, digits):
    enc, published = C.published_rho(act)
    assert published == float(digits)
    assert enc.width < 1e-9 and enc.lo <= enc.mid <= enc.hi
    assert C.matches_published(enc, digits)
    assert C.matches_published(enc, published)
    assert not C.matches_published(enc, float(digits) * 1.02)  # a wrong "published" value is not matched
    if act == "sigmoid":
        assert 0.000658 <= enc.lo and enc.hi < 0.000659 and f"{enc.mid:.9f}" == "0.000658332"
    else:
        assert round(enc.lo, 4) == round(enc.hi, 4) == 0.0095 and f"{enc.mid:.7f}" == "0.0094586"


def test_rho_terms_and_which_one_is_the_minimum():
    s1, s2 = C.rho_terms("sigmoid")
    t1, t2 = C.rho_terms("tanh")
    assert s1.hi < s2.lo  # sigmoid: the off-diagonal term is the minimum
    assert t2.hi < t1.lo  # tanh: the diagonal term is the minimum
    assert C.rho("sigmoid").contains(s1.mid) and C.rho("tanh").contains(t2.mid)


def test_relu_closed_forms_and_why_lemma_c1_does_not_apply():
    mom = C.moments("relu")
    inv = 1 / math.sqrt(2 * math.pi)
    for name in ("alpha_11", "alpha_20", "beta_10", "beta_12", "beta_20", "beta_22", "gamma"):
        assert mom[name].lo == mom[name].hi == 0.5 and mom[name].exact
    for name in ("alpha_10", "beta_11"):  # the paper prints 1/2 for these; they are 1/sqrt(2 pi)
        assert mom[name].contains(inv) and not mom[name].contains(0.5)
    r = C.rho("relu")
    assert r.contains(-1 / (8 * math.pi)) and r.hi < 0 and r.width < 1e-15
    applies, why = C.lemma_c1_applies("relu")
    assert not applies and "beta_11" in why and "0.39894" in why


def test_linear_rho_is_exactly_zero_and_lemma_applies():
    r = C.rho("linear")
    assert r.lo == r.hi == 0.0 and r.exact
    assert C.lemma_c1_applies("linear")[0]
    assert C.lemma_c1_applies("sigmoid")[0] and C.lemma_c1_applies("tanh")[0]


@pytest.mark.parametrize("act", C.ACTIVATIONS)
def test_stein_identity_alpha11_equals_beta10(act):
    # E[phi(z) z] = E[phi'(z)] (Gaussian integration by parts): two independent computations agree
    a11, b10 = C.moment("alpha", 1, 1, act), C.moment("beta", 1, 0, act)
    assert a11.lo <= b10.hi and b10.lo <= a11.hi


def test_more_digits_give_nested_enclosures():
    r30, r60 = C.rho("tanh", 30), C.rho("tanh", 60)
    assert r30.lo <= r60.mid <= r30.hi
    assert "0.00945862865482133386293933989" in r60.text


def test_orthogonal_lambda_min_is_at_least_rho_with_the_gap():
    for act in ("sigmoid", "tanh"):
        r = C.rho(act)
        for k in (1, 2, 3, 4):
            e = C.orthogonal_lambda_min(act, k)
            assert e.lo >= r.lo - 1e-18, (act, k, e)
            if act == "sigmoid" and k <= 2:
                assert e.lo > r.hi  # strict: the lemma is not attained
            else:
                assert e.hi <= r.hi + 1e-18  # attained: lambda_min(H*) = rho
                assert "lambda_min - rho in" in e.text


def test_orthogonal_lambda_min_agrees_with_the_float_population_hessian():
    from certify import nimc

    rng = np.random.default_rng(0)
    for act in ("sigmoid", "tanh", "relu"):
        k = 3
        U = np.linalg.qr(rng.standard_normal((k, k)))[0]
        V = np.linalg.qr(rng.standard_normal((k, k)))[0]
        lam = nimc.lambda_min(nimc.population_hessian(U, V, act, method="quadrature"))
        e = C.orthogonal_lambda_min(act, k)
        assert e.lo - 1e-12 <= lam <= e.hi + 1e-12


def test_bad_input_raises_input_error():
    with pytest.raises(InputError, match="activation.*accepted: sigmoid, tanh, relu, linear"):
        C.rho("softplus")
    with pytest.raises(InputError, match="digits"):
        C.rho("sigmoid", digits=3)
    with pytest.raises(InputError, match="kind"):
        C.moment("delta", 1, 0, "sigmoid")
    with pytest.raises(InputError, match="no published rho"):
        C.published_rho("relu")
    with pytest.raises(InputError, match="k:"):
        C.orthogonal_lambda_min("sigmoid", 0)


def test_missing_python_flint_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "flint", None)
    with pytest.raises(InputError, match=r'pip install "certify\[exact\]"'):
        C.moment("alpha", 2, 0, "tanh", digits=17)  # digits not used elsewhere: not cached


def test_cli_constants_nimc(capsys):
    code = main(["constants", "nimc", "--activation", "sigmoid"])
    out = capsys.readouterr().out
    assert code == 0 and "0.000658331663525166" in out and "consistent" in out and "applies" in out
    code = main(["constants", "nimc", "--activation", "relu", "--json", "--digits", "20"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["lemma_c1"]["applies"] is False and doc["published_rho"] is None
    assert doc["rho"]["hi"] < 0 and set(doc["moments"]) == set(C.MOMENT_NAMES)
    code = main(["constants", "nimc", "--activation", "swish"])
    err = capsys.readouterr().err
    assert code == 2 and "invalid choice" in err and "Traceback" not in err
    code = main(["constants", "nimc", "--digits", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "digits" in err
