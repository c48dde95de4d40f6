"""Sweeps: executors give identical results, resume after SIGKILL, store repair and checksums,
spec checks, failed points, units, grid limits, Dask (certify.sweep, certify sweep).  Killed
runs, orphans, the __main__ guard and a Dask worker killed mid-sweep: tests/sweep/test_sweep_faults.py."""

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
from certify.rip.curvature import SaddleMap
from certify.sweep.base import canonical
from certify.sweep.guard import main_guarded
from certify.sweep.store import header_checksum, line_checksum, with_checksum

GRID = {"rhos": [0.5, 1.0, 1.5], "phis_deg": [0.0, 45.0, 90.0]}


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
            assert r["closed_form"] == rip.closed_form_lower_bound_polar(r["rho"], math.radians(r["phi_deg"]))


def test_resume_after_sigkill_gives_the_uninterrupted_results(tmp_path):
    store = tmp_path / "grid.jsonl"
    cmd = [sys.executable, "-m", "certify.cli", "sweep", "rank1-grid", "--rhos", "0.3:1.7:8", "--phis", "10:90:6",
           "-o", str(store), "--workers", "2", "--quiet"]
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
    # an uninterrupted run of the same sweep (same parameters: phi in degrees, as on the command line)
    params = {"rhos": np.linspace(0.3, 1.7, 8).tolist(), "phis_deg": np.linspace(10, 90, 6).tolist()}
    assert header["params"]["rhos"] == params["rhos"] and header["params"]["phis_deg"] == params["phis_deg"]
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
    code = main(["sweep", "rank1-grid", "--rhos", "0.5,1,1.5", "--phis", "0,45,60", "-o", str(store), "--serial"])
    err = capsys.readouterr().err
    assert code == 2 and "phis_deg[2]: 90.0 in the store, 60.0 requested" in err and err.count("\n") == 1
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
    bad = sweep.run_sweep("rank1-grid", {"rhos": [0.5], "phis_deg": [60, 85], "solver": "NOSUCH"}, tmp_path / "b.jsonl",
                          workers=2, progress=False)
    assert len(bad.failed) == 2 and "NOSUCH" in bad.failed[0]["error"]["message"]
    code = main(["sweep", "rank1-grid", "--rhos", "0.5", "--phis", "60", "--solver", "NOSUCH", "-o",
                 str(tmp_path / "c.jsonl"), "--serial", "--quiet"])
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
    code = main(["sweep", "rank1-grid", "--rhos", "1", "--phis", "90", "-o", str(tmp_path / "y.jsonl"),
                 "--scheduler", "local"])
    assert code == 2 and "Dask is not installed" in capsys.readouterr().err
    assert not (tmp_path / "x.jsonl").exists() and not (tmp_path / "y.jsonl").exists()


def test_curvature_map_matches_saddle_map(tmp_path):
    rhos, phis_deg = [0.5, 1.2], [17.0, 69.0, 90.0]
    res = sweep.run_sweep("curvature-map", {"rhos": rhos, "phis_deg": phis_deg, "delta": 0.4}, tmp_path / "m.jsonl",
                          executor="serial", progress=False)
    ref = rip.saddle_map(0.4, rhos, [math.radians(v) for v in phis_deg])
    a = sweep.grid_arrays(tmp_path / "m.jsonl")
    assert isinstance(ref, SaddleMap) and ref.kind.shape == (2, 3)
    assert (a["kind"] == ref.kind).all()  # the same points (certify.rip.rank1), solved the same way
    np.testing.assert_array_equal(a["mu_upper"], ref.mu_upper)
    np.testing.assert_allclose(ref.phis_deg, phis_deg)
    np.testing.assert_array_equal(a["rho"], ref.rhos)
    d = json.loads(json.dumps(ref.to_dict(), allow_nan=False))
    assert d["kind"] == a["kind"].tolist() and d["rhos"] == rhos and d["delta"] == 0.4
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
    from certify.sgd.protocol import _quantiles

    pooled = {g: [] for g in kw["gammas"]}
    for c, chunk in enumerate(res.results):
        ref = certify.validate(cert, trials=chunk["trials"], seed=sweep.chunk_seed(0, c), record=False, **kw)
        for row, got in zip(ref.rows, chunk["rows"], strict=True):
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
                 "-o", str(tmp_path / "v.jsonl"), "--json"])
    d = json.loads(capsys.readouterr().out)
    assert code == 0 and d["resumed"] == 3 and d["computed"] == 0 and d["summary"]["rows"][1]["trials"] == 25


def test_cli_usage_errors(tmp_path, capsys):
    assert main(["sweep"]) == 2
    assert main(["sweep", "rank1-grid", "--rhos", "a:b", "--phis", "0", "-o", str(tmp_path / "g.jsonl")]) == 2
    assert "--rhos" in capsys.readouterr().err
    assert main(["sweep", "rank1-grid", "--rhos", "1,1", "--phis", "0", "-o", str(tmp_path / "g.jsonl")]) == 2
    assert "duplicate" in capsys.readouterr().err
    assert main(["sweep", "curvature-map", "--delta", "1.5", "--rhos", "1", "--phis", "0", "-o",
                 str(tmp_path / "g.jsonl")]) == 2
    assert main(["sweep", "rank1-grid", "--rhos", "1", "--phis", "0", "-o", str(tmp_path / "no" / "g.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["sweep", "rank1-grid", "--rhos", "1", "--phis", "0", "--serial", "--workers", "2", "-o", "g.jsonl"]) == 2


# --- integrity: every line carries a checksum ----------------------------------------------------
def _store_copy(serial_grid, tmp_path, name="s.jsonl"):
    store = tmp_path / name
    store.write_bytes(serial_grid.path.read_bytes())
    return store, store.read_bytes().splitlines(keepends=True)


def _refused(store, pattern, capsys):
    """The damaged store is refused by load_sweep, by run_sweep and by the command line (one line,
    exit 2), and left as it was."""
    before = store.read_bytes()
    with pytest.raises(InputError, match=pattern):
        sweep.load_sweep(store)
    with pytest.raises(InputError, match=pattern):
        sweep.run_sweep("rank1-grid", GRID, store, executor="serial", progress=False)
    code = main(["sweep", "rank1-grid", "--rhos", "0.5,1,1.5", "--phis", "0,45,90", "-o", str(store), "--serial",
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert store.read_bytes() == before


def test_an_edited_line_is_refused_with_its_line_number(serial_grid, tmp_path, capsys):
    store, lines = _store_copy(serial_grid, tmp_path)
    k = next(i for i, s in enumerate(lines[1:], 1) if json.loads(s)["result"]["kind"] == "counterexample")
    rec = json.loads(lines[k])
    rec["result"]["delta"] = 0.5  # still valid JSON, still a well-formed record: only the checksum tells
    lines[k] = (json.dumps(rec) + "\n").encode()
    store.write_bytes(b"".join(lines))
    _refused(store, rf"line {k + 1}: checksum mismatch \(edited or damaged\); the store cannot be trusted", capsys)
    # the same on the last line: a complete line is never taken for a crash's leftover
    store, lines = _store_copy(serial_grid, tmp_path, "last.jsonl")
    rec = json.loads(lines[-1])
    rec["seconds"] += 1.0
    store.write_bytes(b"".join(lines[:-1]) + (json.dumps(rec) + "\n").encode())
    _refused(store, rf"line {len(lines)}: checksum mismatch", capsys)
    # a line without its checksum, a line that is not JSON
    store, lines = _store_copy(serial_grid, tmp_path, "nosum.jsonl")
    rec = json.loads(lines[2])
    del rec["sha256"]
    store.write_bytes(b"".join(lines[:2]) + (json.dumps(rec) + "\n").encode() + b"".join(lines[3:]))
    _refused(store, r"line 3: no checksum", capsys)
    store.write_bytes(b"".join(lines[:2]) + b"{oops\n" + b"".join(lines[3:]))
    _refused(store, r"line 3: not a sweep record", capsys)


def test_lines_of_another_sweep_duplicates_and_edited_headers_are_refused(serial_grid, tmp_path, capsys):
    # a record with a valid checksum for another spec (as if copied from another store): refused
    store, lines = _store_copy(serial_grid, tmp_path)
    rec = json.loads(lines[4])
    del rec["sha256"]
    body = canonical(rec)
    other = sweep.spec_hash("rank1-grid", {**serial_grid.params, "solver": "SCS"})
    lines[4] = with_checksum(body, line_checksum(body, other))
    store.write_bytes(b"".join(lines))
    _refused(store, r"line 5: checksum mismatch", capsys)
    # a point recorded twice (the runner never writes a finished point again)
    store, lines = _store_copy(serial_grid, tmp_path, "dup.jsonl")
    store.write_bytes(b"".join(lines) + lines[3])
    _refused(store, rf"line {len(lines) + 1}: a second record for point", capsys)
    # an edited header (other parameters under the old hash; or a changed package version)
    store, lines = _store_copy(serial_grid, tmp_path, "head.jsonl")
    header = json.loads(lines[0])
    header["params"]["rhos"][0] = 0.25
    store.write_bytes((json.dumps(header) + "\n").encode() + b"".join(lines[1:]))
    _refused(store, r"line 1: checksum mismatch \(edited or damaged header\)", capsys)
    # a store of format 1 (no checksums): refused with what to do
    store, lines = _store_copy(serial_grid, tmp_path, "v1.jsonl")
    header = json.loads(lines[0])
    header["format_version"] = 1
    del header["sha256"]
    store.write_bytes((json.dumps(header) + "\n").encode() + b"".join(lines[1:]))
    _refused(store, r"format 1, written before per-line checksums, cannot be verified; .* rerun the sweep into a "
                    r"new file", capsys)


def test_a_valid_store_round_trips_its_checksums(serial_grid, tmp_path):
    header, recs = _records(serial_grid.path)
    assert header["format_version"] == 2 and header["sha256"] == header_checksum(header)
    for rec in recs:
        got = rec.pop("sha256")
        assert got == line_checksum(canonical(rec), header["spec_hash"])
    assert sorted(r["index"] for r in recs) == list(range(9))


# --- units: degrees everywhere ------------------------------------------------------------------
def test_angles_are_degrees_in_0_180(tmp_path, capsys):
    prepare = sweep.get_kind("rank1-grid").prepare
    spec, _ = prepare({"rhos": [1.0], "phis_deg": "0:180:5"})
    assert spec["phis_deg"] == [0.0, 45.0, 90.0, 135.0, 180.0]
    for bad in ([-1.0], [180.5], [0.0, 270.0]):
        with pytest.raises(InputError, match=r"phis_deg: .* is outside \[0, 180\]; phi is the angle between x and z"):
            prepare({"rhos": [1.0], "phis_deg": bad})
    with pytest.raises(InputError, match=r"rhos: expected values >= 0"):
        prepare({"rhos": [-0.5, 1.0], "phis_deg": [45]})
    with pytest.raises(InputError, match=r"missing parameter 'phis_deg'"):
        prepare({"rhos": [1.0]})
    with pytest.raises(InputError, match=r"give phis_deg \(degrees\) only"):
        prepare({"rhos": [1.0], "phis_deg": [45], "phis": [0.5]})
    with pytest.raises(InputError, match=r"phis_deg: .* is outside \[0, 180\]"):
        sweep.get_kind("curvature-map").prepare({"rhos": [1.0], "phis_deg": [200.0], "delta": 0.4})
    # the old name (radians) still works, with a warning, and refuses values that are degrees
    with pytest.warns(FutureWarning, match="'phis' .* deprecated"):
        spec, _ = prepare({"rhos": [1.0], "phis": [math.radians(30.0), math.pi / 2]})
    assert spec["phis_deg"] == [30.0, 90.0] and "phis" not in spec
    with pytest.raises(InputError, match=r"phis: 45.0 is not an angle in radians in \[0, pi\] \(degrees\?\)"):
        prepare({"rhos": [1.0], "phis": [0.0, 45.0, 90.0]})
    code = main(["sweep", "rank1-grid", "--rhos", "1", "--phis", "0:270:4", "-o", str(tmp_path / "g.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and "outside [0, 180]" in err and err.count("\n") == 1
    assert not (tmp_path / "g.jsonl").exists()


# --- bounded: lazy points, a maximum size ---------------------------------------------------------
def test_huge_grids_are_refused_at_once(tmp_path, capsys):
    store = tmp_path / "huge.jsonl"
    t0 = time.perf_counter()
    msg = r"1,000,000,000 points \(1,000,000 rhos x 1,000 phis_deg\) exceed the maximum of 10,000,000 points"
    with pytest.raises(InputError, match=msg):
        sweep.run_sweep("rank1-grid", {"rhos": "0.1:2:1000000", "phis_deg": "0:90:1000"}, store, progress=False)
    with pytest.raises(InputError, match=msg):  # given as arrays
        sweep.run_sweep("curvature-map", {"rhos": np.linspace(0.1, 2, 1000000), "phis_deg": np.linspace(0, 90, 1000),
                                          "delta": 0.4}, store, progress=False)
    code = main(["sweep", "rank1-grid", "--rhos", "0.1:2:1000000", "--phis", "0:90:1000", "-o", str(store)])
    err = capsys.readouterr().err
    assert code == 2 and "1,000,000,000 points (1,000,000 --rhos x 1,000 --phis)" in err and err.count("\n") == 1
    with pytest.raises(InputError, match=r"search-restarts: 1,000,000,000 points exceed the maximum"):
        sweep.run_sweep("search-restarts", {"r": 1, "r_star": 1, "restarts": 10**9}, store, progress=False)
    assert time.perf_counter() - t0 < 1.0 and not store.exists()
    # at the limit: accepted, and the points are built on demand (nothing of size 10**7 is made)
    kind = sweep.get_kind("rank1-grid")
    spec, _ = kind.prepare({"rhos": "0.5:2:10000", "phis_deg": "0:90:1000"})
    pts = kind.points(spec)
    assert len(pts) == sweep.MAX_POINTS and pts[-1].key == "rho=2.0,phi_deg=90.0"
    assert pts[1001].params["i"] == 1 and pts[1001].params["j"] == 1 and pts[-1] == pts[sweep.MAX_POINTS - 1]
    with pytest.raises(InputError, match=r"10,001,000 points"):
        kind.prepare({"rhos": "0.5:2:10001", "phis_deg": "0:90:1000"})
    assert time.perf_counter() - t0 < 3.0


def test_main_guard_detection_reads_the_script():
    g = main_guarded
    assert not g("from certify import sweep\nsweep.run_sweep()\n", 2)
    assert g("import x\nif __name__ == '__main__':\n    x.run()\n", 3)
    assert g("if '__main__' == __name__:\n    try:\n        run()\n    finally:\n        pass\n", 3)
    assert not g("if __name__ == '__main__':\n    pass\nelse:\n    run()\n", 4)
    assert not g("if __name__ != '__main__':\n    run()\n", 2)
    assert not g("def main():\n    run()\n\nmain()\n", 4)
    assert g("def main():\n    run()\n\nif __name__ == '__main__':\n    main()\n", 5)
    assert g("import sys\nif __name__ == '__main__' and len(sys.argv) > 1:\n    with open('f'):\n        run()\n", 4)
