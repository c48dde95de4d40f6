"""Sweeps at scale: grids and searches run on a process pool or a Dask cluster, with results
appended to a file-backed store as they arrive, and resume after an interruption.

A *sweep* is a kind name and its parameters.  The kind (a :class:`SweepKind` in :data:`KINDS`)
turns the parameters into an ordered sequence of :class:`Point` s, each with a stable string key
and a params dict, and names a module-level *task* function mapping one point's params (and an
optional shared *context*) to a JSON-serializable result dict.  A point's result depends on its
params only (every seed is derived from the params, never from the order, the executor or the
worker), so a sweep gives the same results, bit for bit, serially, on a process pool, on a Dask
cluster, and when it was killed and resumed.

Built-in kinds (``docs/sweeps.md``):

``rank1-grid``
    δ(x, z) by the SDP (:func:`certify.rip.counterexample`: the operator's δ and the
    dual-certified lower bound) and the closed form of JMLR19 Theorem 12 over a (ρ, φ) grid, with
    ``x = ρ (cos φ, sin φ)``, ``z = (1, 0)``; φ is given in DEGREES (``phis_deg``, in [0, 180]).
``curvature-map``
    μ*(x, z, δ, g) (:func:`certify.rip.curvature`) over the same grid at a fixed δ and ``grad_tol``.
``search-restarts``
    one point per restart of :func:`certify.rip.search_sharp_delta` (restart k alone, exactly as in
    the full search); the summary is the best restart.
``validation``
    (S)GD validation trials of a certificate (docs/mathematics.md §1.5, :func:`certify.validate`) split into
    chunks of trials with per-chunk seeds; the summary pools the chunks (exact counts and exact
    error quantiles over all trials).

Points are generated lazily (a sweep never holds its grid in memory) and a sweep has at most
:data:`MAX_POINTS` points (refused before any work).

Modules: :mod:`.base` (Point, SweepKind, SweepResult, the spec hash), :mod:`.kinds` (the
registry and one module per built-in kind), :mod:`.store` (the JSON Lines store), :mod:`.executors`
(serial, process pool, Dask; SIGTERM), :mod:`.guard` (the ``__main__`` guard), :mod:`.engine`
(:func:`run_sweep`, :func:`load_sweep`, :func:`grid_arrays`).

The store (:class:`Store`) is a JSON Lines file: a header line (format, kind, full parameters,
their hash, package version, its own checksum) and one line per finished point, each with a
``sha256`` checksum of its content and the spec hash, written with one ``write`` and ``fsync`` as
each result arrives.  Reopening it with the same spec skips finished points; another spec is
refused (:class:`~certify.errors.InputError` naming the difference); a truncated last line (a
SIGKILL during a write) is discarded and the file repaired; a complete line whose checksum does
not match (an edit, a damaged disk) is refused with its line number.  A point whose task raised
is recorded as ``failed`` with the exception's type and message; a rerun retries failed points
(``retry_failed=True``, the default), and the store keeps both lines (the ``ok`` one wins).

Python::

    from certify import sweep

    if __name__ == "__main__":     # needed by the process pool in a script (docs/sweeps.md)
        res = sweep.run_sweep("rank1-grid", {"rhos": [0.5, 1.0], "phis_deg": [30, 90]}, "grid.jsonl")
        res.results            # result dicts in point order (None where missing or failed)
        res.summary            # e.g. minimum delta and where, largest closed-form gap, failures
        sweep.load_sweep("grid.jsonl"); sweep.grid_arrays(res)["delta"]  # a (len(rhos), len(phis_deg)) array
        sweep.run_sweep(..., executor="serial" | "process" | "dask", workers=2, scheduler="tcp://host:8786")
"""

from __future__ import annotations

from ..io import parse_grid
from . import base, guard, store
from .base import FORMAT, FORMAT_VERSION, MAX_POINTS, Point, SweepError, SweepKind, SweepResult, spec_hash
from .engine import grid_arrays, load_sweep, run_sweep
from .executors import DASK_HINT, DASK_RETRIES
from .executors import execute as execute
from .guard import MAIN_GUARD_MESSAGE
from .kinds import KINDS, check_grid_size, get_kind, register, validation_result
from .kinds import chunk_seed as chunk_seed
from .kinds import curvature_task as curvature_task
from .kinds import rank1_task as rank1_task
from .kinds import search_task as search_task
from .kinds import validation_task as validation_task
from .store import Store

# private names of the single-module certify.sweep that the tests used, kept for one release
_canonical, _main_guarded = base.canonical, guard.main_guarded
_header_checksum, _line_checksum, _with_checksum = store.header_checksum, store.line_checksum, store.with_checksum

__all__ = [
    "FORMAT", "FORMAT_VERSION", "MAX_POINTS", "DASK_RETRIES", "KINDS", "Point", "SweepKind", "SweepError",
    "SweepResult", "Store", "register", "get_kind", "spec_hash", "run_sweep", "load_sweep", "grid_arrays",
    "validation_result", "parse_grid", "check_grid_size", "DASK_HINT", "MAIN_GUARD_MESSAGE",
]
