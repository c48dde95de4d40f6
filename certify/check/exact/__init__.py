"""Exact (rational) verification — the proofs of the kernel (python-flint).

:func:`verify_exact` proves the operator claim of a certificate (X is a spurious second-order
critical point of a δ-RIP operator), :func:`verify_certificate_exact` every claim of a certificate
file, :func:`verify_curvature_exact` every claim of a curvature result file; :func:`psd_test` is the
exact PSD test they use.  Importing the package needs no python-flint; :func:`flint` loads it (the
one loader of the project) or raises :class:`ExactUnavailableError`.

The modules, in the order a proof uses them:

* :mod:`.rational` — the python-flint loader, conversions, bounded printing, the dyadic grid,
  recognition of small-denominator rationals, ``fmpq_mat`` helpers;
* :mod:`.psd` — the exact PSD test (``LDL^T``, rounding, characteristic polynomial);
* :mod:`.report` — :class:`ExactReport`, :class:`ExactUnavailableError`;
* :mod:`.derivatives` — the Jacobian, ``f``, ``∇f``, ``∇²f``, the rotation complement, the
  first-order projection;
* :mod:`.instance` — reading the certificate, the scale ``c``, the rational instance;
* :mod:`.conditions` — the exact checks (ii) and (iii);
* :mod:`.witnesses` — disproof witnesses on the certificate's own numbers;
* :mod:`.repair` — the repair step for singular Hessians;
* :mod:`.operator_proof` — :func:`verify_exact` as a sequence of stages (its docstring says what is
  proved and how);
* :mod:`.claims` — every claim of a certificate file; :mod:`.curvature` — of a curvature file;
* :mod:`.quadratic` — exact arithmetic in a real quadratic field ``Q(√m)``, sparse exact ``LDL^T``
  and the BM-sensing derivatives over it; :mod:`.algebraic` — certificates over such a field (the
  sharp threshold ``1/(1 + √(r*/r))`` exactly, ``docs/atlas.md``), also embedded in a certificate
  file as ``formulation.algebraic`` (claims ``algebraic.*`` of :mod:`.claims`);
* :mod:`.core` — compatibility: every name of the former single module.
"""

from .claims import verify_certificate_exact
from .curvature import verify_curvature_exact
from .operator_proof import verify_exact
from .psd import PsdResult, psd_test
from .rational import flint, simplest_between
from .report import ExactReport, ExactUnavailableError

__all__ = [
    "ExactReport",
    "ExactUnavailableError",
    "PsdResult",
    "flint",
    "psd_test",
    "simplest_between",
    "verify_certificate_exact",
    "verify_curvature_exact",
    "verify_exact",
]
