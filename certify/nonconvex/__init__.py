"""NumPy nonconvex solvers that validate certificates empirically: :mod:`.sensing` (Burer–Monteiro
matrix sensing: batched GD/SGD, distances, random instances).

NIMC and NMF moved to their own packages, :mod:`certify.nimc` and :mod:`certify.nmf`;
``certify.nonconvex.nimc``, ``.nmf``, ``.nmf_model``, ``.nmf_certificate``, ``.nmf_data`` and
``.nmf_landscape`` stay one release as aliases (imported on use, not here)."""

from . import sensing

__all__ = ["sensing"]
