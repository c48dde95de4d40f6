"""Moved to :mod:`certify.check.operators` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .check import operators as _moved

sys.modules[__name__] = _moved
