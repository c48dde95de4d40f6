"""File helpers: atomic writes and parsing of user-given arrays."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import InputError

__all__ = ["atomic_write_text", "atomic_write_bytes", "jsonable", "load_npy", "parse_array", "parse_grid"]


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, fsync, rename.
    A reader never sees a half-written file and an interrupted write leaves the old file intact."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
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
    """The array in the ``.npy`` file ``path`` (no pickles); a missing or unreadable file is an
    :class:`InputError` naming the argument ``name``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{name}: no such .npy file: {path}")
    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise InputError(f"{name}: cannot read {path} as a .npy array ({exc})") from exc


def parse_array(text: str, name: str) -> np.ndarray:
    """An array from a JSON literal (``'[0, 0.7071]'``, ``'[[1, 0], [0, 1]]'``) or a ``.npy`` file."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{name}: expected a JSON array such as '[0, 0.7071]' or a .npy file path")
    s = text.strip()
    if s.endswith(".npy"):
        arr = load_npy(s, name)
    else:
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{name}: not a JSON array ({exc.msg}); give e.g. '[0, 0.7071]', '[[1, 0], [0, 1]]' or a .npy file"
            ) from exc
        try:
            arr = np.array(obj, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name}: expected a numeric (ragged-free) JSON array, got {s[:60]!r}") from exc
    if arr.ndim not in (1, 2) or arr.size == 0:
        raise InputError(f"{name}: expected a vector (n,) or a matrix (n, r), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name}: contains NaN or infinite entries")
    return arr


def parse_grid(text, name: str) -> list[float]:
    """``"a:b:k"`` (k values from a to b inclusive, like ``numpy.linspace``), ``"v1,v2,..."``, or
    one number; a list of numbers is passed through."""
    if isinstance(text, (list, tuple, np.ndarray)):
        vals = [float(v) for v in np.asarray(text, dtype=float).reshape(-1)]
    else:
        s = str(text).strip()
        try:
            if ":" in s:
                a, b, k = s.split(":")
                if int(k) < 1:
                    raise ValueError
                vals = np.linspace(float(a), float(b), int(k)).tolist()
            else:
                vals = [float(t) for t in s.split(",") if t.strip()]
        except ValueError:
            raise InputError(f"{name}: expected start:stop:num, a comma list or a number, got {text!r}") from None
    if not vals:
        raise InputError(f"{name}: no value given")
    if not all(math.isfinite(v) for v in vals):
        raise InputError(f"{name}: contains NaN or infinite values")
    return vals
