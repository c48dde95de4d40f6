"""The build-time helpers of the documentation (docs/_ext/certify_docs.py) and the README parser."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


helpers = _load("certify_docs", ROOT / "docs" / "_ext" / "certify_docs.py")
readme_test = _load("readme_test_module", Path(__file__).with_name("test_readme.py"))


def test_bars_are_escaped_outside_literals_only():
    line, state = helpers.escape_bars("no 1/|Ω|, ``|x| <= 1`` and |k|, ||Z||_2, | a | b |")
    assert line == r"no 1/\|Ω\|, ``|x| <= 1`` and \|k\|, ||Z||_2, | a | b |"
    assert state is False
    # a literal that runs over the end of the line
    lines = helpers.adapt_docstring(["when ``|k| <=", "LIMIT`` and |m|"])
    assert lines == ["when ``|k| <=", r"LIMIT`` and \|m\|"]


def test_literal_blocks_are_left_alone():
    lines = helpers.adapt_docstring(["Example::", "", "    f = |x| + REFERENCE", "", "after |y|"])
    assert lines[2] == "    f = |x| + REFERENCE"
    assert lines[4] == r"after \|y\|"


def test_reference_sections_link_to_the_mathematics_page():
    assert helpers.link_reference("(REFERENCE §1.4; JMLR19)") == "(:doc:`mathematics </mathematics>` §1.4; JMLR19)"
    assert helpers.link_reference("(REFERENCE 1.5)") == "(:doc:`mathematics </mathematics>` §1.5)"
    assert helpers.link_reference("(``../shared/REFERENCE.md`` notation)") == "(:doc:`mathematics </mathematics>` notation)"


def test_numpy_sections_are_made_readable_for_napoleon():
    doc = [
        "Summary.",
        "",
        "Parameters",
        "----------",
        "x : float",
        "    the point.",
        "",
        "Scale. A free paragraph.",
        "",
        "Raises",
        "------",
        "InputError : bad input,",
        "    on two lines.",
    ]
    out = helpers.adapt_docstring(doc)
    assert out[7:11] == ["Notes", "-----", "", "Scale. A free paragraph."]
    assert out[-3:] == ["InputError", "    bad input,", "    on two lines."]


def test_generated_tables_show_the_measured_results():
    sgd = helpers.sgd_table()
    assert "87,914" in sgd and "87,947" in sgd
    search = helpers.sharp_search_table()
    data = json.loads((ROOT / "results" / "sharp_search.json").read_text(encoding="utf-8"))
    assert search.count("\n| ") == len(data["rows"]) + 1  # header and one row per (r, r*)
    assert "successes / trials" in helpers.nimc_phase_table()
    assert "benchmarks/bench_sgd.py" in helpers.benchmarks_list()


def test_readme_section_extraction(tmp_path, monkeypatch):
    monkeypatch.setattr(helpers, "ROOT", tmp_path)
    (tmp_path / "README.md").write_text("# t\n\n## Performance\n\nfast.\n\n## Layout\n\nx\n", encoding="utf-8")
    assert helpers.readme_section("Performance") == "fast.\n"
    assert helpers.readme_section("Missing") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("```python\nx = 1\n```\n", [("python", "x = 1\n", False)]),
        ("```bash quick\nls\n```\n", [("bash quick", "ls\n", True)]),
        ("<!-- quick -->\n```bash\nls\n```\n", [("bash", "ls\n", True)]),
        ("````md\n```python\nnot a block\n```\n````\n", [("md", "```python\nnot a block\n```\n", False)]),
    ],
)
def test_readme_fences_are_parsed(text, expected):
    blocks = readme_test.fenced_blocks(text)
    assert [(b.info, b.code, b.quick) for b in blocks] == expected


def test_docstring_markup_problems_are_listed_not_counted(tmp_path, monkeypatch):
    import logging

    f = helpers._DocstringProblems()
    record = logging.LogRecord("sphinx.x", logging.WARNING, "", 0, "Malformed table.", None, None)
    record.type = "docutils"
    record.location = "/repo/certify/check/loader.py:docstring of certify.check.loader:8"
    assert f.filter(record) is False
    assert f.problems == ["/repo/certify/check/loader.py:docstring of certify.check.loader:8: Malformed table."]
    page = logging.LogRecord("sphinx.x", logging.WARNING, "", 0, "Title underline too short.", None, None)
    page.type = "docutils"
    page.location = "/repo/docs/mathematics.md:12"
    assert f.filter(page) is True  # a page's own problem stays a warning (an error with -W)
    listed = tmp_path / "problems.txt"
    listed.write_text("\n".join(f.problems) + "\n", encoding="utf-8")
    monkeypatch.setenv(helpers.PROBLEMS_ENV, str(listed))
    assert helpers._verbatim_from_env() == {"certify.check.loader"}
