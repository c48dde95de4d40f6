"""Moved to :mod:`certify.sgd.kernels` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from ..sgd import kernels as _moved

sys.modules[__name__] = _moved
