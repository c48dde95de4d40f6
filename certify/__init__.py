"""certify: certificates about nonconvex optimization landscapes, produced with convex
optimization and checked without it.

Packages: :mod:`certify.check` (the trusted kernel: certificate formats, float and exact
verification, dual bounds; no solver), :mod:`certify.rip` (BM matrix sensing: the counterexample
and curvature SDPs, search, closed form, catalog), :mod:`certify.sgd` (batched (S)GD and the
validation protocol), :mod:`certify.nimc`, :mod:`certify.nmf`, :mod:`certify.sweep`,
:mod:`certify.cli`.  See ``docs/architecture.md``.

Importing :mod:`certify` loads only the error types and the version: every other name below is
imported on first use (PEP 562), so ``import certify.check`` stays free of solvers.
"""

from ._lazy import lazy_exports
from ._version import __version__
from .errors import (
    CertificateFormatError,
    CertifyError,
    InputError,
    NoCounterexampleError,
    SolverError,
    SolverUnavailableError,
)

#: public names resolved lazily: name -> (module, attribute or None for the module itself)
_LAZY = {
    "rip": ("certify.rip", None),
    "check": ("certify.check", None),
    "Certificate": ("certify.check.format", "Certificate"),
    "load": ("certify.check.format", "load"),
    "verify": ("certify.check.format", "verify"),
    "ValidationResult": ("certify.sgd.protocol", "ValidationResult"),
    "validate": ("certify.sgd.protocol", "validate"),
}


__getattr__, __dir__ = lazy_exports("certify", _LAZY, globals())


__all__ = [
    "__version__",
    "Certificate",
    "CertificateFormatError",
    "CertifyError",
    "InputError",
    "NoCounterexampleError",
    "SolverError",
    "SolverUnavailableError",
    "check",
    "load",
    "rip",
    "validate",
    "ValidationResult",
    "verify",
]
