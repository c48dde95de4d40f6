"""Moved to :mod:`certify.check.schema` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .check import schema as _moved

sys.modules[__name__] = _moved
