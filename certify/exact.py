"""Moved to :mod:`certify.check.exact.core` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .check.exact import core as _moved

sys.modules[__name__] = _moved
