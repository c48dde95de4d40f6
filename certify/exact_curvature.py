"""Moved to :mod:`certify.check.exact.curvature` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .check.exact import curvature as _moved

sys.modules[__name__] = _moved
