"""Benchmark of ``δ(X, Z)``: the counterexample SDP of JMLR19 eq. (23), direct and projected.

What is measured (wall-clock, ``time.perf_counter``):

* **Table 1 — direct (unprojected) formulation**,
  ``certify.rip.counterexample(X, Z, project=False, basis=...)`` with ``basis="svec"`` (symmetric
  matrices, ``n(n+1)/2`` coordinates, the package default) and ``basis="vec"`` (all ``n^2``
  coordinates, the literal eq. 23), for ``n = 2, 3, ..., 12`` and ``r = r* = 1`` and
  ``r = r* = 2``.  ``X`` and ``Z`` are standard Gaussian, drawn from a generator seeded with
  ``(seed, n, r, r*)`` so that both bases (and the projected solve) see the same instance.
  The time is that of the whole call (``--backend``: the compiled core by default, ``cvxpy`` for
  the reference model): building the problem, the Clarabel solve (including
  the package's retries with more robust settings), the primal repair, the dual bound and the
  solver-free verification.  A case whose first run takes less than ``--fast-threshold`` seconds
  is repeated (``--repeats`` runs, the median is reported); a slower case is run once.
  Each case runs in a forked child process so that a hopeless case can be killed after
  ``--direct-timeout`` seconds; the column "peak MB" is the child's peak resident set size
  (it includes the ~200 MB of Python, NumPy and cvxpy that every process carries).
  A (r, basis) series stops once a run takes more than ``--direct-budget`` seconds or raises
  (a certify error other than the expected "no counterexample" when ``n <= r``, where
  ``δ(X, Z) = 1`` because every second-order critical point of full rank is global).
  Each row also shows ``|δ_direct - δ_projected|`` for the same instance (JMLR19 Lemma 9 says the
  two are equal): a cheap consistency check of the implementation.

* **Table 2 — projected formulation** (``project=True``, the default) for
  ``n ∈ {10, 100, 1000, 10000}`` (and ``100000`` with ``--big``) and
  ``(r, r*) ∈ {(1, 1), (2, 1), (2, 2)}``: median over ``--repeats`` runs (at least 3) of the whole
  ``counterexample`` call (``orth([X, Z])``, the SDP, repair, dual bound and verification), the
  solver's own time for the last attempt, and the median time of ``cert.verify()`` alone.
  Target: ``δ(X, Z)`` for ``n = 10,000``, ``r = r* = 1`` in under 1 s (PASS/FAIL is printed).

* **Table 3 — explicit operator of JMLR19 Algorithm 1** from the compact one:
  ``cert.operator.to_explicit()`` for ``n ∈ {5, 10, 20, 30, 40, 64}`` (the package refuses
  ``n > 64``): median seconds, ``m = n^2`` matrices, memory of ``op.A`` (``m n^2`` doubles) and of
  everything the explicit operator holds (``op.A`` plus its ``m x n^2`` matrix ``𝐀``).  For
  ``n <= --explicit-check-max`` the RIP constant of the explicit operator is recomputed
  (singular values of ``𝐀``) and compared with the certificate's ``δ``.

Before anything is timed, the script imports cvxpy and solves a tiny instance (the published
2x2 example, ``δ = 1/2``) so that import and first-compile costs are not counted; that warm-up
time is reported separately.  The machine (platform, CPU, cores, memory, library versions, date)
is printed first.

Run (from the repository root)::

    python benchmarks/bench_delta.py --quick                # < 30 s
    python benchmarks/bench_delta.py                        # full, ~10 min on 2 cores
    python benchmarks/bench_delta.py --big --out bench.json # adds n = 100,000; JSON copy of the tables

This is a benchmark, not a test: it prints tables and never fails on slow timings (the exit
status is 0 unless the script itself breaks).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import math
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

import certify
from certify import rip

#: n of the projected table; ``--big`` adds 100,000
PROJECTED_N = (10, 100, 1000, 10_000)
PROJECTED_N_BIG = 100_000
#: (r, r*) of the projected table
PROJECTED_RANKS = ((1, 1), (2, 1), (2, 2))
#: n of the explicit-operator table (the package refuses n > 64)
EXPLICIT_N = (5, 10, 20, 30, 40, 64)
#: (r, r*) series and bases of the direct table
DIRECT_RANKS = ((1, 1), (2, 2))
DIRECT_BASES = ("svec", "vec")
#: the projected target: n = 10,000, r = r* = 1 under this many seconds
TARGET_N, TARGET_SECONDS = 10_000, 1.0
#: a gap delta - delta_lower above this is flagged as suspicious
GAP_FLAG = 1e-6


# ---------------------------------------------------------------------------------------------
# machine description
# ---------------------------------------------------------------------------------------------
def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024 / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return None


def machine_info() -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    mem = _memory_gb()
    return {
        "date": dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gb": None if mem is None else round(mem, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": _version("scipy"),
        "cvxpy": _version("cvxpy"),
        "clarabel": _version("clarabel"),
        "certify": certify.__version__,
        "thread_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
                       if k in os.environ},
    }


def print_machine(info: dict) -> None:
    print("=" * 100)
    print("bench_delta: timings of delta(X, Z) (certify.rip.counterexample)")
    print("=" * 100)
    print(f"date       : {info['date']}")
    print(f"platform   : {info['platform']}")
    print(f"cpu        : {info['cpu']}")
    print(f"cores      : {info['cores']} (usable by this process: {info['cores_usable']})")
    print(f"memory     : {info['memory_gb']} GB")
    print(
        f"versions   : Python {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}, "
        f"cvxpy {info['cvxpy']}, clarabel {info['clarabel']}, certify {info['certify']}"
    )
    if info["thread_env"]:
        print(f"threads env: {info['thread_env']}")
    print()


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def instance(seed: int, n: int, r: int, r_star: int) -> tuple[np.ndarray, np.ndarray]:
    """Standard Gaussian ``X`` (n x r) and ``Z`` (n x r*), reproducible per (seed, n, r, r*)."""
    rng = np.random.default_rng([seed, n, r, r_star])
    return rng.standard_normal((n, r)), rng.standard_normal((n, r_star))


#: the SDP backend of every timed call (``--backend``; None: the package default, the compiled core)
BACKEND = None


def counterexample(*args, **kwargs):
    """:func:`certify.rip.counterexample` with the ``--backend`` of this run."""
    return rip.counterexample(*args, backend=BACKEND, **kwargs)


def quiet(fn, *args, **kwargs):
    """Call ``fn`` with certify's "solver reported optimal_inaccurate" warnings silenced (the
    tables show the solver status instead)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def timed(fn, *args, **kwargs):
    """``(seconds, result)`` of one call."""
    t0 = time.perf_counter()
    out = quiet(fn, *args, **kwargs)
    return time.perf_counter() - t0, out


def median(xs) -> float:
    return float(statistics.median(xs)) if xs else math.nan


def peak_rss_mb() -> float:
    """Peak resident set size of this process, MB (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    ru = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return ru / 1e6 if sys.platform == "darwin" else ru * 1024 / 1e6


def current_rss_mb() -> float:
    """Current resident set size of this process, MB (Linux; NaN elsewhere)."""
    try:
        with open("/proc/self/status", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
    except (OSError, ValueError, IndexError):
        pass
    return math.nan


def solver_status(cert) -> str:
    """``status`` of the solve that was kept, with the number of attempts of the retry ladder."""
    s = cert.solver or {}
    attempts = s.get("attempts") or []
    st = str(s.get("status", "?")).replace("optimal_inaccurate", "inaccurate")
    return f"{st}/{len(attempts)}" if attempts else st


def fmt_s(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}" if x >= 0.01 else f"{x:.4f}"


def fmt_f(x, spec: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return format(x, spec)


def print_table(headers: list[str], rows: list[list[str]], align: str | None = None) -> None:
    """A plain text table; ``align`` is one of ``l``/``r`` per column (default: right)."""
    align = align or "r" * len(headers)
    cols = list(zip(*([headers] + rows), strict=False)) if rows else [[h] for h in headers]
    widths = [max(len(str(c)) for c in col) for col in cols]

    def line(cells):
        out = []
        for c, w, a in zip(cells, widths, align, strict=False):
            out.append(str(c).ljust(w) if a == "l" else str(c).rjust(w))
        return "  ".join(out).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` atomically: a temporary file in the same folder, then ``os.replace``."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file ordinary permissions
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, allow_nan=False, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _clean(obj):
    """JSON-safe copy (NaN -> None, numpy scalars -> Python)."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


# ---------------------------------------------------------------------------------------------
# warm-up
# ---------------------------------------------------------------------------------------------
def warm_up() -> dict:
    """Import cvxpy and solve the published 2x2 instance once (``δ = 1/2``), untimed elsewhere."""
    t0 = time.perf_counter()
    import clarabel  # noqa: F401, PLC0415
    import cvxpy  # noqa: F401, PLC0415

    t_import = time.perf_counter() - t0
    _, x, z = rip.examples.zhang2018()
    t1 = time.perf_counter()
    cert = quiet(counterexample, x, z)
    t_solve = time.perf_counter() - t1
    # a second, already-warm solve of the same instance, for comparison
    t_again, _ = timed(counterexample, x, z)
    return {
        "import_s": t_import,
        "first_solve_s": t_solve,
        "second_solve_s": t_again,
        "total_s": time.perf_counter() - t0,
        "delta": cert.delta,
        "expected_delta": 0.5,
    }


# ---------------------------------------------------------------------------------------------
# Table 1: direct formulation
# ---------------------------------------------------------------------------------------------
def _direct_case(X, Z, basis: str, repeats: int, fast_threshold: float) -> dict:
    """Time ``counterexample(X, Z, project=False, basis=basis)`` (runs in a child process)."""
    out: dict = {"times": [], "solver_times": [], "rss_start_mb": current_rss_mb()}
    try:
        for k in range(repeats):
            t, cert = timed(counterexample, X, Z, project=False, basis=basis)
            out["times"].append(t)
            out["solver_times"].append((cert.solver or {}).get("solve_time") or math.nan)
            if k == 0 and t >= fast_threshold:
                break
        out.update(
            delta=cert.delta, delta_lower=cert.delta_lower, status=solver_status(cert),
            solver_s=median(out["solver_times"]),
            attempts=[a.get("status") for a in (cert.solver or {}).get("attempts") or []],
        )
    except certify.NoCounterexampleError as exc:
        out.update(no_counterexample=True, error=f"{type(exc).__name__}: {exc}")
    except certify.CertifyError as exc:
        out.update(error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a benchmark records, it does not crash
        out.update(error=f"unexpected {type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    out["peak_mb"] = peak_rss_mb()
    return out


def _child(conn, *args) -> None:
    try:
        conn.send(_direct_case(*args))
    finally:
        conn.close()


def run_direct_case(X, Z, basis: str, repeats: int, fast_threshold: float, timeout: float) -> dict:
    """:func:`_direct_case` in a forked child killed after ``timeout`` s (``timeout <= 0`` or no
    ``fork``: in this process, without a hard limit)."""
    if timeout <= 0 or "fork" not in mp.get_all_start_methods():
        return _direct_case(X, Z, basis, repeats, fast_threshold)
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, X, Z, basis, repeats, fast_threshold), daemon=True)
    t0 = time.perf_counter()
    proc.start()
    child.close()
    try:
        if parent.poll(timeout):
            try:
                res = parent.recv()
            except EOFError:
                res = None
        else:
            res = {"times": [], "killed": True,
                   "error": f"killed after {fmt_s(time.perf_counter() - t0)} s (--direct-timeout {timeout:g})"}
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        parent.close()
    if res is None:
        res = {"times": [], "error": f"child process died (exit code {proc.exitcode}; out of memory?)"}
    if res.get("killed"):
        res["lower_bound_s"] = timeout
    return res


def table_direct(args, results: dict) -> None:
    budget, usable = args.direct_budget, args.usable_limit
    timeout = args.direct_timeout if args.direct_timeout is not None else 2.0 * budget
    n_max = args.direct_max_n
    print("-" * 100)
    print(
        f"Table 1. Direct (unprojected) formulation: counterexample(X, Z, project=False, basis=...), n = 2..{n_max}\n"
        f"  seconds: whole call, median of {args.repeats} runs if the first run < {args.fast_threshold:g} s, else one run;"
        f" series stop after a run > {budget:g} s (--direct-budget) or an error;\n"
        f"  each case in a forked child killed after {timeout:g} s (--direct-timeout);"
        f" status = solver status of the kept solve / attempts of the retry ladder;\n"
        f"  |d-dp| = |delta_direct - delta_projected| on the same instance (Lemma 9: equal);\n"
        "  solver s: Clarabel's own time for the kept attempt (median), the rest is cvxpy compilation, earlier attempts,\n"
        "  repair, dual bound and verification; peak MB: peak resident memory of the child process (includes ~90 MB of\n"
        "  Python, NumPy and cvxpy: compare with the smallest cases)."
    )
    print("-" * 100)
    headers = ["n", "r", "r*", "basis", "SDP size s", "runs", "seconds", "solver s", "delta", "delta-lower", "|d-dp|", "status",
               "peak MB", "note"]
    rows_txt, rows, stops = [], [], []
    for r, r_star in DIRECT_RANKS:
        for basis in DIRECT_BASES:
            stop_reason = None
            for n in range(2, n_max + 1):
                if n < max(r, r_star):
                    continue
                X, Z = instance(args.seed, n, r, r_star)
                s = n * (n + 1) // 2 if basis == "svec" else n * n
                res = run_direct_case(X, Z, basis, args.repeats, args.fast_threshold, timeout)
                sec = median(res["times"])
                row = {"n": n, "r": r, "r_star": r_star, "basis": basis, "s": s, **res, "seconds": sec}
                note = ""
                # projected solve of the same instance, as a cross-check
                dproj = None
                if "delta" in res:
                    try:
                        dproj = quiet(counterexample, X, Z).delta
                        row["delta_projected"] = dproj
                    except certify.CertifyError as exc:
                        row["projected_error"] = str(exc)
                        note = f"projected: {type(exc).__name__}"
                    gap = res["delta"] - res["delta_lower"]
                    row["gap"] = gap
                    if gap > GAP_FLAG:
                        note = (note + "; " if note else "") + "GAP > 1e-6"
                    if dproj is not None and abs(res["delta"] - dproj) > GAP_FLAG:
                        note = (note + "; " if note else "") + "DIRECT != PROJECTED"
                elif res.get("no_counterexample") and n <= r:
                    note = "delta = 1 (n <= r: no spurious point; expected)"
                else:
                    note = res.get("error", "error")
                rows.append(row)
                shown_sec = fmt_s(sec) if res["times"] else (f">{fmt_s(res['lower_bound_s'])}" if res.get("killed") else "-")
                rows_txt.append([
                    n, r, r_star, basis, s, len(res["times"]), shown_sec, fmt_s(res.get("solver_s")),
                    fmt_f(res.get("delta"), ".9f"), fmt_f(row.get("gap"), ".1e"),
                    fmt_f(None if dproj is None else abs(res["delta"] - dproj), ".1e"),
                    res.get("status", "-"), f"{res['peak_mb']:.0f}" if "peak_mb" in res else "-", note,
                ])
                if args.live:
                    print("   ", rows_txt[-1], flush=True)
                expected_noce = res.get("no_counterexample") and n <= r
                if res["times"] and max(res["times"]) > budget:
                    stop_reason = f"n = {n}: one run took {fmt_s(max(res['times']))} s > budget {budget:g} s"
                elif res.get("killed"):
                    stop_reason = f"n = {n}: {res['error']}"
                elif "error" in res and not expected_noce:
                    if args.keep_going:
                        continue
                    stop_reason = f"n = {n}: raised {res['error'][:200]}"
                if stop_reason:
                    break
            stops.append({"r": r, "r_star": r_star, "basis": basis, "reason": stop_reason or f"reached n = {n_max}"})
    print_table(headers, rows_txt, align="rrrlrrrrrrrlrl")
    for st in stops:
        print(f"stopped: r = {st['r']}, r* = {st['r_star']}, basis = {st['basis']}: {st['reason']}")
    print()

    # where does the direct formulation stop being usable?
    usable_lines = []
    for r, r_star in DIRECT_RANKS:
        for basis in DIRECT_BASES:
            series = [row for row in rows if row["r"] == r and row["basis"] == basis]
            first_bad, last_ok = None, None
            for row in series:
                if row.get("no_counterexample") and row["n"] <= r:
                    continue  # delta = 1 is the right answer there, not a failure
                t = max(row["times"]) if row["times"] else math.inf
                if t > min(budget, usable) or "error" in row:
                    first_bad = row
                    break
                last_ok = row
            if first_bad is None:
                what = f"usable up to n = {series[-1]['n']} (largest tried)" if series else "not run"
            else:
                if first_bad["times"]:
                    why = f"{fmt_s(max(first_bad['times']))} s"
                elif first_bad.get("killed"):
                    why = f"> {fmt_s(first_bad['lower_bound_s'])} s, killed"
                else:
                    why = "error: " + first_bad.get("error", "?")[:80]
                ok = f"usable up to n = {last_ok['n']}" if last_ok else "not usable at any n tried"
                what = f"{ok}; n = {first_bad['n']}: {why}"
            usable_lines.append({"r": r, "r_star": r_star, "basis": basis,
                                 "first_unusable_n": None if first_bad is None else first_bad["n"], "text": what})
    results["direct"] = rows
    results["direct_stops"] = stops
    results["direct_usable"] = usable_lines
    results["direct_config"] = {"budget_s": budget, "usable_limit_s": usable, "timeout_s": timeout, "n_max": n_max}


# ---------------------------------------------------------------------------------------------
# Table 2: projected formulation
# ---------------------------------------------------------------------------------------------
def table_projected(args, results: dict) -> None:
    ns = [n for n in PROJECTED_N if n <= args.projected_max_n] + ([PROJECTED_N_BIG] if args.big else [])
    reps = max(3, args.repeats)
    print("-" * 100)
    print(
        f"Table 2. Projected formulation: counterexample(X, Z) (project=True, basis='svec'), median of {reps} runs\n"
        "  total: the whole call (orth([X, Z]), SDP, repair, dual bound, verification);"
        " solver: Clarabel's time for the kept attempt (median);\n"
        "  verify: cert.verify() alone (median); d = dim of orth([X, Z])."
    )
    print("-" * 100)
    headers = ["n", "r", "r*", "d", "total s", "min s", "solver s", "verify s", "delta", "delta-lower", "status", "note"]
    rows_txt, rows = [], []
    target = None
    for r, r_star in PROJECTED_RANKS:
        for n in ns:
            X, Z = instance(args.seed, n, r, r_star)
            row: dict = {"n": n, "r": r, "r_star": r_star, "times": [], "verify_times": [], "solver_times": []}
            note = ""
            try:
                for _ in range(reps):
                    t, cert = timed(counterexample, X, Z)
                    row["times"].append(t)
                    row["solver_times"].append((cert.solver or {}).get("solve_time") or math.nan)
                for _ in range(reps):
                    t, rep = timed(cert.verify)
                    row["verify_times"].append(t)
                    if not rep.ok:
                        note = "VERIFY FAILED: " + "; ".join(rep.failures)[:100]
                row.update(
                    d=cert.operator.d, delta=cert.delta, delta_lower=cert.delta_lower, gap=cert.delta - cert.delta_lower,
                    status=solver_status(cert),
                )
                if row["gap"] > GAP_FLAG:
                    note = (note + "; " if note else "") + "GAP > 1e-6"
            except certify.CertifyError as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
                note = row["error"][:120]
            row["seconds"] = median(row["times"])
            row["verify_seconds"] = median(row["verify_times"])
            row["solver_seconds"] = median(row["solver_times"])
            if n == TARGET_N and (r, r_star) == (1, 1):
                ok = bool(row["times"]) and "error" not in row and row["seconds"] < TARGET_SECONDS
                target = {"n": n, "r": r, "r_star": r_star, "seconds": row["seconds"], "limit_s": TARGET_SECONDS, "pass": ok}
                note = (note + "; " if note else "") + f"target < {TARGET_SECONDS:g} s: {'PASS' if ok else 'FAIL'}"
            rows.append(row)
            rows_txt.append([
                n, r, r_star, row.get("d", "-"), fmt_s(row["seconds"]), fmt_s(min(row["times"]) if row["times"] else None),
                fmt_s(row["solver_seconds"]), fmt_s(row["verify_seconds"]), fmt_f(row.get("delta"), ".9f"),
                fmt_f(row.get("gap"), ".1e"), row.get("status", "-"), note,
            ])
            if args.live:
                print("   ", rows_txt[-1], flush=True)
    print_table(headers, rows_txt, align="rrrrrrrrrrll")
    if target is None:
        print(f"target (n = {TARGET_N}, r = r* = 1, < {TARGET_SECONDS:g} s): not run (n = {TARGET_N} excluded)")
    else:
        print(
            f"target: projected delta(X, Z) for n = {TARGET_N}, r = r* = 1 in {target['seconds']:.3f} s "
            f"(median) < {TARGET_SECONDS:g} s: {'PASS' if target['pass'] else 'FAIL'}"
        )
    print()
    results["projected"] = rows
    results["target"] = target


# ---------------------------------------------------------------------------------------------
# Table 3: explicit operator (Algorithm 1)
# ---------------------------------------------------------------------------------------------
def table_explicit(args, results: dict) -> None:
    ns = [n for n in EXPLICIT_N if n <= args.explicit_max_n]
    reps = max(1, args.repeats)
    print("-" * 100)
    print(
        f"Table 3. Explicit measurement matrices (JMLR19 Algorithm 1): cert.operator.to_explicit(), median of {reps} runs,\n"
        "  r = r* = 1 projected certificate; A MB = op.A (m x n x n doubles); held MB = op.A plus the m x n^2 matrix"
        " the operator keeps;\n"
        f"  |d_expl - d|: RIP constant recomputed from the explicit matrices (singular values) vs cert.delta"
        f" (n <= {args.explicit_check_max})."
    )
    print("-" * 100)
    headers = ["n", "m = n^2", "seconds", "A MB", "held MB", "check s", "|d_expl - d|", "note"]
    rows_txt, rows = [], []
    for n in ns:
        X, Z = instance(args.seed, n, 1, 1)
        row: dict = {"n": n, "times": []}
        note = ""
        try:
            cert = quiet(counterexample, X, Z)
            op = None
            for _ in range(reps):
                op = None  # free the previous one before timing the next
                t, op = timed(cert.operator.to_explicit)
                row["times"].append(t)
            a_bytes = op.A.nbytes
            held = a_bytes + (0 if np.shares_memory(op.A, op.matrix()) else op.matrix().nbytes)
            row.update(m=op.m, A_mb=a_bytes / 1e6, held_mb=held / 1e6, delta=cert.delta)
            if op.m != n * n:
                note = f"m = {op.m} != n^2"
            if n <= args.explicit_check_max:
                t, rc = timed(op.rip_constant)
                row.update(check_s=t, delta_explicit=rc.delta, delta_diff=abs(rc.delta - cert.delta))
                if row["delta_diff"] > GAP_FLAG:
                    note = (note + "; " if note else "") + "EXPLICIT delta differs"
            del op
        except certify.CertifyError as exc:
            row["error"] = f"{type(exc).__name__}: {exc}"
            note = row["error"][:120]
        row["seconds"] = median(row["times"])
        rows.append(row)
        rows_txt.append([
            n, row.get("m", n * n), fmt_s(row["seconds"]), fmt_f(row.get("A_mb"), ".1f"), fmt_f(row.get("held_mb"), ".1f"),
            fmt_s(row.get("check_s")), fmt_f(row.get("delta_diff"), ".1e"), note,
        ])
        if args.live:
            print("   ", rows_txt[-1], flush=True)
    print_table(headers, rows_txt, align="rrrrrrrl")
    print()
    results["explicit"] = rows


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------
def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="small sizes only (direct n <= 6, projected n <= 1000, explicit n <= 20); < 30 s")
    p.add_argument("--direct-budget", type=float, default=60.0,
                   help="stop a direct series after a run longer than this (s, default 60)")
    p.add_argument("--direct-timeout", type=float, default=None,
                   help="kill a direct case after this many seconds (default 2 x budget; 0 = run in-process, no limit)")
    p.add_argument("--usable-limit", type=float, default=10.0,
                   help="a direct run longer than this counts as 'not usable' (s, default 10)")
    p.add_argument("--repeats", type=int, default=5, help="runs per timed case (median; projected uses at least 3; default 5)")
    p.add_argument("--fast-threshold", type=float, default=1.0, help="direct cases faster than this are repeated (s, default 1)")
    p.add_argument("--big", action="store_true", help="add n = 100,000 to the projected table")
    p.add_argument("--out", type=Path, default=None, help="also write the tables as JSON (atomically) to this file")
    p.add_argument("--seed", type=int, default=0, help="seed of the Gaussian instances (default 0)")
    p.add_argument("--keep-going", action="store_true", help="do not stop a direct series after an error (only after the budget)")
    p.add_argument("--only", action="append", choices=("direct", "projected", "explicit"),
                   help="run only these tables (repeatable)")
    p.add_argument("--live", action="store_true", help="also print each row as soon as it is measured")
    p.add_argument("--backend", default=None, choices=("clarabel", "scs", "ipm", "cvxpy"),
                   help="SDP backend of every timed call (default: the package default, the compiled Clarabel core)")
    args = p.parse_args(argv)
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    if args.direct_budget <= 0:
        p.error("--direct-budget must be > 0")
    if args.out is not None:
        folder = args.out.parent if str(args.out.parent) else Path(".")
        if not folder.is_dir():
            p.error(f"--out: the folder {folder} does not exist")
    args.direct_max_n = 6 if args.quick else 12
    args.projected_max_n = 1000 if args.quick else max(PROJECTED_N)
    args.explicit_max_n = 20 if args.quick else max(EXPLICIT_N)
    args.explicit_check_max = 20 if args.quick else 40
    return args


def main(argv=None) -> int:
    global BACKEND  # noqa: PLW0603 - one run, one backend
    args = parse_args(argv)
    BACKEND = args.backend
    t_start = time.perf_counter()
    info = machine_info()
    print_machine(info)
    results: dict = {"machine": info, "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}

    def save():
        if args.out is not None:
            results["elapsed_s"] = time.perf_counter() - t_start
            write_json(args.out, _clean(results))

    w = warm_up()
    results["warmup"] = w
    print(
        f"warm-up (not counted below): import cvxpy + clarabel {w['import_s']:.2f} s, first solve of the 2x2 example "
        f"{w['first_solve_s']:.3f} s (second solve {w['second_solve_s']:.3f} s), total {w['total_s']:.2f} s; "
        f"delta = {w['delta']:.9f} (published 1/2)"
    )
    if abs(w["delta"] - 0.5) > GAP_FLAG:
        print("WARNING: the warm-up instance does not reproduce the published delta = 1/2")
    print()
    save()

    only = set(args.only or ("direct", "projected", "explicit"))
    if "direct" in only:
        table_direct(args, results)
        save()
    if "projected" in only:
        table_projected(args, results)
        save()
    if "explicit" in only:
        table_explicit(args, results)
        save()

    elapsed = time.perf_counter() - t_start
    results["elapsed_s"] = elapsed
    print(f"total benchmark time: {elapsed:.1f} s")
    if "direct_usable" in results:
        parts = [f"r=r*={u['r']} {u['basis']}: {u['text']}" for u in results["direct_usable"]]
        print(
            f"direct formulation on this machine (usable = every run <= {min(args.direct_budget, args.usable_limit):g} s): "
            + " | ".join(parts)
        )
    save()
    if args.out is not None:
        print(f"JSON written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
