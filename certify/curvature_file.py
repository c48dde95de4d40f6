"""Moved to :mod:`certify.check.curvature` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .check import curvature as _moved

sys.modules[__name__] = _moved
