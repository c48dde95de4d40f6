"""Disproof witnesses of the operator proof, evaluated exactly on **the certificate's own numbers**
(the binary values of its floats, original scale; the reduced instance of a compact operator).

Floats only *propose* a direction (an eigenvector, the gradient); the direction is rounded to the
dyadic grid ``2^-40`` (so it is exact as floats and as rationals) and its value is computed
exactly.  Whether a witness makes the outcome "disproved" (a violation beyond ``DISPROOF_RTOL``)
is decided by :mod:`~certify.check.exact.operator_proof`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .conditions import _Attempt
from .derivatives import _derivs, _rotation_complement
from .instance import _Instance
from .rational import _F, _Q, _col, _dot, _dyadic, _eye, _qstr, _quad, _sym_basis_exact, _to_np


def _first_order_witness(inst: _Instance, db) -> tuple[list, object, dict]:
    """``v = -∇f`` (dyadic) with ``<∇f(X), v> < 0``; ``db``: the derivatives at the certificate's
    numbers (operator scaled by ``t``).  Returns ``(v, <∇f, v> exactly, witness dict)``."""
    fl = inst.fl
    v = _dyadic(-2.0 * _to_np(db.g).ravel())
    val = _dot(_col(v, fl), db.g * 2)
    witness = {"check": "first_order", "coordinates": inst.coords, "vector": v, "value": str(_F(val)),
               "value_float": float(_F(val)), "meaning": "<grad f(X), v> < 0: f decreases along v (operator scaled by t)",
               "t": _qstr(inst.tb)}
    return v, val, witness


def _hessian_witness(inst: _Instance, res: _Attempt, C, mu, strict) -> dict:
    """A direction where the Hessian is below μ: on the lift's complement block when that block
    fails, else on the rotation complement (``relative``: the value over ``|u|^2`` and the Hessian's
    scale, negative for a violation)."""
    info = res.hess.info
    if info["block"] is not None and not info["block"]["psd"]:
        return _lift_block_witness(inst, info["block"]["witness"], mu, res.hs)
    return _complement_witness(inst, info, C, mu, strict, res.hs)


def _lift_block_witness(inst: _Instance, w, mu, hs_scaled) -> dict:
    """``w^T (4 t X^T X - μ I) w < 0``: the Hessian on the directions ``U = p w^T``, ``p ⊥ range(P)``."""
    fl, rd = inst.fl, inst.rd
    wv = [float(_F(x)) for x in w]
    # on the certificate's numbers: 4 t X^T X - mu
    Bm = (inst.Xb.transpose() * inst.Xb) * (inst.tb * 4) - _eye(rd.r, fl, _Q(Fraction(mu or 0.0), fl))
    wd = [_Q(x, fl) for x in _dyadic(wv)]
    vb = _quad(Bm, wd, fl)
    nrm = sum(x * x for x in wd)
    return {"check": "second_order", "coordinates": "w in R^r: the direction U = p w^T for any unit p orthogonal to range(P)",
            "vector": _dyadic(wv), "value": str(_F(vb)), "value_float": float(_F(vb)),
            "relative": float(_F(vb)) / (float(_F(nrm)) * max(hs_scaled / float(inst.c2), 1e-300)),
            "meaning": "w^T (4 t X^T X - mu I) w < 0 on the complement directions of the lift",
            "t": _qstr(inst.tb)}


def _complement_witness(inst: _Instance, info, C, mu, strict, hs_scaled) -> dict:
    """``u^T ∇²f u - μ u^T u < 0`` with ``u`` on the rotation complement: proposed in C-coordinates
    (the float eigenvector, else the ``LDL^T`` witness), projected exactly onto the rotation
    complement of the certificate's ``X`` when ``r > 1``."""
    fl, rd = inst.fl, inst.rd
    eig = _complement_eig(info, C)
    if eig is not None:
        lam, V, Cf = eig
        u = Cf @ V[:, 0]
    else:
        u = _to_np(C) @ np.asarray([float(_F(x)) for x in info["witness"]])
    u = _dyadic(u)
    # evaluate on the certificate's numbers: project u onto the rotation complement of Xb exactly
    uq = _col(u, fl)
    if rd.r > 1:
        Cb = _rotation_complement(inst.Xb, fl)
        # orthogonal projection onto range(Cb): Cb (Cb^T Cb)^-1 Cb^T u
        CtCb = Cb.transpose() * Cb
        coef = CtCb.solve(Cb.transpose() * uq)
        uq = Cb * coef
    dbh = _derivs(inst.Xb, inst.Mb, inst.Hbt, fl, hessian=True)
    mu_c = _Q(Fraction(mu), fl) if strict else fl.fmpq(0)
    val = (uq.transpose() * dbh.hess * uq)[0, 0] - mu_c * _dot(uq, uq)
    nrm = _dot(uq, uq)
    rel = float(_F(val)) / (float(_F(nrm)) * max(hs_scaled / float(inst.c2), 1e-300)) if nrm != 0 else 0.0
    vec_out = [float(_F(x)) for x in uq.entries()] if rd.r > 1 else u
    return {"check": "second_order", "coordinates": inst.coords, "vector": vec_out, "value": str(_F(val)),
            "value_float": float(_F(val)), "relative": rel,
            "meaning": "u^T Hess u - mu u^T u < 0 with u on the rotation complement (operator scaled by t, "
                       "certificate's numbers" + (", u projected exactly onto the complement" if rd.r > 1 else "") + ")",
            "t": _qstr(inst.tb), "mu_claimed": _qstr(mu_c),
            "exact_vector": None if rd.r == 1 else [str(_F(x)) for x in uq.entries()]}


def _complement_eig(info, C):
    """Float proposal: the generalized eigenpairs of ``(C^T ∇²f C, C^T C)`` as ``(lam, V, C_float)``
    with ``V`` the eigenvectors in C-coordinates (``C^T C``-orthonormal), or None if ``C^T C`` is not
    numerically positive definite.  Only used to choose directions; every use is re-checked exactly."""
    try:
        Li = np.linalg.inv(np.linalg.cholesky(_to_np(info["CtC"])))
        lam, Y = np.linalg.eigh(Li @ _to_np(info["matrix"]) @ Li.T)
    except np.linalg.LinAlgError:
        return None
    return lam, Li.T @ Y, _to_np(C)


def _isometry_witness(inst: _Instance):
    """An exact lower bound on the optimally scaled RIP constant of the certificate's operator:
    ``(ρ_max - ρ_min) / (ρ_max + ρ_min)`` from the exact Rayleigh quotients of two (dyadic) float
    eigenvectors (``ρ`` also includes the eigenvalue 1 off the subspace of a lift).  Returns
    ``(bound, witness dict)``; the dict's ``vectors`` are ``[u_max, u_min]``."""
    fl, rd = inst.fl, inst.rd
    umax, umin = _extreme_directions(inst)
    rho = []
    for u in (umax, umin):
        uq = _col(u, fl)
        rho.append(_quad(inst.Hb, u, fl) / _dot(uq, uq))
    rmax, rmin = rho
    if rd.complement:  # the lift carries the eigenvalue 1 off the subspace
        rmax, rmin = max(rmax, fl.fmpq(1)), min(rmin, fl.fmpq(1))
    if rmin <= 0:
        lb = fl.fmpq(1)
    else:
        lb = (rmax - rmin) / (rmax + rmin)
    witness = {"check": "isometry", "coordinates": ("vec of n x n matrices (column-major)" if rd.kind == "explicit"
                                                    else f"vec of d x d matrices in the reduced basis {rd.basis}"),
               "vectors": [umax, umin], "rayleigh": [str(_F(rho[0])), str(_F(rho[1]))],
               "value": str(_F(lb)), "value_float": float(_F(lb)),
               "meaning": "(rho_max - rho_min) / (rho_max + rho_min) <= RIP constant for every scaling t"
                          + (" (rho also includes the eigenvalue 1 off the subspace)" if rd.complement else "")}
    return lb, witness


def _extreme_directions(inst: _Instance):
    """Float proposal: dyadic eigenvectors of the largest and smallest eigenvalue of ``H_b`` (on
    the symmetric matrices, kept exactly symmetric, for ``domain="symmetric"``)."""
    Hf_b = _to_np(inst.Hb)
    if inst.domain == "symmetric":
        Bf = _to_np(_sym_basis_exact(inst.rd.d, inst.fl))
        Q, _ = np.linalg.qr(Bf)
        lam, V = np.linalg.eigh(Q.T @ Hf_b @ Q)
        V = Q @ V
    else:
        lam, V = np.linalg.eigh(Hf_b)
    umax, umin = _dyadic(V[:, -1]), _dyadic(V[:, 0])
    if inst.domain == "symmetric":  # keep the witnesses exactly symmetric: u <- vec(sym(mat(u)))
        k = inst.rd.d
        umax, umin = ([0.5 * (u[i + k * j] + u[j + k * i]) for j in range(k) for i in range(k)] for u in (umax, umin))
    return umax, umin
