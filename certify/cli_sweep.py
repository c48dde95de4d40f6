"""Moved to :mod:`certify.cli.sweep` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .cli import sweep as _moved

sys.modules[__name__] = _moved
