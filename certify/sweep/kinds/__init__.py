"""The kinds of sweep: the registry (:data:`KINDS`, :func:`register`, :func:`get_kind`) and the
built-in kinds, one module each: :mod:`.rank1_grid`, :mod:`.curvature_map`,
:mod:`.search_restarts`, :mod:`.validation`, :mod:`.nimc_phase_transition` (shared pieces: :mod:`.grid`,
:mod:`.common`)."""

from __future__ import annotations

from ...errors import InputError
from ..base import SweepKind
from . import atlas, curvature_map, nimc_phase_transition, rank1_grid, search_restarts, validation
from .curvature_map import curvature_task
from .grid import check_grid_size
from .nimc_phase_transition import phase_transition_task
from .rank1_grid import rank1_task
from .search_restarts import search_task
from .validation import chunk_seed, validation_result, validation_task

__all__ = ["KINDS", "register", "get_kind", "check_grid_size", "chunk_seed", "validation_result", "rank1_task",
           "curvature_task", "search_task", "validation_task", "phase_transition_task"]

KINDS: dict[str, SweepKind] = {}


def register(kind: SweepKind, *, replace: bool = False) -> SweepKind:
    """Add a kind to :data:`KINDS` (``replace=True`` to override one)."""
    if not isinstance(kind, SweepKind):
        raise InputError(f"kind: expected a SweepKind, got {type(kind).__name__}")
    if kind.name in KINDS and not replace:
        raise InputError(f"sweep kind {kind.name!r} is already registered (pass replace=True to override it)")
    KINDS[kind.name] = kind
    return kind


def get_kind(name) -> SweepKind:
    if isinstance(name, SweepKind):
        return name
    if name not in KINDS:
        raise InputError(f"unknown sweep kind {name!r}; known: {', '.join(sorted(KINDS))}")
    return KINDS[name]


for _module in (rank1_grid, curvature_map, search_restarts, validation, nimc_phase_transition, atlas):
    register(_module.KIND)
del _module
