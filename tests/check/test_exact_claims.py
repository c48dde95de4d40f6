"""Every claim of a certificate file decided exactly (certify.check.exact.claims), and the float
verifier's checks of the same claims; negative tests feed each checker a false claim."""

from __future__ import annotations

import copy
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("flint", reason="needs python-flint (certify[exact])")

from certify.certificates import load  # noqa: E402
from certify.check.exact.claims import verify_certificate_exact  # noqa: E402
from certify.check.exact.rational import _qstr  # noqa: E402
from certify.cli import main  # noqa: E402
from certify.rip.lmi import dual_lower_bound, lmi_data  # noqa: E402

CATALOG = Path(__file__).resolve().parents[2] / "counterexamples"
FILES = sorted(p.name for p in CATALOG.glob("*.json"))
SMALL = ["zhang2018_sdp.json", "zhang2018_published.json", "overparameterized_r2_rstar1.json", "example1_n3.json"]


def _cert(name):
    return load(CATALOG / name)


def _verdicts(report):
    return {c["claim"]: c["verdict"] for c in report.claims}


@pytest.mark.parametrize("name", FILES)
def test_every_catalog_claim_is_proved(name):
    cert = _cert(name)
    rep = verify_certificate_exact(cert)
    assert rep.outcome == "proved", rep.reason
    proof_claims = [c for c in rep.claims if c["verdict"] != "not a proof claim"]
    assert proof_claims and all(c["verdict"] == "proved" for c in proof_claims)
    names = {c["claim"] for c in proof_claims}
    assert "delta" in names
    if cert.delta_lower is not None:
        assert {"delta_lower", "dual.delta_lower"} <= names
        # a two-sided rational bracket, consistent with the float figures
        lo, hi = Fraction(rep.delta_lower["exact"]), Fraction(rep.delta["exact"])
        assert lo <= hi
        assert abs(float(lo) - cert.delta_lower) < 1e-9 and abs(float(hi) - cert.delta) < 3e-9
    if (cert.formulation or {}).get("problem") == "curvature":
        assert {"hess_min", "formulation.mu", "formulation.mu_upper"} <= names
    if cert.validations:
        assert _verdicts(rep)["validations"] == "not a proof claim"


@pytest.mark.parametrize("name", SMALL)
def test_exact_dual_bound_agrees_with_the_float_recomputation(name):
    """The exact bound is never above the float dual bound (tr P + tr N >= ||G||_*) and within 1e-9."""
    cert = _cert(name)
    rep = verify_certificate_exact(cert)
    exact = [c for c in rep.claims if c["claim"] == "delta_lower"][0]
    d = cert.dual
    data = lmi_data(d.scale * (d.P.T @ cert.X), d.scale * (d.P.T @ cert.Z), d.basis)
    flt = dual_lower_bound(data, d.y, d.V)
    ex = float(Fraction(exact["exact_bound"])) if "~" not in exact["exact_bound"] else float(exact["exact_bound"][1:].split()[0])
    assert ex <= flt + 1e-12
    assert flt - ex < 1e-9


@pytest.mark.parametrize("name", SMALL + ["overparameterized_r4_rstar2.json", "example1_n8.json"])
def test_raising_delta_lower_by_1e6_is_not_proved(name):
    cert = _cert(name)
    cert.delta_lower += 1e-6
    cert.dual.delta_lower += 1e-6
    rep = verify_certificate_exact(cert)
    assert rep.outcome in ("undecided", "disproved")
    assert _verdicts(rep)["delta_lower"] in ("undecided", "disproved")
    assert _verdicts(rep)["delta"] == "proved"  # the other claims are unaffected


@pytest.mark.parametrize("value", ["delta+0.01", 1e308, math.inf])
def test_delta_lower_above_the_proved_upper_bound_is_disproved(value):
    cert = _cert("zhang2018_sdp.json")
    cert.delta_lower = cert.delta + 0.01 if value == "delta+0.01" else value
    rep = verify_certificate_exact(cert)
    assert rep.outcome == "disproved"
    assert _verdicts(rep)["delta_lower"] == "disproved"


def test_delta_lower_slightly_above_the_dual_bound_is_undecided():
    cert = _cert("zhang2018_sdp.json")
    cert.delta_lower = 0.49999999996008404 + 3e-7  # above the true dual bound, below delta
    assert verify_certificate_exact(cert).outcome == "undecided"


@pytest.mark.parametrize("tamper", ["V", "y", "P", "scale"])
def test_a_tampered_dual_point_proves_nothing(tamper):
    cert = _cert("overparameterized_r2_rstar1.json")
    d = cert.dual
    if tamper == "V":
        d.V = -np.eye(d.V.shape[0])  # projected onto the PSD cone: V = 0, a useless dual point
    elif tamper == "y":
        d.y = -3.0 * d.y
    elif tamper == "P":
        d.P = d.P[:-1]
    else:
        d.scale = 1e308
    rep = verify_certificate_exact(cert)
    assert _verdicts(rep)["delta_lower"] == "undecided"
    assert rep.outcome == "undecided"
    assert not cert.verify().ok  # the float verifier rejects it too


def test_no_dual_point_leaves_delta_lower_unbacked():
    cert = _cert("zhang2018_sdp.json")
    cert.dual = None
    rep = verify_certificate_exact(cert)
    assert _verdicts(rep)["delta_lower"] == "undecided"
    assert "no dual point" in rep.reason


def test_a_loose_delta_lower_is_a_true_bound_but_not_proved_as_stated():
    """The file's numbers are the values its data certify: -0.5 is a true lower bound on delta, but
    not the one the dual point certifies, so the claim is not proved as stated (as the float verifier)."""
    cert = _cert("zhang2018_sdp.json")
    cert.delta_lower = cert.dual.delta_lower = -0.5
    rep = verify_certificate_exact(cert)
    assert _verdicts(rep)["delta_lower"] == "undecided" and "not the certified one" in rep.reason
    assert not cert.verify().ok


def test_exact_and_float_verifiers_never_disagree_silently():
    """A dual basis P that is not orthonormal still gives a valid exact bound (any congruence keeps
    V PSD), but the float verifier refuses it: the exact outcome then says so instead of 'proved'."""
    cert = _cert("overparameterized_r2_rstar1.json")
    cert.dual.P = cert.dual.P.copy()
    cert.dual.P[2, 0] += 1e-7
    rep = verify_certificate_exact(cert)
    assert rep.outcome == "undecided" and _verdicts(rep)["float_agreement"] == "undecided"


# -- curvature certificates -----------------------------------------------------------------------
def test_curvature_claims_are_each_decided():
    cert = _cert("zhang2018_strict_055.json")
    v = _verdicts(verify_certificate_exact(cert))
    assert v["hess_min"] == v["formulation.mu"] == v["formulation.mu_upper"] == "proved"


@pytest.mark.parametrize("field,change", [("mu_upper", -1e-6), ("mu", +1e-6), ("hess_min", +1e-6)])
def test_false_curvature_claims_are_not_proved(field, change):
    cert = _cert("zhang2018_strict_055.json")
    cert.formulation[field] += change
    rep = verify_certificate_exact(cert)
    assert rep.outcome in ("undecided", "disproved")
    key = field if field == "hess_min" else f"formulation.{field}"
    assert _verdicts(rep)[key] != "proved"
    assert not cert.verify().ok  # the float verifier rejects it too


def test_mu_upper_without_its_dual_point_is_not_proved():
    cert = _cert("zhang2018_strict_055.json")
    del cert.formulation["curvature_dual"]
    rep = verify_certificate_exact(cert)
    assert _verdicts(rep)["formulation.mu_upper"] == "undecided"
    assert not cert.verify().ok


def test_tampered_curvature_dual_is_not_proved():
    cert = _cert("zhang2018_strict_055.json")
    V = np.asarray(cert.formulation["curvature_dual"]["V"])
    cert.formulation["curvature_dual"]["V"] = (V * 0.5).tolist()
    rep = verify_certificate_exact(cert)
    assert _verdicts(rep)["formulation.mu_upper"] == "undecided"


# -- bounded sizes ----------------------------------------------------------------------------------
def test_huge_rationals_are_never_expanded_to_decimal():
    q = Fraction(10**5000 + 1, 3**4000)
    s = _qstr(q)
    assert s.startswith("~") and "digits" in s and len(s) < 120


@pytest.mark.parametrize("how", ["rotate", "one_entry"])
def test_perturbed_overparameterized_file_gives_a_verdict_not_an_exception(how):
    """Regression: X rotated or one entry x (1 + 1e-8) raised 'Exceeds the limit (4300 digits)'."""
    cert = _cert("overparameterized_r3_rstar2.json")
    if how == "rotate":
        th = 0.3
        R = np.eye(cert.n)
        R[2:4, 2:4] = [[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]]
        cert.X = R @ cert.X
    else:
        i, j = np.unravel_index(np.argmax(np.abs(cert.X)), cert.X.shape)
        cert.X[i, j] *= 1 + 1e-8
    rep = verify_certificate_exact(cert)
    assert rep.outcome in ("proved", "disproved", "undecided")
    json.dumps(rep.to_dict(), allow_nan=False)
    if rep.outcome == "proved":  # then nothing in the float recomputation may contradict it
        assert cert.verify().ok


# -- the command line ---------------------------------------------------------------------------------
def _write(tmp_path, cert, name="c.json"):
    p = tmp_path / name
    p.write_text(json.dumps(cert.to_dict()))
    return p


def test_cli_exact_lists_every_claim(tmp_path, capsys):
    assert main(["verify", str(CATALOG / "zhang2018_strict_055.json"), "--exact", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    claims = {c["claim"]: c["verdict"] for c in out["exact"]["claims"]}
    assert claims["formulation.mu_upper"] == "proved" and claims["solver"] == "not a proof claim"


@pytest.mark.parametrize("bump,codes", [(0.01, {1}), (1e-6, {1, 4})])
def test_cli_exact_never_exits_0_on_a_raised_delta_lower(tmp_path, capsys, bump, codes):
    d = json.loads((CATALOG / "zhang2018_sdp.json").read_text())
    d["delta_lower"] = d["delta"] + bump if bump == 0.01 else d["delta_lower"] + bump
    p = tmp_path / "raised.json"
    p.write_text(json.dumps(d))
    assert main(["verify", str(p), "--exact"]) in codes
    out = capsys.readouterr().out
    assert "delta_lower: " in out and ("DISPROVED" in out or "UNDECIDED" in out)
    assert main(["verify", str(p)]) == 1  # the float verifier agrees: INVALID


def test_float_verify_is_scale_invariant():
    cert = _cert("zhang2018_sdp.json")
    for c in (1e150, 1e-150, 1e100):
        scaled = copy.deepcopy(cert)
        scaled.X, scaled.Z = cert.X * c, cert.Z * c
        scaled.dual.scale = cert.dual.scale / c  # the dual point is for scale * P^T X
        rep = scaled.verify()
        assert rep.ok, rep.failures
        assert abs(rep.rip_delta - cert.delta) < 1e-12
        assert rep.hess_min_rel == pytest.approx(cert.verify().hess_min_rel, abs=1e-9)


def test_float_verify_rejects_a_huge_entry_without_an_exception():
    cert = _cert("zhang2018_sdp.json")
    cert.X[0, 0] = 1e300
    rep = cert.verify()
    assert not rep.ok
