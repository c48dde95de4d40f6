"""The certificate JSON Schema and the hardened reader (certify.schema): every malformed input is a
one-line CertificateFormatError (or InputError) naming the field, never another exception."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from certify import CertificateFormatError, InputError
from certify import schema as S
from certify.certificates import Certificate, load

ROOT = Path(__file__).resolve().parents[2]
CATALOG = sorted((ROOT / "counterexamples").glob("*.json"))
COMPACT = ROOT / "counterexamples" / "zhang2018_sdp.json"  # compact operator, dual point
EXPLICIT = ROOT / "counterexamples" / "zhang2018_published.json"  # explicit operator
STRICT = ROOT / "counterexamples" / "zhang2018_strict_055.json"  # curvature formulation


def _doc(path=COMPACT) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _one_line_format_error(fn, *args, match=None, exc=CertificateFormatError):
    with pytest.raises(exc, match=match) as info:
        fn(*args)
    msg = str(info.value)
    assert "\n" not in msg and msg.strip() == msg and len(msg) < 600, msg
    return msg


def _write(tmp_path, text, name="c.json") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def _with_token(d: dict, parts, token: str) -> str:
    """The JSON text of ``d`` with the value at ``parts`` replaced by the raw text ``token``."""
    d = copy.deepcopy(d)
    node = d
    for k in parts[:-1]:
        node = node[k]
    node[parts[-1]] = "@@TOKEN@@"
    return json.dumps(d).replace('"@@TOKEN@@"', token)


# -- the schema file ----------------------------------------------------------------------------------


def test_schema_shipped_and_published_are_identical():
    assert (ROOT / "docs" / "certificate.schema.json").read_bytes() == S.SCHEMA_PATH.read_bytes()
    assert S.SCHEMA_PATH.parent == Path(S.__file__).parent


def test_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(S.schema())
    assert S.schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", CATALOG, ids=lambda p: p.name)
def test_every_catalog_file_satisfies_the_schema_and_loads(path):
    d = _doc(path)
    # the published schema alone (any JSON Schema validator) accepts the file ...
    assert not list(jsonschema.Draft202012Validator(S.schema()).iter_errors(d))
    # ... and so do certify's reader and the shape rules
    S.validate_certificate(S.read_json_file(path))
    cert = load(path)
    assert cert.n == d["instance"]["n"]


def test_round_trip_of_a_fresh_certificate_validates():
    cert = load(EXPLICIT)
    d = json.loads(cert.to_json())
    S.validate_certificate(d)
    assert Certificate.from_dict(d).delta == cert.delta


def test_schema_module_imports_nothing_heavy():
    code = ("import sys, certify.schema as s; s.validate_certificate(s.read_json_file(sys.argv[1])); "
            "print(sorted(m for m in ('scipy', 'cvxpy', 'numba', 'matplotlib', 'flint') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(COMPACT)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- parse_json ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nonfinite_token_in_dual_scale_is_refused(tmp_path, token):
    text = _with_token(_doc(), ("dual", "scale"), token)
    msg = _one_line_format_error(S.parse_json, text, match=token)
    assert "not a JSON number" in msg
    _one_line_format_error(load, _write(tmp_path, text), match="NaN and Infinity are not allowed")


def test_number_literal_beyond_double_range_is_refused(tmp_path):
    text = _with_token(_doc(), ("instance", "X"), "[[1e400], [0.5]]")
    _one_line_format_error(load, _write(tmp_path, text), match="beyond the double range")


@pytest.mark.parametrize("digits", [400, 5000])
def test_huge_integer_literal_is_refused(tmp_path, digits):
    text = _with_token(_doc(), ("delta",), "9" * digits)
    msg = _one_line_format_error(load, _write(tmp_path, text))
    assert "digits" in msg or "too long" in msg


def test_non_utf8_bytes_are_refused(tmp_path):
    raw = COMPACT.read_bytes().replace(b'"zhang2018_sdp"', b'"zhang\xff\xfe2018"')
    _one_line_format_error(load, _write(tmp_path, raw), match="not UTF-8")


def test_truncated_json_is_refused(tmp_path):
    text = COMPACT.read_text()
    _one_line_format_error(load, _write(tmp_path, text[: len(text) // 2]), match="not a JSON file")


@pytest.mark.parametrize("text", ["", "   \n", b""])
def test_empty_file_is_refused(tmp_path, text):
    _one_line_format_error(load, _write(tmp_path, text), match="empty")


def test_deep_nesting_is_refused_without_recursion(tmp_path):
    deep = "[" * 100_000 + "0.5" + "]" * 100_000
    text = _with_token(_doc(), ("instance", "X"), deep)
    _one_line_format_error(load, _write(tmp_path, text), match="nested")
    # just over the limit: parsed fine by json, refused by the iterative depth check
    _one_line_format_error(S.parse_json, "[" * 65 + "]" * 65, match="deeper than 64")
    assert S.parse_json("[" * 64 + "]" * 64)
    assert S.parse_json('{"a": "[[[[[[[[[["}', max_depth=1) == {"a": "[[[[[[[[[["}
    with pytest.raises(CertificateFormatError, match="deeper than 2"):
        S.parse_json('{"a": [[1]]}', max_depth=2)


def test_size_limit_is_checked_before_parsing(tmp_path):
    with pytest.raises(CertificateFormatError, match="more than the limit"):
        S.parse_json("[" + "1," * 100 + "1]", max_bytes=50)
    with pytest.raises(CertificateFormatError, match="more than the limit"):
        S.read_json_file(COMPACT, max_bytes=100)
    assert S.MAX_BYTES == 256 * 2**20


def test_duplicate_keys_and_lone_surrogates_are_refused():
    _one_line_format_error(S.parse_json, '{"delta": 0.5, "delta": 0.1}', match="duplicate key 'delta'")
    _one_line_format_error(S.parse_json, '{"name": "\\ud800"}', match="surrogate")
    assert S.parse_json('{"name": "\\ud83d\\ude00"}') == {"name": "\U0001F600"}
    with pytest.raises(InputError, match="str or bytes"):
        S.parse_json(3)


def test_directory_and_missing_file(tmp_path):
    _one_line_format_error(load, tmp_path, match="is a directory", exc=InputError)
    _one_line_format_error(load, tmp_path / "missing.json", match="no such file", exc=InputError)


# -- validate_certificate: schema errors name the JSON path ---------------------------------------------


def _set(d, parts, value):
    node = d
    for k in parts[:-1]:
        node = node[k]
    node[parts[-1]] = value
    return d


def _refused(d, match):
    msg = _one_line_format_error(S.validate_certificate, d, match=match)
    assert msg.startswith("certificate: ")
    # Certificate.from_dict runs the same validation first
    _one_line_format_error(Certificate.from_dict, d, match=match)
    return msg


@pytest.mark.parametrize(
    "parts, value, match",
    [
        (("formulation",), "x", r"^certificate: formulation: 'x' is not of type 'object', 'null'"),
        (("package",), "x", r"^certificate: package: 'x' is not of type 'object'"),
        (("formulation", "hess_min"), [[0.5]], r"formulation\.hess_min: \[\[0\.5\]\] is not of type 'number'"),
        (("formulation", "hess_min"), {"a": 1}, r"formulation\.hess_min: .* is not of type 'number'"),
        (("instance", "X"), [[0.0], ["a"]], r"instance\.X\[1\]\[0\]: 'a' is not of type 'number'"),
        (("instance", "X"), [[0.0], [True]], r"instance\.X\[1\]\[0\]: True is not of type 'number'"),
        (("instance", "X"), "abc", r"instance\.X: 'abc' is not of type 'array'"),
        (("instance", "X"), [], r"instance\.X: \[\] should be non-empty"),
        (("instance", "X"), [[0.0], [0.5, 1.0]], r"instance\.X\[1\]: has 2 entries .* rectangular"),
        (("instance", "n"), 0, r"instance\.n: 0 is less than the minimum of 1"),
        (("instance", "n"), 10**7, r"instance\.n: 10000000 is greater than the maximum"),
        (("instance", "r"), "1", r"instance\.r: '1' is not of type 'integer'"),
        (("instance", "junk"), 1, r"instance: Additional properties are not allowed \('junk' was unexpected\)"),
        (("operator", "type"), "sparse", r"operator\.type: 'sparse' is not one of"),
        (("operator", "d"), 65, r"operator\.d: 65 is greater than the maximum of 64"),
        (("dual", "scale"), 0.0, r"dual\.scale: 0\.0 is less than or equal to the minimum of 0"),
        (("dual", "basis"), "hex", r"dual\.basis: 'hex' is not one of"),
        (("dual",), [1], r"dual: \[1\] is not of type 'object', 'null'"),
        (("delta",), "0.5", r"delta: '0\.5' is not of type 'number'"),
        (("delta",), float("inf"), r"delta: inf is not a finite number"),
        (("delta",), float("nan"), r"delta: nan is not a finite number"),
        (("delta_lower",), [0.5], r"delta_lower: \[0\.5\] is not valid under any of the given schemas"),
        (("solver",), "CLARABEL", r"solver: 'CLARABEL' is not of type 'object', 'null'"),
        (("verification",), [], r"verification: \[\] is not of type 'object', 'null'"),
        (("exact",), "proved", r"exact: 'proved' is not of type 'object', 'null'"),
        (("validations",), {}, r"validations: \{\} is not of type 'array'"),
        (("validations",), [1], r"validations\[0\]: 1 is not of type 'object'"),
        (("flags",), [1], r"flags\[0\]: 1 is not of type 'string'"),
        (("kind",), "other", r"kind: 'bm-sensing/spurious-second-order-point' was expected"),
    ],
)
def test_schema_errors_name_the_field(parts, value, match):
    _refused(_set(_doc(), parts, value), match)


def test_missing_fields_and_wrong_format():
    d = _doc()
    del d["operator"]
    _refused(d, r"^certificate: 'operator' is a required property")
    d = _doc()
    del d["dual"]["y"]
    _refused(d, r"^certificate: dual: 'y' is a required property")
    d = _doc(STRICT)
    del d["formulation"]["hess_min"]
    _refused(d, r"formulation: 'hess_min' is a required property")
    _refused(_set(_doc(), ("format",), "x"), r"'format' is 'x'")
    _refused(_set(_doc(), ("format_version",), 99), r"format_version 99 is not supported")
    _refused(_set(_doc(), ("format_version",), True), r"format_version True is not supported")
    _one_line_format_error(S.validate_certificate, [1, 2], match="expected a JSON object, got an array")


# -- validate_certificate: shapes and sizes -------------------------------------------------------------


def test_wrong_shapes_are_refused():
    _refused(_set(_doc(), ("instance", "X"), [[0.0], [0.5], [0.1]]), r"instance\.X: has shape 3 x 1, expected n x r = 2 x 1")
    _refused(_set(_doc(), ("instance", "Z"), [[1.0, 0.0], [0.0, 1.0]]), r"instance\.Z: has shape 2 x 2, expected n x r_star")
    _refused(_set(_doc(), ("operator", "H_hat"), [[1.0, 0.0], [0.0, 1.0]]),
             r"operator\.H_hat: has shape 2 x 2, expected d\^2 x d\^2 = 4 x 4")
    _refused(_set(_doc(), ("operator", "P"), [[1.0], [0.0]]), r"operator\.P: has shape 2 x 1, expected n x d = 2 x 2")
    _refused(_set(_doc(), ("operator", "n"), 3), r"operator\.n: is 3, expected instance\.n = 2")
    _refused(_set(_doc(), ("dual", "V"), [[1.0, 0.0, 0.0]] * 3), r"dual\.V: has shape 3 x 3, expected d' r x d' r = 2 x 2")
    _refused(_set(_doc(), ("dual", "y"), [1.0, 2.0, 3.0]), r"dual\.y: has 3 entries, expected d' r = 2 x 1 = 2")
    _refused(_set(_doc(), ("dual", "P"), [[1.0], [0.0], [0.0]]), r"dual\.P: has 3 rows, expected n = 2")
    d = _doc(EXPLICIT)
    _refused(_set(d, ("operator", "A"), d["operator"]["A"][:3]), r"operator\.m: is 4, but operator\.A holds 3 matrices")
    d = _doc(EXPLICIT)
    _refused(_set(d, ("operator", "A"), [[[1.0, 0.0, 0.0]] * 3] * 4),
             r"operator\.A: holds 3 x 3 matrices, expected n x n = 2 x 2")


def test_compact_operator_d_at_most_n():
    d = _doc()
    d["operator"].update(d=3, P=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], H_hat=[[float(i == j) for j in range(9)] for i in range(9)])
    _refused(d, r"operator\.d: is 3, larger than n = 2")


def test_curvature_dual_shapes():
    d = _doc(STRICT)
    d["formulation"]["curvature_dual"] = {"P": [[1.0, 0.0], [0.0, 1.0]], "scale": 1.0, "y": [0.0, 1.0],
                                          "W": [[1.0, 0.0], [0.0, 1.0]]}
    S.validate_certificate(d)
    _refused(_set(copy.deepcopy(d), ("formulation", "curvature_dual", "W"), [[1.0, 0.0]]), r"curvature_dual\.W: .*square")
    _refused(_set(copy.deepcopy(d), ("formulation", "curvature_dual", "y"), [1.0]), r"curvature_dual\.y: has 1 entries")
    _refused(_set(copy.deepcopy(d), ("formulation", "curvature_dual", "scale"), "1"), r"curvature_dual\.scale: '1' is not")
    del d["formulation"]["curvature_dual"]["W"]
    _refused(d, r"curvature_dual: .* is not valid under any of the given schemas")


def test_total_size_bound(monkeypatch):
    monkeypatch.setattr(S, "MAX_ENTRIES", 10)
    _refused(_doc(), r"the arrays hold more than 10 numbers")


def test_nan_in_a_python_dict_is_refused():
    d = _doc()
    d["instance"]["X"][1][0] = float("nan")
    _refused(d, r"instance\.X\[1\]\[0\]: nan is not a finite number")
    d = _doc()
    d["dual"]["V"][0][0] = float("-inf")
    _refused(d, r"dual\.V\[0\]\[0\]: -inf is not a finite number")
    d = _doc()
    d["instance"]["X"][1][0] = 10**400
    _refused(d, r"instance\.X\[1\]\[0\]: an integer beyond the double range")
    d = _doc(STRICT)
    d["formulation"]["hess_min"] = float("nan")
    _refused(d, r"formulation\.hess_min: nan is not a finite number")
    # integers beyond str()'s digit limit: described, never printed (no ValueError from repr)
    d = _doc()
    d["solver"]["iterations"] = 10**5000
    _refused(d, r"solver\.iterations: an integer of about 5001 digits is beyond the double range")
    _refused(_set(_doc(), ("format_version",), 10**5000), r"format_version <an integer of about 5001 digits>")
    _refused(_set(_doc(), ("instance", "n"), 10**5000), r"instance\.n: an integer of about 5001 digits")


def test_unknown_top_level_fields_are_ignored_but_claims_are_closed():
    d = _doc()
    d["future_field"] = {"anything": [1, 2]}
    S.validate_certificate(d)
    d["dual"]["extra"] = 1
    _refused(d, r"dual: Additional properties are not allowed")


def test_deep_python_dict_is_refused_iteratively():
    d = _doc()
    deep = [0.5]
    for _ in range(100):
        deep = [deep]
    d["solver"] = {"settings": deep}
    _refused(d, r"nested deeper than 64 levels")
