"""Writes that cannot destroy anything, and array inputs that are real numbers or an InputError."""

import os
import stat

import numpy as np
import pytest

from certify import InputError, rip
from certify.io import atomic_write_bytes, atomic_write_text, load_npy, parse_array, parse_grid


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# -- targets that are not regular files -------------------------------------------------------------


def test_fifo_is_refused_and_kept(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"pipe: is a FIFO .*not a regular file"):
        atomic_write_bytes(fifo, b"data")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert _leftovers(tmp_path) == []


def test_directory_is_refused_and_kept(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    (d / "inside.txt").write_text("keep")
    with pytest.raises(InputError, match="out: is a directory"):
        atomic_write_text(d, "data")
    with pytest.raises(InputError, match="names a folder"):
        atomic_write_text(str(tmp_path / "new") + "/", "data")
    assert d.is_dir() and (d / "inside.txt").read_text() == "keep"
    assert not (tmp_path / "new").exists()
    assert _leftovers(tmp_path) == []


def test_certificate_save_to_a_directory_is_an_input_error(tmp_path):
    cert = rip.counterexample([0.0, 1.0 / np.sqrt(2.0)], [1.0, 0.0])
    with pytest.raises(InputError, match="is a directory"):
        cert.save(tmp_path)
    cert.save(tmp_path / "c.json")
    assert (tmp_path / "c.json").stat().st_size > 0


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_dev_full_is_refused_and_stays_a_device():
    before = os.lstat("/dev/full")
    assert stat.S_ISCHR(before.st_mode)
    with pytest.raises(InputError, match="/dev/full: is a character device"):
        atomic_write_bytes("/dev/full", b"data")
    after = os.lstat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev and after.st_ino == before.st_ino


def test_socket_is_refused(tmp_path):
    import socket

    path = tmp_path / "s"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(str(path))
    except OSError:  # pragma: no cover - path too long for AF_UNIX on some systems
        pytest.skip("cannot bind a unix socket here")
    try:
        with pytest.raises(InputError, match="is a socket"):
            atomic_write_bytes(path, b"x")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        sock.close()


# -- regular files: read-only refused, mode kept ----------------------------------------------------


def test_read_only_file_is_refused_and_unchanged(tmp_path):
    f = tmp_path / "ro.json"
    f.write_text("old")
    os.chmod(f, 0o444)
    with pytest.raises(InputError, match=r"ro.json: is a read-only file \(mode 0444\); remove it or make it writable"):
        atomic_write_text(f, "new")
    assert f.read_text() == "old" and stat.S_IMODE(os.stat(f).st_mode) == 0o444
    assert _leftovers(tmp_path) == []


def test_existing_mode_is_preserved(tmp_path):
    f = tmp_path / "c.json"
    f.write_text("old")
    os.chmod(f, 0o640)
    atomic_write_text(f, "new")
    assert f.read_text() == "new" and stat.S_IMODE(os.stat(f).st_mode) == 0o640
    os.chmod(f, 0o600)
    atomic_write_text(f, "newer")
    assert f.read_text() == "newer" and stat.S_IMODE(os.stat(f).st_mode) == 0o600


def test_new_file_gets_the_umask_mode(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_text(tmp_path / "n.json", "x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "n.json").st_mode) == 0o640


def test_symlink_is_followed_and_kept(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(target.name)
    written = atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert target.read_text() == "new" and stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert written == target
    # a link to something that is not a regular file is refused like the thing itself
    os.mkfifo(tmp_path / "p")
    (tmp_path / "to_pipe").symlink_to("p")
    with pytest.raises(InputError, match="to_pipe: is a FIFO"):
        atomic_write_text(tmp_path / "to_pipe", "x")
    assert stat.S_ISFIFO(os.lstat(tmp_path / "p").st_mode)


def test_interrupted_write_keeps_the_old_content(tmp_path, monkeypatch):
    f = tmp_path / "c.json"
    f.write_text("old")

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_text(f, "new content")
    monkeypatch.undo()
    assert f.read_text() == "old"
    assert _leftovers(tmp_path) == []

    class Interrupt(BaseException):
        pass

    def interrupted(src, dst):
        raise Interrupt()

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(Interrupt):
        atomic_write_text(f, "new content")
    monkeypatch.undo()
    assert f.read_text() == "old" and _leftovers(tmp_path) == []


def test_missing_folder_and_unwritable_folder(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        atomic_write_text(tmp_path / "nope" / "c.json", "x")
    assert atomic_write_text(tmp_path / "ok.json", "x").read_text() == "x"
    assert _leftovers(tmp_path) == []


# -- arrays from .npy files and JSON ----------------------------------------------------------------


@pytest.mark.parametrize(
    "arr",
    [np.array(["1", "2"]), np.array([1 + 2j, 0]), np.array([1.0 + 0j, 0.0]), np.array([True, False]),
     np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")])],
)
def test_npy_of_non_real_dtype_is_refused(tmp_path, arr):
    path = tmp_path / "a.npy"
    np.save(path, arr)
    with pytest.raises(InputError, match="^--x: .*expected a real numeric array"):
        parse_array(str(path), "--x")
    with pytest.raises(InputError, match="^DATA: .*expected a real numeric array"):
        load_npy(path, "DATA")


def test_npy_of_objects_and_npz_are_refused(tmp_path):
    path = tmp_path / "o.npy"
    np.save(path, np.array([1, "a", None], dtype=object), allow_pickle=True)
    with pytest.raises(InputError, match="^--x: cannot read"):
        parse_array(str(path), "--x")
    npz = tmp_path / "z.npz"
    np.savez(npz, a=np.ones(2))
    with pytest.raises(InputError, match="^DATA: .*not a single .npy array"):
        load_npy(npz, "DATA")


@pytest.mark.parametrize("arr", [np.array([1, 2], dtype=np.int16), np.array([0.5, 1.5], dtype=np.float32),
                                 np.array([[1.0, 0.0], [0.0, 2.0]])])
def test_npy_of_real_dtype_is_read_as_float(tmp_path, arr):
    path = tmp_path / "a.npy"
    np.save(path, arr)
    out = parse_array(str(path), "--x")
    assert out.dtype == np.float64 and np.array_equal(out, arr.astype(float))
    raw = load_npy(path, "DATA")  # load_npy checks, and keeps the dtype (no float64 copy of big data)
    assert raw.dtype == arr.dtype and np.array_equal(raw, arr)


@pytest.mark.parametrize(
    "text, match",
    [('["1", "2"]', "found a string"), ("[true, 1]", "found a boolean"), ("[1, null]", "found None"),
     ('[1, {"a": 2}]', "found a dict"), ("[[1, 2], [3]]", "ragged"), ("3", "expected a JSON array"),
     ('{"x": [1]}', "expected a JSON array"), ("[1e999]", "NaN or infinite"), ("[NaN, 1]", "NaN or infinite"),
     ("[" + "9" * 400 + "]", "cannot convert"), ("[[[1]]]", "shape"), ("[]", "shape")],
)
def test_json_arrays_must_be_real_numbers(text, match):
    with pytest.raises(InputError, match="^--x: .*" + match):
        parse_array(text, "--x")


def test_json_arrays_of_numbers_are_read():
    assert parse_array("[0, 0.5]", "--x").tolist() == [0.0, 0.5]
    out = parse_array("[[1, 0], [0, 2]]", "--z")
    assert out.dtype == np.float64 and out.shape == (2, 2)


def test_grid_lists_must_be_real_numbers():
    assert parse_grid([0.1, 1, np.float32(0.5)], "--delta") == [0.1, 1.0, 0.5]
    assert parse_grid("0:1:3", "--delta") == [0.0, 0.5, 1.0]
    for bad, match in ((["0.5"], "string"), ([True, 0.5], "boolean"), ([0.5, 1j], "complex"), ([[0.1], [0.2, 0.3]], "ragged"),
                       (np.array([0.5 + 0j]), "complex"), ([float("nan")], "NaN"), ([], "no value")):
        with pytest.raises(InputError, match="^--delta: .*" + match):
            parse_grid(bad, "--delta")


def test_grid_count_is_bounded_before_allocating():
    from certify.io import parse_grid

    with pytest.raises(InputError, match="at most 10 are allowed"):
        parse_grid("0:1:1000000000", "--delta", max_count=10)
    with pytest.raises(InputError, match="1000000000 values requested"):
        parse_grid("0:1:1000000000", "--delta")
    assert len(parse_grid("0:1:5", "--delta", max_count=5)) == 5
