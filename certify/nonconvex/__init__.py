"""NumPy nonconvex solvers that validate certificates empirically: :mod:`.sensing` (Burer–Monteiro
matrix sensing: batched GD/SGD, distances, random instances)."""

from . import sensing

__all__ = ["sensing"]
