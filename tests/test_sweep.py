"""Sweeps: executors give identical results, resume after SIGKILL, store repair, spec checks,
failed points, Dask (certify.sweep, certify sweep)."""

import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import certify
from certify import rip, sweep
from certify.cli import main
from certify.errors import InputError, SolverError

GRID = {"rhos": [0.5, 1.0, 1.5], "phis": [math.radians(v) for v in (0.0, 45.0, 90.0)]}


def _records(path):
    lines = path.read_text().splitlines()
    return json.loads(lines[0]), [json.loads(s) for s in lines[1:]]


@pytest.fixture(scope="module")
def serial_grid(tmp_path_factory):
    path = tmp_path_factory.mktemp("grid") / "serial.jsonl"
    return sweep.run_sweep("rank1-grid", GRID, path, executor="serial", progress=False)


def test_serial_equals_process_pool_and_round_trips(serial_grid, tmp_path):
    res = serial_grid
    assert res.complete and res.computed == 9 and res.resumed == 0
    kinds = [r["kind"] for r in res.results]
    assert kinds.count("ground-truth") == 1 and kinds.count("no-counterexample") == 2  # rho = 1, phi = 0; colinear
    assert abs(res.summary["min_delta"] - 0.625) < 1e-9 and res.summary["min_delta_at"]["phi_deg"] == 90.0
    proc = sweep.run_sweep("rank1-grid", GRID, tmp_path / "proc.jsonl", workers=2, progress=False)
    assert proc.results == res.results  # exact equality of every float
    loaded = sweep.load_sweep(res.path)  # floats survive JSON exactly
    assert loaded.results == res.results and loaded.keys == res.keys
    a = sweep.grid_arrays(loaded)
    assert a["delta"].shape == (3, 3) and np.isnan(a["delta"][1, 0]) and a["kind"][1, 0] == "ground-truth"
    assert a["delta"][0, 2] == res.results[2]["delta"]
    for r in res.results:  # the SDP's delta is bracketed and above the closed-form lower bound
        if r["kind"] == "counterexample":
            assert r["delta_lower"] <= r["delta"] + 1e-9 and r["delta"] >= r["closed_form"] - 1e-7
            assert r["closed_form"] == rip.closed_form_lower_bound_polar(r["rho"], r["phi"])


def test_resume_after_sigkill_gives_the_uninterrupted_results(tmp_path):
    store = tmp_path / "grid.jsonl"
    cmd = [sys.executable, "-m", "certify.cli", "sweep", "rank1-grid", "--rhos", "0.3:1.7:8", "--phis", "10:90:6",
           "--out", str(store), "--workers", "2", "--no-progress"]
    total = 48
    proc = subprocess.Popen(cmd, cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    written, deadline = 0, time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            written = store.read_bytes().count(b"\n") - 1 if store.exists() else 0
            if written >= total // 2:
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it was killed: {proc.stderr.read()!r}"
    done_before = store.read_bytes().count(b"\n") - 1
    assert total // 2 <= done_before < total
    # rerun the same command: resumes, computes only the rest
    out = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"{done_before} already in the store, {total - done_before} computed" in out.stdout
    header, recs = _records(store)
    keys = [r["key"] for r in recs]
    assert len(keys) == total and len(set(keys)) == total and all(r["status"] == "ok" for r in recs)  # none lost or duplicated
    # an uninterrupted run of the same sweep (same parameters: phi in degrees on the command line)
    params = {"rhos": np.linspace(0.3, 1.7, 8).tolist(), "phis": [math.radians(v) for v in np.linspace(10, 90, 6)]}
    assert header["params"]["rhos"] == params["rhos"] and header["params"]["phis"] == params["phis"]
    full = sweep.run_sweep("rank1-grid", params, tmp_path / "full.jsonl", executor="serial", progress=False)
    assert sweep.load_sweep(store).results == full.results


def test_truncated_last_line_is_repaired_and_recomputed(serial_grid, tmp_path):
    store = tmp_path / "s.jsonl"
    lines = serial_grid.path.read_bytes().splitlines(keepends=True)
    store.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # a SIGKILL in the middle of the last write
    loaded = sweep.load_sweep(store)  # readers ignore the partial line
    assert "truncated" in loaded.repaired and len(loaded.missing) == 1
    res = sweep.run_sweep("rank1-grid", GRID, store, executor="serial", progress=False)
    assert "truncated" in res.repaired and res.computed == 1 and res.resumed == 8
    assert res.results == serial_grid.results
    data = store.read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 10  # header + 9 points, the partial line gone
    again = sweep.run_sweep("rank1-grid", GRID, store, executor="serial", progress=False)
    assert again.computed == 0 and again.repaired is None


def test_other_spec_is_refused_never_mixed(serial_grid, tmp_path, capsys):
    store = tmp_path / "s.jsonl"
    store.write_bytes(serial_grid.path.read_bytes())
    before = store.read_bytes()
    with pytest.raises(InputError, match=r"other parameters \(rhos\[2\]: 1.5 in the store, 2.0 requested\)"):
        sweep.run_sweep("rank1-grid", {**GRID, "rhos": [0.5, 1.0, 2.0]}, store, executor="serial", progress=False)
    with pytest.raises(InputError, match="holds a 'rank1-grid' sweep, not 'curvature-map'"):
        sweep.run_sweep("curvature-map", {**GRID, "delta": 0.4}, store, executor="serial", progress=False)
    code = main(["sweep", "rank1-grid", "--rhos", "0.5,1,1.5", "--phis", "0,45,60", "--out", str(store), "--serial"])
    err = capsys.readouterr().err
    assert code == 2 and "phis[2]" in err and err.count("\n") == 1
    assert store.read_bytes() == before
    other = tmp_path / "c.json"
    other.write_text('{"format": "certify.certificate"}\n')
    with pytest.raises(InputError, match="not a certify sweep store"):
        sweep.run_sweep("rank1-grid", GRID, other, executor="serial", progress=False)
    with sweep.Store.open(store, "rank1-grid", serial_grid.params, serial_grid.keys):  # one runner per store
        with pytest.raises(InputError, match="in use"):
            sweep.run_sweep("rank1-grid", GRID, store, executor="serial", progress=False)


def _flaky_task(p, context=None):
    if p["x"] == 2:
        raise SolverError(f"no luck at x = {p['x']}")
    return {"x": p["x"], "square": p["x"] ** 2, "half": p["x"] / 3}


sweep.register(sweep.SweepKind(
    "test-flaky", lambda params: ({"n": int(params["n"])}, None),
    lambda p: [sweep.Point(f"x={x}", {"x": x}) for x in range(p["n"])], _flaky_task), replace=True)


def test_failed_points_are_recorded_and_retried(tmp_path, capsys):
    store = tmp_path / "f.jsonl"
    res = sweep.run_sweep("test-flaky", {"n": 4}, store, executor="serial", progress=False)
    assert not res.complete and [r["key"] for r in res.failed] == ["x=2"]
    assert res.failed[0]["error"] == {"type": "SolverError", "message": "no luck at x = 2"}
    assert res.results[3] == {"x": 3, "square": 9, "half": 1.0} and res.results[2] is None
    kept = sweep.run_sweep("test-flaky", {"n": 4}, store, executor="serial", progress=False, retry_failed=False)
    assert kept.computed == 0 and len(kept.failed) == 1
    retried = sweep.run_sweep("test-flaky", {"n": 4}, store, executor="serial", progress=False)
    assert retried.computed == 1 and retried.resumed == 3
    _, recs = _records(store)
    assert [r["key"] for r in recs].count("x=2") == 2 and len(sweep.load_sweep(store).failed) == 1
    # a failure inside a worker process (unknown solver), and the CLI's exit code 3
    bad = sweep.run_sweep("rank1-grid", {"rhos": [0.5], "phis": [1.0, 1.5], "solver": "NOSUCH"}, tmp_path / "b.jsonl",
                          workers=2, progress=False)
    assert len(bad.failed) == 2 and "NOSUCH" in bad.failed[0]["error"]["message"]
    code = main(["sweep", "rank1-grid", "--rhos", "0.5", "--phis", "60", "--solver", "NOSUCH", "--out",
                 str(tmp_path / "c.jsonl"), "--serial", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 3 and "1 of 1 points failed" in err and "failed rho=0.5" in out


def test_dask_local_cluster_matches_serial_and_resumes(serial_grid, tmp_path):
    distributed = pytest.importorskip("distributed")
    store = tmp_path / "d.jsonl"
    lines = serial_grid.path.read_bytes().splitlines(keepends=True)
    store.write_bytes(b"".join(lines[:5]))  # 4 points finished serially, the rest on Dask
    cert = rip.counterexample([0.0, 1 / np.sqrt(2)], [1.0, 0.0])  # validation: the certificate is scattered once
    val = {"certificate": cert, "trials": 20, "chunk": 10, "gammas": [0.5], "steps": 200}
    ref = sweep.run_sweep("validation", val, tmp_path / "v.jsonl", executor="serial", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        res = sweep.run_sweep("rank1-grid", GRID, store, client=client, progress=False, max_in_flight=2)
        fresh = sweep.run_sweep("rank1-grid", GRID, tmp_path / "d2.jsonl", client=client, progress=False)
        dval = sweep.run_sweep("validation", val, tmp_path / "dv.jsonl", client=client, progress=False)
    assert res.resumed == 4 and res.computed == 5
    assert res.results == serial_grid.results and fresh.results == serial_grid.results
    assert sweep.load_sweep(store).results == serial_grid.results
    assert dval.results == ref.results and dval.summary == ref.summary


def test_without_dask_a_scheduler_is_an_input_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(InputError, match=r"pip install 'certify\[dask\]'"):
        sweep.run_sweep("rank1-grid", GRID, tmp_path / "x.jsonl", scheduler="tcp://127.0.0.1:8786", progress=False)
    code = main(["sweep", "rank1-grid", "--rhos", "1", "--phis", "90", "--out", str(tmp_path / "y.jsonl"),
                 "--scheduler", "local"])
    assert code == 2 and "Dask is not installed" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "y.jsonl").exists()


def test_curvature_map_matches_saddle_map(tmp_path):
    rhos, phis = [0.5, 1.2], [0.3, 1.2, math.pi / 2]
    res = sweep.run_sweep("curvature-map", {"rhos": rhos, "phis": phis, "delta": 0.4}, tmp_path / "m.jsonl",
                          executor="serial", progress=False)
    ref = rip.saddle_map(0.4, rhos, phis)
    a = sweep.grid_arrays(tmp_path / "m.jsonl")
    assert (a["kind"] == ref["kind"]).all()
    np.testing.assert_array_equal(a["mu_upper"], ref["mu_upper"])
    assert set(res.summary["kinds"]) <= {"strict-saddle", "infeasible"}  # delta < 1/2: no spurious minimum


def test_search_restarts_best_is_the_search(tmp_path):
    params = {"r": 1, "r_star": 1, "restarts": 2, "seed": 1, "max_iter": 4}
    res = sweep.run_sweep("search-restarts", params, tmp_path / "s.jsonl", executor="serial", progress=False)
    best = rip.search_sharp_delta(2, 1, 1, restarts=2, seed=1, max_iter=4)
    assert [r["best"] for r in res.results] == [h["best"] for h in best.history]
    s = res.summary
    assert s["delta"] == best.delta and s["delta_lower"] == best.delta_lower and s["X"] == best.X.tolist()
    assert abs(s["delta"] - 0.5) < 1e-3 and s["published"]["value"] == 0.5


def test_validation_chunks_are_validate_runs_pooled(tmp_path, capsys):
    cert = rip.counterexample([0.0, 1 / np.sqrt(2)], [1.0, 0.0])
    path = cert.save(tmp_path / "c.json")
    kw = {"gammas": [0.0, 0.6], "steps": 300, "method": "sgd"}
    res = sweep.run_sweep("validation", {"certificate": str(path), "trials": 25, "chunk": 10, **kw},
                          tmp_path / "v.jsonl", executor="serial", progress=False)
    assert [r["trials"] for r in res.results] == [10, 10, 5]
    from certify.validation import _quantiles

    pooled = {g: [] for g in kw["gammas"]}
    for c, chunk in enumerate(res.results):
        ref = certify.validate(cert, trials=chunk["trials"], seed=sweep.chunk_seed(0, c), record=False, **kw)
        for row, got in zip(ref.rows, chunk["rows"]):
            err = np.array([np.inf if e is None else e for e in got["errors"]])
            pooled[row.gamma].append(err)
            assert (got["successes"], got["spurious"], got["diverged"], got["other"]) == \
                   (row.successes, row.spurious, row.diverged, row.other)
            assert _quantiles(err) == row.error_quantiles
    vr = sweep.validation_result(res)
    for row in vr.rows:
        assert row.trials == 25 and row.error_quantiles == _quantiles(np.concatenate(pooled[row.gamma]))
    assert "gamma" in vr.table() and json.loads(path.read_text())["validations"] == []  # file untouched
    code = main(["sweep", "validation", str(path), "--trials", "25", "--chunk", "10", "--gammas", "0", "0.6", "--steps", "300",
                 "--out", str(tmp_path / "v.jsonl"), "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["resumed"] == 3 and d["computed"] == 0 and d["summary"]["rows"][1]["trials"] == 25


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["sweep"]) == 2
    assert main(["sweep", "rank1-grid", "--rhos", "a:b", "--phis", "0", "--out", str(tmp_path / "g.jsonl")]) == 2
    assert "--rhos" in capsys.readouterr().err
    assert main(["sweep", "rank1-grid", "--rhos", "1,1", "--phis", "0", "--out", str(tmp_path / "g.jsonl")]) == 2
    assert "duplicate" in capsys.readouterr().err
    assert main(["sweep", "curvature-map", "--delta", "1.5", "--rhos", "1", "--phis", "0", "--out",
                 str(tmp_path / "g.jsonl")]) == 2
    assert main(["sweep", "rank1-grid", "--rhos", "1", "--phis", "0", "--out", str(tmp_path / "no" / "g.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["sweep", "rank1-grid", "--rhos", "1", "--phis", "0", "--serial", "--workers", "2", "--out", "g.jsonl"]) == 2
