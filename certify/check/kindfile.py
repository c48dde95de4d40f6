"""What the certificate files of the kinds beyond BM sensing share — part of the trusted kernel: the
header (``format = "certify.certificate"``, ``format_version = 1``, their own ``kind``), the JSON
Schema check of each kind (``<kind>-certificate.schema.json`` beside this module, also published in
``docs/``), the float verification report :class:`KindReport`, and the claim helpers of the exact
reports (the verdict vocabulary of :mod:`certify.check.exact.claims`: proved / disproved /
undecided / not a proof claim).

Kinds: ``nimc/population-hessian`` (:mod:`certify.check.nimc`), ``nmf/segment-convexity``
(:mod:`certify.check.nmf`).  Files are read through :func:`certify.check.schema.read_json_file`
(the hardened JSON reader: no NaN, no duplicate keys, bounded size and depth) and dispatched on
``format``/``kind`` by :func:`certify.check.loader.load_any`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .._version import __version__
from ..errors import CertificateFormatError
from ..io import atomic_write_text, jsonable, utc_now

__all__ = ["FORMAT", "FORMAT_VERSION", "NIMC_KIND", "NMF_KIND", "SCHEMA_FILES", "KindReport", "check_header",
           "validate_kind", "header", "claim", "combine", "write"]

FORMAT = "certify.certificate"
FORMAT_VERSION = 1
NIMC_KIND = "nimc/population-hessian"
NMF_KIND = "nmf/segment-convexity"
#: kind -> its JSON Schema (a file beside this module, the same as the one in docs/)
SCHEMA_FILES = {NIMC_KIND: "nimc-certificate.schema.json", NMF_KIND: "nmf-certificate.schema.json"}
#: numeric arrays of each kind (JSON path, levels), checked fast and replaced by stand-ins before the schema pass
ARRAYS = {
    NIMC_KIND: ((("instance", "U_star"), 2), (("instance", "V_star"), 2)),
    NMF_KIND: tuple((("instance", k), 2) for k in ("X", "mask", "W", "H", "W_star", "H_star")),
}
#: most numbers in the arrays of one file (NMF data included)
MAX_ENTRIES = 2**22


@lru_cache(maxsize=4)
def _validator(kind: str):
    import jsonschema  # noqa: PLC0415 - only when a file is validated

    text = Path(__file__).with_name(SCHEMA_FILES[kind]).read_text(encoding="utf-8")
    return jsonschema.Draft202012Validator(json.loads(text))


def check_header(d, kind: str) -> None:
    """A JSON object with this reader's ``format``, ``format_version`` and ``kind``."""
    if not isinstance(d, dict):
        raise CertificateFormatError("certificate: expected a JSON object")
    if d.get("format") != FORMAT:
        raise CertificateFormatError(f"certificate: 'format' is {d.get('format')!r}, expected {FORMAT!r}")
    v = d.get("format_version")
    if isinstance(v, bool) or v != FORMAT_VERSION:
        raise CertificateFormatError(f"certificate: format_version {v!r} is not supported (this is certify "
                                     f"{__version__}, format {FORMAT_VERSION})")
    if d.get("kind") != kind:
        raise CertificateFormatError(f"certificate: 'kind' is {d.get('kind')!r}, expected {kind!r}")


def _stand_in(d: dict, kind: str) -> tuple[dict, dict]:
    """Shapes of the numeric arrays (rectangular, finite) and a copy of ``d`` with stand-ins."""
    from .schema import _get, _numeric_array  # noqa: PLC0415 - the BM reader's array checks

    shapes, total, out = {}, 0, dict(d)
    for parts, levels in ARRAYS[kind]:
        value = _get(d, parts)
        if not isinstance(value, list):
            continue  # absent or null: the schema decides
        shapes[parts] = _numeric_array(value, levels, parts)
        total += math.prod(shapes[parts])
        if total > MAX_ENTRIES:
            raise CertificateFormatError(f"certificate: the arrays hold more than {MAX_ENTRIES} numbers; too large")
        node = out
        for k in parts[:-1]:
            node[k] = dict(node[k])  # copied along the path only
            node = node[k]
        node[parts[-1]] = [0.0] if levels == 1 else [[0.0]]
    return shapes, out


def validate_kind(d, kind: str) -> dict:
    """Header, arrays (rectangular, finite, bounded) and the kind's JSON Schema; returns the arrays'
    shapes (JSON path tuple -> shape).  A refusal is a one-line :class:`CertificateFormatError`
    naming the field by its JSON path."""
    import jsonschema  # noqa: PLC0415

    from .schema import _format_schema_error, _scan  # noqa: PLC0415

    check_header(d, kind)
    shapes, stand_in = _stand_in(d, kind)
    _scan(stand_in, 64, "certificate")
    err = jsonschema.exceptions.best_match(_validator(kind).iter_errors(stand_in))
    if err is not None:
        raise CertificateFormatError(_format_schema_error(err))
    return shapes


def header(kind: str, obj, conventions: dict) -> dict:
    """The common fields of a file of ``kind`` from an object with ``name``, ``description``,
    ``created``, ``package_version``."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "name": obj.name,
            "description": obj.description, "created": obj.created or utc_now(),
            "package": {"name": "certify", "version": obj.package_version}, "conventions": conventions}


def write(path, d: dict) -> Path:
    """Write ``d`` as indented strict JSON, atomically."""
    return atomic_write_text(path, json.dumps(jsonable(d), indent=1, allow_nan=False) + "\n")


@dataclass
class KindReport:
    """The float verification of a file of a kind beyond BM sensing: ``ok``, ``checks`` (name ->
    ``passed``, ``value``, ``detail``), ``failures`` (one line each), ``figures`` (recomputed
    numbers)."""

    ok: bool = True
    checks: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)

    def check(self, name: str, passed: bool, value, detail: str) -> bool:
        self.checks[name] = {"passed": bool(passed), "value": jsonable(value), "detail": detail}
        if not passed:
            self.ok = False
            self.failures.append(f"{name}: {detail} (value {value!r})")
        return bool(passed)

    def summary(self) -> str:
        head = "VALID" if self.ok else "INVALID"
        lines = [f"{head}: " + ", ".join(f"{k} {'ok' if c['passed'] else 'FAILED'}" for k, c in self.checks.items())]
        lines += [f"  failed: {f}" for f in self.failures]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return jsonable({"ok": self.ok, "failures": self.failures, "checks": self.checks, "figures": self.figures})


def claim(name: str, statement: str, claimed, verdict: str, detail: str, **extra) -> dict:
    """One entry of an exact report's ``claims``."""
    from .exact.claims import _claim  # noqa: PLC0415 - the BM files' claim entries, same shape

    return _claim(name, statement, jsonable(claimed), verdict, detail, **extra)


def combine(claims) -> tuple[str, str]:
    """``(outcome, reason)``: disproved if any proof claim is, proved if all are, else undecided."""
    from .exact.claims import _combine  # noqa: PLC0415

    return _combine(claims)


def agree_with_float(claims, report: KindReport) -> None:
    """The exact and the float verifiers agree before anything is proved: a file the float verifier
    rejects gets an "undecided" claim ``float_agreement`` (unless a claim is disproved already)."""
    if report.ok or any(c["verdict"] == "disproved" for c in claims):
        return
    claims.append(claim("float_agreement", "the float verifier accepts the file", "VALID", "undecided",
                        "the float verifier rejects it: " + "; ".join(report.failures)))


def records(obj) -> list:
    """The entries that are "not a proof claim": validations and stored reports."""
    out = []
    if obj.validations:
        out.append(claim("validations", "solver runs from perturbed starts", f"{len(obj.validations)} record(s)",
                         "not a proof claim", "empirical evidence; rerun with 'certify validate'"))
    for key, what in (("verification", "the stored float verification report"), ("exact", "the stored exact report")):
        if getattr(obj, key, None):
            out.append(claim(key, what, "stored report", "not a proof claim", "a record; recomputed, never trusted"))
    return out
