"""The compiled SDP core: ``LMI(X, Z)`` and the curvature SDP in standard conic form, assembled
directly with NumPy / SciPy sparse and handed to Clarabel's (or SCS's) own Python API.

No cvxpy here (``import certify.rip.conic`` loads NumPy, SciPy's sparse module and the solver).

Conic form (Clarabel's convention; SCS's is the same up to the order of the PSD triangles)::

    minimize c^T x   subject to   A x + s = b,   s ∈ K

The variable is ``x = (t, h)``: one scalar ``t`` (δ, μ or the gradient bound) and
``h = svec(H)``, the isometric coordinates of the symmetric ``s x s`` Gram matrix ``H`` in the
basis of :mod:`certify.check.duality` (``svec`` = :func:`certify.linalg.svec`: the upper triangle
column by column, off-diagonal entries times √2 — exactly Clarabel's ``PSDTriangleConeT``
convention; SCS stores the *lower* triangle column by column, handled by a row permutation).
The rows, in order:

* ``G``: the gradient block ``s_G = C^T J^T H e`` (first order, ``q`` rows; a zero cone, or a
  second-order cone ``(g/2, C^T J^T H e)`` / ``(t, C^T J^T H e)`` with one head row).
  The components of ``J^T H e`` along the rotation directions ``vec(XΩ)`` vanish for every
  ``H`` (``𝐗 vec(XΩ) = 0``), so projecting onto the complement ``C`` loses nothing and keeps
  the equality rows linearly independent (the full ``Nr`` rows are rank-deficient by
  ``r(r-1)/2``, which makes the KKT system singular); its multiplier ``y_C`` maps back to the
  kernel's ``y = C y_C``,
* ``M``: the Hessian block ``s_M = svec(c_M C^T M(H) C - [t] I)``, a PSD triangle of size
  ``q = Nr - r(r-1)/2``: ``M(H) = 2 [I_r ⊗ sym(mat(B H e))] + J^T H J`` (½∇²f) on the
  complement ``C`` of the rotation directions ``XΩ`` (at a first-order point they lie in
  its null space, so ``C^T M C ⪰ 0`` is ``M ⪰ 0``, with a strictly feasible cone),
* ``B1``, ``B2``: ``s = H - (1 - δ) I`` and ``s = (1 + δ) I - H`` (PSD triangles of size ``s``).

Every block's coefficients on ``h`` are *dense* per column, so the sparsity pattern of ``A``
depends only on the structure ``(N, r, q, basis, problem)``; it is built once
(:func:`layout`, cached) and only the values that depend on the instance (through ``e`` and
``J``, and ``C`` for ``r > 1``) are refilled (:func:`fill_values`, vectorized over a batch of
instances of the same structure).  The band blocks and the ``t`` column are constants.

The solution is read from the solver's vectors: ``H = smat(x[1:])``, the first-order
multiplier ``y`` from the ``G`` rows of ``z`` and ``V = C W C^T`` with ``W = smat(z_M)``; callers
repair and check them with the kernel's code (:mod:`certify.check.duality`), never trusting the
solver's objective or status.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np

from ..errors import InputError, SolverError
from ..linalg import sym_basis

__all__ = [
    "Layout", "layout", "instance_arrays", "fill_values", "solve_conic", "solve_lmi_compiled",
    "solve_curvature_compiled", "solve_min_gradient_compiled", "solve_lmi_many", "solve_ipm", "BACKENDS", "tri", "smat_batch",
    "svec_batch", "rotation_complement_batch", "basis_tensors", "lmi_arrays", "blas_single_thread",
]

#: compiled backends (cvxpy is the reference backend, in :mod:`certify.rip.sdp`): Clarabel's and SCS's
#: own APIs, and ``"ipm"``, certify's batched NumPy interior point (:mod:`certify.rip.ipm`; the
#: counterexample SDP only: the curvature SDPs use Clarabel)
BACKENDS = ("clarabel", "scs", "ipm")

_R2 = math.sqrt(2.0)


_CONTROLLER = None


def blas_single_thread():
    """A context in which NumPy's BLAS/LAPACK uses one thread (``threadpoolctl`` when installed;
    else nothing).  The compiled core's matrices are small: a multi-threaded OpenBLAS on a busy
    2-core machine makes an inverse of order 200 up to fifty times slower (measured 130 ms against
    2.8 ms) and adds microseconds of thread hand-off to every tiny eigendecomposition."""
    global _CONTROLLER
    try:
        if _CONTROLLER is None:
            from threadpoolctl import ThreadpoolController  # noqa: PLC0415

            _CONTROLLER = ThreadpoolController()
        return _CONTROLLER.limit(limits=1, user_api="blas")
    except ImportError:
        from contextlib import nullcontext  # noqa: PLC0415

        return nullcontext()


# ---------------------------------------------------------------------------------------------
# svec index helpers
# ---------------------------------------------------------------------------------------------
@cache
def tri(n: int):
    """``(i, j, diag, alpha, gamma)`` for the ``n(n+1)/2`` svec coordinates of ``n x n`` symmetric
    matrices in certify's (= Clarabel's) order: ``(i, j)``, ``i <= j``, column by column.
    ``alpha`` = 1 off the diagonal and 1/√2 on it; ``gamma`` = √2 off the diagonal and 1 on it
    (``svec(M)_k = gamma_k M[i_k, j_k]``)."""
    ii, jj = [], []
    for j in range(n):
        for i in range(j + 1):
            ii.append(i)
            jj.append(j)
    i = np.array(ii, dtype=np.intp)
    j = np.array(jj, dtype=np.intp)
    diag = i == j
    alpha = np.where(diag, 1.0 / _R2, 1.0)
    gamma = np.where(diag, 1.0, _R2)
    for a in (i, j, diag, alpha, gamma):
        a.setflags(write=False)
    return i, j, diag, alpha, gamma


def svec_batch(M: np.ndarray) -> np.ndarray:
    """``svec`` of a stack of symmetric matrices ``(..., n, n)`` (symmetric part taken)."""
    n = M.shape[-1]
    i, j, _, _, gamma = tri(n)
    return 0.5 * (M[..., i, j] + M[..., j, i]) * gamma


def smat_batch(v: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`svec_batch`: ``(..., n(n+1)/2) -> (..., n, n)``."""
    i, j, _, _, gamma = tri(n)
    out = np.zeros(v.shape[:-1] + (n, n))
    vals = v / gamma
    out[..., i, j] = vals
    out[..., j, i] = vals
    return out


@cache
def _scs_perm(n: int) -> np.ndarray:
    """``perm`` with ``scs_vec = svec[perm]``: SCS stores the lower triangle column by column."""
    idx = []
    for j in range(n):
        for i in range(j, n):  # (i, j), i >= j  ->  certify index of (j, i)
            idx.append(i * (i + 1) // 2 + j)
    p = np.array(idx, dtype=np.intp)
    p.setflags(write=False)
    return p


# ---------------------------------------------------------------------------------------------
# the structure: basis tensors and the sparsity pattern, cached
# ---------------------------------------------------------------------------------------------
#: problems: "delta" (counterexample SDP), "curv-eq" / "curv-soc" (curvature SDP with g = 0 / g > 0),
#: "mingrad" (min ||J^T H e|| over the band: the Farkas vector of an infeasible curvature SDP)
PROBLEMS = ("delta", "curv-eq", "curv-soc", "mingrad")


@dataclass(frozen=True, eq=False)
class Layout:
    """Everything about one SDP structure that does not depend on the instance."""

    problem: str
    N: int
    r: int
    q: int
    basis: str
    s: int  # size of H
    T: int  # s(s+1)/2: length of h
    Tq: int  # q(q+1)/2
    nG: int  # rows of the gradient block (q, plus a head row for a second-order cone)
    head: int  # 1 if the G block is a second-order cone, else 0
    m: int  # rows
    nvar: int  # 1 + T
    indptr: np.ndarray
    indices: np.ndarray
    t_data: np.ndarray  # values of column t (constant)
    nnz_t: int
    per_col: int  # nonzeros in every h column
    b: np.ndarray  # right-hand side template (the band rows of the curvature problems depend on δ)
    c: np.ndarray
    Bm: np.ndarray  # (s, N, N): mat of the basis columns
    S2: np.ndarray  # (s, N, N): Bm + Bm^T, for J
    symB: np.ndarray  # (s, N, N): sym(Bm), for the Hessian block
    Phi_id: np.ndarray | None  # (Tq, s): the constant Φ when C = I (r = 1)
    cache: dict = field(default_factory=dict)

    @property
    def rows_M(self) -> slice:
        return slice(self.nG, self.nG + self.Tq)

    @property
    def rows_B1(self) -> slice:
        o = self.nG + self.Tq
        return slice(o, o + self.T)

    @property
    def rows_B2(self) -> slice:
        o = self.nG + self.Tq + self.T
        return slice(o, o + self.T)

    def cone_spec(self) -> list:
        """``[(kind, size), ...]`` in row order: kind in ``zero``, ``soc``, ``psd``."""
        out = []
        if self.problem in ("delta", "curv-eq"):
            out.append(("zero", self.nG))
        else:
            out.append(("soc", self.nG))
        if self.problem != "mingrad":
            out.append(("psd", self.q))
        out += [("psd", self.s), ("psd", self.s)]
        return out

    def rhs(self, delta: float | None = None, g: float | None = None) -> np.ndarray:
        """``b`` for the curvature problems (band of the fixed δ, gradient bound ``g``)."""
        b = self.b.copy()
        if self.problem != "delta":
            _, _, diag, _, _ = tri(self.s)
            Is = diag.astype(float)
            b[self.rows_B1] = -(1.0 - delta) * Is
            b[self.rows_B2] = (1.0 + delta) * Is
            if self.problem == "curv-soc":
                b[0] = 0.5 * g
        return b


@lru_cache(maxsize=64)
def basis_tensors(N: int, basis: str = "svec") -> tuple[np.ndarray, np.ndarray]:
    """``(Bm, S2)``: the ``s`` basis matrices ``mat(B[:, m])`` (s, N, N) and ``Bm + Bm^T`` (for ``J``)."""
    if basis not in ("svec", "vec"):
        raise InputError(f"basis: expected 'svec' or 'vec', got {basis!r}")
    B = sym_basis(N) if basis == "svec" else np.eye(N * N)
    Bm = np.stack([B[:, k].reshape(N, N, order="F") for k in range(B.shape[1])])
    S2 = Bm + Bm.transpose(0, 2, 1)
    Bm.setflags(write=False)
    S2.setflags(write=False)
    return Bm, S2


def lmi_arrays(X: np.ndarray, Z: np.ndarray, basis: str = "svec") -> tuple[np.ndarray, np.ndarray]:
    """``e`` (K, s) and ``J`` (K, s, Nr) of a stack of reduced instances (see :func:`instance_arrays`)."""
    N = X.shape[1]
    Bm, S2 = basis_tensors(N, basis)
    E = X @ X.transpose(0, 2, 1) - Z @ Z.transpose(0, 2, 1)
    e = np.einsum("mij,kij->km", Bm, E, optimize=True)
    J = np.einsum("mia,kit->kmta", S2, X, optimize=True).reshape(X.shape[0], Bm.shape[0], N * X.shape[2])
    return e, J


@lru_cache(maxsize=64)
def layout(problem: str, N: int, r: int, q: int, basis: str = "svec") -> Layout:
    """The cached structure of ``problem`` for a reduced instance of size ``N``, rank ``r``, rotation
    complement of dimension ``q``, in ``basis`` (``"svec"`` or ``"vec"``)."""
    if problem not in PROBLEMS:
        raise InputError(f"problem: expected one of {PROBLEMS}, got {problem!r}")
    if basis not in ("svec", "vec"):
        raise InputError(f"basis: expected 'svec' or 'vec', got {basis!r}")
    B = sym_basis(N) if basis == "svec" else np.eye(N * N)
    s = B.shape[1]
    T = s * (s + 1) // 2
    Tq = q * (q + 1) // 2 if problem != "mingrad" else 0
    head = 1 if problem in ("curv-soc", "mingrad") else 0
    nG = q + head
    m = nG + Tq + 2 * T
    _, _, diag_s, _, _ = tri(s)
    diag_pos = np.flatnonzero(diag_s)
    # column t
    if problem == "delta":  # B1: s = h + δ svec(I) - svec(I);  B2: s = svec(I) + δ svec(I) - h
        t_rows = np.concatenate([nG + Tq + diag_pos, nG + Tq + T + diag_pos])
        t_data = -np.ones(t_rows.size)
    elif problem in ("curv-eq", "curv-soc"):  # M: s = c L h - μ svec(I_q)  ->  A[:, μ] = +svec(I_q)
        _, _, diag_q, _, _ = tri(q)
        t_rows = nG + np.flatnonzero(diag_q)
        t_data = np.ones(t_rows.size)
    else:  # mingrad: SOC head s_0 = t  ->  A[0, t] = -1
        t_rows = np.array([0])
        t_data = -np.ones(1)
    # h columns: rows q of G (after the head), Tq of M, one of B1, one of B2
    per_col = q + Tq + 2
    base = np.concatenate([np.arange(head, nG), nG + np.arange(Tq)])
    cols = np.empty((T, per_col), dtype=np.int64)
    cols[:, : q + Tq] = base
    cols[:, -2] = nG + Tq + np.arange(T)
    cols[:, -1] = nG + Tq + T + np.arange(T)
    indices = np.concatenate([t_rows, cols.reshape(-1)]).astype(np.int64)
    indptr = np.concatenate([[0], t_rows.size + per_col * np.arange(T + 1)]).astype(np.int64)
    b = np.zeros(m)
    if problem == "delta":
        b[nG + Tq + diag_pos] = -1.0
        b[nG + Tq + T + diag_pos] = 1.0
    c = np.zeros(1 + T)
    c[0] = -1.0 if problem in ("curv-eq", "curv-soc") else 1.0  # maximize μ; minimize δ or t
    Bm, S2 = basis_tensors(N, basis)
    symB = 0.5 * S2
    Phi_id = None
    if r == 1 and q == N:
        Phi_id = _phi(symB, np.eye(N)[None], 1, N)[0]
    for a in (indptr, indices, t_data, b, c, symB) + ((Phi_id,) if Phi_id is not None else ()):
        a.setflags(write=False)
    return Layout(problem=problem, N=N, r=r, q=q, basis=basis, s=s, T=T, Tq=Tq, nG=nG, head=head, m=m, nvar=1 + T,
                  indptr=indptr, indices=indices, t_data=t_data, nnz_t=int(t_rows.size), per_col=per_col, b=b, c=c,
                  Bm=Bm, S2=S2, symB=symB, Phi_id=Phi_id)


def _phi(symB: np.ndarray, C: np.ndarray, r: int, N: int) -> np.ndarray:
    """``Φ[k, p, m] = svec_p(C_k^T 2 (I_r ⊗ sym(B_m)) C_k)``: ``(K, Tq, s)``."""
    K, Nr, q = C.shape
    Cb = C.reshape(K, r, N, q)
    Y = np.einsum("ktnq,mnp,ktpr->kmqr", Cb, symB, Cb, optimize=True)
    i, j, _, _, gamma = tri(q)
    return (2.0 * gamma)[None, :, None] * Y[:, :, i, j].transpose(0, 2, 1)


# ---------------------------------------------------------------------------------------------
# instance data, vectorized: e, J (as in check.duality.lmi_data), C, and the values of A
# ---------------------------------------------------------------------------------------------
def instance_arrays(lay: Layout, X: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``e`` (K, s) and ``J`` (K, s, Nr) for a stack of reduced instances ``X`` (K, N, r), ``Z`` (K, N, r*):
    the same numbers as :func:`certify.check.duality.lmi_data` (``e = B^T vec(XX^T - ZZ^T)``,
    ``J = B^T 𝐗``), computed for the whole stack at once."""
    return lmi_arrays(X, Z, lay.basis)


def rotation_complement_batch(X: np.ndarray, rtol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """``(U, rank)``: for each instance an orthogonal ``U`` (K, Nr, Nr) whose first ``rank`` columns
    span the rotation directions ``vec(XΩ)`` and whose last ``Nr - rank`` columns are an orthonormal
    basis of their complement, built as :func:`certify.linalg.rotation_complement` builds it (an
    SVD for the directions, then a QR of ``[R, I]``; the basis matters to the solver's path: the
    trailing singular vectors of the SVD give visibly less accurate solves on near-degenerate
    instances); ``rank`` per instance (``r(r-1)/2`` unless ``X`` is rank-deficient).
    ``r = 1``: the identity and rank 0."""
    K, N, r = X.shape
    Nr = N * r
    npairs = r * (r - 1) // 2
    if npairs == 0:
        return np.broadcast_to(np.eye(Nr), (K, Nr, Nr)), np.zeros(K, dtype=int)
    cols = []
    for i in range(r):
        for j in range(i + 1, r):
            Om = np.zeros((r, r))
            Om[i, j], Om[j, i] = 1.0, -1.0
            cols.append((X @ Om).transpose(0, 2, 1).reshape(K, Nr))  # vec (column-major) of X Ω
    R = np.stack(cols, axis=-1)  # (K, Nr, npairs)
    U, sv, _ = np.linalg.svd(R, full_matrices=True)
    rank = np.sum(sv > rtol * np.maximum(sv[:, :1], 1e-300), axis=1)
    out = np.empty((K, Nr, Nr))
    for rk in np.unique(rank):
        sel = np.flatnonzero(rank == rk)
        Rk = U[sel, :, :rk]
        Q, _ = np.linalg.qr(np.concatenate([Rk, np.broadcast_to(np.eye(Nr), (sel.size, Nr, Nr))], axis=2))
        out[sel, :, :rk] = Rk
        out[sel, :, rk:] = Q[:, :, rk:Nr]
    return out, rank


def fill_values(lay: Layout, e: np.ndarray, J: np.ndarray, C: np.ndarray | None, coef_M: float = 1.0) -> np.ndarray:
    """The nonzero values of ``A`` (K, nnz) in the layout's CSC order for a stack of instances.

    ``C`` (K, Nr, q): rotation complements (``None`` for ``r = 1``: the identity).  ``coef_M``: the
    Hessian block is ``coef_M · C^T M(H) C`` (1 for the δ problem, 2 for the curvature SDP: ∇²f = 2M).
    """
    K = e.shape[0]
    s, T, q = lay.s, lay.T, lay.q
    iu, ju, _, w, _ = tri(s)  # w: 1 off the diagonal... (alpha: 1/√2 on the diagonal)
    # G block: column (i, j) of h ↦ J^T E_ij e = w_ij (J_i e_j + J_j e_i), with w = 1/√2 (off), 1/2 (diag)
    wG = np.where(iu == ju, 0.5, 1.0 / _R2)
    out = np.empty((K, lay.nnz_t + T * lay.per_col))
    out[:, : lay.nnz_t] = lay.t_data
    hc = out[:, lay.nnz_t:].reshape(K, T, lay.per_col)
    Kc = J if C is None else J @ C  # (K, s, q): rows C^T J_i
    # s_G = C^T J^T H e  ->  A = -C^T F
    hc[:, :, :q] = -wG[None, :, None] * (Kc[:, iu, :] * e[:, ju, None] + Kc[:, ju, :] * e[:, iu, None])
    if lay.Tq:
        # M block: s_M = coef_M svec(C^T M(H) C)  ->  A = -coef_M L
        ia, ja, _, aq, _ = tri(q)
        # J^T H J part: L_A[(i,j),(a,b)] = α_ij α_ab (K_ia K_jb + K_ja K_ib)
        Ki, Kj = Kc[:, iu, :], Kc[:, ju, :]
        LA = (Ki[:, :, ia] * Kj[:, :, ja] + Kj[:, :, ia] * Ki[:, :, ja]) * (w[:, None] * aq[None, :])
        # 2 [I ⊗ sym(mat(B H e))] part: L_B[(i,j), p] = wG_ij (Φ[p, i] e_j + Φ[p, j] e_i)
        if C is None:
            if lay.Phi_id is None:
                raise InputError("fill_values: C is required for r > 1")
            Pt = lay.Phi_id.T[None]  # (1, s, Tq)
        else:
            Pt = _phi(lay.symB, C, lay.r, lay.N).transpose(0, 2, 1)  # (K, s, Tq)
        LB = wG[None, :, None] * (Pt[:, iu, :] * e[:, ju, None] + Pt[:, ju, :] * e[:, iu, None])
        hc[:, :, q: q + lay.Tq] = -coef_M * (LA + LB)
    hc[:, :, -2] = -1.0  # B1: s = h - ...
    hc[:, :, -1] = 1.0  # B2: s = ... - h
    return out


def _csc(lay: Layout, values: np.ndarray):
    from scipy import sparse  # noqa: PLC0415

    return sparse.csc_matrix((values, lay.indices, lay.indptr), shape=(lay.m, lay.nvar))


def _csc_reused(lay: Layout, values: np.ndarray):
    """The layout's one CSC matrix with its values overwritten in place (a solver copies the data
    when it is built; scipy's constructor checks cost more than a small solve's setup)."""
    A = lay.cache.get("csc")
    if A is None:
        A = lay.cache["csc"] = _csc(lay, np.array(values, dtype=float))
    else:
        A.data[:] = values
    return A


# ---------------------------------------------------------------------------------------------
# the solvers' own APIs
# ---------------------------------------------------------------------------------------------
#: Clarabel status -> (canonical status, accurate?)
_CLARABEL_STATUS = {
    "Solved": ("optimal", True),
    "AlmostSolved": ("optimal_inaccurate", False),
    "PrimalInfeasible": ("infeasible", True),
    "AlmostPrimalInfeasible": ("infeasible_inaccurate", False),
    "DualInfeasible": ("unbounded", True),
    "AlmostDualInfeasible": ("unbounded_inaccurate", False),
    "MaxIterations": ("user_limit", False),
    "MaxTime": ("user_limit", False),
    "NumericalError": ("solver_error", False),
    "InsufficientProgress": ("solver_error", False),
}
#: SCS status value -> (canonical status, accurate?)
_SCS_STATUS = {1: ("optimal", True), 2: ("optimal_inaccurate", False), -2: ("infeasible", True),
               -7: ("infeasible_inaccurate", False), -1: ("unbounded", True), -6: ("unbounded_inaccurate", False),
               -3: ("infeasible_or_unbounded", False), -4: ("solver_error", False), -5: ("solver_error", False)}

#: settings every compiled Clarabel solve uses (data updates need presolve and chordal decomposition off;
#: the PSD blocks are dense, so the decomposition would find nothing anyway)
_CLARABEL_FIXED = {"verbose": False, "presolve_enable": False, "chordal_decomposition_enable": False}


def _solver_name(backend: str) -> str:
    if backend not in BACKENDS:
        raise InputError(f"backend: expected one of {BACKENDS} for the compiled core, got {backend!r}")
    return backend.upper()


def _ladder(name: str, settings: dict | None) -> list[dict]:
    from ..solvers import _RETRIES, default_settings  # noqa: PLC0415

    base = default_settings(name)
    if settings:
        base.update(settings)
    return [base] + [{**base, **extra} for extra in _RETRIES[name]]


#: from this many ``h`` variables on, Clarabel factors its KKT system with faer (supernodal) rather
#: than QDLDL: about 1.5 times faster for d = 5 and d = 6 (measured); one thread (parallelism comes
#: from worker processes; a second thread only competes with them on 2 cores)
FAER_MIN_T = 100


@lru_cache(maxsize=1)
def _faer_available() -> bool:
    import clarabel  # noqa: PLC0415
    from scipy import sparse  # noqa: PLC0415

    st = clarabel.DefaultSettings()
    st.verbose = False
    st.direct_solve_method = "faer"
    try:
        clarabel.DefaultSolver(sparse.csc_matrix((1, 1)), np.zeros(1), sparse.csc_matrix(np.ones((1, 1))), np.ones(1),
                               [clarabel.NonnegativeConeT(1)], st).solve()
    except Exception:  # noqa: BLE001 - any failure means "not in this build"
        return False
    return True


_SETTINGS_CACHE: dict = {}


def _clarabel_settings(opts: dict, lay: Layout | None = None):
    """Clarabel's settings object for ``opts`` (cached: the solver copies it when it is built)."""
    big = lay is not None and lay.T >= FAER_MIN_T
    try:
        key = (tuple(sorted(opts.items())), big)
        hash(key)
    except TypeError:
        key = None
    st = _SETTINGS_CACHE.get(key) if key is not None else None
    if st is None:
        st = _new_clarabel_settings(opts, big)
        if key is not None and len(_SETTINGS_CACHE) < 256:
            _SETTINGS_CACHE[key] = st
    return st


def _new_clarabel_settings(opts: dict, big: bool):
    import clarabel  # noqa: PLC0415

    st = clarabel.DefaultSettings()
    auto = {"max_threads": 1}
    if big and _faer_available():
        auto["direct_solve_method"] = "faer"
    for k, v in {**auto, **opts, **_CLARABEL_FIXED}.items():
        if not hasattr(st, k):
            raise InputError(f"settings: CLARABEL has no setting {k!r}")
        try:
            setattr(st, k, v)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InputError(f"settings: CLARABEL rejected {k} = {v!r} ({exc})") from exc
    return st


def _clarabel_cones(lay: Layout) -> list:
    cones = lay.cache.get("clarabel_cones")
    if cones is None:
        cones = lay.cache["clarabel_cones"] = _new_clarabel_cones(lay)
    return cones


def _new_clarabel_cones(lay: Layout) -> list:
    import clarabel  # noqa: PLC0415

    out = []
    for kind, size in lay.cone_spec():
        if kind == "zero":
            out.append(clarabel.ZeroConeT(size))
        elif kind == "soc":
            out.append(clarabel.SecondOrderConeT(size))
        else:
            out.append(clarabel.PSDTriangleConeT(size))
    return out


@lru_cache(maxsize=64)
def _zero_P(n: int):
    from scipy import sparse  # noqa: PLC0415

    return sparse.csc_matrix((n, n))


@dataclass
class RawSolution:
    """What a solver returned for one instance: ``x``, ``z`` (dual, Clarabel's convention and row
    order), canonical status, iterations and time.  Never used as a result by itself."""

    x: np.ndarray | None
    z: np.ndarray | None
    status: str
    accurate: bool
    iterations: int | None
    solve_time: float
    raw_status: str = ""


def _clarabel_read(sol, elapsed) -> RawSolution:
    raw = str(sol.status)
    status, acc = _CLARABEL_STATUS.get(raw, (raw, False))
    return RawSolution(x=np.asarray(sol.x), z=np.asarray(sol.z), status=status, accurate=acc,
                       iterations=int(sol.iterations), solve_time=elapsed, raw_status=raw)


def _clarabel_once(lay: Layout, values: np.ndarray, b: np.ndarray, opts: dict) -> RawSolution:
    import clarabel  # noqa: PLC0415

    st = _clarabel_settings(opts, lay)  # InputError for unknown settings, before the solver's own errors
    t0 = time.perf_counter()
    try:
        solver = clarabel.DefaultSolver(_zero_P(lay.nvar), lay.c, _csc_reused(lay, values), b, _clarabel_cones(lay), st)
        sol = solver.solve()
    except (RuntimeError, ValueError, OverflowError) as exc:  # Clarabel's own errors (bad data, panics)
        return RawSolution(None, None, "solver_error", False, None, time.perf_counter() - t0, raw_status=str(exc)[:200])
    return _clarabel_read(sol, time.perf_counter() - t0)


def _scs_once(lay: Layout, values: np.ndarray, b: np.ndarray, opts: dict) -> RawSolution:
    import scs  # noqa: PLC0415

    # SCS: lower triangles; permute the rows of every PSD block (and back for z)
    perm = np.arange(lay.m)
    o = 0
    cone = {"z": 0, "q": [], "s": []}
    for kind, size in lay.cone_spec():
        if kind == "zero":
            cone["z"] += size
            o += size
        elif kind == "soc":
            cone["q"].append(size)
            o += size
        else:
            t = size * (size + 1) // 2
            cone["s"].append(size)
            perm[o: o + t] = o + _scs_perm(size)
            o += t
    A = _csc(lay, values)[perm, :].tocsc()
    A.sort_indices()
    kw = {"verbose": False, **opts}
    t0 = time.perf_counter()
    try:
        solver = scs.SCS({"A": A, "b": b[perm], "c": lay.c}, cone, **kw)
        sol = solver.solve()
    except (TypeError, ValueError) as exc:
        raise InputError(f"settings: SCS rejected the settings {opts}: {exc}") from exc
    info = sol["info"]
    status, acc = _SCS_STATUS.get(int(info["status_val"]), (str(info["status"]), False))
    z = np.empty(lay.m)
    z[perm] = sol["y"]
    return RawSolution(x=np.asarray(sol["x"]), z=z, status=status, accurate=acc, iterations=int(info["iter"]),
                       solve_time=time.perf_counter() - t0, raw_status=str(info["status"]))


def _version(modname: str) -> str:
    from ..solvers import _module_version  # noqa: PLC0415

    return _module_version(modname)


def solve_conic(lay: Layout, values: np.ndarray, b: np.ndarray, backend: str = "clarabel", settings: dict | None = None,
                *, allow_infeasible: bool = False):
    """Solve one compiled instance with the retry ladder of :mod:`certify.solvers` (the same
    solver with more robust settings after a failure or an inaccurate answer).  Returns
    ``(RawSolution, SolveInfo)``; raises :class:`SolverError` when no attempt gives a point."""
    from ..solvers import SolveInfo  # noqa: PLC0415

    name = _solver_name(backend)
    if name == "IPM":
        raise InputError("solve_conic: the ipm backend solves the counterexample SDP only (solve_ipm)")
    once = _clarabel_once if name == "CLARABEL" else _scs_once
    attempts: list = []
    raw = info = None
    for opts in _ladder(name, settings):
        info = SolveInfo(name=name, version=_version(name.lower()), settings=dict(opts), cvxpy_version=None)
        raw = once(lay, values, b, opts)
        attempts.append({"settings": dict(opts), "status": raw.status})
        info.status, info.accurate = raw.status, raw.accurate
        info.solve_time, info.iterations = raw.solve_time, raw.iterations
        if raw.x is not None and raw.accurate and (raw.status == "optimal" or (allow_infeasible and raw.status == "infeasible")):
            break
    info.attempts = attempts
    accepted = ("optimal", "optimal_inaccurate") + (("infeasible", "infeasible_inaccurate") if allow_infeasible else ())
    if raw is None or raw.x is None or raw.status not in accepted:
        tried = "; ".join(a["status"] for a in attempts)
        raise SolverError(f"{name} did not solve the problem (attempts: {tried})")
    if raw.status in ("optimal", "optimal_inaccurate") and not (np.all(np.isfinite(raw.x)) and np.all(np.isfinite(raw.z))):
        raise SolverError(f"{name} returned a point with NaN or infinite entries (status {raw.status!r})")
    return raw, info


def _complement(X: np.ndarray):
    """``(C or None, q)`` for one reduced instance (``None``: r = 1, the identity)."""
    N, r = X.shape
    if r == 1:
        return None, N
    from ..linalg import rotation_complement  # noqa: PLC0415

    C = rotation_complement(X)
    return C, C.shape[1]


def _split(lay: Layout, raw: RawSolution, C):
    """``(H, y, W, V)`` from a raw solution: ``H = smat(x[1:])``, ``y = C y_C`` (``y_C``: multiplier
    of the ``G`` rows, without a cone head), ``W = smat(z_M)``, ``V = C W C^T``."""
    H = smat_batch(raw.x[1:], lay.s)
    y = np.array(raw.z[lay.head: lay.nG])
    if C is not None:
        y = C @ y
    W = V = None
    if lay.Tq:
        W = smat_batch(raw.z[lay.rows_M], lay.q)
        V = W if C is None else C @ W @ C.T
    return H, y, W, V


def solve_lmi_compiled(data, backend: str = "clarabel", settings: dict | None = None):
    """The counterexample SDP of ``data`` (:class:`certify.check.duality.LMIData`) on the compiled
    core.  Returns ``(H, y, V, info)`` like :func:`certify.rip.sdp.solve_lmi` (the solver's raw
    point, in the kernel's conventions: any sign of ``y`` may be needed, the kernel tries both)."""
    C, q = _complement(data.X)
    lay = layout("delta", data.N, data.r, q, data.basis)
    values = fill_values(lay, data.e[None], data.J[None], None if C is None else C[None])[0]
    if backend == "ipm":
        raw, info = solve_ipm(lay, values[None], data.e[None], data.J[None], None if C is None else C[None], settings)[0]
    else:
        raw, info = solve_conic(lay, values, lay.b, backend, settings)
    H, y, _, V = _split(lay, raw, C)
    return H, y, V, info


def solve_ipm(lay: Layout, values: np.ndarray, e: np.ndarray, J: np.ndarray, C, settings: dict | None = None):
    """``[(RawSolution, SolveInfo), ...]`` for a stack of counterexample SDPs by :mod:`certify.rip.ipm`,
    each instance returning its iterate with the tightest bracket under the vectorized checks of
    :func:`certify.rip.delta_batch` (``bracket_monitor``).  Raises :class:`SolverError` for a single
    instance that did not converge (a stack reports it in the status instead)."""
    from .._version import __version__  # noqa: PLC0415
    from ..solvers import SolveInfo  # noqa: PLC0415
    from .batch import bracket_monitor  # noqa: PLC0415
    from .ipm import IPM_DEFAULTS, solve_delta_ipm  # noqa: PLC0415

    opts = {**IPM_DEFAULTS, **(settings or {})}
    unknown = sorted(set(opts) - set(IPM_DEFAULTS) - {"debug", "debug_bracket"})
    if unknown:
        raise InputError(f"settings: the ipm backend has no setting(s) {', '.join(map(repr, unknown))} "
                         f"(known: {', '.join(IPM_DEFAULTS)})")
    raws = solve_delta_ipm(lay, values, opts, monitor=bracket_monitor(lay, e, J, C))
    out = []
    for raw in raws:
        info = SolveInfo(name="IPM", version=f"certify {__version__}", settings=dict(opts), status=raw.status,
                         accurate=raw.accurate, solve_time=raw.solve_time, iterations=raw.iterations,
                         attempts=[{"settings": dict(opts), "status": raw.status}])
        out.append((raw, info))
    if len(out) == 1 and out[0][0].status not in ("optimal", "optimal_inaccurate"):
        raise SolverError(f"IPM did not solve the problem ({out[0][0].raw_status})")
    return out


def solve_curvature_compiled(data, C: np.ndarray, delta: float, g: float, backend: str = "clarabel",
                             settings: dict | None = None):
    """The curvature SDP (REFERENCE §1.4) on the compiled core.  Returns ``(H, y, W, info)`` as
    :func:`certify.rip.curvature._solve_curvature` does, ``(None, None, None, info)`` when the
    solver reports it infeasible (the caller must then prove it)."""
    N, r = data.X.shape
    q = C.shape[1]
    lay = layout("curv-eq" if g == 0.0 else "curv-soc", N, r, q, data.basis)
    Cin = None if (r == 1 and q == N and np.array_equal(C, np.eye(N))) else C[None]
    values = fill_values(lay, data.e[None], data.J[None], Cin, coef_M=2.0)[0]
    raw, info = solve_conic(lay, values, lay.rhs(delta, g), "clarabel" if backend == "ipm" else backend,
                            None if backend == "ipm" else settings, allow_infeasible=True)
    if raw.status.startswith("infeasible"):
        return None, None, None, info
    H, y, W, _ = _split(lay, raw, Cin if Cin is None else C)
    return H, y, W, info


def solve_min_gradient_compiled(data, delta: float, backend: str = "clarabel", settings: dict | None = None):
    """``min ||J^T H e||`` over the band of δ; returns the second-order-cone multiplier (the Farkas
    direction, checked by :func:`certify.check.duality.min_gradient_lower_bound`) and the info."""
    C, q = _complement(data.X)
    lay = layout("mingrad", data.N, data.r, q, data.basis)
    values = fill_values(lay, data.e[None], data.J[None], None if C is None else C[None])[0]
    raw, info = solve_conic(lay, values, lay.rhs(delta, 0.0), "clarabel" if backend == "ipm" else backend,
                            None if backend == "ipm" else settings)
    y = np.array(raw.z[lay.head: lay.nG])
    return (y if C is None else C @ y), info


# ---------------------------------------------------------------------------------------------
# many instances of one structure
# ---------------------------------------------------------------------------------------------
def solve_lmi_many(lay: Layout, values: np.ndarray, backend: str = "clarabel", settings: dict | None = None,
                   mode: str = "loop", block: int = 32, arrays=None) -> list[RawSolution]:
    """Solve ``K`` counterexample SDPs of one structure (``values``: (K, nnz) from :func:`fill_values`).

    ``mode="loop"``: a fresh Clarabel solver per instance in a tight loop (the CSC structure and
    the constant data are shared; only the values change); ``mode="update"``: one solver built once
    and reused with ``solver.update(A=...)`` (same sparsity, new values; Clarabel keeps the first
    instance's equilibration, so more instances come back inaccurate and need the retry ladder,
    but it skips the setup: 1.2-1.5 times faster for rank 1, even for larger structures, in
    ``benchmarks/bench_core.py``, which measures the three); ``mode="block"``: ``block`` instances
    per solver call as one block-diagonal problem (the objective is the sum of the δs, so every
    instance is at its own optimum; the instances share the iterations).  SCS: one solver per
    instance.  Only the first
    (tight default) settings are used here; instances that come back not ``optimal`` should be
    re-solved one by one with :func:`solve_conic` (which has the retry ladder)."""
    K = values.shape[0]
    if backend == "ipm":
        if arrays is None:
            raise InputError("solve_lmi_many: the ipm backend needs arrays=(e, J, C) for its bracket monitor")
        return [raw for raw, _ in solve_ipm(lay, values, *arrays, settings)]
    name = _solver_name(backend)
    opts = _ladder(name, settings)[0]
    if name == "SCS":
        return [_scs_once(lay, values[k], lay.b, opts) for k in range(K)]
    if mode == "block" and K > 1:
        out = []
        for a in range(0, K, block):
            out += _clarabel_block(lay, values[a: a + block], opts)
        return out
    if mode not in ("loop", "update", "block"):
        raise InputError(f"mode: expected 'loop', 'update' or 'block', got {mode!r}")
    if mode == "loop" or K == 1:
        return [_clarabel_once(lay, values[k], lay.b, opts) for k in range(K)]
    import clarabel  # noqa: PLC0415

    out = []
    solver = None
    st = _clarabel_settings(opts, lay)
    for k in range(K):
        t0 = time.perf_counter()
        try:
            if solver is None:
                solver = clarabel.DefaultSolver(_zero_P(lay.nvar), lay.c, _csc(lay, values[k]), lay.b,
                                                _clarabel_cones(lay), st)
            else:
                solver.update(A=values[k])
            sol = solver.solve()
        except (RuntimeError, ValueError, OverflowError) as exc:
            out.append(RawSolution(None, None, "solver_error", False, None, time.perf_counter() - t0, str(exc)[:200]))
            solver = None
            continue
        out.append(_clarabel_read(sol, time.perf_counter() - t0))
    return out


def _clarabel_block(lay: Layout, values: np.ndarray, opts: dict) -> list[RawSolution]:
    import clarabel  # noqa: PLC0415
    from scipy import sparse  # noqa: PLC0415

    K = values.shape[0]
    nnz = lay.indices.size
    indices = (lay.indices[None, :] + lay.m * np.arange(K)[:, None]).reshape(-1)
    indptr = np.concatenate([[0], (lay.indptr[1:][None, :] + nnz * np.arange(K)[:, None]).reshape(-1)])
    A = sparse.csc_matrix((values.reshape(-1), indices, indptr), shape=(K * lay.m, K * lay.nvar))
    cones = _clarabel_cones(lay) * K
    st = _clarabel_settings(opts)
    t0 = time.perf_counter()
    try:
        solver = clarabel.DefaultSolver(_zero_P(K * lay.nvar), np.tile(lay.c, K), A, np.tile(lay.b, K), cones, st)
        sol = solver.solve()
    except (RuntimeError, ValueError, OverflowError) as exc:
        dt = time.perf_counter() - t0
        return [RawSolution(None, None, "solver_error", False, None, dt / K, str(exc)[:200]) for _ in range(K)]
    dt = time.perf_counter() - t0
    raw = str(sol.status)
    status, acc = _CLARABEL_STATUS.get(raw, (raw, False))
    x = np.asarray(sol.x).reshape(K, lay.nvar)
    z = np.asarray(sol.z).reshape(K, lay.m)
    return [RawSolution(x[k], z[k], status, acc, int(sol.iterations), dt / K, raw) for k in range(K)]
