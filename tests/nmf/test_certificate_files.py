"""The NMF certificate producer (certify.nmf.certificate, planted_certificate)."""

from __future__ import annotations

import numpy as np
import pytest

from certify import nmf
from certify.errors import InputError


def test_planted_certificate_records_its_model_and_verifies():
    c = nmf.planted_certificate(8, seed=2, name="p8")
    assert c.kind == "nmf/segment-convexity" and c.verification["ok"]
    assert c.model["planted"]["distribution"] == "half-normal" and c.model["planted"]["seed"] == 2
    assert c.shape == (8, 8, 3) and c.mask is None
    inst = nmf.planted(8, seed=2)
    assert np.array_equal(c.W_star, inst.W_star) and np.array_equal(c.X, inst.X)


def test_masked_certificate_keeps_the_mask():
    c = nmf.planted_certificate(8, seed=2, observed_fraction=0.6)
    assert c.mask is not None and c.mask.sum() < 64 and np.all(c.X[~c.mask] == 0)
    assert c.verify().ok


def test_certificate_takes_one_segment():
    inst = nmf.planted(6, seed=0)
    W0, H0 = inst.random_points(2, seed=1)
    with pytest.raises(InputError, match="one segment"):
        nmf.certificate(W0, H0, inst.W_star, inst.H_star, inst.X)
