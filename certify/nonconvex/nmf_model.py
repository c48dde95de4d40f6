"""Moved to :mod:`certify.nmf.model` (loss, gradient, initialization, planted model) and
:mod:`certify.nmf.solvers` (:func:`mu`, :func:`pgd`, :func:`solve`) (this import path stays for one
release; see CHANGELOG.md).  Every name of those modules, private ones included, resolves here."""

from ..nmf import model as _model
from ..nmf import solvers as _solvers

__all__ = [*_model.__all__, *_solvers.__all__]


def __getattr__(name):
    for mod in (_model, _solvers):
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
