"""The catalog's SDP entries rebuilt with both backends (compiled Clarabel core, cvxpy reference):
the same delta and delta_lower as the committed files, and verified certificates."""

import warnings
from pathlib import Path

import pytest

from certify import rip
from certify.check.format import load

CATALOG = Path(__file__).resolve().parents[2] / "counterexamples"
SDP_FILES = [p for p in sorted(CATALOG.glob("*.json")) if load(p).source in ("sdp", "published-formula", "published")]


@pytest.mark.parametrize("path", SDP_FILES, ids=[p.stem for p in SDP_FILES])
@pytest.mark.parametrize("backend", ["clarabel", "cvxpy"])
def test_catalog_sdp_entries_rebuild_with_both_backends(path, backend):
    cert = load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        new = rip.counterexample(cert.X, cert.Z, backend=backend)
    assert new.solver["backend"] == backend and new.verify().ok
    # the file's dual bound came from this SDP (for published operators too: their dual point is the SDP's)
    assert abs(new.delta_lower - cert.delta_lower) < 1e-7
    if cert.source == "sdp":
        assert abs(new.delta - cert.delta) < 1e-7
    else:  # a published operator: optimal, so the SDP's δ equals its RIP constant
        assert abs(new.delta - cert.delta) < 1e-7


def test_catalog_curvature_entry_with_both_backends():
    cert = load(CATALOG / "zhang2018_strict_055.json")
    f = cert.formulation
    a = rip.curvature(cert.X, cert.Z, f["delta_target"], f["grad_tol"], backend="clarabel")
    b = rip.curvature(cert.X, cert.Z, f["delta_target"], f["grad_tol"], backend="cvxpy")
    assert a.kind == b.kind == "strict-minimum"
    assert abs(a.mu - f["mu"]) < 1e-7 and abs(b.mu - f["mu"]) < 1e-7
    assert abs(a.mu_upper - f["mu_upper"]) < 1e-7
    assert a.certificate is not None and a.certificate.verify().ok
