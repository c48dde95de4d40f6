"""Burer–Monteiro matrix sensing: objective, derivatives, batched GD/SGD, distances, instances.

Objective (docs/mathematics.md §1, no ½): ``f(X) = ||A(X X^T - Z Z^T)||^2`` for a measurement operator of
:mod:`certify.check.operators` (explicit or compact), ``X ∈ R^{n x r}``, ``Z ∈ R^{n x r*}``, ``r >= r*``.

Trials are batched: every function takes ``X`` of shape ``(n, r)`` or ``(trials, n, r)``.  GD and
SGD on operators with explicit measurements (any :class:`ExplicitOperator`, and compact operators
with ``n <= 64`` through the measurement matrices of Algorithm 1) run in a compiled kernel,
parallel over trials, with one random stream per trial: results depend on the seed only, never on
the number of threads.  GD on a large compact operator (``n = 10,000``) runs vectorized over
trials with the operator's low-rank gradient formula.

SGD samples ``batch`` measurement indices uniformly with replacement per step and uses the
unbiased gradient estimate ``(m / batch) Σ_j ∇(<A_j, XX^T - ZZ^T>)^2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..check.operators import DENSE_LIMIT, CompactOperator, ExplicitOperator, MeasurementOperator
from ..errors import InputError
from ..linalg import as_factor
from ..options import integer, real

__all__ = [
    "objective",
    "gradient",
    "hvp",
    "gd",
    "sgd",
    "RunResult",
    "measurement_system",
    "distance_to_solutions",
    "distance_to_orbit",
    "random_instance",
    "default_step_size",
    "measurement_count",
    "check_run_args",
    "MAX_INSTANCE_BYTES",
]

#: largest ``m n^2`` float64 array :func:`random_instance` allocates (2 GiB); larger requests are refused
MAX_INSTANCE_BYTES = 2 * 2**30
#: largest SGD seed (the per-trial streams are seeded from a 64-bit unsigned integer)
MAX_SEED = 2**64 - 1


def _check_operator(operator) -> MeasurementOperator:
    if not isinstance(operator, MeasurementOperator):
        raise InputError(f"operator: expected a certify MeasurementOperator, got {type(operator).__name__}")
    return operator


def objective(operator, Z, X):
    """``f(X)`` (a float, or one value per trial)."""
    return _check_operator(operator).objective(X, Z)


def gradient(operator, Z, X):
    """``∇f(X) = 4 sym(mat(He)) X`` with the shape of ``X``."""
    return _check_operator(operator).gradient(X, Z)


def hvp(operator, Z, X, U):
    """Hessian-vector product ``∇²f(X)[U]``."""
    return _check_operator(operator).hvp(X, Z, U)


@dataclass
class MeasurementSystem:
    """Symmetrized measurement matrices ``S_i = sym(A_i)`` and data ``b_i = <A_i, Z Z^T>``."""

    S: np.ndarray
    b: np.ndarray

    @property
    def m(self) -> int:
        return self.S.shape[0]


def measurement_system(operator, Z) -> MeasurementSystem:
    """The explicit measurements the (S)GD kernel works on (Algorithm 1 for compact operators)."""
    op = _check_operator(operator)
    if isinstance(op, CompactOperator):
        if op.n > DENSE_LIMIT:
            raise InputError(
                f"operator: a compact operator with n = {op.n} > {DENSE_LIMIT} has n^2 measurements; "
                "SGD needs explicit measurements (use method='gd', which works at any n)"
            )
        op = op.to_explicit()
    Z = as_factor(Z, "Z")
    if Z.shape[0] != op.n:
        raise InputError(f"Z: expected {op.n} rows, got {Z.shape[0]}")
    S = 0.5 * (op.A + op.A.transpose(0, 2, 1))
    keep = np.any(S != 0.0, axis=(1, 2))  # antisymmetric measurements never see X X^T
    S = np.ascontiguousarray(S[keep])
    b = np.einsum("ipq,pq->i", S, Z @ Z.T)
    return MeasurementSystem(S=S, b=np.ascontiguousarray(b))


@dataclass
class RunResult:
    """Final iterates of a batch of runs.

    ``X`` has shape ``(trials, n, r)``; ``f`` the final objective; ``diverged`` marks trials whose
    iterate stopped being finite (frozen there, ``f = inf``); ``settings`` records the protocol.
    ``path`` (only with ``record_every``): the iterates at steps ``0, record_every, 2 record_every,
    ..., steps``, shape ``(snapshots, trials, n, r)``; ``path_steps`` the step of each snapshot.
    Recording does not change the run: the trajectories are those of the same run without it.
    """

    X: np.ndarray
    f: np.ndarray
    diverged: np.ndarray
    settings: dict = field(default_factory=dict)
    path: np.ndarray | None = None
    path_steps: np.ndarray | None = None


def measurement_count(operator) -> int:
    """The number ``m`` of measurements of ``operator``: the ``m`` matrices of an explicit operator,
    ``n^2`` for a compact one (Algorithm 1: ``d^2`` from ``Ĥ`` plus ``n^2 - d^2`` off the subspace).
    An SGD minibatch draws at most ``m`` of them per step (``batch <= m``)."""
    return int(_check_operator(operator).m)


def _check_batch(batch, operator) -> int:
    m = measurement_count(operator)
    if isinstance(batch, (bool, np.bool_)) or not isinstance(batch, (int, np.integer)) or not 1 <= batch <= m:
        raise InputError(
            f"batch: expected an integer in [1, {m}] (the SGD minibatch draws batch of the operator's m = {m} "
            f"measurements per step), got {batch!r} ({type(batch).__name__})"
        )
    return int(batch)


def _check_method(method) -> str:
    if method not in ("sgd", "gd"):
        raise InputError(f"method: expected 'sgd' or 'gd', got {method!r}")
    return method


def default_step_size(operator, Z, method: str = "sgd", batch: int = 1) -> float:
    """A conservative step size: ``0.1 / (λ_max(H) · ||Z||_2^2)`` for GD, scaled by
    ``batch / m`` for SGD (the stochastic gradient is ``m / batch`` times larger per term);
    ``batch``: an integer in ``[1, m]`` (checked for SGD only)."""
    op = _check_operator(operator)
    Z = as_factor(Z, "Z")
    if Z.shape[0] != op.n:
        raise InputError(f"Z: expected {op.n} rows to match the operator, got shape {Z.shape}")
    if _check_method(method) == "sgd":
        batch = _check_batch(batch, op)
    lam_max = op.spectrum_bounds("symmetric")[1]
    eta = 0.1 / (lam_max * np.linalg.norm(Z, 2) ** 2)
    if method == "sgd":
        m = measurement_system(op, Z).m
        eta *= min(1.0, batch / m)
    return float(eta)


def _start(X0, n: int) -> tuple[np.ndarray, bool]:
    try:
        X = np.array(X0, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"X0: expected a real array (n,), (n, r) or (trials, n, r), got {type(X0).__name__}") from exc
    single = X.ndim < 3
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3 or X.shape[1] != n or X.shape[0] == 0:
        raise InputError(f"X0: expected shape (n,), (n, r) or (trials, n, r) with n = {n}, got {np.shape(X0)}")
    if not np.all(np.isfinite(X)):
        raise InputError("X0: contains NaN or infinite entries")
    return np.ascontiguousarray(X), single


def check_run_args(operator, method, steps, step_size, decay, batch=None):
    """Check the options of :func:`gd`/:func:`sgd` (and of the validation protocol); returns
    ``(steps, step_size, decay, batch)`` as Python numbers (``batch`` ``None`` for GD)."""
    _check_method(method)
    steps = integer(steps, "steps", lo=0)
    if step_size is not None:
        step_size = real(step_size, "step_size", lo=0.0, lo_open=True)
    if decay is not None:
        try:
            decay = real(decay, "decay", lo=0.0, lo_open=True)
        except InputError as exc:
            raise InputError(f"{exc} (a number of steps > 0, or None for a constant step)") from None
    batch = _check_batch(batch, operator) if method == "sgd" else None
    return steps, step_size, decay, batch


#: largest number of snapshots ``record_every`` may ask for (``steps / record_every + 1``)
MAX_SNAPSHOTS = 10_000


def _check_record(record_every, steps: int, trials: int, n: int, r: int) -> int | None:
    if record_every is None:
        return None
    every = integer(record_every, "record_every", lo=1)
    snaps = steps // every + 1 + (steps % every > 0)
    if snaps > MAX_SNAPSHOTS or 8 * snaps * trials * n * r > MAX_INSTANCE_BYTES:
        raise InputError(f"record_every: {every} records {snaps:,} snapshots of {trials:,} x {n} x {r} iterates; "
                         f"accepted at most {MAX_SNAPSHOTS:,} snapshots and {MAX_INSTANCE_BYTES // 2**30} GiB")
    return every


def _run(operator, Z, X0, steps, step_size, decay, batch, seed, method, progress=None, first_trial=0,
         record_every=None):
    from . import kernels as _kernels  # noqa: PLC0415 - numba compiles on first use

    op = _check_operator(operator)
    Z = as_factor(Z, "Z")
    if Z.shape[0] != op.n:
        raise InputError(f"Z: expected {op.n} rows to match the operator, got shape {Z.shape}")
    steps, step_size, decay, batch = check_run_args(op, method, steps, step_size, decay, batch)
    X, single = _start(X0, op.n)
    record_every = _check_record(record_every, steps, *X.shape)
    path, path_steps = ([X.copy()], [0]) if record_every else (None, None)
    if step_size is None:
        step_size = default_step_size(op, Z, method, batch or 1)
    settings = {"method": method, "steps": int(steps), "step_size": float(step_size),
                "decay": None if decay is None else float(decay), "seed": None if seed is None else int(seed)}
    tau = 0.0 if decay is None else float(decay)
    status = np.zeros(X.shape[0], dtype=np.int8)
    use_kernel = not (isinstance(op, CompactOperator) and op.n > DENSE_LIMIT)
    if method == "sgd":
        settings["batch"] = int(batch)
        if not use_kernel:
            measurement_system(op, Z)  # raises the explanatory error
    if use_kernel:
        sys_ = measurement_system(op, Z)
        settings["m"] = sys_.m
        state = _kernels.seed_states(np.uint64(seed or 0), X.shape[0], np.int64(first_trial))
        bsz = 0 if method == "gd" else int(batch)
        done = 0
        chunk = max(1, steps // 100) if progress else steps
        if record_every:
            chunk = min(chunk, record_every)
        while done < steps:
            # a chunk never crosses a multiple of record_every; the kernel continues each trial's
            # stream and step count (k0 = done), so chunking does not change the trajectories
            k = min(chunk, steps - done, record_every - done % record_every if record_every else steps)
            _kernels.run_steps(sys_.S, sys_.b, X, state, status, done, k, float(step_size), tau, bsz)
            done += k
            if record_every and (done % record_every == 0 or done == steps):
                path.append(X.copy())
                path_steps.append(done)
            if progress:
                progress(done, steps)
    else:  # vectorized GD with the low-rank formulas (any n)
        for k in range(steps):
            eta = step_size / (1.0 + k / tau) if tau > 0 else step_size
            live = status == 0
            G = op.gradient(X[live], Z)
            X[live] -= eta * G
            bad = live.copy()
            bad[live] = ~np.all(np.isfinite(X[live]), axis=(1, 2))
            status[bad] = 1
            if record_every and ((k + 1) % record_every == 0 or k + 1 == steps):
                path.append(X.copy())
                path_steps.append(k + 1)
            if progress and (k + 1) % 100 == 0:
                progress(k + 1, steps)
    diverged = status != 0
    f = np.full(X.shape[0], np.inf)
    if np.any(~diverged):
        f[~diverged] = op.objective(X[~diverged], Z)
    res = RunResult(X=X, f=f, diverged=diverged, settings=settings)
    if record_every:
        res.path, res.path_steps = np.stack(path), np.asarray(path_steps)
        settings["record_every"] = int(record_every)
    if single:
        res.X = X[0]
        if record_every:
            res.path = res.path[:, 0]
    return res


def gd(operator, Z, X0, *, steps: int = 1000, step_size: float | None = None, decay: float | None = None,
       progress=None, record_every: int | None = None) -> RunResult:
    """Full-batch gradient descent ``X ← X - η_k ∇f(X)`` from ``X0`` (``(n, r)`` or a batch
    ``(trials, n, r)``); ``η_k = step_size / (1 + k / decay)`` (constant when ``decay`` is None).
    ``record_every``: keep the iterates every that many steps (``RunResult.path``)."""
    return _run(operator, Z, X0, steps, step_size, decay, None, 0, "gd", progress, record_every=record_every)


def sgd(operator, Z, X0, *, steps: int = 1000, step_size: float | None = None, batch: int = 1,
        seed: int = 0, decay: float | None = None, progress=None, first_trial: int = 0,
        record_every: int | None = None) -> RunResult:
    """Minibatch SGD: each step samples ``batch`` measurements (an integer in ``[1, m]``, ``m`` the
    operator's number of measurements, :func:`measurement_count`) uniformly with replacement.

    Deterministic for a given ``seed`` (an integer in ``[0, 2^64 - 1]``) whatever the number of
    threads: one random stream per trial, derived from ``(seed, first_trial + trial index)``, so
    trials split into chunks (``first_trial`` = the chunk's offset) run exactly as in one batch.
    ``record_every``: keep the iterates every that many steps (``RunResult.path``; the same run)."""
    seed = integer(seed, "seed", lo=0, hi=MAX_SEED)
    first_trial = integer(first_trial, "first_trial", lo=0, hi=2**62)
    return _run(operator, Z, X0, steps, step_size, decay, batch, seed, "sgd", progress, first_trial, record_every)


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise InputError(f"{name}: expected True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


def _batch(X) -> np.ndarray:
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"X: expected a real array (n,), (n, r) or (trials, n, r), got {type(X).__name__}") from exc
    if X.ndim not in (1, 2, 3) or X.size == 0:
        raise InputError(f"X: expected a non-empty array of shape (n,), (n, r) or (trials, n, r), got shape {X.shape}")
    if X.ndim == 1:
        X = X[:, None]
    return X if X.ndim == 3 else X[None]


def distance_to_solutions(X, Z, relative: bool = True):
    """``min_R ||X - [Z, 0] R||_F`` over orthogonal ``R`` (the distance to the set of global
    minimizers ``{X : X X^T = Z Z^T}``, ``r >= r*``), divided by ``||Z||_F`` when ``relative``.
    Uses ``min_R ||X - Z̃R||^2 = ||X||^2 + ||Z||^2 - 2 ||Z^T X||_*``."""
    _check_flag(relative, "relative")
    Xb = _batch(X)
    Z = as_factor(Z, "Z")
    if Xb.shape[1] != Z.shape[0]:
        raise InputError(f"X, Z: expected the same number of rows n, got X of shape {np.shape(X)} and Z of shape {Z.shape}")
    if Xb.shape[-1] < Z.shape[1]:
        raise InputError(f"X: rank r = {Xb.shape[-1]} < r* = {Z.shape[1]}: the global minimizers are not reachable")
    ok = np.all(np.isfinite(Xb), axis=(1, 2))  # diverged trials are infinitely far
    d = np.full(Xb.shape[0], np.inf)
    Xo = Xb[ok]
    nuc = np.linalg.svd(np.swapaxes(Z.T @ Xo, -1, -2), compute_uv=False).sum(axis=-1)
    d2 = np.sum(Xo * Xo, axis=(1, 2)) + np.sum(Z * Z) - 2.0 * nuc
    d[ok] = np.sqrt(np.clip(d2, 0.0, None))
    if relative:
        d = d / np.linalg.norm(Z)
    return float(d[0]) if np.ndim(X) < 3 else d


def distance_to_orbit(X, Xs, relative: bool = True):
    """``min_R ||X - Xs R||_F`` over orthogonal ``R`` (distance to the orbit of a point ``Xs``),
    divided by ``||Xs||_F`` when ``relative``."""
    Xs = as_factor(Xs, "Xs")
    Xb = _batch(X)
    if Xb.shape[-1] != Xs.shape[1]:
        raise InputError(f"X: expected r = {Xs.shape[1]} columns, got {Xb.shape[-1]}")
    return distance_to_solutions(X, Xs, relative)


def random_instance(n: int, r_star: int = 1, m: int | None = None, *, r: int | None = None, seed: int = 0):
    """A standard random instance: ``m`` measurement matrices with i.i.d. ``N(0, 1/m)`` entries
    (``E ||A(M)||^2 = ||M||^2``; RIP holds with high probability for ``m ≳ n r``), a Gaussian
    ground truth ``Z`` (``n x r*``, rank ``r*``, so ``1 <= r* <= n``) and a Gaussian start ``X0``
    (``n x r`` with ``r >= r*``, ``r = r*`` by default, so that the global minimizers are
    reachable).  Default ``m = 5 n r``.  The ``m n^2`` numbers of the operator must fit in
    :data:`MAX_INSTANCE_BYTES` (2 GiB), checked before anything is allocated.  Returns
    ``(operator, Z, X0)``."""
    n = integer(n, "n", lo=1)
    r_star = integer(r_star, "r_star", lo=1)
    if r_star > n:
        raise InputError(f"r_star: expected an integer in [1, n] = [1, {n}] (the rank of the n x r* ground truth), got {r_star}")
    r = r_star if r is None else r
    if isinstance(r, (bool, np.bool_)) or not isinstance(r, (int, np.integer)) or r < r_star:
        raise InputError(f"r: expected an integer >= r_star = {r_star} (the search rank), got {r!r} ({type(r).__name__})")
    r = int(r)
    m = 5 * n * r if m is None else integer(m, "m", lo=1)
    seed = integer(seed, "seed", lo=0)
    need = 8 * m * n * n
    if need > MAX_INSTANCE_BYTES:
        raise InputError(
            f"n, m: the operator needs m n^2 = {m * n * n:.3g} numbers ({need / 2**30:.1f} GiB) for n = {n}, m = {m}; "
            f"at most MAX_INSTANCE_BYTES = {MAX_INSTANCE_BYTES / 2**30:g} GiB is allocated"
        )
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n, n)) / np.sqrt(m)
    Z = rng.standard_normal((n, r_star))
    X0 = rng.standard_normal((n, r))
    return ExplicitOperator(A), Z, X0
