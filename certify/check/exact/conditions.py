"""The exact conditions (ii) and (iii) of the operator proof, and the records of one attempt.

:func:`_band` — (iii) ``(1 - δ) I ⪯ H ⪯ (1 + δ) I`` (on the symmetric matrices ``B^T H B`` against
``B^T B``), plus ``1 - δ <= t <= 1 + δ`` for the identity block of a lift.  :func:`_hessian_check` —
(ii) ``C^T ∇²f C - μ C^T C ⪰ 0``, plus ``4 t X^T X - μ I ⪰ 0`` for the lift's complement block.
Both are used by :mod:`~certify.check.exact.operator_proof` and :mod:`~certify.check.exact.curvature`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .derivatives import _Deriv
from .psd import _psd
from .rational import _F, _eye, _qstr


def _band(H, dq, tq, complement, B, fl):
    """(iii) exactly: returns (passed, detail dict)."""
    one = fl.fmpq(1)
    if B is None:
        N = H.nrows()
        upper = _eye(N, fl, one + dq) - H
        lower = H - _eye(N, fl, one - dq)
    else:
        BtB = B.transpose() * B
        BHB = B.transpose() * H * B
        upper = BtB * (one + dq) - BHB
        lower = BHB - BtB * (one - dq)
    ok_u, meth, inert_u, mp_u, w_u, v_u = _psd(upper, fl)
    ok_l, _, inert_l, mp_l, w_l, v_l = _psd(lower, fl)
    t_ok = (one - dq <= tq <= one + dq) if complement else True
    return ok_u and ok_l and t_ok, {
        "upper": {"psd": ok_u, "min_pivot": None if mp_u is None else _qstr(mp_u), "inertia": inert_u,
                  "min_pivot_float": None if mp_u is None else float(_F(mp_u))},
        "lower": {"psd": ok_l, "min_pivot": None if mp_l is None else _qstr(mp_l), "inertia": inert_l,
                  "min_pivot_float": None if mp_l is None else float(_F(mp_l))},
        "complement_scale_in_band": t_ok if complement else None,
        "method": meth,
    }


def _hessian_check(hess, C, mu_s, X, tq, complement, fl):
    """(ii) exactly: C^T ∇²f C - μ C^T C ⪰ 0 (and the complement block of a lift)."""
    CtC = C.transpose() * C
    Mh = C.transpose() * hess * C - CtC * mu_s
    ok, meth, inertia, mp, w, val = _psd(Mh, fl)
    block_ok, block = True, None
    if complement:
        r = X.ncols()
        Bm = (X.transpose() * X) * (tq * 4) - _eye(r, fl, mu_s)
        block_ok, _, _, bmp, bw, bval = _psd(Bm, fl)
        block = {"psd": block_ok, "min_pivot": None if bmp is None else _qstr(bmp), "witness": bw, "value": bval, "matrix": Bm}
    return ok and block_ok, {"ok": ok, "method": meth, "inertia": inertia, "min_pivot": mp, "witness": w, "value": val,
                             "matrix": Mh, "CtC": CtC, "block": block}


@dataclass
class _Tried:
    """One exact check with the candidate value that decided it: the first candidate that passed,
    else the last one tried.  ``value``: δ for the band, μ (certificate's scale) for the Hessian."""

    ok: bool
    value: Fraction
    relaxed: bool
    info: dict


@dataclass
class _Attempt:
    """The four checks on one candidate operator ``H`` (projected onto the first-order constraints)."""

    deriv: _Deriv  # f, ∇f / 2 and ∇²f at H
    grad_zero: bool  # (i)
    band: _Tried | None  # (iii)
    hs: float  # the Hessian's scale on the rotation complement (largest |eigenvalue|, floats, scaled instance)
    hess: _Tried | None  # (ii)

    @property
    def f(self):
        """``f(X_q) = e^T H e`` (iv: must be > 0)."""
        return self.deriv.f

    def failures(self) -> list[str]:
        """The names of the checks that fail, in the report's order."""
        out = []
        if not self.grad_zero:
            out.append("first_order")
        if not self.band.ok:
            out.append("isometry")
        if not self.hess.ok:
            out.append("second_order")
        if not self.f > 0:
            out.append("spurious")
        return out
