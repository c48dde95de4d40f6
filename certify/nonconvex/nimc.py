"""Non-linear inductive matrix completion (NIMC): model, data, loss, exact derivatives, population
Hessian, batched GD/SGD, recovery criterion.

Papers: Zhong, Jain, Song, Dhillon 2018, "Nonlinear Inductive Matrix Completion based on One-layer
Neural Networks" (arXiv preprint; seed 001, cited below as **ZJSD18**), and Zhong, Jain, Song,
Dhillon 2019, "Provable Non-linear Inductive Matrix Completion" (NeurIPS; seed 000, **ZJSD19**).

Model (ZJSD18 eq. (2)): ``A(x, y) = φ(U*ᵀx)ᵀ φ(V*ᵀy)`` with ``x, y ∈ R^d``, ``U*, V* ∈ R^{d×k}``
and ``φ`` one of ``sigmoid``, ``tanh``, ``relu`` or ``linear`` (linear φ is inductive matrix
completion, IMC).  Data model (ZJSD18 §2): ``n₁`` queries ``x ~ N(0, I_d)``, ``n₂`` items
``y ~ N(0, I_d)``, and ``Ω`` = ``m`` pairs drawn uniformly **with replacement** from the ``n₁ × n₂``
grid.

Loss convention (stated next to every number; derivatives are exact for it)::

    reduction="mean" (default):  f_Ω(U, V) = 1/(2|Ω|) Σ_{(x,y)∈Ω} (φ(Uᵀx)ᵀφ(Vᵀy) − A(x, y))²
    reduction="sum":             f_Ω(U, V) = ½ Σ_{(x,y)∈Ω} (…)²

The "mean" form is ZJSD19 eq. (4) (there for ReLU) and is the one whose Hessian is written in
ZJSD18 Appendix C with ``Ê_Ω = (1/|Ω|) Σ``; its expectation is the population risk
``f_D = ½ E[(…)²]`` (ZJSD18 eq. (7)), so ``∇²f_Ω`` and the population Hessian ``H*`` are on the
same scale.  ZJSD18 eq. (3) (no ½, no 1/|Ω|) is ``2 ×`` the "sum" form.

Parameters are packed as ``w = [vec(U); vec(V)] ∈ R^{2dk}`` with ``vec`` stacking columns
(``u_1, …, u_k, v_1, …, v_k``), the block order of ZJSD18 Appendix C.  Hessian (Appendix C, with
the residual ``h = φ(Uᵀx)ᵀφ(Vᵀy) − A(x, y)``)::

    ∂²f/∂u_i∂u_j = Ê[φ'(u_iᵀx)φ'(u_jᵀx) φ(v_iᵀy)φ(v_jᵀy) x xᵀ] + δ_ij Ê[h φ''(u_iᵀx) φ(v_iᵀy) x xᵀ]   (6)
    ∂²f/∂u_i∂v_j = Ê[φ'(u_iᵀx)φ'(v_jᵀy) φ(v_iᵀy)φ(u_jᵀx) x yᵀ] + δ_ij Ê[h φ'(u_iᵀx)φ'(v_iᵀy) x yᵀ]
    ∂²f/∂v_i∂v_j = (the u-u block with the roles of x and y exchanged)

(ReLU: ``φ'' = 0`` almost everywhere, so the ``φ''`` terms vanish for sampled data.)

Trials are batched: every array argument may carry a leading trials axis (``U`` of shape
``(trials, d, k)``, data sampled with ``trials=…``); results keep that axis.  There is no Python
loop over samples or trials.
"""

from __future__ import annotations

import importlib.util
import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from ..errors import InputError

__all__ = [
    "ACTIVATIONS",
    "RECOVERY_TOL",
    "activation_functions",
    "random_truth",
    "NIMCData",
    "sample_data",
    "pack",
    "unpack",
    "free_indices",
    "loss",
    "gradient",
    "hessian",
    "hvp",
    "population_hessian",
    "population_hessian_mc",
    "HessianEstimate",
    "lambda_min",
    "condition_numbers",
    "theorem_d5_bound",
    "CurvatureCheck",
    "check_curvature_bound",
    "perturbed_start",
    "default_step_size",
    "NIMCRun",
    "gd",
    "sgd",
    "relative_test_error",
    "recovered",
    "empirical_lambda_min",
    "local_convergence",
    "recovery_experiment",
]

ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
#: Success criterion of ZJSD18 §4.1: relative test error <= 1e-3 on fresh samples.
RECOVERY_TOL = 1e-3


# ----------------------------------------------------------------------------- activations


def _sig(z):
    return expit(z)


def _dsig(z):
    s = expit(z)
    return s * (1.0 - s)


def _ddsig(z):
    s = expit(z)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def _dtanh(z):
    t = np.tanh(z)
    return 1.0 - t * t


def _ddtanh(z):
    t = np.tanh(z)
    return -2.0 * t * (1.0 - t * t)


def _relu(z):
    return np.maximum(z, 0.0)


def _drelu(z):
    return (z > 0).astype(float)


def _zero(z):
    return np.zeros_like(z)


def _one(z):
    return np.ones_like(z)


def _ident(z):
    return np.asarray(z, dtype=float)


_ACT = {
    "sigmoid": (_sig, _dsig, _ddsig),
    "tanh": (np.tanh, _dtanh, _ddtanh),
    "relu": (_relu, _drelu, _zero),  # φ'(0) := 0; φ'' = 0 almost everywhere
    "linear": (_ident, _one, _zero),
}


def _vd_sigmoid(z):
    s = expit(z)
    return s, s * (1.0 - s)


def _vd_tanh(z):
    t = np.tanh(z)
    return t, 1.0 - t * t


def _vd_relu(z):
    return np.maximum(z, 0.0), (z > 0).astype(float)


def _vd_linear(z):
    return np.asarray(z, dtype=float), np.ones_like(z)


#: (φ, φ') in one pass (the GD hot loop)
_ACT_VD = {"sigmoid": _vd_sigmoid, "tanh": _vd_tanh, "relu": _vd_relu, "linear": _vd_linear}


def _check_activation(activation) -> str:
    if not isinstance(activation, str) or activation.strip().lower() not in ACTIVATIONS:
        raise InputError(f"activation: unknown activation {activation!r}; accepted: {', '.join(ACTIVATIONS)}")
    return activation.strip().lower()


def activation_functions(activation: str):
    """``(φ, φ', φ'')`` as vectorized NumPy functions (ReLU: ``φ'(0) = 0``, ``φ'' = 0``)."""
    return _ACT[_check_activation(activation)]


# ----------------------------------------------------------------------------- shapes


def _as_factor(M, name: str, d: int | None = None, k: int | None = None) -> np.ndarray:
    """A float array of shape ``(d, k)`` or ``(trials, d, k)``; :class:`InputError` otherwise."""
    try:
        A = np.array(M, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: expected a numeric array of shape (d, k) or (trials, d, k)") from exc
    if A.ndim == 1:
        A = A[:, None]
    if A.ndim not in (2, 3) or A.size == 0:
        raise InputError(f"{name}: expected shape (d, k) or (trials, d, k), got {np.shape(M)}")
    if not np.all(np.isfinite(A)):
        raise InputError(f"{name}: contains NaN or infinite entries")
    if d is not None and A.shape[-2] != d:
        raise InputError(f"{name}: expected d = {d} rows, got shape {A.shape}")
    if k is not None and A.shape[-1] != k:
        raise InputError(f"{name}: expected k = {k} columns, got shape {A.shape}")
    return A


def _batch(*arrays):
    """Promote factors to a common leading trials axis; returns (arrays..., single)."""
    single = all(a.ndim == 2 for a in arrays)
    T = max((a.shape[0] for a in arrays if a.ndim == 3), default=1)
    out = []
    for a in arrays:
        if a.ndim == 2:
            a = np.broadcast_to(a, (T,) + a.shape)
        elif a.shape[0] != T:
            raise InputError(f"trials: inconsistent leading (trials) axes {a.shape[0]} and {T}")
        out.append(np.ascontiguousarray(a))
    return (*out, single)


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_int(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_reduction(reduction: str) -> str:
    if reduction not in ("mean", "sum"):
        raise InputError(f"reduction: expected 'mean' (1/(2|Omega|) sum) or 'sum' (1/2 sum), got {reduction!r}")
    return reduction


# ----------------------------------------------------------------------------- ground truth and data


def random_truth(d: int, k: int, *, kappa: float | None = None, trials: int | None = None, seed=None):
    """Random ``(U*, V*)`` with ``σ_k(U*) = σ_k(V*) = 1`` (the normalization of ZJSD18 §2).

    ``kappa=None``: i.i.d. ``N(0, 1)`` entries, divided by ``σ_k``.  ``kappa=κ >= 1``: random
    orthonormal singular vectors and singular values spaced geometrically from 1 to κ
    (``kappa=1``: orthonormal columns; with ``d = k`` an orthogonal matrix, the setting of
    Lemma C.1).  ``trials`` adds a leading axis of independent draws."""
    d = _check_int(d, "d")
    k = _check_int(k, "k")
    if k > d:
        raise InputError(f"k: expected k <= d (U*, V* must have full column rank), got k = {k} > d = {d}")
    if kappa is not None and not (np.isfinite(kappa) and kappa >= 1.0):
        raise InputError(f"kappa: expected a condition number >= 1 (or None for Gaussian factors), got {kappa!r}")
    rng = _rng(seed)
    T = 1 if trials is None else _check_int(trials, "trials")

    def one():
        if kappa is None:
            G = rng.standard_normal((T, d, k))
            s = np.linalg.svd(G, compute_uv=False)[:, -1]
            return G / s[:, None, None]
        P = np.linalg.qr(rng.standard_normal((T, d, k)))[0]
        Q = np.linalg.qr(rng.standard_normal((T, k, k)))[0]
        sv = np.geomspace(1.0, float(kappa), k) if k > 1 else np.ones(1)
        return P @ (sv[:, None] * np.swapaxes(Q, 1, 2))

    U, V = one(), one()
    return (U[0], V[0]) if trials is None else (U, V)


@dataclass
class NIMCData:
    """Sampled NIMC data (ZJSD18 §2), with a leading trials axis on every array.

    ``X`` ``(T, n1, d)`` queries, ``Y`` ``(T, n2, d)`` items, ``rows``/``cols`` ``(T, m)`` the
    indices of the observed pairs ``Ω`` (uniform with replacement), ``A`` ``(T, m)`` the observed
    scores, ``U_star``/``V_star`` ``(T, d, k)`` the ground truth (None if unknown).  ``single``
    records whether the data was sampled without a trials axis (results then drop it)."""

    X: np.ndarray
    Y: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    A: np.ndarray
    activation: str
    U_star: np.ndarray | None = None
    V_star: np.ndarray | None = None
    single: bool = False
    _Xo: np.ndarray | None = field(default=None, repr=False)
    _Yo: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        self.activation = _check_activation(self.activation)
        for nm in ("X", "Y"):
            a = np.asarray(getattr(self, nm), dtype=float)
            if a.ndim == 2:
                a = a[None]
            if a.ndim != 3 or not np.all(np.isfinite(a)):
                raise InputError(f"{nm}: expected a finite array of shape (n, d) or (trials, n, d), got {np.shape(a)}")
            setattr(self, nm, a)
        if self.X.shape[2] != self.Y.shape[2] or self.X.shape[0] != self.Y.shape[0]:
            raise InputError(f"X, Y: expected the same trials and dimension d, got {self.X.shape} and {self.Y.shape}")
        T = self.X.shape[0]
        for nm in ("rows", "cols", "A"):
            a = np.asarray(getattr(self, nm))
            if a.ndim == 1:
                a = a[None]
            if a.ndim != 2 or a.shape[0] != T:
                raise InputError(f"{nm}: expected shape (m,) or (trials, m) with trials = {T}, got {np.shape(a)}")
            setattr(self, nm, a)
        if not (self.rows.shape == self.cols.shape == self.A.shape):
            raise InputError(f"rows, cols, A: expected equal shapes, got {self.rows.shape}, {self.cols.shape}, {self.A.shape}")
        if self.rows.size and (self.rows.min() < 0 or self.rows.max() >= self.X.shape[1]):
            raise InputError(f"rows: indices must lie in [0, n1 = {self.X.shape[1]})")
        if self.cols.size and (self.cols.min() < 0 or self.cols.max() >= self.Y.shape[1]):
            raise InputError(f"cols: indices must lie in [0, n2 = {self.Y.shape[1]})")
        self.A = np.asarray(self.A, dtype=float)

    @property
    def trials(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[2]

    @property
    def m(self) -> int:
        return self.rows.shape[1]

    @property
    def n1(self) -> int:
        return self.X.shape[1]

    @property
    def n2(self) -> int:
        return self.Y.shape[1]

    @property
    def Xo(self) -> np.ndarray:
        """Features of the observed queries, ``(T, m, d)`` (gathered once)."""
        if self._Xo is None:
            self._Xo = np.take_along_axis(self.X, self.rows[:, :, None], axis=1)
        return self._Xo

    @property
    def Yo(self) -> np.ndarray:
        if self._Yo is None:
            self._Yo = np.take_along_axis(self.Y, self.cols[:, :, None], axis=1)
        return self._Yo

    def subset(self, idx) -> "NIMCData":
        """The trials ``idx`` (an index array), sharing the gathered features."""
        idx = np.asarray(idx)
        sub = NIMCData(self.X[idx], self.Y[idx], self.rows[idx], self.cols[idx], self.A[idx], self.activation,
                       None if self.U_star is None else self.U_star[idx],
                       None if self.V_star is None else self.V_star[idx], single=False)
        sub._Xo = None if self._Xo is None else self._Xo[idx]
        sub._Yo = None if self._Yo is None else self._Yo[idx]
        return sub


def sample_data(U_star, V_star, n1: int, n2: int, m: int, activation: str, *, trials: int | None = None,
                seed=None) -> NIMCData:
    """Sample the NIMC data model of ZJSD18 §2: ``n1`` queries and ``n2`` items i.i.d. ``N(0, I_d)``,
    ``m = |Ω|`` pairs uniformly with replacement, scores ``A = φ(U*ᵀx)ᵀφ(V*ᵀy)`` (eq. (2)).

    ``U_star``/``V_star`` of shape ``(d, k)`` or ``(trials, d, k)``; ``trials`` draws that many
    independent data sets (for a single truth, or one per truth)."""
    activation = _check_activation(activation)
    U = _as_factor(U_star, "U_star")
    V = _as_factor(V_star, "V_star", d=U.shape[-2], k=U.shape[-1])
    n1, n2, m = _check_int(n1, "n1"), _check_int(n2, "n2"), _check_int(m, "m")
    U, V, single = _batch(U, V)
    if trials is not None:
        trials = _check_int(trials, "trials")
        if U.shape[0] not in (1, trials):
            raise InputError(f"trials: {trials} does not match the {U.shape[0]} ground truths given")
        U = np.ascontiguousarray(np.broadcast_to(U, (trials,) + U.shape[1:]))
        V = np.ascontiguousarray(np.broadcast_to(V, (trials,) + V.shape[1:]))
        single = False
    T, d, _ = U.shape
    rng = _rng(seed)
    X = rng.standard_normal((T, n1, d))
    Y = rng.standard_normal((T, n2, d))
    rows = rng.integers(0, n1, size=(T, m))
    cols = rng.integers(0, n2, size=(T, m))
    phi = _ACT[activation][0]
    P = phi(X @ U)
    Q = phi(Y @ V)
    A = np.einsum("tmk,tmk->tm", np.take_along_axis(P, rows[:, :, None], 1), np.take_along_axis(Q, cols[:, :, None], 1))
    return NIMCData(X, Y, rows, cols, A, activation, U, V, single=single)


# ----------------------------------------------------------------------------- packing


def pack(U, V) -> np.ndarray:
    """``w = [vec(U); vec(V)]`` (columns stacked), shape ``(2dk,)`` or ``(trials, 2dk)``."""
    U = np.asarray(U, dtype=float)
    V = np.asarray(V, dtype=float)
    return np.concatenate([np.swapaxes(U, -1, -2).reshape(U.shape[:-2] + (-1,)),
                           np.swapaxes(V, -1, -2).reshape(V.shape[:-2] + (-1,))], axis=-1)


def unpack(w, d: int, k: int):
    """Inverse of :func:`pack`."""
    w = np.asarray(w, dtype=float)
    if w.shape[-1] != 2 * d * k:
        raise InputError(f"w: expected last dimension 2dk = {2 * d * k}, got {w.shape}")
    U = np.swapaxes(w[..., : d * k].reshape(w.shape[:-1] + (k, d)), -1, -2)
    V = np.swapaxes(w[..., d * k:].reshape(w.shape[:-1] + (k, d)), -1, -2)
    return U, V


def free_indices(d: int, k: int, fix_first_row: bool = False) -> np.ndarray:
    """Indices of the free parameters in ``w``: all ``2dk``, or, for the ReLU variant of ZJSD19
    eq. (4), all but the first row of ``U`` (entries ``u_{1,i}``, packed index ``i·d``)."""
    idx = np.arange(2 * d * k)
    if fix_first_row:
        idx = idx[~np.isin(idx, np.arange(k) * d)]
    return idx


# ----------------------------------------------------------------------------- loss and derivatives


def _prepare(data: NIMCData, U, V):
    if not isinstance(data, NIMCData):
        raise InputError(f"data: expected NIMCData (see sample_data), got {type(data).__name__}")
    U = _as_factor(U, "U", d=data.d)
    V = _as_factor(V, "V", d=data.d, k=U.shape[-1])
    U, V, single = _batch(U, V)
    if U.shape[0] != data.trials:
        if U.shape[0] == 1:
            U = np.ascontiguousarray(np.broadcast_to(U, (data.trials,) + U.shape[1:]))
            V = np.ascontiguousarray(np.broadcast_to(V, (data.trials,) + V.shape[1:]))
        else:
            raise InputError(f"U, V: {U.shape[0]} trials given for data with {data.trials} trials")
    return U, V, single and data.single


def _forward(data: NIMCData, Xo, Yo, A, U, V):
    phi, dphi, ddphi = _ACT[data.activation]
    Zu = Xo @ U
    Zv = Yo @ V
    P, Q = phi(Zu), phi(Zv)
    r = np.einsum("tmk,tmk->tm", P, Q) - A
    return Zu, Zv, P, Q, r


def _scale(m: int, reduction: str) -> float:
    return 1.0 / m if reduction == "mean" else 1.0


def loss(data: NIMCData, U, V, *, reduction: str = "mean"):
    """``f_Ω(U, V)`` (module docstring for the convention); a float or one value per trial."""
    reduction = _check_reduction(reduction)
    U, V, single = _prepare(data, U, V)
    *_, r = _forward(data, data.Xo, data.Yo, data.A, U, V)
    f = 0.5 * _scale(data.m, reduction) * np.einsum("tm,tm->t", r, r)
    return float(f[0]) if single else f


def _grad(activation, Xo, Yo, A, U, V, scale):
    """Batched ``(∇_U f, ∇_V f, r)``; ``scale`` is 1/|Ω| (mean) or 1 (sum)."""
    vd = _ACT_VD[activation]
    P, P1 = vd(Xo @ U)
    Q, Q1 = vd(Yo @ V)
    r = (P * Q).sum(axis=-1) - A
    rs = (scale * r)[:, :, None]
    P1 *= Q
    P1 *= rs
    Q1 *= P
    Q1 *= rs
    gU = np.swapaxes(Xo, 1, 2) @ P1
    gV = np.swapaxes(Yo, 1, 2) @ Q1
    return gU, gV, r


def gradient(data: NIMCData, U, V, *, reduction: str = "mean", fix_first_row: bool = False):
    """``(∇_U f_Ω, ∇_V f_Ω)``, each with the shape of ``U``::

        ∇_{u_i} f = Ê[h · φ'(u_iᵀx) φ(v_iᵀy) x],   ∇_{v_i} f = Ê[h · φ'(v_iᵀy) φ(u_iᵀx) y]

    (``Ê`` the mean over Ω for ``reduction='mean'``, the sum for ``'sum'``).  ``fix_first_row``
    zeroes the first row of ``∇_U`` (ReLU variant, ZJSD19 eq. (4))."""
    reduction = _check_reduction(reduction)
    U, V, single = _prepare(data, U, V)
    gU, gV, _ = _grad(data.activation, data.Xo, data.Yo, data.A, U, V, _scale(data.m, reduction))
    if fix_first_row:
        gU[:, 0, :] = 0.0
    return (gU[0], gV[0]) if single else (gU, gV)


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
    I = np.eye(d)
    for i in range(k):
        for j in range(k):
            if i == j:
                T = b20 * np.eye(d)
                T[i, i] = b22
                T *= a20
                a = g * I[i]
                b = g * I[i]
            else:
                T = (b10**2) * np.eye(d)
                T[i, i] = T[j, j] = b12 * b10
                T[i, j] = T[j, i] = b11**2
                T *= a10**2
                a = b11 * a10 * I[i] + b10 * a11 * I[j]  # E[φ'(x_i) φ(x_j) x]
                b = b11 * a10 * I[j] + b10 * a11 * I[i]  # E[φ'(y_j) φ(y_i) y]
            si, sj = slice(i * d, (i + 1) * d), slice(j * d, (j + 1) * d)
            H[si, sj] = T  # u_i u_j
            H[d * k + i * d: d * k + (i + 1) * d, d * k + j * d: d * k + (j + 1) * d] = T  # v_i v_j
            H[si, d * k + j * d: d * k + (j + 1) * d] = np.outer(a, b)  # u_i v_j
    H[d * k:, :d * k] = H[:d * k, d * k:].T
    return H


_QUAD_L = 9.0  # truncation of the Gaussian plane: the mass outside [−9, 9]² is < 5e-19


def _gl_rule(n: int):
    """Tensor Gauss–Legendre rule on ``[−L, L]²`` with the standard normal density folded into the
    weights (Gauss–Legendre rather than Gauss–Hermite: its nodes are evenly spread, which resolves
    the narrow bumps of ``φ'(c·s)`` for large ``c`` that Gauss–Hermite misses)."""
    x, w = np.polynomial.legendre.leggauss(n)
    x = _QUAD_L * x
    w = _QUAD_L * w * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    X, Y = np.meshgrid(x, x, indexing="ij")
    return np.stack([X.ravel(), Y.ravel()], axis=1), np.outer(w, w).ravel()


def _auto_nodes(M_list, activation: str) -> int:
    """Nodes per axis for the smooth rule: the integrand is analytic in a strip of half-width
    ``τ = π/c`` (sigmoid) or ``π/(2c)`` (tanh), ``c`` the largest column norm; Gauss–Legendre on
    ``[−L, L]`` then converges like ``(1 + τ/L)^{−2n}``; ``n = 26 L/τ`` gives ~1e-15 in practice
    (measured against the exact orthogonal case: error 5e-12 at ``18 L/τ``, 5e-15 at ``26 L/τ``)."""
    if activation == "linear":
        return 64  # entire integrand (polynomial × Gaussian)
    c = max(float(np.max(np.linalg.norm(M, axis=0))) for M in M_list)
    tau = math.pi / max(c, 1e-12) / (2.0 if activation == "tanh" else 1.0)
    return int(min(1200, max(64, math.ceil(26 * _QUAD_L / tau))))


def _pair_frames(M: np.ndarray):
    """For every pair (i, j): an orthonormal ``Q_ij ∈ R^{d×2}`` whose span contains ``m_i, m_j``,
    and the coordinates ``a = Q_ijᵀ m_i``, ``b = Q_ijᵀ m_j``."""
    d, k = M.shape
    pairs = np.stack(np.broadcast_arrays(M.T[:, None, :], M.T[None, :, :]), axis=-1)  # (k, k, d, 2)
    Q = np.linalg.qr(pairs, mode="reduced")[0]  # Householder: orthonormal even when m_i ∥ m_j
    a = np.einsum("ijdq,id->ijq", Q, M.T)
    b = np.einsum("ijdq,jd->ijq", Q, M.T)
    return Q, a, b


def _factor_expectations_smooth(M, activation, nodes):
    """``S_ij = E[φ(m_iᵀx)φ(m_jᵀx)]``, ``W_ij = E[φ'(m_iᵀx)φ(m_jᵀx) x]``,
    ``T_ij = E[φ'(m_iᵀx)φ'(m_jᵀx) x xᵀ]`` by a tensor rule in the plane of ``(m_i, m_j)``
    (``x = Q s + Q⊥ t`` with ``t`` independent of ``s``)."""
    phi, dphi, _ = _ACT[activation]
    d, k = M.shape
    Q, a, b = _pair_frames(M)
    s, w = _gl_rule(nodes)
    S = np.empty((k, k))
    W2 = np.empty((k, k, 2))
    T2 = np.empty((k, k, 2, 2))
    T0 = np.empty((k, k))
    ss = s[:, :, None] * s[:, None, :]
    for i in range(k):  # chunks of k pairs bound the memory (nodes² · k values)
        za = np.einsum("jq,nq->jn", a[i], s)
        zb = np.einsum("jq,nq->jn", b[i], s)
        fa, fb, ga, gb = phi(za), phi(zb), dphi(za), dphi(zb)
        S[i] = (fa * fb) @ w
        W2[i] = (ga * fb * w) @ s
        gg = ga * gb * w
        T2[i] = np.einsum("jn,nqr->jqr", gg, ss)
        T0[i] = gg.sum(axis=1)
    return _assemble_factor(Q, S, W2, T2, T0, d)


def _assemble_factor(Q, S, W2, T2, T0, d):
    W = np.einsum("ijdq,ijq->ijd", Q, W2)
    QQ = np.einsum("ijdq,ijeq->ijde", Q, Q)
    T = np.einsum("ijdq,ijqr,ijer->ijde", Q, T2, Q) + T0[:, :, None, None] * (np.eye(d) - QQ)
    return S, W, T


# radial moments  M_p = ∫_0^∞ r^{p+1} e^{−r²/2} dr  (2-D polar coordinates)
_RADIAL = {0: 1.0, 1: math.sqrt(math.pi / 2), 2: 2.0, 3: 3 * math.sqrt(math.pi / 2), 4: 8.0}


def _factor_expectations_homogeneous(M, activation, nodes):
    """The same expectations for positively homogeneous φ (ReLU, linear), in polar coordinates:
    ``φ(r t) = r φ(t)``, ``φ'(r t) = φ'(t)`` make the radial integral a closed-form moment and the
    angular integrand smooth between the zeros of ``m_iᵀω``, ``m_jᵀω`` (Gauss–Legendre per arc)."""
    phi, dphi, _ = _ACT[activation]
    d, k = M.shape
    Q, a, b = _pair_frames(M)
    gl_x, gl_w = np.polynomial.legendre.leggauss(nodes)
    S = np.zeros((k, k))
    W2 = np.zeros((k, k, 2))
    T2 = np.zeros((k, k, 2, 2))
    T0 = np.zeros((k, k))
    for i in range(k):  # k² pairs, each a 1-D angular quadrature (not a loop over samples)
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


def _hessian_from_factor_expectations(SU, WU, TU, SV, WV, TV) -> np.ndarray:
    k, _, d = WU.shape
    kd = k * d
    Huu = TU * SV[:, :, None, None]  # (i, j, d, d)
    Hvv = TV * SU[:, :, None, None]
    Huv = np.einsum("ijp,jiq->ijpq", WU, WV)  # E[φ'(u_iᵀx)φ(u_jᵀx)x] E[φ'(v_jᵀy)φ(v_iᵀy)y]ᵀ
    H = np.zeros((2 * kd, 2 * kd))
    H[:kd, :kd] = Huu.transpose(0, 2, 1, 3).reshape(kd, kd)
    H[kd:, kd:] = Hvv.transpose(0, 2, 1, 3).reshape(kd, kd)
    H[:kd, kd:] = Huv.transpose(0, 2, 1, 3).reshape(kd, kd)
    H[kd:, :kd] = H[:kd, kd:].T
    return 0.5 * (H + H.T)


def population_hessian(U_star, V_star, activation: str, *, method: str = "auto", nodes: int | None = None,
                       return_error: bool = False):
    """The population Hessian ``H* = ∇²f_D(U*, V*)`` of ``f_D = ½ E[(φ(Uᵀx)ᵀφ(Vᵀy) − A(x, y))²]``
    (ZJSD18 eq. (7)), ``x, y ~ N(0, I_d)``, as a ``(2dk, 2dk)`` array in the packing of
    :func:`pack`.  At the ground truth the residual vanishes and the blocks are (Appendix C.1)::

        H_{u_i u_j} = E[φ'(u_iᵀx)φ'(u_jᵀx) x xᵀ] · E[φ(v_iᵀy)φ(v_jᵀy)]
        H_{u_i v_j} = E[φ'(u_iᵀx)φ(u_jᵀx) x] · E[φ'(v_jᵀy)φ(v_iᵀy) y]ᵀ

    Methods:

    * ``"moments"`` (``d = k``, ``U*``, ``V*`` orthogonal): exact from the one-dimensional moments
      α, β, γ of :mod:`certify.constants.nimc` (enclosure midpoints, error ~1e-16).
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
    activation = _check_activation(activation)
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
        from ..constants import nimc as _const  # noqa: PLC0415

        mom = {name: e.mid for name, e in _const.moments(activation).items()}
        H0 = _orthogonal_hessian_from_moments(k, mom)
        R = np.zeros((2 * d * k, 2 * d * k))
        for i in range(k):
            R[i * d:(i + 1) * d, i * d:(i + 1) * d] = U
            R[d * k + i * d: d * k + (i + 1) * d, d * k + i * d: d * k + (i + 1) * d] = V
        H = R @ H0 @ R.T
        H = 0.5 * (H + H.T)
        return (H, 64 * np.finfo(float).eps * max(1.0, np.abs(H).max())) if return_error else H

    if nodes is not None:
        nodes = _check_int(nodes, "nodes", 4)
    homogeneous = activation == "relu"
    n = nodes or (24 if homogeneous else _auto_nodes([U, V], activation))
    if d == 1:  # embed in R^2 (an independent extra coordinate) and read off the (1, 1) part
        Hp, err = population_hessian(np.vstack([U, [[0.0]]]), np.vstack([V, [[0.0]]]), activation,
                                     method="quadrature", nodes=n, return_error=True)
        H = Hp[np.ix_([0, 2], [0, 2])]
        return (H, err) if return_error else H

    def compute(nn):
        f = _factor_expectations_homogeneous if homogeneous else _factor_expectations_smooth
        return _hessian_from_factor_expectations(*f(U, activation, nn), *f(V, activation, nn))

    H = compute(n)
    if not return_error:
        return H
    err = float(np.abs(H - compute(int(math.ceil(1.5 * n)))).max())
    return H, err


@dataclass
class HessianEstimate:
    """A Monte Carlo estimate of ``H*`` and of ``λ_min(H*)`` with a confidence radius.

    ``lam_min`` is ``λ_min(Ĥ)``; with probability about ``confidence`` (see
    :func:`population_hessian_mc` for what "about" means) ``|λ_min(H*) − lam_min| <= radius``."""

    H: np.ndarray
    lam_min: float
    radius: float
    confidence: float
    samples: int
    batches: int
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
    activation = _check_activation(activation)
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
    rng = _rng(seed)
    nb = samples // batches
    phi, dphi, _ = _ACT[activation]
    idx = free_indices(d, k, fix_first_row)
    Hb = np.empty((batches, idx.size, idx.size))
    for b in range(batches):  # memory-bounded batches; each batch is vectorized
        x = rng.standard_normal((nb, d))
        y = rng.standard_normal((nb, d))
        Zu, Zv = x @ U, y @ V
        Ju = ((dphi(Zu) * phi(Zv))[:, :, None] * x[:, None, :]).reshape(nb, -1)
        Jv = ((dphi(Zv) * phi(Zu))[:, :, None] * y[:, None, :]).reshape(nb, -1)
        J = np.concatenate([Ju, Jv], axis=1)[:, idx]
        Hb[b] = J.T @ J / nb
    H = Hb.mean(axis=0)
    s2 = float(np.sum((Hb - H) ** 2) / (batches * (batches - 1)))
    radius = math.sqrt(s2 / (1.0 - confidence))
    lam = float(np.linalg.eigvalsh(H)[0])
    return HessianEstimate(H=H, lam_min=lam, radius=radius, confidence=confidence, samples=nb * batches, batches=batches)


# ----------------------------------------------------------------------------- bounds and checks


def lambda_min(H, *, d: int | None = None, k: int | None = None, fix_first_row: bool = False) -> float:
    """Smallest eigenvalue of a symmetric ``H`` (optionally restricted to :func:`free_indices`)."""
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or not np.all(np.isfinite(H)):
        raise InputError(f"H: expected a finite square matrix, got shape {H.shape}")
    if fix_first_row:
        if d is None or k is None or H.shape[0] != 2 * d * k:
            raise InputError("fix_first_row: give d and k with H of shape (2dk, 2dk)")
        idx = free_indices(d, k, True)
        H = H[np.ix_(idx, idx)]
    return float(np.linalg.eigvalsh(0.5 * (H + H.T))[0])


def condition_numbers(M) -> tuple[float, float, float]:
    """``(λ(M), κ(M), σ_k(M))`` of Definition 3.1 (ZJSD18): ``λ = σ₁^k / Π σ_i``, ``κ = σ₁/σ_k``."""
    M = _as_factor(M, "M")
    if M.ndim != 2:
        raise InputError(f"M: expected shape (d, k), got {M.shape}")
    s = np.linalg.svd(M, compute_uv=False)
    if s[-1] <= 0:
        raise InputError("M: not of full column rank")
    k = s.size
    lam = float(np.exp(k * np.log(s[0]) - np.sum(np.log(s))))
    return lam, float(s[0] / s[-1]), float(s[-1])


def theorem_d5_bound(U_star, V_star, rho: float, *, tol: float = 1e-8) -> float:
    """``ρ / (λ(U*) λ(V*) max{κ(U*), κ(V*)})``, the lower bound on ``λ_min(H*)`` of ZJSD18
    Theorem D.5 (stated for ``σ_k(U*) = σ_k(V*) = 1`` and ``β₁₁ = 0``).  ``rho`` a float or an
    :class:`~certify.constants.nimc.Enclosure` (its ``hi`` is used: the bound is then an upper
    estimate of what the theorem gives, i.e. the comparison ``λ_min >= bound`` is the harder one)."""
    r = float(getattr(rho, "hi", rho))
    lu, ku, su = condition_numbers(U_star)
    lv, kv, sv = condition_numbers(V_star)
    if abs(su - 1) > tol or abs(sv - 1) > tol:
        raise InputError(f"U_star, V_star: Theorem D.5 assumes sigma_k = 1, got {su:.6g} and {sv:.6g} "
                         "(divide each factor by its smallest singular value, e.g. random_truth does)")
    return r / (lu * lv * max(ku, kv))


@dataclass
class CurvatureCheck:
    """Outcome of :func:`check_curvature_bound`.

    ``status``: ``"certified"`` (``lam_min − error >= bound``: the bound holds with room),
    ``"tight"`` (``|lam_min − bound| <= error``: consistent, equality within the error — e.g. Lemma
    C.1 is attained for tanh and, for k >= 3, sigmoid) or ``"rejected"`` (``lam_min + error < bound``:
    the spectrum contradicts the claimed bound).  ``ok`` is False only for ``"rejected"``."""

    ok: bool
    status: str
    lam_min: float
    bound: float
    error: float
    gap: float
    message: str


def check_curvature_bound(H, bound, *, error: float | None = None, d: int | None = None, k: int | None = None,
                          fix_first_row: bool = False) -> CurvatureCheck:
    """Check a claimed lower bound ``λ_min(H) >= bound`` (e.g. ``ρ`` of Lemma C.1 or the bound of
    Theorem D.5) against the eigenvalues of ``H`` computed here, independently of how the bound was
    obtained.  ``bound`` may be a float or an Enclosure (its ``hi``: the check must hold for every
    value in the enclosure).  ``error`` bounds the error of ``H`` itself in spectral norm
    (quadrature or Monte Carlo radius; by Weyl it moves ``λ_min`` by at most that much); the
    rounding error of ``eigvalsh`` is added.  A value the computed spectrum contradicts is rejected."""
    b = float(getattr(bound, "hi", bound))
    if not np.isfinite(b):
        raise InputError(f"bound: expected a finite number, got {bound!r}")
    lam = lambda_min(H, d=d, k=k, fix_first_row=fix_first_row)
    Hn = np.asarray(H, dtype=float)
    rounding = 16 * Hn.shape[0] * np.finfo(float).eps * float(np.linalg.norm(Hn, 2))
    if error is not None and not (np.isfinite(error) and error >= 0):
        raise InputError(f"error: expected a non-negative number, got {error!r}")
    err = rounding + (0.0 if error is None else float(error))
    if lam - err >= b:
        status, msg = "certified", f"lambda_min = {lam:.9g} >= bound {b:.9g} (gap {lam - b:.3g}, error <= {err:.2g})"
    elif lam + err >= b:
        status, msg = "tight", (f"lambda_min = {lam:.9g} equals the bound {b:.9g} within the error {err:.2g} "
                                f"(gap {lam - b:.3g})")
    else:
        status, msg = "rejected", f"REJECTED: lambda_min = {lam:.9g} < bound {b:.9g} (violated by {b - lam:.3g})"
    return CurvatureCheck(ok=status != "rejected", status=status, lam_min=lam, bound=b, error=err, gap=lam - b,
                          message=msg)


# ----------------------------------------------------------------------------- optimization


def perturbed_start(U_star, V_star, alpha: float, *, seed=None, fix_first_row: bool = False):
    """``W⁰ = (1 − α) W* + α W_rand`` with ``W_rand`` i.i.d. ``N(0, 1)`` (ZJSD19 §4); batched over a
    leading trials axis of the truth.  ``fix_first_row`` keeps the first row of ``U*``."""
    U = _as_factor(U_star, "U_star")
    V = _as_factor(V_star, "V_star", d=U.shape[-2], k=U.shape[-1])
    if not (np.isfinite(alpha) and 0.0 <= alpha <= 1.0):
        raise InputError(f"alpha: expected a number in [0, 1], got {alpha!r}")
    rng = _rng(seed)
    U0 = (1 - alpha) * U + alpha * rng.standard_normal(U.shape)
    V0 = (1 - alpha) * V + alpha * rng.standard_normal(V.shape)
    if fix_first_row:
        U0[..., 0, :] = U[..., 0, :]
    return U0, V0


def default_step_size(data: NIMCData, U, V, *, fix_first_row: bool = False, iterations: int = 40,
                      safety: float = 0.9, seed=0) -> np.ndarray:
    """``safety / |λ|_max(∇²f_Ω(U, V))`` per trial (mean convention), by power iteration with
    Hessian-vector products (ZJSD18 Theorem 3.3 takes ``η = Θ(1/M_u)``)."""
    U, V, _ = _prepare(data, U, V)
    rng = _rng(seed)
    dU = rng.standard_normal(U.shape)
    dV = rng.standard_normal(V.shape)
    lam = np.zeros(U.shape[0])
    for _ in range(iterations):
        if fix_first_row:
            dU[:, 0, :] = 0.0
        nrm = np.sqrt(np.einsum("tdk,tdk->t", dU, dU) + np.einsum("tdk,tdk->t", dV, dV))[:, None, None]
        dU, dV = dU / nrm, dV / nrm
        HU, HV = _hvp(data.activation, data.Xo, data.Yo, data.A, U, V, dU, dV, 1.0 / data.m)
        if fix_first_row:
            HU[:, 0, :] = 0.0
        lam = np.sqrt(np.einsum("tdk,tdk->t", HU, HU) + np.einsum("tdk,tdk->t", HV, HV))
        dU, dV = HU, HV
    lam = np.where(lam > 0, lam, 1.0)
    return safety / lam


@dataclass
class NIMCRun:
    """Final iterates and history of a batch of (S)GD runs.

    ``U``, ``V``: ``(trials, d, k)``; ``loss``: final ``f_Ω`` (mean convention); ``steps``: steps
    taken per trial (fewer when ``rtol`` stopped it); ``history``: ``{"step": (R,), "loss": (R, T),
    "dist": (R, T)}`` recorded every ``record_every`` steps (``dist = ||W − W*||_F`` when the data
    carries the truth); ``diverged``: trials whose loss became non-finite (frozen there)."""

    U: np.ndarray
    V: np.ndarray
    loss: np.ndarray
    steps: np.ndarray
    step_size: np.ndarray
    diverged: np.ndarray
    history: dict
    settings: dict
    elapsed: float


def _dist(U, V, Us, Vs):
    if Us is None:
        return np.full(U.shape[0], np.nan)
    return np.sqrt(np.einsum("tdk,tdk->t", U - Us, U - Us) + np.einsum("tdk,tdk->t", V - Vs, V - Vs))


def _run(data, U0, V0, *, steps, step_size, fix_first_row, rtol, record_every, batch, decay, seed, progress, method):
    if not isinstance(data, NIMCData):
        raise InputError(f"data: expected NIMCData (see sample_data), got {type(data).__name__}")
    steps = _check_int(steps, "steps", 0)
    U, V, _ = _prepare(data, U0, V0)
    U, V = U.copy(), V.copy()
    T = U.shape[0]
    if step_size is None:
        eta = default_step_size(data, U, V, fix_first_row=fix_first_row)
        if method == "sgd":
            eta = 0.5 * eta
    else:
        eta = np.broadcast_to(np.asarray(step_size, dtype=float), (T,)).copy()
        if not np.all(np.isfinite(eta) & (eta > 0)):
            raise InputError(f"step_size: expected positive step size(s), got {step_size!r}")
    if decay is not None and not (np.isfinite(decay) and decay > 0):
        raise InputError(f"decay: expected a positive number of steps or None, got {decay!r}")
    if rtol is not None and not (np.isfinite(rtol) and rtol >= 0):
        raise InputError(f"rtol: expected a non-negative number or None, got {rtol!r}")
    record_every = _check_int(record_every or max(1, steps // 200), "record_every")
    if batch is not None:
        batch = _check_int(batch, "batch")
    rng = _rng(seed)
    A2 = 0.5 * np.mean(data.A**2, axis=1)  # f_Ω(0-prediction scale): relative loss reference
    done_steps = np.zeros(T, dtype=int)
    diverged = np.zeros(T, dtype=bool)
    active = np.arange(T)
    Xo, Yo, A = data.Xo, data.Yo, data.A
    Us, Vs = data.U_star, data.V_star
    hist_step, hist_loss, hist_dist = [], [], []
    bar = None
    if progress:
        from ..progress import Progress  # noqa: PLC0415

        bar = Progress(steps, label=f"NIMC {method}")
    t0 = time.perf_counter()

    def full_loss(idx, Ua, Va):
        Zu, Zv = data.Xo[idx] @ Ua, data.Yo[idx] @ Va
        phi = _ACT[data.activation][0]
        r = np.einsum("tmk,tmk->tm", phi(Zu), phi(Zv)) - data.A[idx]
        return 0.5 * np.mean(r * r, axis=1)

    def record(s):
        hist_step.append(s)
        hist_loss.append(full_loss(np.arange(T), U, V))
        hist_dist.append(_dist(U, V, Us, Vs))

    record(0)
    scale = 1.0 / data.m
    for s in range(1, steps + 1):
        if active.size == 0:
            break
        Ua, Va = U[active], V[active]
        if method == "gd":
            gU, gV, r = _grad(data.activation, Xo, Yo, A, Ua, Va, scale)
        else:
            j = rng.integers(0, data.m, size=(active.size, batch))
            Xb = np.take_along_axis(Xo, j[:, :, None], 1)
            Yb = np.take_along_axis(Yo, j[:, :, None], 1)
            gU, gV, r = _grad(data.activation, Xb, Yb, np.take_along_axis(A, j, 1), Ua, Va, 1.0 / batch)
        if fix_first_row:
            gU[:, 0, :] = 0.0
        e = eta[active] if decay is None else eta[active] / (1.0 + (s - 1) / decay)
        Ua = Ua - e[:, None, None] * gU
        Va = Va - e[:, None, None] * gV
        bad = ~(np.all(np.isfinite(Ua), axis=(1, 2)) & np.all(np.isfinite(Va), axis=(1, 2)))
        good = ~bad
        U[active[good]] = Ua[good]
        V[active[good]] = Va[good]
        done_steps[active[good]] = s
        diverged[active[bad]] = True
        changed = bad.any()
        if rtol is not None and (s % 25 == 0 or s == steps):
            f = full_loss(active, U[active], V[active])
            conv = f <= rtol * A2[active]
            changed = changed or conv.any()
            good = good & ~conv
        if changed:
            active = active[good]
            Xo, Yo, A = data.Xo[active], data.Yo[active], data.A[active]
        if s % record_every == 0 or s == steps:
            record(s)
        if bar is not None:
            bar.update(s)
    if bar is not None:
        bar.close()
    if done_steps.max(initial=0) > hist_step[-1]:  # every trial stopped early: record where they ended
        record(int(done_steps.max()))
    final = full_loss(np.arange(T), U, V)
    final[diverged] = np.inf
    hist = {"step": np.array(hist_step), "loss": np.array(hist_loss), "dist": np.array(hist_dist)}
    settings = {"method": method, "steps": steps, "step_size": "1/|lambda|_max(Hessian at W0) x 0.9" if step_size is None
                else "given", "fix_first_row": fix_first_row, "rtol": rtol, "batch": batch, "decay": decay,
                "loss": "mean: 1/(2|Omega|) sum (phi(U^T x)^T phi(V^T y) - A)^2"}
    return NIMCRun(U=U, V=V, loss=final, steps=done_steps, step_size=eta, diverged=diverged, history=hist,
                   settings=settings, elapsed=time.perf_counter() - t0)


def gd(data: NIMCData, U0, V0, *, steps: int = 1000, step_size=None, fix_first_row: bool = False,
       rtol: float | None = None, record_every: int | None = None, progress: bool = False) -> NIMCRun:
    """Full-gradient descent ``W ← W − η ∇f_Ω(W)`` (mean convention), batched over trials.

    ``step_size``: a float or one per trial; default ``0.9/|λ|_max(∇²f_Ω(W⁰))`` per trial.
    ``rtol``: stop a trial once ``f_Ω <= rtol · ½ mean(A²)`` (checked every 25 steps).
    ``fix_first_row``: the ReLU variant of ZJSD19 eq. (4) (first row of ``U`` stays at ``U0``'s)."""
    return _run(data, U0, V0, steps=steps, step_size=step_size, fix_first_row=fix_first_row, rtol=rtol,
                record_every=record_every, batch=None, decay=None, seed=None, progress=progress, method="gd")


def sgd(data: NIMCData, U0, V0, *, steps: int = 1000, batch: int = 32, step_size=None, decay: float | None = None,
        fix_first_row: bool = False, rtol: float | None = None, record_every: int | None = None, seed=None,
        progress: bool = False) -> NIMCRun:
    """Minibatch SGD: each step draws ``batch`` observations of Ω uniformly with replacement (per
    trial) and steps along the minibatch mean gradient, an unbiased estimate of ``∇f_Ω`` (mean
    convention).  Default step: half the GD default; ``decay``: ``η_t = η / (1 + t/decay)``."""
    return _run(data, U0, V0, steps=steps, step_size=step_size, fix_first_row=fix_first_row, rtol=rtol,
                record_every=record_every, batch=batch, decay=decay, seed=seed, progress=progress, method="sgd")


def relative_test_error(U, V, U_star, V_star, activation: str, *, n_test: int = 500, seed=None):
    """Relative test error on fresh samples (ZJSD18 §4.1):
    ``||φ(X_t U)φ(Y_t V)ᵀ − φ(X_t U*)φ(Y_t V*)ᵀ||_F / ||φ(X_t U*)φ(Y_t V*)ᵀ||_F`` with new
    ``X_t, Y_t ∈ R^{n_test × d}``.  (The seed prints ``φ(X_tU)φ(X_tU)ᵀ`` on both sides, which only
    tests ``U``; the two-sided form is the model's prediction error and is invariant under the
    redundancies ``(U*D, V*D⁻¹)`` of ReLU.)  A float or one value per trial."""
    activation = _check_activation(activation)
    Us = _as_factor(U_star, "U_star")
    Vs = _as_factor(V_star, "V_star", d=Us.shape[-2], k=Us.shape[-1])
    U = _as_factor(U, "U", d=Us.shape[-2], k=Us.shape[-1])
    V = _as_factor(V, "V", d=Us.shape[-2], k=Us.shape[-1])
    U, V, Us, Vs, single = _batch(U, V, Us, Vs)
    n_test = _check_int(n_test, "n_test")
    rng = _rng(seed)
    T, d, _ = U.shape
    Xt = rng.standard_normal((T, n_test, d))
    Yt = rng.standard_normal((T, n_test, d))
    phi = _ACT[activation][0]
    R = phi(Xt @ U) @ np.swapaxes(phi(Yt @ V), 1, 2)
    Rs = phi(Xt @ Us) @ np.swapaxes(phi(Yt @ Vs), 1, 2)
    num = np.sqrt(np.sum((R - Rs) ** 2, axis=(1, 2)))
    den = np.sqrt(np.sum(Rs**2, axis=(1, 2)))
    err = num / np.where(den > 0, den, 1.0)
    return float(err[0]) if single else err


def recovered(err, tol: float = RECOVERY_TOL):
    """The success criterion of ZJSD18 §4.1: relative test error ``<= tol`` (1e-3)."""
    return np.asarray(err) <= tol


# ----------------------------------------------------------------------------- studies


def empirical_lambda_min(U_star, V_star, activation: str, *, radius: float, m: int, n: int, trials: int = 5,
                         fix_first_row: bool = False, seed=None) -> np.ndarray:
    """``λ_min(∇²f_Ω(U, V))`` (mean convention) at ``trials`` random points with
    ``||W − W*||_F = radius`` (uniformly random direction; with ``fix_first_row`` the direction does
    not move the first row of U), each with freshly sampled data (``n₁ = n₂ = n``, ``|Ω| = m``)."""
    activation = _check_activation(activation)
    if not (np.isfinite(radius) and radius >= 0):
        raise InputError(f"radius: expected a non-negative number, got {radius!r}")
    rng = _rng(seed)
    data = sample_data(U_star, V_star, n, n, m, activation, trials=trials, seed=rng)
    Us, Vs = data.U_star, data.V_star
    dU = rng.standard_normal(Us.shape)
    dV = rng.standard_normal(Vs.shape)
    if fix_first_row:
        dU[:, 0, :] = 0.0
    nrm = np.sqrt(np.einsum("tdk,tdk->t", dU, dU) + np.einsum("tdk,tdk->t", dV, dV))[:, None, None]
    H = hessian(data, Us + radius * dU / nrm, Vs + radius * dV / nrm, fix_first_row=fix_first_row)
    return np.linalg.eigvalsh(H)[:, 0]


def local_convergence(U_star, V_star, activation: str, *, n: int, m: int, alpha: float = 0.1, steps: int = 2000,
                      trials: int = 3, fix_first_row: bool = False, seed=None) -> dict:
    """GD from ``W⁰ = (1 − α)W* + αW_rand`` with ``η = 1/λ_max(∇²f_Ω(W*))`` (per trial), compared
    with the local theory.

    Returns the distance history and: ``lam_min``, ``lam_max`` of ``∇²f_Ω(W*)``; the measured
    per-step contraction of ``||W − W*||_F`` (geometric mean over the last half of the run, while
    the distance is above 1e-10); the rate predicted by linearizing GD at ``W*``,
    ``max_i |1 − η λ_i| = 1 − λ_min/λ_max``; and the per-step bound of ZJSD18 Theorem 3.3 with
    the sharpest constants ``M_l = λ_min``, ``M_u = λ_max``: ``√(1 − M_l/M_u)`` for the distance
    (the theorem states ``1 − M_l/M_u`` for its square, with fresh samples at every step; here Ω
    is reused, so the iterates converge to the empirical minimizer, which is ``W*`` in this
    noiseless realizable model)."""
    activation = _check_activation(activation)
    rng = _rng(seed)
    data = sample_data(U_star, V_star, n, n, m, activation, trials=trials, seed=rng)
    Us, Vs = data.U_star, data.V_star
    H = hessian(data, Us, Vs, fix_first_row=fix_first_row)
    ev = np.linalg.eigvalsh(H)
    lmin, lmax = ev[:, 0], ev[:, -1]
    eta = 1.0 / lmax
    U0, V0 = perturbed_start(Us, Vs, alpha, seed=rng, fix_first_row=fix_first_row)
    run = gd(data, U0, V0, steps=steps, step_size=eta, fix_first_row=fix_first_row, record_every=1)
    dist = run.history["dist"]  # (steps+1, T)
    measured = np.full(trials, np.nan)
    for t in range(trials):  # per-trial fit over a short vector
        dt = dist[:, t]
        ok = np.nonzero(dt > 1e-10)[0]
        if ok.size >= 4:
            last = ok[-1]
            first = last // 2
            if last > first:
                measured[t] = float(np.exp((np.log(dt[last]) - np.log(dt[first])) / (last - first)))
    with np.errstate(invalid="ignore"):
        predicted = np.maximum(np.abs(1 - eta * lmin), np.abs(1 - eta * lmax))
        bound = np.sqrt(np.clip(1 - lmin / lmax, 0, None))
    return {"dist": dist, "steps": run.history["step"], "lam_min": lmin, "lam_max": lmax, "eta": eta,
            "measured_rate": measured, "predicted_rate": predicted, "theorem_3_3_rate": bound,
            "final_test_error": relative_test_error(run.U, run.V, Us, Vs, activation, seed=rng),
            "settings": {"n": n, "m": m, "alpha": alpha, "steps": steps, "trials": trials,
                         "fix_first_row": fix_first_row, "loss": "mean"}}


def _finite(x):
    x = float(x)
    return x if math.isfinite(x) else None


def recovery_experiment(activation: str, n: int, m: int, *, d: int = 10, k: int = 5, trials: int = 5,
                        alpha: float = 1.0, steps: int = 5000, kappa: float | None = None, rtol: float = 1e-10,
                        tol: float = RECOVERY_TOL, n_test: int | None = None, fix_first_row: bool = False,
                        seed=None) -> dict:
    """One cell of the synthetic phase-transition experiment (ZJSD18 §4.1): ``trials`` independent
    instances (ground truth from :func:`random_truth` with ``σ_k = 1``, data with ``n₁ = n₂ = n``,
    ``|Ω| = m``), GD from ``W⁰ = (1 − α)W* + αW_rand`` (``α = 1``: random initialization, as in
    the paper's Figure 1 (c)(d) per ZJSD19 §4) for at most ``steps`` steps (a trial stops early once
    ``f_Ω <= rtol · ½ mean(A²)``), success = relative test error on fresh samples (``n_test``,
    default ``max(n, 100)`` per side) ``<= tol``.  Batched over trials."""
    activation = _check_activation(activation)
    rng = _rng(seed)
    Us, Vs = random_truth(d, k, kappa=kappa, trials=trials, seed=rng)
    data = sample_data(Us, Vs, n, n, m, activation, seed=rng)
    U0, V0 = perturbed_start(Us, Vs, alpha, seed=rng, fix_first_row=fix_first_row)
    run = gd(data, U0, V0, steps=steps, rtol=rtol, fix_first_row=fix_first_row, record_every=max(steps, 1))
    err = relative_test_error(run.U, run.V, Us, Vs, activation, n_test=n_test or max(n, 100), seed=rng)
    ok = recovered(err, tol)
    return {"activation": activation, "n": int(n), "m": int(m), "trials": int(trials),
            "successes": int(ok.sum()), "rate": float(ok.mean()), "test_errors": [_finite(e) for e in err],
            "train_loss": [_finite(f) for f in run.loss], "steps": [int(s) for s in run.steps],
            "diverged": int(run.diverged.sum()), "elapsed": run.elapsed}
