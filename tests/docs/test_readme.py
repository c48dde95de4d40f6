"""The README runs as written.

Every ```python block of README.md runs as a script (``python block.py``, as a reader would save
and run it: a ``if __name__ == "__main__":`` guard behaves as for them) in a fresh temporary
folder, and so does every shell block marked quick (info string ```bash quick, or a
``<!-- quick -->`` comment on the line before the fence).  The folder holds a copy of the
repository's ``counterexamples/``, as a reader working in a checkout has it.  The first two
commands, the set-up, are checked for their form (they install the package: not run here).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SETUP = [
    "pip install . && certify example zhang2018",
    'pip install ".[test]" && python -m pytest',
]
TIMEOUT = 300  # seconds per block; the slowest Python block takes about 20 s on 2 cores


@dataclass
class Block:
    info: str  # the fence's info string, e.g. "python" or "bash quick"
    code: str
    line: int  # line of the opening fence (1-based)
    quick_comment: bool  # a <!-- quick --> comment on the line before the fence

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def quick(self) -> bool:
        return "quick" in self.info.split()[1:] or self.quick_comment

    @property
    def id(self) -> str:
        return f"{self.language or 'text'}-line{self.line}"


def fenced_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text (``` or ~~~ fences, any length >= 3)."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^( {0,3})(`{3,}|~{3,})\s*(.*)$", lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
        prev = lines[i - 1].strip() if i > 0 else ""
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not re.match(rf"^ {{0,3}}{fence[0]}{{{len(fence)},}}\s*$", lines[j]):
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        blocks.append(Block(info, "\n".join(body) + "\n", i + 1, prev == "<!-- quick -->"))
        i = j + 1
    return blocks


BLOCKS = fenced_blocks(README.read_text(encoding="utf-8"))
PYTHON = [b for b in BLOCKS if b.language in ("python", "py")]
QUICK_SHELL = [b for b in BLOCKS if b.language in ("bash", "sh", "shell", "console") and b.quick]


def workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "counterexamples", tmp_path / "counterexamples")
    return tmp_path


def environment() -> dict:
    env = dict(os.environ)
    env["MPLBACKEND"] = "Agg"
    # the `certify` command and `python` of the environment running the tests come first
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("PYTHONPATH", None)  # the installed package, as for a reader
    return env


def run(cmd: list[str], cwd: Path, what: str) -> subprocess.CompletedProcess:
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} did not finish in {TIMEOUT} s")
    if proc.returncode != 0:
        out, err = proc.stdout[-4000:], proc.stderr[-4000:]
        pytest.fail(f"{what} exited {proc.returncode}\n--- stdout ---\n{out}\n--- stderr ---\n{err}")
    return proc


def test_readme_has_blocks_to_run():
    assert len(PYTHON) >= 2, "the README's tour has Python blocks"
    assert QUICK_SHELL, "the README marks its quick shell blocks (```bash quick)"


def test_readme_starts_with_the_two_setup_commands():
    text = README.read_text(encoding="utf-8")
    first = fenced_blocks(text)[0]
    before = text[: text.index("```")]
    assert before.strip().startswith("# certify") and before.strip().count("\n") == 0, "the set-up comes first"
    commands = [line.strip() for line in first.code.splitlines() if line.strip()]
    assert commands == SETUP
    # the second command is the one CI runs (in a fresh virtual environment)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install ".[test]"' in ci and "python -m pytest" in ci


def test_readme_sends_no_one_outside_the_repository():
    text = README.read_text(encoding="utf-8")
    assert "../shared" not in text and "REFERENCE" not in text


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_block_runs_as_written(block, tmp_path):
    cwd = workdir(tmp_path)
    script = cwd / f"readme_{block.id}.py"
    script.write_text(block.code, encoding="utf-8")
    run([sys.executable, script.name], cwd, f"README.md's Python block at line {block.line}")


@pytest.mark.parametrize("block", QUICK_SHELL, ids=[b.id for b in QUICK_SHELL])
def test_quick_shell_block_runs_as_written(block, tmp_path):
    cwd = workdir(tmp_path)
    script = cwd / f"readme_{block.id}.sh"
    # every command must succeed: errexit, and a failing command in a pipe fails the block
    script.write_text("set -euo pipefail\n" + block.code, encoding="utf-8")
    run(["bash", script.name], cwd, f"README.md's shell block at line {block.line}")
