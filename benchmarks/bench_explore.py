"""Benchmark of the explorer's server-side time per interaction (``certify explore``).

What is measured (wall-clock, ``time.perf_counter``, median and maximum over ``--points`` points
drawn uniformly from the plane ``[-1.5, 1.5]²``, seed 0; points where no counterexample exists are
skipped, as the page shows a message there):

* **click** — what a click on the heat map computes before the first page is sent: the counterexample
  SDP, the kernel's verification of its certificate, the landscape on a 121 × 121 grid, the critical
  points (Newton from the grid, checked with the operator's gradient) and the Hessian at x̂
  (:func:`certify.explore.model.point_view`), and also with the page update
  (:meth:`certify.explore.app.Explorer.set_point` without a browser; the second page follows when
  it is opened); with ``--browser`` also the round trip in chromium (click to the new δ shown);
* **δ slider** — one curvature SDP at x̂ (:func:`certify.explore.model.curvature_view`), δ = δ(x̂) + 0.05;
* **SGD panel** — 300 SGD trials of 5,000 steps with their paths
  (:func:`certify.explore.model.sgd_trials`), and the whole panel (:meth:`Explorer.run_sgd`:
  trials, landscape, critical points, paths);
* **second page** — what opening the second page after a click computes (:meth:`Explorer._follow_point`:
  the slider's SDP, μ*(δ) at 12 values, the SGD panel);
* **upload** — a certificate file read by the kernel's hardened reader and verified
  (:func:`certify.explore.model.check_upload`);
* **start** — the δ heat map of the server's start (61 × 61 batched brackets).

Targets (issue 16): a click under 100 ms; the SGD panel with 300 trials under 1 s.  The machine is
printed first.  This is a benchmark, not a test: it prints a table and never fails on slow timings.

Run (from the repository root; needs the explore extra)::

    python benchmarks/bench_explore.py            # about 1 minute
    python benchmarks/bench_explore.py --points 10 --out bench_explore.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from certify.errors import CertifyError  # noqa: E402
from certify.explore import model  # noqa: E402
from certify.sysinfo import machine  # noqa: E402


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t0, out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=20, help="points of the plane (default 20)")
    ap.add_argument("--out", default=None, help="also write the table as JSON here")
    ap.add_argument("--browser", action="store_true",
                    help="also the round trip in Debian's chromium: type a point, wait for its delta on the page")
    args = ap.parse_args(argv)
    print(machine())
    warnings.simplefilter("ignore", UserWarning)  # Clarabel's "optimal_inaccurate": the bounds are checked
    from certify.explore import app  # noqa: PLC0415 - Panel: the explore extra

    t_start, _ = timed(app.plane_cached, 61)
    t_build, ex = timed(app.Explorer, None)
    rng = np.random.default_rng(0)
    rows: dict[str, list[float]] = {k: [] for k in ("click (model)", "click (page 1)", "delta slider (SDP)",
                                                    "SGD 300 trials", "SGD panel", "second page (on opening)",
                                                    "upload + verify")}
    done = 0
    while done < args.points:
        x = rng.uniform(-1.5, 1.5, size=2)
        try:
            t, pv = timed(model.point_view, x)
        except CertifyError:
            continue
        rows["click (model)"].append(t)
        rows["click (page 1)"].append(timed(ex.set_point, x, follow=False)[0])
        d = min(0.99, pv.delta + 0.05)
        t, cv = timed(model.curvature_view, x, model.Z_DEFAULT, d)
        rows["delta slider (SDP)"].append(t)
        cert = cv.certificate if cv.certificate is not None else pv.certificate
        rows["SGD 300 trials"].append(timed(model.sgd_trials, cert, 0.2, trials=300)[0])
        rows["second page (on opening)"].append(timed(ex._follow_point)[0])
        rows["SGD panel"].append(timed(ex.run_sgd)[0])
        data = cert.to_json().encode()
        t, rep = timed(model.check_upload, data, "c.json")
        assert rep.ok, rep
        rows["upload + verify"].append(t)
        done += 1
    targets = {"click (page 1)": 0.1, "SGD panel": 1.0}
    print(f"\nserver start: delta heat map 61 x 61 {t_start:.2f} s; one session's pages {t_build:.2f} s")
    print(f"\n{'interaction':26s} {'median ms':>10s} {'max ms':>9s}  target")
    table = []
    for k, v in rows.items():
        med, mx = 1000 * statistics.median(v), 1000 * max(v)
        tgt = targets.get(k)
        verdict = "" if tgt is None else f"< {1000 * tgt:.0f} ms: {'PASS' if mx / 1000 < tgt else 'FAIL'} (max)"
        print(f"{k:26s} {med:10.1f} {mx:9.1f}  {verdict}")
        table.append({"interaction": k, "median_ms": med, "max_ms": mx, "target_ms": None if tgt is None else 1000 * tgt,
                      "runs": len(v)})
    if args.browser:
        table.append(browser_round_trip(args.points))
    if args.out:
        Path(args.out).write_text(json.dumps({"machine": machine(), "start_s": t_start, "session_s": t_build,
                                              "rows": table}, indent=1) + "\n")
    return 0


def browser_round_trip(points: int) -> dict:
    """``certify explore`` in a subprocess, Playwright with the system chromium: per point, the time
    from the click on "Show this point" to the new δ on the page (server, websocket and rendering)."""
    import shutil  # noqa: PLC0415
    import subprocess  # noqa: PLC0415

    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    proc = subprocess.Popen([sys.executable, "-m", "certify.cli", "explore", "--port", "0", "--json"],
                            stdout=subprocess.PIPE, text=True)
    try:
        url = json.loads(proc.stdout.readline())["url"]
        exe = shutil.which("chromium") or "/usr/bin/chromium"
        times = []
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=exe, args=["--headless", "--no-sandbox", "--disable-gpu"])
            pg = b.new_page(viewport={"width": 1150, "height": 950})
            pg.goto(url)
            pg.locator(".delta-value").wait_for(timeout=60_000)
            rng = np.random.default_rng(1)
            while len(times) < points:
                x = rng.uniform(-1.5, 1.5, size=2)
                try:
                    model.point_view(x)
                except CertifyError:
                    continue
                old = pg.locator(".point-x1").inner_text()
                pg.locator(".x1-input input").fill(repr(float(x[0])))
                pg.locator(".x2-input input").fill(repr(float(x[1])))
                t0 = time.perf_counter()
                pg.locator(".show-point button").first.click()
                while pg.locator(".point-x1").inner_text() == old:
                    time.sleep(0.002)
                times.append(time.perf_counter() - t0)
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    med, mx = 1000 * statistics.median(times), 1000 * max(times)
    print(f"{'click, browser round trip':26s} {med:10.1f} {mx:9.1f}  (chromium: click to the new delta shown)")
    return {"interaction": "click, browser round trip", "median_ms": med, "max_ms": mx, "target_ms": None,
            "runs": len(times)}


if __name__ == "__main__":
    raise SystemExit(main())
