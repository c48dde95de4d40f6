"""The cvxpy model of ``LMI(X, Z)``, written once (JMLR19 eq. 23 in a basis ``B``; see
:mod:`certify.check.duality` for the data and the conventions).

Both SDPs of the project are built from it: the counterexample SDP (:func:`certify.rip.sdp.solve_lmi`:
minimize δ subject to first order, second order and the band) and the curvature SDP
(:mod:`certify.rip.curvature`: maximize μ subject to a gradient bound, ``C^T ∇²f C ⪰ μ I`` and the band
of a fixed δ).  Solver side: imports cvxpy (lazily).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..check.duality import LMIData

__all__ = ["LMIModel", "lmi_model"]


@dataclass
class LMIModel:
    """The affine pieces of ``LMI(X, Z)`` as cvxpy expressions in the variable ``H`` (``s x s``):
    ``first = J^T H e`` (``∇f(X) / 2``) and ``second = 2 [I_r ⊗ sym(mat(B H e))] + J^T H J``
    (``∇²f(X) / 2``, symmetrized)."""

    H: object
    first: object
    second: object
    s: int

    def band(self, delta) -> list:
        """``(1 - δ) I ⪯ H ⪯ (1 + δ) I`` (``delta`` a number or a cvxpy variable)."""
        Is = np.eye(self.s)
        return [self.H - (1 - delta) * Is >> 0, (1 + delta) * Is - self.H >> 0]


def lmi_model(data: LMIData) -> LMIModel:
    """The cvxpy expressions of ``LMI(X, Z)`` for ``data`` (:func:`certify.check.duality.lmi_data`)."""
    import cvxpy as cp  # noqa: PLC0415 - solver side, loaded on first use

    s, N, r = data.s, data.N, data.r
    H = cp.Variable((s, s), symmetric=True, name="H")
    He = H @ data.e
    Smat = cp.reshape(data.B @ He, (N, N), order="F")  # sym(mat(B H e)) as an affine N x N expression
    Smat = 0.5 * (Smat + Smat.T)
    second = 2.0 * cp.kron(np.eye(r), Smat) + data.J.T @ H @ data.J
    return LMIModel(H=H, first=data.J.T @ He, second=0.5 * (second + second.T), s=s)
