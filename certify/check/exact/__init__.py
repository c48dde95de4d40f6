"""Exact (rational) verification — the proofs of the kernel (python-flint).

:func:`verify_exact` proves the operator claim of a certificate (X is a spurious second-order
critical point of a δ-RIP operator), :func:`verify_certificate_exact` every claim of a certificate
file, :func:`verify_curvature_exact` every claim of a curvature result file; :func:`psd_test` is the
exact PSD test they use.
"""

from .claims import verify_certificate_exact
from .core import ExactReport, ExactUnavailableError, PsdResult, psd_test, simplest_between, verify_exact
from .curvature import verify_curvature_exact

__all__ = [
    "ExactReport",
    "ExactUnavailableError",
    "PsdResult",
    "psd_test",
    "simplest_between",
    "verify_certificate_exact",
    "verify_curvature_exact",
    "verify_exact",
]
