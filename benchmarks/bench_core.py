#!/usr/bin/env python
"""Benchmark of the compiled SDP core (issue "A compiled SDP core: δ(X, Z) in about a
millisecond, thousands of checked brackets per second, searches in seconds").

Every ratio is measured in the same run, on the same instances, the backends interleaved so
that they see the same machine load.  Tables:

1. **Warm path** (fresh interpreters): import times of ``certify.rip``, Clarabel, cvxpy and numba,
   the first and second call of the compiled core and of the cvxpy backend, and whether the
   compiled path loaded cvxpy (it must not).
2. **One certificate** (solve, repair, dual bound, kernel verification):
   ``rip.counterexample(X, Z)`` per instance, compiled Clarabel core against the cvxpy backend
   (and the ``ipm`` backend), for rank 1 (d = 2), ``r = r* = 2`` (d = 4) and ``(r, r*) = (4, 2)``
   (d = 6).  Target: rank 1 at least 5 times faster than cvxpy.
3. **Batched brackets**: ``rip.delta_batch`` on K random Gaussian instances (10,000 rank-1 pairs),
   each bracket checked (vectorized kernel formulas), for the solve modes (fresh Clarabel solver
   per instance, one solver with ``update``, block-diagonal problems of 32), the ``ipm`` backend,
   and 2 worker processes; against the per-instance cvxpy rate (``counterexample(backend="cvxpy",
   verify=False)``: one checked bracket).  Targets: rank 1 at least 1,000 checked brackets/s on
   2 cores and 20 times the cvxpy rate.  A sample of brackets is re-verified by the kernel.
4. **The 100 x 100 rank-1 (ρ, φ) grid** with both bounds (``rip.gap_map``: SDP brackets and the
   closed form of JMLR19 Theorem 12).  Target: < 10 s.
5. (``--search``) **The sharp-threshold searches** (``benchmarks/bench_search.py``'s pairs, with
   ``workers``) beside the old backend's times (``results/sharp_search.json`` and the issue).

The machine is shared: timings are noisy (the load average is printed with each table).

    python benchmarks/bench_core.py --quick          # a minute
    python benchmarks/bench_core.py --out results/bench_core.json
    python benchmarks/bench_core.py --only search --search-workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from certify import rip, sysinfo
from certify.io import atomic_write_text

ROOT = Path(__file__).resolve().parents[1]
#: old search times (seconds) of the cvxpy backend: results/sharp_search.json (the issue's figures)
OLD_SEARCH = {(1, 1): 4.2, (2, 2): 62.7, (2, 1): 41.9, (3, 1): 144.3, (3, 2): 323.1, (4, 1): 540.8, (4, 2): 1170.3}
SEARCH_TARGETS = {(2, 1): 10.0, (3, 1): 30.0, (3, 2): 60.0, (4, 2): 120.0}


def load() -> str:
    try:
        return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "load n/a"


def versions() -> str:
    import importlib.metadata as md

    out = []
    for name in ("clarabel", "scs", "cvxpy", "scipy", "numba", "threadpoolctl"):
        try:
            out.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            out.append(f"{name} -")
    return ", ".join(out)


def table(headers, rows):
    cols = list(zip(*([headers] + [[str(c) for c in r] for r in rows]), strict=False))
    w = [max(len(c) for c in col) for col in cols]
    print("  ".join(h.rjust(x) for h, x in zip(headers, w, strict=False)))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print("  ".join(str(c).rjust(x) for c, x in zip(r, w, strict=False)))


def quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def instances(n, r, rs, K, seed=0):
    rng = np.random.default_rng([seed, n, r, rs])
    return rng.standard_normal((K, n, r)), rng.standard_normal((K, n, rs))


# ---------------------------------------------------------------------------------------------
# 1. warm path
# ---------------------------------------------------------------------------------------------
_WARM = r"""
import json, sys, time
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{first}
t2 = time.perf_counter()
{first}
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "first_s": t2 - t1, "second_s": t3 - t2,
                   "cvxpy_loaded": "cvxpy" in sys.modules, "numba_loaded": "numba" in sys.modules,
                   "clarabel_loaded": "clarabel" in sys.modules}}))
"""


def _fresh(imports, first="pass"):
    code = _WARM.format(imports=imports, first=first)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, cwd=ROOT)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def warm_path(results):
    print(f"\n1. Warm path (fresh interpreters; {load()})")
    call = "rip.counterexample([0.0, 0.7071067811865476], [1.0, 0.0]{kw})"
    cases = [
        ("import certify.rip; counterexample (compiled Clarabel)", "from certify import rip", call.format(kw="")),
        ("import certify.rip; counterexample (ipm)", "from certify import rip", call.format(kw=", backend='ipm'")),
        ("import certify.rip; counterexample (cvxpy backend)", "from certify import rip", call.format(kw=", backend='cvxpy'")),
        ("import certify.rip; delta_batch of 100 rank-1 pairs", "from certify import rip; import numpy as np",
         "rip.delta_batch(np.random.default_rng(0).standard_normal((100, 2)), "
         "np.random.default_rng(1).standard_normal((100, 2)))"),
        ("import clarabel", "import clarabel", "pass"),
        ("import cvxpy", "import cvxpy", "pass"),
        ("import numba (not used by the core)", "import numba", "pass"),
    ]
    rows, out = [], []
    for name, imp, first in cases:
        r = _fresh(imp, first)
        out.append({"case": name, **r})
        if "error" in r:
            rows.append([name, "error", r["error"][:60], "", "", ""])
            continue
        rows.append([name, f"{r['import_s'] * 1e3:.0f}", f"{r['first_s'] * 1e3:.1f}" if first != "pass" else "-",
                     f"{r['second_s'] * 1e3:.2f}" if first != "pass" else "-", "yes" if r["cvxpy_loaded"] else "no",
                     "yes" if r["numba_loaded"] else "no"])
    table(["case", "import ms", "first call ms", "second call ms", "cvxpy loaded", "numba loaded"], rows)
    results["warm_path"] = out


# ---------------------------------------------------------------------------------------------
# 2. one certificate
# ---------------------------------------------------------------------------------------------
def single(results, args):
    shapes = [("rank 1 (d = 2)", 4, 1, 1, args.single_k[0]), ("r = r* = 2 (d = 4)", 4, 2, 2, args.single_k[1]),
              ("(r, r*) = (4, 2) (d = 6)", 6, 4, 2, args.single_k[2])]
    print(f"\n2. One certificate: rip.counterexample(X, Z) = solve + repair + dual bound + kernel verification, "
          f"median ms per instance ({load()})")
    rows, out = [], []
    for label, n, r, rs, K in shapes:
        X, Z = instances(n, r, rs, K, seed=1)
        times = {"clarabel": [], "ipm": [], "cvxpy": []}
        for b in times:  # warm each path once
            quiet(rip.counterexample, X[0], Z[0], backend=b)
        ok = 0
        for k in range(K):
            for b in times:
                t0 = time.perf_counter()
                try:
                    cert = quiet(rip.counterexample, X[k], Z[k], backend=b)
                except Exception:  # noqa: BLE001 - a benchmark records (no counterexample, a failed solve)
                    cert = None
                times[b].append(time.perf_counter() - t0)
                ok += cert is not None and b == "clarabel"
        med = {b: statistics.median(v) for b, v in times.items()}
        ratio = med["cvxpy"] / med["clarabel"]
        out.append({"shape": label, "n": n, "r": r, "r_star": rs, "instances": K, "median_s": med,
                    "ratio_cvxpy_over_clarabel": ratio, "ratio_cvxpy_over_ipm": med["cvxpy"] / med["ipm"]})
        target = " (target >= 5x: " + ("met" if ratio >= 5 else "NOT met") + ")" if r == 1 else ""
        rows.append([label, K, f"{med['clarabel'] * 1e3:.2f}", f"{med['ipm'] * 1e3:.2f}", f"{med['cvxpy'] * 1e3:.2f}",
                     f"{ratio:.1f}x{target}", f"{med['cvxpy'] / med['ipm']:.1f}x"])
    table(["instances", "K", "compiled Clarabel ms", "ipm ms", "cvxpy ms", "cvxpy / Clarabel", "cvxpy / ipm"], rows)
    results["single"] = out


# ---------------------------------------------------------------------------------------------
# 3. batched brackets
# ---------------------------------------------------------------------------------------------
def _cvxpy_rate(X, Z, m):
    t0 = time.perf_counter()
    n_ok = 0
    for k in range(m):
        try:
            quiet(rip.counterexample, X[k], Z[k], backend="cvxpy", verify=False)
            n_ok += 1
        except Exception:  # noqa: BLE001
            pass
    return m / (time.perf_counter() - t0)


def batch(results, args):
    shapes = [("rank 1 (d = 2)", 4, 1, 1, args.batch_k[0], args.cvxpy_k[0]),
              ("r = r* = 2 (d = 4)", 4, 2, 2, args.batch_k[1], args.cvxpy_k[1]),
              ("(r, r*) = (4, 2) (d = 6)", 6, 4, 2, args.batch_k[2], args.cvxpy_k[2])]
    print(f"\n3. Batched brackets: rip.delta_batch (every bracket checked), brackets/s ({load()})")
    rows, out = [], []
    for label, n, r, rs, K, m in shapes:
        X, Z = instances(n, r, rs, K, seed=2)
        cv = _cvxpy_rate(X, Z, m)
        variants = [("update (one solver; default)", {"mode": "update"}), ("loop (fresh solver per instance)", {"mode": "loop"}),
                    ("block (32 per solve)", {"mode": "block"}), ("ipm (batched)", {"backend": "ipm"}),
                    ("update, 2 workers", {"mode": "update", "workers": 2}), ("ipm, 2 workers", {"backend": "ipm", "workers": 2})]
        if r > 1:
            variants = [v for v in variants if "block" not in v[0]]
        rip.delta_batch(X[:4], Z[:4], workers=2)  # start the worker pool (not timed)
        rip.delta_batch(X[:4], Z[:4], backend="ipm", workers=2)
        for name, kw in variants:
            t0 = time.perf_counter()
            res = quiet(rip.delta_batch, X, Z, **kw)
            dt = time.perf_counter() - t0
            c = res.counts()
            brackets = c["ok"] + c["no-counterexample"]
            rate = brackets / dt
            # a sample re-verified by the kernel (not timed)
            m5 = min(5, K)
            sample = rip.delta_batch(X[:m5], Z[:m5], keep_points=True, **{k: v for k, v in kw.items() if k != "workers"})
            kernel_ok = all(sample.certificate(k).verify().ok for k in range(m5) if sample.status[k] == "ok")
            gap = float(np.max(res.gap[res.ok])) if res.ok.any() else float("nan")
            out.append({"shape": label, "variant": name, "K": K, "seconds": dt, "brackets_per_s": rate, "counts": c,
                        "cvxpy_per_instance_per_s": cv, "ratio_to_cvxpy": rate / cv, "max_gap": gap,
                        "scalar_resolves": int(np.sum(np.char.startswith(res.method.astype(str), "scalar"))),
                        "kernel_sample_ok": kernel_ok, "timings": res.timings})
            tgt = ""
            if r == 1 and "2 workers" in name:
                tgt = "  targets >= 1000/s & >= 20x: " + ("met" if rate >= 1000 and rate / cv >= 20 else "NOT met")
            rows.append([label, name, K, f"{dt:.2f}", f"{rate:.0f}", f"{cv:.1f}", f"{rate / cv:.0f}x",
                         f"{c['ok']}/{c['no-counterexample']}/{c['failed']}", f"{gap:.1e}",
                         out[-1]["scalar_resolves"], "ok" if kernel_ok else "FAILED" + tgt])
            rows[-1][-1] += tgt
    table(["instances", "variant", "K", "seconds", "brackets/s", "cvxpy/s", "ratio", "ok/no-ce/failed", "max gap",
           "re-solved", "kernel sample"], rows)
    results["batch"] = out


# ---------------------------------------------------------------------------------------------
# 4. the rank-1 grid
# ---------------------------------------------------------------------------------------------
def grid(results, args):
    rhos = np.linspace(0.02, 2.0, args.grid)
    phis = np.radians(np.linspace(0.0, 180.0, args.grid))
    print(f"\n4. The {args.grid} x {args.grid} rank-1 (rho, phi) grid with both bounds: rip.gap_map ({load()})")
    rows, out = [], []
    for name, kw in (("compiled Clarabel", {}), ("ipm", {"backend": "ipm"})):
        t0 = time.perf_counter()
        m = quiet(rip.gap_map, rhos, phis, **kw)
        dt = time.perf_counter() - t0
        ok = m.status == "ok"
        i, j = np.unravel_index(int(np.argmax(np.where(ok, m.gap, -np.inf))), m.gap.shape)
        out.append({"variant": name, "seconds": dt, "counts": m.counts, "max_gap": float(m.gap[i, j]),
                    "at_rho": float(rhos[i]), "at_phi_deg": float(np.degrees(phis[j])),
                    "min_gap": float(np.min(m.gap[ok])), "max_certified_gap": float(np.max(m.certified_gap[ok]))})
        rows.append([name, f"{dt:.2f}", f"{'met' if dt < 10 else 'NOT met'}", m.counts["ok"], m.counts["no-counterexample"],
                     m.counts["ground-truth"], m.counts["failed"],
                     f"{m.gap[i, j]:.4f} at rho {rhos[i]:.2f}, phi {np.degrees(phis[j]):.0f}",
                     f"{np.min(m.gap[ok]):.1e}", f"{np.max(m.certified_gap[ok]):.1e}"])
    table(["variant", "seconds", "< 10 s", "ok", "no-ce", "ground", "failed", "max delta - closed form", "min",
           "max certified gap"], rows)
    results["grid"] = out


# ---------------------------------------------------------------------------------------------
# 5. searches
# ---------------------------------------------------------------------------------------------
def search(results, args):
    pairs = [(1, 1, 4), (2, 2, 8), (2, 1, 6), (3, 1, 6), (3, 2, 6), (4, 1, 4), (4, 2, 4)]
    if args.search_pairs:
        want = {tuple(int(v) for v in p.split(",")) for p in args.search_pairs}
        pairs = [p for p in pairs if p[:2] in want]
    old = json.loads((ROOT / "results" / "sharp_search.json").read_text())
    old_rows = {(w["r"], w["r_star"]): w for w in old["rows"]}
    print(f"\n5. Sharp-threshold searches: rip.search_sharp_delta(r + r*, r, r*, restarts, seed=0, workers="
          f"{args.search_workers}) ({load()}); old: cvxpy backend ({old['machine']})")
    rows, out = [], []
    for r, rs, R in pairs:
        t0 = time.perf_counter()
        best = quiet(rip.search_sharp_delta, r + rs, r, rs, restarts=R, seed=0, workers=args.search_workers)
        dt = time.perf_counter() - t0
        o = old_rows.get((r, rs), {})
        diff = best.delta - o.get("delta", float("nan"))
        found = ", ".join(f"{b['restart']} ({b['start_kind']})" for b in best.best_restarts)
        tgt = SEARCH_TARGETS.get((r, rs))
        ok_t = "" if tgt is None else ("met" if dt < tgt and diff <= 1e-6 else "NOT met")
        out.append({"r": r, "r_star": rs, "restarts": R, "seconds": dt, "delta": best.delta, "delta_lower": best.delta_lower,
                    "old_delta": o.get("delta"), "old_seconds": OLD_SEARCH.get((r, rs)), "difference_to_old": diff,
                    "sdps": best.evaluations, "best_restarts": best.best_restarts, "valid": best.certificate.verify().ok,
                    "published": best.published["value"], "sufficient": best.published["lower"],
                    "per_restart": [h["best"] for h in best.history], "start_kinds": [h["start_kind"] for h in best.history]})
        rows.append([f"({r}, {rs})", R, f"{best.delta:.9f}", f"{o.get('delta', float('nan')):.9f}", f"{diff:+.1e}",
                     f"{best.published['lower']:.9f}", best.evaluations, f"{dt:.1f}",
                     f"{OLD_SEARCH.get((r, rs), float('nan')):.1f}",
                     f"{OLD_SEARCH.get((r, rs), float('nan')) / dt:.1f}x", f"< {tgt:g} s: {ok_t}" if tgt else "-", found])
    table(["(r, r*)", "restarts", "delta (new)", "delta (old)", "new - old", "sufficient cond.", "SDPs", "seconds",
           "old seconds", "speed-up", "target", "best found by restart(s)"], rows)
    results["search"] = out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    ap.add_argument("--only", action="append", choices=("warm", "single", "batch", "grid", "search"))
    ap.add_argument("--search", action="store_true", help="also run the searches (long)")
    ap.add_argument("--search-workers", type=int, default=2)
    ap.add_argument("--search-pairs", nargs="*", help="e.g. 2,1 3,1 (default: all of bench_search.py)")
    ap.add_argument("--grid", type=int, default=100, help="grid size per axis (default 100)")
    ap.add_argument("--out", type=Path, default=None, help="write the tables as JSON here")
    args = ap.parse_args(argv)
    args.single_k = (10, 4, 2) if args.quick else (40, 12, 4)
    args.batch_k = (1000, 40, 4) if args.quick else (10_000, 200, 16)
    args.cvxpy_k = (20, 6, 2) if args.quick else (100, 20, 4)
    if args.quick:
        args.grid = min(args.grid, 40)
    only = set(args.only or (["warm", "single", "batch", "grid"] + (["search"] if args.search else [])))
    results = {"machine": sysinfo.machine(), "versions": versions(), "cores": os.cpu_count(),
               "threads_env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS") if k in os.environ},
               "quick": bool(args.quick)}
    print(f"machine: {results['machine']}")
    print(f"versions: {results['versions']}")
    print("note: a shared machine; timings are noisy (see the load average of each table)")
    t0 = time.perf_counter()
    for name, fn in (("warm", warm_path), ("single", single), ("batch", batch), ("grid", grid), ("search", search)):
        if name in only:
            fn(results, args) if name != "warm" else fn(results)
            if args.out:
                atomic_write_text(args.out, json.dumps(results, indent=1, default=str) + "\n")
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
