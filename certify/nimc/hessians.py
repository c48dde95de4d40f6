"""NIMC Hessians: the exact empirical Hessian ``∇²f_Ω`` and Hessian-vector products (ZJSD18
Appendix C, eq. (6)), and the population Hessian ``H* = ∇²f_D(U*, V*)`` (eq. (7)) — from the
one-dimensional moments (``d = k``, orthogonal factors), by two-dimensional quadrature (any
``d >= k``), or by Monte Carlo with a confidence radius.

Conventions (loss, packing ``w = [vec(U); vec(V)]``, trials axis): :mod:`certify.nimc.model`.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from ..check import nimc_population as _pop
from ..errors import InputError
from .activations import check_activation
from .model import (
    _ACT,
    NIMCData,
    _as_factor,
    _check_int,
    _check_reduction,
    _forward,
    _prepare,
    _rng,
    _scale,
    free_indices,
)

__all__ = [
    "hessian",
    "hvp",
    "population_hessian",
    "population_hessian_mc",
    "HessianEstimate",
]


# ----------------------------------------------------------------------------- empirical Hessian


def hessian(data: NIMCData, U, V, *, reduction: str = "mean", fix_first_row: bool = False,
            residual: bool = True) -> np.ndarray:
    """The exact Hessian ``∇²f_Ω(U, V)`` in the packing of :func:`pack`, ``(2dk, 2dk)`` or
    ``(trials, 2dk, 2dk)``: the Gauss–Newton part ``Ê[J Jᵀ]`` plus the residual terms of ZJSD18
    Appendix C eq. (6) (``residual=False`` drops them).  ``fix_first_row`` returns the Hessian in
    the free parameters of ZJSD19 eq. (4) (rows/columns :func:`free_indices` kept)."""
    reduction = _check_reduction(reduction)
    U, V, single = _prepare(data, U, V)
    phi, dphi, ddphi = _ACT[data.activation]
    Xo, Yo = data.Xo, data.Yo
    T, m, d = Xo.shape
    k = U.shape[-1]
    Zu, Zv, P, Q, r = _forward(data, Xo, Yo, data.A, U, V)
    P1, Q1 = dphi(Zu), dphi(Zv)
    Ju = ((P1 * Q)[:, :, :, None] * Xo[:, :, None, :]).reshape(T, m, k * d)
    Jv = ((Q1 * P)[:, :, :, None] * Yo[:, :, None, :]).reshape(T, m, k * d)
    J = np.concatenate([Ju, Jv], axis=2)
    H = np.swapaxes(J, 1, 2) @ J
    if residual:
        P2, Q2 = ddphi(Zu), ddphi(Zv)
        Ruu = np.einsum("tmi,tmp,tmq->tipq", r[:, :, None] * P2 * Q, Xo, Xo)
        Rvv = np.einsum("tmi,tmp,tmq->tipq", r[:, :, None] * Q2 * P, Yo, Yo)
        Ruv = np.einsum("tmi,tmp,tmq->tipq", r[:, :, None] * P1 * Q1, Xo, Yo)
        kd = k * d
        for i in range(k):  # k diagonal blocks (not a loop over samples or trials)
            s = slice(i * d, (i + 1) * d)
            sv = slice(kd + i * d, kd + (i + 1) * d)
            H[:, s, s] += Ruu[:, i]
            H[:, sv, sv] += Rvv[:, i]
            H[:, s, sv] += Ruv[:, i]
            H[:, sv, s] += np.swapaxes(Ruv[:, i], 1, 2)
    H *= _scale(m, reduction)
    if fix_first_row:
        idx = free_indices(d, k, True)
        H = H[:, idx][:, :, idx]
    return H[0] if single else H


def _hvp(activation, Xo, Yo, A, U, V, dU, dV, scale):
    """``∇²f [dU, dV]`` without forming the Hessian (batched)."""
    phi, dphi, ddphi = _ACT[activation]
    Zu, Zv = Xo @ U, Yo @ V
    P, Q = phi(Zu), phi(Zv)
    P1, Q1 = dphi(Zu), dphi(Zv)
    P2, Q2 = ddphi(Zu), ddphi(Zv)
    r = np.einsum("tmk,tmk->tm", P, Q) - A
    Xa = Xo @ dU  # x·a_i, (T, m, k)
    Yb = Yo @ dV
    Jw = np.einsum("tmk->tm", P1 * Q * Xa + Q1 * P * Yb)  # directional derivative of h
    rr = r[:, :, None]
    cu = Jw[:, :, None] * P1 * Q + rr * (P2 * Q * Xa + P1 * Q1 * Yb)
    cv = Jw[:, :, None] * Q1 * P + rr * (Q2 * P * Yb + P1 * Q1 * Xa)
    HU = np.swapaxes(Xo, 1, 2) @ cu
    HV = np.swapaxes(Yo, 1, 2) @ cv
    return scale * HU, scale * HV


def hvp(data: NIMCData, U, V, dU, dV, *, reduction: str = "mean", fix_first_row: bool = False):
    """Hessian-vector product ``∇²f_Ω(U, V)[dU, dV]`` as ``(HU, HV)`` (no ``2dk × 2dk`` matrix)."""
    reduction = _check_reduction(reduction)
    U, V, single = _prepare(data, U, V)
    dU = _as_factor(dU, "dU", d=data.d, k=U.shape[-1])
    dV = _as_factor(dV, "dV", d=data.d, k=U.shape[-1])
    dU = np.broadcast_to(dU, U.shape).copy()
    dV = np.broadcast_to(dV, V.shape).copy()
    if fix_first_row:
        dU[:, 0, :] = 0.0
    HU, HV = _hvp(data.activation, data.Xo, data.Yo, data.A, U, V, dU, dV, _scale(data.m, reduction))
    if fix_first_row:
        HU[:, 0, :] = 0.0
    return (HU[0], HV[0]) if single else (HU, HV)


# ----------------------------------------------------------------------------- population Hessian


def _is_orthogonal_square(M, tol=1e-10) -> bool:
    d, k = M.shape
    return d == k and np.allclose(M.T @ M, np.eye(k), atol=tol, rtol=0)


def _orthogonal_hessian_from_moments(k: int, mom: dict) -> np.ndarray:
    """``H*`` for ``U* = V* = I_k`` from the one-dimensional moments (ZJSD18 proof of Lemma D.1)."""
    a10, a11, a20 = mom["alpha_10"], mom["alpha_11"], mom["alpha_20"]
    b10, b11, b12, b20, b22 = mom["beta_10"], mom["beta_11"], mom["beta_12"], mom["beta_20"], mom["beta_22"]
    g = mom["gamma"]
    d = k
    n = 2 * d * k
    H = np.zeros((n, n))
    eye = np.eye(d)
    for i in range(k):
        for j in range(k):
            if i == j:
                T = b20 * np.eye(d)
                T[i, i] = b22
                T *= a20
                a = g * eye[i]
                b = g * eye[i]
            else:
                T = (b10**2) * np.eye(d)
                T[i, i] = T[j, j] = b12 * b10
                T[i, j] = T[j, i] = b11**2
                T *= a10**2
                a = b11 * a10 * eye[i] + b10 * a11 * eye[j]  # E[φ'(x_i) φ(x_j) x]
                b = b11 * a10 * eye[j] + b10 * a11 * eye[i]  # E[φ'(y_j) φ(y_i) y]
            si, sj = slice(i * d, (i + 1) * d), slice(j * d, (j + 1) * d)
            H[si, sj] = T  # u_i u_j
            H[d * k + i * d: d * k + (i + 1) * d, d * k + j * d: d * k + (j + 1) * d] = T  # v_i v_j
            H[si, d * k + j * d: d * k + (j + 1) * d] = np.outer(a, b)  # u_i v_j
    H[d * k:, :d * k] = H[:d * k, d * k:].T
    return H


# the quadrature is the kernel's (certify verify recomputes the estimates of NIMC certificates with
# it); the former private names stay here for their callers
_QUAD_L = _pop._QUAD_L
_RADIAL = _pop._RADIAL
_gl_rule = _pop._gl_rule
_pair_frames = _pop._pair_frames
_assemble_factor = _pop._assemble_factor
_factor_expectations_smooth = _pop.factor_expectations_smooth
_factor_expectations_homogeneous = _pop.factor_expectations_homogeneous
_hessian_from_factor_expectations = _pop.hessian_from_factor_expectations


def _auto_nodes(M_list, activation: str) -> int:
    """Nodes per axis (:func:`certify.check.nimc_population.quadrature_nodes`)."""
    return _pop.quadrature_nodes(M_list[0], M_list[-1], activation)


def population_hessian(U_star, V_star, activation: str, *, method: str = "auto", nodes: int | None = None,
                       return_error: bool = False):
    """The population Hessian ``H* = ∇²f_D(U*, V*)`` of ``f_D = ½ E[(φ(Uᵀx)ᵀφ(Vᵀy) − A(x, y))²]``
    (ZJSD18 eq. (7)), ``x, y ~ N(0, I_d)``, as a ``(2dk, 2dk)`` array in the packing of
    :func:`~certify.nimc.model.pack`.  At the ground truth the residual vanishes and the blocks are (Appendix C.1)::

        H_{u_i u_j} = E[φ'(u_iᵀx)φ'(u_jᵀx) x xᵀ] · E[φ(v_iᵀy)φ(v_jᵀy)]
        H_{u_i v_j} = E[φ'(u_iᵀx)φ(u_jᵀx) x] · E[φ'(v_jᵀy)φ(v_iᵀy) y]ᵀ

    Methods:

    * ``"moments"`` (``d = k``, ``U*``, ``V*`` orthogonal): exact from the one-dimensional moments
      α, β, γ of :mod:`certify.nimc.constants` (enclosure midpoints, error ~1e-16).
    * ``"quadrature"`` (any ``d >= k``): every factor above depends on ``x`` only through two
      projections, so each block is a 2-D Gaussian expectation (plus an isotropic part from the
      orthogonal complement).  Smooth φ: tensor Gauss–Legendre on ``[−9, 9]²`` with the Gaussian
      density in the weights, ``nodes`` per axis (default: chosen from the width of the strip of
      analyticity, 64–1200); ReLU: polar coordinates with closed-form radial moments and
      Gauss–Legendre on the arcs between kinks (default 24 nodes per arc; exact up to rounding).
      ``return_error=True`` also returns ``max |H(nodes) − H(⌈1.5·nodes⌉)|``, an estimate (not a
      bound) of the quadrature error.
    * ``"auto"``: ``"moments"`` when applicable (and python-flint is installed), else
      ``"quadrature"``.

    For a Monte Carlo estimate with a confidence radius see :func:`population_hessian_mc`."""
    activation = check_activation(activation)
    U = _as_factor(U_star, "U_star")
    V = _as_factor(V_star, "V_star", d=U.shape[-2], k=U.shape[-1])
    if U.ndim != 2:
        raise InputError(f"U_star: expected one ground truth of shape (d, k), got {U.shape}")
    d, k = U.shape
    if k > d:
        raise InputError(f"U_star: expected k <= d, got shape {U.shape}")
    if method not in ("auto", "moments", "quadrature"):
        raise InputError(f"method: expected 'auto', 'moments' or 'quadrature', got {method!r}")
    ortho = _is_orthogonal_square(U) and _is_orthogonal_square(V)
    if method == "moments" and not ortho:
        raise InputError("method='moments' needs d = k and orthogonal U_star, V_star (Lemma C.1 setting); use 'quadrature'")
    if method == "auto":
        method = "moments" if ortho and importlib.util.find_spec("flint") is not None else "quadrature"
    if method == "moments":
        H = _population_hessian_moments(U, V, activation)
        return (H, 64 * np.finfo(float).eps * max(1.0, np.abs(H).max())) if return_error else H
    if nodes is not None:
        nodes = _check_int(nodes, "nodes", 4)
    return _population_hessian_quadrature(U, V, activation, nodes, return_error)


def _population_hessian_moments(U, V, activation: str) -> np.ndarray:
    """``H*`` for ``d = k`` and orthogonal ``U*, V*``: the ``U* = V* = I`` Hessian from the moment
    midpoints, rotated blockwise by ``U*`` and ``V*``."""
    from . import constants as _const  # noqa: PLC0415 - python-flint only when needed

    d, k = U.shape
    mom = {name: e.mid for name, e in _const.moments(activation).items()}
    H0 = _orthogonal_hessian_from_moments(k, mom)
    R = np.zeros((2 * d * k, 2 * d * k))
    for i in range(k):
        R[i * d:(i + 1) * d, i * d:(i + 1) * d] = U
        R[d * k + i * d: d * k + (i + 1) * d, d * k + i * d: d * k + (i + 1) * d] = V
    H = R @ H0 @ R.T
    return 0.5 * (H + H.T)


def _population_hessian_quadrature(U, V, activation: str, nodes: int | None, return_error: bool):
    """``H*`` by two-dimensional quadrature (``nodes`` per axis or per arc; None: automatic), with
    the estimate ``max |H(n) − H(⌈1.5 n⌉)|`` when ``return_error`` (the kernel's rule,
    :func:`certify.check.nimc_population.quadrature_hessian`)."""
    H, err, _ = _pop.quadrature_hessian(U, V, activation, nodes)
    return (H, err) if return_error else H


@dataclass
class HessianEstimate(_pop.MonteCarloHessian):
    """A Monte Carlo estimate of ``H*`` and of ``λ_min(H*)`` with a confidence radius: the kernel's
    :class:`~certify.check.nimc_population.MonteCarloHessian` (``H``, ``lam_min``, ``radius``,
    ``confidence``, ``samples``, ``batches``) and the ``method`` that made it.

    ``lam_min`` is ``λ_min(Ĥ)``; with probability about ``confidence`` (see
    :func:`population_hessian_mc` for what "about" means) ``|λ_min(H*) − lam_min| <= radius``."""

    method: str = "monte carlo: mean of per-sample Hessians; radius = Chebyshev bound on ||H_hat - H||_F"


def population_hessian_mc(U_star, V_star, activation: str, *, samples: int = 200_000, batches: int = 20,
                          confidence: float = 0.95, fix_first_row: bool = False, seed=None) -> HessianEstimate:
    """Monte Carlo estimator of ``H*`` with a confidence radius for ``λ_min`` (any ``d >= k``).

    Estimator: at the ground truth the residual is 0, so the per-sample Hessian of ½h² is
    ``g gᵀ`` with ``g = ∇_w h(x, y)``; ``Ĥ`` is the mean over ``samples`` independent pairs
    ``(x, y)``, split into ``batches`` equal batches with means ``H_b``.

    Confidence radius: by Weyl, ``|λ_min(Ĥ) − λ_min(H*)| <= ||Ĥ − H*||₂ <= ||Ĥ − H*||_F``;
    ``E||Ĥ − H*||_F² = E||H_b − H*||_F² / B`` is estimated by
    ``s² = Σ_b ||H_b − Ĥ||_F² / (B(B − 1))`` and Chebyshev's inequality gives
    ``P(||Ĥ − H*||_F > s/√(1 − confidence)) <= 1 − confidence``.  It is honest but approximate
    (``s²`` is itself estimated from ``B`` batches) and conservative (Frobenius instead of spectral
    norm).  It is an independent audit of :func:`population_hessian`, not a replacement: for
    sigmoid the radius is 2.2e-3 with 2·10⁵ samples at ``d = k = 3`` and only drops below
    ``ρ ≈ 6.6e-4`` with ~10⁶ (``d = k = 3``) to ~10⁸ (``d = 10, k = 5``) samples."""
    activation = check_activation(activation)
    U = _as_factor(U_star, "U_star")
    V = _as_factor(V_star, "V_star", d=U.shape[-2], k=U.shape[-1])
    if U.ndim != 2:
        raise InputError(f"U_star: expected shape (d, k), got {U.shape}")
    samples = _check_int(samples, "samples", 2)
    batches = _check_int(batches, "batches", 2)
    if not 0 < confidence < 1:
        raise InputError(f"confidence: expected a probability in (0, 1), got {confidence!r}")
    if samples < batches:
        raise InputError(f"samples: expected at least one sample per batch ({batches}), got {samples}")
    d, k = U.shape
    mc = _pop.monte_carlo_hessian(U, V, activation, samples=samples, batches=batches, confidence=confidence,
                                  seed=_rng(seed), index=free_indices(d, k, fix_first_row))
    return HessianEstimate(H=mc.H, lam_min=mc.lam_min, radius=mc.radius, confidence=confidence, samples=mc.samples,
                           batches=batches)
