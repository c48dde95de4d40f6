"""Pluggable conic solvers behind one small interface.

Clarabel (interior point) is the default; SCS (first-order, lower accuracy) and MOSEK (interior
point, needs a licence) are selectable.  MOSEK is used only after a licence probe succeeds.  Each
solve returns a :class:`SolveInfo` with a canonical status; a failed solve raises
:class:`~certify.errors.SolverError`, an inaccurate one is flagged (``accurate = False``) and the
callers decide, from their own independent checks, whether the answer can still be used.
"""

from __future__ import annotations

import importlib
import os
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import InputError, SolverError, SolverUnavailableError

__all__ = ["SolveInfo", "available_solvers", "resolve_solver", "default_settings", "solve_problem", "SOLVERS"]

#: canonical solver names and the Python module each needs
SOLVERS = {"CLARABEL": "clarabel", "SCS": "scs", "MOSEK": "mosek"}

#: default accuracy settings per solver (tight: the certificates are checked afterwards)
_DEFAULTS = {
    "CLARABEL": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10, "max_iter": 500},
    "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
    "MOSEK": {},
}

# settings tried, in order, after a numerical failure or an inaccurate answer of the same solver
# (never a switch to another solver); every attempt is recorded in SolveInfo.attempts
_RETRIES = {
    "CLARABEL": [{"static_regularization_constant": 1e-7}, {"static_regularization_constant": 1e-6, "equilibrate_enable": False}],
    "SCS": [],
    "MOSEK": [],
}

# cvxpy status -> (canonical status, accurate?)
_STATUS = {
    "optimal": ("optimal", True),
    "optimal_inaccurate": ("optimal_inaccurate", False),
    "infeasible": ("infeasible", True),
    "infeasible_inaccurate": ("infeasible_inaccurate", False),
    "unbounded": ("unbounded", True),
    "unbounded_inaccurate": ("unbounded_inaccurate", False),
    "user_limit": ("user_limit", False),
    "infeasible_or_unbounded": ("infeasible_or_unbounded", False),
}


@dataclass
class SolveInfo:
    """What the solver said about one solve (never used as a certified number)."""

    name: str
    version: str
    settings: dict = field(default_factory=dict)
    status: str = "unknown"
    accurate: bool = False
    objective: float | None = None
    solve_time: float | None = None
    iterations: int | None = None
    cvxpy_version: str | None = None
    attempts: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _module_version(modname: str) -> str:
    try:
        mod = importlib.import_module(modname)
    except ImportError:
        return "not installed"
    if modname == "mosek":
        try:
            return ".".join(str(v) for v in mod.Env.getversion())
        except Exception:  # noqa: BLE001 - version lookup must never fail a solve
            return "unknown"
    return str(getattr(mod, "__version__", "unknown"))


#: where the MOSEK set-up is explained
MOSEK_DOCS = "docs/mosek.md"


def _licence_location() -> str:
    """Where MOSEK looks for its licence here: ``MOSEKLM_LICENSE_FILE`` if set, else the default file."""
    env = os.environ.get("MOSEKLM_LICENSE_FILE")
    if env:
        where = "a licence server" if "@" in env and not os.path.exists(env) else (
            "a file that exists" if os.path.isfile(env) else "no such file")
        return f"MOSEKLM_LICENSE_FILE={env} ({where})"
    default = Path.home() / "mosek" / "mosek.lic"
    return f"MOSEKLM_LICENSE_FILE is not set, and {default} {'exists' if default.is_file() else 'does not exist'}"


def mosek_licence_message(exc: BaseException) -> str:
    """The one-line reason a MOSEK licence check failed, with where the licence goes."""
    raw = str(exc).splitlines()[0].strip() if str(exc).strip() else type(exc).__name__
    raw = raw.rstrip(": ")
    missing = "missing_license_file" in raw or "1008" in raw
    what = "MOSEK found no licence file" if missing else "MOSEK refused the licence"
    return (f"no usable MOSEK licence: {what} ({raw}); put mosek.lic at ~/mosek/mosek.lic or set "
            f"MOSEKLM_LICENSE_FILE=/path/to/mosek.lic (here: {_licence_location()}); see {MOSEK_DOCS}")


def mosek_licence_ok() -> tuple[bool, str]:
    """Probe for a usable MOSEK licence without solving anything: ``(True, "licence found")`` or
    ``(False, reason)``, the reason saying where the licence goes (``~/mosek/mosek.lic`` or
    ``MOSEKLM_LICENSE_FILE``) and pointing to ``docs/mosek.md``."""
    try:
        import mosek  # noqa: PLC0415
    except ImportError:
        return False, f"the mosek package is not installed (pip install 'certify[mosek]'; see {MOSEK_DOCS})"
    try:
        with mosek.Env() as env:
            env.checkoutlicense(mosek.feature.pts)
    except Exception as exc:  # noqa: BLE001 - any licence failure means "not usable"
        return False, mosek_licence_message(exc)
    return True, "licence found"


def available_solvers() -> list[str]:
    """Solvers that are installed (and, for MOSEK, licensed) on this machine."""
    out = []
    for name, modname in SOLVERS.items():
        if name == "MOSEK":
            if mosek_licence_ok()[0]:
                out.append(name)
            continue
        try:
            importlib.import_module(modname)
        except ImportError:
            continue
        out.append(name)
    return out


def resolve_solver(solver: str | None) -> str:
    """Canonical solver name; ``None`` means Clarabel.  Raises a clear error otherwise."""
    if solver is None:
        solver = "CLARABEL"
    if not isinstance(solver, str) or solver.upper() not in SOLVERS:
        raise InputError(f"solver: unknown solver {solver!r}; accepted: {', '.join(SOLVERS)} (or None for CLARABEL)")
    name = solver.upper()
    if name == "MOSEK":
        ok, why = mosek_licence_ok()
        if not ok:
            raise SolverUnavailableError(f"solver: MOSEK cannot be used: {why}; use CLARABEL or SCS")
        return name
    try:
        importlib.import_module(SOLVERS[name])
    except ImportError as exc:
        raise SolverUnavailableError(f"solver: {name} is not installed ({exc})") from exc
    return name


def default_settings(name: str) -> dict:
    return dict(_DEFAULTS[name])


def solve_problem(problem, solver: str | None = None, settings: dict | None = None, *,
                  allow_infeasible: bool = False) -> SolveInfo:
    """Solve a cvxpy problem; raise :class:`SolverError` when the solver fails outright.

    ``allow_infeasible``: a (primal) infeasible answer is returned instead of raised; the caller
    must then certify the infeasibility itself (the solver's word is not a result).

    After a numerical failure or an inaccurate answer, the same solver is tried again with the
    more robust settings of ``_RETRIES``; every attempt is listed in ``SolveInfo.attempts``.
    """
    import cvxpy as cp  # noqa: PLC0415 - cvxpy is needed only to solve, never to verify

    name = resolve_solver(solver)
    base = default_settings(name)
    if settings:
        base.update(settings)
    ladder = [base] + [{**base, **extra} for extra in _RETRIES[name]]
    attempts: list = []
    info = None
    for opts in ladder:
        info = SolveInfo(name=name, version=_module_version(SOLVERS[name]), settings=dict(opts), cvxpy_version=cp.__version__)
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # cvxpy's "may be inaccurate": we flag it ourselves
                problem.solve(solver=name, **opts)
        except cp.error.SolverError as exc:
            attempts.append({"settings": dict(opts), "status": "solver_error", "message": str(exc).splitlines()[0]})
            continue
        except (TypeError, ValueError) as exc:
            raise InputError(f"settings: {name} rejected the settings {opts}: {exc}") from exc
        info.solve_time = time.perf_counter() - t0
        status = str(problem.status)
        info.status, info.accurate = _STATUS.get(status, (status, False))
        info.objective = None if problem.value is None else float(problem.value)
        stats = problem.solver_stats
        if stats is not None and getattr(stats, "num_iters", None) is not None:
            info.iterations = int(stats.num_iters)
        attempts.append({"settings": dict(opts), "status": info.status})
        if info.accurate and (info.status == "optimal" or (allow_infeasible and info.status == "infeasible")):
            break
    info.attempts = attempts
    accepted = ("optimal", "optimal_inaccurate") + (("infeasible", "infeasible_inaccurate") if allow_infeasible else ())
    if info.status not in accepted or info.solve_time is None:
        tried = "; ".join(f"{a['status']}" for a in attempts)
        raise SolverError(f"{name} did not solve the problem (attempts: {tried})")
    return info
