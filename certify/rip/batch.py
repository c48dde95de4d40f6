"""Batched brackets ``delta_lower <= δ(X, Z) <= delta`` for many instances of one shape.

:func:`delta_batch` takes ``K`` instances ``Xs`` (K, n, r), ``Zs`` (K, n, r*) and returns a
:class:`BatchResult` whose arrays ``delta``, ``delta_lower``, ``status`` have one entry per instance.
The pipeline is :func:`certify.rip.counterexample`'s, vectorized over the batch:

1. validation (shapes, finiteness: :class:`InputError` naming the instances) and the
   power-of-two normalization of every instance, the solver-free screens (``X X^T = Z Z^T``:
   ``"global-minimizer"``; colinear rank-1 pairs, the first-order bound and the closed form of
   JMLR19 Theorem 12 ``>= 1 - NO_CE_TOL``: ``"no-counterexample"`` with ``delta = 1`` and the bound
   that decides it as ``delta_lower``);
2. the projection ``P = orth([X, Z])`` of every instance (one batched SVD), grouped by structure;
3. the conic data of each group filled at once (:func:`certify.rip.conic.fill_values`) and the
   SDPs solved on the compiled core (Clarabel: one solver reused with ``update`` (default), a fresh
   solver per instance in a tight loop, or a block-diagonal problem per ``block`` instances; SCS:
   one solver per instance; ``ipm``: the whole stack at once);
4. the repair and the checks of :mod:`certify.check.duality`, vectorized over the group: the
   first-order projection, the optimal scaling, the second-order condition on the rotation
   complement, ``delta`` from the eigenvalues of the repaired operator (the lift's spectrum is
   that of ``Ĥ`` and the eigenvalue 1), ``delta_lower = tr G / ||G||_*`` from the dual point
   (``V`` projected onto the PSD cone, both signs of ``y``), the gap;
5. every instance that does not pass (solver failure, inaccurate bracket) is re-solved alone by
   :func:`certify.rip.counterexample` (the retry ladder of :mod:`certify.solvers`) and gets its
   status from that.

``check="kernel"`` recomputes each bracket with the kernel's own (per-instance) functions instead
of step 4's vectorized formulas; ``certificates=True`` builds and verifies (kernel) a
:class:`~certify.certificates.Certificate` per bracket.  The vectorized formulas are the kernel's
formulas written for a stack of instances; ``tests/rip/test_batch.py`` compares them with the
kernel instance by instance.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..errors import CertifyError, InputError, NoCounterexampleError, SolverError
from ..linalg import COLINEAR_TOL, GLOBAL_MIN_RTOL, as_real_array, normalize_pair, sym_basis
from ..options import describe, real
from . import conic
from .closed_form import _bound
from .sdp import DEFAULT_GAP_TOL, HESS_RTOL, NO_CE_TOL, STORE_EXPONENT_LIMIT, counterexample, resolve_backend

__all__ = ["BatchResult", "delta_batch", "STATUSES"]

#: per-instance statuses
STATUSES = ("ok", "no-counterexample", "global-minimizer", "failed")
#: instances whose normalized figures leave this range are handled one by one (scalar path)
_TINY = 1e-150
#: doubles per chunk of conic data (bounds the memory of a group)
_CHUNK_DOUBLES = 4_000_000


@dataclass
class BatchResult:
    """One entry per instance.

    ``delta``: upper bound on δ(X, Z) (RIP constant of the repaired operator, recomputed from its
    eigenvalues); ``delta_lower``: lower bound certified by the repaired dual point; ``status``:
    ``"ok"`` (a checked bracket with ``delta - delta_lower <= gap_tol``), ``"no-counterexample"``
    (δ(X, Z) >= 1 - 1e-9: ``delta = 1``, ``delta_lower`` the bound that proves it, 1 for colinear
    rank-1 pairs by JMLR19's theorem), ``"global-minimizer"`` (``X X^T = Z Z^T``: NaN) or
    ``"failed"`` (NaN, the reason in ``message``).  No number is reported without a status that
    says what it is.  ``solver_status``: the solver's word per instance (informative only);
    ``method``: ``"batch"`` (solved in the batch), ``"scalar"`` (re-solved alone), ``"scalar-ipm"``
    (re-solved alone by the interior point after Clarabel failed) or ``"screen"`` (decided
    without an SDP).  ``certificates``: verified certificates (``None`` where
    there is no bracket) when requested.  ``points``: per instance ``(P, dual_scale, y, V, H)`` of
    the bracket when ``keep_points=True`` (``H`` the repaired, optimally scaled reduced Gram matrix
    in the ``svec`` basis): :meth:`certificate` rebuilds a certificate from them."""

    X: np.ndarray
    Z: np.ndarray
    delta: np.ndarray
    delta_lower: np.ndarray
    status: np.ndarray
    message: list
    solver_status: np.ndarray
    method: np.ndarray
    backend: str
    mode: str
    check: str
    gap_tol: float
    seconds: float
    timings: dict = field(default_factory=dict)
    certificates: list | None = None
    points: list | None = None

    def __len__(self) -> int:
        return int(self.delta.size)

    @property
    def ok(self) -> np.ndarray:
        return self.status == "ok"

    @property
    def gap(self) -> np.ndarray:
        return self.delta - self.delta_lower

    def counts(self) -> dict:
        return {s: int(np.sum(self.status == s)) for s in STATUSES}

    def summary(self) -> str:
        c = self.counts()
        ok = self.ok
        parts = [f"{len(self)} instances ({self.X.shape[1]} x {self.X.shape[2]}, r* = {self.Z.shape[2]}) in "
                 f"{self.seconds:.3f} s ({len(self) / max(self.seconds, 1e-12):.0f}/s), backend {self.backend} ({self.mode}), "
                 f"checks {self.check}: " + ", ".join(f"{k} {v}" for k, v in c.items() if v)]
        if ok.any():
            parts.append(f"delta in [{np.min(self.delta[ok]):.9f}, {np.max(self.delta[ok]):.9f}], largest gap "
                         f"{np.max(self.gap[ok]):.2e}; scalar re-solves {int(np.sum(self.method == 'scalar'))}")
        return "; ".join(parts)

    def certificate(self, k: int):
        """The verified certificate of instance ``k`` rebuilt from its stored point (needs
        ``keep_points=True``); raises :class:`SolverError` if the kernel rejects it."""
        from ..check.format import Certificate, DualCertificate  # noqa: PLC0415
        from ..check.operators import CompactOperator  # noqa: PLC0415

        if self.certificates is not None and self.certificates[k] is not None:
            return self.certificates[k]
        if self.points is None or self.points[k] is None:
            raise InputError(f"certificate: instance {k} has no stored point (status {self.status[k]!r}; "
                             "call delta_batch(..., keep_points=True))")
        P, dual_scale, y, V, H, norm_exp = self.points[k]
        d = P.shape[1]
        B = sym_basis(d)
        H_hat = B @ H @ B.T + (np.eye(d * d) - B @ B.T)
        X, Z = self.X[k], self.Z[k]
        flags, formulation = [], {"project": True, "basis": "svec", "d": int(d), "gap_tol": float(self.gap_tol)}
        if norm_exp is not None:
            X, Z = np.ldexp(X, norm_exp), np.ldexp(Z, norm_exp)
            flags.append("instance_normalized")
            formulation["instance_scale_exponent"] = int(norm_exp)
        cert = Certificate(
            X=X, Z=Z, operator=CompactOperator(P, 0.5 * (H_hat + H_hat.T)), delta=float(self.delta[k]),
            delta_lower=float(self.delta_lower[k]),
            dual=DualCertificate(P=P, scale=float(dual_scale), basis="svec", y=y, V=V, delta_lower=float(self.delta_lower[k])),
            solver={"name": self.backend.upper(), "backend": self.backend, "status": str(self.solver_status[k]),
                    "batch": True, "mode": self.mode},
            formulation=formulation, source="sdp", flags=flags,
        )
        rep = cert.verify()
        if not rep.ok:
            raise SolverError(f"instance {k}: the rebuilt certificate failed verification: {'; '.join(rep.failures)}")
        return cert


# ---------------------------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------------------------
def _stack(A, name: str) -> np.ndarray:
    if isinstance(A, (list, tuple)):
        if len(A) == 0:
            raise InputError(f"{name}: the batch is empty (K = 0); expected an array (K, n, r) with K >= 1")
        shapes = {np.shape(a) for a in A}
        if len(shapes) > 1:
            raise InputError(f"{name}: mixed shapes in one batch ({', '.join(str(s) for s in sorted(shapes, key=str)[:4])}); "
                             "every instance of a batch must have the same shape (split it by shape)")
    M = as_real_array(A, name)
    if M.ndim == 2:
        M = M[:, :, None]  # (K, n): K vectors
    if M.ndim != 3:
        raise InputError(f"{name}: expected an array of shape (K, n, r) (or (K, n) for vectors), got shape {M.shape}")
    if M.shape[0] == 0:
        raise InputError(f"{name}: the batch is empty (K = 0); expected an array (K, n, r) with K >= 1")
    if M.shape[1] == 0 or M.shape[2] == 0:
        raise InputError(f"{name}: expected non-empty instances, got shape {M.shape}")
    bad = ~np.all(np.isfinite(M), axis=(1, 2))
    if bad.any():
        idx = np.flatnonzero(bad)
        raise InputError(f"{name}: instance(s) {', '.join(map(str, idx[:5]))}{' ...' if idx.size > 5 else ''} "
                         f"({idx.size} of {M.shape[0]}) contain NaN or infinite entries")
    return M


# ---------------------------------------------------------------------------------------------
# the vectorized kernel formulas (check.duality / check.operators, for a stack of instances)
# ---------------------------------------------------------------------------------------------
def _sym(M):
    return 0.5 * (M + np.swapaxes(M, -1, -2))


def project_first_order_batch(e, J, H):
    """:func:`certify.check.duality.project_first_order` for a stack: ``H + sym(J w e^T)`` with
    ``M w = -J^T H e``, ``M = (||e||^2 J^T J + g g^T) / 2``, ``g = J^T e`` (least squares)."""
    H = _sym(H)
    Jt = np.swapaxes(J, -1, -2)
    res = np.einsum("kis,kst,kt->ki", Jt, H, e)
    g = np.einsum("kis,ks->ki", Jt, e)
    M = 0.5 * (np.einsum("ks,ks->k", e, e)[:, None, None] * (Jt @ J) + g[:, :, None] * g[:, None, :])
    lam, Q = np.linalg.eigh(M)
    cut = np.finfo(float).eps * M.shape[-1] * np.maximum(np.abs(lam).max(axis=-1, keepdims=True), 1e-300)
    inv = np.where(np.abs(lam) > cut, 1.0 / np.where(lam == 0.0, 1.0, lam), 0.0)
    w = np.einsum("kij,kj,klj,kl->ki", Q, inv, Q, -res)
    Jw = np.einsum("ksi,ki->ks", J, w)
    return H + _sym(Jw[:, :, None] * e[:, None, :])


def second_order_batch(lay, e, J, H):
    """``2 [I_r ⊗ sym(mat(B H e))] + J^T H J`` (:func:`certify.check.duality.second_order_matrix`)."""
    K = e.shape[0]
    N, r = lay.N, lay.r
    He = np.einsum("kst,kt->ks", H, e)
    S = np.einsum("mij,km->kij", lay.Bm, He)
    S = _sym(S)
    M = np.einsum("kis,kst,ktj->kij", np.swapaxes(J, -1, -2), H, J)
    for t in range(r):
        M[:, t * N:(t + 1) * N, t * N:(t + 1) * N] += 2.0 * S
    return _sym(M) if K else M


def dual_bound_batch(lay, e, J, y, V):
    """:func:`certify.check.duality.dual_lower_bound` for a stack: ``V`` symmetrized and projected
    onto the PSD cone, ``G = -(w e^T + e w^T) - J V J^T - sgn sym(J y e^T)`` for both signs,
    bound ``tr G / ||G||_*`` (the better sign), in ``[-1, 1]``.  ``lay``: anything with ``N``,
    ``r`` and ``Bm`` (a :class:`~certify.rip.conic.Layout`); ``y`` (K, Nr) or one (Nr,) for all,
    ``V`` (K, Nr, Nr) or one (Nr, Nr) for all."""
    N, r = lay.N, lay.r
    lam, Q = np.linalg.eigh(_sym(V))
    Vp = (Q * np.clip(lam, 0.0, None)[..., None, :]) @ np.swapaxes(Q, -1, -2)
    W = sum(Vp[..., k * N:(k + 1) * N, k * N:(k + 1) * N] for k in range(r))
    w = np.einsum("mij,...ij->...m", lay.Bm, _sym(W))
    if w.ndim == 1:
        w = np.broadcast_to(w, e.shape)
    base = -(w[:, :, None] * e[:, None, :] + e[:, :, None] * w[:, None, :]) - J @ Vp @ np.swapaxes(J, -1, -2)
    Jy = np.einsum("ksi,i->ks", J, y) if np.ndim(y) == 1 else np.einsum("ksi,ki->ks", J, y)
    Jye = _sym(Jy[:, :, None] * e[:, None, :])
    best = np.full(e.shape[0], -1.0)
    for sgn in (1.0, -1.0):
        ev = np.linalg.eigvalsh(_sym(base - sgn * Jye))
        nuc = np.abs(ev).sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            val = np.where(nuc > 0.0, ev.sum(axis=-1) / np.where(nuc > 0.0, nuc, 1.0), -1.0)
        best = np.maximum(best, val)
    return best


def bracket_monitor(lay, e, J, C):
    """``monitor(idx, x, z) -> delta - delta_lower`` for :func:`certify.rip.ipm.solve_delta_ipm`: the
    gap that the vectorized checks of :func:`delta_batch` give for raw solutions ``(x, z)``
    (Clarabel's layout) of the instances ``idx`` of the stack ``(e, J, C)``; ``inf`` where the
    repaired operator is singular or violates the second-order condition."""

    def monitor(idx, x, z):
        ee, JJ = e[idx], J[idx]
        CC = None if C is None else C[idx]
        H, y, V = _raw_points(lay, x, z, CC)
        dop, dl, okH, okM = _checks(lay, ee, JJ, CC, H, y, V)[:4]
        return np.where(okH & okM, dop - dl, np.inf)

    return monitor


def _raw_points(lay, x, z, C):
    """``(H, y, V)`` of stacked raw solutions in Clarabel's layout (``y = C y_C``, ``V = C W C^T``)."""
    H = conic.smat_batch(x[:, 1:], lay.s)
    yC = z[:, lay.head: lay.nG]
    y = yC if C is None else np.einsum("kiq,kq->ki", C, yC)
    Wm = conic.smat_batch(z[:, lay.rows_M], lay.q)
    V = Wm if C is None else C @ Wm @ np.swapaxes(C, 1, 2)
    return H, y, V


def _checks(lay, e, J, C, H, y, V):
    """The vectorized checks: ``(delta, delta_lower, okH, okM, Hs)`` — the operator's δ after the
    first-order repair and the optimal scaling (lift: ``Ĥ ⊕ 1``), the dual bound, whether the
    repaired operator is nonsingular and satisfies the second-order condition, the scaled ``H``."""
    Hr = project_first_order_batch(e, J, H)
    lam = np.linalg.eigvalsh(Hr)
    dH, sH = _rip_delta(lam[:, 0], lam[:, -1])
    okH = dH < 1.0
    Hs = np.where(okH[:, None, None], sH[:, None, None], 1.0) * Hr
    M = second_order_batch(lay, e, J, Hs)
    MC = M if C is None else np.swapaxes(C, 1, 2) @ M @ C
    hl = np.linalg.eigvalsh(MC)
    hmin, hmax = hl[:, 0], np.abs(hl).max(axis=1)
    okM = hmin >= -HESS_RTOL * np.maximum(hmax, 1.0)
    lam2 = np.linalg.eigvalsh(Hs)
    dop, _ = _rip_delta(np.minimum(lam2[:, 0], 1.0), np.maximum(lam2[:, -1], 1.0))  # lift: Ĥ ⊕ 1
    dl = dual_bound_batch(lay, e, J, y, V)
    return dop, dl, okH, okM, Hs


def _rip_delta(lo, hi):
    """``(delta, scale)`` of :func:`certify.check.operators.rip_from_bounds` for arrays (δ = 1,
    scale NaN where ``lo <= 0``)."""
    good = (lo > 0.0) & np.isfinite(hi)
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where(good, (hi - lo) / (hi + lo), 1.0)
        scale = np.where(good, 2.0 / (hi + lo), np.nan)
    return delta, scale


# ---------------------------------------------------------------------------------------------
# the solver-free screen, vectorized (certify.linalg.normalize_pair and rip.sdp.check_pair)
# ---------------------------------------------------------------------------------------------
@dataclass
class _Screen:
    exponent: np.ndarray
    Xn: np.ndarray
    Zn: np.ndarray
    zz: np.ndarray
    rel: np.ndarray
    regular: np.ndarray  # figures trustworthy in the batch; else the scalar path decides
    status: np.ndarray
    delta: np.ndarray
    delta_lower: np.ndarray
    message: list


def _screen(X, Z) -> _Screen:
    K = X.shape[0]
    r = X.shape[2]
    m = np.maximum(np.abs(X).max(axis=(1, 2)), np.abs(Z).max(axis=(1, 2)))
    zero_z = ~np.any(Z != 0.0, axis=(1, 2))
    if zero_z.any():
        idx = np.flatnonzero(zero_z)
        raise InputError(f"Zs: the ground truth of instance(s) {', '.join(map(str, idx[:5]))} is zero; Z Z^T must be nonzero")
    exponent = -np.frexp(m)[1]
    Xn = np.ldexp(X, exponent[:, None, None])
    Zn = np.ldexp(Z, exponent[:, None, None])
    R = np.linalg.qr(np.concatenate([Xn, Zn], axis=2), mode="r")
    Rx, Rz = R[:, :, :r], R[:, :, r:]
    distance = np.linalg.norm(Rx @ np.swapaxes(Rx, 1, 2) - Rz @ np.swapaxes(Rz, 1, 2), axis=(1, 2))
    zz = np.linalg.norm(np.swapaxes(Zn, 1, 2) @ Zn, axis=(1, 2))
    regular = zz > _TINY
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(regular, distance / np.where(regular, zz, 1.0), np.inf)
    status = np.full(K, "", dtype=object)
    delta = np.full(K, np.nan)
    delta_lower = np.full(K, np.nan)
    message = [""] * K
    glob = regular & (rel <= GLOBAL_MIN_RTOL)
    status[glob] = "global-minimizer"
    for k in np.flatnonzero(glob):
        message[k] = f"X X^T = Z Z^T (relative distance {rel[k]:.2e} <= {GLOBAL_MIN_RTOL:g}): X is a global minimizer"
    open_ = regular & ~glob
    if r == 1 and Z.shape[2] == 1:
        x, z = Xn[:, :, 0], Zn[:, :, 0]
        nx, nz = np.linalg.norm(x, axis=1), np.linalg.norm(z, axis=1)
        xzero = nx == 0.0
        regular &= xzero | (nx > _TINY)
        open_ &= regular
        with np.errstate(divide="ignore", invalid="ignore"):
            u = x / np.where(xzero, 1.0, nx)[:, None]
            w = z / nz[:, None]
            a, b = np.linalg.norm(u - w, axis=1), np.linalg.norm(u + w, axis=1)
            sin = np.where(xzero, 1.0, np.minimum(1.0, a * b / 2.0))
            rho = np.where(xzero, 0.0, nx / nz)
        colin = open_ & ~xzero & (sin <= COLINEAR_TOL)
        status[colin] = "no-counterexample"
        delta[colin], delta_lower[colin] = 1.0, 1.0
        for k in np.flatnonzero(colin):
            message[k] = f"x and z are colinear (sin of the angle = {sin[k]:.1e}): delta(x, z) = 1 (JMLR19)"
        open_ &= ~colin
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(rel > 0.0, 1.0 / np.where(rel > 0.0, rel, 1.0), np.inf)
        lb0 = np.where(rel > 0.0, (1.0 - q) / (1.0 + q), -np.inf)
    fo = open_ & (lb0 >= 1.0 - NO_CE_TOL / 2)
    status[fo] = "no-counterexample"
    delta[fo], delta_lower[fo] = 1.0, lb0[fo]
    for k in np.flatnonzero(fo):
        message[k] = f"first-order bound: delta >= (1 - q) / (1 + q) = {lb0[k]:.12f}, q = ||ZZ^T|| / ||XX^T - ZZ^T||"
    open_ &= ~fo
    if r == 1 and Z.shape[2] == 1:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            idx = np.flatnonzero(open_)
            if idx.size:
                s2 = sin[idx] ** 2
                big = (rho[idx] > 1.0) | ~np.isfinite(rel[idx])
                lb1 = np.where(big, _bound(rho[idx], s2), _bound(np.where(big, 0.5, rho[idx]), s2,
                                                                     D=np.where(big, 1.0, rel[idx])))
                lb1 = np.atleast_1d(lb1)
                hit = lb1 >= 1.0 - NO_CE_TOL / 2
                for k, v in zip(idx[hit], lb1[hit], strict=False):
                    status[k] = "no-counterexample"
                    delta[k], delta_lower[k] = 1.0, float(v)
                    message[k] = f"closed form (JMLR19 Theorem 12): delta(x, z) >= {v:.15f}"
    return _Screen(exponent=exponent, Xn=Xn, Zn=Zn, zz=zz, rel=rel, regular=regular, status=status, delta=delta,
                   delta_lower=delta_lower, message=message)


# ---------------------------------------------------------------------------------------------
# delta_batch
# ---------------------------------------------------------------------------------------------
def delta_batch(
    Xs,
    Zs,
    *,
    backend: str | None = None,
    solver: str | None = None,
    settings: dict | None = None,
    gap_tol: float = DEFAULT_GAP_TOL,
    mode: str = "update",
    block: int = 32,
    check: str = "vectorized",
    certificates: bool = False,
    keep_points: bool = False,
    workers: int = 1,
) -> BatchResult:
    """Checked brackets ``delta_lower <= δ(X_k, Z_k) <= delta`` for ``K`` instances of one shape.

    Parameters
    ----------
    Xs, Zs : arrays ``(K, n, r)`` and ``(K, n, r*)`` (``(K, n)``: vectors), or lists of ``K``
        arrays of one shape; ``K >= 1``, finite real entries (else :class:`InputError` naming the
        instances).  Mixed shapes are refused (split the batch by shape).
    backend, solver, settings : as for :func:`certify.rip.counterexample`; ``"clarabel"``
        (default), ``"scs"`` and ``"ipm"`` run the compiled core (``"ipm"``: the whole stack of a
        structure in one batched NumPy interior point; its failures are re-solved by Clarabel);
        ``"cvxpy"`` solves each instance with the reference backend (for comparisons).
    gap_tol : largest accepted ``delta - delta_lower`` (a real number > 0).
    mode : ``"update"`` (default: one Clarabel solver per structure and chunk, its values replaced
        with ``solver.update``; the fastest in ``benchmarks/bench_core.py``: 10,000 rank-1 pairs
        about 1.5 times faster than a fresh solver per instance, the same for larger structures),
        ``"loop"`` (a fresh solver per instance, conic data shared) or ``"block"`` (``block``
        instances per solve as one block-diagonal SDP); see :func:`certify.rip.conic.solve_lmi_many`.
        Clarabel keeps the first instance's equilibration across updates; an instance it leaves
        inaccurate is solved again by the retry ladder (fresh solver), so the brackets do not
        depend on the mode beyond the solver's tolerance.
    check : ``"vectorized"`` (default: the kernel's formulas for the whole stack) or ``"kernel"``
        (each bracket recomputed by :func:`certify.rip.sdp.finish_certificate` with the kernel's
        functions, instance by instance).
    certificates : also build and verify (kernel) a certificate per bracket
        (``result.certificates``).
    keep_points : keep ``(P, scale, y, V, H)`` per bracket (``result.points``,
        :meth:`BatchResult.certificate`).
    workers : split the batch over this many worker processes (``forkserver``, kept for later
        calls; the caller's script needs the ``if __name__ == "__main__":`` guard).  The result does
        not depend on it.

    Returns
    -------
    :class:`BatchResult`: ``.delta``, ``.delta_lower``, ``.status`` (see :data:`STATUSES`),
    ``.message``.  A bracket is reported only after its checks passed; an instance whose batched
    solve or checks fail is re-solved alone (:func:`certify.rip.counterexample`), and reported as
    ``"failed"`` (NaN) if that fails too.
    """
    if not isinstance(workers, (int, np.integer)) or isinstance(workers, bool) or workers < 1:
        raise InputError(f"workers: expected an integer >= 1, got {describe(workers)}")
    args = (backend, solver, settings, gap_tol, mode, block, check, certificates, keep_points)
    if workers > 1:
        X = _stack(Xs, "Xs")
        Z = _stack(Zs, "Zs")
        if X.shape[0] >= 2 * workers:
            return _parallel(X, Z, args, int(workers))
        Xs, Zs = X, Z
    with conic.blas_single_thread():
        return _delta_batch(Xs, Zs, *args)


_POOLS: dict = {}


def _pool(workers: int):
    """A process pool of ``workers`` processes, started once (``forkserver``, else ``spawn``: a bare
    ``fork`` of a process whose OpenBLAS threads run can deadlock in the child)."""
    import multiprocessing as mp  # noqa: PLC0415
    from concurrent.futures import ProcessPoolExecutor  # noqa: PLC0415

    ex = _POOLS.get(workers)
    if ex is None:
        method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        ex = _POOLS[workers] = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context(method))
    return ex


def _part(job):
    X, Z, args = job
    with conic.blas_single_thread():
        return _delta_batch(X, Z, *args)


def _parallel(X, Z, args, workers) -> BatchResult:
    """:func:`delta_batch` on ``workers`` contiguous parts of the batch in worker processes, merged."""
    t0 = time.perf_counter()
    parts = np.array_split(np.arange(X.shape[0]), workers)
    jobs = [(X[p], Z[p], args) for p in parts]
    try:
        res = list(_pool(workers).map(_part, jobs))
    except Exception:  # noqa: BLE001 - a broken pool is rebuilt once, then the error is the caller's
        _POOLS.pop(workers, None)
        res = list(_pool(workers).map(_part, jobs))
    first = res[0]
    cat = np.concatenate
    timings = {k: float(sum(r.timings.get(k, 0.0) for r in res)) for k in first.timings}
    return BatchResult(
        X=X, Z=Z, delta=cat([r.delta for r in res]), delta_lower=cat([r.delta_lower for r in res]),
        status=cat([r.status for r in res]), message=sum((r.message for r in res), []),
        solver_status=cat([r.solver_status for r in res]), method=cat([r.method for r in res]), backend=first.backend,
        mode=first.mode, check=first.check, gap_tol=first.gap_tol, seconds=time.perf_counter() - t0, timings=timings,
        certificates=None if first.certificates is None else sum((r.certificates for r in res), []),
        points=None if first.points is None else sum((r.points for r in res), []))


def _delta_batch(Xs, Zs, backend, solver, settings, gap_tol, mode, block, check, certificates, keep_points):
    t_start = time.perf_counter()
    X = _stack(Xs, "Xs")
    Z = _stack(Zs, "Zs")
    if X.shape[0] != Z.shape[0] or X.shape[1] != Z.shape[1]:
        raise InputError(f"Xs, Zs: expected (K, n, r) and (K, n, r*) with the same K and n, got {X.shape} and {Z.shape}")
    gap_tol = real(gap_tol, "gap_tol", lo=0.0, lo_open=True)
    if mode not in ("loop", "update", "block"):
        raise InputError(f"mode: expected 'loop', 'update' or 'block', got {describe(mode)}")
    if check not in ("vectorized", "kernel"):
        raise InputError(f"check: expected 'vectorized' or 'kernel', got {describe(check)}")
    for opt, val in (("certificates", certificates), ("keep_points", keep_points)):
        if not isinstance(val, (bool, np.bool_)):
            raise InputError(f"{opt}: expected True or False, got {describe(val)}")
    if settings is not None and not isinstance(settings, dict):
        raise InputError(f"settings: expected a dict of solver options or None, got {describe(settings)}")
    if not isinstance(block, (int, np.integer)) or isinstance(block, bool) or block < 1:
        raise InputError(f"block: expected an integer >= 1, got {describe(block)}")
    backend, solver = resolve_backend(backend, solver)
    K = X.shape[0]
    timings = {"screen": 0.0, "fill": 0.0, "solve": 0.0, "checks": 0.0, "scalar": 0.0, "certificates": 0.0}
    t0 = time.perf_counter()
    sc = _screen(X, Z)
    timings["screen"] = time.perf_counter() - t0
    status, delta, delta_lower, message = sc.status, sc.delta, sc.delta_lower, sc.message
    method = np.where(status != "", "screen", "").astype(object)
    solver_status = np.full(K, "", dtype=object)
    points: list | None = [None] * K if (keep_points or certificates) else None
    certs: list | None = [None] * K if certificates else None
    todo = np.flatnonzero(status == "")
    scalar = list(np.flatnonzero((status == "") & ~sc.regular))
    todo = np.array([k for k in todo if sc.regular[k]], dtype=int)
    if backend == "cvxpy":
        scalar, todo = sorted(scalar + list(todo)), np.zeros(0, dtype=int)
    if todo.size:
        _solve_groups(todo, X, Z, sc, backend, settings, mode, block, check, gap_tol, status, delta, delta_lower, message,
                      solver_status, method, points, certs, scalar, timings)
    t0 = time.perf_counter()
    # the ipm backend's instances that fail go to Clarabel (with its retry ladder)
    sback, ssettings = ("clarabel", None) if backend == "ipm" else (backend, settings)
    for k in sorted(scalar):
        _scalar(k, X, Z, sback, solver, ssettings, gap_tol, status, delta, delta_lower, message, solver_status, method,
                points, certs)
    timings["scalar"] = time.perf_counter() - t0
    if certs is not None:
        t0 = time.perf_counter()
        res_tmp = BatchResult(X=X, Z=Z, delta=delta, delta_lower=delta_lower, status=status, message=message,
                              solver_status=solver_status, method=method, backend=backend, mode=mode, check=check,
                              gap_tol=gap_tol, seconds=0.0, points=points)
        for k in np.flatnonzero(status == "ok"):
            if certs[k] is None:
                certs[k] = res_tmp.certificate(int(k))
        timings["certificates"] = time.perf_counter() - t0
    status = status.astype(str)
    return BatchResult(X=X, Z=Z, delta=delta, delta_lower=delta_lower, status=status, message=message,
                       solver_status=solver_status.astype(str), method=method.astype(str), backend=backend, mode=mode,
                       check=check, gap_tol=gap_tol, seconds=time.perf_counter() - t_start, timings=timings,
                       certificates=certs, points=points if keep_points else None)


def _scalar(k, X, Z, backend, solver, settings, gap_tol, status, delta, delta_lower, message, solver_status, method,
            points, certs):
    """Instance ``k`` alone through :func:`counterexample` (with its retry ladder)."""
    method[k] = "scalar"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                cert = counterexample(X[k], Z[k], backend=backend, solver=solver if backend == "cvxpy" else None,
                                      settings=settings, gap_tol=gap_tol, verify=certs is not None)
            except SolverError:
                if backend == "ipm":
                    raise
                # last resort: the other compiled engine (e.g. δ within 1e-8 of 1, where Clarabel's
                # repaired operator comes out singular); its bracket is checked the same way
                method[k] = "scalar-ipm"
                cert = counterexample(X[k], Z[k], backend="ipm", gap_tol=gap_tol, verify=certs is not None)
    except NoCounterexampleError as exc:
        status[k], delta[k], message[k] = "no-counterexample", 1.0, str(exc)
        delta_lower[k] = _decided_bound(X[k], Z[k], str(exc))
        return
    except InputError as exc:
        if "global minimizer" in str(exc):
            status[k], message[k] = "global-minimizer", str(exc)
            return
        status[k], message[k] = "failed", f"{type(exc).__name__}: {exc}"
        return
    except CertifyError as exc:
        status[k], message[k] = "failed", f"{type(exc).__name__}: {exc}"
        delta[k] = delta_lower[k] = np.nan
        return
    status[k], delta[k], delta_lower[k] = "ok", cert.delta, cert.delta_lower
    solver_status[k] = str((cert.solver or {}).get("status", ""))
    message[k] = ""
    if points is not None:
        d = cert.dual
        B = sym_basis(d.P.shape[1])
        H = B.T @ cert.operator.H_hat @ B
        k_exp = (cert.formulation or {}).get("instance_scale_exponent")
        points[k] = (d.P, d.scale, d.y, d.V, H, k_exp)
    if certs is not None:
        certs[k] = cert


def _decided_bound(X, Z, text: str) -> float:
    """The lower bound behind a :class:`NoCounterexampleError` of instance ``(X, Z)``: 1 for a
    colinear rank-1 pair (JMLR19), else the solver-free bounds recomputed (first order, closed
    form) when they decide it, else the checked dual bound its message states."""
    import re  # noqa: PLC0415

    from .closed_form import closed_form_from_pair  # noqa: PLC0415
    from .sdp import first_order_lower_bound  # noqa: PLC0415

    pair = normalize_pair(X, Z)
    if pair.colinear:
        return 1.0
    lb = first_order_lower_bound(pair)
    if pair.rank_one and not pair.global_minimizer:
        lb = max(lb, closed_form_from_pair(pair))
    if lb >= 1.0 - NO_CE_TOL / 2:
        return float(lb)
    m = re.search(r"certifies delta\(X, Z\) >= ([0-9.]+)", text)
    return float(m.group(1)) if m else float("nan")


def _solve_groups(todo, X, Z, sc, backend, settings, mode, block, check, gap_tol, status, delta, delta_lower, message,
                  solver_status, method, points, certs, scalar, timings):
    K, n, r = X.shape
    t0 = time.perf_counter()
    Xn, Zn = sc.Xn[todo], sc.Zn[todo]
    U, sv, _ = np.linalg.svd(np.concatenate([Xn, Zn], axis=2), full_matrices=False)
    dim = np.sum(sv > 1e-10 * np.maximum(sv[:, :1], 1e-300), axis=1)
    scale = 1.0 / np.sqrt(sc.zz[todo])
    timings["fill"] += time.perf_counter() - t0
    for d in np.unique(dim):
        sel = np.flatnonzero(dim == d)
        P = U[sel, :, :d]
        Pt = np.swapaxes(P, 1, 2)
        Xh = scale[sel, None, None] * (Pt @ Xn[sel])
        Zh = scale[sel, None, None] * (Pt @ Zn[sel])
        if r > 1:
            Cfull, rank = conic.rotation_complement_batch(Xh)
        else:
            Cfull, rank = None, np.zeros(sel.size, dtype=int)
        for rk in np.unique(rank):
            sub = np.flatnonzero(rank == rk)
            q = int(d) * r - int(rk)
            C = None if Cfull is None else np.ascontiguousarray(Cfull[sub][:, :, int(rk):])
            lay = conic.layout("delta", int(d), r, q, "svec")
            per = lay.T * (lay.Tq + lay.q + 4) + lay.Tq * lay.s + 1
            chunk = max(1, min(4096, _CHUNK_DOUBLES // per))
            for a in range(0, sub.size, chunk):
                part = sub[a: a + chunk]
                ids = todo[sel[part]]
                _solve_chunk(lay, ids, Xh[part], Zh[part], None if C is None else C[a: a + chunk], P[part],
                             scale[sel[part]], sc, backend, settings, mode, block, check, gap_tol, status, delta,
                             delta_lower, message, solver_status, method, points, certs, scalar, timings, X, Z)


def _solve_chunk(lay, ids, Xh, Zh, C, P, scale, sc, backend, settings, mode, block, check, gap_tol, status, delta,
                 delta_lower, message, solver_status, method, points, certs, scalar, timings, X, Z):
    t0 = time.perf_counter()
    e, J = conic.instance_arrays(lay, Xh, Zh)
    values = conic.fill_values(lay, e, J, C)
    t1 = time.perf_counter()
    raws = conic.solve_lmi_many(lay, values, backend, settings, mode=mode, block=block, arrays=(e, J, C))
    if backend in ("clarabel", "scs"):
        # the retry ladder of certify.solvers, as counterexample() runs it: the instances without an
        # accurate answer are solved again (fresh solver) with the next, more robust settings; the
        # last attempt is kept, an inaccurate one only if the checks below accept its bracket
        name = backend.upper()
        once = conic._clarabel_once if name == "CLARABEL" else conic._scs_once
        for opts in conic._ladder(name, settings)[1:]:
            redo = [j for j, rw in enumerate(raws) if not (rw.status == "optimal" and rw.accurate and rw.x is not None)]
            for j in redo:
                rw = once(lay, values[j], lay.b, opts)
                if rw.x is not None:
                    raws[j] = rw
    t2 = time.perf_counter()
    timings["fill"] += t1 - t0
    timings["solve"] += t2 - t1
    # (a bracket is reported only if the checks below accept it; failures go to the scalar path)
    good = np.array([rw.x is not None and rw.status in ("optimal", "optimal_inaccurate")
                     and np.all(np.isfinite(rw.x)) and np.all(np.isfinite(rw.z)) for rw in raws])
    for j in np.flatnonzero(~good):
        scalar.append(int(ids[j]))
    for j, rw in enumerate(raws):
        solver_status[ids[j]] = rw.status
    g = np.flatnonzero(good)
    if g.size == 0:
        return
    xs = np.stack([raws[j].x for j in g])
    zs = np.stack([raws[j].z for j in g])
    e, J = e[g], J[g]
    Cg = None if C is None else C[g]
    H, y, V = _raw_points(lay, xs, zs, Cg)
    gid = ids[g]
    P, scale = P[g], scale[g]
    if check == "kernel":
        _kernel_checks(lay, gid, H, y, V, P, scale, sc, backend, raws, g, gap_tol, status, delta, delta_lower,
                       message, method, points, certs, scalar, X, Z)
        timings["checks"] += time.perf_counter() - t2
        return
    # --- the checks, vectorized (the kernel's formulas) ------------------------------------------
    dop, dl, okH, okM, Hs = _checks(lay, e, J, Cg, H, y, V)
    timings["checks"] += time.perf_counter() - t2
    for j, k in enumerate(gid):
        if dl[j] >= 1.0 - NO_CE_TOL:
            status[k], delta[k], delta_lower[k], method[k] = "no-counterexample", 1.0, float(dl[j]), "batch"
            message[k] = f"the dual certifies delta(X, Z) >= {dl[j]:.12f}"
            continue
        if not (okH[j] and okM[j] and dl[j] <= dop[j] + 1e-9 and dop[j] - dl[j] <= gap_tol and np.isfinite(dop[j])):
            scalar.append(int(k))
            continue
        status[k], delta[k], delta_lower[k], method[k] = "ok", float(dop[j]), float(dl[j]), "batch"
        if points is not None:
            kk = int(sc.exponent[k])
            if abs(kk) <= STORE_EXPONENT_LIMIT:
                dual_scale, norm_exp = math.ldexp(float(scale[j]), kk), None
            else:
                dual_scale, norm_exp = float(scale[j]), kk
            points[k] = (P[j], dual_scale, y[j], V[j], Hs[j], norm_exp)


def _kernel_checks(lay, gid, H, y, V, P, scale, sc, backend, raws, g, gap_tol, status, delta, delta_lower, message,
                   method, points, certs, scalar, X, Z):
    """Each bracket through :func:`certify.rip.sdp.finish_certificate` (the kernel's functions)."""
    from ..check.duality import lmi_data  # noqa: PLC0415
    from ..solvers import SolveInfo  # noqa: PLC0415
    from .sdp import finish_certificate  # noqa: PLC0415

    for j, k in enumerate(gid):
        pair = normalize_pair(X[k], Z[k])
        data = lmi_data(scale[j] * (P[j].T @ pair.Xn), scale[j] * (P[j].T @ pair.Zn), "svec")
        rw = raws[g[j]]
        info = SolveInfo(name=backend.upper(), version=conic._version(backend), status=rw.status, accurate=rw.accurate,
                         solve_time=rw.solve_time, iterations=rw.iterations)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                cert = finish_certificate(pair, P[j], float(scale[j]), data, H[j], y[j], V[j], info, backend=backend,
                                          gap_tol=gap_tol, verify=certs is not None)
        except NoCounterexampleError as exc:
            status[k], delta[k], message[k], method[k] = "no-counterexample", 1.0, str(exc), "batch"
            delta_lower[k] = _decided_bound(X[k], Z[k], str(exc))
            continue
        except CertifyError:
            scalar.append(int(k))
            continue
        status[k], delta[k], delta_lower[k], method[k] = "ok", cert.delta, cert.delta_lower, "batch"
        if points is not None:
            B = sym_basis(P[j].shape[1])
            k_exp = (cert.formulation or {}).get("instance_scale_exponent")
            points[k] = (cert.dual.P, cert.dual.scale, cert.dual.y, cert.dual.V, B.T @ cert.operator.H_hat @ B, k_exp)
        if certs is not None:
            certs[k] = cert
