"""Hand-written linearizability cases: one non-linearizable history per model and its
linearizable twin, pending operations, touching intervals, and the witness."""

from __future__ import annotations

import json

import pytest

from stmcheck.checker.linearizability import search as lin
from stmcheck.checker.linearizability import native as native
from stmcheck.models.opformats import parse_ophistory
from stmcheck.models.specs import Spec, register_spec

ENGINES = ["python"] + (["native"] if native.available() else [])


def history(model, ops, initial=None):
    """ops: (client, op, args, call, return, result)."""
    doc = {"format": "stmcheck.ophistory/1", "model": model,
           "operations": [{"client": c, "op": o, "args": a, "call": s, "return": r, "result": res}
                          for c, o, a, s, r, res in ops]}
    if initial is not None:
        doc["initial"] = initial
    return parse_ophistory(json.dumps(doc), "case.json")


def verdict(h, engine):
    return lin.check_linearizability(h, engine=engine)


# (model, initial, ops, linearizable?, unplaceable op when not)
CASES = {
    # a read sees a value older than a write that finished before it began
    "register-stale-read": ("register", None, [
        (0, "write", [1], 0, 1, None), (1, "read", [], 2, 3, None)], False, 1),
    "register-concurrent-read": ("register", None, [
        (0, "write", [1], 0, 5, None), (1, "read", [], 2, 3, None), (2, "read", [], 4, 6, 1)], True, None),
    # two reads disagree on the order of two writes (new-old inversion)
    "register-inversion": ("register", 0, [
        (0, "write", [1], 0, 10, None), (1, "read", [], 1, 2, 1), (1, "read", [], 3, 4, 0)], False, 2),
    "cas-both-succeed": ("cas-register", 0, [
        (0, "cas", [0, 1], 0, 2, True), (1, "cas", [0, 2], 1, 3, True)], False, 1),
    "cas-one-succeeds": ("cas-register", 0, [
        (0, "cas", [0, 1], 0, 2, True), (1, "cas", [0, 2], 1, 3, False), (2, "read", [], 4, 5, 1)], True, None),
    "counter-lost-update": ("counter", None, [
        (0, "add", [1], 0, 1, None), (1, "add", [1], 0, 1, None), (2, "get", [], 2, 3, 1)], False, 2),
    "counter-ok": ("counter", 5, [
        (0, "add", [1], 0, 3, None), (1, "get", [], 1, 2, 5), (2, "get", [], 4, 5, 6)], True, None),
    "queue-lifo": ("queue", None, [
        (0, "enqueue", [1], 0, 1, None), (0, "enqueue", [2], 2, 3, None), (1, "dequeue", [], 4, 5, 2)], False, 2),
    "queue-duplicate": ("queue", None, [
        (0, "enqueue", [1], 0, 1, None), (1, "dequeue", [], 2, 4, 1), (2, "dequeue", [], 3, 5, 1)], False, 2),
    "queue-ok": ("queue", None, [
        (0, "enqueue", [1], 0, 3, None), (1, "dequeue", [], 1, 2, None), (1, "dequeue", [], 4, 5, 1)], True, None),
    "stack-fifo": ("stack", None, [
        (0, "push", [1], 0, 1, None), (0, "push", [2], 2, 3, None), (1, "pop", [], 4, 5, 1)], False, 2),
    "stack-ok": ("stack", None, [
        (0, "push", [1], 0, 1, None), (1, "push", [2], 0, 3, None), (2, "pop", [], 2, 4, 1)], True, None),
    "set-double-add": ("set", None, [
        (0, "add", [7], 0, 1, True), (1, "add", [7], 2, 3, True)], False, 1),
    "set-remove-absent": ("set", None, [
        (0, "add", [7], 0, 1, True), (1, "remove", [7], 2, 3, False)], False, 1),
    "set-ok": ("set", None, [
        (0, "add", [7], 0, 4, True), (1, "contains", [7], 1, 2, False), (2, "contains", [7], 3, 5, True),
        (3, "add", [8], 0, 1, True)], True, None),
    "kv-lost-append": ("kv", {"k": "a"}, [
        (0, "append", ["k", "b"], 0, 1, None), (1, "append", ["k", "c"], 2, 3, None),
        (2, "get", ["k"], 4, 5, "ac")], False, 2),
    "kv-ok-per-key": ("kv", None, [
        (0, "put", ["x", "1"], 0, 2, None), (1, "append", ["y", "z"], 1, 3, None),
        (2, "get", ["x"], 1, 4, "1"), (3, "get", ["y"], 0, 1, ""), (3, "get", ["y"], 5, 6, "z")], True, None),
    "kv-missing-key-is-empty": ("kv", None, [(0, "get", ["nope"], 0, 1, "")], True, None),
    "bank-overdraft": ("bank", {"a": 1}, [
        (0, "transfer", ["a", "b", 1], 0, 1, True), (1, "transfer", ["a", "c", 1], 2, 3, True)], False, 1),
    "bank-total-changes": ("bank", {"a": 5}, [
        (0, "transfer", ["a", "b", 2], 0, 4, True), (1, "total", [], 1, 2, 5), (2, "total", [], 3, 5, 7)],
        False, 2),
    "bank-ok": ("bank", {"a": 5}, [
        (0, "transfer", ["a", "b", 2], 0, 4, True), (1, "balance", ["b"], 1, 2, 2),
        (2, "balance", ["a"], 3, 5, 3), (3, "transfer", ["b", "a", 9], 6, 7, False)], True, None),
    # pending operations: may take effect, at any time after their call, or not at all
    "pending-write-seen": ("register", 0, [
        (0, "write", [1], 0, None, None), (1, "read", [], 5, 6, 1)], True, None),
    "pending-write-unseen": ("register", 0, [
        (0, "write", [1], 0, None, None), (1, "read", [], 5, 6, 0)], True, None),
    "pending-write-flicker": ("register", 0, [
        (0, "write", [1], 0, None, None), (1, "read", [], 5, 6, 1), (1, "read", [], 7, 8, 0)], False, 2),
    "pending-never-before-call": ("register", 0, [
        (1, "read", [], 0, 1, 1), (0, "write", [1], 2, None, None)], False, 0),
    "pending-cas-any-result": ("cas-register", 0, [
        (0, "cas", [0, 3], 0, None, None), (1, "read", [], 1, 2, 3), (1, "cas", [3, 4], 3, 4, True)],
        True, None),
    "pending-dequeue": ("queue", None, [
        (0, "enqueue", [1], 0, 1, None), (1, "dequeue", [], 2, None, None), (0, "dequeue", [], 3, 4, None)],
        True, None),
    # closed intervals: touching operations are concurrent, either order works
    "touching-is-concurrent": ("register", 0, [
        (0, "write", [1], 0, 5, None), (1, "read", [], 5, 6, 0)], True, None),
    "strictly-after-is-ordered": ("register", 0, [
        (0, "write", [1], 0, 5, None), (1, "read", [], 5.5, 6, 0)], False, 1),
    "zero-length-intervals": ("register", 0, [
        (0, "write", [1], 3, 3, None), (1, "read", [], 3, 3, 1), (2, "read", [], 3, 3, 0)], True, None),
    "true-is-not-one": ("register", 0, [
        (0, "write", [True], 0, 1, None), (1, "read", [], 2, 3, 1)], False, 1),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name, engine):
    model, initial, ops, expected, blocked = CASES[name]
    h = history(model, ops, initial)
    r = verdict(h, engine)
    assert r.holds is expected, r.explanation
    if expected:
        assert sorted(set(r.order)) == sorted(r.order)
        assert {i for i, o in enumerate(ops) if o[4] is not None} <= set(r.order)
    else:
        assert r.unplaceable == blocked, r.explanation
        assert f"operation {blocked}" in r.explanation


def test_every_model_has_a_violation_case():
    models = {CASES[c][0] for c in CASES if CASES[c][3] is False}
    assert models >= {"register", "cas-register", "counter", "queue", "stack", "set", "kv", "bank"}


def test_order_respects_real_time_across_partitions():
    h = history("kv", [
        (0, "put", ["a", "1"], 0, 1, None), (1, "put", ["b", "2"], 2, 3, None),
        (0, "get", ["b"], 4, 5, "2"), (1, "get", ["a"], 6, 7, "1")])
    r = lin.check_linearizability(h)
    assert r.holds and r.partitions == 2
    assert r.order == [0, 1, 2, 3]


def test_violation_reports_prefix_state_and_partition():
    h = history("kv", [
        (0, "put", ["k", "x"], 0, 1, None), (1, "get", ["k"], 2, 3, "y"), (2, "get", ["j"], 0, 1, "")])
    r = lin.check_linearizability(h)
    assert r.holds is False and r.partition == "k"
    assert r.prefix == [0] and r.unplaceable == 1
    assert r.state == (("k", "x"),)
    assert "would return \"x\"" in r.explanation


def test_timeout_is_inconclusive():
    # 12 concurrent writes and a read nobody wrote: exhaustive search needed
    ops = [(c, "write", [c], 0, 100, None) for c in range(12)] + [(99, "read", [], 101, 102, 42)]
    r = lin.check_linearizability(history("register", ops), timeout=1e-9, engine="python")
    assert r.holds in (None, False)  # may finish before the first clock check on fast machines
    big = [(c, "add", [1], 0, 100, None) for c in range(40)] + [(99, "get", [], 101, 102, -1)]
    r = lin.check_linearizability(history("counter", big), timeout=0.05)
    assert r.holds is None and "ran out of time" in r.explanation


class MaxRegister(Spec):
    """The user-written spec of the specs.py docstring."""

    name = "test-max-register"
    ops = {"write": 1, "read": 0}

    def init(self, initial):
        return 0 if initial is None else initial

    def step(self, state, op, args):
        if op == "write":
            return None, max(state, args[0])
        return state, state


@pytest.mark.parametrize("engine", ENGINES)
def test_user_written_spec(engine):
    register_spec(MaxRegister())
    ok = history("test-max-register", [(0, "write", [3], 0, 1, None), (1, "write", [2], 2, 3, None),
                                       (2, "read", [], 4, 5, 3)])
    bad = history("test-max-register", [(0, "write", [3], 0, 1, None), (2, "read", [], 4, 5, 2)])
    assert verdict(ok, engine).holds is True
    assert verdict(bad, engine).holds is False


@pytest.mark.skipif(not native.available(), reason="no native core (no C compiler or cffi)")
def test_native_kernels_match_python_on_long_histories():
    """Long random-ish histories: kernels 1 and 2 and the callback kernel agree with Python."""
    import random
    rng = random.Random(7)
    for model, mk in (("cas-register", lambda c: rng.choice([
            ("read", [], rng.randint(0, 3)), ("write", [rng.randint(0, 3)], None),
            ("cas", [rng.randint(0, 3), rng.randint(0, 3)], rng.random() < 0.5)])),
            ("kv", lambda c: rng.choice([
                ("get", ["k"], rng.choice(["", "a", "ab", "b"])), ("append", ["k", rng.choice("ab")], None),
                ("put", ["k", rng.choice(["", "a"])], None)]))):
        for _ in range(30):
            ops, t = [], 0
            for c in range(rng.randint(5, 25)):
                name, args, res = mk(c)
                t += rng.randint(0, 2)
                pending = rng.random() < 0.1
                ops.append((c, name, args, t, None if pending else t + rng.randint(0, 6), None if pending else res))
            h = history(model, ops)
            for part in lin.split(h):
                a = lin.search_python(part)
                for kernel in (None, 0):
                    b = native.search(part, kernel=kernel)
                    assert (a.holds, a.order, a.prefix, a.blocked, a.explored) == \
                        (b.holds, b.order, b.prefix, b.blocked, b.explored)
                    assert a.blocked_state == b.blocked_state
