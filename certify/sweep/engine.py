"""Running and reading sweeps: :func:`run_sweep` (prepare the kind's spec, open or resume the
store, stream the points still to do through an executor, append each result as it arrives),
:func:`load_sweep` (a store read back, every line checked) and :func:`grid_arrays` (a grid sweep
as arrays)."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import InputError
from .base import MAX_POINTS, Keys, LazyPoints, SweepKind, SweepResult, canonical
from .executors import dask_client, dask_cluster, import_distributed, process_pool, serial, sigterm_unwinds
from .guard import MAIN_GUARD_MESSAGE, main_guard_violation
from .kinds import KINDS, get_kind
from .kinds.common import counts
from .store import MISSING, OK, Records, Store, read_header, scan

__all__ = ["run_sweep", "load_sweep", "grid_arrays"]


def _build_result(kind_name, params, keys, records, path, header, **extra) -> SweepResult:
    kind = KINDS.get(kind_name)
    summary = kind.summarize(params, records) if kind is not None and kind.summarize is not None else counts(records)
    return SweepResult(kind=kind_name, params=params, keys=keys, records=records, summary=summary,
                       path=None if path is None else Path(path), header=header, **extra)


def _points_of(kind: SweepKind, spec: dict):
    """The kind's points as a sequence, refused above :data:`MAX_POINTS` or with repeated keys."""
    points = kind.points(spec)
    if not isinstance(points, Sequence):
        points = list(points)
    if len(points) > MAX_POINTS:
        raise InputError(f"{kind.name}: {len(points):,} points exceed the maximum of {MAX_POINTS:,} points of one "
                         "sweep; split it into several sweeps (one store each)")
    if not isinstance(points, LazyPoints):  # the built-in kinds' keys are unique by construction
        keys = [pt.key for pt in points]
        if len(set(keys)) != len(keys):
            raise InputError(f"{kind.name}: the points' keys are not unique")
    return points


# ------------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------------
def load_sweep(path) -> SweepResult:
    """Read a store (no lock, no repair: a truncated last line is ignored; every other line's
    checksum is checked): the records in point order and the kind's summary.  Points are rebuilt
    from the header when the kind is registered, else keyed by the records' ``key``."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    with open(p, "rb") as fh:
        header, _ = read_header(p, fh)
        if header is None:
            raise InputError(f"{path}: empty sweep store")
        kind = KINDS.get(header["kind"])
        keys = None
        if kind is not None:
            points = kind.points(header["params"])
            if not isinstance(points, Sequence):
                points = list(points)
            if len(points) != header["points"]:
                raise InputError(f"{path}: the header counts {header['points']} points, the {kind.name} sweep of its "
                                 f"params has {len(points)}; the store is damaged")
            keys = Keys(points)
        found = scan(p, fh, keys)
    records = Records(p, found.offsets, header["spec_hash"])
    if keys is None:
        keys = [f"#{i}" if r is None else r["key"] for i, r in enumerate(records)]
    return _build_result(header["kind"], header["params"], keys, records, p, header, repaired=found.repaired)


def grid_arrays(result) -> dict:
    """For a ``rank1-grid`` or ``curvature-map`` sweep (a :class:`SweepResult` or a store path):
    ``rho``, ``phi_deg`` (the grid's angles, degrees), ``phi`` (the same in radians) and, for every
    field of the results, an array of shape ``(len(rhos), len(phis_deg))``: floats (``nan`` where
    absent) or objects (``kind``; ``status`` is ``"ok"``/``"failed"``/``None``)."""
    if not isinstance(result, SweepResult):
        result = load_sweep(result)
    if result.kind not in ("rank1-grid", "curvature-map"):
        raise InputError(f"grid_arrays: expected a rank1-grid or curvature-map sweep, got {result.kind!r}")
    rhos, phis = np.array(result.params["rhos"]), np.array(result.params["phis_deg"])
    shape = (rhos.size, phis.size)
    fields = ("delta", "delta_lower", "gap", "closed_form", "closed_form_gap") if result.kind == "rank1-grid" \
        else ("mu", "mu_upper", "min_grad_lower")
    out = {"rho": rhos, "phi_deg": phis, "phi": np.radians(phis), "kind": np.full(shape, None, dtype=object),
           "status": np.full(shape, None, dtype=object)}
    for f in fields:
        out[f] = np.full(shape, np.nan)
    for idx, rec in enumerate(result.records):
        i, j = divmod(idx, phis.size)
        if rec is None:
            continue
        out["status"][i, j] = rec["status"]
        if rec["status"] != "ok":
            continue
        res = rec["result"]
        out["kind"][i, j] = res.get("kind")
        for f in fields:
            if res.get(f) is not None:
                out[f][i, j] = res[f]
    return out


# ------------------------------------------------------------------------------------------------
# running
# ------------------------------------------------------------------------------------------------
def _todo(points, mask, block: int = 1 << 16):
    """``(index, point)`` for the points whose ``mask`` entry is set, in order, built lazily."""
    for start in range(0, len(mask), block):
        for i in np.flatnonzero(mask[start:start + block]):
            i = start + int(i)
            yield i, points[i]


def _positive(value, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
        raise InputError(f"{name}: expected a positive integer, got {value!r}")


def _executor_of(executor, scheduler, client, workers, max_in_flight) -> str:
    """The executor's name (``"dask"`` implied by a scheduler or a client), its options checked."""
    if client is not None or scheduler is not None:
        if executor not in (None, "dask"):
            raise InputError(f"executor: {executor!r} cannot be combined with a Dask scheduler or client")
        executor = "dask"
    executor = executor or "process"
    if executor not in ("process", "serial", "dask"):
        raise InputError(f"executor: expected 'process', 'serial' or 'dask', got {executor!r}")
    if executor == "dask":
        import_distributed()
    _positive(workers, "workers")
    _positive(max_in_flight, "max_in_flight")
    return executor


class _Cluster:
    """The Dask client of a run: given, connected up front (a remote scheduler: before the store
    is touched), or started when there is work (``"local[:N]"``); closed at the end if opened here."""

    def __init__(self, scheduler, workers, client):
        self.scheduler, self.workers, self.client, self.closer = scheduler, workers, client, None

    def connect(self):
        if self.client is None:
            self.client, self.closer = dask_client(self.scheduler, self.workers)
        return self.client

    def close(self) -> None:
        if self.closer is not None:
            closer, self.closer = self.closer, None
            closer()


def _stream(executor: str, task, items, context, workers, max_in_flight, cluster: _Cluster, stats: dict):
    """The executor's generator of ``(index, point, outcome)`` over ``items``."""
    if executor == "serial":
        return serial(task, items, context)
    if executor == "process":
        nw = int(workers or os.cpu_count() or 1)
        return process_pool(task, items, context, nw, int(max_in_flight or 2 * nw))
    client = cluster.connect()
    nthreads = sum((client.nthreads() or {}).values()) or 1
    return dask_cluster(task, items, context, client, int(max_in_flight or max(2 * nthreads, 2)), stats)


def _fill(st: Store, stream, resumed: int, bar) -> int:
    """Append each result of ``stream`` to the store as it arrives; returns the number computed."""
    computed = 0
    try:
        for i, pt, out in stream:
            st.append(i, {"key": pt.key, **out})
            computed += 1
            bar.update(resumed + computed)
    finally:
        stream.close()
    return computed


def run_sweep(
    kind,
    params: dict,
    store,
    *,
    executor: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    progress: bool = True,
    max_in_flight: int | None = None,
    retry_failed: bool = True,
    fsync: bool = True,
) -> SweepResult:
    """Run (or resume) a sweep, appending each result to the store ``store`` as it arrives.

    ``executor``: ``"process"`` (default: a local process pool of ``workers`` processes, default
    ``os.cpu_count()``; from a script, call it under ``if __name__ == "__main__":``), ``"serial"``
    (in this process), or ``"dask"`` (implied by ``scheduler``, a ``tcp://...`` address or
    ``"local[:N]"`` for a LocalCluster, or ``client``, a ``dask.distributed.Client``; results are
    taken as completed, a task lost with a worker is resubmitted up to :data:`DASK_RETRIES` times).
    At most ``max_in_flight`` tasks are submitted at once (default twice the workers); points are
    generated as they are submitted, and a sweep of more than :data:`MAX_POINTS` points is
    refused.  Finished points in the store are skipped; failed ones are run again unless
    ``retry_failed=False``.  ``progress`` draws a bar (stderr) counting done/total, resumed points
    included.  Returns the :class:`SweepResult` (all points, resumed ones too).  Ctrl-C stops the
    run with the store consistent; so does SIGTERM, which then ends the process as usual.
    """
    from ..progress import Progress  # noqa: PLC0415

    k = get_kind(kind)
    if not isinstance(params, dict):
        raise InputError(f"params: expected a dict, got {type(params).__name__}")
    executor = _executor_of(executor, scheduler, client, workers, max_in_flight)
    spec, context = k.prepare(params)  # called from here: the kinds' warnings point at our caller
    canonical(spec)  # the spec must be strict JSON
    points = _points_of(k, spec)
    keys = Keys(points)
    local_dask = executor == "dask" and client is None and str(scheduler).strip().startswith("local")
    if executor == "process" or local_dask:
        where = main_guard_violation()
        if where is not None:
            raise InputError(f"{MAIN_GUARD_MESSAGE} (called at {where})")
    t0 = time.perf_counter()
    computed = resumed = 0
    stats = {"resubmitted": 0}
    cluster = _Cluster(scheduler, workers, client)
    with sigterm_unwinds():
        if executor == "dask" and client is None and not local_dask:
            cluster.connect()  # a remote scheduler: connect before touching the store
        try:
            st = Store.open(store, k.name, spec, keys, fsync=fsync)
        except BaseException:
            cluster.close()
            raise
        bar = None
        try:
            todo = st.status != OK if retry_failed else st.status == MISSING
            resumed = len(points) - int(np.count_nonzero(todo))
            bar = Progress(len(points), label=f"{k.name}" + (f" ({resumed} resumed)" if resumed else ""),
                           enabled=progress)
            if resumed:
                bar.update(resumed)
            if resumed < len(points):
                stream = _stream(executor, k.task, _todo(points, todo), context, workers, max_in_flight, cluster, stats)
                computed = _fill(st, stream, resumed, bar)
            header, repaired, records = st.header, st.repaired, st.records()
        finally:
            st.close()
            cluster.close()
            if bar is not None:
                bar.close()
    return _build_result(k.name, spec, keys, records, store, header, computed=computed, resumed=resumed,
                         elapsed=time.perf_counter() - t0, repaired=repaired, resubmitted=stats["resubmitted"])
