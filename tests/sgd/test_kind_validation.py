"""One certify.validate for every kind: the NIMC and NMF protocols on the catalog's certificates,
the common result type, the command line (certify verify / certify validate on every kind)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

import certify
from certify.check import load_any
from certify.errors import InputError
from certify.sgd.protocol import ValidationResult

pytest.importorskip("flint", reason="the NIMC certificates need python-flint (pip install 'certify[exact]')")

CATALOG = Path(__file__).resolve().parents[2] / "counterexamples"
KIND_FILES = sorted(CATALOG.glob("nimc/*.json")) + sorted(CATALOG.glob("nmf/*.json"))
#: small settings per kind: each validation below takes a second or two
FAST = {"nimc/population-hessian": dict(trials=3, gammas=[0.1, 1.0], steps=200, m=200, n1=40, n2=40, n_test=50),
        "nmf/segment-convexity": dict(trials=8, gammas=[0.1, 1.0], steps=200)}


def test_the_catalog_has_nimc_and_nmf_certificates():
    kinds = {load_any(p).kind for p in KIND_FILES}
    assert kinds == {"nimc/population-hessian", "nmf/segment-convexity"}
    readme = (CATALOG / "README.md").read_text()
    for p in KIND_FILES:
        assert f"`{p.parent.name}/{p.name}`" in readme


@pytest.mark.parametrize("path", KIND_FILES, ids=[p.stem for p in KIND_FILES])
def test_each_catalog_file_loads_verifies_and_validates(path, tmp_path):
    cert = load_any(path)
    assert cert.verify().ok
    ex = cert.verify_exact()
    assert ex.outcome == "proved" and cert.exact["outcome"] == "proved"
    res = certify.validate(cert, seed=1, **FAST[cert.kind])
    assert isinstance(res, ValidationResult) and len(res.rows) == 2 and res.rows[0].gamma == 0.1
    assert res.rows[0].success_rate >= res.rows[1].success_rate
    assert res.rows[0].trials == FAST[cert.kind]["trials"]
    assert res.settings["kind"] == cert.kind and res.settings["perturbation"] in ("alpha", "gamma")
    table = res.table()
    assert res.settings["perturbation"] in table.splitlines()[0]
    back = ValidationResult.from_dict(json.loads(res.save(tmp_path / "v.json").read_text()))
    assert back.rows[1].extra == res.rows[1].extra and back.rows[0].successes == res.rows[0].successes
    res.plot(tmp_path / "v.png")
    assert (tmp_path / "v.png").stat().st_size > 1000


def test_nimc_rows_report_the_rates():
    cert = load_any(CATALOG / "nimc" / "nimc_sigmoid_d3_k3.json")
    res = certify.validate(cert, trials=4, gammas=[0.1], steps=400, m=300, seed=0)
    row = res.rows[0]
    assert row.success_rate == 1.0
    ex = row.extra
    assert ex["lambda_min_certified"] == cert.lambda_min["lo"]
    assert 0 < ex["rate_certified"] < 1 and 0 < ex["rate_sampled"] < 1 and 0 < ex["rate_observed"] < 1
    # finite samples: the sampled Hessian's lambda_min is below the population one, so GD is slower than
    # the certified rate predicts and close to what the sampled Hessian predicts
    assert ex["lambda_min_sampled"] < ex["lambda_min_certified"]
    assert ex["rate_certified"] < ex["rate_observed"] and abs(ex["rate_observed"] - ex["rate_sampled"]) < 5e-3
    again = certify.validate(cert, trials=4, gammas=[0.1], steps=400, m=300, seed=0)
    assert again.rows[0].error_quantiles == row.error_quantiles  # reproducible


def test_nmf_rows_put_success_beside_the_certified_convex_fraction():
    cert = load_any(CATALOG / "nmf" / "nmf_planted_n12_seed0.json")
    res = certify.validate(cert, trials=10, gammas=[0.1, 0.5, 1.0], steps=300, method="mu")
    assert res.settings["method"] == "mu" and "cert convex" in res.table()
    for row in res.rows:
        assert 0 <= row.extra["certified_convex"] <= 1 and row.spurious == 0
        assert row.successes + row.diverged + row.other == row.trials
    assert res.rows[0].success_rate == 1.0 and res.rows[0].extra["certified_convex"] == 1.0


@pytest.mark.parametrize("kind, kwargs, match", [
    ("nimc", dict(method="adam"), "method"), ("nimc", dict(trials=0), "trials"), ("nimc", dict(gammas=[1.5]), "gammas"),
    ("nimc", dict(m=0), "m"), ("nimc", dict(tol_spurious=0.1), "tol_spurious"), ("nimc", dict(mask=1), "mask"),
    ("nimc", dict(method="sgd", batch=10**9), "batch"), ("nimc", dict(trials=10**4, m=10**6), "too large"),
    ("nmf", dict(method="sgd"), "method"), ("nmf", dict(batch=4), "batch"), ("nmf", dict(method="mu", step_size=0.1),
                                                                           "step_size"),
    ("nmf", dict(n_test=5), "n_test"), ("nmf", dict(steps=-1), "steps"), ("nmf", dict(record="yes"), "record"),
])
def test_bad_options_are_refused(kind, kwargs, match):
    path = CATALOG / kind / ("nimc_sigmoid_d3_k3.json" if kind == "nimc" else "nmf_planted_n12_seed0.json")
    with pytest.raises(InputError, match=match):
        certify.validate(load_any(path), **kwargs)


def test_bm_validate_refuses_kind_options():
    cert = certify.load(CATALOG / "zhang2018_published.json")
    with pytest.raises(InputError, match="n1"):
        certify.validate(cert, trials=2, steps=1, n1=10)


def test_record_appends_to_the_certificate(tmp_path):
    cert = load_any(CATALOG / "nmf" / "nmf_planted_n12_seed0.json")
    certify.validate(cert, trials=2, gammas=[0.5], steps=10, record=True)
    p = cert.save(tmp_path / "c.json")
    back = load_any(p)
    assert len(back.validations) == 1 and back.validations[0]["settings"]["kind"] == "nmf/segment-convexity"
    assert back.verify().ok and back.verify_exact().outcome == "proved"  # a record, not a claim


# ------------------------------------------------------------------------------------------------
# the command line
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", KIND_FILES, ids=[p.stem for p in KIND_FILES])
def test_cli_verify_every_kind(path, cli_run):
    code, out, err = cli_run(*["verify", str(path)])
    assert code == 0 and "VALID" in out, err
    code, out, err = cli_run(*["verify", str(path), "--exact", "--json"])
    assert code == 0 and json.loads(out)["outcome"] == "proved"


@pytest.mark.parametrize("field, end, code", [("rho", "lo", 1), ("lambda_min", "hi", 1)])
def test_cli_verify_rejects_a_tampered_nimc_file(tmp_path, cli_run, field, end, code):
    d = json.loads((CATALOG / "nimc" / "nimc_tanh_d3_k3.json").read_text())
    d[field][end] += 1e-6 if end == "lo" else -1e-6
    f = tmp_path / "t.json"
    f.write_text(json.dumps(d))
    assert cli_run(*["verify", str(f)])[0] == 1
    assert cli_run(*["verify", str(f), "--exact"])[0] == 1  # disproved: the true value left the enclosure
    d[field][end] -= 2e-6 if end == "lo" else -2e-6  # now looser: a true enclosure, but not the certified one
    f.write_text(json.dumps(d))
    assert cli_run(*["verify", str(f)])[0] == 1 and cli_run(*["verify", str(f), "--exact"])[0] == 4


def test_cli_verify_nmf_tampered_and_malformed(tmp_path, cli_run):
    d = json.loads((CATALOG / "nmf" / "nmf_planted_n12_seed0.json").read_text())
    bad = copy.deepcopy(d)
    bad["segment"]["verdict"] = "not convex"
    (tmp_path / "b.json").write_text(json.dumps(bad))
    assert cli_run(*["verify", str(tmp_path / "b.json")])[0] == 1
    assert cli_run(*["verify", str(tmp_path / "b.json"), "--exact"])[0] == 1
    bad = copy.deepcopy(d)
    bad["instance"]["n"] = 99
    (tmp_path / "m.json").write_text(json.dumps(bad))
    code, _, err = cli_run(*["verify", str(tmp_path / "m.json")])
    assert code == 2 and "instance.X" in err and err.count("\n") == 1
    assert cli_run(*["verify", str(CATALOG / "nmf" / "nmf_planted_n12_seed0.json"), "--domain", "symmetric"])[0] == 2


def test_cli_validate_nimc_and_nmf(tmp_path, cli_run):
    f = tmp_path / "n.json"
    f.write_bytes((CATALOG / "nimc" / "nimc_sigmoid_d3_k3.json").read_bytes())
    code, out, err = cli_run(*["validate", str(f), "--trials", "2", "--gammas", "0.1", "1", "--steps", "100", "--quiet",
                              "-o", str(tmp_path / "r.json"), "--plot", str(tmp_path / "r.png"), "--record"])
    assert code == 0, err
    assert "alpha" in out and "rate obs" in out and "samples: n1 = 100" in out and out.startswith("SGD")
    assert json.loads((tmp_path / "r.json").read_text())["settings"]["kind"] == "nimc/population-hessian"
    assert len(load_any(f).validations) == 1
    code, out, _ = cli_run(*["validate", str(f), "--method", "gd", "--trials", "2", "--gammas", "0.5", "--steps", "20",
                             "--json"])
    assert code == 0 and json.loads(out)["settings"]["method"] == "gd" and json.loads(out)["settings"]["batch"] is None
    g = CATALOG / "nmf" / "nmf_planted_n12_seed0.json"
    code, out, _ = cli_run(*["validate", str(g), "--trials", "3", "--steps", "50", "--json"])
    d = json.loads(out)
    assert code == 0 and d["settings"]["method"] == "pgd" and len(d["rows"]) == 5  # the NMF defaults
    assert all("certified_convex" in r["extra"] for r in d["rows"])
    assert cli_run(*["validate", str(g), "--trials", "2", "--steps", "5", "--tol-spurious", "0.3"])[0] == 2


def test_cli_validate_refuses_an_invalid_kind_file(tmp_path, cli_run):
    d = json.loads((CATALOG / "nimc" / "nimc_sigmoid_d3_k3.json").read_text())
    d["rho"]["lo"] += 1e-6
    (tmp_path / "t.json").write_text(json.dumps(d))
    code, _, err = cli_run(*["validate", str(tmp_path / "t.json"), "--trials", "1", "--steps", "1"])
    assert code == 2 and "does not verify" in err


@pytest.mark.slow
def test_acceptance_nimc_sigmoid_k5_d10_ample_samples():
    """certify validate on the sigmoid k = 5, d = 10 certificate: success 1.0 at alpha = 0.1 and a
    success rate that does not grow with alpha (measured: 1.0, 1.0, 0.45, 0.45, 0.15 at 0.1 .. 1.0)."""
    cert = load_any(CATALOG / "nimc" / "nimc_sigmoid_d10_k5.json")
    res = certify.validate(cert, trials=20, gammas=[0.1, 0.3, 0.5, 0.7, 1.0], steps=2000, seed=0)
    rates = [r.success_rate for r in res.rows]
    assert rates[0] == 1.0 and rates[-1] < rates[0]
    assert all(b <= a + 0.15 for a, b in zip(rates, rates[1:], strict=False)) and rates[-1] == min(rates)
    assert all(math.isfinite(r.extra["rate_certified"]) for r in res.rows)
    assert np.isfinite(res.rows[0].extra["rate_observed"])
