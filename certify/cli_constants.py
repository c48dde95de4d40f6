"""Moved to :mod:`certify.cli.constants` (this import path stays for one release; see CHANGELOG.md)."""

import sys

from .cli import constants as _moved

sys.modules[__name__] = _moved
