"""Batched (S)GD for Burer–Monteiro matrix sensing and the validation protocol of certificates.

Modules: :mod:`.kernels` (the compiled numba kernels: batched GD/SGD steps, one SplitMix64 stream
per trial), :mod:`.sensing` (objective and derivatives, :func:`~.sensing.gd`,
:func:`~.sensing.sgd`, distances, random instances, the option checks of a run),
:mod:`.protocol` (the validation protocol: :class:`~.protocol.Protocol`, the one place its options
are checked, used by :func:`~.protocol.validate` and by the ``validation`` sweep kind;
:class:`~.protocol.ValidationResult`).

Importing :mod:`certify.sgd` loads nothing: the names below are imported on first use (numba
compiles the kernels on the first run).
"""

from importlib import import_module

#: public names resolved lazily: name -> (module, attribute or None for the module itself)
_LAZY = {
    "kernels": ("certify.sgd.kernels", None),
    "sensing": ("certify.sgd.sensing", None),
    "protocol": ("certify.sgd.protocol", None),
    "gd": ("certify.sgd.sensing", "gd"),
    "sgd": ("certify.sgd.sensing", "sgd"),
    "random_instance": ("certify.sgd.sensing", "random_instance"),
    "distance_to_solutions": ("certify.sgd.sensing", "distance_to_solutions"),
    "distance_to_orbit": ("certify.sgd.sensing", "distance_to_orbit"),
    "Protocol": ("certify.sgd.protocol", "Protocol"),
    "ValidationResult": ("certify.sgd.protocol", "ValidationResult"),
    "validate": ("certify.sgd.protocol", "validate"),
}


def __getattr__(name):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'certify.sgd' has no attribute {name!r}") from None
    mod = import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = sorted(set(_LAZY) - {"kernels"})  # kernels: imported on first use only (numba)
