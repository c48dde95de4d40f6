"""Moved to :mod:`certify.check.exact.claims` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .check.exact import claims as _moved

sys.modules[__name__] = _moved
