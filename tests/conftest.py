import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _quiet_inaccurate():
    # Clarabel sometimes reports "optimal_inaccurate" on near-degenerate instances; certify keeps
    # such answers only when its own primal/dual check passes, and warns.  Tests check the numbers.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*reported 'optimal_inaccurate'.*")
        yield


@pytest.fixture
def zhang():
    return np.array([0.0, 1.0 / np.sqrt(2.0)]), np.array([1.0, 0.0])


@pytest.fixture
def cli_run(capsys):
    """``cli_run(*argv) -> (exit code, stdout, stderr)``: ``certify.cli.main(argv)`` in this process.

    Arguments are passed through ``str`` (paths may be given as they are).  Fails the test if
    ``main`` raises (it must not, not even ``SystemExit``) or if a traceback is printed."""
    from certify.cli import main

    def run(*argv: object) -> tuple[int, str, str]:
        capsys.readouterr()  # only this command's output
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:
            pytest.fail(f"certify.cli.main raised SystemExit({exc.code!r})")
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err, err
        return code, out, err

    return run


#: flags of the headless system chromium (no network of its own: no updates, sync or first-run pages)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """Debian's ``chromium`` (never Playwright's own browser download)."""
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Playwright's Python package (tests/docs, tests/explore);
    skipped, with the reason, only when either cannot be had (``.ci/run`` installs both)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright's Python package is not installed: pip install '.[test]'")
    executable = chromium_path()
    if executable is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium (.ci/run does it)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()
