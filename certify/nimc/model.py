"""Non-linear inductive matrix completion (NIMC): the model — activations, ground truth, the data
model, packing, the loss and its gradient (Hessians: :mod:`.hessian`; GD/SGD: :mod:`.training`).

Papers: Zhong, Jain, Song, Dhillon 2018, "Nonlinear Inductive Matrix Completion based on One-layer
Neural Networks" (arXiv preprint; cited below as **ZJSD18**), and Zhong, Jain, Song,
Dhillon 2019, "Provable Non-linear Inductive Matrix Completion" (NeurIPS; **ZJSD19**).

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

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from ..errors import InputError
from .activations import ACTIVATIONS, check_activation

__all__ = [
    "ACTIVATIONS",
    "activation_functions",
    "random_truth",
    "NIMCData",
    "sample_data",
    "pack",
    "unpack",
    "free_indices",
    "loss",
    "gradient",
]


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


def activation_functions(activation: str):
    """``(φ, φ', φ'')`` as vectorized NumPy functions (ReLU: ``φ'(0) = 0``, ``φ'' = 0``)."""
    return _ACT[check_activation(activation)]


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
        self.activation = check_activation(self.activation)
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

    def subset(self, idx) -> NIMCData:
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
    activation = check_activation(activation)
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
