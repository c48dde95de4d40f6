"""One option grammar for every ``certify`` command: the test walks the parser.

The shared options are spelled and explained the same way everywhere (``certify.cli._common``):
``-o/--output`` the main output file, ``--json``, ``--plot FILE.png``, ``--quiet``, ``--seed N``,
``--solver NAME``; old spellings (``--out``, ``--no-progress``) are hidden deprecated aliases that
still work and print a one-line note.  Every ``--plot`` writes a PNG on a tiny input.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from certify.cli import _common, _hints, build_parser

ROOT = Path(__file__).resolve().parents[2]
CERT = ROOT / "counterexamples" / "zhang2018_sdp.json"

#: every command (leaf parsers, "sweep KIND" for the sweep kinds): a new command is added here, with
#: the shared options it has
KNOWN = {"counterexample", "verify", "example", "catalog", "validate", "curvature", "search", "solvers", "constants",
         "nmf-landscape", "atlas", "explore", "sweep rank1-grid", "sweep curvature-map", "sweep search-restarts",
         "sweep validation", "sweep nimc-phase-transition"}
#: the commands that have each shared option
OUTPUT = {"counterexample", "example", "validate", "curvature", "search", "constants", "nmf-landscape", "atlas",
          "sweep rank1-grid", "sweep curvature-map", "sweep search-restarts", "sweep validation", "sweep nimc-phase-transition"}
PLOT = {"validate", "curvature", "search", "nmf-landscape", "atlas", "sweep rank1-grid", "sweep curvature-map",
        "sweep search-restarts", "sweep validation"}
QUIET = {"catalog", "validate", "curvature", "search", "nmf-landscape", "atlas", "sweep rank1-grid",
         "sweep curvature-map", "sweep search-restarts", "sweep validation", "sweep nimc-phase-transition"}
SEED = {"validate", "search", "nmf-landscape", "atlas", "sweep search-restarts", "sweep validation",
        "sweep nimc-phase-transition"}
SOLVER = {"counterexample", "curvature", "search", "sweep rank1-grid", "sweep curvature-map", "sweep search-restarts"}
#: spellings no command shows any more (hidden deprecated aliases at most)
RETIRED = {"--out", "--no-progress", "--outfile", "--output-file", "--progress", "--silent", "--no-plot"}


def _leaves(parser: argparse.ArgumentParser, name: str = ""):
    """``(name, parser)`` for every command that runs (the sweep kinds as "sweep KIND")."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield name, parser
        return
    for action in subs:
        for sub_name, sub in action.choices.items():
            yield from _leaves(sub, f"{name} {sub_name}".strip())


LEAVES = dict(_leaves(build_parser()))


def _options(parser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings}


def _visible(parser) -> dict[str, argparse.Action]:
    return {s: a for s, a in _options(parser).items() if a.help is not argparse.SUPPRESS}


def test_the_walk_finds_every_command():
    names = set(LEAVES)
    assert names <= KNOWN, f"new command(s) {sorted(names - KNOWN)}: add them to KNOWN and to the option sets"
    assert KNOWN - names <= {"atlas"}  # the commands of this test exist (atlas is arriving)
    assert OUTPUT | PLOT | QUIET | SEED | SOLVER <= KNOWN


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_output_option_is_dash_o_output(name):
    opts = _visible(LEAVES[name])
    outputs = {a for s, a in opts.items() if s in ("-o", "--output")}
    if name in OUTPUT:
        assert len(outputs) == 1, name
        (action,) = outputs
        assert action.option_strings == ["-o", "--output"] and action.dest == "output", name
    else:
        assert not outputs, f"{name}: add it to OUTPUT (and to the grammar table in docs/cli.md)"
    assert not RETIRED & set(opts), f"{name}: {sorted(RETIRED & set(opts))} shown in --help"


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_shared_options_mean_the_same_everywhere(name):
    opts = _visible(LEAVES[name])
    assert "--json" in opts and opts["--json"].help == _common.OPTION_HELP["json"], name
    for flag, members in (("--quiet", QUIET), ("--seed", SEED), ("--solver", SOLVER), ("--plot", PLOT)):
        assert (flag in opts) == (name in members), f"{name}: {flag}"
    if "--quiet" in opts:
        a = opts["--quiet"]
        assert a.option_strings == ["--quiet"] and a.const is True and a.help == _common.OPTION_HELP["quiet"]
    if "--seed" in opts:
        a = opts["--seed"]
        assert a.option_strings == ["--seed"] and a.type is int and a.default == 0
        assert a.help == _common.OPTION_HELP["seed"]
    if "--solver" in opts:
        a = opts["--solver"]
        assert a.option_strings == ["--solver"] and a.default is None and a.help == _common.OPTION_HELP["solver"]
    if "--plot" in opts:
        a = opts["--plot"]
        assert a.option_strings == ["--plot"] and a.metavar == _common.PLOT_METAVAR and a.default is None


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_hidden_options_are_the_deprecated_aliases(name):
    parser = LEAVES[name]
    hidden = {s for s, a in _options(parser).items() if a.help is argparse.SUPPRESS}
    aliases = {old for old, *_ in getattr(parser, "deprecated_aliases", [])}
    assert hidden == aliases, name
    for old, new, dest, _ in getattr(parser, "deprecated_aliases", []):
        assert old in RETIRED and new.split("/")[-1] in _visible(parser), (name, old, new)
        assert dest in {a.dest for a in parser._actions}


def _required_argv(name: str, tmp_path) -> list[str]:
    """Arguments that make the command ``name`` parse (nothing is run)."""
    return {"validate": [str(CERT)], "nmf-landscape": ["planted:8"],
            "sweep rank1-grid": ["--rhos", "1", "--phis", "90"],
            "sweep curvature-map": ["--delta", "0.5", "--rhos", "1", "--phis", "90"],
            "sweep search-restarts": ["--rank", "1", "--rank-star", "1"],
            "sweep validation": [str(CERT)], "sweep nimc-phase-transition": []}[name]


@pytest.mark.parametrize("name, old, new, value", [
    ("validate", "--out", "output", "r.json"), ("nmf-landscape", "--out", "output", "r.json"),
    ("sweep rank1-grid", "--out", "output", "s.jsonl"), ("sweep search-restarts", "--no-progress", "quiet", True),
])
def test_deprecated_aliases_work_and_print_a_note(name, old, new, value, tmp_path, capsys):
    argv = name.split() + _required_argv(name, tmp_path) + [old] + ([] if value is True else [value])
    if name.startswith("sweep") and old != "--out":
        argv += ["-o", "s.jsonl"]
    args = build_parser().parse_args(argv)
    assert getattr(args, new) == value
    assert not any(k.startswith("deprecated_") for k in vars(args))
    err = capsys.readouterr().err
    assert err.strip() == f"certify: note: {old} is deprecated; use {'-o/--output' if new == 'output' else '--quiet'}"


def test_alias_and_new_spelling_disagreeing_is_a_usage_error(cli_run, tmp_path):
    code, _, err = cli_run("sweep", "rank1-grid", "--rhos", "1", "--phis", "90", "--out", tmp_path / "a.jsonl",
                           "-o", tmp_path / "b.jsonl")
    assert code == 2 and "two different values" in err and "Traceback" not in err
    code, _, err = cli_run("sweep", "rank1-grid", "--rhos", "1", "--phis", "90")
    assert code == 2 and "required: -o/--output" in err and len(err.strip().splitlines()) == 1


# -- every --plot writes a PNG on a tiny input ---------------------------------------------------------------


def _png(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.shape[0] > 200 and img.shape[1] > 300 and img.std() > 0.01  # a drawn figure, not an empty canvas
    return img.shape[:2]


PLOTS = {
    "validate": lambda t: ["validate", CERT, "--trials", "20", "--gammas", "0", "1", "--steps", "200"],
    "curvature": lambda t: ["curvature", "--x", "[0, 0.7071067811865476]", "--z", "[1, 0]", "--delta", "0.3:0.7:5"],
    "search": lambda t: ["search", "--rank", "1", "--rank-star", "1", "--restarts", "2", "--max-iter", "5"],
    "nmf-landscape": lambda t: ["nmf-landscape", "planted:8", "--pairs", "20"],
    "sweep rank1-grid": lambda t: ["sweep", "rank1-grid", "--rhos", "0.5,1", "--phis", "0,60,90", "-o", t / "g.jsonl",
                                   "--serial"],
    "sweep curvature-map": lambda t: ["sweep", "curvature-map", "--delta", "0.55", "--rhos", "0.5,1",
                                      "--phis", "60,90", "-o", t / "m.jsonl", "--serial"],
    "sweep search-restarts": lambda t: ["sweep", "search-restarts", "--rank", "1", "--rank-star", "1", "--restarts", "2",
                                        "--max-iter", "5", "-o", t / "s.jsonl", "--serial"],
    "sweep validation": lambda t: ["sweep", "validation", CERT, "--trials", "20", "--chunk", "10", "--gammas", "0", "1",
                                   "--steps", "200", "-o", t / "v.jsonl", "--serial"],
}


def test_every_plot_command_has_a_plot_test():
    assert set(PLOTS) == PLOT - {"atlas"}  # the atlas has its own tests (a tiny atlas is not quick)


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_plot_writes_a_png(name, tmp_path, cli_run):
    out = tmp_path / "figure.png"
    code, stdout, err = cli_run(*PLOTS[name](tmp_path), "--plot", out, "--quiet")
    assert code == 0, err
    _png(out)
    assert f"written: {out}" in stdout
    code, stdout, _ = cli_run(*PLOTS[name](tmp_path), "--plot", tmp_path / "again.png", "--json")
    assert code == 0 and json.loads(stdout)
    if name != "nmf-landscape":  # its --json is the document of its -o file, nothing more
        assert str(tmp_path / "again.png") in json.loads(stdout)["written"]
    _png(tmp_path / "again.png")


def test_curvature_plot_needs_several_deltas(cli_run, tmp_path):
    code, _, err = cli_run("curvature", "--x", "[0, 0.7071067811865476]", "--z", "[1, 0]", "--delta", "0.55", "--plot",
                           tmp_path / "p.png")
    assert code == 2 and "several deltas" in err and not (tmp_path / "p.png").exists()


def test_plot_with_an_unknown_format_is_bad_input(cli_run, tmp_path):
    code, _, err = cli_run("curvature", "--x", "[0, 0.7071067811865476]", "--z", "[1, 0]", "--delta", "0.4,0.6",
                           "--plot", tmp_path / "p.xyz", "--quiet")
    assert code == 2 and "unknown figure format" in err


def test_constants_output_writes_the_json_document(cli_run, tmp_path):
    pytest.importorskip("flint", reason="needs python-flint (certify[exact])")
    out = tmp_path / "k.json"
    code, stdout, _ = cli_run("constants", "nimc", "-o", out)
    assert code == 0 and f"written: {out}" in stdout
    assert json.loads(out.read_text())["activation"] == "sigmoid"


# -- the expected time of slow commands ----------------------------------------------------------------------


def test_hints_are_worded_from_the_problem_size():
    p = build_parser()
    small = _hints.hint(p.parse_args(["search", "--rank", "1", "--rank-star", "1", "--restarts", "2"]))
    big = _hints.hint(p.parse_args(["search", "--rank", "3", "--rank-star", "2"]))
    assert small is None
    assert big.startswith("certify: search takes about ") and "20 restarts" in big and "r + r* = 5" in big
    sweep = _hints.hint(p.parse_args(["sweep", "search-restarts", "--rank", "3", "--rank-star", "2", "--restarts", "12",
                                      "-o", "s.jsonl", "--workers", "2"]))
    assert "12 restarts" in sweep and "2 workers" in sweep and "skipped" in sweep
    nmf = _hints.hint(p.parse_args(["nmf-landscape", "planted:2048", "--pairs", "2000"]))
    assert "2000 segments of a 2048 x 2048" in nmf
    val = _hints.hint(p.parse_args(["validate", "c.json", "--trials", "100000", "--gammas", "0", "1", "--steps", "10000"]))
    assert "100,000 trials x 2 gammas x 10,000 SGD steps" in val
    assert _hints.hint(p.parse_args(["verify", "c.json"])) is None
    assert [_hints.duration(s) for s in (3, 42, 75, 540, 4000)] == ["5 s", "40 s", "1.2 min", "9 min", "1 h 7 min"]


def _terminal(monkeypatch):
    """stderr counts as a terminal (the progress output is drawn)."""
    from certify import progress

    monkeypatch.setattr(progress, "_is_terminal", lambda stream: True)


def test_hint_is_printed_once_above_the_first_bar(monkeypatch, cli_run, tmp_path):
    _terminal(monkeypatch)
    monkeypatch.setattr(_hints, "THRESHOLD", 0.0)  # announce even this tiny search
    code, _, err = cli_run("search", "--rank", "1", "--rank-star", "1", "--restarts", "2", "--max-iter", "5")
    assert code == 0
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.strip()]
    assert lines[0].startswith("certify: search takes about") and lines[0].endswith("--quiet hides this")
    assert err.count("takes about") == 1 and "restarts" in err  # then the bar
    for quiet in ("--quiet", "--json"):
        code, _, err = cli_run("search", "--rank", "1", "--rank-star", "1", "--restarts", "2", "--max-iter", "5", quiet)
        assert code == 0 and err == "", quiet


def test_no_hint_and_no_bar_off_a_terminal(monkeypatch, cli_run):
    monkeypatch.setattr(_hints, "THRESHOLD", 0.0)
    code, _, err = cli_run("search", "--rank", "1", "--rank-star", "1", "--restarts", "2", "--max-iter", "5")
    assert code == 0 and err == ""


def test_nmf_landscape_announces_the_data_load_and_shows_both_phases(monkeypatch, cli_run):
    pytest.importorskip("sklearn", reason="needs scikit-learn (certify[nmf])")
    _terminal(monkeypatch)
    code, _, err = cli_run("nmf-landscape", "iris", "--pairs", "100", "--steps", "50")
    assert code == 0
    assert err.lstrip().startswith("certify: loading iris (scikit-learn's bundled copy")
    assert "mu (10 starts)" in err and "certificates" in err and "100/100" in err and "nan" not in err.lower()
    code, _, err = cli_run("nmf-landscape", "iris", "--pairs", "10", "--steps", "5", "--quiet")
    assert code == 0 and err == ""
