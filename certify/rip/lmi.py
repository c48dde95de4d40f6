"""Moved to :mod:`certify.check.duality` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from ..check import duality as _moved

sys.modules[__name__] = _moved
