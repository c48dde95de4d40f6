"""Exact verification of a curvature-SDP result file's claims — part of the trusted checker.

The claims (:mod:`certify.check.curvature`, instance normalized to ``||ZZ^T||_F = 1``) are decided on a
rational instance ``(X_q, M_q)`` next to the reduced, normalized floats (``M_q = Z_q Z_q^T``; its
norm is not exactly 1, so every normalized figure is compared by squaring:
``μ_norm = μ_q / ||M_q||``, ``||∇f_norm|| = ||∇f_q|| / ||M_q||^{3/2}``):

``infeasible`` / ``min_grad_lower`` (Farkas)
    for any ``y ≠ 0`` and every ``H`` in the δ-band: ``||y|| ||𝐗^T H e|| >= -<H, S(y)>
    >= -(tr S + δ (tr P + tr N)) =: B`` for an exact split ``S(y) = P - N``; so ``||∇f_q|| >= 2B / ||y||``.
``mu_upper``
    :func:`certify.check.exact.claims.curvature_upper_bound_exact`, with the gradient term ``g ||y||``
    bounded above by an exact rational square root when ``g > 0``.
``mu``
    the stored operator (not rescaled), rounded to rationals and — for ``g = 0`` — projected exactly
    onto ``𝐗^T H e = 0``: band ``(1 - δ') I ⪯ H ⪯ (1 + δ') I`` with ``δ'`` the claimed δ (or at most
    ``2 rtol`` above it), gradient ``<= g`` and ``C^T ∇²f C - μ' C^T C ⪰ 0`` with ``μ'`` at most
    ``2 rtol · h`` below the claim (``h`` the Hessian's scale), all exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ...linalg import normalize_pair
from .claims import (
    _carry,
    _claim,
    _combine,
    _frob2,
    _hessian_adjoint,
    _nuclear_upper,
    _rational_psd,
    _trace,
    curvature_upper_bound_exact,
)
from .conditions import _band, _hessian_check
from .derivatives import _derivs, _project_first_order, _rotation_complement
from .rational import _F, _Q, _float, _from_flat, _grid, _qstr, _to_np, flint, simplest_between
from .report import ExactReport

__all__ = ["verify_curvature_exact", "sqrt_up", "sqrt_down"]

_SQRT_BITS = 80


def sqrt_up(q: Fraction) -> Fraction:
    """A rational ``r >= sqrt(q)`` within ``2^-80`` relative (``q >= 0``), by integer square roots."""
    q = Fraction(q)
    if q <= 0:
        return Fraction(0)
    b = _SQRT_BITS + max(0, (q.denominator.bit_length() - q.numerator.bit_length()) // 2 + 1)
    num = -((-q.numerator << (2 * b)) // q.denominator)  # ceil(q 4^b)
    return Fraction(math.isqrt(num) + 1, 1 << b)


def sqrt_down(q: Fraction) -> Fraction:
    """A rational ``r <= sqrt(q)`` within ``2^-80`` relative (``q >= 0``)."""
    q = Fraction(q)
    if q <= 0:
        return Fraction(0)
    b = _SQRT_BITS + max(0, (q.denominator.bit_length() - q.numerator.bit_length()) // 2 + 1)
    return Fraction(math.isqrt((q.numerator << (2 * b)) // q.denominator), 1 << b)


def _instance(cf, fl):
    """The rational instance: reduced to ``Q`` (the operator's basis, else the dual's), normalized
    by ``2^k`` and ``s = 1 / sqrt(||Z_n Z_n^T||)`` so that ``||M_q|| ≈ 1``."""
    pair = normalize_pair(cf.X, cf.Z)
    if cf.operator is not None:
        Hr, Xr, Zr, Q = cf.operator.reduce(pair.Xn, pair.Zn)
    else:
        Q, _, _, _, _ = cf.dual_data()
        Hr, Xr, Zr = None, Q.T @ pair.Xn, Q.T @ pair.Zn
    s = 1.0 / math.sqrt(float(np.linalg.norm(Zr.T @ Zr)))
    d, r, rs = Xr.shape[0], Xr.shape[1], Zr.shape[1]
    Xq = _from_flat(_grid((s * Xr).ravel()), d, r, fl)
    Zq = _from_flat(_grid((s * Zr).ravel()), d, rs, fl)
    return {"X": Xq, "M": Zq * Zq.transpose(), "Q": Q, "n": cf.X.shape[0], "c": _Q(Fraction(s), fl),
            "k": pair.exponent, "H": Hr}


def _farkas(cf, inst, rtol, fl):
    """``infeasible`` (and ``min_grad_lower``) from the Farkas vector."""
    g = Fraction(cf.grad_tol)
    stmt = f"every delta-RIP operator has ||grad f(X)|| > grad_tol = {cf.grad_tol!r} (infeasible)"
    y = (cf.dual or {}).get("y")
    if y is None:
        return [_claim("infeasible", stmt, True, "undecided", "no Farkas vector y in the file")]
    P, s, _, _, _ = cf.dual_data()
    carried, why = _carry(inst, P, s, y, cf.X.shape[1], fl)
    if carried is None:
        return [_claim("infeasible", stmt, True, "undecided", why)]
    _, yq = carried
    m3 = _frob2(inst["M"]) ** 3  # ||M_q||^6 -> (||M_q||^{3/2})^2 = ||M_q||^3: squared below
    m3 = sqrt_up(m3)  # ||M_q||^3 (an upper bound: conservative for the > comparisons below)
    best = None
    for sgn in (1, -1):
        ys = yq * sgn
        S = _hessian_adjoint(inst["X"], inst["M"], ys, fl.fmpq_mat(ys.nrows(), ys.nrows()), fl)
        den, _ = _nuclear_upper(S, fl)
        if den is None:
            continue
        B = -(_F(_trace(S)) + Fraction(cf.delta) * den)
        y2 = _F((ys.transpose() * ys)[0, 0])
        if B > 0 and (best is None or B * B / y2 > best[0] * best[0] / best[1]):
            best = (B, y2)
    if best is None:
        return [_claim("infeasible", stmt, True, "undecided", "the Farkas vector certifies no positive gradient bound")]
    B, y2 = best
    bound_sq = 4 * B * B / (y2 * m3)  # (lower bound on ||grad f_norm||)^2
    approx = math.sqrt(_float(bound_sq))
    out = [_claim("infeasible", stmt, True, "proved" if bound_sq > g * g else "undecided",
                  f"exact Farkas bound: min ||grad f(X)|| >= {approx:.12g} (normalized)", proved_float=approx)]
    if cf.min_grad_lower is not None:
        m = Fraction(cf.min_grad_lower) * (1 - 2 * Fraction(rtol))
        out.append(_claim("min_grad_lower", "min over the band of ||grad f(X)|| >= min_grad_lower", cf.min_grad_lower,
                          "proved" if m <= 0 or bound_sq >= m * m else "undecided",
                          f"exact Farkas bound {approx:.12g}"))
    return out


def _mu_upper(cf, inst, rtol, fl):
    """``mu_upper``: weak duality with the stored dual point (plus the gradient term when ``g > 0``)."""
    stmt = "mu*(X, Z, delta, grad_tol) <= mu_upper for every delta-RIP operator (weak duality, stored dual point)"
    if cf.mu_upper is None:
        return []
    try:
        P, s, _, _, V = cf.dual_data()
    except Exception as exc:  # noqa: BLE001 - a malformed dual point proves nothing
        return [_claim("mu_upper", stmt, cf.mu_upper, "undecided", f"the dual point cannot be read ({exc})")]
    y = (cf.dual or {}).get("y")
    if V is None or y is None:
        return [_claim("mu_upper", stmt, cf.mu_upper, "undecided", "no dual point (y, V) in the file")]
    carried, why = _carry(inst, P, s, y, cf.X.shape[1], fl)
    if carried is None:
        return [_claim("mu_upper", stmt, cf.mu_upper, "undecided", why)]
    L, yq = carried
    Lf = _to_np(L)
    C = _rotation_complement(inst["X"], fl)
    Cf = _to_np(C)
    with np.errstate(all="ignore"):
        Cp = np.linalg.pinv(Cf)
        Wf = Cp @ (Lf @ V @ Lf.T) @ Cp.T
    Wq, why = _rational_psd(Wf, fl)
    if Wq is None:
        return [_claim("mu_upper", stmt, cf.mu_upper, "undecided", f"V: {why}")]
    Vq = C * Wq * C.transpose()
    m2 = _frob2(inst["M"])
    g = Fraction(cf.grad_tol)
    best = None
    for sgn in (1, -1):
        ys = yq * sgn
        extra = sqrt_up(_F((ys.transpose() * ys)[0, 0]) * g * g * sqrt_up(m2**3)) if g else Fraction(0)
        b, _ = curvature_upper_bound_exact(inst["X"], inst["M"], ys, Vq, Fraction(cf.delta), fl)
        if b is not None:
            b = b + extra / _F(_trace(Vq))
            best = b if best is None else min(best, b)
    if best is None:
        return [_claim("mu_upper", stmt, cf.mu_upper, "undecided", "no exact bound from the dual point")]
    U = Fraction(cf.mu_upper)
    Ur = U + 2 * Fraction(rtol) * Fraction(max(1.0, abs(cf.mu_upper)))

    def below(B, u):  # B <= u ||M_q||
        if u >= 0:
            return B <= 0 or B * B <= u * u * m2
        return B < 0 and B * B >= u * u * m2

    approx = _float(best) / math.sqrt(_float(m2))
    ok = below(best, U) or below(best, Ur)
    return [_claim("mu_upper", stmt, cf.mu_upper, "proved" if ok else "undecided",
                   f"exact dual bound mu* <= {approx:.12g} (normalized)", proved_float=approx,
                   relaxed=ok and not below(best, U))]


def _mu_lower(cf, inst, rtol, fl):
    """``mu``: the stored operator (projected exactly when ``g = 0``) is in the band, has a small
    enough gradient and curvature ``>= mu`` (relaxed by at most ``2 rtol``), all exactly."""
    stmt = "the stored operator is in the delta-band, has ||grad f(X)|| <= grad_tol and curvature >= mu (mu* >= mu)"
    if cf.mu is None:
        return []
    if cf.operator is None or inst["H"] is None:
        return [_claim("mu", stmt, cf.mu, "undecided", "no operator in the file")]
    Hf = 0.5 * (inst["H"] + inst["H"].T)
    N = Hf.shape[0]
    H = _from_flat(_grid(Hf.ravel()), N, N, fl)
    H = (H + H.transpose()) * fl.fmpq(1, 2)
    X, M = inst["X"], inst["M"]
    m2 = _frob2(M)
    g = Fraction(cf.grad_tol)
    d0 = _derivs(X, M, H, fl, hessian=False)
    if g == 0:
        H, _ = _project_first_order(H, d0, fl)
        if H is None:
            return [_claim("mu", stmt, cf.mu, "undecided", "the exact first-order projection failed")]
        grad_ok = True
    else:  # ||2 J^T H e||^2 <= g^2 (1 + rtol)^2 ||M_q||^3
        grad_ok = 4 * _frob2(d0.g) <= g * g * (1 + Fraction(rtol)) ** 2 * sqrt_down(m2**3)
    delta = Fraction(cf.delta)
    dr = simplest_between(delta + Fraction(rtol), delta + 2 * Fraction(rtol)) if delta + 2 * Fraction(rtol) < 1 else delta
    band_ok = any(_band(H, _Q(dq, fl), fl.fmpq(1), False, None, fl)[0] for dq in (delta, dr))
    d1 = _derivs(X, M, H, fl, hessian=True)
    C = _rotation_complement(X, fl)
    hf = _to_np(C.transpose() * d1.hess * C)
    h = max(1.0, float(np.max(np.abs(np.linalg.eigvalsh(0.5 * (hf + hf.T))))) if hf.size else 1.0)
    mu_r = Fraction(cf.mu) - 2 * Fraction(rtol) * Fraction(h)
    mu_s = mu_r * (sqrt_down(m2) if mu_r >= 0 else sqrt_up(m2))  # μ_q <= mu_r ||M_q||
    hess_ok = _hessian_check(d1.hess, C, _Q(mu_s, fl), X, fl.fmpq(1), False, fl)[0]
    ok = grad_ok and band_ok and hess_ok
    failed = [n for n, v in (("gradient", grad_ok), ("band", band_ok), ("curvature", hess_ok)) if not v]
    detail = ("gradient, band (delta relaxed by <= 2 rtol) and curvature (mu relaxed by <= 2 rtol h) hold exactly"
              if ok else f"fails exactly: {', '.join(failed)}")
    return [_claim("mu", stmt, cf.mu, "proved" if ok else "undecided", detail, relaxed_mu=_qstr(mu_r, 60))]


def verify_curvature_exact(cf, *, rtol: float = 1e-9) -> ExactReport:
    """Every claim of a :class:`~certify.check.curvature.CurvatureFile`, decided exactly."""
    import time  # noqa: PLC0415

    fl = flint()
    t0 = time.perf_counter()
    try:
        inst = _instance(cf, fl)
    except Exception as exc:  # noqa: BLE001 - a file whose instance cannot be formed proves nothing
        return ExactReport("undecided", f"no rational instance: {exc}", "curvature", seconds=time.perf_counter() - t0)
    if not cf.feasible:
        claims = _farkas(cf, inst, rtol, fl)
    else:
        claims = _mu_lower(cf, inst, rtol, fl) + _mu_upper(cf, inst, rtol, fl)
    if not claims:
        claims = [_claim("result", "a curvature result", None, "undecided", "the file makes no checkable claim")]
    frep = cf.verify()  # the two verifiers must agree before anything is reported as proved
    if not frep.ok and any(c["verdict"] == "proved" for c in claims):
        claims.append(_claim("float_agreement", "the float verifier accepts the file", "VALID", "undecided",
                             "the float verifier rejects it: " + "; ".join(frep.failures)))
    outcome, reason = _combine(claims)
    return ExactReport(outcome, reason, "curvature", claims=claims, seconds=time.perf_counter() - t0)
