"""Moved to :mod:`certify.nmf.data` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from ..nmf import data as _moved

sys.modules[__name__] = _moved
