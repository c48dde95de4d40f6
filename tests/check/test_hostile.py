"""Hostile inputs, property-based: mutated catalog certificates and generated argument lists go through
``certify.cli.main`` in process.  For every run:

* no exception escapes ``main`` (not even SystemExit);
* the exit code is one of 0, 1, 2, 3, 4 -- exit 5 (``internal error``) is a bug and fails the test, and
  so does a run longer than :data:`RUN_LIMIT_S` seconds;
* stderr never holds a traceback, and on an error (exit 2, 3 or 5) it is exactly one line;
* a mutated file that ``verify --exact`` proves (exit 0) must also pass the independent float verifier
  (``certify.certificates.load(path).verify().ok``): the exact proof may not contradict the file's claims.

The default tests are small and deterministic (``derandomize``); ``CERTIFY_HOSTILE_EXAMPLES=N`` scales
them.  ``test_hostile_campaign`` (``-m slow``, ``-s`` to see its summary) runs many more random examples,
collects every failure instead of stopping at the first, and prints how many mutated files and argument
lists it tried and the exit codes they got.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import shutil
import signal
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import note as _hypothesis_note
from hypothesis import strategies as st

from certify import cli
from certify.certificates import load

ROOT = Path(__file__).resolve().parents[2]
CATALOG = {p.name: p for p in sorted((ROOT / "counterexamples").glob("*.json"))}
#: files small enough for 'verify --exact' on every example
SMALL = ["zhang2018_sdp.json", "zhang2018_published.json", "overparameterized_r2_rstar1.json"]
#: the files mutated for the cheap commands (rank1_optimal_n1000 and the n = 8 explicit operator are
#: left to the slow campaign: they are valid inputs, just slower)
CHEAP = SMALL + ["zhang2018_strict_055.json", "example1_n3.json", "random_n4_r1_rstar1_seed0.json",
                 "random_n5_r2_rstar2_seed0.json", "overparameterized_r3_rstar2.json"]
ALLOWED = {0, 1, 2, 3, 4}
#: exit codes of an error, reported as exactly one line on stderr (4, undecided, is a result)
ERRORS = {2, 3, 5}
RUN_LIMIT_S = 120
DEFAULT_EXAMPLES = int(os.environ.get("CERTIFY_HOSTILE_EXAMPLES", "100"))

#: (command label, exit code or failure kind) -> count, over the whole session
OUTCOMES: Counter = Counter()
TRIED: Counter = Counter()

_HUGE_INT_DIGITS = 5000  # beyond Python's int-digits limit: written as a raw literal
_HUGE = "@@HUGE_INT_LITERAL@@"


def note(text: str) -> None:
    """``hypothesis.note`` inside a test (shown with a falsifying example), nothing outside."""
    with contextlib.suppress(Exception):  # not inside a Hypothesis test
        _hypothesis_note(text)


# -- running one command ----------------------------------------------------------------------------------


class _Timeout(BaseException):
    """Raised by the alarm; a BaseException so that main's last-resort handler does not swallow it."""


def _alarm(signum, frame):
    raise _Timeout


def run_cli(argv: list[str]) -> tuple[object, str, str]:
    """``(exit code or a failure string, stdout, stderr)`` of ``certify.cli.main(argv)``."""
    out, err = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(RUN_LIMIT_S)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    except _Timeout:
        code = f"timeout (> {RUN_LIMIT_S} s)"
    except SystemExit as exc:
        code = f"SystemExit({exc.code!r}) escaped main"
    except BaseException as exc:  # noqa: BLE001 - recorded as the failure it is
        code = f"{type(exc).__name__} escaped main: {exc}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return code, out.getvalue(), err.getvalue()


def _label(argv: list[str]) -> str:
    words = [a for a in argv if a.startswith("--") and a in ("--exact", "--check", "--json")]
    return " ".join([argv[0], *words])


def problems_of(argv: list[str], code, out: str, err: str) -> list[str]:
    """What is wrong with one run (empty: nothing)."""
    bad = []
    if not isinstance(code, int):
        bad.append(str(code))
    elif code == cli.EXIT_INTERNAL:
        bad.append(f"exit 5 (internal error): {err.strip()}")
    elif code not in ALLOWED:
        bad.append(f"exit code {code} is not one of {sorted(ALLOWED)}")
    if "Traceback" in out or "Traceback" in err:
        bad.append("a traceback was printed")
    if code in ERRORS and len(err.splitlines()) != 1:
        bad.append(f"exit {code} with {len(err.splitlines())} stderr lines (expected exactly one): {err[:300]!r}")
    return bad


class Campaign:
    """Runs commands, counts outcomes; ``collect=True`` records failures instead of raising them."""

    def __init__(self, collect: bool = False):
        self.collect = collect
        self.failures: list[str] = []

    def fail(self, what: str, bad: list[str]) -> None:
        msg = f"{what}: {'; '.join(bad)}"
        if self.collect:
            self.failures.append(msg)
        else:
            raise AssertionError(msg)

    def run(self, argv: list[str], what: str):
        code, out, err = run_cli(argv)
        label = _label(argv)
        OUTCOMES[(label, code if isinstance(code, int) else "escaped/timeout")] += 1
        note(f"certify {' '.join(argv)} -> {code}; stderr: {err.strip()[:300]}")
        bad = problems_of(argv, code, out, err)
        if bad:
            self.fail(f"{what}\n    certify {' '.join(argv)}", bad)
        return code, out, err


# -- mutations of certificate files -----------------------------------------------------------------------


def _paths_under(node, prefix: tuple) -> list[tuple]:
    """Every JSON path below ``prefix`` (itself included), iteratively."""
    out = [prefix]
    stack = [(node, prefix)]
    while stack:
        v, p = stack.pop()
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, child in items:
            out.append(p + (k,))
            if isinstance(child, (dict, list)):
                stack.append((child, p + (k,)))
    return out


def _get(doc, path):
    for k in path:
        doc = doc[k]
    return doc


def _set(doc, path, value):
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


_EPS = [1e-15, 1e-12, 1e-9, 1e-7, 1e-6, 1e-3, 0.1]
_WRONG = ["x", "", True, False, [], {}, "1.0", 0, -1, [[]], {"type": "compact"}]
_STRINGS = ["svec", "vec", "explicit", "compact", "curvature", "sdp", "published", "", "\u00e9\u2202", "\\n",
            "certify.certificate", "bm-sensing/spurious-second-order-point", "\ud83d\ude00"]


#: the fields that carry claims (mutated more often than the informative records)
CLAIMS = ["instance", "operator", "delta", "delta_lower", "dual", "formulation"]


@st.composite
def mutation(draw, doc, focus: bool = False):
    """A ``(path, kind, new value)`` for ``doc``; ``focus``: only small numeric perturbations of the
    claims (what an exact proof must notice)."""
    claims = [k for k in CLAIMS if k in doc]
    regions = claims if focus and claims else [k for k in doc] + claims * 2 + ["(root)"]
    region = draw(st.sampled_from(regions))
    if region == "(root)":
        path = ()
    else:
        candidates = _paths_under(doc[region], (region,))
        path = draw(st.sampled_from(candidates))
    value = _get(doc, path)
    if focus:
        numbers = [p for p in _paths_under(doc[region], (region,))
                   if isinstance(_get(doc, p), (int, float)) and not isinstance(_get(doc, p), bool)]
        if numbers:
            path = draw(st.sampled_from(numbers))
            value = _get(doc, path)
            kind = draw(st.sampled_from(["scale", "shift", "zero", "negate"]))
            if kind == "scale":
                new = value * (1 + draw(st.sampled_from(_EPS)) * draw(st.sampled_from([1, -1])))
            elif kind == "shift":
                new = value + draw(st.sampled_from(_EPS)) * draw(st.sampled_from([1, -1]))
            else:
                new = 0.0 if kind == "zero" else -value
            return path, kind, new
    kinds = ["wrong_type", "nest", "null", "junk_key"]
    if path:
        kinds.append("delete")
    if isinstance(value, bool):
        kinds.append("flip")
    elif isinstance(value, (int, float)):
        kinds += ["scale", "shift", "zero", "negate", "big", "tiny", "huge_int", "nonfinite"] * 3
    elif isinstance(value, str):
        kinds += ["string"] * 2
    elif isinstance(value, list):
        kinds += ["drop", "dup", "empty", "first_only"]
    kind = draw(st.sampled_from(kinds))
    if kind == "scale":
        eps = draw(st.sampled_from(_EPS)) * draw(st.sampled_from([1, -1]))
        new = value * (1 + eps)
    elif kind == "shift":
        new = value + draw(st.sampled_from(_EPS)) * draw(st.sampled_from([1, -1]))
    elif kind == "zero":
        new = 0.0 if isinstance(value, float) else 0
    elif kind == "negate":
        new = -value
    elif kind == "big":
        new = draw(st.sampled_from([1e300, -1e300, 1.7976931348623157e308, 1e200, 1e20]))
    elif kind == "tiny":
        new = draw(st.sampled_from([1e-300, -1e-300, 5e-324, 1e-200, 1e-20]))
    elif kind == "huge_int":
        new = draw(st.sampled_from([2**63, 10**30, 10**308, 10**400, _HUGE]))
    elif kind == "nonfinite":
        new = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    elif kind == "flip":
        new = not value
    elif kind == "string":
        new = draw(st.sampled_from(_STRINGS))
    elif kind == "wrong_type":
        new = copy.deepcopy(draw(st.sampled_from(_WRONG)))
    elif kind == "nest":
        new = draw(st.sampled_from([[value], [[value]], {"value": value}]))
    elif kind == "null":
        new = None
    elif kind == "drop":
        new = value[:-1]
    elif kind == "dup":
        new = value + value[:1]
    elif kind == "empty":
        new = []
    elif kind == "first_only":
        new = value[:1]
    else:  # delete, junk_key: structural
        new = None
    return path, kind, new


def apply_mutation(doc, path, kind, new):
    if kind == "delete":
        del _get(doc, path[:-1])[path[-1]]
        return doc
    if kind == "junk_key":
        target = _get(doc, path)
        if not isinstance(target, dict):
            target = _get(doc, path[:-1]) if path else doc
        if isinstance(target, dict):
            target["junk_key"] = {"junk": [1, "two", None]}
        else:  # a list: add a junk entry
            target.append("junk")
        return doc
    return _set(doc, path, copy.deepcopy(new))


def _describe(name, muts) -> str:
    parts = []
    for path, kind, new in muts:
        p = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in path) or "(root)"
        shown = "9" * 12 + f"...({_HUGE_INT_DIGITS} digits)" if new == _HUGE else repr(new)[:60]
        parts.append(f"{kind} at {p}" + ("" if kind in ("delete", "junk_key") else f" -> {shown}"))
    return f"{name}: " + "; ".join(parts)


def _write(doc, path: Path) -> None:
    text = json.dumps(doc, allow_nan=True)  # NaN / Infinity tokens on purpose
    text = text.replace(f'"{_HUGE}"', "9" * _HUGE_INT_DIGITS)
    path.write_text(text, encoding="utf-8")


_DOCS: dict = {}


def _doc(name):
    if name not in _DOCS:
        _DOCS[name] = json.loads(CATALOG[name].read_text(encoding="utf-8"))
    return copy.deepcopy(_DOCS[name])


class Mutated(tuple):
    """``(name, doc, description)``, shown by its description in Hypothesis reports."""

    def __repr__(self):
        return f"<mutated {self[2]}>"


@st.composite
def mutated_file(draw, names, focus: bool = False):
    name = draw(st.sampled_from(names))
    doc = _doc(name)
    muts = []
    for _ in range(draw(st.integers(1, 2))):
        if not isinstance(doc, dict):
            break
        path, kind, new = draw(mutation(doc, focus=focus or draw(st.booleans()) and draw(st.booleans())))
        muts.append((path, kind, new))
        doc = apply_mutation(doc, path, kind, new)
    return Mutated((name, doc, _describe(name, muts)))


def check_mutated_file(campaign: Campaign, name, doc, what, commands: list[str]):
    folder = Path(tempfile.mkdtemp(prefix="certify-hostile-"))
    try:
        path = folder / name
        _write(doc, path)
        TRIED["mutated files"] += 1
        note(what)
        for cmd in commands:
            argv = {
                "verify": ["verify", str(path)],
                "verify-json": ["verify", str(path), "--json"],
                "verify-symmetric": ["verify", str(path), "--domain", "symmetric"],
                "verify-exact": ["verify", str(path), "--exact"],
                "catalog-check": ["catalog", "--check", "--dir", str(folder)],
                "validate": ["validate", str(path), "--trials", "2", "--steps", "3", "--gammas", "0", "1", "--quiet"],
            }[cmd]
            code, _, _ = campaign.run(argv, what)
            if cmd == "verify-exact" and code == cli.EXIT_OK:
                # the exact proof must not contradict the file's claims: the float verifier agrees
                try:
                    ok = load(path).verify().ok
                    why = "" if ok else "; ".join(load(path).verify().failures)
                except Exception as exc:  # noqa: BLE001
                    ok, why = False, f"{type(exc).__name__}: {exc}"
                if not ok:
                    campaign.fail(f"{what}\n    certify {' '.join(argv)}",
                                  [f"'verify --exact' proved (exit 0) but the float verifier rejects the file: {why[:400]}"])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- generated argument lists -------------------------------------------------------------------------------

_ARRAYS = ["[0, 0.7071067811865476]", "[1, 0]", "[[0], [0.7071]]", "[[1, 0], [0, 1]]", "[0, 1, 0]", "[0, 0]",
           "[NaN, 1]", "[Infinity, 0]", "[1e308, 1e308]", "[1e400, 0]", "[1e-300, 1]", "[]", "[[]]", "[[[1]]]",
           '["a", 1]', "[true, false]", "[0, 0.7", "{}", "3", "", " ", "[1, 2, 3, 4]", "[[1, 2], [3]]",
           "[0.5, 0.5]", "[-1, 0]", "[" + "9" * 400 + ", 0]", "[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]", "missing.npy"]
_DELTAS = ["0.55", "0.5", "0", "1", "-1", "2", "nan", "inf", "1e400", "0.3:0.7:2", "a:b:c", "0.5:0.6:0", "", ",",
           "0.4,0.6", "0.999999", "1e-12"]
_NUMS = ["0", "1", "-1", "2", "0.5", "nan", "inf", "-inf", "1e300", "1e-300", "x", ""]
_INTS = ["0", "1", "2", "3", "-1", "x", "1.5", str(2**70)]


@st.composite
def argument_list(draw, cert_path: str, folder: str):
    kind = draw(st.sampled_from(["counterexample", "curvature", "validate", "verify", "catalog"]))
    if kind == "counterexample":
        argv = ["counterexample", "--x", draw(st.sampled_from(_ARRAYS)), "--z", draw(st.sampled_from(_ARRAYS))]
        argv += draw(st.sampled_from([[], ["--basis", "vec"], ["--no-project"], ["--json"], ["--solver", "NOPE"],
                                      ["--basis", "hex"]]))
    elif kind == "curvature":
        argv = ["curvature", "--x", draw(st.sampled_from(_ARRAYS)), "--z", draw(st.sampled_from(_ARRAYS)),
                "--delta", draw(st.sampled_from(_DELTAS))]
        argv += draw(st.sampled_from([[], ["--grad-tol", draw(st.sampled_from(_NUMS))], ["--json"]]))
    elif kind == "validate":
        argv = ["validate", cert_path, "--quiet",
                "--trials", draw(st.sampled_from(["0", "1", "2", "-1", "x"])),
                "--steps", draw(st.sampled_from(["0", "1", "3", "-5"])),
                "--gammas", *draw(st.lists(st.sampled_from(["0", "0.5", "1", "-1", "2", "nan", "inf"]), min_size=1, max_size=3))]
        for opt, values in (("--step-size", _NUMS), ("--batch", _INTS), ("--decay", _NUMS), ("--tol", _NUMS),
                            ("--tol-spurious", _NUMS), ("--seed", _INTS)):
            if draw(st.booleans()):
                argv += [opt, draw(st.sampled_from(values))]
        argv += draw(st.sampled_from([[], ["--method", "gd"], ["--json"], ["--method", "adam"]]))
    elif kind == "verify":
        argv = ["verify", draw(st.sampled_from([cert_path, folder, folder + "/missing.json", "", "-"]))]
        argv += draw(st.sampled_from([[], ["--exact"], ["--domain", "symmetric"], ["--domain", "x"], ["--json"]]))
    else:
        argv = ["catalog", "--check", "--dir", draw(st.sampled_from([folder, folder + "/missing", cert_path]))]
    return argv


def check_arguments(campaign: Campaign, data, folder: Path):
    cert = folder / "c.json"
    shutil.copy(CATALOG["zhang2018_sdp.json"], cert)
    argv = data.draw(argument_list(str(cert), str(folder)))
    TRIED["argument lists"] += 1
    campaign.run(argv, "generated arguments")


def summary() -> str:
    by_command: dict = {}
    for (label, code), count in sorted(OUTCOMES.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        by_command.setdefault(label, {})[code] = count
    outcomes = "; ".join(f"{label}: " + ", ".join(f"exit {c} x{k}" for c, k in codes.items())
                         for label, codes in by_command.items())
    return (f"{TRIED['mutated files']} mutated files, {TRIED['argument lists']} argument lists, "
            f"{sum(OUTCOMES.values())} runs; outcomes: {outcomes}")


@pytest.fixture(scope="module", autouse=True)
def _print_summary():
    yield
    print(f"\nhostile inputs tried: {summary()}")


# -- the tests --------------------------------------------------------------------------------------------


def _settings(n: int, *, random: bool = False):
    return settings(max_examples=n, deadline=None, database=None, derandomize=not random, print_blob=True,
                    suppress_health_check=list(HealthCheck))


@_settings(DEFAULT_EXAMPLES)
@given(data=st.data())
def test_mutated_certificates_cheap_commands(data):
    name, doc, what = data.draw(mutated_file(CHEAP))
    cmds = data.draw(st.lists(st.sampled_from(["verify", "verify-json", "verify-symmetric", "catalog-check"]),
                              min_size=1, max_size=2, unique=True))
    check_mutated_file(Campaign(), name, doc, what, cmds)


@_settings(max(10, DEFAULT_EXAMPLES // 2))
@given(data=st.data())
def test_mutated_certificates_exact(data):
    name, doc, what = data.draw(mutated_file(SMALL, focus=data.draw(st.booleans())))
    check_mutated_file(Campaign(), name, doc, what, ["verify-exact"])


@_settings(max(5, DEFAULT_EXAMPLES // 8))
@given(data=st.data())
def test_mutated_certificates_validate(data):
    name, doc, what = data.draw(mutated_file(["zhang2018_sdp.json", "zhang2018_published.json"]))
    check_mutated_file(Campaign(), name, doc, what, ["validate"])


@_settings(DEFAULT_EXAMPLES)
@given(data=st.data())
def test_generated_argument_lists(data):
    folder = Path(tempfile.mkdtemp(prefix="certify-hostile-"))
    try:
        check_arguments(Campaign(), data, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_checker_flags_internal_errors_and_multiline_stderr(monkeypatch):
    """The oracle itself: exit 5, a traceback or a two-line error are failures; a clean exit 2 is not."""
    assert problems_of(["verify"], 2, "", "certify: error: x\n") == []
    assert problems_of(["verify"], 5, "", "certify: internal error: ZeroDivisionError: x\n")
    assert problems_of(["verify"], 2, "", "line one\nline two\n")
    assert problems_of(["verify"], 1, "", "Traceback (most recent call last):\n")
    assert problems_of(["verify"], "timeout (> 120 s)", "", "")
    monkeypatch.setattr(cli, "cmd_verify", lambda args: 1 / 0)
    code, out, err = run_cli(["verify", "x.json"])
    assert code == 5 and problems_of(["verify"], code, out, err)
    before = OUTCOMES.copy()
    with pytest.raises(AssertionError, match="internal error"):
        Campaign().run(["verify", "x.json"], "injected")
    OUTCOMES.clear()
    OUTCOMES.update(before)  # the injected run is not an outcome of the hostile inputs


@pytest.mark.slow
def test_hostile_campaign():
    """Many random mutated files and argument lists; every failure is collected, then reported."""
    n = int(os.environ.get("CERTIFY_HOSTILE_CAMPAIGN", "600"))
    campaign = Campaign(collect=True)
    OUTCOMES.clear()
    TRIED.clear()

    @_settings(n, random=True)
    @given(data=st.data())
    def files(data):
        name, doc, what = data.draw(mutated_file(list(CATALOG)))
        cmds = ["verify", "verify-json", "catalog-check"]
        if name in SMALL:
            cmds.append("verify-exact")
        if name in ("zhang2018_sdp.json", "zhang2018_published.json") and data.draw(st.booleans()):
            cmds.append("validate")
        check_mutated_file(campaign, name, doc, what, cmds)

    @_settings(n // 2, random=True)
    @given(data=st.data())
    def exact(data):
        name, doc, what = data.draw(mutated_file(SMALL, focus=data.draw(st.booleans())))
        check_mutated_file(campaign, name, doc, what, ["verify-exact"])

    @_settings(n, random=True)
    @given(data=st.data())
    def arguments(data):
        folder = Path(tempfile.mkdtemp(prefix="certify-hostile-"))
        try:
            check_arguments(campaign, data, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    files()
    exact()
    arguments()
    print(f"\nhostile campaign: {summary()}; failures: {len(campaign.failures)}")
    distinct = sorted(set(campaign.failures))
    for f in distinct[:60]:
        print("FAIL", f)
    assert not distinct, f"{len(distinct)} distinct hostile failures (first: {distinct[0]})"
