"""Lazy public names of a package (PEP 562), shared by ``certify`` and ``certify.sgd``: a name is
imported on first use, so that importing the package loads nothing heavy (a solver, numba)."""

from __future__ import annotations

from importlib import import_module

__all__ = ["lazy_exports"]


def lazy_exports(package: str, table: dict, namespace: dict):
    """``(__getattr__, __dir__)`` for the module whose globals are ``namespace``; ``table`` maps a
    public name to ``(module, attribute or None for the module itself)``.  A resolved name is cached
    in ``namespace``."""

    def __getattr__(name):
        try:
            module, attr = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        mod = import_module(module)
        value = mod if attr is None else getattr(mod, attr)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
