"""Where the tasks of a sweep run: :func:`serial` (in this process), :func:`process_pool` (a local
process pool: forkserver, a watchdog thread in every worker that ends it when the parent is gone,
queued tasks dropped and workers stopped on any interruption) and :func:`dask_cluster` (a Dask
cluster, results taken as completed, a lost task resubmitted up to :data:`DASK_RETRIES` times).  Each
is a generator of ``(index, point, outcome)`` drawing at most ``limit`` tasks ahead from ``items``;
:func:`execute` runs one task and never raises for its own failure.  :func:`sigterm_unwinds` turns
SIGTERM into an unwinding of the running sweep."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager

from ..errors import InputError
from .base import SweepError, json_null

__all__ = ["DASK_RETRIES", "DASK_HINT", "execute", "serial", "process_pool", "dask_cluster", "dask_client",
           "import_distributed", "sigterm_unwinds"]

DASK_RETRIES = 3  # resubmissions of one point after the Dask cluster lost it (a killed worker)
DASK_HINT = "pip install 'certify[dask]' (or: pip install 'dask[distributed]')"


def execute(task, params: dict, context=None) -> dict:
    """Run one task and never raise for its own failure: ``{"status": "ok", "result": ...}`` (a
    strict-JSON dict) or ``{"status": "failed", "error": {"type", "message"}}``, plus ``seconds``
    and the ``warnings`` it emitted."""
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = task(params, context)
            if not isinstance(result, dict):
                raise TypeError(f"the task returned {type(result).__name__}, expected a dict")
            result = json_null(result)
            json.dumps(result, allow_nan=False)
            out = {"status": "ok", "result": result}
        except Exception as exc:  # noqa: BLE001 - recorded, never dropped
            out = {"status": "failed", "error": {"type": type(exc).__name__, "message": str(exc)}}
    out["seconds"] = time.perf_counter() - t0
    msgs = sorted({str(w.message) for w in caught})
    if msgs:
        out["warnings"] = msgs
    return out


def serial(task, items, context):
    """The tasks in this process, one after the other."""
    for i, pt in items:
        yield i, pt, execute(task, pt.params, context)


# ------------------------------------------------------------------------------------------------
# the process pool
# ------------------------------------------------------------------------------------------------
_WORKER_CONTEXT = None


def _init_worker(context) -> None:
    """Process-pool initializer: keep the shared context; leave Ctrl-C to the parent; end this
    worker as soon as the parent process is gone (also after a SIGKILL of the parent)."""
    global _WORKER_CONTEXT
    _WORKER_CONTEXT = context
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):  # pragma: no cover
        pass
    _exit_with_parent()


def _exit_with_parent() -> None:
    """A daemon thread that waits on the parent's sentinel (a pipe whose write end only the
    parent holds: readable once the parent is gone, however it ended) and then exits this process
    at once.  The workers of a pool (children of the forkserver, not of the parent) would otherwise
    wait forever for tasks, and keep the forkserver and the resource tracker alive with them."""
    import multiprocessing as mp  # noqa: PLC0415

    parent = mp.parent_process()
    if parent is None:  # pragma: no cover - not a multiprocessing child
        return

    def watch():
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="certify-sweep-parent-watch", daemon=True).start()


def _execute_in_worker(task, params):
    return execute(task, params, _WORKER_CONTEXT)


def _mp_context():
    import multiprocessing as mp  # noqa: PLC0415

    if sys.platform != "win32" and "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        # the server imports these once; every worker forks from it (fast start, no fork-with-threads)
        ctx.set_forkserver_preload(["certify.sweep", "certify.rip", "cvxpy", "clarabel"])
        return ctx
    return mp.get_context("spawn")  # pragma: no cover


def _stop_now(ex) -> None:
    """Drop the queued tasks of a pool and stop its workers at once."""
    procs = list((getattr(ex, "_processes", None) or {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        try:
            proc.terminate()
        except Exception:  # noqa: BLE001  # pragma: no cover
            pass


def process_pool(task, items, context, workers, limit):
    """A process pool with at most ``limit`` tasks submitted at once (the rest of ``items`` is
    drawn as results come in)."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # noqa: PLC0415
    from concurrent.futures.process import BrokenProcessPool  # noqa: PLC0415

    ex = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(), initializer=_init_worker,
                             initargs=(context,))
    it = iter(items)
    pending: dict = {}
    clean = False
    try:
        for i, pt in it:
            pending[ex.submit(_execute_in_worker, task, pt.params)] = (i, pt)
            if len(pending) >= limit:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                i, pt = pending.pop(fut)
                try:
                    out = fut.result()
                except BrokenProcessPool as exc:
                    raise SweepError(f"a worker process died ({exc}); finished points are in the store: "
                                     "rerun the same sweep to resume") from None
                yield i, pt, out
                nxt = next(it, None)
                if nxt is not None:
                    pending[ex.submit(_execute_in_worker, task, nxt[1].params)] = nxt
        clean = True
    finally:
        if clean:
            ex.shutdown(wait=True)
        else:  # Ctrl-C, SIGTERM, an error, or the consumer stopped: drop queued tasks, stop the workers now
            _stop_now(ex)


# ------------------------------------------------------------------------------------------------
# Dask
# ------------------------------------------------------------------------------------------------
def import_distributed():
    try:
        import distributed  # noqa: PLC0415
    except ImportError:
        raise InputError(f"Dask is not installed; the scheduler/client options need it: {DASK_HINT}") from None
    return distributed


def dask_cluster(task, items, context, client, limit, stats: dict, retries: int = DASK_RETRIES):
    """Tasks on a Dask cluster, taken as completed, at most ``limit`` at once.  A task the cluster
    loses (``KilledWorker`` after a worker died, a cancelled future, a lost connection) is
    submitted again, at most ``retries`` times per point; ``execute`` itself never raises."""
    import asyncio  # noqa: PLC0415

    distributed = import_distributed()
    ctx = [None]

    def scatter():
        if context is not None:  # in a list: scattering a dict would scatter its values under its keys
            [ctx[0]] = client.scatter([context], broadcast=True)

    scatter()
    ac = distributed.as_completed()
    it = iter(items)
    owner: dict = {}  # future key -> (index, point, attempt, future)
    clean = False

    def submit(i, pt, attempt):
        fut = client.submit(execute, task, pt.params, ctx[0], pure=False)
        owner[fut.key] = (i, pt, attempt, fut)
        ac.add(fut)

    try:
        for i, pt in it:
            submit(i, pt, 0)
            if len(owner) >= limit:
                break
        for fut in ac:
            i, pt, attempt, _ = owner.pop(fut.key)
            try:
                out = fut.result()
            except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - the cluster failing, not the task
                fut.release()
                if attempt >= retries:
                    raise SweepError(f"the Dask cluster failed on point {pt.key} {attempt + 1} times (last: "
                                     f"{type(exc).__name__}: {exc}); finished points are in the store: rerun the same "
                                     "sweep to resume") from None
                if ctx[0] is not None and ctx[0].status != "finished":
                    scatter()  # the shared context was lost with the workers that held it
                submit(i, pt, attempt + 1)
                stats["resubmitted"] = stats.get("resubmitted", 0) + 1
                continue
            fut.release()
            yield i, pt, out
            nxt = next(it, None)
            if nxt is not None:
                submit(*nxt, 0)
        clean = True
    finally:
        if not clean:
            try:
                futs = [v[3] for v in owner.values()]
                if futs:
                    client.cancel(futs)
            except Exception:  # noqa: BLE001  # pragma: no cover
                pass


def dask_client(scheduler, workers):
    """``(client, closer)`` for an address or ``"local"`` / ``"local:N"`` (a LocalCluster)."""
    distributed = import_distributed()
    s = str(scheduler).strip()
    if s == "local" or s.startswith("local:"):
        n = workers
        if s.startswith("local:"):
            try:
                n = int(s.split(":", 1)[1])
                if n < 1:
                    raise ValueError
            except ValueError:
                raise InputError(f"scheduler: expected local or local:N with N >= 1, got {scheduler!r}") from None
        cluster = distributed.LocalCluster(n_workers=n or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)

        def close():
            client.close()
            cluster.close()

        return client, close
    try:
        client = distributed.Client(s, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"scheduler: cannot connect to the Dask scheduler at {s!r} ({exc})") from None
    return client, client.close


# ------------------------------------------------------------------------------------------------
# SIGTERM
# ------------------------------------------------------------------------------------------------
class _Terminated(BaseException):
    """SIGTERM arrived during :func:`~certify.sweep.run_sweep`: unwind (cancel the tasks, stop the
    workers, close the store), then die of the signal as the default action would have."""


_SIGTERM_DEPTH = 0


def _on_sigterm(signum, frame):
    if _SIGTERM_DEPTH > 0:
        raise _Terminated()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # pragma: no cover - between two run_sweep calls
    os.kill(os.getpid(), signal.SIGTERM)  # pragma: no cover


@contextmanager
def sigterm_unwinds():
    """While a sweep runs in the main thread and SIGTERM has its default action, SIGTERM unwinds
    the sweep (the workers are stopped, the store closed) and then kills the process with SIGTERM."""
    global _SIGTERM_DEPTH
    installed = False
    if threading.current_thread() is threading.main_thread():
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, _on_sigterm)
                installed = True
        except (ValueError, OSError, AttributeError):  # pragma: no cover - no SIGTERM here
            pass
    _SIGTERM_DEPTH += 1
    try:
        yield
    except _Terminated:
        raise SystemExit(128 + signal.SIGTERM) from None
    finally:
        _SIGTERM_DEPTH -= 1
        if installed and _SIGTERM_DEPTH == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
