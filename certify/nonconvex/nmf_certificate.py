"""Moved to :mod:`certify.nmf.segments` (the float, batched certificates) and the kernel,
:mod:`certify.check.nmf` (the certificate object and its exact re-check) (this import path stays
for one release; see CHANGELOG.md).  Every name of those modules, private ones included, resolves
here."""

from ..check import nmf as _checker
from ..nmf import segments as _segments

__all__ = [*_segments.__all__, *_checker.__all__]


def __getattr__(name):
    for mod in (_segments, _checker):
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
