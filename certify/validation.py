"""Moved to :mod:`certify.sgd.protocol` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .sgd import protocol as _moved

sys.modules[__name__] = _moved
