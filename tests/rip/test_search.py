"""The search for the sharp RIP threshold (small cases; the full targets are benchmarks/bench_search.py)."""

import numpy as np
import pytest

from certify import rip
from certify.errors import InputError
from certify.rip.lmi import dual_lower_bound, lmi_data
from certify.rip.search import SEARCH_SETTINGS, _Objective


def test_rank_one_reaches_one_half():
    best = rip.search_sharp_delta(2, 1, 1, restarts=2, seed=0)
    assert abs(best.delta - 0.5) < 1e-6
    assert best.published["value"] == 0.5
    assert best.certificate.verify().ok
    assert best.delta_lower <= best.delta + 1e-9
    assert len(best.history) == 2 and all(h["best"] <= h["start"] for h in best.history)
    # the optimum has x orthogonal to z and ||x|| = ||z|| / sqrt(2) (JMLR19 Theorem 3)
    x, z = best.X[:, 0], best.Z[:, 0]
    assert abs(x @ z) / (np.linalg.norm(x) * np.linalg.norm(z)) < 1e-3
    assert np.linalg.norm(x) / np.linalg.norm(z) == pytest.approx(1 / np.sqrt(2), rel=1e-3)


def test_dual_model_is_a_lower_bound_touching_at_the_point():
    rng = np.random.default_rng(2)
    obj = _Objective(3, 2, 1, None, SEARCH_SETTINGS)
    theta = _Objective.normalize(rng.standard_normal(9), 3, 2, 1)
    X, Z = obj.split(theta)
    cert = rip.counterexample(X, Z)
    d = cert.dual
    for _ in range(5):
        th2 = theta + 0.05 * rng.standard_normal(9)
        X2, Z2 = obj.split(th2)
        g = dual_lower_bound(lmi_data(d.scale * (d.P.T @ X2), d.scale * (d.P.T @ Z2), d.basis), d.y, d.V)
        assert g <= rip.counterexample(X2, Z2).delta + 1e-7
    f, grad = obj.value(theta, want_grad=True)
    assert f == pytest.approx(cert.delta, abs=1e-6)
    # directional derivative of the model vs a finite difference of delta itself
    u = rng.standard_normal(9)
    u -= (u @ theta) / (theta @ theta) * theta
    u /= np.linalg.norm(u)
    h = 1e-4
    fd = (rip.counterexample(*obj.split(theta + h * u)).delta - rip.counterexample(*obj.split(theta - h * u)).delta) / (2 * h)
    assert grad @ u == pytest.approx(fd, abs=1e-3)


def test_published_thresholds():
    assert rip.published_threshold(2, 1)["value"] == pytest.approx(2 - np.sqrt(2))
    assert rip.published_threshold(3, 1)["value"] == pytest.approx(1 / (1 + 1 / np.sqrt(3)))
    assert rip.published_threshold(4, 2)["value"] == pytest.approx(1 / (1 + 1 / np.sqrt(3)))
    assert rip.published_threshold(3, 3)["value"] == 0.5


@pytest.mark.parametrize("args", [(1, 1, 1), (2, 1, 2), (3, 2, 1, 0), (2, 1, 1, 1, -1)])
def test_bad_input(args):
    with pytest.raises(InputError):
        rip.search_sharp_delta(*args)


def test_cli_search(tmp_path, capsys):
    import json

    from certify.cli import main

    out, hist = tmp_path / "best.json", tmp_path / "hist.json"
    assert main(["search", "--rank", "1", "--rank-star", "1", "--restarts", "1", "--quiet", "-o", str(out),
                 "--history", str(hist)]) == 0
    assert "published" in capsys.readouterr().out
    assert main(["verify", str(out)]) == 0
    assert json.loads(hist.read_text())["history"][0]["restart"] == 0
    assert main(["search", "--rank", "1", "--rank-star", "2"]) == 2
    assert main(["search", "--rank", "x", "--rank-star", "1"]) == 2
