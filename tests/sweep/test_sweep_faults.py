"""Sweeps under faults: a killed runner leaves no process behind (SIGKILL, SIGTERM) and a
resumable store; a script without the ``__main__`` guard gets one clear error; a Dask worker
killed mid-sweep loses nothing (certify.sweep, certify sweep)."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from certify import rip, sweep

LINUX_PROC = Path("/proc/self/stat").exists()


def _session(sid: int) -> dict:
    """Live (not zombie) processes of session ``sid``: pid -> command line."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
            cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()  # state, ppid, pgrp, session, ...
        if fields[0] != "Z" and int(fields[3]) == sid:
            out[int(d)] = cmd[:120]
    return out


def _records_written(store: Path) -> int:
    return max(store.read_bytes().count(b"\n") - 1, 0) if store.exists() else 0


def _wait(cond, timeout: float, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


@pytest.mark.skipif(not LINUX_PROC, reason="scans /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_sweep_leaves_no_process_and_a_resumable_store(tmp_path, sig):
    store = tmp_path / "g.jsonl"
    cmd = [sys.executable, "-m", "certify.cli", "sweep", "rank1-grid", "--rhos", "0.3:1.7:8", "--phis", "10:90:8",
           "-o", str(store), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    sid = proc.pid  # its own session: the forkserver, the resource tracker and the workers inherit it
    try:
        assert _wait(lambda: _records_written(store) >= 1 or proc.poll() is not None, 120), "no result in 120 s"
        before = _session(sid)
        os.kill(proc.pid, sig)  # the runner only, as the OOM killer or `kill PID` would
        proc.wait(timeout=30)
        gone = _wait(lambda: not _session(sid), 10, 0.05)
        left = _session(sid)
    finally:
        try:
            os.killpg(sid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    err = proc.stderr.read().decode()
    assert proc.returncode == (-signal.SIGKILL if sig == signal.SIGKILL else 128 + signal.SIGTERM), err
    assert len(before) >= 4, before  # runner, forkserver, resource tracker, workers
    assert gone, f"left behind after {sig.name}: {left} (there were {before})"
    if sig == signal.SIGTERM:
        assert "Traceback" not in err, err
    # the store is intact (every line's checksum) and resumes to the whole grid, each point once
    done = sum(r is not None for r in sweep.load_sweep(store).records)
    assert 1 <= done < 64
    res = sweep.run_sweep("rank1-grid", {"rhos": "0.3:1.7:8", "phis_deg": "10:90:8"}, store, executor="serial",
                          progress=False)
    assert res.complete and res.resumed == done and res.computed == 64 - done
    idx = [json.loads(s)["index"] for s in store.read_text().splitlines()[1:]]
    assert sorted(idx) == list(range(64))


def _script(tmp_path, name, guard, executor="workers=2"):
    call = (f'res = sweep.run_sweep("rank1-grid", {{"rhos": [0.5, 1.0], "phis_deg": [60.0, 90.0]}}, "s.jsonl", '
            f'{executor}, progress=False)\nprint("done", res.complete, res.computed)\n')
    if guard:
        call = "if __name__ == '__main__':\n" + "".join("    " + line + "\n" for line in call.splitlines())
    path = tmp_path / name
    path.write_text("from certify import sweep\n" + call)  # the call is on line 2 (unguarded) or 3
    return path


def test_a_script_without_the_main_guard_gets_one_clear_error(tmp_path):
    bad = _script(tmp_path, "unguarded.py", guard=False)
    out = subprocess.run([sys.executable, str(bad)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last == f"certify.errors.InputError: {sweep.MAIN_GUARD_MESSAGE} (called at {bad}:2)"
    assert out.stderr.count("Traceback") == 1 and out.stderr.count(sweep.MAIN_GUARD_MESSAGE) == 1
    assert "bootstrapping" not in out.stderr and "BrokenProcessPool" not in out.stderr
    assert not (tmp_path / "s.jsonl").exists()  # refused before anything started
    # the same script under the guard runs on the pool; without a pool no guard is needed
    good = _script(tmp_path, "guarded.py", guard=True)
    out = subprocess.run([sys.executable, str(good)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "done True 4", out.stderr
    (tmp_path / "s.jsonl").unlink()
    serial = _script(tmp_path, "serial.py", guard=False, executor="executor='serial'")
    out = subprocess.run([sys.executable, str(serial)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "done True 4", out.stderr


def _dask_cmd(*args):
    return [sys.executable, "-m", "dask", *args]


def test_dask_worker_killed_mid_sweep_loses_nothing(tmp_path):
    distributed = pytest.importorskip("distributed")
    cert = rip.counterexample([0.0, 1 / np.sqrt(2)], [1.0, 0.0])  # validation: the certificate is scattered
    params = {"certificate": cert, "trials": 40, "chunk": 1, "gammas": [0.5], "steps": 600}
    total = 40
    # allowed-failures 0: a task running on the killed worker comes back as KilledWorker at once
    # instead of being rescheduled by the scheduler, so the engine's own resubmission is exercised
    env = {**os.environ, "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0", "PYTHONUNBUFFERED": "1"}
    sched_file = tmp_path / "scheduler.json"
    logs = {}
    procs = []

    def start(name, *args):
        logs[name] = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115
        p = subprocess.Popen(_dask_cmd(*args), cwd=tmp_path, env=env, stdout=logs[name], stderr=subprocess.STDOUT,
                             start_new_session=True)
        procs.append(p)
        return p

    client = None
    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
              str(sched_file))
        assert _wait(lambda: sched_file.exists() and sched_file.stat().st_size > 0, 60, 0.05), "no scheduler"
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        workers = [start(f"worker{k}", "worker", address, "--host", "127.0.0.1", "--no-nanny", "--nthreads", "1",
                         "--no-dashboard", "--name", f"w{k}") for k in range(2)]
        client = distributed.Client(address, timeout="30s")
        client.wait_for_workers(2, timeout=60)
        pids = client.run(os.getpid)
        assert sorted(pids.values()) == sorted(p.pid for p in workers)  # no nanny: the worker is the process
        store = tmp_path / "v.jsonl"
        victim = workers[0]
        killed_at = []

        def killer():  # SIGKILL one worker once a quarter of the points are in the store
            if _wait(lambda: _records_written(store) >= total // 4, 120, 0.005):
                killed_at.append(_records_written(store))
                victim.kill()

        th = threading.Thread(target=killer, daemon=True)
        th.start()
        res = sweep.run_sweep("validation", params, store, client=client, progress=False, max_in_flight=4)
        th.join(5)
        assert killed_at and killed_at[0] < total, "the worker was not killed mid-sweep"
        assert victim.wait(10) == -signal.SIGKILL
        assert len(client.nthreads()) == 1  # the sweep finished on the surviving worker
    finally:
        if client is not None:
            client.close()
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()
        for f in logs.values():
            f.close()
    assert res.complete and res.computed == total and res.resubmitted >= 1, (res.resubmitted, killed_at)
    recs = [json.loads(s) for s in store.read_text().splitlines()[1:]]
    assert sorted(r["index"] for r in recs) == list(range(total))  # every point exactly once, none lost
    ref = sweep.run_sweep("validation", params, tmp_path / "serial.jsonl", executor="serial", progress=False)
    assert res.results == ref.results and res.summary == ref.summary
    assert sweep.load_sweep(store).results == ref.results
