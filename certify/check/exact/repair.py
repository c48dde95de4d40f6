"""The repair step of the operator proof (module docstring of
:mod:`~certify.check.exact.operator_proof`, "Repair").

A second-order critical point at an SDP optimum has a singular Hessian; after rounding its zero
eigenvalue may be ``-1e-13``.  Then the δ relaxation is spent: ``H`` moves by ``ε K`` with ``K`` the
sum over the near-null Hessian directions ``u`` of the gradient of ``H ↦ u^T ∇²f u``, projected onto
the first-order constraints, with ``||ε K||_2`` half the band's slack; the result is projected
exactly again and every check is rerun.  The step is proposed in floats; nothing of it is trusted.
"""

from __future__ import annotations

import math

import numpy as np

from .conditions import _Attempt
from .derivatives import _derivs, _project_first_order
from .instance import _Instance
from .rational import _frob2, _from_flat, _sym, _sym_basis_exact, _to_np
from .witnesses import _complement_eig


def _repair(inst: _Instance, res: _Attempt, H1, C, ds, d_relaxed, recheck):
    """The repair step from the attempt ``res`` on ``H1`` (the projected operator; ``ds``: the
    derivatives of the first projection, ``C``: the rotation complement).  ``recheck(H)`` reruns
    the checks on the repaired operator.  Returns ``(attempt, H, info)`` or None when no step is
    possible."""
    if d_relaxed is None:
        return None
    eig = _complement_eig(res.hess.info, C)
    if eig is None:
        return None
    lam, V, Cf = eig
    hs = max(res.hs, 1e-300)
    idx = np.where(lam < 1e-7 * hs)[0]
    if idx.size == 0:
        idx = np.array([0])
    H1f = _to_np(H1)
    K = _lifting_direction(inst, ds, V, Cf, idx, H1f.shape)
    Kn = np.linalg.norm(K, 2)
    if not Kn > 0:
        return None
    slack = _band_slack(inst, H1f, d_relaxed)
    if not slack > 0:
        return None
    eps = 0.5 * slack / Kn
    fl = inst.fl
    Kq = _sym(_from_flat((eps * 0.5 * (K + K.T)).ravel(), K.shape[0], K.shape[1], fl), fl)
    H2 = H1 + Kq
    d2 = _derivs(inst.Xs, inst.Ms, H2, fl, hessian=False)
    H3, corr2 = _project_first_order(H2, d2, fl)
    if H3 is None:
        return None
    res2 = recheck(H3)
    nH = math.sqrt(float(_frob2(H1)))
    info = {"used": True, "directions": int(idx.size), "epsilon": float(eps), "band_slack": float(slack),
            "relative_change": math.sqrt(float(_frob2(H3 - H1))) / nH if nH > 0 else 0.0,
            "spectral_change_bound": float(eps * Kn)}
    return res2, H3, info


def _lifting_direction(inst: _Instance, ds, V, Cf, idx, shape) -> np.ndarray:
    """``K``: the sum over the near-null directions ``u = C V[:, k]`` (``k`` in ``idx``) of the
    gradient of ``H ↦ u^T ∇²f u`` — ``2 w w^T + 2 (e b^T + b e^T)``, ``w = 𝐗u``, ``b = vec(U U^T)`` —
    projected onto the first-order constraints and normalized (spectral norm), in floats."""
    n, r = inst.Xs.nrows(), inst.Xs.ncols()
    J = _to_np(ds.J)
    e = _to_np(ds.e).ravel()
    Gm = 0.5 * ((J.T @ J) * (e @ e) + np.outer(J.T @ e, J.T @ e))
    K = np.zeros(shape)
    for k in idx:
        u = Cf @ V[:, k]
        U = u.reshape(r, n).T  # vec is column-major: u = vec(U), U is n x r
        w = J @ u
        b = (U @ U.T).T.ravel()
        G = 2.0 * np.outer(w, w) + 2.0 * (np.outer(e, b) + np.outer(b, e))
        y = np.linalg.lstsq(Gm, -(J.T @ (G @ e)), rcond=None)[0]
        Jy = J @ y
        PG = G + 0.5 * (np.outer(Jy, e) + np.outer(e, Jy))
        nrm = np.linalg.norm(PG, 2)
        if nrm > 0:
            K += PG / nrm
    return K


def _band_slack(inst: _Instance, H1f, d_relaxed) -> float:
    """How far the float spectrum of ``H1`` stays inside the relaxed band ``[1 - δ, 1 + δ]``."""
    if inst.domain == "all":
        lamH = np.linalg.eigvalsh(H1f)
    else:
        Bf = _to_np(_sym_basis_exact(inst.rd.d, inst.fl))
        Q, _ = np.linalg.qr(Bf)
        lamH = np.linalg.eigvalsh(Q.T @ H1f @ Q)
    dr = float(d_relaxed)
    return min(1.0 + dr - lamH.max(), lamH.min() - (1.0 - dr))
