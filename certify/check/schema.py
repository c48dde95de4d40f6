"""The certificate file format as a JSON Schema, and the hardened reader in front of it.

``certify/certificate.schema.json`` (draft 2020-12, also published as ``docs/certificate.schema.json``)
describes ``format = "certify.certificate"``, ``format_version = 1``.  This module is the door every
certificate file goes through before anything numerical happens:

* :func:`parse_json` turns text (or bytes) into Python objects, refusing what ``json.loads`` would let
  through or turn into a traceback: ``NaN``/``Infinity`` tokens, number literals beyond the double range
  (``1e400`` parses to ``inf``), integer literals past Python's digit limit, non-UTF-8 bytes, unpaired
  surrogate escapes, duplicate keys, nesting deeper than ``max_depth`` (checked iteratively), and inputs
  larger than ``max_bytes`` (refused before parsing).
* :func:`validate_certificate` checks a parsed certificate against the schema (with ``jsonschema``) and
  then what a schema cannot say: array shapes against ``instance.n``, ``r``, ``r_star`` and the operator's
  and dual point's dimensions, rectangular arrays, and size bounds (:data:`MAX_SIZE`,
  :data:`MAX_REDUCED_DIM`, :data:`MAX_ENTRIES`) so that no later computation can blow up on a
  hostile file.

Every refusal is a one-line :class:`~certify.errors.CertificateFormatError` (an
:class:`~certify.errors.InputError`) naming the field by its JSON path, e.g.
``certificate: instance.X[0][1]: 'a' is not of type 'number'``.

Imports nothing heavy: ``jsonschema`` is imported on the first validation, NumPy not at all.
"""

from __future__ import annotations

import json
import math
import re
import reprlib
import sys
from functools import lru_cache
from itertools import chain
from pathlib import Path

from ..errors import CertificateFormatError, InputError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_ENTRIES",
    "MAX_REDUCED_DIM",
    "MAX_SIZE",
    "SCHEMA_PATH",
    "parse_json",
    "read_json_file",
    "schema",
    "validate_certificate",
]

#: largest certificate file (bytes) :func:`parse_json` and :func:`read_json_file` accept
MAX_BYTES = 256 * 2**20
#: deepest nesting of arrays and objects accepted (a certificate needs 6; reports a few more)
MAX_DEPTH = 64
#: largest n, r, r*, m
MAX_SIZE = 10**6
#: largest reduced dimension d of a compact operator or a dual point (dense d^2 x d^2 matrices follow)
MAX_REDUCED_DIM = 64
#: largest total number of array entries (X, Z, A, P, H_hat, dual and curvature-dual arrays) in one certificate
MAX_ENTRIES = 2**24

SCHEMA_PATH = Path(__file__).with_name("certificate.schema.json")

_FLOAT_MAX = sys.float_info.max
_CONTAINERS = (list, dict)
_short = reprlib.Repr()
_short.maxstring = 40
_short.maxother = 40
_short.maxlist = 4
_short.maxdict = 4
_short.maxlevel = 2


@lru_cache(maxsize=1)
def schema() -> dict:
    """The certificate JSON Schema (a fresh parse of ``certificate.schema.json``, cached)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _digits(v: int) -> int:
    """Decimal digits of ``v`` (approximately), without ``str()`` (which refuses huge integers)."""
    return int(abs(v).bit_length() * 0.30102999566398120) + 1


def _brief(v) -> str:
    """A short repr of ``v``; a huge integer is described, not printed."""
    if type(v) is int and abs(v) > _FLOAT_MAX:
        return f"<an integer of about {_digits(v)} digits>"
    try:
        return _short.repr(v)
    except ValueError:
        return f"<{type(v).__name__}>"


def _json_type(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _path(parts) -> str:
    """``("instance", "X", 0, 1)`` -> ``instance.X[0][1]``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and p.isidentifier():
            out += f".{p}" if out else p
        else:
            out += f"[{json.dumps(str(p))}]"
    return out


def _at(prefix: str, parts) -> str:
    p = _path(parts)
    return f"{prefix}: {p}: " if p else f"{prefix}: "


# -- parsing ------------------------------------------------------------------------------------------


def _scan(obj, max_depth: int, name: str) -> None:
    """Refuse nesting deeper than ``max_depth``, numbers outside the double range (or NaN/inf
    floats) and strings that are not valid Unicode (unpaired surrogates), iteratively."""
    if not isinstance(obj, _CONTAINERS):
        _check_leaf(obj, (), name)
        return
    stack = [(obj, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if depth > max_depth:
            raise CertificateFormatError(
                f"{name}: nested deeper than {max_depth} levels (at {_path(path[:8]) or 'the top'}"
                f"{'...' if len(path) > 8 else ''}); a certificate needs far fewer"
            )
        if isinstance(node, dict):
            for k, v in node.items():
                if type(k) is not str:
                    raise CertificateFormatError(f"{_at(name, path)}the object key {_brief(k)} is not a string")
                if not k.isascii():
                    _check_leaf(k, path, name)
                if isinstance(v, _CONTAINERS):
                    stack.append((v, depth + 1, path + (k,)))
                elif type(v) is not float or v - v != 0.0:
                    _check_leaf(v, path + (k,), name)
        else:
            for i, v in enumerate(node):
                if type(v) is float:
                    if v - v != 0.0:  # inf or nan
                        _check_leaf(v, path + (i,), name)
                elif isinstance(v, _CONTAINERS):
                    stack.append((v, depth + 1, path + (i,)))
                else:
                    _check_leaf(v, path + (i,), name)


def _check_leaf(v, path, name: str) -> None:
    t = type(v)
    if t is float:
        if v - v != 0.0:
            raise CertificateFormatError(f"{_at(name, path)}{v!r} is not a finite number")
    elif t is int:
        if abs(v) > _FLOAT_MAX:
            raise CertificateFormatError(
                f"{_at(name, path)}an integer of about {_digits(v)} digits is beyond the double range (about 1.8e308)"
            )
    elif t is str and not v.isascii():
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise CertificateFormatError(
                f"{_at(name, path)}a string holds an unpaired surrogate escape (not valid Unicode)"
            ) from None


def _no_duplicates(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise CertificateFormatError(f"duplicate key {_brief(k)} in an object (ambiguous claim)")
            seen.add(k)
    return d


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _depth_exceeds(text: str, max_depth: int) -> bool:
    """Whether the (valid) JSON ``text`` nests deeper than ``max_depth``: strings are removed, then
    the innermost bracket pairs are peeled one level per pass (no recursion, C-speed passes)."""
    br = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _ in range(max_depth):
        if not br:
            return False
        br = _INNERMOST.sub("", br)  # one level per pass (re.sub does not rescan what it joined)
    return bool(br)


def parse_json(text, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES, name: str = "JSON"):
    """Parse ``text`` (``str`` or UTF-8 ``bytes``) as strict JSON.

    Every failure is a one-line :class:`CertificateFormatError` prefixed with ``name``: not JSON
    (message, line, column), an empty input, a ``NaN``/``Infinity``/``-Infinity`` token, a number
    literal outside the double range (``1e400``), an integer literal with too many digits, bytes that
    are not UTF-8, an unpaired surrogate escape, a duplicate key, nesting deeper than ``max_depth``, or
    an input longer than ``max_bytes`` (refused before parsing).
    """
    if isinstance(text, (bytes, bytearray, memoryview)):
        raw = bytes(text)
        if len(raw) > max_bytes:
            raise CertificateFormatError(f"{name}: {len(raw)} bytes, more than the limit of {max_bytes} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CertificateFormatError(
                f"{name}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start} is invalid: {exc.reason})"
            ) from None
    elif isinstance(text, str):
        if len(text) > max_bytes:
            raise CertificateFormatError(f"{name}: {len(text)} characters, more than the limit of {max_bytes}")
    else:
        raise InputError(f"text: expected a str or bytes, got {type(text).__name__}")
    if not text or text.isspace():
        raise CertificateFormatError(f"{name}: not a JSON file (it is empty)")

    def refuse_constant(token):
        raise CertificateFormatError(
            f"{name}: {token} is not a JSON number (NaN and Infinity are not allowed; certificates hold finite numbers only)"
        )

    def finite_float(literal):
        v = float(literal)
        if v - v != 0.0:
            raise CertificateFormatError(
                f"{name}: the number literal {_short.repr(literal)} is beyond the double range (about 1.8e308)"
            )
        return v

    def bounded_int(literal):
        v = int(literal)  # ValueError beyond sys.get_int_max_str_digits() digits
        if abs(v) > _FLOAT_MAX:
            raise CertificateFormatError(
                f"{name}: an integer literal of {len(literal.lstrip('-'))} digits is beyond the double range (about 1.8e308)"
            )
        return v

    try:
        obj = json.loads(text, parse_constant=refuse_constant, parse_float=finite_float, parse_int=bounded_int,
                         object_pairs_hook=_no_duplicates)
    except CertificateFormatError as exc:
        msg = str(exc)
        raise CertificateFormatError(msg if msg.startswith(f"{name}:") else f"{name}: {msg}") from None
    except json.JSONDecodeError as exc:
        raise CertificateFormatError(
            f"{name}: not a JSON file ({exc.msg}: line {exc.lineno} column {exc.colno})"
        ) from None
    except RecursionError:
        raise CertificateFormatError(
            f"{name}: nested too deeply for the JSON parser (a certificate nests at most {max_depth} levels)"
        ) from None
    except ValueError as exc:  # the integer-digits limit of int(): "Exceeds the limit (4300 digits) ..."
        raise CertificateFormatError(f"{name}: a number literal is too long ({str(exc).split(';')[0]})") from None
    except MemoryError:
        raise CertificateFormatError(f"{name}: out of memory while parsing ({len(text)} characters)") from None
    if _depth_exceeds(text, max_depth):
        raise CertificateFormatError(f"{name}: nested deeper than {max_depth} levels; a certificate needs far fewer")
    if _SURROGATE_ESCAPE.search(text):
        _scan(obj, max_depth, name)  # locate an unpaired surrogate, if any
    return obj


def read_json_file(path, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES):
    """Read and :func:`parse_json` the file ``path``: a missing file, a directory or an unreadable file
    is an :class:`InputError`; a file larger than ``max_bytes`` is refused before it is read."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a directory, expected a certificate JSON file")
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise CertificateFormatError(f"{path}: {size} bytes, more than the limit of {max_bytes} bytes for a certificate file")
        with open(p, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    return parse_json(raw, max_depth=max_depth, max_bytes=max_bytes, name=str(path))


# -- validation ---------------------------------------------------------------------------------------

#: the numeric arrays of a certificate: (path, number of array levels)
_ARRAYS = (
    (("instance", "X"), 2),
    (("instance", "Z"), 2),
    (("operator", "A"), 3),
    (("operator", "P"), 2),
    (("operator", "H_hat"), 2),
    (("dual", "P"), 2),
    (("dual", "y"), 1),
    (("dual", "V"), 2),
    (("formulation", "curvature_dual", "P"), 2),
    (("formulation", "curvature_dual", "y"), 1),
    (("formulation", "curvature_dual", "V"), 2),
    (("formulation", "curvature_dual", "W"), 2),
)
_STAND_IN = {1: [0.0], 2: [[0.0]], 3: [[[0.0]]]}
_PREFIX = "certificate"


@lru_cache(maxsize=1)
def _validator():
    import jsonschema  # noqa: PLC0415 - only when a certificate is validated

    cls = jsonschema.Draft202012Validator
    return cls(schema())


def _get(d, parts):
    """The value at ``parts`` when every parent is an object, else ``None``."""
    node = d
    for k in parts:
        if not isinstance(node, dict) or k not in node:
            return None
        node = node[k]
    return node


def _array_error(path, msg):
    return CertificateFormatError(f"{_at(_PREFIX, path)}{msg}")


def _numeric_array(value, levels: int, path: tuple):
    """Check that ``value`` is a rectangular array of ``levels`` levels of finite numbers (no
    recursion); return its shape.  A vectorized pass decides; when it fails, a plain loop finds the
    offending entry for the error message."""
    shape = _numeric_array_fast(value, levels)
    return shape if shape is not None else _numeric_array_slow(value, levels, path)


def _numeric_array_fast(value, levels: int):
    import numpy as np  # noqa: PLC0415 - already loaded by the package

    shape = []
    nodes = [value]
    for _ in range(levels):
        if set(map(type, nodes)) != {list}:
            return None
        lens = set(map(len, nodes))
        if len(lens) != 1 or 0 in lens:
            return None
        shape.append(lens.pop())
        nodes = list(chain.from_iterable(nodes))
    if not set(map(type, nodes)) <= {float, int}:
        return None
    try:
        flat = np.array(nodes, dtype=float)
    except (OverflowError, ValueError, TypeError):
        return None
    if not np.isfinite(flat).all():
        return None
    return tuple(shape)


def _numeric_array_slow(value, levels: int, path: tuple):
    shape = []
    frontier = [(value, path)]
    for level in range(levels):
        expected = None
        nxt = []
        leaf = level == levels - 1
        for node, p in frontier:
            if type(node) is not list:
                raise _array_error(p, f"{_brief(node)} is not of type 'array'")
            if not node:
                raise _array_error(p, "[] should be non-empty")
            if expected is None:
                expected = len(node)
            elif len(node) != expected:
                raise _array_error(p, f"has {len(node)} entries where the array's other rows have {expected} "
                                      f"(arrays must be rectangular)")
            if leaf:
                for i, v in enumerate(node):
                    t = type(v)
                    if t is float:
                        if v - v != 0.0:
                            raise _array_error(p + (i,), f"{v!r} is not a finite number")
                    elif t is int:
                        if abs(v) > _FLOAT_MAX:
                            raise _array_error(p + (i,), "an integer beyond the double range is not a finite number")
                    elif isinstance(v, (int, float)) and not isinstance(v, bool):  # e.g. numpy.float64
                        if not math.isfinite(v):
                            raise _array_error(p + (i,), f"{v!r} is not a finite number")
                    else:
                        raise _array_error(p + (i,), f"{_brief(v)} is not of type 'number'")
            else:
                nxt.extend((v, p + (i,)) for i, v in enumerate(node))
        shape.append(expected)
        frontier = nxt
    return tuple(shape)


def _format_schema_error(err) -> str:
    msg = err.message
    if len(msg) > 200:
        msg = msg.replace(repr(err.instance), _short.repr(err.instance))
    if len(msg) > 300:
        msg = msg[:297] + "..."
    msg = " ".join(msg.split())
    return f"{_at(_PREFIX, tuple(err.absolute_path))}{msg}"


def validate_certificate(d) -> None:
    """Check a parsed certificate (``dict``) against the schema and the shape rules; raise a one-line
    :class:`CertificateFormatError` naming the first offending field, else return ``None``.

    Beyond the schema: ``instance.X`` is n x r and ``instance.Z`` is n x r* (from ``instance.n``, ``r``,
    ``r_star``); an explicit operator's ``A`` is m x n x n; a compact operator's ``P`` is n x d with
    1 <= d <= min(n, 64) and ``H_hat`` is d^2 x d^2; the dual point's ``P`` is n x d' (d' <= min(n, 64)),
    ``y`` has d' r entries and ``V`` is d' r x d' r; a ``formulation.curvature_dual``'s ``P`` is n x d,
    ``y`` has d r entries and its ``V`` (or ``W``) is square; all arrays are rectangular with finite entries and hold at
    most :data:`MAX_ENTRIES` numbers in all; claimed scalars are finite (also NaN in a Python dict).
    """
    _check_header(d)
    shapes, stand_in = _array_shapes(d)  # 1. numeric arrays, fast, replaced by stand-ins
    _check_schema(stand_in)  # 2. the JSON Schema on the small stand-in document
    _check_scalars(d)  # 3. what the schema cannot express
    n, r = _check_instance(d, shapes)
    _check_operator(d, shapes, n)
    _check_dual_points(d, shapes, n, r)


def _fail(parts, msg):
    raise CertificateFormatError(f"{_at(_PREFIX, parts)}{msg}")


def _check_header(d) -> None:
    """A JSON object whose ``format`` and ``format_version`` are this reader's."""
    if not isinstance(d, dict):
        raise CertificateFormatError(f"{_PREFIX}: expected a JSON object, got {_json_type(d)}")
    props = schema()["properties"]
    fmt, version = props["format"]["const"], props["format_version"]["const"]
    if d.get("format") != fmt:
        raise CertificateFormatError(
            f"{_PREFIX}: 'format' is {_brief(d.get('format'))}, expected {fmt!r} (not a certify certificate)"
        )
    v = d.get("format_version")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != version:
        from .._version import __version__  # noqa: PLC0415

        raise CertificateFormatError(
            f"{_PREFIX}: format_version {_brief(v)} is not supported (this is certify {__version__}, "
            f"format {version})"
        )


def _array_shapes(d) -> tuple[dict, dict]:
    """The shape of every numeric array (rectangular, finite, at most :data:`MAX_ENTRIES` numbers in
    all) and a copy of ``d`` with small stand-ins in their place, for the schema pass."""
    shapes: dict = {}
    total = 0
    stand_in = dict(d)
    copied = {(): stand_in}
    for parts, levels in _ARRAYS:
        value = _get(d, parts)
        if not isinstance(value, list):
            continue  # absent, or not an array: the schema reports it
        shape = _numeric_array(value, levels, parts)
        shapes[parts] = shape
        count = 1
        for s in shape:
            count *= s
        total += count
        if total > MAX_ENTRIES:
            raise CertificateFormatError(
                f"{_PREFIX}: the arrays hold more than {MAX_ENTRIES} numbers in all (at {_path(parts)}); "
                f"too large for a certificate"
            )
        parent = stand_in
        for i, k in enumerate(parts[:-1]):
            key = parts[: i + 1]
            if key not in copied:
                copied[key] = dict(parent[k])
                parent[k] = copied[key]
            parent = copied[key]
        parent[parts[-1]] = _STAND_IN[levels]
    return shapes, stand_in


def _check_schema(stand_in) -> None:
    """Nesting depth, then the JSON Schema (the first, best error, with its JSON path)."""
    _scan(stand_in, MAX_DEPTH, _PREFIX)
    import jsonschema  # noqa: PLC0415

    err = jsonschema.exceptions.best_match(_validator().iter_errors(stand_in))
    if err is not None:
        raise CertificateFormatError(_format_schema_error(err))


def _check_scalars(d) -> None:
    """Claimed scalars are finite (a Python dict may hold NaN, which JSON cannot)."""
    for parts in (("delta",), ("delta_lower",), ("dual", "scale"), ("dual", "delta_lower"),
                  ("formulation", "hess_min"), ("formulation", "mu"), ("formulation", "mu_upper"),
                  ("formulation", "delta_target"), ("formulation", "grad_tol"), ("formulation", "gap_tol"),
                  ("formulation", "curvature_dual", "scale")):
        x = _get(d, parts)
        if isinstance(x, float) and math.isnan(x):
            _fail(parts, "nan is not a finite number")


def _check_instance(d, shapes) -> tuple[int, int]:
    """``X`` is n x r and ``Z`` is n x r* (``instance.n``, ``r``, ``r_star``)."""
    inst = d["instance"]
    n, r, r_star = inst["n"], inst["r"], inst["r_star"]
    for key, cols, label in (("X", r, "n x r"), ("Z", r_star, "n x r_star")):
        shape = shapes[("instance", key)]
        if shape != (n, cols):
            _fail(("instance", key), f"has shape {shape[0]} x {shape[1]}, expected {label} = {n} x {cols} "
                                     f"(instance.n = {n}, instance.{'r' if key == 'X' else 'r_star'} = {cols})")
    return n, r


def _check_operator(d, shapes, n) -> None:
    """Explicit: ``A`` is m x n x n; compact: ``P`` is n x d (d <= n) and ``H_hat`` is d^2 x d^2."""
    op = d["operator"]
    if op["n"] != n:
        _fail(("operator", "n"), f"is {op['n']}, expected instance.n = {n}")
    if op["type"] == "explicit":
        shape = shapes[("operator", "A")]
        if shape[1:] != (n, n):
            _fail(("operator", "A"), f"holds {shape[1]} x {shape[2]} matrices, expected n x n = {n} x {n}")
        if shape[0] != op["m"]:
            _fail(("operator", "m"), f"is {op['m']}, but operator.A holds {shape[0]} matrices")
        return
    p_shape = shapes[("operator", "P")]
    dd = op["d"]
    if p_shape != (n, dd):
        _fail(("operator", "P"), f"has shape {p_shape[0]} x {p_shape[1]}, expected n x d = {n} x {dd}")
    if dd > n:
        _fail(("operator", "d"), f"is {dd}, larger than n = {n} (P has orthonormal columns)")
    h_shape = shapes[("operator", "H_hat")]
    if h_shape != (dd * dd, dd * dd):
        _fail(("operator", "H_hat"), f"has shape {h_shape[0]} x {h_shape[1]}, expected d^2 x d^2 = "
                                     f"{dd * dd} x {dd * dd} (d = {dd})")


def _check_dual_points(d, shapes, n, r) -> None:
    """The dual point and a curvature dual point: ``P`` is n x d' (d' <= min(n, 64)), ``y`` has d' r
    entries, ``V`` is d' r x d' r (a legacy ``W`` is square)."""
    for base, sq in ((("dual",), "V"), (("formulation", "curvature_dual"), "V"),
                     (("formulation", "curvature_dual"), "W")):
        obj = _get(d, base)
        if not isinstance(obj, dict) or sq not in obj:
            continue
        p_shape = shapes[base + ("P",)]
        if p_shape[0] != n:
            _fail(base + ("P",), f"has {p_shape[0]} rows, expected n = {n}")
        k = p_shape[1]
        if k > min(n, MAX_REDUCED_DIM):
            _fail(base + ("P",), f"has {k} columns, expected at most min(n, {MAX_REDUCED_DIM}) = "
                                 f"{min(n, MAX_REDUCED_DIM)}")
        y_len = shapes[base + ("y",)][0]
        if y_len != k * r:
            _fail(base + ("y",), f"has {y_len} entries, expected d' r = {k} x {r} = {k * r} (d' = columns of P)")
        s_shape = shapes[base + (sq,)]
        if sq == "V" and s_shape != (k * r, k * r):
            _fail(base + (sq,), f"has shape {s_shape[0]} x {s_shape[1]}, expected d' r x d' r = {k * r} x {k * r}")
        if s_shape[0] != s_shape[1]:
            _fail(base + (sq,), f"has shape {s_shape[0]} x {s_shape[1]}, expected a square matrix")
