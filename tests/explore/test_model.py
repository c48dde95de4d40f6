"""certify.explore.model: what the explorer's pages compute, checked against the library (no Panel needed)."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from certify import rip
from certify.errors import CertifyError, InputError
from certify.explore import model
from certify.sgd import protocol, sensing

REPO = Path(__file__).resolve().parents[2]
ATLAS = REPO / "results" / "atlas.json"
X_HAT = np.array(model.X_DEFAULT)
Z_HAT = np.array(model.Z_DEFAULT)


@pytest.fixture(scope="module")
def default_view():
    return model.point_view(model.X_DEFAULT)


@pytest.fixture(scope="module")
def strict_cert():
    """The verified certificate of a strict spurious minimum at x̂ for delta = 0.55 (curvature SDP)."""
    view = model.curvature_view(X_HAT, Z_HAT, 0.55)
    assert view.state == "strict"
    return view.certificate


def _has(points, x, kind=None):
    hits = [c for c in points if np.linalg.norm(c.x - np.asarray(x, dtype=float)) <= 1e-6]
    return len(hits) == 1 and (kind is None or hits[0].kind == kind)


def _operator_scale(op, z):
    return float(np.linalg.norm(op.hessian(z[:, None], z[:, None]), 2))


# -- parsing -----------------------------------------------------------------------------------------

def test_parse_number_accepts_decimals_and_numbers():
    assert model.parse_number(" 0.5 ", "f") == 0.5
    assert model.parse_number("1e-3", "f") == 0.001
    assert model.parse_number(5, "f") == 5.0
    assert model.parse_number("0.4", "f", lo=0.0, hi=0.4) == 0.4
    assert np.array_equal(model.parse_point("0.3", "0.6"), [0.3, 0.6])


@pytest.mark.parametrize("text", ["", "   ", "abc", "0x10", "nan", "-inf", None, True])
def test_parse_number_refuses_what_is_not_a_finite_number(text):
    with pytest.raises(InputError, match="^f: "):
        model.parse_number(text, "f")


def test_parse_number_and_point_check_the_range():
    with pytest.raises(InputError, match="delta"):
        model.parse_number("0.5", "delta", lo=0.0, hi=0.4)
    with pytest.raises(InputError, match="x1"):
        model.parse_point("100", "0")
    with pytest.raises(InputError, match="x2"):
        model.parse_point("0", "abc")


# -- one point ---------------------------------------------------------------------------------------

def test_point_view_at_the_published_point(default_view):
    v = default_view
    assert abs(v.delta - 0.5) <= 1e-6
    assert v.delta_lower <= v.delta
    assert v.report.ok
    assert v.closed_form <= v.delta + 1e-9
    # the Hessian at x̂ of the minimal operator is singular (diag(0, 4) for the published operator)
    assert abs(v.hessian_eigs[0]) <= 1e-6 and v.hessian_eigs[1] > 1.0
    m = v.matrices
    assert m.ndim == 3 and m.shape[1:] == (2, 2) and np.allclose(m, m.transpose(0, 2, 1))
    assert v.F.shape == (v.grid.size, v.grid.size) and np.all(v.F >= -1e-12)


def test_point_view_critical_points(default_view):
    v = default_view
    crit = v.critical
    assert _has(crit, Z_HAT, "global minimum") and _has(crit, -Z_HAT, "global minimum")
    assert _has(crit, X_HAT, "degenerate") and _has(crit, -X_HAT, "degenerate")
    assert not _has(crit, (0.5, 0.5))
    op = v.certificate.operator
    scale = _operator_scale(op, Z_HAT)
    for c in crit:
        g = np.linalg.norm(np.asarray(op.gradient(c.x[:, None], Z_HAT[:, None])))
        assert g <= 1e-8 * scale, (c.x, g)
        assert np.allclose(c.eigs, np.linalg.eigvalsh(op.hessian(c.x[:, None], Z_HAT[:, None])))
    fs = [c.f for c in crit]
    assert fs == sorted(fs)


def test_point_view_elsewhere_matches_counterexample():
    x = np.array([0.3, 0.6])
    v = model.point_view(x)
    assert v.delta == pytest.approx(rip.counterexample(x, Z_HAT).delta, abs=1e-9)
    assert v.report.ok and v.delta_lower <= v.delta
    assert v.closed_form <= v.delta + 1e-9
    assert _has(v.critical, x) and _has(v.critical, -x) and _has(v.critical, Z_HAT, "global minimum")


@pytest.mark.parametrize("x", [model.Z_DEFAULT, (-1.0, 0.0), (0.5, 0.0), (0.0, 0.0), (np.nan, 1.0), (1.0, 2.0, 3.0), None])
def test_point_view_refuses_global_colinear_and_bad_points(x):
    with pytest.raises(InputError):
        model.point_view(x)


@pytest.mark.parametrize("x", ["abc", ["a", "b"], {"a": 1}])
def test_point_view_refuses_non_numeric_points_with_input_error(x):
    with pytest.raises(InputError):
        model.point_view(x)


def test_critical_points_of_the_published_operator():
    op, x, z = rip.examples.zhang2018()
    crit = model.critical_points(op, z)
    assert len(crit) == 5
    assert _has(crit, z, "global minimum") and _has(crit, -z, "global minimum")
    assert _has(crit, x, "degenerate") and _has(crit, -x, "degenerate")
    assert _has(crit, (0.0, 0.0), "maximum")
    at_x = next(c for c in crit if np.linalg.norm(c.x - x) <= 1e-6)
    assert at_x.f == pytest.approx(0.75, abs=1e-12)
    assert np.allclose(at_x.eigs, [0.0, 4.0], atol=1e-9)
    for c in crit:
        assert c.grad <= 1e-9 * _operator_scale(op, z)
    with pytest.raises(InputError, match="z"):
        model.critical_points(op, (1.0, np.inf))


def test_landscape_is_the_objective_on_the_grid():
    op, _, z = rip.examples.zhang2018()
    g, F = model.landscape(op, z, extent=1.0, size=11)
    assert F.shape == (11, 11)
    i, j = 8, 3  # F[i, j] is at (g[j], g[i])
    assert F[i, j] == pytest.approx(float(op.objective(np.array([[g[j]], [g[i]]]), z[:, None])), rel=1e-12)
    assert F[5, 10] == pytest.approx(0.0, abs=1e-12)  # z = (1, 0)
    with pytest.raises(InputError):
        model.landscape(op, z, size=2)


# -- the plane ---------------------------------------------------------------------------------------

def test_plane_map_against_the_closed_form_and_counterexample():
    pm = model.plane_map(size=11)
    assert pm.xs.shape == pm.ys.shape == (11,)
    for a in (pm.delta, pm.delta_lower, pm.status, pm.closed_form):
        assert a.shape == (11, 11)
    both = np.isfinite(pm.delta) & np.isfinite(pm.closed_form)
    assert both.sum() >= 100
    assert np.all(pm.delta[both] >= pm.closed_form[both] - 1e-7)  # Theorem 12 is a lower bound
    ok = pm.status == "ok"
    # a checked bracket (its two ends are float bounds: they may cross by rounding, ~1e-11)
    assert np.all(pm.delta_lower[ok] <= pm.delta[ok] + 1e-10) and pm.max_width <= 1e-6
    assert sum(pm.counts().values()) == 121
    # delta[i, j] is delta((xs[j], ys[i]), z): an asymmetric point
    i, j = 8, 7
    x = np.array([pm.xs[j], pm.ys[i]])
    assert pm.xs[j] != pm.ys[i]
    assert pm.delta[i, j] == pytest.approx(rip.counterexample(x, Z_HAT).delta, abs=1e-7)


def test_plane_map_at_the_ground_truth_and_colinear_points():
    pm = model.plane_map(extent=1.0, size=11)  # step 0.2: ±z and the axis through z are grid points
    row = 5
    assert pm.ys[row] == 0.0 and pm.xs[0] == -1.0 and pm.xs[-1] == 1.0
    for j in (0, 10):
        assert np.isnan(pm.delta[row, j]) and np.isnan(pm.closed_form[row, j])
        assert pm.status[row, j] == "global-minimizer"
    assert np.sum(np.isnan(pm.closed_form)) == 2
    colinear = pm.status[row, 1:10]
    assert np.all(colinear == "no-counterexample") and np.all(pm.delta[row, 1:10] == 1.0)


@pytest.mark.parametrize("size", [2, 10**6, 3.5, "x", True])
def test_plane_map_refuses_bad_sizes(size):
    with pytest.raises(InputError, match="size"):
        model.plane_map(size=size)


@pytest.mark.parametrize("extent", [0, -1.0, float("nan"), 1e7])
def test_plane_map_refuses_bad_extents(extent):
    with pytest.raises(InputError, match="extent"):
        model.plane_map(size=5, extent=extent)


# -- curvature ---------------------------------------------------------------------------------------

def test_curvature_view_states():
    none = model.curvature_view(X_HAT, Z_HAT, 0.45)
    assert none.state == "none" and none.certificate is None
    assert none.mu_upper is None or none.mu_upper < 0
    deg = model.curvature_view(X_HAT, Z_HAT, "0.5")
    assert deg.state == "degenerate" and deg.certificate is None and abs(deg.mu) <= model.DEGENERATE_TOL


def test_curvature_view_strict_has_a_verified_certificate(strict_cert):
    v = model.curvature_view(X_HAT, Z_HAT, "0.55")
    assert v.state == "strict" and v.mu > 0 and v.certificate.verify().ok
    assert "verified" in v.message
    assert strict_cert.delta == pytest.approx(0.55, abs=1e-7)


@pytest.mark.parametrize("delta", ["abc", "nan", "", 1.5, -0.1, 1.0, None])
def test_curvature_view_refuses_bad_delta(delta):
    with pytest.raises(InputError, match="delta"):
        model.curvature_view(X_HAT, Z_HAT, delta)


# -- SGD trials --------------------------------------------------------------------------------------

def test_sgd_trials_from_the_strict_minimum_are_trapped(strict_cert):
    tv = model.sgd_trials(strict_cert, 0)
    f = tv.fractions
    assert sum(f.values()) == pytest.approx(1.0, abs=1e-12)
    assert f["trapped"] >= 0.9
    assert tv.trials == 300 and tv.steps == model.SGD_STEPS
    assert tv.paths.shape == (51, 300, 2)


@pytest.mark.parametrize("gamma, seed, steps, snapshots", [(0.3, 3, 2000, 20), (0.6, 0, 1234, 50)])
def test_sgd_trials_are_the_protocols_trials(strict_cert, gamma, seed, steps, snapshots):
    trials = 40
    tv = model.sgd_trials(strict_cert, str(gamma), trials=str(trials), steps=steps, seed=seed, snapshots=snapshots)
    assert sum(tv.fractions.values()) == pytest.approx(1.0, abs=1e-12)
    proto = protocol.Protocol.from_options(strict_cert, trials=trials, gammas=(gamma,), steps=steps, seed=seed,
                                           decay=model.SGD_DECAY)
    ref = protocol.run_trials(strict_cert.operator, strict_cert.X, strict_cert.Z, gamma, trials, seed,
                              init_scale=proto.init_scale, method="sgd", steps=steps, step_size=proto.step_size, batch=1,
                              decay=model.SGD_DECAY)
    assert tv.step_size == proto.step_size
    assert np.array_equal(tv.outcome.errors, ref.errors)
    assert tv.fractions == {"success": float(np.mean(ref.success)), "trapped": float(np.mean(ref.spurious)),
                            "other": float(np.mean(ref.other)), "diverged": float(np.mean(ref.diverged))}
    # the paths: the starts of the protocol first, the final iterates last
    every = max(1, steps // snapshots)
    assert tv.paths.shape == (steps // every + 1 + (steps % every > 0), trials, 2)
    rng, stream = protocol.trial_streams(seed, gamma)
    X0 = protocol.start_points(rng, strict_cert.X, gamma, trials, proto.init_scale)
    run = sensing.sgd(strict_cert.operator, strict_cert.Z, X0, steps=steps, step_size=proto.step_size, batch=1,
                      seed=stream, decay=model.SGD_DECAY)
    assert np.array_equal(tv.paths[0], X0[..., 0])
    assert np.array_equal(tv.paths[-1], run.X[..., 0])


@pytest.mark.parametrize("kw", [{"gamma": "ten"}, {"gamma": 10**7}, {"gamma": -0.1}, {"gamma": "nan"},
                                {"trials": "ten"}, {"trials": 0}, {"trials": 10**7}, {"trials": 2.5}, {"trials": "2.5"},
                                {"trials": model.MAX_TRIALS + 1}, {"steps": 0}, {"steps": "x"}])
def test_sgd_trials_refuses_bad_options(strict_cert, kw):
    args = {"gamma": 0.1, "trials": 2, "steps": 2, **kw}
    gamma = args.pop("gamma")
    with pytest.raises(InputError, match=next(iter(kw))):
        model.sgd_trials(strict_cert, gamma, **args)


# -- uploads -----------------------------------------------------------------------------------------

def test_check_upload_accepts_a_valid_certificate(strict_cert):
    text = model.certificate_json(strict_cert)
    rep = model.check_upload(text.encode(), "strict.json")
    assert rep.ok and rep.error is None and rep.kind and "VALID" in rep.summary
    assert rep.size == len(text.encode()) and rep.name == "strict.json"


def test_check_upload_finds_a_wrong_claim(strict_cert):
    d = json.loads(model.certificate_json(strict_cert))
    d["delta"] = 0.3
    rep = model.check_upload(json.dumps(d).encode())
    assert not rep.ok and rep.error is None and "INVALID" in rep.summary


def test_check_upload_refuses_bad_files_without_raising(strict_cert):
    text = model.certificate_json(strict_cert)
    d = json.loads(text)
    d["delta"] = float("nan")
    cases = {
        "not json": b"{not json",
        "not utf-8": b"\xff\xfe\x00",
        "NaN": json.dumps(d).encode(),  # json.dumps writes the token NaN
        "duplicate": ('{"delta": 0.5, ' + text.lstrip()[1:]).encode(),
        "array": b"[]",
        "empty object": b"{}",
    }
    for what, data in cases.items():
        rep = model.check_upload(data, "f.json")
        assert not rep.ok and rep.error, what
    assert "UTF-8" in model.check_upload(cases["not utf-8"]).error
    assert "NaN" in model.check_upload(cases["NaN"]).error
    assert "duplicate" in model.check_upload(cases["duplicate"]).error
    none = model.check_upload(None)
    assert not none.ok and none.error


def test_check_upload_size_limit():
    big = model.check_upload(b" " * (model.MAX_UPLOAD_BYTES + 1))
    assert not big.ok and "MiB" in big.error
    at_limit = model.check_upload(b" " * model.MAX_UPLOAD_BYTES)  # read (and refused as empty), not refused for size
    assert not at_limit.ok and "MiB" not in at_limit.error


def test_check_upload_of_text_does_not_raise():
    rep = model.check_upload("{}")
    assert not rep.ok


# -- the atlas ---------------------------------------------------------------------------------------

def test_atlas_view_closed_forms_only():
    v = model.atlas_view(None)
    assert v.rows == {} and v.source is None and v.max_rank == 8
    assert len(v.threshold) == 36
    for (r, s), t in v.threshold.items():
        assert 1 <= s <= r <= 8
        assert t == pytest.approx(1.0 / (1.0 + math.sqrt(s / r)), rel=1e-15)
    cell = model.atlas_cell(v, 3, 3)
    assert cell["threshold"] == pytest.approx(0.5) and cell["status"] is None
    with pytest.raises(InputError, match="max_rank"):
        model.atlas_view(None, max_rank=0)


def test_atlas_view_of_the_repository_file():
    v = model.atlas_view(ATLAS)
    assert len(v.rows) == 36 and v.source == str(ATLAS)
    assert set(v.rows) == set(v.threshold)
    cell = model.atlas_cell(v, 4, 2)
    assert cell["threshold"] == pytest.approx(1.0 / (1.0 + math.sqrt(0.5)), rel=1e-15)
    X, Z = cell["X"], cell["Z"]
    assert X.shape[1] == 4 and Z.shape[1] == 2 and X.shape[0] == Z.shape[0]
    assert cell["status"] is not None and cell["status"]["sharp"] == v.rows[(4, 2)].get("sharp")


@pytest.mark.parametrize("r, r_star", [(2, 3), (0, 0), (4, 0), (9, 1), ("4", 2), (4.0, 2)])
def test_atlas_cell_refuses_bad_cells(r, r_star):
    v = model.atlas_view(None)
    with pytest.raises(InputError):
        model.atlas_cell(v, r, r_star)


def test_atlas_view_refuses_a_file_of_another_format(tmp_path):
    p = tmp_path / "other.json"
    p.write_text('{"format": "certify.certificate"}')
    with pytest.raises(CertifyError, match="not an atlas file"):
        model.atlas_view(p)


@pytest.mark.parametrize("text", ["not json {", "[1, 2]", '{"format": "certify.atlas"}'])
def test_atlas_view_refuses_a_malformed_file_with_a_certify_error(tmp_path, text):
    p = tmp_path / "atlas.json"
    p.write_text(text)
    with pytest.raises(CertifyError):
        model.atlas_view(p)


def test_prove_threshold():
    cert, report = model.prove_threshold(2, 1)
    assert report.outcome == "proved"
    assert float(cert.delta) == pytest.approx(1.0 / (1.0 + math.sqrt(0.5)), abs=1e-12)
    with pytest.raises(InputError, match="r_star"):
        model.prove_threshold(1, 2)


def test_read_atlas_default(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert model.read_atlas_default() is None
    monkeypatch.chdir(REPO)
    assert model.read_atlas_default() == Path("results") / "atlas.json"
