"""File helpers: atomic writes and parsing of user-given arrays."""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import stat
import tempfile
from pathlib import Path

import numpy as np

from .errors import InputError

__all__ = ["atomic_write_text", "atomic_write_bytes", "jsonable", "load_npy", "parse_array", "parse_grid", "utc_now"]


_KIND = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _what(mode: int) -> str:
    for test, text in _KIND:
        if test(mode):
            return text
    return "not a regular file"


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, fsync, rename.
    A reader never sees a half-written file and an interrupted write (an exception, a full disk)
    leaves the old file intact and no temporary file behind.  Returns the path written.

    What the target may be (checked with ``os.lstat`` before anything is written; refusals are
    :class:`InputError` naming the path and what it is):

    * absent: a new regular file with mode ``0666 & ~umask``; its folder must exist;
    * an existing regular file: replaced; it keeps its permission bits (and, when run as root,
      its owner and group).  A file without the owner's write bit is refused ("read-only: remove
      it or make it writable first"), also for root, who could otherwise overwrite it;
    * a symbolic link: followed (to the end of the chain); the regular file it points to is
      replaced as above and the link is kept; a dangling link creates its target.  Links stay
      links, as with the shell's ``>`` redirection;
    * anything else (a directory, a character or block device such as ``/dev/full`` or
      ``/dev/null``, a FIFO, a socket): refused; it is never replaced by a regular file.

    A file with several hard links is replaced by a new file (the other names keep the old
    content): the rename is what makes the write atomic.  The checks and the rename are not one
    atomic step; a target changed by another process in between is not detected.
    """
    given = str(path)
    path = Path(path)
    if given.endswith(("/", os.sep)) or path.name in ("", ".", ".."):
        raise InputError(f"{given}: names a folder, expected a file path")
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"{given}: cannot inspect the target ({exc.strerror})") from exc
    if st is not None:
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{given}: is {_what(st.st_mode)}, not a regular file; refusing to replace it")
        if not st.st_mode & stat.S_IWUSR:
            raise InputError(f"{given}: is a read-only file (mode {stat.S_IMODE(st.st_mode):04o}); "
                             "remove it or make it writable first")
        mode = stat.S_IMODE(st.st_mode)
    else:
        mode = 0o666 & ~_current_umask()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{given}: the folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"{given}: cannot create a file in {folder} ({exc.strerror})") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp creates 0600: the old file's mode, or the usual one
        if st is not None and os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:
                pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def jsonable(obj, *, nonfinite: str = "tag"):
    """``obj`` with NumPy scalars and arrays turned into Python numbers and lists, fractions into
    ``"p/q"`` strings and dict keys into strings, so that ``json.dumps(..., allow_nan=False)`` takes it.

    Non-finite floats: ``nonfinite="tag"`` writes NaN as ``null`` and ±inf as ``"inf"``/``"-inf"``
    (certificates, reports); ``nonfinite="null"`` writes every one as ``null`` (sweep results).
    """
    from fractions import Fraction  # noqa: PLC0415

    if isinstance(obj, dict):
        return {str(k): jsonable(v, nonfinite=nonfinite) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v, nonfinite=nonfinite) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist(), nonfinite=nonfinite)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, Fraction):
        return str(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if math.isfinite(v):
            return v
        if nonfinite == "null" or math.isnan(v):
            return None
        return "inf" if v > 0 else "-inf"
    return obj


def load_npy(path, name: str) -> np.ndarray:
    """The array in the ``.npy`` file ``path`` (no pickles; its integer or float dtype is kept).
    A missing or unreadable file, an ``.npz`` archive, or an array that is not of integer or
    floating dtype (strings, objects, complex, booleans, records) is an :class:`InputError` naming
    the argument ``name``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{name}: no such .npy file: {path}")
    try:
        arr = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{name}: cannot read {path} as a .npy array ({exc})") from exc
    if not isinstance(arr, np.ndarray):
        close = getattr(arr, "close", None)
        if close is not None:
            close()
        raise InputError(f"{name}: {path} is not a single .npy array (an .npz archive?); expected a real numeric array")
    if arr.dtype.kind not in "fiu":
        raise InputError(f"{name}: {path} holds an array of dtype {arr.dtype}; expected a real numeric array (int or float)")
    return arr


def parse_array(text: str, name: str) -> np.ndarray:
    """An array from a JSON literal (``'[0, 0.7071]'``, ``'[[1, 0], [0, 1]]'``) or a ``.npy`` file,
    as float64.  Entries must be real numbers: JSON strings, booleans, nulls and objects, and
    ``.npy`` arrays of strings, objects, complex numbers or booleans are refused (never cast)."""
    from .linalg import as_real_array  # noqa: PLC0415 - linalg does not import io, but keep io light

    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{name}: expected a JSON array such as '[0, 0.7071]' or a .npy file path")
    s = text.strip()
    if s.endswith(".npy"):
        arr = np.asarray(load_npy(s, name), dtype=float)
    else:
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{name}: not a JSON array ({exc.msg}); give e.g. '[0, 0.7071]', '[[1, 0], [0, 1]]' or a .npy file"
            ) from exc
        if not isinstance(obj, list):
            raise InputError(f"{name}: expected a JSON array such as '[0, 0.7071]', got {s[:60]!r}")
        arr = as_real_array(obj, name)
    if arr.ndim not in (1, 2) or arr.size == 0:
        raise InputError(f"{name}: expected a vector (n,) or a matrix (n, r), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: contains NaN or infinite entries")
    return arr


#: most values one grid given as ``start:stop:num`` may have (a sweep checks its own total first)
MAX_GRID = 10**7


def parse_grid(text, name: str, max_count: int = MAX_GRID) -> list[float]:
    """``"a:b:k"`` (k values from a to b inclusive, like ``numpy.linspace``), ``"v1,v2,..."``, or
    one number; a list of numbers is passed through (its entries must be real numbers: strings,
    booleans and complex numbers in a list are refused, see :func:`certify.linalg.as_real_array`).
    More than ``max_count`` values are refused before anything is allocated."""
    if isinstance(text, (list, tuple, np.ndarray)):
        from .linalg import as_real_array  # noqa: PLC0415

        arr = as_real_array(text, name).reshape(-1)
        if arr.size > max_count:
            raise InputError(f"{name}: {arr.size} values given, at most {max_count} are allowed")
        vals = [float(v) for v in arr]
    else:
        s = str(text).strip()
        try:
            if ":" in s:
                a, b, k = s.split(":")
                if int(k) < 1:
                    raise ValueError
                if int(k) > max_count:
                    vals = None
                else:
                    vals = np.linspace(float(a), float(b), int(k)).tolist()
            else:
                vals = [float(t) for t in s.split(",") if t.strip()]
        except ValueError:
            raise InputError(f"{name}: expected start:stop:num, a comma list or a number, got {text!r}") from None
        if vals is None:
            raise InputError(f"{name}: {int(k)} values requested, at most {max_count} are allowed")
    if not vals:
        raise InputError(f"{name}: no value given")
    if not all(math.isfinite(v) for v in vals):
        raise InputError(f"{name}: contains NaN or infinite values")
    return vals


def utc_now() -> str:
    """The current time in UTC, ISO 8601 to the second (``2026-11-30T17:07:51+00:00``): the
    ``created`` stamp of the files certify writes (certificates, validation results, sweep stores)."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
