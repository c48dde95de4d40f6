"""The NIMC certificate producer (certify.nimc.certificate, orthogonal_truth)."""

from __future__ import annotations

import numpy as np
import pytest

from certify import nimc
from certify.errors import InputError

pytest.importorskip("flint", reason="the NIMC certificates need python-flint (pip install 'certify[exact]')")


def test_orthogonal_truth_has_orthonormal_columns():
    U, V = nimc.orthogonal_truth(6, 4, seed=0)
    assert U.shape == V.shape == (6, 4)
    assert np.abs(U.T @ U - np.eye(4)).max() < 1e-14 and np.abs(V.T @ V - np.eye(4)).max() < 1e-14
    with pytest.raises(InputError, match="k <= d"):
        nimc.orthogonal_truth(2, 3)


def test_auto_method_and_the_proved_case():
    U, V = nimc.orthogonal_truth(3, seed=1)
    c = nimc.certificate(U, V, "tanh")
    assert c.method == "moments" and c.rigorous and c.verification["ok"]
    U2, V2 = nimc.random_truth(3, 2, seed=0)
    c2 = nimc.certificate(U2, V2, "tanh", nodes=80)
    assert c2.method == "quadrature" and c2.settings == {"nodes": 80} and c2.verification["ok"]
    with pytest.raises(InputError, match="activation"):
        nimc.certificate(U, V, "softplus")
