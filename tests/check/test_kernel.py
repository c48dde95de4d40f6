"""The trusted kernel stands alone: certify.check imports no solver, SciPy, numba, matplotlib and
nothing solver-side, and verifies (float and exact) every catalog file in that state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN_TOP = ("cvxpy", "scipy", "numba", "matplotlib", "clarabel", "scs", "mosek", "sklearn", "tqdm", "dask")
FORBIDDEN_CERTIFY = ("certify.rip", "certify.sensing", "certify.sweep", "certify.sgd", "certify.cli", "certify.nimc",
                     "certify.nmf", "certify.nonconvex", "certify.validation", "certify.solvers", "certify.catalog")

_SCRIPT = """
import json, sys
from pathlib import Path
import certify.check
from certify.check import load, load_curvature
from certify.check.exact import verify_certificate_exact
out = {"float": {}, "exact": {}}
for f in sorted(Path(sys.argv[1]).glob("*.json")):
    c = load(f)
    out["float"][f.name] = c.verify().ok
    out["exact"][f.name] = verify_certificate_exact(c).outcome
top = sorted({m.split(".")[0] for m in sys.modules})
out["modules"] = sorted(m for m in sys.modules if m.startswith("certify"))
out["top"] = top
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def fresh():
    pytest.importorskip("flint", reason="needs python-flint (certify[exact])")
    res = subprocess.run([sys.executable, "-c", _SCRIPT, str(ROOT / "counterexamples")], capture_output=True,
                         text=True, cwd=ROOT, check=False)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_kernel_imports_no_solver_side_module(fresh):
    assert not [m for m in fresh["top"] if m in FORBIDDEN_TOP]
    assert not [m for m in fresh["modules"] if m.startswith(FORBIDDEN_CERTIFY)]


def test_kernel_alone_verifies_every_catalog_file(fresh):
    assert fresh["float"] and all(fresh["float"].values()), fresh["float"]
    assert set(fresh["exact"].values()) == {"proved"}, fresh["exact"]


def test_plain_import_of_the_kernel_is_light():
    code = "import sys, certify.check; print(' '.join(sorted(m for m in sys.modules)))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    mods = res.stdout.split()
    assert not [m for m in mods if m.split(".")[0] in FORBIDDEN_TOP + ("flint",)]
    assert not [m for m in mods if m.startswith(FORBIDDEN_CERTIFY)]


def test_the_kernel_does_not_import_the_solver_side_statically():
    """No module under certify/check names a solver-side package in an import statement."""
    offenders = []
    for p in (ROOT / "certify" / "check").rglob("*.py"):
        for i, line in enumerate(p.read_text().splitlines(), 1):
            s = line.strip()
            if s.startswith(("import ", "from ")) and any(
                    f" {name}" in s or f"{name}." in s for name in FORBIDDEN_TOP + ("..rip", "..sweep", "..sgd", "..nimc",
                                                                                 "..nmf", "..cli", "..solvers")):
                offenders.append(f"{p.relative_to(ROOT)}:{i}: {s}")
    assert not offenders, offenders


def test_no_function_in_the_kernel_is_longer_than_80_lines():
    import ast

    long = []
    for p in (ROOT / "certify" / "check").rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 80:
                long.append(f"{p.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long, long
