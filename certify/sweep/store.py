"""The store of a sweep: a JSON Lines file, a checksummed header line (format, kind, full
parameters, their hash, package version) and one checksummed line per finished point, appended
with one ``write`` and ``fsync`` as each result arrives; resume (finished points noted, another
spec refused naming the difference), repair of a truncated last line, refusal of any other damage
with its line number, and an exclusive lock.  See ``docs/sweeps.md``."""

from __future__ import annotations

import hashlib
import json
import operator
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..io import utc_now
from .base import FORMAT, FORMAT_VERSION, SweepError, canonical, spec_hash

__all__ = ["Store", "Scan", "Records", "MISSING", "FAILED", "OK", "scan", "read_header", "check_header", "parse_record",
           "spec_diff", "line_checksum", "header_checksum", "with_checksum"]

MISSING, FAILED, OK = 0, 1, 2  # the status of a point in the store
_CACHE_LIMIT = 100_000  # a record view caches its records when the sweep has at most this many points
_REMEDY = ("the store cannot be trusted: delete that line to have the point recomputed, or rerun the sweep into "
           "a new file")


def _describe_value(v, limit: int = 60) -> str:
    t = json.dumps(v, allow_nan=False)
    return t if len(t) <= limit else t[: limit - 3] + "..."


def spec_diff(old, new, prefix: str = "") -> str:
    """The differences between two specs, e.g. ``phis_deg[2]: 60.0 in the store, 45.0 requested``."""
    if isinstance(old, dict) and isinstance(new, dict):
        parts = []
        for k in sorted(set(old) | set(new)):
            name = f"{prefix}.{k}" if prefix else str(k)
            if k not in old:
                parts.append(f"{name}: absent in the store, {_describe_value(new[k])} requested")
            elif k not in new:
                parts.append(f"{name}: {_describe_value(old[k])} in the store, absent in the request")
            elif canonical(old[k]) != canonical(new[k]):
                parts.append(spec_diff(old[k], new[k], name))
        return "; ".join(parts)
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        i = next(i for i, (a, b) in enumerate(zip(old, new, strict=True)) if canonical(a) != canonical(b))
        return spec_diff(old[i], new[i], f"{prefix}[{i}]")
    if isinstance(old, list) and isinstance(new, list):
        return f"{prefix}: {len(old)} values in the store, {len(new)} requested"
    return f"{prefix}: {_describe_value(old, 80)} in the store, {_describe_value(new, 80)} requested"


# --- checksums ---------------------------------------------------------------------------------
def line_checksum(body: str, spec: str) -> str:
    """sha256 (hex) of a record's canonical JSON (without its ``sha256`` field) followed by the
    spec hash: an edited line, or a line of another sweep, does not match."""
    return hashlib.sha256((body + spec).encode("utf-8")).hexdigest()


def header_checksum(header: dict) -> str:
    return hashlib.sha256(canonical({k: v for k, v in header.items() if k != "sha256"}).encode("utf-8")).hexdigest()


def with_checksum(body: str, checksum: str) -> bytes:
    """The line of a canonical JSON object ``body`` with ``"sha256"`` added last."""
    return (body[:-1] + f',"sha256":"{checksum}"}}\n').encode("ascii")


# --- reading -----------------------------------------------------------------------------------
def parse_record(path, lineno: int, raw: bytes, spec: str, npoints: int) -> dict:
    """A record line, checked: JSON object, checksum, fields.  ``InputError`` naming the line."""
    try:
        rec = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: line {lineno}: not a sweep record ({exc}); {_REMEDY}") from None
    if not isinstance(rec, dict):
        raise InputError(f"{path}: line {lineno}: not a sweep record (not a JSON object); {_REMEDY}")
    got = rec.pop("sha256", None)
    if not isinstance(got, str):
        raise InputError(f"{path}: line {lineno}: no checksum (edited or damaged); {_REMEDY}")
    try:
        body = canonical(rec)
    except ValueError:
        body = ""
    if got != line_checksum(body, spec):
        raise InputError(f"{path}: line {lineno}: checksum mismatch (edited or damaged); {_REMEDY}")
    idx = rec.get("index")
    if (isinstance(idx, bool) or not isinstance(idx, int) or not 0 <= idx < npoints or not isinstance(rec.get("key"), str)
            or rec.get("status") not in ("ok", "failed")):
        raise InputError(f"{path}: line {lineno}: not a record of this sweep (key, index or status); {_REMEDY}")
    return rec


def check_header(path, header) -> None:
    """Refuse a first line that is not a checked header of this format (naming what is wrong)."""
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InputError(f"{path}: not a certify sweep store (its first line is not a '{FORMAT}' header); "
                         "refusing to touch it: choose another file")
    version = header.get("format_version")
    if version == 1:
        raise InputError(f"{path}: a sweep store of format 1, written before per-line checksums, cannot be verified; "
                         f"certify {__version__} reads format {FORMAT_VERSION} only: rerun the sweep into a new file "
                         "(the old file stays readable as JSON Lines)")
    if version != FORMAT_VERSION:
        raise InputError(f"{path}: sweep store format_version {version!r} is not supported "
                         f"(this is certify {__version__}, format {FORMAT_VERSION})")
    if header.get("sha256") != header_checksum(header):
        raise InputError(f"{path}: line 1: checksum mismatch (edited or damaged header); the store cannot be trusted: "
                         "rerun the sweep into a new file")
    kind, params, points = header.get("kind"), header.get("params"), header.get("points")
    if (not isinstance(kind, str) or not isinstance(params, dict) or isinstance(points, bool)
            or not isinstance(points, int) or points < 0 or header.get("spec_hash") != spec_hash(kind, params)):
        raise InputError(f"{path}: line 1: the header's kind, params, points or spec_hash are inconsistent; the store "
                         "cannot be trusted: rerun the sweep into a new file")


def read_header(path, fh):
    """The checked header of an open store (``None`` for an empty file or a header cut by a
    crash) and the bytes of its line."""
    fh.seek(0)
    first = fh.readline()
    if not first.endswith(b"\n"):
        return None, first
    try:
        header = json.loads(first)
    except (ValueError, UnicodeDecodeError):
        header = None
    check_header(path, header)
    return header, first


@dataclass
class Scan:
    header: dict | None
    status: np.ndarray  # per point: MISSING / FAILED / OK
    offsets: np.ndarray  # per point: byte offset of its record (the ok one, else the last failed one), -1 if none
    size: int  # bytes of complete lines (the file is cut there on repair)
    repaired: str | None


def scan(path, fh, keys=None, on_header=None) -> Scan:
    """Read a store line by line (bounded memory: two arrays of one entry per point).  A last line
    without its newline is reported in ``repaired`` and left out of ``size``; any other damage
    raises an :class:`InputError` naming the line.  ``on_header(header)`` is called once the
    header is checked, before the records (e.g. to refuse another spec before anything else)."""
    header, first = read_header(path, fh)
    if header is None:  # an empty file, or a header cut by a crash: a new store
        return Scan(None, np.zeros(0, np.uint8), np.zeros(0, np.int64), 0,
                    f"discarded a truncated header ({len(first)} bytes)" if first else None)
    if on_header is not None:
        on_header(header)
    n = header["points"]
    spec = header["spec_hash"]
    status, offsets = np.zeros(n, np.uint8), np.full(n, -1, np.int64)
    pos, lineno, repaired = len(first), 1, None
    for raw in fh:
        lineno += 1
        if not raw.endswith(b"\n"):  # the last line, cut by a crash during its write
            repaired = f"discarded a truncated last line ({len(raw)} bytes)"
            break
        rec = parse_record(path, lineno, raw, spec, n)
        i = rec["index"]
        if keys is not None and keys[i] != rec["key"]:
            raise InputError(f"{path}: line {lineno}: the record's key {rec['key']!r} is not point {i} of this sweep "
                             f"({keys[i]!r}); {_REMEDY}")
        if status[i] == OK:  # the runner never writes a point again once its result is in
            raise InputError(f"{path}: line {lineno}: a second record for point {rec['key']}, whose result an earlier "
                             f"line holds already; {_REMEDY}")
        status[i] = OK if rec["status"] == "ok" else FAILED
        offsets[i] = pos
        pos += len(raw)
    return Scan(header, status, offsets, pos, repaired)


class Records(Sequence):
    """The records of a store in point order (``None`` where missing), read from the file on
    access and checked again (checksum and index); cached when the sweep is small."""

    def __init__(self, path, offsets, spec: str):
        self.path, self.offsets, self.spec = Path(path), offsets, spec
        self._cache = None

    def __len__(self) -> int:
        return len(self.offsets)

    def _read(self, fh, i: int):
        off = int(self.offsets[i])
        if off < 0:
            return None
        fh.seek(off)
        raw = fh.readline()
        if not raw.endswith(b"\n"):
            raise InputError(f"{self.path}: the store changed since it was read (point {i}); reload it with load_sweep")
        try:
            rec = parse_record(self.path, f"at byte {off}", raw, self.spec, len(self.offsets))
        except InputError as exc:
            raise InputError(f"{exc} (the store changed since it was read?)") from None
        if rec["index"] != i:
            raise InputError(f"{self.path}: the store changed since it was read (point {i}); reload it with load_sweep")
        return rec

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        i = operator.index(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError(i)
        if self._cache is not None:
            return self._cache[i]
        with open(self.path, "rb") as fh:
            return self._read(fh, i)

    def __iter__(self):
        if self._cache is not None:
            yield from self._cache
            return
        if len(self) <= _CACHE_LIMIT:
            with open(self.path, "rb") as fh:
                self._cache = [self._read(fh, i) for i in range(len(self))]
            yield from self._cache
            return
        with open(self.path, "rb") as fh:
            for i in range(len(self)):
                yield self._read(fh, i)


# --- the store ---------------------------------------------------------------------------------
def _same_spec(path, kind: str, params: dict, h: str, npoints: int):
    """``on_header`` for :func:`scan`: refuse a store of another spec, version or size."""

    def check(header):
        if header.get("kind") != kind:
            raise InputError(f"{path}: the store holds a {header.get('kind')!r} sweep, not {kind!r}; "
                             "use another file (or delete this one to start over)")
        if header.get("spec_hash") != h:
            diff = spec_diff(header.get("params") or {}, params) or "parameters hash differently"
            raise InputError(f"{path}: the store holds a {kind} sweep with other parameters ({diff}); "
                             "results are never mixed: use another file (or delete this one to start over)")
        if header.get("package_version") != __version__:
            raise InputError(f"{path}: the store was written by certify {header.get('package_version')}, this is "
                             f"certify {__version__}; results are never mixed: use another file")
        if header["points"] != npoints:
            raise InputError(f"{path}: the store's header counts {header['points']} points, this sweep has "
                             f"{npoints}; the store is damaged: rerun the sweep into a new file")

    return check


def _write_header(fd, folder, kind: str, params: dict, h: str, npoints: int, repaired) -> Scan:
    """Start a new store: the header line, written and synced."""
    os.ftruncate(fd, 0)
    header = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind, "params": params,
              "spec_hash": h, "points": npoints, "package_version": __version__,
              "created": utc_now()}
    header["sha256"] = header_checksum(header)
    line = (json.dumps(header, allow_nan=False) + "\n").encode("utf-8")
    os.write(fd, line)
    os.fsync(fd)
    _fsync_dir(folder)
    return Scan(header, np.zeros(npoints, np.uint8), np.full(npoints, -1, np.int64), len(line), repaired)


class Store:
    """The JSON Lines store of one sweep (see the module docstring and ``docs/sweeps.md``).

    ``Store.open(path, kind, params, keys)`` creates it (header line) or reopens it: checks that
    it holds the same spec and that every line's checksum matches, repairs a truncated last line,
    notes which points are done (``status``, one byte per point; ``offsets`` of their lines), and
    takes an exclusive lock (a second runner on the same file gets an :class:`InputError`).
    ``append(index, record)`` writes one line (with its checksum) with a single ``write`` and ``fsync``.
    """

    def __init__(self, path, fd, header, scan: Scan, fsync=True):
        self.path = Path(path)
        self.fd = fd
        self.header = header
        self.status = scan.status
        self.offsets = scan.offsets
        self.size = scan.size
        self.repaired = scan.repaired
        self.fsync = fsync

    # -- reading ---------------------------------------------------------------------------------
    @staticmethod
    def read(path, keys=None) -> Scan:
        """Scan a store file (no lock, no repair: a truncated last line is ignored)."""
        with open(path, "rb") as fh:
            return scan(path, fh, keys)

    def records(self) -> Records:
        return Records(self.path, self.offsets, self.header["spec_hash"])

    @classmethod
    def open(cls, path, kind: str, params: dict, keys, *, fsync: bool = True) -> Store:
        path = Path(path)
        folder = path.parent if str(path.parent) else Path(".")
        if not folder.is_dir():
            raise InputError(f"{path}: the folder {folder} does not exist")
        if path.is_dir():
            raise InputError(f"{path}: is a folder, expected a store file")
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
        try:
            _lock(fd, path)
            h = spec_hash(kind, params)
            with os.fdopen(os.dup(fd), "rb") as fh:
                found = scan(path, fh, keys, _same_spec(path, kind, params, h, len(keys)))
            if found.header is None:
                found = _write_header(fd, folder, kind, params, h, len(keys), found.repaired)
            elif found.repaired is not None:
                os.ftruncate(fd, found.size)
                os.fsync(fd)
            return cls(path, fd, found.header, found, fsync)
        except BaseException:
            os.close(fd)
            raise

    # -- writing ---------------------------------------------------------------------------------
    def append(self, index: int, record: dict) -> None:
        """Write the record of point ``index`` (``key``, ``status``, ...; ``index`` and ``sha256``
        are added).  A point whose result is in the store already is never written again."""
        index = int(index)
        if self.status[index] == OK:
            raise SweepError(f"internal error: point {index} ({record.get('key')}) is already done in {self.path}")
        body = canonical({**record, "index": index})
        line = with_checksum(body, line_checksum(body, self.header["spec_hash"]))
        n = os.write(self.fd, line)
        while n < len(line):  # regular files: a short write only on a full disk or a signal
            n += os.write(self.fd, line[n:])
        if self.fsync:
            os.fsync(self.fd)
        self.offsets[index] = self.size
        self.status[index] = OK if record["status"] == "ok" else FAILED
        self.size += len(line)

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the lock
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _lock(fd, path) -> None:
    try:
        import fcntl  # noqa: PLC0415
    except ImportError:  # pragma: no cover - not POSIX
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise InputError(f"{path}: the store is in use by another running sweep") from None


def _fsync_dir(folder) -> None:
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(dfd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(dfd)
