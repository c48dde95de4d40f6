"""The package's own exception types.

Every error raised on purpose by :mod:`certify` derives from :class:`CertifyError`, so a caller can
catch them all with one ``except`` clause, and the command line turns them into one-line messages.
"""

from __future__ import annotations


class CertifyError(Exception):
    """Base class of every error raised on purpose by certify."""


class InputError(CertifyError, ValueError):
    """An argument is malformed: wrong shape, NaN/inf, degenerate instance, unknown option."""


class CertificateFormatError(InputError):
    """A certificate file cannot be read: not JSON, wrong format name or version, missing fields."""


class SolverError(CertifyError, RuntimeError):
    """A convex solver failed, reported an inaccurate answer, or its answer could not be repaired."""


class SolverUnavailableError(SolverError):
    """The requested solver is not installed or not licensed on this machine."""


class NoCounterexampleError(CertifyError):
    """The instance admits no counterexample with a RIP constant below 1 (e.g. colinear x and z)."""
