"""Moved to :mod:`certify.nmf` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .. import nmf as _moved

sys.modules[__name__] = _moved
