"""Exact verification of **every claim** in a certificate file — part of the trusted checker.

A certificate file is a set of claims.  ``certify verify FILE --exact`` exits 0 ("proved") only
when every numeric claim in it is proved in exact rational arithmetic; a claim that is not proved
makes the outcome "undecided" (exit 4) or, when it is shown false, "disproved" (exit 1).

The claims and how each one is decided (all on the rational instance ``(X_q, M*_q)`` that
:func:`~certify.check.exact.operator_proof.verify_exact` builds next to the file's floats, scaled by ``c``):

``delta``
    ``δ(X, Z) <= delta``: ``X`` is a spurious second-order critical point of a δ-RIP operator
    (the stored one, projected exactly); :func:`~certify.check.exact.operator_proof.verify_exact`.
``hess_min`` (curvature certificates)
    the same operator's Hessian is ``⪰ hess_min`` on the rotation complement (a strict minimum).
``delta_lower``, ``dual.delta_lower``
    ``δ(X, Z) >= delta_lower``, by weak duality from the stored dual point ``(y, V)``:
    :func:`dual_lower_bound_exact`.  ``V`` is replaced by a rational matrix ``⪰ 0`` (checked by
    exact ``LDL^T``), the dual point is carried to the coordinates of the rational instance by a
    congruence (which keeps ``V ⪰ 0`` exactly, whatever the rounding), and the bound
    ``tr G / (tr P + tr N)`` is evaluated exactly for a rational split ``G = P - N`` with
    ``P, N ⪰ 0`` checked exactly (``tr P + tr N >= ||G||_*``, so this is never above the true
    dual bound ``tr G / ||G||_*``).  A claim above a *proved upper* bound is disproved.
``formulation.mu``, ``formulation.mu_upper`` (curvature certificates)
    ``μ*(X, Z, δ_target, 0) >= mu`` — from the ``hess_min`` proof, converted to the curvature
    SDP's normalization ``||ZZ^T||_F = 1`` with the operator not rescaled — and
    ``μ*(X, Z, δ_target, 0) <= mu_upper`` from the stored curvature dual point
    (``formulation.curvature_dual``: ``P``, ``scale``, ``y``, ``V``) by
    :func:`curvature_upper_bound_exact`.  Irrational normalizations (``||M*||_F``) are compared
    by squaring both sides.
records
    ``validations`` (SGD experiments), ``verification`` and ``exact`` (stored reports, recomputed
    by the verifiers), ``solver`` (provenance): "not a proof claim".

Every relaxation is stated in the claim's entry: δ upwards and lower bounds/μ downwards by at most
``2 rtol`` (relative, ``rtol = 1e-9`` by default), as in :mod:`~certify.check.exact.operator_proof`.  NumPy is used only
to propose (eigen-decompositions, roundings); each proposal is checked exactly.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np

from ...errors import InputError
from .algebraic import embedded_claims
from .derivatives import _jacobian, _rotation_complement
from .operator_proof import DISPROOF_RTOL, verify_exact
from .psd import _psd
from .rational import _F, _Q, _eye, _float, _from_flat, _grid, _qstr, _to_np, _vec, flint, simplest_between
from .report import ExactReport

__all__ = ["verify_certificate_exact", "dual_lower_bound_exact", "curvature_upper_bound_exact", "VERDICTS"]

VERDICTS = ("proved", "disproved", "undecided", "not a proof claim")
#: tries of the εI shift that makes a rounded PSD proposal exactly PSD (ε grows ×64 each time)
_SHIFT_TRIES = 4


# ---------------------------------------------------------------------------------------------
# exact building blocks
# ---------------------------------------------------------------------------------------------
def _rational_psd(A, fl):
    """A rational matrix ``⪰ 0`` (checked exactly) near the float symmetric ``A``: eigenvalues
    clipped at 0, entries on the dyadic grid, plus ``εI`` with ``ε`` a few rounding errors.
    Returns ``(matrix, ε)`` or ``(None, reason)``."""
    A = np.asarray(A, dtype=float)
    N = A.shape[0]
    with np.errstate(all="ignore"):
        if not np.all(np.isfinite(A)):
            return None, "non-finite entries"
        lam, U = np.linalg.eigh(0.5 * (A + A.T))
        Ap = (U * np.clip(lam, 0.0, None)) @ U.T
        Ap = 0.5 * (Ap + Ap.T)
        nrm = float(np.linalg.norm(Ap))
    if not math.isfinite(nrm):
        return None, "the matrix overflows"
    if nrm == 0.0:
        return fl.fmpq_mat(N, N), Fraction(0)
    base = _from_flat(_grid(Ap.ravel()), N, N, fl)
    base = (base + base.transpose()) * fl.fmpq(1, 2)
    eps = _grid([8.0 * N * 2.0**-52 * nrm])[0]
    for _ in range(_SHIFT_TRIES):
        M = base + _eye(N, fl, _Q(eps, fl))
        if _psd(M, fl)[0]:
            return M, eps
        eps *= 64
    return None, "the rounded matrix is not PSD even after a shift"


def _nuclear_upper(G, fl):
    """``tr P + tr N >= ||G||_*`` for a rational split ``G = P - N``, ``P, N ⪰ 0`` (checked
    exactly); ``(bound, None)`` or ``(None, reason)``."""
    Gf = _to_np(G)
    with np.errstate(all="ignore"):
        lam, U = np.linalg.eigh(Gf)
    Pf = (U * np.clip(lam, 0.0, None)) @ U.T
    P, eps_or_reason = _rational_psd(Pf, fl)
    if P is None:
        return None, f"no exact split G = P - N: {eps_or_reason}"
    N = P - G
    for _ in range(_SHIFT_TRIES):
        if _psd(N, fl)[0]:
            return _F(_trace(P) + _trace(N)), None
        k = G.nrows()
        bump = _Q(_grid([max(float(np.abs(Gf).max()), 1e-300) * k * 2.0**-40])[0], fl)
        P = P + _eye(k, fl, bump)
        N = N + _eye(k, fl, bump)
    return None, "no exact split G = P - N with P, N PSD was found"


def _trace(M):
    """``tr M``, exactly."""
    s = 0
    for i in range(M.nrows()):
        s += M[i, i]
    return s


def _hessian_adjoint(X, M, y, V, fl):
    """``S(y) + K(V)`` on the instance ``(X, M)`` in vec coordinates (``n^2 x n^2``):
    ``S(y) = sym(𝐗 y e^T)`` and ``K(V) = w e^T + e w^T + 𝐗 V 𝐗^T``, ``w = vec(sym Σ_k V_kk)``;
    ``<H, S(y)> = <y, 𝐗^T H e>`` and ``<H, K(V)> = <V, ½ ∇²f>`` (see :mod:`certify.check.duality`)."""
    n, r = X.nrows(), X.ncols()
    e = _vec(X * X.transpose() - M, fl)
    J = _jacobian(X, fl)
    W = fl.fmpq_mat(n, n)
    for k in range(r):
        for i in range(n):
            for j in range(n):
                W[i, j] += V[k * n + i, k * n + j]
    w = _vec((W + W.transpose()) * fl.fmpq(1, 2), fl)
    Jy = J * y
    half = fl.fmpq(1, 2)
    S = (Jy * e.transpose() + e * Jy.transpose()) * half
    K = w * e.transpose() + e * w.transpose() + J * V * J.transpose()
    return S + K


def dual_lower_bound_exact(X, M, y, V, fl=None):
    """The exact lower bound on ``δ`` of the instance ``(X, M)`` certified by any ``y`` and any
    ``V ⪰ 0`` (``V`` is *assumed* PSD: the caller proves it), ``(bound, reason)``.

    JMLR19 eq. (24) in the form of :mod:`certify.check.duality`: ``G = -(S(y) + K(V))`` and, for any
    split ``G = P - N`` with ``P, N ⪰ 0``, ``U1 = P / (tr P + tr N)``, ``U2 = N / (tr P + tr N)`` is
    dual feasible with value ``tr G / (tr P + tr N)``.  ``X``, ``M``: fmpq_mat; ``y``: fmpq column.
    """
    fl = fl or flint()
    G = _hessian_adjoint(X, M, y, V, fl) * (-1)
    den, why = _nuclear_upper(G, fl)
    if den is None:
        return None, why
    if den == 0:
        return None, "G = 0: the dual point certifies nothing"
    return _F(_trace(G)) / den, None


def curvature_upper_bound_exact(X, M, y, V, delta, fl=None):
    """An exact upper bound on ``μ*(X, M, δ, 0)`` (curvature SDP with ``∇f = 0``; μ in the
    convention ``C^T ∇²f C ⪰ μ C^T C`` on the rotation complement), certified by any ``y`` and any
    ``V ⪰ 0`` whose range lies in the rotation complement (the caller builds ``V = C W C^T``).

    For every feasible ``H``: ``μ tr V <= <V, ∇²f> = 2 <H, K(V)> = 2 <H, G> <= 2 (tr G + δ ||G||_*)``
    with ``G = S(y) + K(V)`` (``<H, S(y)> = <y, 𝐗^T H e> = 0``), so ``μ <= 2 (tr G + δ (tr P + tr N)) / tr V``.
    Returns ``(bound, reason)``.
    """
    fl = fl or flint()
    trV = _F(_trace(V))
    if trV <= 0:
        return None, "V = 0"
    G = _hessian_adjoint(X, M, y, V, fl)
    den, why = _nuclear_upper(G, fl)
    if den is None:
        return None, why
    return 2 * (_F(_trace(G)) + Fraction(delta) * den) / trV, None


# ---------------------------------------------------------------------------------------------
# carrying a stored dual point to the rational instance
# ---------------------------------------------------------------------------------------------
def _carry(inst, P, scale, y, r, fl):
    """The congruence ``L = I_r ⊗ T`` (``T = Q^T P``: the dual's basis in the instance's
    coordinates) as an exact matrix, and ``y`` carried over, scaled by ``scale / c`` (the dual was
    computed for ``scale · P^T X``, the instance is ``c · Q^T X``; the bound is invariant under
    ``(X, y, V) -> (λX, λ y, V)``).  ``(L, y)`` or ``(None, reason)``."""
    P = np.asarray(P, dtype=float)
    Q = inst["Q"]
    if Q is not None and Q.shape[0] != P.shape[0]:
        return None, f"the dual's basis P has {P.shape[0]} rows, the instance {Q.shape[0]}"
    if Q is None and P.shape[0] != inst["n"]:
        return None, f"the dual's basis P has {P.shape[0]} rows, the instance {inst['n']}"
    with np.errstate(all="ignore"):
        T = P if Q is None else Q.T @ P
        L = np.kron(np.eye(r), T)
        # the instance is c 2^k Q^T X (normalized by 2^k, then scaled by c; see verify_exact)
        try:
            lam = math.ldexp(float(scale) / float(_F(inst["c"])), -int(inst.get("k", 0)))
        except OverflowError:
            lam = math.inf
        yl = lam * (L @ np.asarray(y, dtype=float).reshape(-1))
    if not (np.all(np.isfinite(L)) and np.all(np.isfinite(yl))):
        return None, "the dual point overflows when carried to the instance (scale or y too large)"
    Lq = _from_flat(_grid(L.ravel()), L.shape[0], L.shape[1], fl)
    yq = _from_flat(_grid(yl), yl.size, 1, fl)
    return (Lq, yq), None


def _claim(name, statement, claimed, verdict, detail, **extra) -> dict:
    """One entry of the report's ``claims`` (``verdict`` one of ``VERDICTS``)."""
    assert verdict in VERDICTS
    return {"claim": name, "statement": statement, "claimed": claimed, "verdict": verdict, "detail": detail, **extra}


def _rel(x) -> Fraction:
    """``max(1, |x|)``: the scale of a relative relaxation."""
    return Fraction(max(1.0, abs(float(x))))


# ---------------------------------------------------------------------------------------------
# the stages, one per claim
# ---------------------------------------------------------------------------------------------
def _stage_upper(cert, domain, rtol, max_den, repair):
    """``delta`` (and ``hess_min``): the operator proof of :func:`~certify.check.exact.operator_proof.verify_exact`."""
    hess_min = (cert.formulation or {}).get("hess_min") if isinstance(cert.formulation, dict) else None
    report = verify_exact(cert.operator, cert.X, cert.Z, cert.delta, mu=hess_min, domain=domain, rtol=rtol,
                          max_den=max_den, repair=repair)
    delta_report = report
    if hess_min is not None and report.outcome != "proved":
        delta_report = verify_exact(cert.operator, cert.X, cert.Z, cert.delta, domain=domain, rtol=rtol,
                                    max_den=max_den, repair=repair)
    d = delta_report.delta or {}
    claims = [_claim("delta", "delta(X, Z) <= delta: X is a spurious second-order critical point of a delta-RIP "
                     "operator (the stored operator, projected exactly)", cert.delta, delta_report.outcome,
                     delta_report.reason, proved_value=d.get("exact") if delta_report.proved else None,
                     relaxed=d.get("relaxed"))]
    if hess_min is not None:
        m = report.mu or {}
        claims.append(_claim("hess_min", "the Hessian of f at X (operator scaled by t) is >= hess_min on the rotation "
                             "complement: a strict local minimum", hess_min, report.outcome, report.reason,
                             proved_value=m.get("exact") if report.proved else None, relaxed=m.get("relaxed")))
    upper = delta_report.proof["delta"] if delta_report.proved and delta_report.proof else None
    return report, claims, upper


def _stage_lower(cert, inst, upper, rtol, fl):
    """``delta_lower`` and ``dual.delta_lower``: weak duality with the stored dual point."""
    claimed = [("delta_lower", cert.delta_lower)]
    if cert.dual is not None:
        claimed.append(("dual.delta_lower", cert.dual.delta_lower))
    claimed = [(k, v) for k, v in claimed if v is not None]
    if not claimed:
        return [], None
    statement = "delta(X, Z) >= {}: weak duality with the stored dual point (y, V)"
    if cert.dual is None:
        return [_claim(k, statement.format(k), v, "undecided", "no dual point in the file backs this lower bound")
                for k, v in claimed], None
    bound, why = _dual_bound_of_file(cert, inst, fl)
    out = []
    for k, v in claimed:
        out.append(_lower_verdict(k, statement.format(k), v, bound, why, upper, rtol))
    return out, bound


def _dual_bound_of_file(cert, inst, fl):
    """The exact lower bound the file's dual point gives on the rational instance."""
    if inst is None:
        return None, "no rational instance was built (the operator proof stopped before it)"
    dual = cert.dual
    r = cert.r
    carried, why = _carry(inst, dual.P, dual.scale, dual.y, r, fl)
    if carried is None:
        return None, why
    L, yq = carried
    Vq, why = _rational_psd(np.asarray(dual.V, dtype=float), fl)
    if Vq is None:
        return None, f"V: {why}"
    Vp = L * Vq * L.transpose()  # ⪰ 0 by congruence, exactly
    best, reasons = None, []
    for sgn in (1, -1):  # solvers differ in the sign convention of y; the bound holds for every y
        b, why = dual_lower_bound_exact(inst["X"], inst["M"], yq * sgn, Vp, fl)
        if b is None:
            reasons.append(why)
        elif best is None or b > best:
            best = b
    return (best, None) if best is not None else (None, "; ".join(reasons))


def _lower_verdict(name, statement, claimed, bound, why, upper, rtol):
    """The verdict on one claimed lower bound on δ, given the exact dual ``bound`` (or why there is
    none) and the proved ``upper`` bound (or None)."""
    if not isinstance(claimed, (int, float)) or not math.isfinite(claimed):
        verdict = "disproved" if upper is not None and claimed == math.inf else "undecided"
        return _claim(name, statement, claimed, verdict, f"the claimed value {claimed!r} is not a finite number"
                      + (f" (delta(X, Z) <= {_qstr(upper, 60)} is proved)" if verdict == "disproved" else ""))
    cl = Fraction(float(claimed))
    slack = Fraction(rtol) * _rel(claimed)
    if cl <= 0:
        return _claim(name, statement, claimed, "proved", "delta >= 0 holds for every instance",
                      proved_value="0", relaxed=False)
    if bound is not None and bound >= cl - 2 * slack:
        relaxed = bound < cl
        lo = cl if not relaxed else simplest_between(max(bound - slack, Fraction(0)), bound)
        return _claim(name, statement, claimed, "proved",
                      f"exact dual bound {_qstr(bound, 60)} >= claimed {claimed!r}"
                      + (f" - {float(cl - bound):.2g} (relaxation <= 2 rtol)" if relaxed else ""),
                      proved_value=_qstr(lo), proved_float=_float(lo), exact_bound=_qstr(bound), relaxed=relaxed)
    if upper is not None and cl > upper + Fraction(DISPROOF_RTOL) * _rel(claimed):
        return _claim(name, statement, claimed, "disproved",
                      f"the claim exceeds the proved upper bound delta(X, Z) <= {_qstr(upper, 60)}",
                      exact_bound=None if bound is None else _qstr(bound))
    detail = (f"the exact dual bound is {_float(bound):.12g} < claimed {claimed!r} by {float(cl - bound):.3g}"
              if bound is not None else f"no exact dual bound: {why}")
    return _claim(name, statement, claimed, "undecided", detail, exact_bound=None if bound is None else _qstr(bound))


def _curvature_fields(cert):
    """``formulation`` of a curvature certificate, else None."""
    f = cert.formulation if isinstance(cert.formulation, dict) else {}
    if f.get("problem") != "curvature":
        return None
    return f


def _frob2(M) -> Fraction:
    """``||M||_F^2`` as a Fraction."""
    s = 0
    for x in M.entries():
        s += x * x
    return _F(s)


def _stage_mu(cert, report, inst, rtol):
    """``formulation.mu``: μ* >= mu, from the hess_min proof, in the curvature normalization."""
    f = _curvature_fields(cert)
    if f is None or f.get("mu") is None:
        return []
    mu = f["mu"]
    stmt = "mu*(X, Z, delta_target, 0) >= mu (normalized ||ZZ^T||_F = 1, operator not rescaled)"
    if not report.proved or not report.proof or inst is None:
        return [_claim("formulation.mu", stmt, mu, "undecided" if report.outcome != "disproved" else "disproved",
                       "follows from the hess_min proof, which did not succeed: " + report.reason)]
    # proved: Hess(t H_q) >= mu_s C^T C at the rational instance (X_q, M_q); the curvature SDP's
    # normalized μ = hess / (t ||M||_F) is scale-free, so compare in the instance's own scale
    pf = report.proof
    t, muq = pf["t"], pf["mu_scaled"]
    m2 = _frob2(inst["M"])  # ||M_q||_F^2
    target = Fraction(float(mu))
    if target <= 0:
        return [_claim("formulation.mu", stmt, mu, "proved", "mu <= 0 and the operator's curvature is >= 0",
                       proved_value=_qstr(muq), relaxed=False)]
    # proved normalized curvature mu_n = muq / (t ||M||):  mu <= mu_n  <=>  (mu t)^2 ||M||^2 <= muq^2
    ok = muq > 0 and (target * t) ** 2 * m2 <= muq**2
    # the same relative relaxation as the hess_min claim got (mu and hess_min are one quantity in two scales)
    hm = Fraction(float(cert.formulation["hess_min"])) if cert.formulation.get("hess_min") else pf["mu"]
    rel = max(Fraction(0), (hm - pf["mu"]) / hm) + 2 * Fraction(rtol) if hm > 0 else 2 * Fraction(rtol)
    relaxed_target = target * (1 - rel)
    ok_relaxed = muq > 0 and (relaxed_target * t) ** 2 * m2 <= muq**2
    dq = report.delta or {}
    note = (f"at delta = {dq.get('exact')} (the relaxed band of the delta proof; delta_target = {f.get('delta_target')!r})"
            f" with the operator scaled by t = {_qstr(t, 60)}")
    if ok or ok_relaxed:
        return [_claim("formulation.mu", stmt, mu, "proved", "the hess_min proof gives it " + note,
                       relaxed=not ok, proved_float=_float(muq) / (float(t) * math.sqrt(float(m2))))]
    return [_claim("formulation.mu", stmt, mu, "undecided",
                   f"the proved curvature {_float(muq) / (float(t) * math.sqrt(float(m2))):.12g} is below mu")]


def _stage_mu_upper(cert, inst, rtol, fl):
    """``formulation.mu_upper``: μ* <= mu_upper from the stored curvature dual point."""
    f = _curvature_fields(cert)
    if f is None or f.get("mu_upper") is None:
        return []
    mu_up = f["mu_upper"]
    stmt = "mu*(X, Z, delta_target, 0) <= mu_upper: weak duality with the stored curvature dual point (y, V)"
    cd = f.get("curvature_dual")
    if not isinstance(cd, dict):
        return [_claim("formulation.mu_upper", stmt, mu_up, "undecided",
                       "the file carries no curvature dual point (formulation.curvature_dual) to back mu_upper")]
    if float(f.get("grad_tol") or 0.0) != 0.0:
        return [_claim("formulation.mu_upper", stmt, mu_up, "undecided", "exact mu_upper is checked for grad_tol = 0 only")]
    if inst is None:
        return [_claim("formulation.mu_upper", stmt, mu_up, "undecided", "no rational instance was built")]
    bound, why = _curvature_bound_of_file(cert, cd, inst, float(f["delta_target"]), fl)
    if bound is None:
        return [_claim("formulation.mu_upper", stmt, mu_up, "undecided", f"no exact bound: {why}")]
    # bound B on μ* of the instance (X_q, M_q) (scaled by c); normalized μ = μ / ||M_q||_F
    m2 = _frob2(inst["M"])
    U = Fraction(float(mu_up))
    Ur = U + 2 * Fraction(rtol) * _rel(mu_up)

    def below(B, u):  # B <= u ||M_q||_F, exactly
        if u >= 0:
            return B <= 0 or B * B <= u * u * m2
        return B < 0 and B * B >= u * u * m2

    norm_bound = _float(bound) / math.sqrt(float(m2))
    if below(bound, U) or below(bound, Ur):
        return [_claim("formulation.mu_upper", stmt, mu_up, "proved",
                       f"exact dual bound mu* <= {norm_bound:.12g} (normalized) at delta_target",
                       relaxed=not below(bound, U), proved_float=norm_bound)]
    return [_claim("formulation.mu_upper", stmt, mu_up, "undecided",
                   f"the exact dual bound {norm_bound:.12g} is above mu_upper")]


def _curvature_bound_of_file(cert, cd, inst, delta, fl):
    """The exact upper bound on μ* that the stored curvature dual point ``cd`` gives on the rational
    instance (``V`` carried over and restricted to the rotation complement, exactly PSD)."""
    try:
        P = np.asarray(cd["P"], dtype=float)
        y = np.asarray(cd["y"], dtype=float).reshape(-1)
        V = np.asarray(cd["V"], dtype=float)
        scale = float(cd["scale"])
    except (KeyError, TypeError, ValueError) as exc:
        return None, f"malformed curvature_dual ({exc})"
    carried, why = _carry(inst, P, scale, y, cert.r, fl)
    if carried is None:
        return None, why
    L, yq = carried
    Lf = _to_np(L)
    with np.errstate(all="ignore"):
        Vl = Lf @ V @ Lf.T
    C = _rotation_complement(inst["X"], fl)
    Cf = _to_np(C)
    with np.errstate(all="ignore"):
        Cp = np.linalg.pinv(Cf)
        Wf = Cp @ Vl @ Cp.T
    Wq, why = _rational_psd(Wf, fl)
    if Wq is None:
        return None, f"V: {why}"
    Vq = C * Wq * C.transpose()  # ⪰ 0 with range in the rotation complement, exactly
    best = None
    for sgn in (1, -1):
        b, why = curvature_upper_bound_exact(inst["X"], inst["M"], yq * sgn, Vq, Fraction(delta), fl)
        if b is not None and (best is None or b < best):
            best = b
    return (best, None) if best is not None else (None, why)


def _records(cert) -> list:
    """The entries that are "not a proof claim": records and provenance."""
    out = []
    if cert.validations:
        out.append(_claim("validations", "SGD experiments from perturbed starts", f"{len(cert.validations)} record(s)",
                          "not a proof claim", "empirical evidence; rerun with 'certify validate'"))
    for key, what in (("verification", "the stored float verification report"), ("exact", "the stored exact report")):
        if getattr(cert, key, None):
            out.append(_claim(key, what, "stored report", "not a proof claim", "a record; recomputed, never trusted"))
    if cert.solver:
        out.append(_claim("solver", "solver, settings, status, claimed objective", "provenance", "not a proof claim",
                          "provenance only; every number is recomputed from the operator and the dual point"))
    return out


def _combine(claims) -> tuple[str, str]:
    """``(outcome, reason)`` of a list of claims: disproved if any is, proved if all are."""
    proof = [c for c in claims if c["verdict"] != "not a proof claim"]
    bad = [c for c in proof if c["verdict"] == "disproved"]
    open_ = [c for c in proof if c["verdict"] == "undecided"]
    if bad:
        return "disproved", "; ".join(f"{c['claim']} disproved: {c['detail']}" for c in bad)
    if open_:
        return "undecided", "; ".join(f"{c['claim']} not proved: {c['detail']}" for c in open_)
    return "proved", f"all {len(proof)} claim(s) proved: " + ", ".join(c["claim"] for c in proof)


#: float failures while *proposing* (eigenvectors, roundings of absurd numbers): they can only
#: prevent a proof, never make one, so they turn the claim into "undecided" with the reason
_NUMERIC = (OverflowError, ZeroDivisionError, FloatingPointError, np.linalg.LinAlgError)


def _guarded(stage, on_error):
    """``stage()``, or ``on_error(reason)`` when a float proposal fails (``_NUMERIC``)."""
    try:
        return stage()
    except _NUMERIC as exc:
        return on_error(f"the numbers leave the double range while proposing ({type(exc).__name__}: {exc})")


#: the float verifier's check that each claimed *value* is the one its data certifies
_VALUE_CHECKS = {"delta_matches": "delta", "delta_lower_matches": "delta_lower",
                 "dual_delta_lower_matches": "dual.delta_lower", "curvature_claim": "hess_min",
                 "mu_claim": "formulation.mu", "mu_upper_matches": "formulation.mu_upper"}


def _check_values(cert, claims, domain) -> None:
    """A file's numbers are the values its data certify, not just bounds: a claim proved as a bound
    whose value the float recomputation does not reproduce (to the float verifier's 1e-7) is not
    proved *as stated* — "undecided", with both numbers (e.g. ``delta_lower`` lowered to 0.49 is a
    true bound, but not what the dual point certifies)."""
    from ..format import verify as float_verify  # noqa: PLC0415 - the float verifier, no solver

    form = cert.formulation if isinstance(cert.formulation, dict) else {}
    try:
        rep = float_verify(cert.operator, cert.X, cert.Z, delta=cert.delta, dual=cert.dual, delta_lower=cert.delta_lower,
                           domain=domain, claimed_hess_min=form.get("hess_min"),
                           curvature=form if form.get("problem") == "curvature" else None)
    except (InputError, *_NUMERIC) as exc:
        for c in claims:
            if c["verdict"] == "proved":
                c.update(verdict="undecided", detail=f"{c['detail']}; the float recomputation of the values failed ({exc})")
        return
    by_name = {c["claim"]: c for c in claims}
    for check, name in _VALUE_CHECKS.items():
        res, c = rep.checks.get(check), by_name.get(name)
        if res is not None and c is not None and not res["passed"] and c["verdict"] == "proved":
            c.update(verdict="undecided", detail=f"proved as a bound, but the claimed value is not the certified one "
                     f"(float recomputation: {res['detail']}, value {res['value']!r}, tolerance {res['tolerance']!r})")
    # any other rejection by the float verifier (a dual basis that is not orthonormal, a tolerance):
    # the two verifiers disagree, so nothing is reported as proved without saying so
    others = [k for k, r in rep.checks.items() if not r["passed"] and k not in _VALUE_CHECKS]
    if others and any(c["verdict"] == "proved" for c in claims):
        claims.append(_claim("float_agreement", "the float verifier accepts the file", "VALID", "undecided",
                             "the float verifier rejects it: " + "; ".join(f"{k}: {rep.checks[k]['detail']}" for k in others)))


def verify_certificate_exact(cert, *, domain: str = "all", rtol: float = 1e-9, max_den: int = 10**6,
                             repair: bool = True) -> ExactReport:
    """Decide every claim of ``cert`` (a :class:`~certify.check.format.Certificate`) exactly; the
    returned :class:`~certify.check.exact.report.ExactReport` lists them in ``claims`` and its ``outcome`` is
    ``"proved"`` only when every proof claim is proved (module docstring)."""
    from ..format import Certificate  # noqa: PLC0415 - the format, no solver

    if not isinstance(cert, Certificate):
        raise InputError(f"cert: expected a Certificate, got {type(cert).__name__}")
    fl = flint()
    t0 = time.perf_counter()
    try:
        report, claims, upper = _stage_upper(cert, domain, rtol, max_den, repair)
    except _NUMERIC as exc:
        return ExactReport("undecided", f"the certificate's numbers leave the double range ({type(exc).__name__}: "
                           f"{exc}); nothing can be proved from them", seconds=time.perf_counter() - t0)
    inst = report.instance_q
    lower_claims, lower = _guarded(lambda: _stage_lower(cert, inst, upper, rtol, fl),
                                   lambda why: ([_claim("delta_lower", "delta(X, Z) >= delta_lower", cert.delta_lower,
                                                        "undecided", why)], None) if cert.delta_lower is not None
                                   else ([], None))
    claims += lower_claims
    claims += _stage_mu(cert, report, inst, rtol)
    claims += _guarded(lambda: _stage_mu_upper(cert, inst, rtol, fl),
                       lambda why: [_claim("formulation.mu_upper", "mu* <= mu_upper", None, "undecided", why)])
    claims += embedded_claims(cert)  # formulation.algebraic: exact claims over Q(sqrt(m)) (exact/algebraic.py)
    _check_values(cert, claims, domain)
    claims += _records(cert)
    report.claims = claims
    report.seconds = time.perf_counter() - t0
    if lower is not None:
        lower = simplest_between(max(lower - Fraction(1, 10**12) * _rel(_float(lower)), Fraction(0)), max(lower, Fraction(0)))
        report.delta_lower = {"exact": _qstr(lower), "float": _float(lower),
                              "claimed": cert.delta_lower, "scope": "the rational instance of the proof"}
    upper_outcome = report.outcome
    report.outcome, summary = _combine(claims)
    if report.outcome != upper_outcome or len([c for c in claims if c["verdict"] != "not a proof claim"]) > 1:
        report.reason = summary if report.outcome != "proved" else f"{summary}. {report.reason}"
    return report
