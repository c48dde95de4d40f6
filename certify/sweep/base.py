"""The vocabulary of sweeps, shared by every other module of :mod:`certify.sweep`: the format
constants, :class:`Point`, :class:`SweepKind`, :class:`SweepResult`, :class:`SweepError`, the
canonical JSON and the spec hash, and lazy sequences of points and keys.  Imports no other module
of the package."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CertifyError
from ..io import jsonable

__all__ = ["FORMAT", "FORMAT_VERSION", "MAX_POINTS", "SweepError", "Point", "SweepKind", "SweepResult", "canonical",
           "spec_hash", "json_null", "LazyPoints", "Keys"]

FORMAT = "certify.sweep"
FORMAT_VERSION = 2  # 2: per-line sha256 checksums, phi in degrees; 1 (no checksums) is refused
MAX_POINTS = 10**7  # the most points of one sweep (refused before any work above)


class SweepError(CertifyError, RuntimeError):
    """The execution machinery failed (a worker process died, the Dask cluster lost a worker or
    the connection too often).  Every point finished before that is in the store: rerun to resume."""


def json_null(obj):
    """Strict JSON for results: NumPy to Python, every non-finite float to ``null``."""
    return jsonable(obj, nonfinite="null")


def canonical(obj) -> str:
    """The canonical JSON of ``obj``: sorted keys, no spaces, strict (no NaN)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


def spec_hash(kind: str, params: dict) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``{"format_version", "kind", "params"}``."""
    text = canonical({"format_version": FORMAT_VERSION, "kind": kind, "params": params})
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Point:
    """One task of a sweep: ``key`` (stable, unique within the sweep) and ``params`` (what the task
    function receives; JSON-able)."""

    key: str
    params: dict


@dataclass(frozen=True)
class SweepKind:
    """A kind of sweep.

    ``prepare(params) -> (spec_params, context)``: check and canonicalize the user's parameters
    into the JSON-able dict stored in the header (and hashed), plus an optional picklable
    *context* shared by every task (e.g. a certificate), shipped once per worker.
    ``points(spec_params)``: the ordered points (a pure function of the spec), a sequence
    (``len`` and indexing; a list, or a lazy sequence that builds point ``i`` on demand, as the
    built-in kinds do) or an iterable (then made a list); keys must be unique.
    ``task(point_params, context) -> dict``: module-level (picklable) and deterministic.
    ``summarize(spec_params, records) -> dict``: the sweep's summary from the records in point
    order (``None`` where a point is missing; a sequence read from the store on access, so iterate
    it rather than copying it); ``describe(summary) -> str``: text for the CLI.
    """

    name: str
    prepare: Callable
    points: Callable
    task: Callable
    summarize: Callable | None = None
    describe: Callable | None = None
    description: str = ""


class LazyPoints(Sequence):
    """``n`` points, point ``i`` built on demand by ``make(i)``: a sweep never holds its grid."""

    def __init__(self, n: int, make: Callable):
        self.n, self.make = int(n), make

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self.make(k) for k in range(*i.indices(self.n))]
        i = operator.index(i)
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(i)
        return self.make(i)

    def __iter__(self):
        return map(self.make, range(self.n))


class Keys(Sequence):
    """The keys of a sequence of points, built on demand."""

    def __init__(self, points):
        self.points = points

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [p.key for p in self.points[i]]
        return self.points[i].key

    def __iter__(self):
        return (p.key for p in self.points)

    def __eq__(self, other):
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)) or len(self) != len(other):
            return NotImplemented if not isinstance(other, Sequence) else False
        return all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None

    def __repr__(self) -> str:
        n = len(self)
        head = ", ".join(repr(k) for k in self[: min(n, 3)])
        return f"<{n} keys: {head}{', ...' if n > 3 else ''}>"


@dataclass
class SweepResult:
    """A sweep's records in point order.

    ``records[i]`` is the store's line for point ``keys[i]`` (``None`` if not done): ``status``
    (``"ok"`` / ``"failed"``), ``result`` (the task's dict) or ``error`` (``type``, ``message``),
    ``seconds``.  ``records`` and ``keys`` are sequences read on access (from the store file and
    the kind's points), so a result of millions of points is small; ``results`` lists the result
    dicts (``None`` where missing or failed).  ``computed``/``resumed``: points computed by this
    run / found finished in the store; ``resubmitted``: tasks submitted again after the Dask
    cluster lost them.
    """

    kind: str
    params: dict
    keys: Sequence
    records: Sequence
    summary: dict
    path: Path | None = None
    header: dict = field(default_factory=dict)
    computed: int = 0
    resumed: int = 0
    elapsed: float = 0.0
    repaired: str | None = None
    resubmitted: int = 0

    @property
    def results(self) -> list:
        return [None if r is None or r["status"] != "ok" else r["result"] for r in self.records]

    @property
    def failed(self) -> list:
        return [r for r in self.records if r is not None and r["status"] != "ok"]

    @property
    def missing(self) -> list:
        return [k for k, r in zip(self.keys, self.records, strict=False) if r is None]

    @property
    def complete(self) -> bool:
        return all(r is not None and r["status"] == "ok" for r in self.records)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "store": None if self.path is None else str(self.path), "points": len(self.keys),
                "ok": sum(1 for r in self.records if r is not None and r["status"] == "ok"),
                "failed": len(self.failed), "missing": len(self.missing), "computed": self.computed,
                "resumed": self.resumed, "resubmitted": self.resubmitted, "elapsed": self.elapsed,
                "repaired": self.repaired, "params": self.params,
                "summary": self.summary}
