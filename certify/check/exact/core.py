"""Compatibility module: the former single module of the exact checker, now split by stage.

Every name it defined (public and private) is re-exported from where it lives now, so that
``from certify.check.exact.core import ...`` and the one-release alias :mod:`certify.exact` keep
working.  New code imports from the modules themselves:

* :mod:`~certify.check.exact.rational` — the python-flint loader :func:`flint`, conversions,
  bounded printing, the dyadic grid, recognition, ``fmpq_mat`` helpers;
* :mod:`~certify.check.exact.psd` — the exact PSD test;
* :mod:`~certify.check.exact.report` — :class:`ExactReport`, :class:`ExactUnavailableError`;
* :mod:`~certify.check.exact.derivatives` — Jacobian, derivatives, rotation complement, the
  first-order projection;
* :mod:`~certify.check.exact.instance` — reading the certificate, the rational instance;
* :mod:`~certify.check.exact.conditions`, :mod:`~certify.check.exact.witnesses`,
  :mod:`~certify.check.exact.repair` — the checks (ii)/(iii), the disproof witnesses, the repair;
* :mod:`~certify.check.exact.operator_proof` — :func:`verify_exact`, stage by stage (its module
  docstring says what is proved).

One private function changed its signature: ``_repair`` (now ``_repair(inst, res, H1, C, ds,
d_relaxed, recheck)``).
"""

# ruff: noqa: F401 - re-exports

from __future__ import annotations

from .conditions import _band, _hessian_check
from .derivatives import (
    _Deriv,
    _derivs,
    _jacobian,
    _kron_eye,
    _nullspace,
    _project_first_order,
    _rotation_complement,
    _solve_consistent,
)
from .instance import MAX_EXPLICIT_GRAM, _Read, _read
from .operator_proof import DISPROOF_RTOL, SPURIOUS_RTOL, _rescale_mu, _verify_exact, verify_exact
from .psd import LDL_MAX, PsdResult, _ldlt, _pd_by_rounding, _psd, _psd_charpoly, psd_test
from .rational import (
    _DYADIC_BITS,
    _F,
    _Q,
    GRID_BITS,
    RECOGNIZE_TOL,
    _as_fmpq_mat,
    _col,
    _dot,
    _dyadic,
    _entries,
    _eye,
    _flint,
    _float,
    _frob2,
    _from_flat,
    _grid,
    _mat,
    _qd,
    _qstr,
    _quad,
    _rationalize,
    _recognize_scalar,
    _sym,
    _sym_basis_exact,
    _to_np,
    _unvec,
    _vec,
    flint,
    simplest_between,
)
from .repair import _repair
from .report import ExactReport, ExactUnavailableError, _undecided_report
from .witnesses import _complement_eig

__all__ = [
    "ExactUnavailableError",
    "ExactReport",
    "PsdResult",
    "psd_test",
    "verify_exact",
    "simplest_between",
    "MAX_EXPLICIT_GRAM",
    "LDL_MAX",
]

#: every name of the former module, for the tests of this compatibility layer
_FORMER_NAMES = (
    "MAX_EXPLICIT_GRAM", "LDL_MAX", "DISPROOF_RTOL", "SPURIOUS_RTOL", "RECOGNIZE_TOL", "_DYADIC_BITS", "GRID_BITS",
    "ExactUnavailableError", "_flint", "_F", "_Q", "_qstr", "_float", "simplest_between", "_recognize_scalar",
    "_rationalize", "_grid", "_dyadic", "_mat", "_from_flat", "_eye", "_col", "_entries", "_to_np", "_frob2", "_dot",
    "_vec", "_unvec", "_sym", "_jacobian", "_kron_eye", "_nullspace", "_solve_consistent", "PsdResult", "_ldlt",
    "_as_fmpq_mat", "_quad", "_psd", "_pd_by_rounding", "_psd_charpoly", "psd_test", "ExactReport", "_qd", "_Read",
    "_read", "_Deriv", "_derivs", "_rotation_complement", "_project_first_order", "_undecided_report",
    "_sym_basis_exact", "_band", "_hessian_check", "verify_exact", "_rescale_mu", "_verify_exact", "_complement_eig",
    "_repair",
)
