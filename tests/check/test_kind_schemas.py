"""The JSON Schemas of the NIMC and NMF certificate kinds: the package's copies are the published
ones, and they are valid draft 2020-12 schemas that accept the catalog's files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from certify.check.kindfile import SCHEMA_FILES

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind, name", sorted(SCHEMA_FILES.items()))
def test_schema_is_published_and_accepts_the_catalog(kind, name):
    shipped = ROOT / "certify" / "check" / name
    assert shipped.read_text() == (ROOT / "docs" / name).read_text()
    schema = json.loads(shipped.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["kind"]["const"] == kind
    files = [p for p in (ROOT / "counterexamples").glob("*/*.json") if json.loads(p.read_text())["kind"] == kind]
    assert files
    for p in files:
        jsonschema.Draft202012Validator(schema).validate(json.loads(p.read_text()))
