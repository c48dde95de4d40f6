"""The documentation site, opened in a browser.

Builds the site with ``docs/build`` (incremental; warnings are errors), serves ``docs/_build/html``
with Python's ``http.server`` on 127.0.0.1 (a free port) and opens it in headless Chromium —
Debian's ``chromium`` driven by Playwright's Python package (Playwright's own browser download is
never used).  Checks: every page reachable from the front page loads, no internal link is broken
(fragments included), every image is loaded (the notebook pages have their figures), MathJax has
rendered the mathematics page, no page asks for anything outside the site, no page mentions a path
outside the repository.  A screenshot of the front page is written to ``docs/screenshots/front.png``
when it is missing or when ``CERTIFY_UPDATE_SCREENSHOTS=1``.

The ``browser`` fixture (``tests/conftest.py``) is Debian's chromium through Playwright.
Skipped, with the reason, only when Playwright or Chromium cannot be had (``.ci/run`` installs
both: ``pip install ".[test]"`` and ``apt-get install chromium``).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HTML = DOCS / "_build" / "html"
SCREENSHOT = DOCS / "screenshots" / "front.png"
MAX_PAGES = 500  # the crawl is bounded (the site has about 40 pages)


@pytest.fixture(scope="module")
def site(browser):
    """Build the site (incremental) and serve it on 127.0.0.1; yields the base URL."""
    pytest.importorskip("sphinx", reason="the docs dependencies are missing: pip install '.[test]'")
    env = dict(os.environ, PYTHON=sys.executable)
    env.pop("MPLBACKEND", None)  # notebooks executed by the build show their figures inline
    proc = subprocess.run(["bash", str(DOCS / "build")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"docs/build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
    assert (HTML / "index.html").exists()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def crawl(browser, site):
    """Visit every internal page reachable from the front page; returns what was seen."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    failed: list[str] = []

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            r.continue_()
        else:  # nothing outside the site: the test has no network, and the site must not need one
            outside.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))
    page.on("requestfailed", lambda req: failed.append(f"{req.url} ({req.failure})"))
    page.on("response", lambda resp: resp.status >= 400 and failed.append(f"{resp.url} (HTTP {resp.status})"))

    pages: dict[str, dict] = {}
    links: list[tuple[str, str]] = []  # (page, absolute href)
    queue = deque([site + "index.html"])
    seen = {site + "index.html"}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = page.goto(url, wait_until="load")
        status = response.status if response else None
        info = page.evaluate(
            """() => ({
                title: document.title,
                ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id)
                      .concat(Array.from(document.querySelectorAll('a[name]')).map(e => e.getAttribute('name'))),
                hrefs: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
                images: Array.from(document.images).map(i => ({src: i.currentSrc || i.src, complete: i.complete,
                                                               width: i.naturalWidth})),
                text: document.body.innerText,
            })"""
        )
        info["status"] = status
        pages[url] = info
        for href in info["hrefs"]:
            if not href.startswith(site):
                continue
            links.append((url, href))
            target = urldefrag(href)[0]
            if target.endswith(".html") and target not in seen:
                seen.add(target)
                queue.append(target)
    yield {"site": site, "pages": pages, "links": links, "outside": outside, "failed": failed,
           "errors": errors, "context": context}
    context.close()


def test_every_page_loads(crawl):
    pages = crawl["pages"]
    assert len(pages) >= 30, sorted(pages)
    bad = {u: p["status"] for u, p in pages.items() if p["status"] != 200}
    assert not bad, bad
    assert not crawl["errors"], crawl["errors"]
    assert not crawl["failed"], crawl["failed"]
    for name in ("getting-started", "mathematics", "reproduction", "certificate-format", "certificate-schema",
                 "architecture", "cli", "api/index", "api/check", "api/rip", "api/sgd", "api/nimc", "api/nmf",
                 "api/sweep", "notebooks", "performance", "mosek", "about", "changelog"):
        assert crawl["site"] + f"{name}.html" in pages, f"{name}.html is not linked from the site"


def test_no_broken_internal_link(crawl):
    site, pages = crawl["site"], crawl["pages"]
    broken = []
    for source, href in crawl["links"]:
        target, fragment = urldefrag(href)
        rel = target[len(site):]
        if target.endswith(".html") or target.endswith("/"):
            if target not in pages:
                broken.append(f"{source} -> {href} (page not reached)")
                continue
            if fragment and fragment not in pages[target]["ids"]:
                broken.append(f"{source} -> {href} (no element with id {fragment!r})")
        elif not (HTML / rel).is_file():  # a download or a static file
            broken.append(f"{source} -> {href} (no such file)")
    assert not broken, "\n".join(broken)


def test_nothing_is_fetched_from_outside(crawl):
    assert not crawl["outside"], crawl["outside"]


def test_images_are_loaded_and_notebooks_have_figures(crawl):
    site, pages = crawl["site"], crawl["pages"]
    unloaded = [f"{u}: {i['src']}" for u, p in pages.items() for i in p["images"] if not i["complete"] or i["width"] <= 0]
    assert not unloaded, unloaded
    notebooks = sorted(u for u in pages if u.startswith(site + "notebooks/"))
    stems = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert [urlparse(u).path.rsplit("/", 1)[-1][: -len(".html")] for u in notebooks] == stems
    for url in notebooks:
        figures = [i for i in pages[url]["images"] if "_images/" in i["src"]]
        assert figures, f"{url} shows no figure"
        assert all(i["width"] > 0 for i in figures)


def test_mathematics_page_is_rendered_by_mathjax(crawl):
    page = crawl["context"].new_page()
    page.goto(crawl["site"] + "mathematics.html", wait_until="load")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")
    rendered = page.evaluate("() => document.querySelectorAll('mjx-container').length")
    errors = page.evaluate("() => document.querySelectorAll('mjx-merror, [data-mjx-error]').length")
    text = page.evaluate("() => document.body.innerText")
    page.close()
    assert rendered >= 100, rendered  # every formula of the page, inline and displayed
    assert errors == 0
    for needle in ("The counterexample SDP", "Lemma 9", "Theorem 12", "curvature SDP", "87,947", "NIMC", "star-convexity"):
        assert needle in text, needle


def test_no_page_mentions_a_path_outside_the_repository(crawl):
    bad = [u for u, p in crawl["pages"].items() if "shared/REFERENCE" in p["text"] or "REFERENCE §" in p["text"]
           or "../shared" in p["text"]]
    assert not bad, bad


def test_front_page_screenshot(crawl, tmp_path):
    page = crawl["context"].new_page()
    page.goto(crawl["site"] + "index.html", wait_until="load")
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
    page.evaluate("() => MathJax.startup.promise")  # the formulas of the front page are typeset
    shot = tmp_path / "front.png"
    page.screenshot(path=str(shot))
    page.close()
    assert shot.stat().st_size > 10_000  # a rendered page, not a blank one
    if not SCREENSHOT.exists() or os.environ.get("CERTIFY_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
