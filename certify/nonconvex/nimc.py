"""Moved to :mod:`certify.nimc`, split into :mod:`~certify.nimc.model`, :mod:`~certify.nimc.hessians`,
:mod:`~certify.nimc.bounds`, :mod:`~certify.nimc.training` and :mod:`~certify.nimc.experiments`
(this import path stays for one release; see CHANGELOG.md).  Every name of those modules, private
ones included, resolves here."""

from importlib import import_module

from .. import nimc as _nimc

_PARTS = ("model", "hessians", "bounds", "training", "experiments")
__all__ = list(_nimc.__all__)


def __getattr__(name):
    for part in _PARTS:
        mod = import_module(f"certify.nimc.{part}")
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
