"""Checks of numeric options shared by the public functions (one message format everywhere).

* :func:`real` accepts a finite real number — ``int``, ``float`` or a NumPy real scalar — never a
  ``bool`` or a string (``'0.5'`` is refused, not converted), optionally within bounds.
* :func:`integer` accepts an ``int`` or a NumPy integer — never a ``bool``, a float (``3.0``) or a
  string — optionally within bounds.
* :func:`reals` checks a non-empty 1-D sequence of such numbers (a grid of δ, γ, ρ, ...).

Each returns the value as a Python ``float``/``int`` (a NumPy array for :func:`reals`) and raises
:class:`~certify.errors.InputError` naming the option, what was wrong and what is accepted, e.g.
``delta: expected a real number in [0, 1), got '0.5' (str)``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import InputError

__all__ = ["real", "integer", "reals", "describe"]


def describe(value) -> str:
    """``repr(value) (type)``, shortened, for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _fmt(x) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range_text(kind: str, lo, hi, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"{kind} in {'(' if lo_open else '['}{_fmt(lo)}, {_fmt(hi)}{')' if hi_open else ']'}"
    if lo is not None:
        return f"{kind} {'>' if lo_open else '>='} {_fmt(lo)}"
    if hi is not None:
        return f"{kind} {'<' if hi_open else '<='} {_fmt(hi)}"
    return kind


def _is_real(value) -> bool:
    if isinstance(value, (bool, np.bool_, str, bytes)):
        return False
    return isinstance(value, (numbers.Real, np.integer, np.floating))


def real(value, name: str, *, lo=None, hi=None, lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a finite ``float`` within ``[lo, hi]`` (``lo_open``/``hi_open``: strict bounds).

    Refused: bools, strings, NaN, ±inf, anything that is not a real number, values out of bounds.
    """
    want = _range_text("a finite real number" if lo is None and hi is None else "a real number", lo, hi, lo_open, hi_open)
    if not _is_real(value):
        raise InputError(f"{name}: expected {want}, got {describe(value)}")
    x = float(value)
    if not math.isfinite(x):
        raise InputError(f"{name}: expected {want}, got {describe(value)}")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        raise InputError(f"{name}: expected {want}, got {describe(value)}")
    if hi is not None and (x > hi or (hi_open and x == hi)):
        raise InputError(f"{name}: expected {want}, got {describe(value)}")
    return x


def integer(value, name: str, *, lo=None, hi=None) -> int:
    """``value`` as an ``int`` within ``[lo, hi]``.

    Refused: bools, floats (even ``3.0``), strings, values out of bounds.
    """
    want = _range_text("an integer", lo, hi, False, False)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name}: expected {want}, got {describe(value)}")
    k = int(value)
    if (lo is not None and k < lo) or (hi is not None and k > hi):
        raise InputError(f"{name}: expected {want}, got {describe(value)}")
    return k


def reals(values, name: str, *, lo=None, hi=None, lo_open: bool = False, hi_open: bool = False) -> np.ndarray:
    """A non-empty 1-D sequence (list, tuple, 1-D array) of numbers accepted by :func:`real` (a
    single number counts as a sequence of one), as a float array."""
    want = _range_text("real numbers", lo, hi, lo_open, hi_open)
    if isinstance(values, np.ndarray):
        if values.ndim > 1:
            raise InputError(f"{name}: expected a non-empty list of {want}, got an array of shape {values.shape}")
        items = list(values.reshape(-1))
    elif isinstance(values, (list, tuple)):
        items = list(values)
    elif _is_real(values):
        items = [values]
    else:
        raise InputError(f"{name}: expected a non-empty list of {want}, got {describe(values)}")
    if not items:
        raise InputError(f"{name}: expected a non-empty list of {want}, got an empty list")
    out = np.empty(len(items))
    for k, v in enumerate(items):
        out[k] = real(v, f"{name}[{k}]", lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)
    return out
