"""What a reader is given — the README, the documentation pages, every ``--help`` text — points
inside the repository: never to ``../shared/`` or to a REFERENCE file outside it (the mathematics
is docs/mathematics.md)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\.\./shared|shared/REFERENCE|REFERENCE\.md|\bREFERENCE\s*§?\s*\d")


def help_texts(parser: argparse.ArgumentParser, prog: str = "certify"):
    yield prog, parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from help_texts(sub, f"{prog} {name}")


def test_every_help_text_points_inside_the_repository():
    from certify.cli import build_parser

    texts = dict(help_texts(build_parser()))
    assert len(texts) > 10
    bad = {prog: OUTSIDE.findall(text) for prog, text in texts.items() if OUTSIDE.search(text)}
    assert not bad, bad


@pytest.mark.parametrize(
    "path",
    [ROOT / "README.md", ROOT / "CITATION.cff", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs").glob("api/*.md"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_readme_and_docs_point_inside_the_repository(path):
    found = OUTSIDE.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)}: {found}"
