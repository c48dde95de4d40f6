"""Moved to :mod:`certify.check.format` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .check import format as _moved

sys.modules[__name__] = _moved
