"""Moved to :mod:`certify.sgd.sensing` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from ..sgd import sensing as _moved

sys.modules[__name__] = _moved
