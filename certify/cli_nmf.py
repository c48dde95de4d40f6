"""Moved to :mod:`certify.cli.nmf` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .cli import nmf as _moved

sys.modules[__name__] = _moved
