"""certify: certificates about nonconvex optimization landscapes, produced with convex
optimization and checked without it.

Subpackages: :mod:`certify.rip` (counterexample SDPs for Burer–Monteiro matrix sensing),
:mod:`certify.operators` (measurement operators), :mod:`certify.certificates` (certificate
files and their verification).
"""

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    CertificateFormatError,
    CertifyError,
    InputError,
    NoCounterexampleError,
    SolverError,
    SolverUnavailableError,
)
from . import rip  # noqa: E402
from .certificates import Certificate, load, verify  # noqa: E402
from .validation import ValidationResult, validate  # noqa: E402

__all__ = [
    "__version__",
    "Certificate",
    "CertificateFormatError",
    "CertifyError",
    "InputError",
    "NoCounterexampleError",
    "SolverError",
    "SolverUnavailableError",
    "load",
    "rip",
    "validate",
    "ValidationResult",
    "verify",
]
