"""``δ(X, Z)`` by semidefinite programming (JMLR19 eq. 23, Lemma 9, Algorithm 1).

:func:`counterexample` projects the instance onto ``P = orth([X, Z])`` (by default), solves the
SDP of :mod:`certify.rip.lmi` with cvxpy, repairs the solver's primal point (projection onto the
first-order constraints, optimal rescaling), recomputes ``delta`` from the eigenvalues of the
returned operator and ``delta_lower`` from the dual point, and returns a verified
:class:`~certify.certificates.Certificate`.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..errors import InputError, NoCounterexampleError, SolverError
from ..linalg import as_pair, orth, sym
from ..operators import CompactOperator, rip_from_bounds
from ..solvers import solve_problem
from .lmi import LMIData, dual_lower_bound, hessian_min_on_complement, lmi_data, project_first_order

__all__ = ["counterexample", "solve_lmi", "check_instance", "DEFAULT_GAP_TOL"]

#: largest accepted ``delta - delta_lower`` after repair
DEFAULT_GAP_TOL = 1e-6
#: relative tolerance on the smallest eigenvalue of the repaired second-order matrix
HESS_RTOL = 1e-7
#: a dual bound within this of 1 is reported as "no counterexample"
NO_CE_TOL = 1e-9
#: largest n for the direct (unprojected) formulation
DIRECT_LIMIT = 16


def check_instance(X, Z) -> tuple[np.ndarray, np.ndarray]:
    """Validate ``(X, Z)``: finite, same ``n``, ``Z != 0``, ``X X^T != Z Z^T``; rank-1 colinear
    pairs raise :class:`NoCounterexampleError` (``δ(x, z) = 1``, JMLR19 §1.1)."""
    X, Z, zz = as_pair(X, Z)
    XtX, XtZ, ZtZ = X.T @ X, X.T @ Z, Z.T @ Z
    normE2 = np.sum(XtX * XtX) - 2 * np.sum(XtZ * XtZ) + np.sum(ZtZ * ZtZ)
    if normE2 <= (1e-9 * zz) ** 2:
        raise InputError("X, Z: X X^T = Z Z^T, so X is a global minimizer, not a spurious point")
    if X.shape[1] == 1 and Z.shape[1] == 1:
        x, z = X[:, 0], Z[:, 0]
        nx = np.linalg.norm(x)
        if nx > 0 and abs(abs(x @ z) - nx * np.linalg.norm(z)) <= 1e-12 * nx * np.linalg.norm(z):
            raise NoCounterexampleError(
                "x and z are colinear: no RIP operator with delta < 1 makes x a spurious critical point (delta(x, z) = 1)"
            )
    return X, Z


def solve_lmi(data: LMIData, solver: str | None = None, settings: dict | None = None):
    """Build and solve the SDP with cvxpy. Returns ``(H, y, V, info)`` (solver's raw point)."""
    import cvxpy as cp  # noqa: PLC0415

    s, N, r = data.s, data.N, data.r
    H = cp.Variable((s, s), symmetric=True, name="H")
    delta = cp.Variable(name="delta")
    He = H @ data.e
    # sym(mat(B H e)) as an affine N x N expression
    Smat = cp.reshape(data.B @ He, (N, N), order="F")
    Smat = 0.5 * (Smat + Smat.T)
    second = 2.0 * cp.kron(np.eye(r), Smat) + data.J.T @ H @ data.J
    second = 0.5 * (second + second.T)
    Is = np.eye(s)
    c_first = data.J.T @ He == 0
    c_second = second >> 0
    constraints = [c_first, c_second, H - (1 - delta) * Is >> 0, (1 + delta) * Is - H >> 0]
    prob = cp.Problem(cp.Minimize(delta), constraints)
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
    gap_tol : largest accepted ``delta - delta_lower``; a larger gap raises :class:`SolverError`.
    verify : run :func:`certify.certificates.verify` and refuse a certificate that fails it.

    Returns
    -------
    Certificate with ``delta`` (RIP constant of the returned operator, recomputed from its
    eigenvalues under the optimal scaling: an upper bound on δ(X, Z)) and ``delta_lower`` (the
    bound certified by the repaired dual point: a lower bound on δ(X, Z)).
    """
    from ..certificates import Certificate, DualCertificate  # noqa: PLC0415 - avoid import cycle

    X, Z = check_instance(X, Z)
    n = X.shape[0]
    if not project and n > DIRECT_LIMIT:
        raise InputError(f"project=False: the direct formulation is limited to n <= {DIRECT_LIMIT} (got n = {n})")
    if basis not in ("svec", "vec"):
        raise InputError(f"basis: expected 'svec' or 'vec', got {basis!r}")
    P = orth(np.column_stack([X, Z])) if project else np.eye(n)
    scale = 1.0 / np.sqrt(np.linalg.norm(Z.T @ Z))  # normalize ||Z Z^T|| = 1 (δ is scale-invariant)
    data = lmi_data(scale * (P.T @ X), scale * (P.T @ Z), basis)

    Hs, y, V, info = solve_lmi(data, solver, settings)

    # --- repair the primal point: first-order constraints exactly, then optimal scaling ---------
    Hs = project_first_order(data, Hs)
    lam = np.linalg.eigvalsh(Hs)
    rip = rip_from_bounds(lam.min(), lam.max())
    if not rip.delta < 1.0:
        raise NoCounterexampleError(
            f"no counterexample with delta < 1 (the repaired operator is singular; solver status {info.status})"
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
        raise SolverError(f"{info.name}: inconsistent bounds after repair (delta = {delta:.12g} < delta_lower = {delta_lower:.12g})")
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
            stacklevel=2,
        )
    dual = DualCertificate(P=P, scale=float(scale), basis=basis, y=y, V=V, delta_lower=float(delta_lower))
    cert = Certificate(
        X=X,
        Z=Z,
        operator=operator,
        delta=float(delta),
        delta_lower=float(delta_lower),
        dual=dual,
        solver=info.to_dict(),
        formulation={"project": bool(project), "basis": basis, "d": int(d), "gap_tol": float(gap_tol)},
        source="sdp",
        flags=flags,
    )
    if verify:
        report = cert.verify()
        if not report.ok:
            raise SolverError(f"{info.name}: the computed certificate failed verification: {'; '.join(report.failures)}")
    return cert
