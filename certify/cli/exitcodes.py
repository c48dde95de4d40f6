"""The exit codes of every ``certify`` command: the one table (a leaf module, it imports nothing).

``docs/certificate-format.md`` ("Exit codes") and the docstring of :mod:`certify.cli` describe the
same table; ``tests/cli/test_cli_robust.py`` checks that they agree.
"""

from __future__ import annotations

__all__ = [
    "EXIT_OK", "EXIT_NEGATIVE", "EXIT_INPUT", "EXIT_SOLVER", "EXIT_UNDECIDED", "EXIT_INTERNAL",
    "EXIT_INTERRUPTED", "EXIT_TERMINATED", "EXIT_CODES",
]

EXIT_OK = 0
EXIT_NEGATIVE = 1
EXIT_INPUT = 2
EXIT_SOLVER = 3
EXIT_UNDECIDED = 4
EXIT_INTERNAL = 5
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

#: code -> meaning, for every code a ``certify`` command returns
EXIT_CODES: dict[int, str] = {
    EXIT_OK: "ok: valid, proved, finished",
    EXIT_NEGATIVE: "negative: invalid, disproved, no counterexample",
    EXIT_INPUT: "bad input: arguments, unreadable or malformed files",
    EXIT_SOLVER: "solver failure",
    EXIT_UNDECIDED: "undecided (verify --exact)",
    EXIT_INTERNAL: "internal error (a bug) or out of memory",
    EXIT_INTERRUPTED: "interrupted",
    EXIT_TERMINATED: "terminated (SIGTERM)",
}
