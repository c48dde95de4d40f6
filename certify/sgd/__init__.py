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

from .._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports("certify.sgd", _LAZY, globals())


__all__ = sorted(set(_LAZY) - {"kernels"})  # kernels: imported on first use only (numba)
