import warnings

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _quiet_inaccurate():
    # Clarabel sometimes reports "optimal_inaccurate" on near-degenerate instances; certify keeps
    # such answers only when its own primal/dual check passes, and warns.  Tests check the numbers.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*reported 'optimal_inaccurate'.*")
        yield


@pytest.fixture
def zhang():
    return np.array([0.0, 1.0 / np.sqrt(2.0)]), np.array([1.0, 0.0])
