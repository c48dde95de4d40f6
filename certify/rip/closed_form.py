"""Closed-form lower bound on ``δ(x, z)`` for rank 1 (JMLR19 Theorem 12, eqs. 30-32).

Numerics.  The bound depends only on the scale-invariant ``ρ = ||x|| / ||z||`` and ``φ``; both are
computed on the instance normalized by a power of two (:func:`certify.linalg.normalize_pair`), so
inputs scaled by ``1e±300`` give the same value, and the angle comes from
``2 atan2(||u - w||, ||u + w||)`` (unit vectors ``u, w``), accurate for every angle (``arccos`` of
the cosine loses all digits below about ``1e-8``).  ``D = ||xx^T - zz^T|| / ||zz^T||`` is taken
from the same normalization (no cancellation near ``x = ±z``), and ``ρ > 1`` is handled through
``1/ρ²``, so ``ρ`` beyond ``1e154`` (``ρ²`` would overflow) gives the limit value 1.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..linalg import GLOBAL_MIN_RTOL, Pair, as_real_array, normalize_pair

__all__ = ["closed_form_lower_bound", "closed_form_lower_bound_polar", "polar_coordinates", "closed_form_from_pair",
           "GapMap", "gap_map", "rank1_records"]


def _as_vectors(x, z) -> tuple[np.ndarray, np.ndarray]:
    x = as_real_array(x, "x").reshape(-1)
    z = as_real_array(z, "z").reshape(-1)
    if x.shape != z.shape or x.size == 0:
        raise InputError(f"x, z: expected two non-empty vectors of the same length, got {x.shape} and {z.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(z))):
        raise InputError("x, z: contain NaN or infinite entries")
    if not np.any(z != 0.0):
        raise InputError("z: the ground truth is zero")
    return x, z


def polar_coordinates(x, z) -> tuple[float, float]:
    """Length ratio ``ρ = ||x|| / ||z||`` and incidence angle ``φ = arccos(x^T z / (||x|| ||z||))``
    (JMLR19 eq. 30), in radians; ``φ`` is ``π/2`` by convention when ``x = 0``.

    Computed on the normalized instance: ``φ`` is accurate to a few ulps at every angle (also
    ``1e-12``), ``ρ`` is ``inf`` only when the ratio exceeds the double range.  Complex input is
    refused."""
    x, z = _as_vectors(x, z)
    p = normalize_pair(x, z)
    if p.angle is None:
        return 0.0, float(np.pi / 2)
    return float(p.rho), float(p.angle)


def _bound(rho, s2, D=None):
    """``δ_lb`` from ``ρ >= 0`` (may be ``inf``), ``sin² φ`` and optionally ``D`` (arrays)."""
    rho = np.asarray(rho, dtype=float)
    s2 = np.asarray(s2, dtype=float)
    big = rho > 1.0
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # rho <= 1: D = sqrt(((rho - 1)(rho + 1))^2 + 2 rho^2 s2), alpha = s2 / D, beta = rho^2 / D
        rs = np.where(big, 0.0, rho)
        D_small = np.sqrt(((rs - 1.0) * (rs + 1.0)) ** 2 + 2.0 * rs**2 * s2) if D is None else np.asarray(D, dtype=float)
        # rho > 1: with u = 1/rho^2, D = rho^2 D', D' = sqrt((1 - u)^2 + 2 u s2): alpha = s2 u / D', beta = 1 / D'
        u = np.where(big, 1.0 / np.where(big, rho, 1.0) ** 2, 1.0)
        Dp = np.sqrt(((1.0 - u) ** 2) + 2.0 * u * s2)
        if np.any(np.where(big, Dp, D_small) == 0.0):
            raise InputError("rho, phi: rho = 1 with sin(phi) = 0 means x x^T = z z^T, which has no spurious point")
        alpha = np.where(big, s2 * u / Dp, s2 / D_small)
        beta = np.where(big, 1.0 / Dp, rs**2 / D_small)
        root = np.sqrt(np.clip(1.0 - alpha**2, 0.0, None))
        case31 = beta >= alpha / (1.0 + root)
        v32 = (1.0 - 2.0 * alpha * beta + beta**2) / (1.0 - beta**2)
    out = np.where(case31, root, v32)
    return float(out) if out.ndim == 0 else out


def closed_form_lower_bound_polar(rho, phi):
    """``δ_lb(ρ, φ)`` of JMLR19 Theorem 12 (vectorized over arrays ``rho``, ``phi`` in radians)::

        D = sqrt((ρ² - 1)² + 2 ρ² sin² φ),  α = sin² φ / D,  β = ρ² / D,
        δ_lb = sqrt(1 - α²)                      if β >= α / (1 + sqrt(1 - α²))   (31)
        δ_lb = (1 - 2αβ + β²) / (1 - β²)         otherwise                        (32)

    ``D = 0`` means ``x x^T = z z^T`` (no spurious point): raises :class:`InputError`.  ``rho``,
    ``phi``: finite real numbers (arrays of them), ``rho >= 0``; complex input is refused.
    """
    rho = as_real_array(rho, "rho")
    phi = as_real_array(phi, "phi")
    if np.any(rho < 0) or not (np.all(np.isfinite(rho)) and np.all(np.isfinite(phi))):
        raise InputError("rho, phi: expected finite values with rho >= 0")
    return _bound(rho, np.sin(phi) ** 2)


def closed_form_from_pair(pair: Pair) -> float:
    """``δ_lb`` for a rank-1 :class:`~certify.linalg.Pair` (its stable ``ρ``, ``sin φ`` and
    ``D = rel_distance``); ``x = 0`` gives 1 (``φ = π/2``, ``ρ = 0``).  A global minimizer
    (``||xx^T - zz^T|| <= GLOBAL_MIN_RTOL ||zz^T||``) is refused with :class:`InputError`."""
    if not pair.rank_one:
        raise InputError(f"x, z: the closed form is for rank 1 (vectors), got shapes {pair.X.shape} and {pair.Z.shape}")
    if pair.global_minimizer:
        raise InputError(
            f"x, z: x x^T = z z^T (relative distance {pair.rel_distance:.2e} <= {GLOBAL_MIN_RTOL:g}), "
            "which has no spurious point"
        )
    if pair.sin_angle is None:  # x = 0
        return _bound(0.0, 1.0)
    rho, s = pair.rho, pair.sin_angle
    if rho > 1.0 or not math.isfinite(pair.rel_distance):
        return _bound(rho, s * s)
    return _bound(rho, s * s, D=pair.rel_distance)


def closed_form_lower_bound(x, z) -> float:
    """``δ_lb(x, z) <= δ(x, z)`` for rank-1 ``x, z ∈ R^n`` (JMLR19 Theorem 12); ``(n, 1)`` arrays
    count as vectors.  Scale-invariant and computed on the normalized instance (see the module
    docstring); complex input is refused."""
    xa = as_real_array(x, "x")
    za = as_real_array(z, "z")
    if xa.ndim == 2 and xa.shape[1] == 1:
        xa = xa[:, 0]
    if za.ndim == 2 and za.shape[1] == 1:
        za = za[:, 0]
    if xa.ndim != 1 or za.ndim != 1:
        raise InputError(f"x, z: the closed form is for rank 1 (vectors), got shapes {xa.shape} and {za.shape}")
    xa, za = _as_vectors(xa, za)
    return closed_form_from_pair(normalize_pair(xa, za))


# ---------------------------------------------------------------------------------------------
# closed-form gap maps: the SDP's checked bracket beside the closed form over a (ρ, φ) grid
# ---------------------------------------------------------------------------------------------
from dataclasses import dataclass, field  # noqa: E402


@dataclass
class GapMap:
    """δ(x, z) (checked bracket ``[delta_lower, delta]``) and the closed form of JMLR19 Theorem 12
    at ``x = ρ (cos φ, sin φ)``, ``z`` fixed (default ``e_1``), over the grid ``rhos × phis`` (radians).

    Arrays of shape ``(len(rhos), len(phis))``: ``delta``, ``delta_lower`` (the bracket of
    :func:`certify.rip.delta_batch`: ``nan`` where there is none), ``closed_form`` (``nan`` at
    the ground truth), ``status`` (``ok``, ``no-counterexample``: δ = 1, ``ground-truth``,
    ``failed``).  ``gap`` = ``delta - closed_form`` (the closed form's distance to δ, up to the
    bracket's width); ``certified_gap`` = ``delta - delta_lower``."""

    rhos: np.ndarray
    phis: np.ndarray
    z: np.ndarray
    delta: np.ndarray
    delta_lower: np.ndarray
    closed_form: np.ndarray
    status: np.ndarray
    seconds: float
    backend: str
    counts: dict = field(default_factory=dict)

    @property
    def phis_deg(self) -> np.ndarray:
        return np.degrees(self.phis)

    @property
    def gap(self) -> np.ndarray:
        return self.delta - self.closed_form

    @property
    def certified_gap(self) -> np.ndarray:
        return self.delta - self.delta_lower

    def summary(self) -> str:
        ok = self.status == "ok"
        parts = [f"{self.status.size} points ({self.rhos.size} rho x {self.phis.size} phi) in {self.seconds:.2f} s, backend "
                 f"{self.backend}: " + ", ".join(f"{k} {v}" for k, v in self.counts.items() if v)]
        if ok.any():
            g = np.where(ok, self.gap, -np.inf)
            i, j = np.unravel_index(int(np.argmax(g)), g.shape)
            parts.append(f"largest delta - closed form {g[i, j]:.4f} at rho = {self.rhos[i]:.4g}, phi = "
                         f"{self.phis_deg[j]:.4g} deg; smallest {np.min(self.gap[ok]):.1e} (>= 0: the closed form is a "
                         f"lower bound); largest certified gap {np.max(self.certified_gap[ok]):.1e}")
        return "; ".join(parts)

    def to_dict(self) -> dict:
        from ..io import jsonable  # noqa: PLC0415

        return jsonable({"rhos": self.rhos, "phis": self.phis, "phis_deg": self.phis_deg, "z": self.z, "delta": self.delta,
                         "delta_lower": self.delta_lower, "closed_form": self.closed_form, "status": self.status,
                         "seconds": self.seconds, "backend": self.backend, "counts": self.counts}, nonfinite="null")


def gap_map(rhos, phis, z=(1.0, 0.0), *, backend: str | None = None, gap_tol: float | None = None,
            mode: str = "update") -> GapMap:
    """The closed-form gap map: :class:`GapMap` over ``rhos × phis`` (φ in radians), every δ a
    bracket checked by :func:`certify.rip.delta_batch` (one batch for the whole grid), the points
    those of :func:`certify.rip.rank1.rank1_grid` (as the sweeps and :func:`certify.rip.saddle_map`).
    ``rhos >= 0`` and ``phis`` finite real numbers; ``z`` a nonzero vector of length 2."""
    import time  # noqa: PLC0415

    from ..options import reals  # noqa: PLC0415
    from .batch import delta_batch  # noqa: PLC0415
    from .rank1 import rank1_point  # noqa: PLC0415
    from .sdp import DEFAULT_GAP_TOL  # noqa: PLC0415

    t0 = time.perf_counter()
    rhos = reals(rhos, "rhos", lo=0.0)
    phis = reals(phis, "phis")
    zv = as_real_array(z, "z").reshape(-1)
    if zv.shape != (2,) or not np.all(np.isfinite(zv)) or not np.any(zv):
        raise InputError(f"z: expected a nonzero finite vector of length 2, got {z!r}")
    shape = (rhos.size, phis.size)
    xs = np.empty(shape + (2,))
    ground = np.zeros(shape, dtype=bool)
    for i, rho in enumerate(rhos):
        for j, phi in enumerate(phis):
            xs[i, j], ground[i, j] = rank1_point(float(rho), float(phi), zv)
    delta = np.full(shape, np.nan)
    delta_lower = np.full(shape, np.nan)
    status = np.full(shape, "ground-truth", dtype=object)
    sel = ~ground
    used = backend or "clarabel"
    if sel.any():
        X = xs[sel][:, :, None]
        Z = np.broadcast_to(zv, X.shape[:2])[:, :, None]
        res = delta_batch(X, Z, backend=backend, mode=mode, gap_tol=DEFAULT_GAP_TOL if gap_tol is None else gap_tol)
        delta[sel], delta_lower[sel] = res.delta, res.delta_lower
        status[sel] = res.status
        used = res.backend
    # the closed form (vectorized; rho and phi of the points, with the stable angle of normalize_pair)
    cf = np.full(shape, np.nan)
    if zv[1] == 0.0:  # z on the first axis: ρ = rho / |z_1|, and only sin² φ enters
        R, F = np.meshgrid(rhos / abs(zv[0]), phis, indexing="ij")
        cf[sel] = closed_form_lower_bound_polar(R[sel], F[sel])
    else:
        for i, j in zip(*np.nonzero(sel), strict=False):
            cf[i, j] = closed_form_lower_bound(xs[i, j], zv)
    status = status.astype(str)
    counts = {k: int(np.sum(status == k)) for k in ("ok", "no-counterexample", "ground-truth", "failed", "global-minimizer")}
    return GapMap(rhos=rhos, phis=phis, z=zv, delta=delta, delta_lower=delta_lower, closed_form=cf, status=status,
                  seconds=time.perf_counter() - t0, backend=used, counts=counts)


def rank1_records(points, *, backend: str | None = None, raise_on_failure: bool = False) -> list[dict]:
    """The ``rank1-grid`` sweep's result dicts for many points at once: ``points`` is a list of
    dicts with ``rho`` and ``phi_deg`` (and optionally ``solver``, which must be the same for all),
    solved in one :func:`certify.rip.delta_batch`; each dict has the fields of
    ``certify.sweep.kinds.rank1_grid.rank1_task`` (``kind``: counterexample / no-counterexample /
    ground-truth / failed, ``delta``, ``delta_lower``, ``gap``, ``closed_form``,
    ``closed_form_gap``, ``solver_status``, ``flags``; ``message`` where there is no bracket).
    ``raise_on_failure``: raise :class:`~certify.errors.SolverError` for a failed point instead (the
    sweep task's convention: a failed point is recorded by the engine)."""
    import math  # noqa: PLC0415

    from .batch import delta_batch  # noqa: PLC0415
    from .rank1 import rank1_point  # noqa: PLC0415

    points = list(points)
    solvers = {p.get("solver") for p in points}
    if len(solvers) > 1:
        raise InputError(f"points: one solver per batch, got {sorted(map(str, solvers))}")
    solver = solvers.pop() if solvers else None
    out, xs, idx = [], [], []
    for k, p in enumerate(points):
        rho, phi_deg = float(p["rho"]), float(p["phi_deg"])
        x, ground = rank1_point(rho, math.radians(phi_deg))
        rec = {"rho": rho, "phi_deg": phi_deg, "kind": None, "delta": None, "delta_lower": None, "gap": None,
               "closed_form": None, "closed_form_gap": None, "solver_status": None, "flags": []}
        if ground:
            rec["kind"] = "ground-truth"
        else:
            rec["closed_form"] = float(closed_form_lower_bound_polar(abs(rho), math.radians(phi_deg)))
            xs.append(x)
            idx.append(k)
        out.append(rec)
    if xs:
        X = np.array(xs)[:, :, None]
        Z = np.broadcast_to(np.array([1.0, 0.0]), X.shape[:2])[:, :, None]
        res = delta_batch(X, Z, backend=backend, solver=solver if backend == "cvxpy" else None)
        for j, k in enumerate(idx):
            rec, st = out[k], res.status[j]
            if st == "ok":
                rec.update(kind="counterexample", delta=float(res.delta[j]), delta_lower=float(res.delta_lower[j]),
                           gap=float(res.delta[j] - res.delta_lower[j]),
                           closed_form_gap=float(res.delta[j] - rec["closed_form"]), solver_status=str(res.solver_status[j]),
                           flags=[] if res.solver_status[j] in ("optimal", "") else ["solver_inaccurate"])
            elif st == "no-counterexample":
                rec.update(kind="no-counterexample", message=res.message[j])
            else:
                if raise_on_failure:
                    from ..errors import SolverError  # noqa: PLC0415

                    raise SolverError(f"rho = {rec['rho']!r}, phi_deg = {rec['phi_deg']!r}: {res.message[j]}")
                rec.update(kind="failed", message=res.message[j])
    return out
