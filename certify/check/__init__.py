"""The trusted kernel of certify: certificate formats, their float verification, dual bounds and
the exact (rational) verification of every claim.

It imports no solver, no SciPy, no numba, no matplotlib and nothing from the solver side
(:mod:`certify.rip`, :mod:`certify.sweep`, ...): only NumPy, the shared core (:mod:`certify.errors`,
:mod:`certify.linalg`, :mod:`certify.io`, :mod:`certify.options`), ``jsonschema`` for the file
schema and, for the exact part, python-flint.  A test imports it in a fresh interpreter and checks
that.  See ``docs/architecture.md``.

Modules: :mod:`~certify.check.format` (certificate objects and files), :mod:`~certify.check.schema`
(the JSON Schema and the safe reader), :mod:`~certify.check.operators` (measurement operators),
:mod:`~certify.check.verify` (float verification), :mod:`~certify.check.duality` (the SDP's data and
the bounds any dual point gives), :mod:`~certify.check.curvature` (curvature result files),
:mod:`~certify.check.exact` (exact verification; needs python-flint), :mod:`~certify.check.nimc`
(NIMC Hessian certificates; the Arb constants in :mod:`~certify.check.nimc_constants`, the float
population Hessian in :mod:`~certify.check.nimc_population`), :mod:`~certify.check.nmf` (NMF segment
certificates), :mod:`~certify.check.kindfile` (what those kinds' files share) and
:mod:`~certify.check.loader` (:func:`load_any`: one reader for every kind).
"""

from .curvature import CurvatureFile, CurvatureReport, load_curvature
from .format import Certificate, DualCertificate, Tolerances, VerificationReport, load, verify
from .loader import load_any
from .operators import CompactOperator, ExplicitOperator, MeasurementOperator, RipConstant

__all__ = [
    "Certificate",
    "CompactOperator",
    "CurvatureFile",
    "CurvatureReport",
    "DualCertificate",
    "ExplicitOperator",
    "MeasurementOperator",
    "RipConstant",
    "Tolerances",
    "VerificationReport",
    "load",
    "load_any",
    "load_curvature",
    "verify",
]
