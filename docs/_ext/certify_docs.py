"""Build-time helpers of the certify documentation (a local Sphinx extension).

Everything the site shows that lives outside ``docs/`` is brought in here, when the configuration
is read, so that the pages never disagree with the repository:

* ``notebooks/*.ipynb`` are copied to ``docs/notebooks/`` (Sphinx reads sources under ``docs/``
  only; the copies are ignored by git);
* the tables of measured results (``results/*.json``) are rendered to Markdown in
  ``docs/_generated/`` and included by ``reproduction.md``;
* the README's *Performance* section and the docstrings of ``benchmarks/*.py`` are copied to
  ``docs/_generated/`` and included by ``performance.md``;
* the API pages list every module of each package (``docs/_generated/api/*.md``), so that a new
  module appears in the reference by itself;
* MathJax is copied from the ``docs`` extra (``django-static-mathjax``, a plain copy of MathJax 3)
  into ``_static/mathjax/``, so that the site renders equations offline.

Files are rewritten only when their content changes (Sphinx then rebuilds only what changed).
"""

from __future__ import annotations

import ast
import json
import logging
import math
import os
import re
import shutil
import sys
from importlib import resources
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
MATHJAX_FILE = "tex-svg-full.js"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def copy_notebooks() -> list[str]:
    """Mirror ``notebooks/*.ipynb`` into ``docs/notebooks/``; returns the notebook stems."""
    src, dst = ROOT / "notebooks", DOCS / "notebooks"
    dst.mkdir(exist_ok=True)
    names = sorted(p.name for p in src.glob("*.ipynb"))
    for stale in dst.glob("*.ipynb"):
        if stale.name not in names:
            stale.unlink()
    for name in names:
        data = _link_reference_in_notebook((src / name).read_bytes())
        if not (dst / name).exists() or (dst / name).read_bytes() != data:
            (dst / name).write_bytes(data)
    return [Path(n).stem for n in names]


def _link_reference_in_notebook(data: bytes) -> bytes:
    """In the site's copy, "REFERENCE §1.4" in a Markdown cell links to the mathematics page."""
    if b"REFERENCE" not in data:
        return data
    nb = json.loads(data.decode("utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = _REFERENCE.sub(
                lambda m: "[the mathematics" + (f", §{m.group(2)}" if m.group(2) else "") + "](../mathematics.md)", text
            )
    return (json.dumps(nb, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def copy_mathjax() -> str | None:
    """Copy MathJax's self-contained ``tex-svg-full.js`` into ``_static/mathjax``; returns the
    ``mathjax_path`` (relative to ``_static``), or None when the ``docs`` extra is missing."""
    try:
        data = (resources.files("mathjax") / "static" / "mathjax" / "es5" / MATHJAX_FILE).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return None
    target = DOCS / "_static" / "mathjax" / MATHJAX_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_bytes() != data:
        target.write_bytes(data)
    return f"mathjax/{MATHJAX_FILE}"


def readme_section(title: str) -> str | None:
    """The body of the README's ``## <title>`` section (without its heading), or None."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}[^\n]*\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    return match.group(1).strip() + "\n" if match else None


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def sgd_table() -> str:
    """The SGD reproduction (``results/zhang2018_sgd_reproduction.json``) as a Markdown table."""
    data = json.loads((ROOT / "results" / "zhang2018_sgd_reproduction.json").read_text(encoding="utf-8"))
    pub = data["published"]
    lines = [
        f"Measured on: {data.get('machine', 'unknown')}; seed {data.get('seed')}. "
        f"Published: {_fmt_int(pub['successes'])} successes in {_fmt_int(pub['trials'])} trials "
        f"({pub['success_rate']:.4f}).",
        "",
        "| protocol | η | trials | successes | rate | 95 % CI | published inside CI | at x̂ | diverged | other |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        lo, hi = row["ci95"]
        inside = "yes" if lo <= pub["success_rate"] <= hi else "no"
        eta = row["protocol"]["step_size"]
        label = f"**{row['label']}**" if row["label"] == "main protocol" else row["label"]
        lines.append(
            f"| {label} | {eta:.4g} | {_fmt_int(row['trials'])} | {_fmt_int(row['successes'])} | "
            f"{row['success_rate']:.4f} | [{lo:.4f}, {hi:.4f}] | {inside} | {row['spurious_rate']:.4f} | "
            f"{row['diverged_rate']:.4f} | {row['other_rate']:.4f} |"
        )
    return "\n".join(lines) + "\n"


def sharp_search_table() -> str:
    """The threshold search (``results/sharp_search.json``) as a Markdown table."""
    data = json.loads((ROOT / "results" / "sharp_search.json").read_text(encoding="utf-8"))
    lines = [
        f"Measured on: {data.get('machine', 'unknown')}.",
        "",
        "| r | r* | n | published | found δ (upper) | certified δ lower | found − published | "
        "sufficient condition 1/(1 + √(r*/r)) | reading | restarts within 1e-3 | SDPs | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        r, rs = row["r"], row["r_star"]
        suff = 1.0 / (1.0 + math.sqrt(rs / r))
        if row["kind"] == "sharp":
            reading = "published threshold found (sharp)"
        else:
            reading = "**below the published counterexamples**, at the sufficient condition"
        lines.append(
            f"| {r} | {rs} | {row['n']} | {row['published']:.9f} | {row['delta']:.9f} | "
            f"{row['delta_lower']:.9f} | {row['difference']:+.2e} | {suff:.9f} | {reading} | "
            f"{row['restarts_within_1e-3']}/{row['restarts']} | {row['sdps']} | {row['seconds']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def nimc_phase_table(name: str = "nimc_phase_transition.json") -> str:
    """Success counts of the NIMC phase-transition experiment, one table per activation."""
    data = json.loads((ROOT / "results" / name).read_text(encoding="utf-8"))
    out = [f"Measured on: {data.get('machine', 'unknown')}; settings: "
           + ", ".join(f"{k} = {v}" for k, v in data["settings"].items() if v is not None) + ".", ""]
    for act in sorted({r["activation"] for r in data["results"]}):
        rows = [r for r in data["results"] if r["activation"] == act]
        ns = sorted({r["n"] for r in rows})
        ms = sorted({r["m"] for r in rows})
        cell = {(r["n"], r["m"]): f"{r['successes']}/{r['trials']}" for r in rows}
        out.append(f"**{act}** (successes / trials; rows n, columns m)")
        out.append("")
        out.append("| n \\ m | " + " | ".join(str(m) for m in ms) + " |")
        out.append("|---|" + "---|" * len(ms))
        for n in ns:
            out.append(f"| {n} | " + " | ".join(cell.get((n, m), "") for m in ms) + " |")
        out.append("")
    return "\n".join(out)


def benchmarks_list() -> str:
    """One section per ``benchmarks/*.py``: the first paragraph of its docstring and the command
    lines it documents (lines starting with ``python ``)."""
    out = []
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        try:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        except SyntaxError:
            doc = ""
        summary = " ".join(doc.split("\n\n")[0].split()) or "(no docstring)"
        summary = re.sub(r":\w+:`~?([^`]+)`", r"``\1``", summary)  # reST roles -> code
        commands = [line.strip() for line in doc.splitlines() if line.strip().startswith("python ")]
        out += [f"### `benchmarks/{path.name}`", "", summary, ""]
        if commands:
            out += ["```bash", *commands, "```", ""]
    return "\n".join(out) if out else "*No benchmark scripts yet.*\n"


# --- the API reference -----------------------------------------------------------------------
API_PACKAGES = ("check", "rip", "sgd", "nimc", "nmf", "sweep", "explore")


def api_modules(package: str) -> list[str]:
    """The modules of ``certify.<package>`` to document, in file order: every ``.py`` file but
    private ones (``_name.py``) and the one-release aliases (modules that replace themselves in
    ``sys.modules`` by their new location, documented there)."""
    base = ROOT / "certify" / package
    names = []
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(part.startswith("_") for part in parts) or "__pycache__" in path.parts:
            continue
        if "sys.modules[__name__] =" in path.read_text(encoding="utf-8"):
            continue
        names.append(".".join(parts))
    return names


def api_page(package: str) -> str:
    """The generated part of ``api/<package>.md``: the package docstring, then every module with
    its members, each object once, under the module that defines it."""
    modules = api_modules(package)
    top = f"certify.{package}"
    # :ignore-module-all: documents the objects a module defines, not those it re-exports
    out = ["```{eval-rst}", f".. automodule:: {top}", "   :members:", "   :ignore-module-all:", ""]
    for name in modules:
        if name == top:
            continue
        out += [name, "-" * len(name), "", f".. automodule:: {name}", "   :members:", "   :ignore-module-all:", ""]
    out.append("```")
    return "\n".join(out) + "\n"


def other_schemas() -> str:
    """Every ``docs/*.schema.json`` but the main one (formats of other certificate kinds)."""
    out = []
    for path in sorted(DOCS.glob("*.schema.json")):
        if path.name == "certificate.schema.json":
            continue
        try:
            title = json.loads(path.read_text(encoding="utf-8")).get("title", path.name)
        except (ValueError, AttributeError):
            title = path.name
        out += [f"### `{path.name}`", "", f"{title}. Download: {{download}}`{path.name} </{path.name}>`.", "",
                f"```{{literalinclude}} /{path.name}", ":language: json", "```", ""]
    return "\n".join(out) if out else "*No other schema.*\n"


def has_outputs(path: Path) -> bool:
    """Whether a notebook carries stored outputs (any code cell with an output)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any(cell.get("outputs") for cell in nb.get("cells", []) if cell.get("cell_type") == "code")


def generate() -> dict:
    """Write every generated file; returns configuration values for ``conf.py``."""
    notebooks = copy_notebooks()
    perf = readme_section("Performance")
    _write(
        GENERATED / "performance_readme.md",
        perf if perf is not None else "*The README has no Performance section yet.*\n",
    )
    _write(GENERATED / "benchmarks.md", benchmarks_list())
    _write(GENERATED / "other_schemas.md", other_schemas())
    for package in API_PACKAGES:
        _write(GENERATED / "api" / f"{package}.md", api_page(package))
    _write(GENERATED / "sgd_table.md", sgd_table())
    _write(GENERATED / "sharp_search_table.md", sharp_search_table())
    _write(GENERATED / "nimc_phase_table.md", nimc_phase_table())
    for png in ("nimc_phase_transition.png",):
        src = ROOT / "results" / png
        dst = GENERATED / png
        if src.exists() and (not dst.exists() or dst.read_bytes() != src.read_bytes()):
            shutil.copyfile(src, dst)
    with_outputs = [stem for stem in notebooks if has_outputs(DOCS / "notebooks" / f"{stem}.ipynb")]
    return {
        "notebooks": notebooks,
        "notebooks_with_outputs": with_outputs,
        "mathjax_path": copy_mathjax(),
        "has_performance": perf is not None,
    }


# --- docstrings --------------------------------------------------------------------------------
# certify's docstrings are plain text with reST inline markup (``literals``, :func:`roles`) and
# NumPy-style sections.  Two plain-text habits are not valid reST; they are adapted here, before
# napoleon reads the docstring, rather than forcing reST on the formulas:
#
# * ``|Ω|`` (an absolute value or a cardinality) outside a literal is a reST substitution
#   reference: the bars are escaped;
# * a free paragraph after a NumPy "Parameters" list (e.g. "Scale. ...") would be read as one more
#   parameter: a "Notes" heading is put before it;
# * "InputError : when ..." in a "Raises" section is written as numpydoc has it (the exception,
#   then its description indented), which napoleon reads.
#
# Docstrings cite the sections of the mathematics page as "REFERENCE §1.4" (the page's numbering);
# on the site these become links to that page.

_REFERENCE = re.compile(r"(?:``)?(?:\.\./shared/)?REFERENCE(?:\.md)?(?:``)?(\s*§?\s*(\d(?:\.\d)?))?")


def link_reference(line: str) -> str:
    """``REFERENCE §1.4`` -> a link to the mathematics page, section 1.4."""
    return _REFERENCE.sub(
        lambda m: ":doc:`mathematics </mathematics>`" + (f" §{m.group(2)}" if m.group(2) else ""), line
    )

_SUBST = re.compile(r"(?<![\\`|\w])\|(?=[^\s|])([^|`\n]*?[^\s|\\])\|(?![\w|])")
_PARAM = re.compile(r"^\*{0,2}[A-Za-z_][\w.]*(\s*,\s*\*{0,2}[A-Za-z_][\w.]*)*\s*(:.*)?$")
_SECTION = re.compile(r"^\s*-{3,}\s*$")
_RAISES_ITEM = re.compile(r"^([A-Z]\w*(?:\.\w+)*)\s+:\s+(.*)$")


def escape_bars(line: str, in_literal: bool = False) -> tuple[str, bool]:
    """Escape ``|x|`` outside inline literals (certify uses no reST substitution).  An inline
    literal may run over the end of the line: ``in_literal`` carries that state between lines."""
    parts = line.split("``")
    for i in range(len(parts)):
        if (i % 2 == 1) == in_literal:  # outside a literal
            parts[i] = _SUBST.sub(r"\\|\1\\|", parts[i])
    return "``".join(parts), in_literal ^ (len(parts) % 2 == 0)


def adapt_docstring(lines: list[str]) -> list[str]:
    """The two adaptations above, skipping literal blocks (after ``::``) and doctest lines."""
    out: list[str] = []
    literal_indent: int | None = None
    in_params = in_raises = False
    in_literal = False
    previous_blank = True
    for k, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None and stripped and indent <= literal_indent:
            literal_indent = None
        nxt = lines[k + 1] if k + 1 < len(lines) else ""
        if _SECTION.match(nxt):
            in_params = stripped in ("Parameters", "Other Parameters", "Attributes")
            in_raises = stripped in ("Raises", "Warns")
        elif in_raises and indent == 0 and _RAISES_ITEM.match(stripped):
            name, text = _RAISES_ITEM.match(stripped).groups()
            out.append(name)
            line = "    " + text
        elif (in_params and stripped and indent == 0 and previous_blank and not _SECTION.match(line)
              and not _PARAM.match(stripped) and literal_indent is None):
            out += ["Notes", "-----", ""]
            in_params = False
        if literal_indent is None and not stripped.startswith(">>>"):
            line, in_literal = escape_bars(line, in_literal and not previous_blank)
            line = link_reference(line)
        out.append(line)
        if literal_indent is None and stripped.endswith("::"):
            literal_indent = indent
        previous_blank = not stripped
    return out


# reST problems inside docstrings.  A docstring is written by whoever writes the code, often as
# plain text; its markup problems must not stop the site from being built (every other warning
# does).  They are collected here instead of counted as warnings, written to
# _build/docstring-problems.txt and printed at the end; docs/build then builds once more with those
# docstrings shown verbatim (PROBLEMS_ENV names the file), so that no page shows mangled text.
PROBLEMS_FILE = "docstring-problems.txt"
PROBLEMS_ENV = "CERTIFY_DOCS_VERBATIM"
_DOCSTRING_OF = re.compile(r"docstring of ([\w.]+)")


class _DocstringProblems(logging.Filter):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        location = str(getattr(record, "location", "") or "")
        if getattr(record, "type", "") == "docutils" and _DOCSTRING_OF.search(location):
            self.problems.append(f"{location}: {record.getMessage()}")
            return False  # not a warning of the build (listed instead)
        return True


_problems = _DocstringProblems()


def _verbatim_from_env() -> set[str]:
    path = os.environ.get(PROBLEMS_ENV)
    if not path or not Path(path).is_file():
        return set()
    text = Path(path).read_text(encoding="utf-8")
    return {m.group(1) for m in _DOCSTRING_OF.finditer(text)}


_VERBATIM_OBJECTS = _verbatim_from_env()


def _report_problems(app, exception):
    target = Path(app.outdir).parent / PROBLEMS_FILE
    if _problems.problems:
        target.write_text("\n".join(_problems.problems) + "\n", encoding="utf-8")
        print(f"certify docs: {len(_problems.problems)} reST problem(s) in docstrings (listed in {target}):",
              file=sys.stderr)
        for line in _problems.problems:
            print(f"  {line}", file=sys.stderr)
    elif target.exists():
        target.unlink()


def _process_docstring(app, what, name, obj, options, lines):
    if name in _VERBATIM_OBJECTS:
        lines[:] = ["::", ""] + [f"    {line}" if line else "" for line in lines]
        return
    lines[:] = adapt_docstring(lines)


def setup(app):
    # priority 100: before napoleon (500), which turns the NumPy sections into field lists
    app.connect("autodoc-process-docstring", _process_docstring, priority=100)
    app.connect("build-finished", _report_problems)
    for handler in logging.getLogger("sphinx").handlers:  # ahead of the filter that counts warnings
        if handler.level >= logging.WARNING:
            handler.filters.insert(0, _problems)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
