"""Every certificate in counterexamples/ loads, verifies, and matches its published value."""

from pathlib import Path

import pytest

from certify.catalog import ENTRIES, check, regenerate
from certify.certificates import load

CATALOG = Path(__file__).resolve().parents[2] / "counterexamples"
FILES = sorted(CATALOG.glob("*.json"))


def test_catalog_has_every_entry():
    assert {p.stem for p in FILES} == {e.name for e in ENTRIES}
    readme = (CATALOG / "README.md").read_text()
    for p in FILES:
        assert f"`{p.name}`" in readme


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_catalog_file_verifies(path):
    cert = load(path)
    rep = cert.verify()
    assert rep.ok, rep.failures
    if cert.source == "curvature-sdp":  # a strict minimum above delta(X, Z): curvature claim instead of a dual
        assert rep.strict and rep.checks["curvature_claim"]["passed"]
        assert cert.delta > 0.5  # the 2x2 instance has delta(x, z) = 1/2
        return
    assert cert.delta_lower is not None and rep.delta_lower is not None
    assert cert.delta_lower <= cert.delta + 1e-9
    entry = {e.name: e for e in ENTRIES}[path.stem]
    if entry.published is not None:  # computed vs published
        assert abs(rep.rip_delta - entry.published) < 1e-6
        assert abs(rep.delta_lower - entry.published) < 1e-6


def test_catalog_regenerates_to_the_same_numbers(tmp_path):
    rows = regenerate(tmp_path, progress=False)
    assert all(r["ok"] for r in rows)
    for row in rows:
        committed = load(CATALOG / row["file"])
        assert abs(committed.delta - row["delta"]) < 1e-7
    assert all(ok for _, ok, _ in check(tmp_path))
