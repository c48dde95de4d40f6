"""The NIMC population Hessian ``H* = ∇²f_D(U*, V*)`` for any ``d >= k`` in floating point — two-
dimensional quadrature with an error *estimate*, or Monte Carlo with a confidence radius — and the
bound of Theorem D.5: part of the trusted kernel (NumPy only), so that ``certify verify`` recomputes
the estimate a certificate states.  These numbers are estimates, not proofs: a certificate built on
them labels its ``λ_min`` claim statistical ("not a proof claim" for the exact checker); the proved
case (orthonormal ``U*, V*``) is :mod:`certify.check.nimc_constants`.

Population risk ``f_D = ½ E[(φ(Uᵀx)ᵀφ(Vᵀy) − A(x, y))²]`` (ZJSD18 eq. (7)), packing
``w = [vec(U); vec(V)]`` (columns stacked).  At the ground truth the residual vanishes and
(Appendix C.1)::

    H_{u_i u_j} = E[φ'(u_iᵀx)φ'(u_jᵀx) x xᵀ] · E[φ(v_iᵀy)φ(v_jᵀy)]
    H_{u_i v_j} = E[φ'(u_iᵀx)φ(u_jᵀx) x] · E[φ'(v_jᵀy)φ(v_iᵀy) y]ᵀ

Every factor depends on ``x`` only through its projections on two columns, so each block is a
two-dimensional Gaussian expectation (plus an isotropic part from the orthogonal complement).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError

__all__ = [
    "ACTIVATION_FUNCTIONS",
    "quadrature_hessian",
    "quadrature_nodes",
    "MonteCarloHessian",
    "monte_carlo_hessian",
    "condition_numbers",
    "theorem_d5_factor",
    "orthonormality_error",
]


# ----------------------------------------------------------------------------- activations (NumPy)


def _sigmoid(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _dsigmoid(z):
    s = _sigmoid(z)
    return s * (1.0 - s)


def _dtanh(z):
    t = np.tanh(z)
    return 1.0 - t * t


#: ``(φ, φ')`` by name (φ'(0) := 0 for ReLU)
ACTIVATION_FUNCTIONS = {
    "sigmoid": (_sigmoid, _dsigmoid),
    "tanh": (np.tanh, _dtanh),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (np.asarray(z) > 0).astype(float)),
    "linear": (lambda z: np.asarray(z, dtype=float), lambda z: np.ones_like(np.asarray(z, dtype=float))),
}


def _factors(U, V):
    U = np.asarray(U, dtype=float)
    V = np.asarray(V, dtype=float)
    if U.ndim != 2 or U.shape != V.shape or U.shape[1] > U.shape[0] or not (np.isfinite(U).all() and np.isfinite(V).all()):
        raise InputError(f"U_star, V_star: expected two finite d x k matrices with k <= d, got {U.shape} and {V.shape}")
    return U, V


# ----------------------------------------------------------------------------- quadrature

_QUAD_L = 9.0  # truncation of the Gaussian plane: the mass outside [−9, 9]² is < 5e-19
_RADIAL = {0: 1.0, 2: 2.0}  # M_p = ∫_0^∞ r^{p+1} e^{−r²/2} dr


def _gl_rule(n: int):
    """Tensor Gauss–Legendre rule on ``[−L, L]²`` with the standard normal density in the weights
    (evenly spread nodes resolve the narrow bumps of ``φ'(c·s)`` for large ``c``)."""
    x, w = np.polynomial.legendre.leggauss(n)
    x = _QUAD_L * x
    w = _QUAD_L * w * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    X, Y = np.meshgrid(x, x, indexing="ij")
    return np.stack([X.ravel(), Y.ravel()], axis=1), np.outer(w, w).ravel()


def quadrature_nodes(U, V, activation: str) -> int:
    """Nodes per axis for the smooth rule: the integrand is analytic in a strip of half-width
    ``τ = π/c`` (sigmoid) or ``π/(2c)`` (tanh), ``c`` the largest column norm; Gauss–Legendre on
    ``[−L, L]`` converges like ``(1 + τ/L)^{−2n}``; ``n = 26 L/τ`` gives ~1e-15 in practice
    (measured against the exact orthogonal case).  ReLU: 24 per arc; linear: 64."""
    if activation == "linear":
        return 64
    if activation == "relu":
        return 24
    c = max(float(np.max(np.linalg.norm(np.asarray(M, dtype=float), axis=0))) for M in (U, V))
    tau = math.pi / max(c, 1e-12) / (2.0 if activation == "tanh" else 1.0)
    return int(min(1200, max(64, math.ceil(26 * _QUAD_L / tau))))


def _pair_frames(M: np.ndarray):
    """For every pair (i, j): an orthonormal ``Q_ij ∈ R^{d×2}`` whose span contains ``m_i, m_j``,
    and the coordinates ``a = Q_ijᵀ m_i``, ``b = Q_ijᵀ m_j``."""
    pairs = np.stack(np.broadcast_arrays(M.T[:, None, :], M.T[None, :, :]), axis=-1)  # (k, k, d, 2)
    Q = np.linalg.qr(pairs, mode="reduced")[0]  # Householder: orthonormal even when m_i ∥ m_j
    return Q, np.einsum("ijdq,id->ijq", Q, M.T), np.einsum("ijdq,jd->ijq", Q, M.T)


def _assemble_factor(Q, S, W2, T2, T0, d):
    W = np.einsum("ijdq,ijq->ijd", Q, W2)
    QQ = np.einsum("ijdq,ijeq->ijde", Q, Q)
    T = np.einsum("ijdq,ijqr,ijer->ijde", Q, T2, Q) + T0[:, :, None, None] * (np.eye(d) - QQ)
    return S, W, T


def factor_expectations_smooth(M, activation, nodes):
    """``S_ij = E[φ(m_iᵀx)φ(m_jᵀx)]``, ``W_ij = E[φ'(m_iᵀx)φ(m_jᵀx) x]``,
    ``T_ij = E[φ'(m_iᵀx)φ'(m_jᵀx) x xᵀ]`` by a tensor rule in the plane of ``(m_i, m_j)``."""
    phi, dphi = ACTIVATION_FUNCTIONS[activation]
    d, k = M.shape
    Q, a, b = _pair_frames(M)
    s, w = _gl_rule(nodes)
    S, W2, T2, T0 = np.empty((k, k)), np.empty((k, k, 2)), np.empty((k, k, 2, 2)), np.empty((k, k))
    ss = s[:, :, None] * s[:, None, :]
    for i in range(k):  # chunks of k pairs bound the memory (nodes² · k values)
        za, zb = np.einsum("jq,nq->jn", a[i], s), np.einsum("jq,nq->jn", b[i], s)
        fa, fb, ga, gb = phi(za), phi(zb), dphi(za), dphi(zb)
        S[i] = (fa * fb) @ w
        W2[i] = (ga * fb * w) @ s
        gg = ga * gb * w
        T2[i] = np.einsum("jn,nqr->jqr", gg, ss)
        T0[i] = gg.sum(axis=1)
    return _assemble_factor(Q, S, W2, T2, T0, d)


def factor_expectations_homogeneous(M, activation, nodes):
    """The same expectations for positively homogeneous φ (ReLU, linear), in polar coordinates:
    the radial integral is a closed-form moment and the angular integrand is smooth between the
    zeros of ``m_iᵀω``, ``m_jᵀω`` (Gauss–Legendre per arc)."""
    phi, dphi = ACTIVATION_FUNCTIONS[activation]
    d, k = M.shape
    Q, a, b = _pair_frames(M)
    gl_x, gl_w = np.polynomial.legendre.leggauss(nodes)
    S, W2, T2, T0 = np.zeros((k, k)), np.zeros((k, k, 2)), np.zeros((k, k, 2, 2)), np.zeros((k, k))
    for i in range(k):  # k² pairs, each a 1-D angular quadrature
        for j in range(k):
            brk = [0.0, 2 * np.pi]
            for v in (a[i, j], b[i, j]):
                if np.hypot(*v) > 0:
                    t0 = math.atan2(v[1], v[0])
                    brk += [(t0 + np.pi / 2) % (2 * np.pi), (t0 - np.pi / 2) % (2 * np.pi)]
            brk = np.unique(np.array(brk))
            lo, hi = brk[:-1], brk[1:]
            th = (0.5 * (hi - lo)[:, None] * gl_x[None, :] + 0.5 * (hi + lo)[:, None]).ravel()
            wt = (0.5 * (hi - lo)[:, None] * gl_w[None, :]).ravel() / (2 * np.pi)
            om = np.stack([np.cos(th), np.sin(th)], axis=1)
            ta, tb = om @ a[i, j], om @ b[i, j]
            fa, fb, ga, gb = phi(ta), phi(tb), dphi(ta), dphi(tb)
            S[i, j] = _RADIAL[2] * np.sum(wt * fa * fb)
            W2[i, j] = _RADIAL[2] * np.einsum("n,nq->q", wt * ga * fb, om)
            T2[i, j] = _RADIAL[2] * np.einsum("n,nq,nr->qr", wt * ga * gb, om, om)
            T0[i, j] = _RADIAL[0] * np.sum(wt * ga * gb)
    return _assemble_factor(Q, S, W2, T2, T0, d)


def hessian_from_factor_expectations(SU, WU, TU, SV, WV, TV) -> np.ndarray:
    """``H*`` from the factor expectations of ``U*`` and ``V*`` (the block formulas above)."""
    k, _, d = WU.shape
    kd = k * d
    Huu = TU * SV[:, :, None, None]
    Hvv = TV * SU[:, :, None, None]
    Huv = np.einsum("ijp,jiq->ijpq", WU, WV)
    H = np.zeros((2 * kd, 2 * kd))
    H[:kd, :kd] = Huu.transpose(0, 2, 1, 3).reshape(kd, kd)
    H[kd:, kd:] = Hvv.transpose(0, 2, 1, 3).reshape(kd, kd)
    H[:kd, kd:] = Huv.transpose(0, 2, 1, 3).reshape(kd, kd)
    H[kd:, :kd] = H[:kd, kd:].T
    return 0.5 * (H + H.T)


def _quadrature_once(U, V, activation, nodes):
    if U.shape[0] == 1:  # embed in R^2 (an independent extra coordinate) and read off the (1, 1) part
        Hp = _quadrature_once(np.vstack([U, [[0.0]]]), np.vstack([V, [[0.0]]]), activation, nodes)
        return Hp[np.ix_([0, 2], [0, 2])]
    f = factor_expectations_homogeneous if activation == "relu" else factor_expectations_smooth
    return hessian_from_factor_expectations(*f(U, activation, nodes), *f(V, activation, nodes))


def quadrature_hessian(U_star, V_star, activation: str, nodes: int | None = None):
    """``(H*, error estimate, nodes)``: ``H*`` by the two-dimensional rule with ``nodes`` per axis
    (per arc for ReLU; None: :func:`quadrature_nodes`) and ``max |H(n) − H(⌈1.5 n⌉)|``, an
    estimate (not a bound) of the entrywise error."""
    U, V = _factors(U_star, V_star)
    if activation not in ACTIVATION_FUNCTIONS:
        raise InputError(f"activation: unknown activation {activation!r}")
    n = quadrature_nodes(U, V, activation) if nodes is None else int(nodes)
    if not 4 <= n <= 5000:
        raise InputError(f"nodes: expected an integer between 4 and 5000, got {nodes!r}")
    H = _quadrature_once(U, V, activation, n)
    err = float(np.abs(H - _quadrature_once(U, V, activation, int(math.ceil(1.5 * n)))).max())
    return H, err, n


# ----------------------------------------------------------------------------- Monte Carlo

#: numbers of the per-sample Jacobian alive at once in :func:`monte_carlo_hessian` (32 MiB)
_MC_CHUNK = 2**22


@dataclass
class MonteCarloHessian:
    """A Monte Carlo estimate of ``H*`` and of ``λ_min(H*)``: with probability about
    ``confidence``, ``|λ_min(H*) − lam_min| <= radius`` (Chebyshev on batch means, see
    :func:`monte_carlo_hessian`)."""

    H: np.ndarray
    lam_min: float
    radius: float
    confidence: float
    samples: int
    batches: int


def monte_carlo_hessian(U_star, V_star, activation: str, *, samples: int = 200_000, batches: int = 20,
                        confidence: float = 0.95, seed=None, index=None) -> MonteCarloHessian:
    """Monte Carlo estimator of ``H*``: at the truth the residual is 0, so the per-sample Hessian
    of ½h² is ``g gᵀ`` with ``g = ∇_w h(x, y)``; ``Ĥ`` is the mean over ``samples`` pairs in
    ``batches`` equal batches (``index``: keep only those coordinates).  Radius: by Weyl
    ``|λ_min(Ĥ) − λ_min(H*)| <= ||Ĥ − H*||_F``; ``s² = Σ_b ||H_b − Ĥ||_F² / (B(B − 1))`` estimates
    ``E||Ĥ − H*||_F²`` and Chebyshev gives ``P(||Ĥ − H*||_F > s/√(1 − confidence)) <= 1 −
    confidence`` (approximate: ``s²`` is itself estimated; conservative: Frobenius norm).  The draws
    come from ``numpy.random.default_rng(seed)``, so a seed reproduces the estimate."""
    U, V = _factors(U_star, V_star)
    if activation not in ACTIVATION_FUNCTIONS:
        raise InputError(f"activation: unknown activation {activation!r}")
    for name, v, lo in (("samples", samples, 2), ("batches", batches, 2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise InputError(f"{name}: expected an integer >= {lo}, got {v!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence: expected a probability in (0, 1), got {confidence!r}")
    if samples < batches:
        raise InputError(f"samples: expected at least one sample per batch ({batches}), got {samples}")
    d, k = U.shape
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    nb = samples // batches
    phi, dphi = ACTIVATION_FUNCTIONS[activation]
    idx = np.arange(2 * d * k) if index is None else np.asarray(index)
    Hb = np.empty((batches, idx.size, idx.size))
    rows = max(1, _MC_CHUNK // (2 * d * k))  # samples per product: at most _MC_CHUNK numbers of J alive
    for b in range(batches):  # memory-bounded batches; each batch is vectorized (in row chunks)
        x, y = rng.standard_normal((nb, d)), rng.standard_normal((nb, d))
        acc = np.zeros((idx.size, idx.size))
        for s0 in range(0, nb, rows):
            xs, ys = x[s0:s0 + rows], y[s0:s0 + rows]
            Zu, Zv = xs @ U, ys @ V
            Ju = ((dphi(Zu) * phi(Zv))[:, :, None] * xs[:, None, :]).reshape(xs.shape[0], -1)
            Jv = ((dphi(Zv) * phi(Zu))[:, :, None] * ys[:, None, :]).reshape(xs.shape[0], -1)
            J = np.concatenate([Ju, Jv], axis=1)[:, idx]
            acc += J.T @ J
        Hb[b] = acc / nb
    H = Hb.mean(axis=0)
    s2 = float(np.sum((Hb - H) ** 2) / (batches * (batches - 1)))
    return MonteCarloHessian(H=H, lam_min=float(np.linalg.eigvalsh(H)[0]), radius=math.sqrt(s2 / (1.0 - confidence)),
                             confidence=float(confidence), samples=nb * batches, batches=int(batches))


# ----------------------------------------------------------------------------- Theorem D.5


def condition_numbers(M) -> tuple[float, float, float]:
    """``(λ(M), κ(M), σ_k(M))`` of ZJSD18 Definition 3.1: ``λ = σ₁^k / Π σ_i``, ``κ = σ₁/σ_k``."""
    s = np.linalg.svd(np.asarray(M, dtype=float), compute_uv=False)
    if s[-1] <= 0:
        raise InputError("U_star, V_star: not of full column rank")
    return float(np.exp(s.size * np.log(s[0]) - np.sum(np.log(s)))), float(s[0] / s[-1]), float(s[-1])


def theorem_d5_factor(U_star, V_star) -> dict:
    """The factors of Theorem D.5 (``λ_min(H*) >= ρ / (λ(U*)λ(V*) max{κ(U*), κ(V*)})``, stated for
    ``σ_k(U*) = σ_k(V*) = 1`` and ``β₁₁ = 0``): ``lambda_U``, ``kappa_U``, ``sigma_k_U`` (and
    ``_V``) and ``factor = λ(U*)λ(V*) max κ``."""
    lu, ku, su = condition_numbers(U_star)
    lv, kv, sv = condition_numbers(V_star)
    return {"lambda_U": lu, "kappa_U": ku, "sigma_k_U": su, "lambda_V": lv, "kappa_V": kv, "sigma_k_V": sv,
            "factor": lu * lv * max(ku, kv)}


def orthonormality_error(M) -> float:
    """``max |MᵀM − I|`` (float)."""
    M = np.asarray(M, dtype=float)
    return float(np.abs(M.T @ M - np.eye(M.shape[1])).max())
