"""Pruning old builds in the cache (models/cbuild.py, used by implementations/native/build.py,
the fast JSON Lines reader and the native linearizability search).

Pruning needs no compiler: these tests build fake cache folders in a
temporary directory and age them with os.utime.
"""

import os

import pytest

from stmcheck.implementations.native import build
from stmcheck.models import cbuild

DAY = 24 * 3600
NOW = 1_800_000_000.0


def _folder(root, name, age, files=("controlled.so",)):
    path = root / name
    path.mkdir()
    for f in files:
        (path / f).write_bytes(b"\x7fELF")
    os.utime(path, (NOW - age, NOW - age))
    return path


def test_prunes_only_old_build_folders_and_keeps_the_current_one(tmp_path):
    _folder(tmp_path, "native-old", 2 * DAY)
    _folder(tmp_path, "itm-old", 3 * DAY, files=("itm_bank",))
    _folder(tmp_path, "native-recent", DAY / 2)                 # used today: maybe by another process
    _folder(tmp_path, "native-current", 5 * DAY)                 # the one just built: never
    _folder(tmp_path, "other-tool", 9 * DAY)                     # not ours
    (tmp_path / "lincore-1234.so").write_bytes(b"x")             # the linearizability core: ours too
    os.utime(tmp_path / "lincore-1234.so", (NOW - 9 * DAY, NOW - 9 * DAY))

    removed = build.prune(str(tmp_path), keep=("native-current",), now=NOW)

    assert removed == ["itm-old", "lincore-1234.so", "native-old"]
    assert sorted(os.listdir(tmp_path)) == ["native-current", "native-recent", "other-tool"]


def test_stale_reader_libraries_are_pruned_too(tmp_path):
    for name, age in (("jsonl-old.so", 2 * DAY), ("jsonl-new.so", 0)):
        (tmp_path / name).write_bytes(b"\x7fELF")
        os.utime(tmp_path / name, (NOW - age, NOW - age))
    assert cbuild.prune(str(tmp_path), keep=("jsonl-current.so",), now=NOW) == ["jsonl-old.so"]
    assert os.listdir(tmp_path) == ["jsonl-new.so"]


def test_a_folder_is_young_again_once_used(tmp_path):
    path = _folder(tmp_path, "native-abc", 2 * DAY)
    os.utime(path, (NOW, NOW))                                   # what build() does on every use
    assert build.prune(str(tmp_path), now=NOW) == []
    assert build.prune(str(tmp_path), now=NOW + DAY + 1) == ["native-abc"]


def test_leftover_trash_is_removed_and_errors_are_ignored(tmp_path):
    _folder(tmp_path, ".trash-native-x-99", 2 * DAY)
    link_target = _folder(tmp_path, "keepme", 0)
    os.symlink(link_target, tmp_path / "native-link")            # a symlink is never followed or removed
    os.utime(tmp_path / "native-link", (NOW - 2 * DAY, NOW - 2 * DAY), follow_symlinks=False)
    assert build.prune(str(tmp_path), now=NOW) == []
    assert sorted(os.listdir(tmp_path)) == ["keepme", "native-link"]
    assert build.prune(str(tmp_path / "missing"), now=NOW) == []  # no cache at all: nothing to do


def test_a_new_build_prunes_stale_siblings(tmp_path, monkeypatch):
    if cbuild.find_compiler() is None:
        pytest.skip("no C compiler: nothing is built")
    monkeypatch.setenv("STMCHECK_CACHE", str(tmp_path))
    stale = _folder(tmp_path, "native-0000000000000000", 0)
    os.utime(stale, (1.0, 1.0))                                  # unused since 1970
    paths = build.build()
    current = os.path.basename(os.path.dirname(paths["controlled"]))
    assert sorted(os.listdir(tmp_path)) == [current]
    assert build.build() == paths                                # cached: no rebuild, nothing pruned


@pytest.mark.parametrize("command", [["explore", "native-tl2", "--strategy", "random"],
                                     ["explore", "native-tl2"],                  # dpor, stepped from Python
                                     ["replay", "native-norec", "--schedule", "1"]])
def test_without_a_compiler_native_explore_is_a_one_line_usage_error(tmp_path, command):
    import subprocess
    import sys

    env = dict(os.environ, CC=str(tmp_path / "no-such-cc"), STMCHECK_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-c", "from stmcheck.checker.cli import main; main()", *command],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(f"stmcheck: error: {command[1]}: native designs need a C compiler")
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
