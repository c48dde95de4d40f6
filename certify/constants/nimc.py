"""Moved to :mod:`certify.nimc.constants` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from ..nimc import constants as _moved

sys.modules[__name__] = _moved
