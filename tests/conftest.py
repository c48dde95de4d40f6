import warnings

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
