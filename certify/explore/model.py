"""What the explorer computes, without any web framework: one function per interaction.

Every number the pages show comes from here and is checked the way the rest of certify checks it:

* :func:`plane_map` — δ(x, ẑ) over a grid of the rank-1, ``n = 2`` plane from the batched brackets
  (:func:`certify.rip.delta_batch`: each point a checked bracket with a status) beside the closed form
  of JMLR19 Theorem 12 (:func:`certify.rip.closed_form_lower_bound_polar`);
* :func:`point_view` — a clicked point: :func:`certify.rip.counterexample` (its certificate verified
  by the kernel, :meth:`~certify.check.format.Certificate.verify`), the measurement matrices, the
  landscape ``f`` over the plane under that operator, its critical points (Newton from the grid,
  classified by their Hessian eigenvalues), the Hessian eigenvalues at ``x̂``;
* :func:`curvature_view` — the curvature SDP at ``x̂`` for one δ (:func:`certify.rip.curvature`):
  ``"none"`` (every δ-RIP operator with ``∇f(x̂) = 0`` has negative curvature at ``x̂``, or none has
  ``∇f(x̂) = 0``), ``"degenerate"`` (``μ* = 0`` within the solver's accuracy) or ``"strict"``
  (``μ* > 0``: a verified certificate of a strict spurious local minimum);
* :func:`sgd_trials` — SGD trials of the validation protocol (:mod:`certify.sgd.protocol`: the same
  starts, streams and outcome rule as ``certify validate``) with their paths;
* :func:`atlas_view`, :func:`atlas_cell` — the sharp-threshold atlas table and one cell;
* :func:`check_upload` — an uploaded file read by the kernel's hardened reader and verified.

Bad input raises :class:`~certify.errors.InputError` (naming the field); the pages show its message.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import CertifyError, InputError
from ..options import integer, real

__all__ = [
    "Z_DEFAULT", "X_DEFAULT", "EXTENT", "MAX_UPLOAD_BYTES", "MAX_GRID", "MAX_TRIALS",
    "parse_number", "parse_point",
    "PlaneMap", "plane_map", "PointView", "CriticalPoint", "point_view", "critical_points", "landscape",
    "CurvatureView", "curvature_view", "mu_profile", "TrialsView", "sgd_trials",
    "AtlasView", "atlas_view", "atlas_cell", "prove_threshold", "threshold_file", "UploadReport", "check_upload",
]

#: the ground truth of the plane (``ẑ = e_1``) and the default spurious point (Zhang et al. 2018:
#: ``x̂ = (0, 1/√2)``, δ(x̂, ẑ) = 1/2)
Z_DEFAULT = (1.0, 0.0)
X_DEFAULT = (0.0, 1.0 / math.sqrt(2.0))
#: the plane shown: ``[-EXTENT, EXTENT]²``
EXTENT = 1.5
#: largest grid side of a heat map or landscape
MAX_GRID = 401
#: most SGD trials one click may run
MAX_TRIALS = 5_000
#: largest uploaded file the explorer reads (bytes)
MAX_UPLOAD_BYTES = 4 * 2**20
#: |μ| below this is "degenerate" (the curvature SDP's accuracy is about 1e-9)
DEGENERATE_TOL = 1e-7


def parse_number(text, name: str, *, lo: float | None = None, hi: float | None = None) -> float:
    """A finite real number from a field of the page (a string such as ``"0.5"``, or a number);
    :class:`InputError` naming the field and what is accepted otherwise."""
    if isinstance(text, str):
        t = text.strip()
        if not t:
            raise InputError(f"{name}: empty; expected a number")
        try:
            value = float(t)
        except ValueError:
            raise InputError(f"{name}: {t[:40]!r} is not a number; expected a decimal such as 0.5") from None
    else:
        value = text
    return real(value, name, lo=lo, hi=hi)


def parse_point(x1, x2, extent: float = EXTENT * 10) -> np.ndarray:
    """The point ``(x1, x2)`` of the plane from two fields (each within ``±extent``)."""
    return np.array([parse_number(x1, "x1", lo=-extent, hi=extent), parse_number(x2, "x2", lo=-extent, hi=extent)])


def _vec2(v, name: str) -> np.ndarray:
    if isinstance(v, (str, bytes)):
        raise InputError(f"{name}: expected two finite numbers, got {v[:40]!r}")
    try:
        a = np.asarray(v, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"{name}: expected two finite numbers, got {type(v).__name__}") from None
    if a.shape != (2,) or not np.all(np.isfinite(a)):
        raise InputError(f"{name}: expected two finite numbers, got {str(v)[:80]}")
    return a


def _grid(extent: float, size) -> np.ndarray:
    size = integer(size, "size", lo=3, hi=MAX_GRID)
    extent = real(extent, "extent", lo=0.0, lo_open=True, hi=1e6)
    return np.linspace(-extent, extent, size)


# -- the plane ---------------------------------------------------------------------------------------

@dataclass
class PlaneMap:
    """δ over the grid ``xs × ys`` (``delta[i, j]`` at ``(xs[j], ys[i])``): the upper end of each
    checked bracket (``NaN`` where the status is not ``"ok"``; ``1`` where no counterexample exists),
    ``delta_lower`` its lower end, ``status`` per point (:data:`certify.rip.batch.STATUSES`), and
    ``closed_form`` the bound of JMLR19 Theorem 12 (``NaN`` at ``±ẑ``)."""

    z: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    delta: np.ndarray
    delta_lower: np.ndarray
    status: np.ndarray
    closed_form: np.ndarray
    seconds: float

    @property
    def max_width(self) -> float:
        """Largest ``delta - delta_lower`` over the points with a bracket."""
        ok = self.status == "ok"
        return float(np.max(self.delta[ok] - self.delta_lower[ok])) if np.any(ok) else float("nan")

    def counts(self) -> dict:
        keys, counts = np.unique(self.status, return_counts=True)
        return {str(k): int(c) for k, c in zip(keys, counts, strict=True)}


def plane_map(z=Z_DEFAULT, extent: float = EXTENT, size: int = 61, *, workers: int = 1) -> PlaneMap:
    """δ(x, z) on a ``size × size`` grid of ``[-extent, extent]²`` (the batched brackets)."""
    from ..rip import closed_form_lower_bound_polar, delta_batch  # noqa: PLC0415

    z = _vec2(z, "z")
    g = _grid(extent, size)
    t0 = time.perf_counter()
    XX, YY = np.meshgrid(g, g)
    pts = np.stack([XX.ravel(), YY.ravel()], axis=1)
    res = delta_batch(pts[:, :, None], np.broadcast_to(z[None, :, None], (len(pts), 2, 1)), workers=workers)
    ok = (res.status == "ok") | (res.status == "no-counterexample")
    delta = np.where(ok, res.delta, np.nan).reshape(XX.shape)
    lower = np.where(ok, res.delta_lower, np.nan).reshape(XX.shape)
    # the closed form in polar coordinates relative to z (rho = |x| / |z|, phi the angle)
    nz = float(np.linalg.norm(z))
    rho = np.hypot(XX, YY) / nz
    cosang = (XX * z[0] + YY * z[1]) / nz
    sinang = (XX * z[1] - YY * z[0]) / nz
    phi = np.arctan2(np.abs(sinang), cosang)
    gm = np.isclose(rho, 1.0, atol=1e-12) & (np.abs(np.sin(phi)) < 1e-12)
    with np.errstate(all="ignore"):
        cf = closed_form_lower_bound_polar(np.where(gm, 0.5, rho), phi)
    cf = np.where(gm, np.nan, cf)
    return PlaneMap(z=z, xs=g, ys=g, delta=delta, delta_lower=lower, status=res.status.reshape(XX.shape),
                    closed_form=cf, seconds=time.perf_counter() - t0)


# -- one point ---------------------------------------------------------------------------------------

@dataclass
class CriticalPoint:
    """A critical point of the landscape: ``kind`` is ``"global minimum"``, ``"spurious minimum"``,
    ``"degenerate"`` (a zero Hessian eigenvalue: second-order critical, not strict), ``"saddle"`` or
    ``"maximum"``; ``eigs`` the Hessian eigenvalues, ``grad`` the gradient norm there."""

    x: np.ndarray
    kind: str
    f: float
    eigs: np.ndarray
    grad: float


def landscape(operator, z, extent: float = EXTENT, size: int = 121) -> tuple[np.ndarray, np.ndarray]:
    """``(grid, F)``: ``f(x) = ||A(x x^T - z z^T)||²`` on ``grid × grid`` (``F[i, j]`` at ``(grid[j], grid[i])``)."""
    g = _grid(extent, size)
    XX, YY = np.meshgrid(g, g)
    pts = np.stack([XX.ravel(), YY.ravel()], axis=1)[:, :, None]
    F = np.asarray(operator.objective(pts, _vec2(z, "z")[:, None]), dtype=float).reshape(XX.shape)
    return g, F


def _classify(x, z, f: float, eigs: np.ndarray, scale: float) -> str:
    tol = 1e-7 * scale
    if np.linalg.norm(np.outer(x, x) - np.outer(z, z)) <= 1e-7 * np.dot(z, z):
        return "global minimum"
    if eigs[0] > tol:
        return "spurious minimum"
    if eigs[-1] < -tol:
        return "maximum"
    if eigs[0] < -tol:
        return "saddle"
    return "degenerate"


def _sym_matrices(operator) -> np.ndarray:
    """The measurement matrices ``A_i`` (``(m, n, n)``), symmetrized (``<A, x x^T>`` sees only the symmetric part)."""
    A = operator.to_explicit().matrix() if hasattr(operator, "to_explicit") else operator.matrix()
    n = int(round(math.sqrt(A.shape[1])))
    A = A.reshape(-1, n, n)
    return 0.5 * (A + A.transpose(0, 2, 1))


def _newton(S, z, X, iters: int = 40) -> np.ndarray:
    """Newton's method on ``∇f = 0`` for all rows of ``X`` (``(K, 2)``) at once, ``f = Σ (x^T S_i x - z^T S_i z)²``
    (least-squares steps, so a singular Hessian does not stop it)."""
    b = np.einsum("ipq,p,q->i", S, z, z)
    for _ in range(iters):
        Sx = np.einsum("ipq,kq->kip", S, X)                      # (K, m, 2): S_i x
        res = np.einsum("kp,kip->ki", X, Sx) - b                 # (K, m)
        grad = 4.0 * np.einsum("ki,kip->kp", res, Sx)
        H = 4.0 * np.einsum("ki,ipq->kpq", res, S) + 8.0 * np.einsum("kip,kiq->kpq", Sx, Sx)
        step = np.linalg.pinv(H, rcond=1e-12) @ grad[:, :, None]
        X = X - step[:, :, 0]
        X[~np.all(np.isfinite(X), axis=1)] = np.nan
    return X


def critical_points(operator, z, extent: float = EXTENT, seeds_grid: int = 31, known=()) -> list[CriticalPoint]:
    """Every critical point of ``f`` found in ``[-extent, extent]²``: Newton's method from the
    ``known`` points and from the grid points where ``||∇f||`` is locally smallest, kept when the
    operator's own gradient (:meth:`~certify.check.operators.MeasurementOperator.gradient`) has
    ``||∇f|| <= 1e-9 ||∇²f(z)||``, points within 1e-4 merged (a known point first), classified by
    the eigenvalues of the operator's Hessian."""
    z = _vec2(z, "z")
    Z = z[:, None]
    g = _grid(extent, seeds_grid)
    XX, YY = np.meshgrid(g, g)
    pts = np.stack([XX.ravel(), YY.ravel()], axis=1)
    G = np.linalg.norm(np.asarray(operator.gradient(pts[:, :, None], Z)).reshape(len(pts), 2), axis=1).reshape(XX.shape)
    pad = np.pad(G, 1, constant_values=np.inf)
    nb = np.stack([pad[1 + di:1 + di + G.shape[0], 1 + dj:1 + dj + G.shape[1]]
                   for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj])
    local = np.argwhere(G <= nb.min(axis=0))
    known = [np.asarray(k, dtype=float).reshape(2) for k in known]
    seeds = np.array(known + [np.array([g[j], g[i]]) for i, j in local]).reshape(-1, 2)
    with np.errstate(all="ignore"):
        cand = _newton(_sym_matrices(operator), z, seeds.copy())
    scale = float(np.linalg.norm(operator.hessian(Z, Z), 2)) or 1.0
    found: list[CriticalPoint] = []
    for k, x in enumerate(cand):
        if k < len(known) and np.linalg.norm(operator.gradient(known[k][:, None], Z)) <= 1e-9 * scale:
            x = known[k]  # an exact critical point given: kept as given
        if not np.all(np.isfinite(x)) or np.max(np.abs(x)) > extent * (1 + 1e-9):
            continue
        grad = float(np.linalg.norm(np.asarray(operator.gradient(x[:, None], Z))))
        if grad > 1e-9 * scale:
            continue
        if any(np.linalg.norm(x - c.x) <= 1e-4 * max(1.0, np.linalg.norm(x)) for c in found):
            continue
        eigs = np.linalg.eigvalsh(operator.hessian(x[:, None], Z))
        f = float(operator.objective(x[:, None], Z))
        found.append(CriticalPoint(x=x, kind=_classify(x, z, f, eigs, scale), f=f, eigs=eigs, grad=grad))
    return sorted(found, key=lambda c: (c.f, c.x[0], c.x[1]))


@dataclass
class PointView:
    """Everything the first page shows for one point ``x̂`` (module docstring)."""

    x: np.ndarray
    z: np.ndarray
    certificate: object
    report: object
    matrices: np.ndarray
    grid: np.ndarray
    F: np.ndarray
    critical: list[CriticalPoint]
    hessian_eigs: np.ndarray
    closed_form: float
    seconds: float
    timings: dict = field(default_factory=dict)

    @property
    def delta(self) -> float:
        return float(self.certificate.delta)

    @property
    def delta_lower(self) -> float:
        return float(self.certificate.delta_lower)


def point_view(x, z=Z_DEFAULT, *, extent: float = EXTENT, size: int = 121) -> PointView:
    """The first page for the point ``x`` (:class:`InputError` for ``x = ±z``, colinear points —
    no counterexample exists there — and bad input; the message says which)."""
    from ..errors import NoCounterexampleError  # noqa: PLC0415
    from ..rip import closed_form_lower_bound, counterexample  # noqa: PLC0415

    x, z = _vec2(x, "x"), _vec2(z, "z")
    t0 = time.perf_counter()
    try:
        cert = counterexample(x, z)
    except NoCounterexampleError as exc:
        raise InputError(f"x = ({x[0]:.6g}, {x[1]:.6g}): {exc}") from None
    except InputError as exc:
        raise InputError(f"x = ({x[0]:.6g}, {x[1]:.6g}): {exc}") from None
    t1 = time.perf_counter()
    report = cert.verify()
    if not report.ok:
        raise CertifyError(f"the certificate at x = {x.tolist()} fails the kernel's verification: {report.failures}")
    t2 = time.perf_counter()
    op = cert.operator
    matrices = _sym_matrices(op)
    grid, F = landscape(op, z, extent, size)
    t3 = time.perf_counter()
    crit = critical_points(op, z, extent, known=(x, -x, z, -z, (0.0, 0.0)))
    t4 = time.perf_counter()
    eigs = np.linalg.eigvalsh(op.hessian(x[:, None], z[:, None]))
    return PointView(x=x, z=z, certificate=cert, report=report, matrices=matrices, grid=grid, F=F, critical=crit,
                     hessian_eigs=eigs, closed_form=float(closed_form_lower_bound(x, z)),
                     seconds=time.perf_counter() - t0,
                     timings={"counterexample": t1 - t0, "verify": t2 - t1, "landscape": t3 - t2,
                              "critical points": t4 - t3})


# -- curvature at one delta --------------------------------------------------------------------------

@dataclass
class CurvatureView:
    """The curvature SDP at ``x̂`` for one δ: ``state`` ``"none"``, ``"degenerate"`` or ``"strict"``
    (module docstring), ``mu``/``mu_upper`` the checked bracket of μ*(δ) (``None`` when no operator
    has ``∇f(x̂) = 0``: then ``min_grad_lower`` is the proved lower bound on ``||∇f(x̂)||``), the
    certificate of a strict point (verified by the kernel) and ``message`` (one sentence)."""

    delta: float
    state: str
    mu: float | None
    mu_upper: float | None
    min_grad_lower: float | None
    result: object
    certificate: object | None
    message: str
    seconds: float


def curvature_view(x, z, delta) -> CurvatureView:
    """:func:`certify.rip.curvature` at ``x`` for ``delta`` (a number in ``[0, 1)`` or a field's text)."""
    from ..rip import curvature  # noqa: PLC0415

    x, z = _vec2(x, "x"), _vec2(z, "z")
    delta = parse_number(delta, "delta", lo=0.0, hi=0.999999)
    t0 = time.perf_counter()
    res = curvature(x, z, delta)
    dt = time.perf_counter() - t0
    if not res.feasible:
        return CurvatureView(delta, "none", None, None, res.min_grad_lower, res, None,
                             f"no {delta:g}-RIP operator makes x̂ a critical point: every one has "
                             f"||∇f(x̂)|| ≥ {res.min_grad_lower:.3g} (Farkas bound)", dt)
    mu, ub = float(res.mu), float(res.mu_upper)
    if ub < -DEGENERATE_TOL:
        return CurvatureView(delta, "none", mu, ub, None, res, None,
                             f"no {delta:g}-RIP operator makes x̂ a spurious local minimum: every one with "
                             f"∇f(x̂) = 0 has a negative Hessian eigenvalue there (μ* ≤ {ub:.6g})", dt)
    if mu <= DEGENERATE_TOL:
        return CurvatureView(delta, "degenerate", mu, ub, None, res, None,
                             f"degenerate: the best {delta:g}-RIP operator makes x̂ a second-order critical "
                             f"point with a zero Hessian eigenvalue (μ* ∈ [{min(mu, ub):.2e}, {max(mu, ub):.2e}])", dt)
    cert = res.certificate
    if cert is None or not cert.verify().ok:
        raise CertifyError(f"the curvature SDP at delta = {delta} gave mu = {mu:.6g} without a verified certificate")
    return CurvatureView(delta, "strict", mu, ub, None, res, cert,
                         f"strict spurious local minimum: a {delta:g}-RIP operator with ∇f(x̂) = 0 and "
                         f"λ_min(∇²f(x̂)) = μ*(δ) = {mu:.6g} (certificate verified)", dt)


def mu_profile(x, z, deltas) -> tuple[np.ndarray, np.ndarray]:
    """``(deltas, mu)``: μ*(δ) at ``x`` for each δ (the lower end of the checked bracket of
    :func:`certify.rip.curvature`, no certificate built; NaN where no operator has ``∇f(x) = 0``
    or the solve failed)."""
    from ..rip import curvature  # noqa: PLC0415

    x, z = _vec2(x, "x"), _vec2(z, "z")
    ds = np.asarray([parse_number(d, "delta", lo=0.0, hi=0.999999) for d in np.atleast_1d(deltas)])
    mus = np.full(len(ds), np.nan)
    for k, d in enumerate(ds):
        try:
            res = curvature(x, z, float(d), certificate=False)
        except CertifyError:
            continue
        if res.feasible:
            mus[k] = float(res.mu)
    return ds, mus


# -- SGD trials --------------------------------------------------------------------------------------

@dataclass
class TrialsView:
    """SGD trials from ``(1 − γ) x̂ + γ W`` on the operator of ``certificate``: ``paths``
    ``(snapshots, trials, 2)`` (the iterates every ``record_every`` steps), the outcome of each trial
    (the protocol's rule, :func:`certify.sgd.protocol.classify`) and the fractions."""

    gamma: float
    trials: int
    steps: int
    step_size: float
    decay: float | None
    seed: int
    paths: np.ndarray
    outcome: object
    seconds: float

    @property
    def fractions(self) -> dict:
        o = self.outcome
        return {"success": float(np.mean(o.success)), "trapped": float(np.mean(o.spurious)),
                "other": float(np.mean(o.other)), "diverged": float(np.mean(o.diverged))}


#: the explorer's SGD settings: 5,000 steps of batch 1 with the step ``η_k = η_0 / (1 + k / 200)``
#: (a constant step leaves batch-1 SGD wandering around a strict minimum: the picture would show noise)
SGD_STEPS = 5000
SGD_DECAY = 200.0


def sgd_trials(certificate, gamma, *, trials=300, steps=SGD_STEPS, decay=SGD_DECAY, seed=0,
               snapshots: int = 50) -> TrialsView:
    """``trials`` SGD runs (batch 1, the protocol's default step size and initial scale) from
    ``(1 − γ) x̂ + γ W``; the starts and streams are those of ``certify validate --gammas γ --seed
    seed --steps steps --decay decay``, so the fractions equal that command's."""
    from ..sgd import sensing  # noqa: PLC0415
    from ..sgd.protocol import Protocol, classify, start_points, trial_streams  # noqa: PLC0415

    gamma = parse_number(gamma, "gamma", lo=0.0, hi=1.0)
    trials = integer(_int_text(trials, "trials"), "trials", lo=1, hi=MAX_TRIALS)
    steps = integer(_int_text(steps, "steps"), "steps", lo=1, hi=100_000)
    proto = Protocol.from_options(certificate, trials=trials, gammas=(gamma,), steps=steps, method="sgd", seed=seed,
                                 decay=decay)
    Xs, Z = certificate.X, certificate.Z
    t0 = time.perf_counter()
    rng, stream = trial_streams(proto.seed, gamma)
    X0 = start_points(rng, Xs, gamma, trials, proto.init_scale)
    every = max(1, steps // max(1, int(snapshots)))
    run = sensing.sgd(certificate.operator, Z, X0, steps=steps, step_size=proto.step_size, batch=proto.batch,
                      seed=stream, decay=proto.decay, record_every=every)
    out = classify(run.X, run.diverged, Xs, Z, tol=proto.tol, tol_spurious=proto.tol_spurious)
    return TrialsView(gamma=gamma, trials=trials, steps=steps, step_size=proto.step_size, decay=proto.decay, seed=proto.seed,
                      paths=run.path[..., 0], outcome=out, seconds=time.perf_counter() - t0)


def _int_text(v, name: str):
    if isinstance(v, str):
        t = v.strip()
        if not re.fullmatch(r"\+?[0-9]{1,18}", t):
            raise InputError(f"{name}: {t[:40]!r} is not a whole number")
        return int(t)
    return v


# -- the atlas ---------------------------------------------------------------------------------------

@dataclass
class AtlasView:
    """The (r, r*) table: ``threshold[r, r*] = 1/(1 + sqrt(r*/r))`` for ``1 <= r* <= r <= max_rank``
    and, when an atlas file was read, its rows by ``(r, r*)`` (``source`` names the file)."""

    max_rank: int
    threshold: dict
    rows: dict
    source: str | None
    summary: dict


def atlas_view(path=None, max_rank: int = 8) -> AtlasView:
    """The table; ``path`` an atlas file of ``certify atlas -o`` (read and checked by
    :meth:`certify.rip.AtlasResult.load`), or ``None`` for the closed forms only."""
    max_rank = integer(max_rank, "max_rank", lo=1, hi=32)
    rows, summary, source = {}, {}, None
    if path is not None:
        from ..rip import AtlasResult  # noqa: PLC0415

        a = AtlasResult.load(path)
        rows = {(int(row["r"]), int(row["r_star"])): row for row in a.rows}
        summary = dict(a.summary or {})
        source = str(path)
        max_rank = max([max_rank] + [r for r, _ in rows])
    thr = {(r, s): 1.0 / (1.0 + math.sqrt(s / r)) for r in range(1, max_rank + 1) for s in range(1, r + 1)}
    return AtlasView(max_rank=max_rank, threshold=thr, rows=rows, source=source, summary=summary)


def atlas_cell(view: AtlasView, r, r_star) -> dict:
    """One cell: the threshold, the family point (:func:`certify.rip.sharp_family`) and, from the
    atlas file, the status of its certificates."""
    from ..rip import sharp_family  # noqa: PLC0415

    r = integer(r, "r", lo=1, hi=view.max_rank)
    r_star = integer(r_star, "r_star", lo=1, hi=r)
    X, Z = sharp_family(r, r_star)
    row = view.rows.get((r, r_star))
    status = None
    if row is not None:
        ex = row.get("exact") or {}
        fam = row.get("family") or {}
        status = {"sharp": row.get("sharp"), "exact claims": ex.get("claims"), "exact outcome": ex.get("outcome"),
                  "family bracket": [fam.get("delta_lower"), fam.get("delta")],
                  "search best": (row.get("search") or {}).get("best"), "acceptance": row.get("acceptance")}
    return {"r": r, "r_star": r_star, "threshold": view.threshold[(r, r_star)],
            "threshold_expression": f"1/(1 + sqrt({r_star}/{r}))", "X": X, "Z": Z, "status": status}


def threshold_file(r, r_star):
    """The cell's certificate file as the catalog writes it (:mod:`certify.rip.catalog`): the orthogonal
    family's lifted certificate (float bracket) with the exact certificate over Q(sqrt(r r*)) in
    ``formulation["algebraic"]`` — what ``certify verify`` and ``certify verify --exact`` read."""
    from ..rip.catalog import threshold_file_certificate  # noqa: PLC0415

    r = integer(r, "r", lo=1, hi=32)
    r_star = integer(r_star, "r_star", lo=1, hi=r)
    return threshold_file_certificate(r, r_star)


def prove_threshold(r, r_star):
    """The closed-form threshold certificate of the cell, proved exactly now
    (:func:`certify.rip.threshold_certificate`, ``verify(exact=True)``): ``(certificate, report)``."""
    from ..rip import threshold_certificate  # noqa: PLC0415

    r = integer(r, "r", lo=1, hi=32)
    r_star = integer(r_star, "r_star", lo=1, hi=r)
    cert = threshold_certificate(r, r_star)
    return cert, cert.verify(exact=True)


# -- files -------------------------------------------------------------------------------------------

@dataclass
class UploadReport:
    """The kernel's verdict on an uploaded file: ``ok`` (the float verification passed), ``kind``,
    ``summary`` (the verification's text) or ``error`` (why the file was refused)."""

    name: str
    size: int
    ok: bool
    kind: str | None = None
    summary: str = ""
    error: str | None = None


def check_upload(data, name: str = "upload") -> UploadReport:
    """Read an uploaded file with the kernel's hardened reader (size, depth, NaN, duplicate keys,
    schema) and verify it; never raises for a bad file (the report says why)."""
    from ..check.loader import from_dict_any, kind_of  # noqa: PLC0415
    from ..check.schema import parse_json  # noqa: PLC0415

    name = str(name or "upload")[:200]
    if data is None:
        return UploadReport(name, 0, False, error="no file was uploaded")
    if isinstance(data, str):
        data = data.encode("utf-8", errors="surrogatepass")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        return UploadReport(name, 0, False, error=f"{name}: expected the bytes of a file, got {type(data).__name__}")
    size = len(data)
    if size > MAX_UPLOAD_BYTES:
        return UploadReport(name, size, False, error=f"{name}: {size / 2**20:.1f} MiB; the explorer reads files of "
                            f"at most {MAX_UPLOAD_BYTES // 2**20} MiB (use 'certify verify FILE' for larger ones)")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        return UploadReport(name, size, False, error=f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})")
    try:
        obj = from_dict_any(parse_json(text, name=name, max_bytes=MAX_UPLOAD_BYTES))
        report = obj.verify()
    except CertifyError as exc:
        return UploadReport(name, size, False, error=str(exc))
    except (ValueError, TypeError, KeyError, OverflowError, RecursionError) as exc:
        return UploadReport(name, size, False, error=f"{name}: malformed file ({type(exc).__name__}: {exc})"[:500])
    if hasattr(report, "outcome"):  # an exact report (an algebraic certificate is verified exactly)
        ok = report.outcome == "proved"
    else:
        ok = bool(getattr(report, "ok", getattr(report, "valid", False)))
    summary = report.summary() if callable(getattr(report, "summary", None)) else str(report)
    return UploadReport(name, size, ok, kind=kind_of(obj), summary=summary)


def certificate_json(obj) -> str:
    """The JSON text of a certificate (what ``certify verify`` reads)."""
    return obj.to_json()


def read_atlas_default() -> Path | None:
    """``results/atlas.json`` of the current directory when it exists (a checkout), else ``None``."""
    p = Path("results") / "atlas.json"
    return p if p.is_file() else None
