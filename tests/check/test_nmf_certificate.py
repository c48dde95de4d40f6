"""NMF segment certificate files (certify.check.nmf.NMFCertificate): written, read back, verified
exactly, and every tampered claim rejected."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from certify import nmf
from certify.check import load_any
from certify.check.nmf import NMFCertificate
from certify.errors import CertificateFormatError


@pytest.fixture(scope="module")
def planted():
    return nmf.planted_certificate(10, seed=1, name="p10").to_dict()


@pytest.fixture(scope="module")
def masked():
    inst = nmf.planted(8, gamma=0.5, observed_fraction=0.7, seed=4)
    W0, H0 = inst.random_points(1, seed=9)
    return nmf.certificate(W0[0], H0[0], inst.W_star, inst.H_star, inst.X, inst.mask, name="masked").to_dict()


@pytest.mark.parametrize("which", ["planted", "masked"])
def test_certificate_files_verify_and_every_claim_is_proved(which, request, tmp_path):
    d = request.getfixturevalue(which)
    cert = NMFCertificate.from_dict(copy.deepcopy(d))
    assert cert.verify().ok
    ex = cert.verify_exact()
    assert ex.outcome == "proved", ex.reason
    verdicts = {c["claim"]: c["verdict"] for c in ex.claims}
    assert all(verdicts[f"segment.c{i}"] == "proved" for i in range(5))
    assert verdicts["segment.alpha"] == verdicts["segment.verdict"] == verdicts["segment.cosine"] == "proved"
    assert verdicts["segment.argmin"] == "not a proof claim"
    p = cert.save(tmp_path / "n.json")
    back = load_any(p)
    assert isinstance(back, NMFCertificate) and back.to_dict() == json.loads(p.read_text())
    assert (back.mask is None) == (d["instance"]["mask"] is None)


def test_fractions_backend_agrees_without_python_flint(planted):
    cert = NMFCertificate.from_dict(copy.deepcopy(planted))
    assert cert.verify(backend="fractions").ok and cert.verify_exact(backend="fractions").outcome == "proved"


def _bump(d, key, rel):
    d["segment"][key] = d["segment"][key] + rel * max(1.0, abs(d["segment"][key]))


@pytest.mark.parametrize("mutate, claim, outcome", [
    (lambda d: d["segment"]["coefficients"].__setitem__(2, d["segment"]["coefficients"][2] * (1 + 1e-6)),
     "segment.c2", "disproved"),
    (lambda d: d["segment"]["coefficient_errors"].__setitem__(0, 0.0) or
     d["segment"]["coefficients"].__setitem__(0, d["segment"]["coefficients"][0] + 1e-9), "segment.c0", "disproved"),
    (lambda d: d["segment"].update(alpha_lower=d["segment"]["alpha"] + 1e-6), "segment.alpha", "disproved"),
    (lambda d: d["segment"].update(alpha_upper=d["segment"]["alpha"] - 1e-6), "segment.alpha", "disproved"),
    (lambda d: d["segment"].update(verdict="not convex"), "segment.verdict", "disproved"),
    (lambda d: d["segment"].update(cosine_lower=d["segment"]["cosine_upper"] + 1e-9,
                                   cosine_upper=d["segment"]["cosine_upper"] + 1e-6), "segment.cosine", "disproved"),
    (lambda d: d["segment"].update(cosine_lower=-d["segment"]["cosine_upper"], cosine_upper=-d["segment"]["cosine_lower"]),
     "segment.cosine", "disproved"),
    (lambda d: d["instance"]["X"][0].__setitem__(0, d["instance"]["X"][0][0] + 1e-3), "segment.c0", "disproved"),
    (lambda d: d["instance"]["W_star"][1].__setitem__(0, d["instance"]["W_star"][1][0] * 1.001), "segment.c4", "disproved"),
])
def test_every_tampered_claim_is_rejected(planted, mutate, claim, outcome):
    d = copy.deepcopy(planted)
    mutate(d)
    cert = NMFCertificate.from_dict(d)
    assert not cert.verify().ok
    ex = cert.verify_exact()
    assert ex.outcome == outcome
    assert {c["claim"]: c["verdict"] for c in ex.claims}[claim] == "disproved"


def test_a_convex_verdict_needs_a_nonnegative_lower_end():
    inst = nmf.planted(6, seed=0)
    W0, H0 = inst.random_points(1, seed=3)
    cert = nmf.certificate(W0[0], H0[0], inst.W_star, inst.H_star, inst.X)
    d = cert.to_dict()
    d["segment"]["alpha_lower"] = -abs(d["segment"]["alpha"])  # still an enclosure, but no proof of convexity
    ex = NMFCertificate.from_dict(d).verify_exact()
    assert {c["claim"]: c["verdict"] for c in ex.claims}["segment.verdict"] == "disproved"


def test_not_convex_and_undecided_verdicts():
    rng = np.random.default_rng(0)
    X = rng.random((4, 4))
    W, H = rng.random((4, 2)) * 3, rng.random((2, 4)) * 3
    Ws, Hs = rng.random((4, 2)) * 0.01, rng.random((2, 4)) * 0.01
    cert = nmf.certificate(W, H, Ws, Hs, X)
    ex = cert.verify_exact()
    v = {c["claim"]: c["verdict"] for c in ex.claims}["segment.verdict"]
    assert (cert.segment.verdict, v) in (("not convex", "proved"), ("convex", "proved"), ("undecided", "not a proof claim"))
    assert ex.outcome == "proved"


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d["instance"].update(n=11), "instance.X"),
    (lambda d: d["instance"].update(mask=[[2] * 10] * 10), "mask"),
    (lambda d: d["instance"].update(W=[[1.0]]), "instance.W"),
    (lambda d: d["segment"].update(coefficients=[1.0, 2.0]), "coefficients"),
    (lambda d: d["segment"].update(verdict="probably"), "verdict"),
    (lambda d: d["segment"]["coefficient_errors"].__setitem__(1, -1.0), "coefficient_errors"),
    (lambda d: d["instance"]["H"][0].__setitem__(0, None), "number"),
    (lambda d: d.pop("segment"), "segment"),
])
def test_malformed_files_are_refused(planted, mutate, match):
    d = copy.deepcopy(planted)
    mutate(d)
    with pytest.raises(CertificateFormatError, match=match):
        NMFCertificate.from_dict(d)


def test_negative_factors_are_an_invalid_file_not_a_crash(planted):
    d = copy.deepcopy(planted)
    d["instance"]["W"][0][0] = -1.0
    rep = NMFCertificate.from_dict(d).verify()
    assert not rep.ok and "negative" in rep.failures[0]
    ex = NMFCertificate.from_dict(d).verify_exact()
    assert ex.outcome == "disproved" and ex.claims[0]["claim"] == "instance"
