"""The explorer in a real browser: ``certify explore`` served in a subprocess, driven by Playwright
with Debian's ``chromium`` (``executable_path``; Playwright's own browser download is never used).

The tests run in file order on one page: the default point shows δ = 1/2; a click on the heat map
moves the point and δ equals :func:`certify.rip.counterexample` there; text in a number field is a
message; the δ slider crosses the threshold (none / strict); the SGD panel shows the fractions of
:func:`certify.explore.model.sgd_trials` for the same settings; the atlas cell and its exact proof;
a downloaded certificate passes ``certify verify``; tampered, malformed and huge uploads are
rejected in the page; the server keeps serving, asks nothing from outside and writes no file.
Screenshots go to ``docs/screenshots/explore-*.png`` when missing or when
``CERTIFY_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytest.importorskip("panel", reason="the explorer needs the optional extra: pip install '.[explore]' (in '.[test]')")
pytest.importorskip("playwright", reason="Playwright's Python package is not installed: pip install '.[test]'")

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
TIMEOUT_MS = 30_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``certify explore`` in a subprocess, in an empty directory (to see that it writes nothing)."""
    cwd = tmp_path_factory.mktemp("explore-cwd")
    log = tmp_path_factory.mktemp("explore-log") / "server.log"
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "certify.cli", "explore", "--port", str(port), "--atlas",
                                 str(ROOT / "results" / "atlas.json")], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 180
    line = ""
    while time.time() < deadline and proc.poll() is None:
        line = next((x for x in log.read_text().splitlines() if "serving on" in x), "")
        if line:
            break
        time.sleep(0.2)
    if not line:
        proc.kill()
        pytest.fail(f"certify explore did not start: {log.read_text()[-2000:]!r}")
    url = line.split("serving on ", 1)[1].split()[0]
    assert urlparse(url).hostname == "127.0.0.1"
    yield {"url": url, "proc": proc, "cwd": cwd, "log": log}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def page(server, browser):
    outside: list[str] = []
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1150, "height": 950}, accept_downloads=True)

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:  # nothing from outside: the explorer must work without a network
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.goto(server["url"])
    pg.locator(".delta-value").wait_for()
    pg.outside, pg.errors = outside, errors
    try:
        yield pg
    finally:
        context.close()


def _text(pg, selector: str) -> str:
    return pg.locator(selector).first.inner_text().strip()


def _wait_change(pg, selector: str, old: str) -> str:
    deadline = time.time() + TIMEOUT_MS / 1000
    while time.time() < deadline:
        loc = pg.locator(selector)
        if loc.count() and loc.first.inner_text().strip() != old:
            return loc.first.inner_text().strip()
        time.sleep(0.1)
    raise AssertionError(f"{selector} stayed {old!r}")


def _wait_for(pg, selector: str, predicate, what: str) -> str:
    deadline = time.time() + TIMEOUT_MS / 1000
    last = None
    while time.time() < deadline:
        loc = pg.locator(selector)
        if loc.count():
            last = loc.first.inner_text().strip()
            if predicate(last):
                return last
        time.sleep(0.1)
    raise AssertionError(f"{selector}: expected {what}, last {last!r}")


def _shot(pg, name: str) -> None:
    path = SHOTS / f"explore-{name}.png"
    if not path.exists() or os.environ.get("CERTIFY_UPDATE_SCREENSHOTS") == "1":
        time.sleep(0.5)  # let the canvases paint
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(path))


def _tab(pg, title: str) -> None:
    pg.get_by_text(title, exact=True).first.click()
    time.sleep(0.3)


def _point(pg) -> tuple[float, float]:
    return float(_text(pg, ".point-x1")), float(_text(pg, ".point-x2"))


def test_default_point_shows_delta_one_half(page):
    assert abs(float(_text(page, ".delta-value")) - 0.5) <= 1e-6
    assert float(_text(page, ".delta-lower-value")) <= float(_text(page, ".delta-value"))
    assert _point(page) == (0.0, 1.0 / math.sqrt(2.0))
    assert _text(page, ".verify-verdict") == "VALID"
    _shot(page, "point")
    assert page.outside == [] and page.errors == []


def test_click_on_the_heat_map_moves_the_point(page):
    from certify import rip

    old = _text(page, ".delta-value")
    canvas = page.locator(".bk-Canvas, canvas").first
    box = canvas.bounding_box()
    # inside the plotting area, away from the axes, the legend and the line x2 = 0 (no counterexample there)
    canvas.click(position={"x": box["width"] * 0.62, "y": box["height"] * 0.30})
    new = _wait_change(page, ".delta-value", old)
    x = _point(page)
    assert x != (0.0, 1.0 / math.sqrt(2.0))
    assert abs(float(new) - rip.counterexample(list(x), [1.0, 0.0]).delta) <= 1e-6
    assert abs(float(new) - 0.5) > 1e-3


def test_typed_point_and_text_in_a_number_field(page):
    from certify import rip

    page.locator(".x1-input input").fill("abc")
    page.locator(".show-point button").first.click()
    msg = _wait_for(page, ".error-message", lambda t: "x1" in t, "a message naming x1")
    assert "not a number" in msg
    page.locator(".x1-input input").fill("0.2")
    page.locator(".x2-input input").fill("0.9")
    old = _text(page, ".delta-value")
    page.locator(".show-point button").first.click()
    new = _wait_change(page, ".delta-value", old)
    assert _point(page) == (0.2, 0.9)
    assert abs(float(new) - rip.counterexample([0.2, 0.9], [1.0, 0.0]).delta) <= 1e-6
    assert page.locator(".error-message").count() == 0


def _set_slider(page, css: str, value: str) -> None:
    box = page.locator(f".{css} input").first
    box.fill(value)
    box.press("Enter")


def test_delta_slider_crosses_the_threshold(page):
    d0_text = _text(page, ".delta-value")
    _tab(page, "Trapped or not")  # the second page follows the first page's point when it is opened
    _wait_for(page, ".curv-point-delta", lambda t: t == d0_text, f"the first page's delta {d0_text}")
    d0 = float(d0_text)
    _wait_for(page, ".curv-state", lambda t: t == "strict", "strict above the threshold (the default)")
    _set_slider(page, "delta-slider", f"{d0 - 0.05:.3f}")
    _wait_for(page, ".curv-state", lambda t: t == "none", "none below the threshold")
    _set_slider(page, "delta-slider", f"{d0 + 0.03:.3f}")
    _wait_for(page, ".curv-state", lambda t: t == "strict", "strict above the threshold")
    # text in the slider's number field: the browser's number input keeps the last number
    _set_slider(page, "delta-slider", "abc")
    time.sleep(1.0)
    assert _text(page, ".curv-state") == "strict"
    assert page.locator(".delta-slider input").first.input_value() == f"{d0 + 0.03:.3f}"


def test_sgd_panel_matches_the_model(page):
    from certify.explore import model

    page.locator(".trials-input input").fill("ten")
    page.locator(".run-sgd button").first.click()
    _wait_for(page, ".error-message", lambda t: "trials" in t, "a message naming trials")
    page.locator(".trials-input input").fill("300")
    _set_slider(page, "gamma-slider", "0.2")
    delta = float(page.locator(".delta-slider input").first.input_value())
    want = model.sgd_trials(model.curvature_view((0.2, 0.9), model.Z_DEFAULT, delta).certificate, 0.2, trials=300)
    fr = want.fractions
    _wait_for(page, ".sgd-success", lambda t: abs(float(t) - fr["success"]) < 1e-3, f"success {fr['success']:.3f}")
    assert abs(float(_text(page, ".sgd-trapped")) - fr["trapped"]) < 1e-3
    assert fr["trapped"] > 0  # the strict point traps some trials at γ = 0.2
    _shot(page, "trapped")


def test_atlas_cell_and_its_proof(page):
    _tab(page, "The atlas")
    before = _text(page, ".atlas-cell")
    canvases = [c for c in page.locator("canvas").all() if c.is_visible()]
    box = max(canvases, key=lambda c: c.bounding_box()["width"] * c.bounding_box()["height"]).bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.62, box["y"] + box["height"] * 0.72)
    cell = _wait_change(page, ".atlas-cell", before)
    r, s = (int(v) for v in cell.split("=")[1].strip(" ()").split(","))
    assert 1 <= s <= r
    assert abs(float(_text(page, ".atlas-threshold")) - 1.0 / (1.0 + math.sqrt(s / r))) <= 1e-9
    page.locator(".prove-cell button").first.click()
    _wait_for(page, ".prove-outcome", lambda t: t == "proved", "proved")
    _shot(page, "atlas")


def _download_and_verify(page, css: str, path: Path, cli_run) -> dict:
    """Click a download button, save the file, ``certify verify`` it (exit 0); the file's JSON."""
    with page.expect_download() as info:
        page.locator(f".{css} button").first.click()
    info.value.save_as(path)
    code, out, err = cli_run("verify", path)
    assert code == 0, (out, err)
    return json.loads(path.read_text())


def test_threshold_download_is_proved_by_certify_verify(page, tmp_path, cli_run):
    d = _download_and_verify(page, "download-threshold", tmp_path / "threshold.json", cli_run)
    assert d["formulation"]["algebraic"]["format"] == "certify.algebraic-certificate"


def test_download_is_verifiable(page, tmp_path, cli_run):
    _tab(page, "Certificates")
    d = _download_and_verify(page, "download-point", tmp_path / "point.json", cli_run)
    assert d["instance"]["X"] == [[0.2], [0.9]]


def _upload(page, tmp_path, name: str, data: bytes) -> str:
    before = _text(page, ".upload-verdict") if page.locator(".upload-verdict").count() else ""
    f = tmp_path / name
    f.write_bytes(data)
    page.locator(".upload input[type=file]").set_input_files(str(f))
    deadline = time.time() + TIMEOUT_MS / 1000
    while time.time() < deadline:
        info = page.locator(".upload-verdict")
        if info.count() and name in page.locator(".upload-verdict").first.locator("xpath=../../..").inner_text():
            return info.first.inner_text().strip()
        time.sleep(0.1)
    raise AssertionError(f"no verdict for {name} (before: {before!r})")


def test_uploads_are_checked_by_the_kernel(page, tmp_path):
    from certify import rip

    cert = rip.counterexample([0.3, 0.6], [1.0, 0.0])
    good = cert.to_json().encode()
    assert _upload(page, tmp_path, "good.json", good) == "VALID"
    d = json.loads(good)
    d["delta"] = d["delta"] - 0.01  # a claim the operator does not support
    assert _upload(page, tmp_path, "tampered.json", json.dumps(d).encode()) == "INVALID"
    assert _upload(page, tmp_path, "malformed.json", b'{"format": "certify.certificate", ') == "REFUSED"
    assert _upload(page, tmp_path, "huge.json", b" " * (5 * 2**20)) == "REFUSED"
    assert "MiB" in page.locator(".upload-verdict").first.locator("xpath=../../..").inner_text()
    _shot(page, "certificates")


def test_server_kept_serving_and_wrote_nothing(page, server):
    assert server["proc"].poll() is None
    page.reload()
    page.locator(".delta-value").wait_for()
    assert abs(float(_text(page, ".delta-value")) - 0.5) <= 1e-6
    assert list(Path(server["cwd"]).iterdir()) == []
    text = server["log"].read_text()
    assert "Traceback" not in text and "callback failed" not in text, text[-3000:]
    assert page.outside == [], page.outside
    assert page.errors == [], page.errors
