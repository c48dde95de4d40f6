"""NIMC Hessian certificates in the kernel (certify.check.nimc): proofs of lambda_min(H*) >= rho for
orthogonal U*, V*, the statistical estimates labelled as such, and rejection of every tampered claim."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("flint", reason="the NIMC certificates need python-flint (pip install 'certify[exact]')")

from certify import nimc  # noqa: E402
from certify.check import load_any  # noqa: E402
from certify.check import nimc_constants as K  # noqa: E402
from certify.check.nimc import NIMCCertificate, derive  # noqa: E402
from certify.errors import CertificateFormatError, InputError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def certs():
    """sigmoid and tanh, d = k = 3, orthogonal U*, V* (the acceptance setting), as file dicts."""
    out = {}
    for act in ("sigmoid", "tanh"):
        U, V = nimc.orthogonal_truth(3, seed=0)
        out[act] = nimc.certificate(U, V, act, name=f"{act}_3").to_dict()
    return out


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_proves_lambda_min_at_least_rho_with_narrow_enclosures(certs, act):
    d = certs[act]
    cert = NIMCCertificate.from_dict(copy.deepcopy(d))
    assert cert.rigorous and cert.verify().ok
    lam, rho = cert.lambda_min, cert.rho
    assert lam["hi"] - lam["lo"] < 1e-9 and rho["hi"] - rho["lo"] < 1e-9  # the acceptance bound; in fact ~1e-18
    assert lam["lower_proof"] == "lemma-c1-identity" and lam["lo"] <= rho["hi"]
    assert cert.bounds["lemma_c1"]["status"] == "proved" and cert.bounds["theorem_d5"]["status"] == "proved"
    ex = cert.verify_exact()
    assert ex.outcome == "proved", ex.reason
    verdicts = {c["claim"]: c["verdict"] for c in ex.claims}
    assert verdicts["lambda_min"] == verdicts["rho"] == verdicts["lemma_c1"] == verdicts["theorem_d5"] == "proved"
    assert verdicts["instance.orthonormal"] == "proved" and verdicts["verification"] == "not a proof claim"
    assert nimc.constants.published_rho(act)[1] == pytest.approx(rho["lo"], rel=0.01)


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
@pytest.mark.parametrize("field, end", [("rho", "lo"), ("rho", "hi"), ("lambda_min", "lo"), ("lambda_min", "hi")])
@pytest.mark.parametrize("sign", [1, -1])
def test_a_change_of_1e6_in_rho_or_lambda_min_is_rejected(certs, act, field, end, sign):
    d = copy.deepcopy(certs[act])
    d[field][end] += sign * 1e-6
    cert = NIMCCertificate.from_dict(d)
    rep = cert.verify()
    assert not rep.ok and any(f.startswith(f"{field}_matches") for f in rep.failures)
    ex = cert.verify_exact()
    assert ex.outcome != "proved"  # disproved (the true value left the enclosure) or undecided (a looser bound)
    tightened = (end == "lo" and sign > 0) or (end == "hi" and sign < 0)
    if tightened:
        assert ex.outcome == "disproved"


@pytest.mark.parametrize("mutate, check", [
    (lambda d: d["moments"]["alpha_20"].update(lo=d["moments"]["alpha_20"]["lo"] + 1e-9), "moments_match"),
    (lambda d: d["moments"]["gamma"].update(hi=d["moments"]["gamma"]["hi"] - 1e-9), "moments_match"),
    (lambda d: d["bounds"]["lemma_c1"].update(status="certified"), "lemma_c1_matches"),
    (lambda d: d["bounds"]["theorem_d5"]["bound"].update(hi=1.0), "theorem_d5_matches"),
    (lambda d: d["bounds"]["lemma_c1"].update(applies=False), "lemma_c1_matches"),
    (lambda d: d["instance"]["U_star"][0].__setitem__(0, d["instance"]["U_star"][0][0] + 1e-3), "instance"),
    (lambda d: d.update(method="quadrature"), "lambda_min_matches"),
    (lambda d: d["instance"].update(activation="tanh"), "rho_matches"),
])
def test_every_tampered_claim_is_rejected(certs, mutate, check):
    d = copy.deepcopy(certs["sigmoid"])
    mutate(d)
    cert = NIMCCertificate.from_dict(d)
    rep = cert.verify()
    assert not rep.ok and not rep.checks[check]["passed"], rep.checks
    assert cert.verify_exact().outcome != "proved"


def test_moments_tampered_beyond_the_ball_are_disproved(certs):
    d = copy.deepcopy(certs["tanh"])
    d["moments"]["beta_20"]["lo"] += 1e-3
    d["moments"]["beta_20"]["hi"] += 1e-3
    ex = NIMCCertificate.from_dict(d).verify_exact()
    assert ex.outcome == "disproved"
    assert {c["claim"]: c["verdict"] for c in ex.claims}["moments.beta_20"] == "disproved"


def test_the_lemma_c1_identity_holds_for_arbitrary_moment_values():
    """The sum-of-squares identity behind the lower end (module docstring of nimc_constants), checked
    on random moment values (beta_11 = 0) against the Hessian the kernel builds."""
    rng = np.random.default_rng(3)

    class M:
        pass

    for k in (1, 2, 3, 4):
        m = M()
        for name in ("a10", "a11", "a20", "b10", "b12", "b20", "b22", "g"):
            setattr(m, name, float(rng.uniform(0.2, 1.5)))
        m.b11 = 0.0
        H = np.array(K.moment_hessian(m, k, 0.0))
        c, e, f = m.a10**2 * m.b10**2, m.a10**2 * m.b10 * m.b12, m.b10**2 * m.a11**2
        t1 = m.a20 * m.b20 - c - f
        t2 = m.a20 * m.b22 - m.a10**2 * m.b12**2 - m.g**2
        for _ in range(5):
            w = rng.standard_normal(2 * k * k)
            A = w[:k * k].reshape(k, k).T  # A[p, i] = (u_i)_p
            B = w[k * k:].reshape(k, k).T
            diag = np.sum(np.diag(A) ** 2 + np.diag(B) ** 2)
            off = np.sum(A**2 + B**2) - diag
            s = A.sum(axis=1) - np.diag(A)
            s2 = B.sum(axis=1) - np.diag(B)
            sos = np.sum(c * (s + e / c * np.diag(A)) ** 2 + c * (s2 + e / c * np.diag(B)) ** 2
                         + m.g**2 * (np.diag(A) + np.diag(B)) ** 2)
            sos += f * sum((A[j, i] + B[i, j]) ** 2 for i in range(k) for j in range(k) if i != j)
            assert w @ H @ w - t2 * diag - t1 * off == pytest.approx(sos, rel=1e-12, abs=1e-12)


def test_orthonormal_columns_d_above_k_and_the_complement_block():
    p = K.lambda_min_enclosure("sigmoid", 3, 6)
    r = K.rho("sigmoid")
    assert p.lower == "lemma-c1-identity" and p.enclosure.lo <= r.hi and p.enclosure.hi - p.enclosure.lo < 1e-15
    U, V = nimc.orthogonal_truth(6, 3, seed=2)
    lam = nimc.lambda_min(nimc.population_hessian(U, V, "sigmoid", method="quadrature"))
    assert p.enclosure.lo - 1e-12 <= lam <= p.enclosure.hi + 1e-12
    # ReLU: beta_11 != 0, the lemma does not apply, interval Cholesky gives the lower end
    q = K.lambda_min_enclosure("relu", 2, 3)
    assert q.lower == "interval-cholesky" and q.enclosure.lo <= 0.0 <= q.enclosure.hi + 1e-12


def test_kernel_activations_are_the_package_ones():
    assert K.ACTIVATIONS == nimc.ACTIVATIONS
    assert nimc.constants.rho is K.rho and nimc.constants.Enclosure is K.Enclosure


@pytest.mark.parametrize("method", ["quadrature", "monte-carlo"])
def test_statistical_estimates_are_labelled_and_recomputed(method):
    U, V = nimc.random_truth(4, 2, seed=1)
    cert = nimc.certificate(U, V, "sigmoid", method=method, samples=20_000, batches=10, seed=5)
    assert not cert.rigorous and cert.lambda_min["rigorous"] is False and cert.verification["ok"]
    assert cert.bounds["lemma_c1"]["status"] == "not applicable"  # U* not orthonormal
    assert cert.bounds["theorem_d5"]["status"] in ("certified", "tight")
    ex = cert.verify_exact()
    verdicts = {c["claim"]: c["verdict"] for c in ex.claims}
    assert verdicts["lambda_min"] == verdicts["theorem_d5"] == "not a proof claim"
    assert verdicts["rho"] == "proved" and ex.outcome == "proved"  # every *proof* claim is proved
    d = cert.to_dict()
    d["lambda_min"]["estimate"] *= 1 + 1e-6
    assert not NIMCCertificate.from_dict(d).verify().ok


def test_moments_method_needs_orthonormal_factors():
    U, V = nimc.random_truth(3, 3, seed=1)
    with pytest.raises(InputError, match="orthonormal"):
        derive("sigmoid", U, V, "moments")
    with pytest.raises(InputError, match="method"):
        derive("sigmoid", U, V, "magic")
    with pytest.raises(InputError, match="activation"):
        derive("swish", U, V)


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d.update(kind="nimc/other"), "kind"),
    (lambda d: d.update(format_version=2), "format_version"),
    (lambda d: d["instance"].update(d=4), "d x k"),
    (lambda d: d["instance"].update(V_star=[[1.0, 0.0]]), "d x k"),
    (lambda d: d["instance"]["U_star"][1].__setitem__(0, "x"), "number"),
    (lambda d: d["instance"].update(activation="swish"), "activation"),
    (lambda d: d.update(method="guess"), "method"),
    (lambda d: d["moments"].pop("gamma"), "gamma"),
    (lambda d: d["settings"].update(samples=10**9), "samples"),
    (lambda d: d["instance"].update(extra=1), "extra"),
    (lambda d: d["bounds"]["lemma_c1"].update(status="sure"), "status"),
])
def test_malformed_files_are_refused_with_the_field(certs, mutate, match):
    d = copy.deepcopy(certs["sigmoid"])
    mutate(d)
    with pytest.raises(CertificateFormatError, match=match):
        NIMCCertificate.from_dict(d)


def test_file_round_trip_and_load_any(certs, tmp_path):
    cert = NIMCCertificate.from_dict(copy.deepcopy(certs["tanh"]))
    cert.verify_exact()
    p = cert.save(tmp_path / "c.json")
    back = load_any(p)
    assert isinstance(back, NIMCCertificate) and back.kind == "nimc/population-hessian"
    assert back.to_dict() == json.loads(Path(p).read_text())
    assert back.exact["outcome"] == "proved"
    (tmp_path / "bad.json").write_text(json.dumps({**certs["tanh"], "rho": {"lo": math.pi}}))
    with pytest.raises(CertificateFormatError, match="hi"):
        load_any(tmp_path / "bad.json")


def test_the_kernel_checks_nimc_and_nmf_files_without_the_solver_side():
    files = sorted((ROOT / "counterexamples").glob("n*/*.json"))
    assert files
    code = ("import json, sys\nfrom certify.check import load_any\nout = {}\n"
            "for f in sys.argv[1:]:\n    c = load_any(f)\n    out[f] = [c.verify().ok, c.verify_exact().outcome]\n"
            "out['modules'] = sorted(m for m in sys.modules)\nprint(json.dumps(out))")
    res = subprocess.run([sys.executable, "-c", code, *map(str, files)], capture_output=True, text=True, check=True, cwd=ROOT)
    out = json.loads(res.stdout)
    mods = out.pop("modules")
    assert all(v == [True, "proved"] for v in out.values()), out
    forbidden = ("scipy", "numba", "matplotlib", "cvxpy", "sklearn", "certify.nimc", "certify.nmf", "certify.sgd",
                 "certify.rip", "certify.cli", "certify.sweep")
    assert not [m for m in mods if m.startswith(forbidden)]
