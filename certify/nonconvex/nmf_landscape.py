"""Moved to :mod:`certify.nmf.landscape` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from ..nmf import landscape as _moved

sys.modules[__name__] = _moved
