"""The ``__main__`` guard: :func:`main_guard_violation` tells whether :func:`~certify.sweep.run_sweep`
was called from a script's module-level code outside ``if __name__ == "__main__":`` (the process
pool's workers re-import the script as ``__mp_main__`` and would run the sweep again, and again),
by walking up the caller's frames to the script's and reading its source."""

from __future__ import annotations

import ast
import inspect
import sys

__all__ = ["MAIN_GUARD_MESSAGE", "main_guarded", "main_guard_violation"]

MAIN_GUARD_MESSAGE = ("run_sweep with the process pool must be called under `if __name__ == '__main__':` (see "
                      "docs/sweeps.md), or use executor='serial'")


def _is_main_test(test) -> bool:
    for node in ast.walk(test):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq):
            sides = (node.left, node.comparators[0])
            if any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and \
                    any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides):
                return True
    return False


def main_guarded(source: str, lineno: int) -> bool:
    """Whether line ``lineno`` of the module ``source`` is inside the body of an
    ``if __name__ == "__main__":`` (at any depth of module-level compound statements)."""
    def blocks(st):
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            sub = getattr(st, name, None)
            if isinstance(sub, list) and sub:
                if isinstance(sub[0], ast.stmt):
                    yield sub
                else:  # except handlers, match cases
                    for h in sub:
                        yield h.body

    def visit(stmts) -> bool:
        for st in stmts:
            if not st.lineno <= lineno <= (st.end_lineno or st.lineno):
                continue
            if isinstance(st, ast.If) and _is_main_test(st.test):
                if any(s.lineno <= lineno <= (s.end_lineno or s.lineno) for s in st.body):
                    return True
                return visit(st.orelse)
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                return False
            return any(visit(b) for b in blocks(st))
        return False

    return visit(ast.parse(source).body)


def main_guard_violation() -> str | None:
    """``"file:line"`` if run_sweep is called from a script's module-level code outside
    ``if __name__ == "__main__":`` (the process pool's workers re-import the script as
    ``__mp_main__`` and would run the sweep again, and again), or from such a re-import; else None.
    The frames are walked up from here to the first module-level frame of the script (or of its
    re-import), however deep in the package the call is."""
    main = sys.modules.get("__main__")
    frame = inspect.currentframe()
    try:
        f = frame
        while f is not None:
            code, g = f.f_code, f.f_globals
            if code.co_name == "<module>" and g.get("__name__") == "__mp_main__":
                return f"{code.co_filename}:{f.f_lineno}"  # a worker re-running the script
            if code.co_name == "<module>" and main is not None and g is getattr(main, "__dict__", None):
                if not getattr(main, "__file__", None):
                    return None  # -c, stdin, a notebook: nothing is re-imported
                try:
                    import tokenize  # noqa: PLC0415

                    with tokenize.open(code.co_filename) as src:
                        guarded = main_guarded(src.read(), f.f_lineno)
                except (OSError, SyntaxError, ValueError):
                    return None  # no source to look at
                return None if guarded else f"{code.co_filename}:{f.f_lineno}"
            f = f.f_back
        return None
    finally:
        del frame, f
