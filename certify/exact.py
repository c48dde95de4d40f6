"""Moved to :mod:`certify.check.exact` (this import path, an alias of its compatibility module
:mod:`certify.check.exact.core` with every former name, stays for one release; see CHANGELOG.md)."""

import sys

from .check.exact import core as _moved

sys.modules[__name__] = _moved
