"""The sharp-threshold atlas: the family, its symmetry-reduced SDPs against the plain ones, the exact
threshold certificates, the diagonal-family search, a small atlas (API, sweep kind with resume, CLI),
and the committed results/atlas.json."""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from certify import InputError, rip
from certify.rip.atlas import AtlasResult, atlas_pairs, atlas_point, check_options
from certify.rip.family import (
    DiagonalFamilySDP,
    FamilySDP,
    published_counterexample,
    sharp_family,
    sufficient_condition,
    threshold_certificate,
)

ROOT = Path(__file__).resolve().parents[2]
#: a small atlas: no SGD, short searches (the certificates are the full ones)
QUICK = {"validate": [], "diagonal_restarts": 1, "diagonal_max_evals": 40, "full_search_max_d": 0}


def test_sharp_family_and_the_published_values():
    X, Z = sharp_family(3, 2)
    a2 = math.sqrt(2) / (math.sqrt(3) + math.sqrt(2))
    assert X.shape == (5, 3) and Z.shape == (5, 2)
    assert np.allclose(X.T @ X, a2 * np.eye(3)) and np.allclose(Z.T @ Z, np.eye(2)) and np.allclose(X.T @ Z, 0)
    assert sharp_family(2, 1, n=7)[0].shape == (7, 2)
    assert math.isclose(sufficient_condition(3, 2), 3 - math.sqrt(6))
    assert math.isclose(published_counterexample(3, 2), 2 - math.sqrt(2))
    assert sufficient_condition(4, 4) == published_counterexample(4, 4) == 0.5
    with pytest.raises(InputError):
        sharp_family(1, 2)


@pytest.mark.parametrize("r, rs", [(2, 1), (3, 2), (4, 2)])
def test_invariant_sdp_matches_the_plain_sdp_at_the_threshold(r, rs):
    F = FamilySDP(r, rs)
    assert F.block_residual < 1e-12
    sol = F.solve_delta()
    c = sol.certificate
    thr = sufficient_condition(r, rs)
    assert abs(c.delta - thr) < 1e-7 and abs(c.delta_lower - thr) < 1e-7 and c.verify().ok
    assert abs(sol.theta["t12"] - thr) < 1e-6 and abs(sol.theta["h_C"] - (1 + thr)) < 1e-6  # the closed form
    plain = rip.counterexample(*sharp_family(r, rs))
    assert abs(plain.delta - c.delta) < 1e-7


def test_invariant_sdp_matches_the_plain_sdp_off_the_threshold():
    """The reduction is exact for every a (not only at the threshold's a)."""
    F = FamilySDP(3, 2, a2=0.3)
    c = F.solve_delta().certificate
    plain = rip.counterexample(F.X, F.Z)
    assert c.delta > sufficient_condition(3, 2) + 1e-3
    assert abs(plain.delta - c.delta) < 1e-7 and abs(plain.delta_lower - c.delta_lower) < 1e-7


def test_invariant_curvature_sdp_matches_the_plain_one():
    d1 = sufficient_condition(2, 1) + 0.01
    sol = FamilySDP(2, 1).solve_curvature(d1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = rip.curvature(*sharp_family(2, 1), d1, certificate=False)
    assert sol.value > 0 and abs(plain.mu - sol.value) < 1e-7
    cert = sol.certificate
    assert cert.verify().strict
    assert cert.verify(exact=True).outcome == "proved"


@pytest.mark.parametrize("r, rs", [(r, rs) for r in range(1, 6) for rs in range(1, r + 1)])
def test_threshold_certificate_is_proved_exactly(r, rs):
    rep = threshold_certificate(r, rs).verify(exact=True)
    assert rep.outcome == "proved", rep.reason
    assert rep.delta["exact"] == f"sqrt({r})/(sqrt({r})+sqrt({rs}))"
    assert math.isclose(rep.delta["float"], sufficient_condition(r, rs), rel_tol=1e-14)
    assert rep.delta_lower["exact"] == rep.delta["value"]
    assert {c["claim"] for c in rep.claims} == {"delta", "threshold", "delta_lower", "strict", "sharpness"}


def test_threshold_certificate_changed_entry_is_disproved():
    c = threshold_certificate(4, 3)
    k = next(i for i, row in c.H.items() for j, v in row.items() if i != j and "sqrt" in str(v))
    j = next(j for j, v in c.H[k].items() if j != k and "sqrt" in str(v))
    c.H[k][j] = c.H[j][k] = c.H[k][j] + c.field("1/1000")
    assert c.verify(exact=True).outcome == "disproved"
    c2 = threshold_certificate(4, 3)
    c2.X[4][1] = c2.field("1/1000")
    assert c2.verify(exact=True).outcome == "disproved"


def test_diagonal_reduction_matches_the_plain_sdp():
    rng = np.random.default_rng(5)
    D = DiagonalFamilySDP(2, 1)
    for _ in range(2):
        x, z = np.exp(0.4 * rng.standard_normal(2)), np.exp(0.4 * rng.standard_normal(1))
        c = rip.counterexample(*D.instance(x, z))
        assert abs(D.delta(x, z) - c.delta) < 1e-7
        v, g = D.delta(x, z, grad=True)
        h = 1e-5
        e = np.array([h, 0.0, 0.0])
        th = np.log(np.concatenate([x, z]))
        fd = (D.delta(*np.split(np.exp(th + e), [2])) - D.delta(*np.split(np.exp(th - e), [2]))) / (2 * h)
        assert abs(fd - g[0]) < 1e-4
    cert = D.certificate(x, z)
    assert cert.verify().ok and abs(cert.delta - c.delta) < 1e-6


def test_atlas_options_and_pairs():
    assert atlas_pairs(3)[0] == (3, 3) and len(atlas_pairs(8)) == 36
    with pytest.raises(InputError):
        check_options({"nonsense": 1})
    with pytest.raises(InputError):
        check_options({"validation_method": "adam"})


@pytest.fixture(scope="module")
def small_atlas():
    return rip.atlas(max_rank=2, **QUICK)


def test_small_atlas_meets_every_acceptance_check(small_atlas, tmp_path):
    a = small_atlas
    assert [(r["r"], r["r_star"]) for r in a.rows] == [(1, 1), (2, 1), (2, 2)]
    assert all(all(r["acceptance"].values()) for r in a.rows), [r["acceptance"] for r in a.rows]
    assert all(r["sharp"] == "proved" for r in a.rows)
    row = a.row(2, 1)
    assert row["exact"]["delta_exact"] == "sqrt(2)/(sqrt(2)+sqrt(1))" and row["plain"]["difference_to_invariant"] < 1e-7
    p = a.save(tmp_path / "atlas.json")
    back = AtlasResult.load(p)
    assert back.rows == json.loads(json.dumps(a.to_dict()))["rows"] and "| 2 | 1 |" in back.table()
    a.plot(tmp_path / "atlas.png")
    assert (tmp_path / "atlas.png").stat().st_size > 1000


def test_atlas_row_with_validation():
    row = atlas_point(2, 1, {**QUICK, "validate": [[2, 1]], "validation_trials": 20, "validation_steps": 300,
                             "validation_gammas": [0.0, 0.5]})
    v = row["validation"]["rows"]
    assert [r["gamma"] for r in v] == [0.0, 0.5] and v[0]["trapped"] == 1.0  # GD started at X stays there


def test_atlas_sweep_kind_resumes(tmp_path):
    from certify import sweep

    store = tmp_path / "a.jsonl"
    params = {"max_rank": 1, **QUICK}
    res = sweep.run_sweep("atlas", params, store, executor="serial", progress=False)
    assert res.complete and res.summary["acceptance"]["exact_threshold_proved"]
    again = sweep.run_sweep("atlas", params, store, executor="serial", progress=False)
    assert again.computed == 0 and again.resumed == 1
    assert "atlas: 1 pairs" in sweep.get_kind("atlas").describe(again.summary)


def test_cli_atlas(tmp_path, cli_run):
    out = tmp_path / "atlas.json"
    code, stdout, _ = cli_run("atlas", "--max-rank", "1", "--quick", "--serial", "-o", str(out), "--plot",
                              str(tmp_path / "a.png"), "--quiet")
    assert code == 0, stdout
    d = json.loads(out.read_text())
    assert d["format"] == "certify.atlas" and d["rows"][0]["sharp"] == "proved"
    assert (tmp_path / "atlas.store.jsonl").is_file() and (tmp_path / "a.png").is_file()


def test_committed_atlas_meets_the_acceptance():
    """results/atlas.json: every (r, r*) up to 8, bracket within 1e-7 of the threshold, no search value
    below it, the exact certificate and the strict one proved, the timing under 30 minutes."""
    d = json.loads((ROOT / "results" / "atlas.json").read_text())
    rows = d["rows"]
    assert {(r["r"], r["r_star"]) for r in rows} == {(r, rs) for r in range(1, 9) for rs in range(1, r + 1)}
    for r in rows:
        assert all(r["acceptance"].values()), (r["r"], r["r_star"], r["acceptance"])
        fam = r["family"]
        assert abs(fam["delta"] - r["sufficient"]) < 1e-7 and abs(fam["delta_lower"] - r["sufficient"]) < 1e-7
        width = fam["delta"] - fam["delta_lower"]
        assert r["search"]["best"] >= r["sufficient"] - max(width, 0.0) - 1e-12
        assert r["exact"]["outcome"] == "proved" and r["sharp"] == "proved"
    assert d["summary"]["largest_exact_rank"] == 8


def test_closed_form_symbolically():
    """The reduced (block) model of the closed form, for symbolic s = sqrt(r*), t = sqrt(r) > 0
    (docs/atlas.md, "What was checked symbolically"): first order, the U_A Hessian block, the band,
    the strict block, and the dual ratio tr G / ||G||_* = delta."""
    sp = pytest.importorskip("sympy")
    s, t, e1 = sp.symbols("s t epsilon", positive=True)
    delta, a2 = t / (s + t), s / (s + t)
    T = sp.Matrix([[1, delta], [delta, 1]])
    e = sp.Matrix([-s, a2 * t])  # vec(diag(-I_A, a^2 I_B)) in (vec I_A / s, vec I_B / t)
    He = T * e
    alpha, beta = He[0] / s, He[1] / t
    assert sp.simplify(beta) == 0  # first order
    assert sp.simplify(alpha + a2 * (1 + delta)) == 0  # the U_A block of (1/2) Hess is 0 at h_C = 1 + delta
    assert sp.simplify(2 * (alpha + a2 * (1 + delta + e1)) - 2 * a2 * e1) == 0  # h_C = 1 + delta1: 2 a^2 (delta1 - delta)
    assert {sp.simplify(v) for v in T.eigenvals()} == {sp.simplify(1 - delta), sp.simplify(1 + delta)}
    assert sp.simplify(delta - 1 / (1 + s / t)) == 0
    # the dual: nu = 1, lambda = -1/a^2 -> G_T = [[1, g12], [g12, 1]], tr G_C = -a^2
    g12 = -(a2 * t / s + s / (a2 * t)) / 2
    assert sp.simplify((-g12 - 1) - (sp.sqrt(a2 * t / s) - sp.sqrt(s / (a2 * t))) ** 2 / 2) == 0  # |g12| >= 1 (AM-GM)
    ratio = (2 - a2) / (2 * (-g12) + a2)  # tr G / ||G||_*: eigenvalues 1 +- g12 of G_T, and -a^2
    assert sp.simplify(ratio - delta) == 0
