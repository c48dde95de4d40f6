"""Moved to :mod:`certify.rip.catalog` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .rip import catalog as _moved

sys.modules[__name__] = _moved
