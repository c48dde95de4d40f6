"""SDPs over RIP operators: ``δ(X, Z)``, projection, lift, closed form.

Public API::

    from certify import rip
    cert = rip.counterexample(X, Z, solver=None, project=True)
    cert.delta, cert.delta_lower, cert.operator, cert.X, cert.Z
    report = cert.verify()
    cert.save(path); rip.load(path)
    rip.verify(operator, X, Z)
    rip.MeasurementOperator.from_matrices(A)
    rip.closed_form_lower_bound(x, z)
"""

from ..certificates import Certificate, Tolerances, VerificationReport, load, verify
from ..operators import CompactOperator, ExplicitOperator, MeasurementOperator, RipConstant
from . import examples
from .closed_form import closed_form_lower_bound, closed_form_lower_bound_polar, polar_coordinates
from .sdp import counterexample

__all__ = [
    "Certificate",
    "CompactOperator",
    "ExplicitOperator",
    "MeasurementOperator",
    "RipConstant",
    "Tolerances",
    "VerificationReport",
    "closed_form_lower_bound",
    "closed_form_lower_bound_polar",
    "counterexample",
    "examples",
    "load",
    "polar_coordinates",
    "verify",
]
