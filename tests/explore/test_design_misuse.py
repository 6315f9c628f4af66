"""A design that breaks the interface is a usage error (exit 2, one line naming the
design, the method, what it yielded or lacked, and a hint), under every strategy
and in replay; a design that raises its own exception stays a `crash`
counterexample."""

from __future__ import annotations


import pytest
from click.testing import CliRunner

import stmcheck
from stmcheck.checker.cli import main
from user_designs import with_variants

BASE = with_variants('''
    class NoLoad(GlobalLock):
        def read(self, tx, key):
            return (yield self.cells[key])


    class Bare(GlobalLock):
        def read(self, tx, key):
            return (yield)


    class FortyTwo(GlobalLock):
        def write(self, tx, key, value):
            yield 42


    class InHelper(GlobalLock):
        def _get(self, key):
            return (yield self.cells[key])

        def read(self, tx, key):
            return (yield from self._get(key))


    class YieldsGenerator(GlobalLock):
        def _get(self, key):
            return (yield self.cells[key].load())

        def read(self, tx, key):
            return (yield self._get(key))


    class NoDescriptor(GlobalLock):
        def begin(self, thread):
            yield self.lock.acquire()


    class TwoArgInit(GlobalLock):
        def __init__(self, machine, keys):
            super().__init__(machine, keys, 2)


    class ReadOneArg(GlobalLock):
        def read(self, tx):
            return (yield self.cells["a0"].load())


    class NoAbort:
        def __init__(self, machine, keys, threads):
            pass

        def begin(self, thread):
            return thread

        def read(self, tx, key):
            return 0

        def write(self, tx, key, value):
            pass

        def commit(self, tx):
            pass


    class OwnBug(GlobalLock):
        def read(self, tx, key):
            v = yield self.cells[key].load()
            return v / 0
''')

CASES = [
    ("NoLoad", "`NoLoad.read` yielded Cell(a", "did you mean `.load()`"),
    ("Bare", "`Bare.read` yielded a bare `yield` (None)", "yield a step"),
    ("FortyTwo", "`FortyTwo.write` yielded int 42", "yield only machine steps"),
    ("InHelper", "`InHelper._get` yielded Cell(a", "did you mean `.load()`"),
    ("YieldsGenerator", "`YieldsGenerator.read` yielded a generator", "did you mean `yield from`"),
    ("NoDescriptor", "`begin` returned None, not a transaction descriptor", ""),
    ("TwoArgInit", "`TwoArgInit(...)` must take (machine, keys, threads)", ""),
    ("ReadOneArg", "`read` must take (tx, key)", ""),
    ("NoAbort", "the design lacks abort", ""),
]


@pytest.fixture
def designs(tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text(BASE)
    monkeypatch.chdir(tmp_path)
    return "mine.py"


def _run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("name, says, hint", CASES)
@pytest.mark.parametrize("how", [["explore", "-q"], ["explore", "-q", "--strategy", "random"],
                                 ["replay", "--schedule", "1*3,2"]])
def test_interface_misuse_is_a_usage_error(designs, name, says, hint, how):
    r = _run(how[0], f"{designs}:{name}", *how[1:])
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"stmcheck: error: {designs}:{name}: "), r.output
    assert says in lines[0] and hint in lines[0]
    assert "Traceback" not in r.output


def test_the_api_raises_usage_error_for_a_class_too(designs):
    cls, _ = stmcheck.load_design(f"{designs}:NoLoad")
    with pytest.raises(stmcheck.UsageError, match="did you mean `.load\\(\\)`"):
        stmcheck.explore(cls)


def test_a_designs_own_exception_stays_a_crash_counterexample(designs):
    r = _run("explore", f"{designs}:OwnBug", "-q")
    assert r.exit_code == 1 and "VIOLATION: CRASH" in r.output
    assert "ZeroDivisionError" in r.output and "return v / 0" in r.output
