"""Peer parity: every Porcupine test history gets the verdict Porcupine's own tests expect.

The histories are not part of this repository: they are read from
`<repo>/../shared/data/porcupine/` (Porcupine's `test_data`, MIT licence), and
the tests skip, saying so, where that folder is absent. `expected.json` maps
each file to the verdict of Porcupine's test suite (true: linearizable).
"""

from __future__ import annotations

import json
import os

import pytest

from stmcheck.checker.linearizability import search as lin
from stmcheck.checker.linearizability import native as native
from stmcheck.models.opformats import read_ophistory

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "porcupine"))
EXPECTED = os.path.join(DATA, "expected.json")
SKIP = f"Porcupine's test histories are not available here ({DATA} is absent)"


def expected() -> dict:
    if not os.path.exists(EXPECTED):
        return {}
    with open(EXPECTED) as handle:
        return json.load(handle)


def model_for(name: str) -> str | None:
    return "cas-register" if name.startswith("etcd/") else None  # kv files are recognised


CASES = sorted(expected())


@pytest.mark.skipif(not CASES, reason=SKIP)
@pytest.mark.parametrize("name", CASES or ["-"])
def test_porcupine_verdict(name):
    path = os.path.join(DATA, name)
    if not os.path.exists(path):
        pytest.skip(f"{path} is absent")
    history = read_ophistory(path, model=model_for(name))
    result = lin.check_linearizability(history, timeout=60)
    assert result.holds is expected()[name], result.explanation


@pytest.mark.skipif(not CASES, reason=SKIP)
def test_whole_suite_agrees():
    """One line for CI logs: how many of Porcupine's verdicts stmcheck reproduces."""
    want = expected()
    agree = 0
    for name in CASES:
        history = read_ophistory(os.path.join(DATA, name), model=model_for(name))
        agree += lin.check_linearizability(history, timeout=60).holds is want[name]
    assert agree == len(want), f"{agree}/{len(want)} verdicts agree with Porcupine"


@pytest.mark.skipif(not CASES, reason=SKIP)
@pytest.mark.skipif(not native.available(), reason="no native core (no C compiler or cffi)")
@pytest.mark.parametrize("name", ["kv/c10-ok.txt", "kv/c10-bad.txt", "kv/c01-bad.txt",
                                  "etcd/etcd_000.log", "etcd/etcd_040.log", "etcd/etcd_080.log"])
def test_native_search_is_the_python_search(name):
    """Same steps, same verdict, same witness: the C core is the Python reference, faster."""
    history = read_ophistory(os.path.join(DATA, name), model=model_for(name))
    for part in lin.split(history):
        a, b = lin.search_python(part), native.search(part)
        assert (a.holds, a.order, a.prefix, a.blocked, a.explored) == \
            (b.holds, b.order, b.prefix, b.blocked, b.explored)
        assert a.blocked_state == b.blocked_state


@pytest.mark.skipif(not CASES, reason=SKIP)
def test_import_counts():
    """The imports read what Porcupine's parsers read (calls, returns, pending)."""
    h = read_ophistory(os.path.join(DATA, "kv/c50-ok.txt"))
    assert h.model == "kv" and h.counts()["operations"] == 1712 and h.counts()["clients"] == 50
    h = read_ophistory(os.path.join(DATA, "etcd/etcd_000.log"), model="cas-register")
    c = h.counts()
    assert c["operations"] == 85 and c["pending"] == 16
