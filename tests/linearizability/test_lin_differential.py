"""Differential tests: the linearizability checker against a brute-force oracle.

The oracle below imports nothing from stmcheck. It has its own sequential
models, written from the table of `histories.md` section 4, working on raw
JSON values, and decides linearizability by trying every order of the
operations that respects real time (an operation that returned strictly
before another was called comes first), letting each pending operation take
effect at any point or not at all. It remembers failed (placed set, state)
pairs only to keep the run short; the search stays exhaustive.

Hypothesis draws histories of up to 8 operations for every model: intervals
on a small integer clock (so intervals often touch), results computed from a
random legal linearization and then, two times in three, one result changed. The
checker's verdict must equal the oracle's, and its witness (the order, or the
longest prefix) must check out against the oracle's models.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stmcheck.checker.linearizability import search as lin
from stmcheck.checker.linearizability import native as native
from stmcheck.models.opformats import parse_ophistory

SETTINGS = settings(max_examples=90, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))


# --- the oracle's own sequential models (raw JSON values) -------------------------

def same(a, b) -> bool:
    """JSON equality: true is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def apply(model: str, state, op: str, args: list):
    """(result, new state) with states as JSON-ish Python values (copied, never mutated)."""
    if model in ("register", "cas-register"):
        if op == "read":
            return state, state
        if op == "write":
            return None, args[0]
        return (True, args[1]) if same(state, args[0]) else (False, state)
    if model == "counter":
        return (None, state + args[0]) if op == "add" else (state, state)
    if model == "queue":
        if op == "enqueue":
            return None, state + [args[0]]
        return (None, state) if not state else (state[0], state[1:])
    if model == "stack":
        if op == "push":
            return None, state + [args[0]]
        return (None, state) if not state else (state[-1], state[:-1])
    if model == "set":
        present = any(same(v, args[0]) for v in state)
        if op == "add":
            return (False, state) if present else (True, sorted(state + [args[0]]))
        if op == "remove":
            return (True, [v for v in state if not same(v, args[0])]) if present else (False, state)
        return present, state
    if model == "kv":
        d = dict(state)
        if op == "get":
            return d.get(args[0], ""), state
        d[args[0]] = args[1] if op == "put" else d.get(args[0], "") + args[1]
        return None, sorted(d.items())
    if model == "bank":
        d = dict(state)
        if op == "total":
            return sum(d.values()), state
        if op == "balance":
            return d.get(args[0], 0), state
        src, dst, n = args
        if d.get(src, 0) < n:
            return False, state
        d[src] = d.get(src, 0) - n
        d[dst] = d.get(dst, 0) + n
        return True, sorted((k, v) for k, v in d.items() if v != 0)
    raise AssertionError(model)


def initial_state(model: str, initial):
    if model in ("register", "cas-register"):
        return initial
    if model == "counter":
        return initial or 0
    if model in ("queue", "stack", "set"):
        return []
    if model == "kv":
        return sorted((initial or {}).items())
    return sorted((k, v) for k, v in (initial or {}).items() if v != 0)


def precedes(a: dict, b: dict) -> bool:
    return a["return"] is not None and a["return"] < b["call"]


def oracle(doc: dict) -> bool:
    model, ops = doc["model"], doc["operations"]
    n = len(ops)
    must = {i for i, o in enumerate(ops) if o["return"] is not None}
    failed = set()

    def dfs(placed: frozenset, state) -> bool:
        if must <= placed:
            return True
        key = (placed, json.dumps(state, sort_keys=True))
        if key in failed:
            return False
        for i in range(n):
            if i in placed:
                continue
            if any(j not in placed and precedes(ops[j], ops[i]) for j in range(n)):
                continue
            result, new = apply(model, state, ops[i]["op"], ops[i]["args"])
            if ops[i]["return"] is not None and not same(result, ops[i]["result"]):
                continue
            if dfs(placed | {i}, new):
                return True
        failed.add(key)
        return False

    return dfs(frozenset(), initial_state(model, doc.get("initial")))


def replay(doc: dict, order: list[int], complete: bool, part=None) -> None:
    """Assert `order` is a legal sequence respecting real time (all completed ops if complete).

    `part` limits real time to the operations of one partition (a violation's
    prefix is the prefix of the part where the search failed).
    """
    ops = doc["operations"]
    assert len(set(order)) == len(order)
    pos = {i: k for k, i in enumerate(order)}
    for i in order:
        for j in range(len(ops)):
            if part is not None and j not in part:
                continue
            if precedes(ops[j], ops[i]):
                assert j in pos and pos[j] < pos[i], f"{order}: {j} must come before {i}"
    if complete:
        assert {i for i, o in enumerate(ops) if o["return"] is not None} <= set(order)
    state = initial_state(doc["model"], doc.get("initial"))
    for i in order:
        result, state = apply(doc["model"], state, ops[i]["op"], ops[i]["args"])
        if ops[i]["return"] is not None:
            assert same(result, ops[i]["result"]), f"{order}: op {i} gives {result!r}"


# --- generated histories ----------------------------------------------------------

VAL = st.integers(0, 2)
OPS = {
    "register": [("read", st.just([])), ("write", st.lists(VAL, min_size=1, max_size=1))],
    "cas-register": [("read", st.just([])), ("write", st.lists(VAL, min_size=1, max_size=1)),
                     ("cas", st.lists(VAL, min_size=2, max_size=2))],
    "counter": [("add", st.lists(st.integers(1, 2), min_size=1, max_size=1)), ("get", st.just([]))],
    "queue": [("enqueue", st.lists(VAL, min_size=1, max_size=1)), ("dequeue", st.just([]))],
    "stack": [("push", st.lists(VAL, min_size=1, max_size=1)), ("pop", st.just([]))],
    "set": [(name, st.lists(VAL, min_size=1, max_size=1)) for name in ("add", "remove", "contains")],
    "kv": [("get", st.tuples(st.sampled_from("ab")).map(list)),
           ("put", st.tuples(st.sampled_from("ab"), st.sampled_from(["x", "y"])).map(list)),
           ("append", st.tuples(st.sampled_from("ab"), st.sampled_from(["x", "y"])).map(list))],
    "bank": [("transfer", st.tuples(st.sampled_from("abc"), st.sampled_from("abc"), st.integers(1, 2)).map(list)),
             ("balance", st.tuples(st.sampled_from("abc")).map(list)), ("total", st.just([]))],
}
INITIAL = {"bank": {"a": 2, "b": 1}, "register": 0, "cas-register": 0}
RANDOM_RESULT = {
    "register": VAL, "cas-register": st.one_of(VAL, st.booleans()), "counter": st.integers(0, 5),
    "queue": st.one_of(st.none(), VAL, VAL), "stack": st.one_of(st.none(), VAL, VAL), "set": st.booleans(),
    "kv": st.sampled_from(["", "x", "y", "xy", "yx"]), "bank": st.one_of(st.booleans(), st.integers(0, 3)),
}


@st.composite
def histories(draw, model: str):
    n = draw(st.integers(1, 8))
    nclients = draw(st.integers(1, 4))
    free = [0] * nclients
    ops = []
    for _ in range(n):
        c = draw(st.integers(0, nclients - 1))
        call = free[c] + draw(st.integers(0, 2))
        ret = call + draw(st.integers(0, 3))
        free[c] = ret
        name, args_st = draw(st.sampled_from(OPS[model]))
        ops.append({"client": c, "op": name, "args": draw(args_st), "call": call, "return": ret,
                    "result": None})
    last = {}
    for i, o in enumerate(ops):
        last[o["client"]] = i
    for i in last.values():
        if draw(st.booleans()) and draw(st.booleans()):
            ops[i]["return"] = None
    # results from a random linearization: a point inside each interval
    points = []
    for i, o in enumerate(ops):
        hi = o["return"] if o["return"] is not None else o["call"] + 4
        takes_effect = o["return"] is not None or draw(st.booleans())
        if takes_effect:
            points.append((o["call"] + draw(st.integers(0, 8)) * (hi - o["call"]) / 8, i))
    state = initial_state(model, INITIAL.get(model))
    for _, i in sorted(points):
        result, state = apply(model, state, ops[i]["op"], ops[i]["args"])
        ops[i]["result"] = result
    done = [i for i, o in enumerate(ops) if o["return"] is not None]
    valued = [i for i in done if ops[i]["result"] is not None] or done
    if valued and draw(st.integers(0, 2)):
        ops[draw(st.sampled_from(valued))]["result"] = draw(RANDOM_RESULT[model])
    for o in ops:
        if o["return"] is None:
            o["result"] = None
    doc = {"format": "stmcheck.ophistory/1", "model": model, "operations": ops}
    if model in INITIAL:
        doc["initial"] = INITIAL[model]
    return doc


def check_all_engines(doc: dict) -> None:
    expected = oracle(doc)
    history = parse_ophistory(json.dumps(doc), "generated.json")
    engines = ["python"] + (["native"] if native.available() else [])
    for engine in engines:
        for partition in (True, False):
            r = lin.check_linearizability(history, engine=engine, partition=partition)
            assert r.holds is expected, (engine, partition, doc)
            if expected:
                replay(doc, r.order, complete=True)
            else:
                part = None
                if r.partition is not None:  # kv and set: the first argument names the part
                    first = doc["operations"][r.unplaceable]["args"][0]
                    part = {i for i, o in enumerate(doc["operations"]) if same(o["args"][0], first)}
                    assert set(r.prefix) <= part
                replay(doc, r.prefix, complete=False, part=part)
                assert r.unplaceable not in r.prefix
                assert doc["operations"][r.unplaceable]["return"] is not None
    if native.available():  # the generic callback kernel on specs that have a C kernel
        for part in lin.split(history):
            a = lin.search_python(part)
            b = native.search(part, kernel=0)
            c = native.search(part)
            assert a.holds == b.holds == c.holds
            assert a.explored == b.explored == c.explored
            assert (a.order, a.prefix, a.blocked) == (b.order, b.prefix, b.blocked) == (c.order, c.prefix, c.blocked)


@pytest.mark.parametrize("model", sorted(OPS))
def test_checker_agrees_with_brute_force(model):
    @SETTINGS
    @given(histories(model))
    def run(doc):
        check_all_engines(doc)
    run()


def test_generator_produces_both_verdicts():
    """The differential test is only worth something if both answers occur."""
    seen = {True: 0, False: 0}

    @settings(max_examples=100, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(histories("cas-register"))
    def run(doc):
        seen[oracle(doc)] += 1
    run()
    assert seen[True] > 20 and seen[False] > 20, seen
