"""Building the native linearizability search (checker/linearizability/native.py).

It goes through the shared builder (models/cbuild.py): core.c compiled into
the per-user cache as `lincore-<hash>.so`, reused by later loads and later
processes, stale builds pruned; without a compiler (or cffi, or with
STMCHECK_NO_NATIVE) the Python search decides, with the same verdicts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stmcheck.checker.linearizability import native as native
from stmcheck.checker.linearizability import search as lin
from stmcheck.models import cbuild
from stmcheck.models.opformats import parse_ophistory

try:
    import cffi  # noqa: F401
    HAVE_CFFI = True
except ImportError:
    HAVE_CFFI = False

needs_build = pytest.mark.skipif(not HAVE_CFFI or cbuild.find_compiler() is None,
                                 reason="no C compiler or no cffi: nothing is built")


def op(client=0, **fields):
    return {"client": client, "args": [], "result": None, **fields}


DOCS = {
    "register-ok": {"format": "stmcheck.ophistory/1", "model": "register", "initial": 0, "operations": [
        op(op="write", args=[1], call=0, **{"return": 5}),
        op(client=1, op="read", call=1, result=0, **{"return": 2}),
        op(client=2, op="read", call=3, result=1, **{"return": 6})]},
    "register-bad": {"format": "stmcheck.ophistory/1", "model": "register", "initial": 0, "operations": [
        op(op="write", args=[1], call=0, **{"return": 1}),
        op(client=1, op="read", call=2, result=0, **{"return": 3})]},
    "kv-ok": {"format": "stmcheck.ophistory/1", "model": "kv", "operations": [
        op(op="append", args=["x", "a"], call=0, **{"return": 4}),
        op(client=1, op="append", args=["x", "b"], call=1, **{"return": 3}),
        op(client=2, op="get", args=["x"], call=5, result="ba", **{"return": 6}),
        op(client=3, op="put", args=["y", "z"], call=0, **{"return": None})]},
    "kv-bad": {"format": "stmcheck.ophistory/1", "model": "kv", "operations": [
        op(op="append", args=["x", "a"], call=0, **{"return": 1}),
        op(client=1, op="append", args=["x", "b"], call=2, **{"return": 3}),
        op(client=2, op="get", args=["x"], call=4, result="ba", **{"return": 5})]},
    "queue-bad": {"format": "stmcheck.ophistory/1", "model": "queue", "operations": [
        op(op="enqueue", args=[1], call=0, **{"return": 1}),
        op(client=1, op="enqueue", args=[2], call=2, **{"return": 3}),
        op(client=2, op="dequeue", call=4, result=2, **{"return": 5})]},
}


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """A process state where nothing is loaded yet and the cache is an empty folder (via XDG_CACHE_HOME)."""
    for name in ("STMCHECK_CACHE", "STMCHECK_NO_NATIVE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(native, "_library", native._library.fresh())
    return tmp_path / "xdg" / "stmcheck"


def _spy(monkeypatch) -> list:
    """The outputs of every compile through cbuild from now on."""
    calls, real = [], cbuild.compile_into

    def compile_into(cc, args, out, *rest, **kw):
        calls.append(out)
        return real(cc, args, out, *rest, **kw)
    monkeypatch.setattr(cbuild, "compile_into", compile_into)
    return calls


def test_the_c_source_is_a_file_shipped_with_the_package():
    assert os.path.isfile(native.SOURCE) and native.SOURCE.endswith(os.path.join("linearizability", "core.c"))
    with open(native.SOURCE, encoding="utf-8") as f:
        text = f.read()
    for name in ("lin_new", "lin_run", "lin_result", "lin_free"):
        assert f"{name}(" in text and f"{name}(" in native.CDEF
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "pyproject.toml"), encoding="utf-8") as f:
        assert '"stmcheck.checker.linearizability" = ["*.c"]' in f.read()


@needs_build
def test_builds_through_cbuild_into_the_shared_cache_and_a_second_load_reuses_it(fresh, monkeypatch):
    fresh.mkdir(parents=True)
    stale = fresh / "lincore-0000000000000000.so"                # an earlier version's build
    stale.write_bytes(b"\x7fELF")
    os.utime(stale, (1.0, 1.0))                                    # unused since 1970
    calls = _spy(monkeypatch)

    native.load()
    assert len(calls) == 1
    built = calls[0]
    assert os.path.dirname(built) == str(fresh)
    name = os.path.basename(built)
    assert name.startswith("lincore-") and name.endswith(".so")
    declared = name[:-len(".so")] + ".py"                          # its declarations, parsed once (cffi)
    assert sorted(os.listdir(fresh)) == [declared, name]           # the new build pruned the stale one
    inode, declared_inode = os.stat(built).st_ino, os.stat(fresh / declared).st_ino

    monkeypatch.setattr(native, "_library", native._library.fresh())   # as a new process would
    os.utime(built, (1.0, 1.0))
    monkeypatch.setattr(cffi.FFI, "cdef", lambda *a, **k: pytest.fail("the declarations were parsed again"))
    assert native.available()
    assert len(calls) == 1                                         # no second compile
    assert os.stat(built).st_ino == inode and os.stat(fresh / declared).st_ino == declared_inode
    assert os.stat(built).st_mtime > 1.0                           # marked as used: young again

    history = parse_ophistory(json.dumps(DOCS["kv-bad"]), "kv-bad.json")
    for part in lin.split(history):
        a, b = lin.search_python(part), native.search(part)
        assert (a.holds, a.order, a.prefix, a.blocked, a.explored) == \
            (b.holds, b.order, b.prefix, b.blocked, b.explored)


@needs_build
def test_a_second_process_reuses_the_build(tmp_path):
    env = dict(os.environ, STMCHECK_CACHE=str(tmp_path / "cache"))
    env.pop("STMCHECK_NO_NATIVE", None)
    code = "from stmcheck.checker.linearizability import native; native.load()"
    stats = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300,
                              capture_output=True, text=True)
        assert done.stdout == ""                                   # (cffi's writer would say "generating")
        names = sorted(os.listdir(tmp_path / "cache"))
        assert len(names) == 2 and names[0].startswith("lincore-") and names[0][:-3] == names[1][:-3]
        stats.append([(n, os.stat(tmp_path / "cache" / n).st_ino) for n in names])
    assert stats[0] == stats[1]


@needs_build
def test_an_unwritable_cache_falls_back_to_a_private_temporary_folder(fresh, monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("STMCHECK_CACHE", str(tmp_path / "a-file" / "cache"))   # cannot be created
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    calls = _spy(monkeypatch)
    assert native.available()
    assert os.path.dirname(calls[-1]) == str(tmp_path / "tmp" / f"stmcheck-{os.getuid()}")
    assert os.path.isfile(calls[-1])


@needs_build
def test_a_failed_compile_is_one_line_and_leaves_nothing_behind(fresh, monkeypatch, tmp_path):
    broken = tmp_path / "core.c"
    broken.write_text("int lin_run(void) { return }\n")
    monkeypatch.setattr(native, "_library", cbuild.OnDemand(str(broken), native.CDEF, "lincore",
                                                           "the linearizability core", native.CFLAGS))
    with pytest.raises(native.NativeError) as info:
        native.load()
    assert "building the linearizability core with" in str(info.value) and "\n" not in str(info.value)
    assert not native.available()                                 # the failure is remembered
    assert [n for n in os.listdir(fresh) if not n.startswith(".")] == []


@pytest.mark.parametrize("why", ["no compiler", "STMCHECK_NO_NATIVE"])
def test_without_the_native_core_the_python_search_gives_the_same_verdicts(fresh, monkeypatch, why):
    with_native = {}
    for name, doc in DOCS.items():
        r = lin.check_linearizability(parse_ophistory(json.dumps(doc), f"{name}.json"))
        with_native[name] = (r.holds, r.order, r.prefix, r.unplaceable, r.explored)
    monkeypatch.setattr(native, "_library", native._library.fresh())
    if why == "no compiler":
        monkeypatch.setattr(cbuild, "find_compiler", lambda: None)
    else:
        monkeypatch.setenv("STMCHECK_NO_NATIVE", "1")
    with pytest.raises(native.NativeError, match="no C compiler found" if why == "no compiler" else why):
        native.load()
    assert not native.available()
    for name, doc in DOCS.items():
        r = lin.check_linearizability(parse_ophistory(json.dumps(doc), f"{name}.json"))
        assert r.engine == "python"
        assert (r.holds, r.order, r.prefix, r.unplaceable, r.explored) == with_native[name], name
    assert [name.endswith("-ok") for name in DOCS] == [with_native[name][0] for name in DOCS]


SCRIPT = """
import json, sys
from stmcheck.checker.linearizability import search as lin
from stmcheck.models.opformats import parse_ophistory
out = {}
for name, doc in json.loads(sys.stdin.read()).items():
    r = lin.check_linearizability(parse_ophistory(json.dumps(doc), name + ".json"))
    out[name] = [r.engine, r.holds, r.order, r.prefix, r.unplaceable, r.explored, r.explanation]
print(json.dumps(out))
"""


def test_a_process_without_any_compiler_falls_back_to_python(tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    no_cc = dict(os.environ, CC=str(tmp_path / "no-such-cc"), PATH=str(empty_bin),
                 STMCHECK_CACHE=str(tmp_path / "cache"))
    no_cc.pop("STMCHECK_NO_NATIVE", None)
    runs = []
    for env in (dict(os.environ), no_cc):
        proc = subprocess.run([sys.executable, "-c", SCRIPT], input=json.dumps(DOCS), env=env,
                              capture_output=True, text=True, timeout=300, check=True)
        runs.append(json.loads(proc.stdout))
    for name in DOCS:
        assert runs[1][name][0] == "python"
        assert runs[0][name][1:] == runs[1][name][1:], name
        assert runs[1][name][1] is name.endswith("-ok")
    assert not os.path.exists(tmp_path / "cache")                 # nothing was built
