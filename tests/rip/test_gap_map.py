"""Closed-form gap maps (rip.gap_map) and the rank-1 grid records for the sweep kind."""

import json
import math

import numpy as np
import pytest

from certify import InputError, rip


def test_gap_map_brackets_and_closed_form():
    rhos = [0.0, 0.5, 1 / math.sqrt(2), 1.0, 1.5]
    phis = np.radians([0.0, 30.0, 55.0, 90.0, 180.0])
    m = rip.gap_map(rhos, phis)
    assert m.delta.shape == (5, 5) and m.status.shape == (5, 5)
    # x = z (rho 1, phi 0) and x = -z (rho 1, phi 180) are the ground truth
    assert m.status[3, 0] == "ground-truth" and m.status[3, 4] == "ground-truth"
    assert np.isnan(m.delta[3, 0]) and np.isnan(m.closed_form[3, 0])
    # colinear points: no counterexample, delta = 1
    assert m.status[1, 0] == "no-counterexample" and m.delta[1, 0] == 1.0
    ok = m.status == "ok"
    assert np.all(m.delta_lower[ok] <= m.delta[ok] + 1e-9)
    assert np.all(m.closed_form[ok] <= m.delta[ok] + 1e-7)  # Theorem 12 is a lower bound
    assert m.delta[2, 3] == pytest.approx(0.5, abs=1e-6)  # the 2x2 example
    assert m.closed_form[2, 3] == pytest.approx(0.5, abs=1e-9)
    # the same numbers as one counterexample per point
    c = rip.counterexample(0.5 * np.array([math.cos(phis[2]), math.sin(phis[2])]), [1.0, 0.0])
    assert abs(c.delta - m.delta[1, 2]) < 1e-7 and abs(c.delta_lower - m.delta_lower[1, 2]) < 1e-7
    d = json.loads(json.dumps(m.to_dict(), allow_nan=False))
    assert d["status"][3][0] == "ground-truth" and d["delta"][3][0] is None
    assert "largest delta - closed form" in m.summary()


def test_gap_map_with_another_ground_truth():
    m = rip.gap_map([0.6], np.radians([40.0, 100.0]), z=(0.0, 2.0))
    for j, phi in enumerate(np.radians([40.0, 100.0])):
        x = 0.6 * np.array([math.cos(phi), math.sin(phi)])
        assert m.closed_form[0, j] == pytest.approx(rip.closed_form_lower_bound(x, [0.0, 2.0]), abs=1e-12)
        assert m.closed_form[0, j] <= m.delta[0, j] + 1e-7


def test_gap_map_bad_input():
    with pytest.raises(InputError):
        rip.gap_map([-1.0], [0.5])
    with pytest.raises(InputError):
        rip.gap_map([1.0], [0.5], z=(0.0, 0.0))
    with pytest.raises(InputError):
        rip.gap_map([1.0], [float("nan")])


def test_rank1_records_have_the_sweep_kinds_fields():
    from certify.sweep.kinds.rank1_grid import rank1_task

    pts = [{"rho": 1.0, "phi_deg": 0.0}, {"rho": 0.5, "phi_deg": 90.0}, {"rho": 2.0, "phi_deg": 0.0},
           {"rho": 0.8, "phi_deg": 47.0}]
    recs = rip.rank1_records(pts)
    for p, rec in zip(pts, recs, strict=False):
        ref = rank1_task(p)
        assert set(ref) <= set(rec) | {"message"}
        assert rec["kind"] == ref["kind"]
        for key in ("delta", "delta_lower", "closed_form"):
            if ref[key] is None:
                assert rec[key] is None
            else:
                assert abs(rec[key] - ref[key]) < 1e-7
    with pytest.raises(InputError):
        rip.rank1_records([{"rho": 1.0, "phi_deg": 1.0, "solver": "SCS"}, {"rho": 1.0, "phi_deg": 2.0}])
