"""A dense primal-dual interior-point method for the counterexample SDP, batched over instances.

The conic data are those of :mod:`certify.rip.conic` (problem ``"delta"``): variable
``x = (δ, h)``, ``h = svec(H)``, constraints ``A x + s = b`` with ``s`` in
``{0}^q × S^q_+ × S^s_+ × S^s_+`` (first order, second order on the rotation complement, the two
sides of the band).  Clarabel solves it through a sparse ``(n + m)``-dimensional KKT system in
which every PSD block is a dense ``s(s+1)/2``-square block (about 900 rows for ``d = 6``); here the
Newton systems are reduced to the ``n x n`` Schur complement (``n = 1 + s(s+1)/2``) plus the ``q``
equality rows, with the band blocks' structure (``±I`` on ``h``, ``-svec(I)`` on ``δ``) used in
closed form, and every instance of a stack advances with NumPy's batched linear algebra.

Algorithm: infeasible-start path following with Nesterov–Todd scaling and Mehrotra's
predictor–corrector (as in CVXOPT's ``conelp`` without the homogeneous embedding, or SDPT3), the
scaling from ``S = L_s L_s^T``, ``Z = L_z L_z^T`` and the SVD ``L_z^T L_s = U Σ V^T``:
``R = L_s V Σ^{-1/2}``, ``R^{-1} = Σ^{-1/2} U^T L_z^T``, ``R^T Z R = R^{-1} S R^{-T} = Σ``.
Separate primal and dual step lengths (fraction 0.99 of the distance to the boundary).

The answer is a proposal like any solver's: :func:`certify.rip.counterexample` and
:func:`certify.rip.delta_batch` repair it and check it with the kernel's formulas; an instance
that does not converge is reported as such (``status`` not ``"optimal"``) and handed to Clarabel.
"""

from __future__ import annotations

import math
import time
from functools import cache

import numpy as np

from .conic import Layout, RawSolution, blas_single_thread, svec_batch, tri

__all__ = ["solve_delta_ipm", "IPM_DEFAULTS"]

#: default settings: tolerances on the relative residuals and gap, iteration cap, step fraction
IPM_DEFAULTS = {"tol_feas": 1e-9, "tol_gap": 1e-10, "max_iter": 60, "step": 0.99, "tol_bracket": 1e-10,
                "reduced_tol": 1e-6, "patience": 3, "monitor_from": 1e-4}


def _sym(M):
    return 0.5 * (M + np.swapaxes(M, -1, -2))


def _factor(S):
    """``L`` with ``L L^T = S`` (symmetric eigen square root; robust for nearly singular ``S``)."""
    lam, Q = np.linalg.eigh(_sym(S))
    top = np.maximum(lam[..., -1:], 1e-300)
    lam = np.maximum(lam, 1e-300 * top)
    return Q * np.sqrt(lam)[..., None, :]


def _nt(S, Z):
    """NT scaling of a stack of PSD pairs: ``(lam, R, Rinv)`` with ``R^T Z R = R^{-1} S R^{-T} = diag(lam)``."""
    Ls, Lz = _factor(S), _factor(Z)
    U, sig, Vt = np.linalg.svd(np.swapaxes(Lz, -1, -2) @ Ls)
    sig = np.maximum(sig, 1e-300)
    isq = 1.0 / np.sqrt(sig)
    R = (Ls @ np.swapaxes(Vt, -1, -2)) * isq[..., None, :]
    Rinv = isq[..., :, None] * (np.swapaxes(U, -1, -2) @ np.swapaxes(Lz, -1, -2))
    return sig, R, Rinv


@cache
def _skron_index(n: int):
    i, j, _, alpha, _ = tri(n)
    ic = (i[:, None] * n + i[None, :]).ravel()
    jd = (j[:, None] * n + j[None, :]).ravel()
    id_ = (i[:, None] * n + j[None, :]).ravel()
    jc = (j[:, None] * n + i[None, :]).ravel()
    aa = (alpha[:, None] * alpha[None, :]).ravel()
    return ic, jd, id_, jc, aa


def _skron(G, n):
    """``K(G)`` (K, T, T): the matrix of ``svec(M) -> svec(G M G)`` for symmetric ``G`` (n x n)."""
    ic, jd, id_, jc, aa = _skron_index(n)
    Gf = G.reshape(G.shape[0], n * n)
    T = n * (n + 1) // 2
    return (aa * (Gf[:, ic] * Gf[:, jd] + Gf[:, id_] * Gf[:, jc])).reshape(G.shape[0], T, T)


def _smat(v, n):
    i, j, _, _, gamma = tri(n)
    out = np.zeros(v.shape[:-1] + (n, n))
    vals = v / gamma
    out[..., i, j] = vals
    out[..., j, i] = vals
    return out


def _max_step(lam, D):
    """Largest ``α <= 1/step`` with ``diag(lam) + α D ⪰ 0`` per instance (``inf`` if any α works)."""
    isq = 1.0 / np.sqrt(lam)
    ev = np.linalg.eigvalsh(_sym(isq[..., :, None] * D * isq[..., None, :]))[..., 0]
    with np.errstate(divide="ignore"):
        return np.where(ev < 0.0, -1.0 / np.where(ev < 0.0, ev, -1.0), np.inf)


def _circ_solve(lam, RHS):
    """``D`` with ``(diag(lam) D + D diag(lam)) / 2 = RHS``."""
    return 2.0 * RHS / (lam[..., :, None] + lam[..., None, :])


class _Problem:
    """The dense blocks of a stack of ``"delta"`` problems (from the CSC values of :mod:`conic`)."""

    def __init__(self, lay: Layout, values: np.ndarray):
        K = values.shape[0]
        T, q, Tq, s = lay.T, lay.q, lay.Tq, lay.s
        hc = values[:, lay.nnz_t:].reshape(K, T, lay.per_col)
        self.K, self.T, self.q, self.Tq, self.s, self.qM = K, T, q, Tq, s, lay.q
        self.AG = np.ascontiguousarray(np.swapaxes(hc[:, :, :q], 1, 2))  # (K, q, T): A on h, G rows
        self.AM = np.ascontiguousarray(np.swapaxes(hc[:, :, q:q + Tq], 1, 2))  # (K, Tq, T): A on h, M rows
        # the same columns as q x q matrices (K, T, q, q), for the congruences of the Schur complement
        self.AMm = _smat(np.swapaxes(self.AM, 1, 2), lay.q)
        _, _, diag_s, _, _ = tri(s)
        self.Is = diag_s.astype(float)  # svec(I_s)
        self.n = 1 + T
        self.nu = lay.q + 2 * s  # degree of the cone
        self.bnorm = 1.0 + math.sqrt(2.0 * float(self.Is @ self.Is))

    # --- A x and A^T z, block by block (b: M 0, B1 -svec(I), B2 +svec(I); E 0) ---------------
    def Ax(self, x):
        t, h = x[:, 0], x[:, 1:]
        aE = np.einsum("kqt,kt->kq", self.AG, h)
        aM = np.einsum("kpt,kt->kp", self.AM, h)
        a1 = -t[:, None] * self.Is - h
        a2 = -t[:, None] * self.Is + h
        return aE, aM, a1, a2

    def ATz(self, y, zM, z1, z2):
        out = np.empty((y.shape[0], self.n))
        out[:, 0] = -(z1 @ self.Is) - (z2 @ self.Is)
        out[:, 1:] = np.einsum("kqt,kq->kt", self.AG, y) + np.einsum("kpt,kp->kt", self.AM, zM) - z1 + z2
        return out


def solve_delta_ipm(lay: Layout, values: np.ndarray, settings: dict | None = None, monitor=None) -> list[RawSolution]:
    """Solve ``K`` counterexample SDPs of one structure (``values``: (K, nnz), :func:`conic.fill_values`).

    Returns one :class:`~certify.rip.conic.RawSolution` per instance with ``x`` and ``z`` in
    Clarabel's layout (row order and signs), so the callers read them exactly as Clarabel's;
    ``status`` ``"optimal"`` (primal residual <= ``tol_feas`` and relative gap <= ``tol_gap``) or
    ``"solver_error"`` (no convergence in ``max_iter`` iterations, or a numerical breakdown).

    Termination ignores the residual of the dual equations' band part on purpose: near the
    optimum the Schur complement is ill-conditioned (condition ~ 1/μ²) and the computed band
    multipliers (``Z1``, ``Z2``) lose accuracy first, while ``y`` and ``V`` (the only dual
    quantities the kernel's bound uses: it rebuilds the band multipliers itself) and the primal
    point keep converging; the bracket is checked afterwards in any case.

    ``monitor(idx, x, z) -> gap`` (optional): the bracket ``delta - delta_lower`` that the caller's
    checks would give for the iterates ``(x, z)`` (Clarabel's layout) of instances ``idx`` (``inf``
    where there is none).  With a monitor, each instance returns its best monitored iterate and
    stops as soon as that gap is ``<= tol_bracket`` (``"optimal"``); after ``max_iter`` iterations,
    a breakdown, or ``patience`` iterations without improvement once the gap is below
    ``reduced_tol``, the best iterate is returned as ``"optimal"`` (gap ``<= tol_bracket``),
    ``"optimal_inaccurate"`` (``<= reduced_tol``) or ``"solver_error"``.  The near-optimal
    Schur complements of degenerate instances (a singular Hessian block at the optimum, typical
    for ``r > 1``) lose the dual point's accuracy before the gap stalls; the monitor sees it."""
    if lay.problem != "delta":
        raise ValueError("solve_delta_ipm: only the counterexample SDP ('delta' layout)")
    opts = {**IPM_DEFAULTS, **(settings or {})}
    t_start = time.perf_counter()
    pb = _Problem(lay, values)
    with blas_single_thread():
        return _solve(pb, lay, opts, monitor, t_start)


def _solve(pb, lay, opts, monitor, t_start):
    K, n, q, s, qM = pb.K, pb.n, pb.q, pb.s, pb.qM
    Is = pb.Is
    st = _State(K, n, q, (qM, s, s), Is)
    mon = _Monitor(K, n, lay.m) if monitor is not None else None
    active = np.arange(K)
    for it in range(int(opts["max_iter"]) + 1):
        if active.size == 0:
            break
        if mon is not None:
            mon.observe(monitor, st, active, it, opts)
            active = np.flatnonzero(st.status == "")
            if active.size == 0 or it == int(opts["max_iter"]):
                break
        elif it == int(opts["max_iter"]):
            break
        with np.errstate(all="ignore"):
            try:
                _iteration(pb, st, active, it, opts)
            except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                for k in active:  # isolate the instance(s) that broke the batch
                    try:
                        _iteration(pb, st, np.array([k]), it, opts)
                    except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                        st.status[k] = "breakdown"
        active = np.flatnonzero(st.status == "")
    elapsed = (time.perf_counter() - t_start) / max(K, 1)
    out = []
    if mon is not None:
        return mon.results(st, opts, elapsed)
    st.status[(st.status == "") | (st.status == "breakdown")] = "solver_error"
    zM, z1, z2 = (svec_batch(Zb) for Zb in st.Z)
    for k in range(K):
        z = np.concatenate([st.y[k], zM[k], z1[k], z2[k]])
        sk = str(st.status[k])
        ok = sk == "optimal" and np.all(np.isfinite(st.x[k])) and np.all(np.isfinite(z))
        out.append(RawSolution(x=st.x[k].copy(), z=z, status=sk if ok or sk != "optimal" else "solver_error",
                               accurate=bool(ok), iterations=int(st.iters[k]), solve_time=elapsed, raw_status=sk))
    return out


class _Monitor:
    """The best monitored iterate of every instance (see :func:`solve_delta_ipm`)."""

    def __init__(self, K, n, m):
        self.best = np.full(K, np.inf)
        self.x = np.full((K, n), np.nan)
        self.z = np.full((K, m), np.nan)
        self.since = np.zeros(K, dtype=int)
        self.iters = np.zeros(K, dtype=int)

    def observe(self, monitor, st, a, it, opts):
        """Evaluate the current iterates of ``a`` whose gap and residual are below ``monitor_from``
        (earlier iterates cannot give a tight bracket; the last iteration is always evaluated)."""
        if it < int(opts["max_iter"]):
            near = st.relgap[a] <= opts["monitor_from"]
            if not near.all():
                self.since[a[~near]] = 0
                a = a[near]
                if a.size == 0:
                    return
        x = st.x[a]
        z = np.concatenate([st.y[a]] + [svec_batch(Zb[a]) for Zb in st.Z], axis=1)
        ok = np.isfinite(x).all(1) & np.isfinite(z).all(1)
        gap = np.full(a.size, np.inf)
        if ok.any():
            with np.errstate(all="ignore"):
                try:
                    g = np.asarray(monitor(a[ok], x[ok], z[ok]), dtype=float)
                except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                    g = np.full(int(ok.sum()), np.inf)
            gap[ok] = np.where(np.isfinite(g), g, np.inf)
        prev = self.best[a].copy()
        better = gap < prev
        idx = a[better]
        self.best[idx] = gap[better]
        self.x[idx] = x[better]
        self.z[idx] = z[better]
        self.iters[idx] = it
        self.since[a] = np.where(gap < 0.5 * prev, 0, self.since[a] + 1)
        bt = self.best[a]
        stop = (bt <= opts["tol_bracket"]) | ((bt <= opts["reduced_tol"]) & (self.since[a] >= opts["patience"]))
        st.status[a[stop]] = "done"

    def results(self, st, opts, elapsed):
        out = []
        for k in range(self.best.size):
            g = self.best[k]
            sk = "optimal" if g <= opts["tol_bracket"] else ("optimal_inaccurate" if g <= opts["reduced_tol"] else "solver_error")
            x = self.x[k] if np.isfinite(g) else st.x[k]
            z = self.z[k] if np.isfinite(g) else np.full(self.z.shape[1], np.nan)
            out.append(RawSolution(x=x.copy(), z=z.copy(), status=sk, accurate=sk == "optimal",
                                   iterations=int(self.iters[k]), solve_time=elapsed, raw_status=f"monitored gap {g:.1e}"))
        return out


class _State:
    """The iterates of every instance: ``x``, ``y``, ``S`` and ``Z`` per PSD block, status, iterations."""

    def __init__(self, K, n, q, sizes, Is):
        # starting point: δ = 1, H = I (both band slacks = I), S_M = I (infeasible), Z = I, y = 0
        self.x = np.zeros((K, n))
        self.x[:, 0] = 1.0
        self.x[:, 1:] = Is
        self.y = np.zeros((K, q))
        self.S = [np.broadcast_to(np.eye(m), (K, m, m)).copy() for m in sizes]
        self.Z = [np.broadcast_to(np.eye(m), (K, m, m)).copy() for m in sizes]
        self.sizes = sizes
        self.status = np.full(K, "", dtype=object)
        self.iters = np.zeros(K, dtype=int)
        self.relgap = np.full(K, np.inf)  # the last iteration's relative gap (the monitor waits for it)


def _iteration(pb: _Problem, st: _State, a: np.ndarray, it: int, opts: dict) -> None:
    """One predictor–corrector step for the active instances ``a`` (updates ``st`` in place)."""
    n, q = pb.n, pb.q
    Is = pb.Is
    sizes = st.sizes
    xa, ya = st.x[a], st.y[a]
    Sa = [M[a] for M in st.S]
    Za = [M[a] for M in st.Z]
    finite = np.isfinite(xa).all(1) & np.isfinite(ya).all(1)
    for M in Sa + Za:
        finite &= np.isfinite(M).all((1, 2))
    if not finite.all():
        st.status[a[~finite]] = "solver_error"
        keep = np.flatnonzero(finite)
        a, xa, ya = a[keep], xa[keep], ya[keep]
        Sa, Za = [M[keep] for M in Sa], [M[keep] for M in Za]
        if a.size == 0:
            return
    sub = _Sub(pb, a)
    aE, aM, a1, a2 = sub.Ax(xa)
    sv = [svec_batch(M) for M in Sa]
    zv = [svec_batch(M) for M in Za]
    # residuals: r_E = b_E - A_E x, r_j = b_j - A_j x - s_j, r_d = -(c + A^T z)
    rE = -aE
    rs = [-aM - sv[0], -Is - a1 - sv[1], Is - a2 - sv[2]]
    rd = -sub.ATz(ya, *zv)
    rd[:, 0] -= 1.0
    gap = sum(np.einsum("ki,ki->k", sv[j], zv[j]) for j in range(3))
    pobj = xa[:, 0]
    dobj = zv[1] @ Is - zv[2] @ Is  # -b^T z (b_E = b_M = 0, b_1 = -svec(I), b_2 = svec(I))
    pres = np.sqrt(np.sum(rE**2, 1) + sum(np.sum(r**2, 1) for r in rs)) / pb.bnorm
    relgap = np.minimum(np.abs(pobj - dobj), np.abs(gap)) / np.maximum(1.0, np.abs(pobj))
    done = (pres <= opts["tol_feas"]) & (relgap <= opts["tol_gap"])
    st.iters[a] = it
    st.relgap[a] = np.maximum(relgap, pres)
    if done.any():
        st.status[a[done]] = "optimal"
        keep = np.flatnonzero(~done)
        if keep.size == 0:
            return
        a, xa, ya, rE, rd, gap = a[keep], xa[keep], ya[keep], rE[keep], rd[keep], gap[keep]
        Sa, Za, rs = [M[keep] for M in Sa], [M[keep] for M in Za], [r[keep] for r in rs]
        sub = _Sub(pb, a)
    k = a.size
    mu = gap / pb.nu
    # NT scaling per block, W^{-1} = R^{-T} R^{-1}
    scal = [_nt(Sa[j], Za[j]) for j in range(3)]
    G = [np.swapaxes(Ri, -1, -2) @ Ri for (_, _, Ri) in scal]
    # Schur complement M = sum_j A_j^T K(G_j) A_j (band blocks in closed form)
    Mfull = np.empty((k, n, n))
    RiM = scal[0][2][:, None]
    At = svec_batch(RiM @ sub.AMm @ np.swapaxes(RiM, -1, -2))  # (k, T, Tq): scaled M-block columns
    Mfull[:, 1:, 1:] = At @ np.swapaxes(At, 1, 2) + _skron(G[1], sizes[1]) + _skron(G[2], sizes[2])
    Mth = svec_batch(G[1] @ G[1]) - svec_batch(G[2] @ G[2])
    Mfull[:, 0, 1:] = Mth
    Mfull[:, 1:, 0] = Mth
    Mfull[:, 0, 0] = np.einsum("kij,kij->k", G[1], G[1]) + np.einsum("kij,kij->k", G[2], G[2])
    AE = np.zeros((k, q, n))
    AE[:, :, 1:] = sub.AG
    GrG = [svec_batch(G[j] @ _smat(rs[j], m) @ G[j]) for j, m in enumerate(sizes)]
    # symmetric diagonal equilibration, an inverse, one refinement step per solve
    dM = 1.0 / np.sqrt(np.maximum(np.einsum("kii->ki", Mfull), 1e-300))
    Ms = dM[:, :, None] * Mfull * dM[:, None, :]
    Ms[:, np.arange(n), np.arange(n)] += 1e-15
    Msi = np.linalg.inv(Ms)

    def msolve(B):
        X0 = dM[:, :, None] * (Msi @ (dM[:, :, None] * B))
        return X0 + dM[:, :, None] * (Msi @ (dM[:, :, None] * (B - Mfull @ X0)))

    sol_E = msolve(np.swapaxes(AE, 1, 2))  # M^{-1} A_E^T
    SEi = np.linalg.inv(AE @ sol_E)

    def newton(Ds):
        # M dx + A_E^T dy = r_d + sum_j A_j^T svec(G r_j G - R^{-T} D_j R^{-1}),  A_E dx = r_E
        terms = [GrG[j] - svec_batch(np.swapaxes(scal[j][2], -1, -2) @ Ds[j] @ scal[j][2]) for j in range(3)]
        rhs = rd + sub.ATz(np.zeros((k, q)), *terms)
        v = msolve(rhs[:, :, None])[:, :, 0]
        dy = np.einsum("kpq,kq->kp", SEi, np.einsum("kqn,kn->kq", AE, v) - rE)
        dx = v - np.einsum("knq,kq->kn", sol_E, dy)
        _, adM, ad1, ad2 = sub.Ax(dx)
        dst, dzt = [], []
        for j, (adj, m) in enumerate(zip((adM, ad1, ad2), sizes, strict=False)):
            Ri = scal[j][2]
            zt = _sym(Ri @ _smat(adj - rs[j], m) @ np.swapaxes(Ri, -1, -2) + Ds[j])  # scaled dZ
            dzt.append(zt)
            dst.append(_sym(Ds[j] - zt))  # scaled dS
        return dx, dy, dst, dzt

    def steps(dst, dzt):
        ap = np.full(k, np.inf)
        ad = np.full(k, np.inf)
        for j in range(3):
            ap = np.minimum(ap, _max_step(scal[j][0], dst[j]))
            ad = np.minimum(ad, _max_step(scal[j][0], dzt[j]))
        return ap, ad

    lams = [sc[0] for sc in scal]
    eyes = [np.eye(m)[None] for m in sizes]
    # predictor (affine scaling): D = -Λ
    _, _, dst_a, dzt_a = newton([-eyes[j] * lams[j][:, :, None] for j in range(3)])
    ap, ad = steps(dst_a, dzt_a)
    ap, ad = np.minimum(1.0, ap), np.minimum(1.0, ad)
    mu_aff = sum(np.einsum("kij,kji->k", eyes[j] * lams[j][:, :, None] + ap[:, None, None] * dst_a[j],
                           eyes[j] * lams[j][:, :, None] + ad[:, None, None] * dzt_a[j]) for j in range(3)) / pb.nu
    sigma = np.clip((mu_aff / np.maximum(mu, 1e-300)) ** 3, 0.0, 1.0)
    # corrector: λ∘D = -λ∘λ + σμ I - (dS_a ∘ dZ_a) (scaled)
    Dc = []
    for j in range(3):
        lam = lams[j]
        RHS = eyes[j] * (-(lam**2) + (sigma * mu)[:, None])[:, :, None] - _sym(dst_a[j] @ dzt_a[j])
        Dc.append(_circ_solve(lam, RHS))
    dx, dy, dst, dzt = newton(Dc)
    ap, ad = steps(dst, dzt)
    ap = np.minimum(1.0, opts["step"] * ap)
    ad = np.minimum(1.0, opts["step"] * ad)
    if opts.get("debug_bracket") is not None:
        zfull = np.concatenate([ya, svec_batch(Za[0]), svec_batch(Za[1]), svec_batch(Za[2])], axis=1)
        try:
            print("   bracket", opts["debug_bracket"](xa[0], zfull[0]))
        except Exception as exc:  # noqa: BLE001 - debugging aid only
            print("   bracket failed", type(exc).__name__, exc)
    if opts.get("debug"):
        print(f"it {it}: pres {pres[0]:.2e} relgap {relgap[0]:.2e} mu {mu[0]:.2e} sigma {sigma[0]:.2e} "
              f"ap {ap[0]:.3f} ad {ad[0]:.3f} pobj {pobj[0]:.12f}")
    st.x[a] = xa + ap[:, None] * dx
    st.y[a] = ya + ad[:, None] * dy
    for j in range(3):
        _, R, Ri = scal[j]
        st.S[j][a] = _sym(Sa[j] + ap[:, None, None] * (R @ dst[j] @ np.swapaxes(R, -1, -2)))
        st.Z[j][a] = _sym(Za[j] + ad[:, None, None] * (np.swapaxes(Ri, -1, -2) @ dzt[j] @ Ri))


class _Sub:
    """The rows ``a`` of a :class:`_Problem` (the active instances)."""

    def __init__(self, pb: _Problem, a):
        self.AG = pb.AG[a]
        self.AM = pb.AM[a]
        self.AMm = pb.AMm[a]
        self.Is = pb.Is
        self.n = pb.n

    Ax = _Problem.Ax
    ATz = _Problem.ATz
