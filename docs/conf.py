"""Sphinx configuration of the certify documentation site.

Build it with ``docs/build`` (one command: HTML in ``docs/_build/html``, warnings are errors).
Why Sphinx and these extensions: ``about.md``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # document the checkout, not some other installed copy

from certify import __version__  # noqa: E402

project = "certify"
author = "The certify developers"
copyright = "The certify developers (MIT licence)"  # noqa: A001 (Sphinx's name)
version = release = __version__

extensions = [
    "myst_nb",  # Markdown (MyST) and notebooks; includes myst_parser
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinxarg.ext",  # the CLI reference from certify.cli.build_parser
    "certify_docs",
]

source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "build", "screenshots", "_ext", "_generated", "README.md", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# --- MyST -------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

# --- notebooks --------------------------------------------------------------------------------
# notebooks/*.ipynb carry their outputs: they are rendered as stored.  A notebook stored without
# any output is executed during the build (each runs in under a minute); the others are excluded
# from execution (set below, once the extension has looked at them).
nb_execution_mode = "force"
nb_execution_timeout = 180
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"  # the notebooks display Markdown tables (commonmark has none)

# notebooks, result tables, the README's Performance section and MathJax are brought in from the
# repository by the local extension _ext/certify_docs.py (its docstring says what and why)
sys.path.insert(0, str(DOCS / "_ext"))
import certify_docs  # noqa: E402

_generated = certify_docs.generate()
nb_execution_excludepatterns = [f"notebooks/{stem}.ipynb" for stem in _generated["notebooks_with_outputs"]]
# an executed notebook finds the repository's measured results through this
os.environ.setdefault("CERTIFY_RESULTS", str(ROOT / "results"))

# --- API reference ----------------------------------------------------------------------------
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_inherit_docstrings = False
napoleon_numpy_docstring = True
napoleon_google_docstring = True

# --- HTML -------------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"certify {release}"
html_static_path = ["_static"]
html_css_files = ["certify.css"]
html_show_sourcelink = False
html_last_updated_fmt = None

# MathJax is served from the site itself (no CDN), so that the site renders equations offline and
# in the browser test (no network).  Without the `docs` extra, Sphinx's default (a CDN) is used.
if _generated["mathjax_path"]:
    mathjax_path = _generated["mathjax_path"]
mathjax3_config = {"tex": {"tags": "ams"}, "svg": {"fontCache": "global"}}

nitpicky = False
suppress_warnings = [
    # a docstring's relative role such as :mod:`.model` matches certify.nimc.model and
    # certify.nmf.model; Sphinx links the first.  Unresolved references do not warn (not nitpicky).
    "ref.python",
    # a JSON example with "..." in it is shown without colours, not refused
    "misc.highlighting_failure",
]
