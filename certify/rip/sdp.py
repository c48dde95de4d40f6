"""``δ(X, Z)`` by semidefinite programming (JMLR19 eq. 23, Lemma 9, Algorithm 1).

:func:`counterexample` projects the instance onto ``P = orth([X, Z])`` (by default), solves the
SDP of :mod:`certify.rip.lmi`, repairs the solver's primal point (projection onto the
first-order constraints, optimal rescaling), recomputes ``delta`` from the eigenvalues of the
returned operator and ``delta_lower`` from the dual point, and returns a verified
:class:`~certify.certificates.Certificate`.

Backends: ``"clarabel"`` (default) and ``"scs"`` assemble the conic data directly and call the
solver's own API (:mod:`certify.rip.conic`, no cvxpy); ``"cvxpy"`` is the reference (the model of
:mod:`certify.rip.model`, any solver cvxpy knows, MOSEK included).  The repair, the bounds and the
verification are the same for every backend.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..check.duality import (
    LMIData,
    dual_lower_bound,
    hessian_min_on_complement,
    lmi_data,
    project_first_order,
)
from ..check.operators import CompactOperator, rip_from_bounds
from ..errors import InputError, NoCounterexampleError, SolverError
from ..linalg import GLOBAL_MIN_RTOL, Pair, _ldexp, normalize_pair, orth, sym
from ..options import describe, real
from ..solvers import solve_problem
from .closed_form import closed_form_from_pair
from .model import lmi_model

__all__ = ["counterexample", "solve_lmi", "check_instance", "check_pair", "first_order_lower_bound", "DEFAULT_GAP_TOL",
           "resolve_backend", "BACKENDS"]

#: ``backend`` values: the compiled core (Clarabel, SCS, certify's batched interior point) and the
#: cvxpy reference
BACKENDS = ("clarabel", "scs", "ipm", "cvxpy")

#: largest accepted ``delta - delta_lower`` after repair
DEFAULT_GAP_TOL = 1e-6
#: relative tolerance on the smallest eigenvalue of the repaired second-order matrix
HESS_RTOL = 1e-7
#: a dual bound within this of 1 is reported as "no counterexample"
NO_CE_TOL = 1e-9
#: largest n for the direct (unprojected) formulation
DIRECT_LIMIT = 16
#: the certificate keeps X, Z as given when their largest entry is within 2^±STORE_EXPONENT_LIMIT
#: (f ~ entry^4 then stays far inside the double range); beyond, it stores the normalized instance
STORE_EXPONENT_LIMIT = 200


def check_pair(X, Z) -> Pair:
    """Validate and normalize ``(X, Z)`` (:func:`certify.linalg.normalize_pair`), then refuse what
    has no spurious point: ``||XX^T - ZZ^T|| <= GLOBAL_MIN_RTOL ||ZZ^T||`` (``X`` is a global
    minimizer: :class:`InputError`) and rank-1 colinear ``x, z`` (``sin φ <= COLINEAR_TOL``, i.e.
    colinear up to rounding: :class:`NoCounterexampleError`, ``δ(x, z) = 1``, JMLR19).  Both
    figures are scale-invariant and computed on the normalized instance, so near-colinear pairs
    (angles down to ~1e-13) and near-global-minimizers (relative distances down to ~1e-15) are
    decided correctly at any scale."""
    p = normalize_pair(X, Z)
    if p.global_minimizer:
        raise InputError(
            f"X, Z: X X^T = Z Z^T (relative distance ||XX^T - ZZ^T|| / ||ZZ^T|| = {p.rel_distance:.2e} <= "
            f"{GLOBAL_MIN_RTOL:g}), so X is a global minimizer, not a spurious point"
        )
    if p.colinear:
        raise NoCounterexampleError(
            f"x and z are colinear (sin of the angle = {p.sin_angle:.1e}): no RIP operator with delta < 1 makes x a "
            "spurious critical point (delta(x, z) = 1)"
        )
    return p


def check_instance(X, Z) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(X, Z)`` as :func:`check_pair` does; returns ``(X, Z)`` as given (float arrays)."""
    p = check_pair(X, Z)
    return p.X, p.Z


def first_order_lower_bound(pair: Pair) -> float:
    """A solver-free lower bound on ``δ(X, Z)``: ``(1 - q) / (1 + q)``, ``q = ||ZZ^T|| / ||XX^T - ZZ^T||``.

    Proof: with ``e = vec(XX^T - ZZ^T)`` and ``𝐗 vec(X) = 2 vec(XX^T)``, the first-order condition
    gives ``0 = <∇f(X), X> = 4 vec(XX^T)^T H e = 4 (e^T H e + vec(ZZ^T)^T H e)``; with
    ``(1 - δ) I ⪯ H ⪯ (1 + δ) I`` this forces ``(1 - δ) ||e||^2 <= (1 + δ) ||ZZ^T|| ||e||``.
    It decides the instances where ``X X^T`` dwarfs ``Z Z^T`` (``q`` tiny), which double precision
    cannot pose to an SDP."""
    if not pair.rel_distance > 0.0:
        return -math.inf
    q = 1.0 / pair.rel_distance  # 0.0 when rel_distance = inf (beyond the float range)
    return (1.0 - q) / (1.0 + q)


def resolve_backend(backend: str | None, solver: str | None) -> tuple[str, str]:
    """``(backend, solver)`` in canonical form from the two user options.

    ``backend=None`` follows ``solver``: Clarabel (``None`` or ``"CLARABEL"``) and SCS run on the
    compiled core, MOSEK through cvxpy (its own API is not wired: no licence to test it here).
    ``backend="cvxpy"`` takes any ``solver``; ``"clarabel"`` / ``"scs"`` accept ``solver`` only when
    it names the same solver.  Unknown names raise :class:`InputError`, an unusable solver
    :class:`~certify.errors.SolverUnavailableError`."""
    from ..solvers import resolve_solver  # noqa: PLC0415

    if backend is not None and (not isinstance(backend, str) or backend.lower() not in BACKENDS):
        raise InputError(f"backend: expected one of {', '.join(BACKENDS)} (or None), got {describe(backend)}")
    name = resolve_solver(solver)
    if backend is None:
        return ("cvxpy" if name == "MOSEK" else name.lower()), name
    backend = backend.lower()
    if backend == "cvxpy":
        return backend, name
    if backend == "ipm":
        if solver is not None and name != "CLARABEL":
            raise InputError(f"backend: backend='ipm' is certify's own interior point (with Clarabel for the curvature SDPs); "
                             f"solver={solver!r} does not apply")
        return backend, resolve_solver("CLARABEL")
    if solver is not None and name.lower() != backend:
        raise InputError(f"backend: backend={backend!r} solves with {backend.upper()}, but solver={solver!r} was asked; "
                         "use backend='cvxpy' for other solvers")
    return backend, resolve_solver(backend.upper())


def solve_lmi(data: LMIData, solver: str | None = None, settings: dict | None = None):
    """Build and solve the SDP with cvxpy (the reference backend). Returns ``(H, y, V, info)``
    (solver's raw point)."""
    import cvxpy as cp  # noqa: PLC0415

    m = lmi_model(data)
    H = m.H
    delta = cp.Variable(name="delta")
    c_first = m.first == 0
    c_second = m.second >> 0
    prob = cp.Problem(cp.Minimize(delta), [c_first, c_second, *m.band(delta)])
    info = solve_problem(prob, solver, settings)
    if H.value is None or c_first.dual_value is None or c_second.dual_value is None:
        raise SolverError(f"{info.name} returned no primal/dual point (status {info.status!r})")
    return sym(np.asarray(H.value)), np.asarray(c_first.dual_value).reshape(-1), np.asarray(c_second.dual_value), info


def counterexample(
    X,
    Z,
    solver: str | None = None,
    project: bool = True,
    *,
    basis: str = "svec",
    settings: dict | None = None,
    gap_tol: float = DEFAULT_GAP_TOL,
    verify: bool = True,
    backend: str | None = None,
):
    """Smallest RIP constant ``δ(X, Z)`` for which a measurement operator makes ``X`` a spurious
    second-order critical point of ``f(X) = ||A(XX^T - ZZ^T)||^2``, and that operator.

    Parameters
    ----------
    X, Z : arrays ``(n, r)`` and ``(n, r*)`` (1-D vectors are one column).
    solver : ``"CLARABEL"`` (default), ``"SCS"`` or ``"MOSEK"`` (licence probed first).
    project : solve ``LMI(P^T X, P^T Z)``, ``P = orth([X, Z])`` (JMLR19 Lemma 9; size independent
        of n).  ``False`` solves the direct ``n``-dimensional problem (reference; ``n <= 16``).
    basis : ``"svec"`` (symmetric matrices, default) or ``"vec"`` (all matrices, literal eq. 23).
    settings : solver options overriding the tight defaults of :mod:`certify.solvers`.
    gap_tol : largest accepted ``delta - delta_lower`` (a finite real number > 0: ``int``, ``float``
        or a NumPy real scalar; strings and bools are refused); a larger gap raises :class:`SolverError`.
    verify : run :func:`certify.certificates.verify` and refuse a certificate that fails it.
    backend : ``"clarabel"`` (default: conic data assembled directly, Clarabel's own API, no
        cvxpy), ``"scs"`` (the same for SCS), ``"ipm"`` (certify's batched NumPy interior point,
        :mod:`certify.rip.ipm`: faster than Clarabel for ``d >= 6``, less accurate, about 1e-8,
        on degenerate instances) or ``"cvxpy"`` (the reference model); ``None`` follows ``solver``
        (:func:`resolve_backend`).  The repair, the bounds and the verification do not depend on it.

    Scale. ``δ(X, Z)`` does not depend on the scale of ``(X, Z)``: everything is computed on the
    instance multiplied by one power of two ``2**k`` (exact in binary) that brings its largest entry
    into ``[1/2, 1)`` (:func:`certify.linalg.normalize_pair`), so 1e-150 and 1e150 instances give
    the same answer.  The certificate stores ``X``, ``Z`` *as given* when ``|k| <=
    STORE_EXPONENT_LIMIT`` (largest entry between about ``1e-60`` and ``1e60``), so that it speaks
    about the user's instance and its verification (``f ~ entry^4``) stays inside the double range.
    Beyond that, the instance as given cannot be verified in double precision (``f`` would
    overflow or underflow, e.g. ``1e800`` for entries ``1e200``), and the certificate stores the
    normalized instance ``2**k (X, Z)`` instead, with the flag ``"instance_normalized"`` and
    ``formulation["instance_scale_exponent"] = k``: it is a certificate for the same δ (the operator
    does not depend on the scale), and the given instance is ``2**-k`` times the stored one.

    Raises
    ------
    InputError : malformed arguments, ``X X^T = Z Z^T`` (relative distance ``<= 1e-9``).
    NoCounterexampleError : colinear rank-1 ``x, z``; ``||ZZ^T|| / ||XX^T - ZZ^T||`` so small that
        the first-order condition alone forces ``δ >= 1 - NO_CE_TOL`` (:func:`first_order_lower_bound`);
        a dual bound ``>= 1 - NO_CE_TOL``.

    Returns
    -------
    Certificate with ``delta`` (RIP constant of the returned operator, recomputed from its
    eigenvalues under the optimal scaling: an upper bound on δ(X, Z)) and ``delta_lower`` (the
    bound certified by the repaired dual point: a lower bound on δ(X, Z)).
    """
    gap_tol = real(gap_tol, "gap_tol", lo=0.0, lo_open=True)
    for opt, val in (("project", project), ("verify", verify)):
        if not isinstance(val, (bool, np.bool_)):
            raise InputError(f"{opt}: expected True or False, got {describe(val)}")
    if settings is not None and not isinstance(settings, dict):
        raise InputError(f"settings: expected a dict of solver options or None, got {describe(settings)}")
    if not isinstance(basis, str) or basis not in ("svec", "vec"):
        raise InputError(f"basis: expected 'svec' or 'vec', got {basis!r}")
    backend, solver = resolve_backend(backend, solver)
    pair = check_pair(X, Z)
    n = pair.X.shape[0]
    if not project and n > DIRECT_LIMIT:
        raise InputError(f"project=False: the direct formulation is limited to n <= {DIRECT_LIMIT} (got n = {n})")
    # instances whose δ is within NO_CE_TOL of 1 by a solver-free bound: no SDP (double precision
    # could not resolve it, and X X^T may dwarf Z Z^T beyond what the SDP data can represent)
    lb0 = first_order_lower_bound(pair)
    if lb0 >= 1.0 - NO_CE_TOL / 2:
        q = 1.0 / pair.rel_distance
        q_text = f"{q:.3e}" if q > 0.0 else "below the double range"
        raise NoCounterexampleError(
            f"no counterexample with delta < 1 - {NO_CE_TOL:g}: q = ||ZZ^T|| / ||XX^T - ZZ^T|| is {q_text}, and the "
            f"first-order condition <grad f(X), X> = 0 forces delta >= (1 - q) / (1 + q) = {lb0:.12f}"
        )
    if pair.rank_one:
        lb1 = closed_form_from_pair(pair)
        if lb1 >= 1.0 - NO_CE_TOL / 2:
            raise NoCounterexampleError(
                f"no counterexample with delta < 1 - {NO_CE_TOL:g}: the closed-form bound of JMLR19 Theorem 12 gives "
                f"delta(x, z) >= {lb1:.15f} ("
                + ("x = 0)" if pair.angle is None else f"rho = {pair.rho:.6g}, angle = {pair.angle:.3e} rad)")
            )
    Xn, Zn = pair.Xn, pair.Zn  # 2**k (X, Z): exact, largest entry in [1/2, 1)
    P = orth(np.column_stack([Xn, Zn])) if project else np.eye(n)
    scale = 1.0 / math.sqrt(pair.zz)  # ||Z Z^T|| = 1 in the SDP (δ is scale-invariant)
    data = lmi_data(scale * (P.T @ Xn), scale * (P.T @ Zn), basis)

    if backend == "cvxpy":
        Hs, y, V, info = solve_lmi(data, solver, settings)
        return finish_certificate(pair, P, scale, data, Hs, y, V, info, backend=backend, project=project,
                                  gap_tol=gap_tol, verify=verify)
    from .conic import blas_single_thread, solve_lmi_compiled  # noqa: PLC0415

    with blas_single_thread():
        Hs, y, V, info = solve_lmi_compiled(data, backend, settings)
        return finish_certificate(pair, P, scale, data, Hs, y, V, info, backend=backend, project=project,
                                  gap_tol=gap_tol, verify=verify)


def finish_certificate(pair: Pair, P, scale: float, data: LMIData, Hs, y, V, info, *, backend: str, project: bool = True,
                       gap_tol: float = DEFAULT_GAP_TOL, verify: bool = True):
    """The certificate of a solved ``LMI(scale P^T Xn, scale P^T Zn)`` (``pair``: the normalized
    instance, ``data``: the reduced SDP data that was solved): repair the solver's primal point
    ``Hs`` (first order exactly, optimal scaling, second order checked), recompute ``delta`` from
    the operator's eigenvalues and ``delta_lower`` from the dual point ``(y, V)``, build the
    :class:`~certify.certificates.Certificate` and (``verify``) verify it with the kernel.  Raises
    as :func:`counterexample` does.  Shared by every backend and by :func:`certify.rip.delta_batch`
    (certificates on request)."""
    from ..check.format import Certificate, DualCertificate  # noqa: PLC0415 - kept lazy: the kernel loads on first use

    basis = data.basis
    # --- repair the primal point: first-order constraints exactly, then optimal scaling ---------
    Hs = project_first_order(data, Hs)
    lam = np.linalg.eigvalsh(Hs)
    rip = rip_from_bounds(lam.min(), lam.max())
    if not rip.delta < 1.0:
        # the solver's operator says δ = 1; claim it only when the checked dual bound says so too
        dl = dual_lower_bound(data, y, V)
        if dl >= 1.0 - NO_CE_TOL:
            raise NoCounterexampleError(
                f"no counterexample with delta < 1 - {NO_CE_TOL:g}: the dual certifies delta(X, Z) >= {dl:.12f} "
                f"(the repaired operator is singular; solver status {info.status})"
            )
        raise SolverError(
            f"{info.name}: the repaired operator is singular (delta = 1) but the checked dual bound is only "
            f"delta(X, Z) >= {dl:.9f}: no certificate either way (solver status {info.status!r}); try another solver"
        )
    Hs = rip.scale * Hs
    hmin, hmax = hessian_min_on_complement(data, Hs)
    if hmin < -HESS_RTOL * max(hmax, 1.0):
        raise SolverError(
            f"{info.name}: the repaired operator violates the second-order condition "
            f"(smallest eigenvalue {hmin:.3e}, relative {hmin / max(hmax, 1.0):.3e} < -{HESS_RTOL:g}); "
            f"solver status {info.status!r}"
        )
    d = P.shape[1]
    if basis == "svec":
        H_hat = data.B @ Hs @ data.B.T + (np.eye(d * d) - data.B @ data.B.T)
    else:
        H_hat = Hs
    operator = CompactOperator(P, sym(H_hat))
    delta = operator.rip_constant().delta

    # --- the dual bound, checked by our own code ---------------------------------------------
    delta_lower = dual_lower_bound(data, y, V)
    if delta_lower >= 1.0 - NO_CE_TOL:
        raise NoCounterexampleError(
            f"no counterexample with delta < 1 - {NO_CE_TOL:g}: the dual certifies delta(X, Z) >= {delta_lower:.12f}"
        )
    if delta_lower > delta + 1e-9:
        raise SolverError(f"{info.name}: inconsistent bounds after repair "
                          f"(delta = {delta:.12g} < delta_lower = {delta_lower:.12g})")
    if delta - delta_lower > gap_tol:
        raise SolverError(
            f"{info.name}: inaccurate solve, gap delta - delta_lower = {delta - delta_lower:.3e} exceeds gap_tol = {gap_tol:g} "
            f"(delta = {delta:.9f}, delta_lower = {delta_lower:.9f}, status {info.status!r}); "
            "try another solver or tighter settings"
        )
    flags = []
    if not info.accurate:
        flags.append("solver_inaccurate")
        warnings.warn(
            f"{info.name} reported {info.status!r}; the certificate was kept because the repaired bounds agree "
            f"to {delta - delta_lower:.2e}",
            stacklevel=3,
        )
    # the stored instance: as given when its verification stays inside the double range
    k = pair.exponent
    formulation = {"project": bool(project), "basis": basis, "d": int(d), "gap_tol": float(gap_tol)}
    solver_record = {**info.to_dict(), "backend": backend}
    if abs(k) <= STORE_EXPONENT_LIMIT:
        X_store, Z_store, dual_scale = pair.X, pair.Z, _ldexp(scale, k)  # s (2^k X) = (s 2^k) X, exactly
    else:
        X_store, Z_store, dual_scale = pair.Xn, pair.Zn, scale
        flags.append("instance_normalized")
        formulation["instance_scale_exponent"] = int(k)
    dual = DualCertificate(P=P, scale=float(dual_scale), basis=basis, y=y, V=V, delta_lower=float(delta_lower))
    cert = Certificate(
        X=X_store,
        Z=Z_store,
        operator=operator,
        delta=float(delta),
        delta_lower=float(delta_lower),
        dual=dual,
        solver=solver_record,
        formulation=formulation,
        source="sdp",
        flags=flags,
    )
    if verify:
        report = cert.verify()
        if not report.ok:
            raise SolverError(f"{info.name}: the computed certificate failed verification: {'; '.join(report.failures)}")
    return cert
