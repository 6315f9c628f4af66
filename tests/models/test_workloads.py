"""The issue-4 workloads: deterministic programs, invariants that are right both
ways (checked against a serial-execution oracle), clean on correct designs, and
clear CLI errors."""

import itertools
import json
import shlex

import pytest
from click.testing import CliRunner

from stmcheck.checker.cli import main
import stmcheck
from stmcheck.models.workloads import WORKLOADS, make_workload, run_serial, workload_class

NEW = ["write-skew", "dict-update", "intset", "ww-pathology", "random", "random:3"]
CORRECT = ["global-lock", "tl2", "norec", "lazy-incremental", "locks-ordered"]


def all_bodies(wl):
    return [body for t in sorted(wl.programs) for _, body in wl.programs[t]]


def serial_finals(wl):
    """Oracle: the final state of every serial order of all the transactions."""
    out = set()
    for order in itertools.permutations(all_bodies(wl)):
        state = dict(wl.keys)
        for body in order:
            state = run_serial(body, state)
        out.add(tuple(sorted(state.items())))
    return [dict(s) for s in out]


class Recorder:
    """A transaction handle that records what a body does, over a fixed memory."""

    def __init__(self, mem):
        self.mem, self.log = dict(mem), []

    def read(self, key):
        self.log.append(("r", key, self.mem[key]))
        return self.mem[key]
        yield

    def write(self, key, value):
        self.log.append(("w", key, value))
        self.mem[key] = value
        return
        yield


def trace(body, mem):
    rec = Recorder(mem)
    for _ in body(rec):
        pass
    return rec.log


@pytest.mark.parametrize("name", NEW)
def test_programs_are_deterministic(name):
    a, b = make_workload(name, 3, 2), make_workload(name, 3, 2)
    assert a.keys == b.keys
    assert [[lbl for lbl, _ in a.programs[t]] for t in (1, 2, 3)] == [[lbl for lbl, _ in b.programs[t]]
                                                                        for t in (1, 2, 3)]
    for x, y in zip(all_bodies(a), all_bodies(b)):
        assert trace(x, a.keys) == trace(y, b.keys)            # same values read -> same steps
        assert trace(x, a.keys) == trace(x, a.keys)            # and again: no hidden state
    # values are integers everywhere (native designs hold words)
    for state in serial_finals(make_workload(name, 2, 1)):
        assert all(isinstance(v, int) for v in state.values())


@pytest.mark.parametrize("name", NEW)
@pytest.mark.parametrize("threads,txns", [(2, 1), (3, 1), (2, 2)])
def test_invariant_accepts_every_serial_outcome(name, threads, txns):
    wl = make_workload(name, threads, txns)
    n = threads * txns
    for state in serial_finals(wl):
        assert wl.invariant(state, n) is None, state


def test_random_programs_depend_on_the_seed_only():
    a, b, c = make_workload("random", 2, 2), make_workload("random:0", 2, 2), make_workload("random:1", 2, 2)
    labels = [lbl for t in (1, 2) for lbl, _ in a.programs[t]]
    assert labels == [lbl for t in (1, 2) for lbl, _ in b.programs[t]]
    assert labels != [lbl for t in (1, 2) for lbl, _ in c.programs[t]]
    assert c.name == "random:1" and a.name == "random"
    # fewer threads or transactions: a prefix of the same programs (what shrinking relies on)
    small = make_workload("random:1", 1, 1)
    assert small.programs[1][0][0] == c.programs[1][0][0] and small.keys == c.keys


def test_random_invariant_rejects_a_state_no_order_leaves():
    wl = make_workload("random:3", 2, 1)
    finals = serial_finals(wl)
    values = range(10)
    bad = next(dict(zip(wl.keys, vs)) for vs in itertools.product(values, repeat=len(wl.keys))
               if dict(zip(wl.keys, vs)) not in finals)
    assert "not what any serial order" in wl.invariant(bad, 2)


def test_write_skew_invariant():
    wl = make_workload("write-skew", 2, 1)
    assert wl.invariant({"x0": -1, "y0": 1}, 2) is None
    assert "write skew" in wl.invariant({"x0": -1, "y0": -1}, 2)
    four = make_workload("write-skew", 4, 1, keys=4)
    assert set(four.keys) == {"x0", "y0", "x1", "y1"}
    assert "x1+y1" in four.invariant({"x0": -1, "y0": 1, "x1": -1, "y1": -1}, 4)


def test_dict_update_invariant():
    wl = make_workload("dict-update", 2, 1, keys=1)
    assert wl.keys == {"d1.k0": 100, "d2.k0": 200}
    assert wl.invariant({"d1.k0": 200, "d2.k0": 200}, 2) is None      # d1.update(d2) first
    assert wl.invariant({"d1.k0": 100, "d2.k0": 100}, 2) is None      # d2.update(d1) first
    assert "not what any serial order" in wl.invariant({"d1.k0": 200, "d2.k0": 100}, 2)  # write skew
    assert wl.invariant({"d1.k0": 100, "d2.k0": 200}, 0) is None      # nothing committed
    assert wl.invariant({"d1.k0": 100, "d2.k0": 200}, 2) is not None  # both committed, nothing changed


def test_intset_invariant():
    wl = make_workload("intset", 2, 1)                 # {1, 3}; thread 1 inserts 2, thread 2 removes 1
    assert [lbl for t in (1, 2) for lbl, _ in wl.programs[t]] == ["insert 2", "remove 1"]
    good = {"head": 2, "n1": 2, "n2": 3, "n3": 0}      # {2, 3}
    assert wl.members(good) == ([2, 3], None)
    assert wl.invariant(good, 2) is None
    lost = {"head": 3, "n1": 2, "n2": 3, "n3": 0}      # the lost insert: 2 linked after the removed 1
    assert "2 is missing" in wl.invariant(lost, 2)
    assert "out of order" in wl.invariant({"head": 3, "n1": 0, "n2": 0, "n3": 2}, 2)
    assert "cycle" in wl.invariant({"head": 2, "n1": 0, "n2": 3, "n3": 2}, 2)
    assert "not a node" in wl.invariant({"head": 7, "n1": 0, "n2": 0, "n3": 0}, 2)
    # with a given-up operation (committed < total) the start state is allowed too
    assert wl.invariant({"head": 1, "n1": 3, "n2": 0, "n3": 0}, 1) is None
    assert wl.invariant({"head": 1, "n1": 3, "n2": 0, "n3": 0}, 2) is not None


def test_intset_zombie_walk_stops_on_a_torn_list():
    wl = make_workload("intset", 2, 1)
    insert2 = wl.programs[1][0][1]
    # a torn view: 3 points back to 1; inserting 4 would walk forever without the guard
    big = make_workload("intset", 1, 4, keys=4)
    label, insert4 = big.programs[1][3]
    assert label == "insert 4"
    log = trace(insert4, {"head": 1, "n1": 3, "n2": 0, "n3": 1, "n4": 0})
    assert all(op != "w" for op, *_ in log)
    assert ("w", "n1", 2) in trace(insert2, wl.keys)


def test_ww_pathology_orders_and_invariant():
    wl = make_workload("ww-pathology", 2, 1, keys=3)
    assert [k for op, k, _ in trace(wl.programs[1][0][1], wl.keys) if op == "r"] == ["k0", "k1", "k2"]
    assert [k for op, k, _ in trace(wl.programs[2][0][1], wl.keys) if op == "r"] == ["k2", "k1", "k0"]
    assert wl.invariant({"k0": 2, "k1": 2, "k2": 2}, 2) is None
    assert "lost update" in wl.invariant({"k0": 2, "k1": 1, "k2": 2}, 2)


@pytest.mark.parametrize("name", NEW)
def test_correct_designs_explore_clean(name):
    """2 threads, retries bounded at 1: TL2 and lazy-incremental can livelock on the crossing
    workloads (each aborts the other at commit), which is theirs, not the workload's."""
    for design in CORRECT:
        out = stmcheck.explore(design, name, retries=1, max_executions=5000, time_limit=None, shrink=False)
        assert out.exhausted and not out.violations, (design, [v.explanation for v in out.violations])


@pytest.mark.parametrize("design,name,kind", [
    ("locks-naive", "ww-pathology", "deadlock"), ("eager-aggressive", "ww-pathology", "livelock"),
    ("locks-naive", "dict-update", "deadlock"), ("tl2-no-commit-validation", "write-skew", "serializability"),
])
def test_the_workloads_show_their_classic_failure(design, name, kind):
    out = stmcheck.explore(design, name, max_executions=5000, time_limit=None, shrink=False)
    assert out.violations and out.violations[0].kind == kind


def test_registry_and_names():
    assert set(NEW[:-1]) <= set(WORKLOADS)
    assert workload_class("random:12") == (WORKLOADS["random"], 12)
    for bad in ("random:x", "random:-1", "transfer:1", "nope"):
        with pytest.raises(ValueError):
            workload_class(bad)
    with pytest.raises(ValueError, match="even"):
        make_workload("write-skew", 2, 1, keys=3)
    with pytest.raises(ValueError, match="--keys >= 2"):
        make_workload("intset", 2, 1, keys=1)


@pytest.mark.parametrize("args,message", [
    (["--workload", "random:x"], "the seed must be a non-negative integer"),
    (["--workload", "counter:2"], "takes no seed"),
    (["--workload", "nope"], "unknown workload"),
    (["--workload", "write-skew", "--keys", "3"], "even --keys"),
    (["--workload", "intset", "--keys", "1"], "--keys >= 2"),
    (["--workload", "ww-pathology", "--keys", "0"], "0 is not in the range"),
    (["--workload", "random", "--txns", "0"], "0 is not in the range"),
])
def test_cli_rejects_bad_workload_options(args, message):
    r = CliRunner().invoke(main, ["explore", "tl2", *args])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output


def test_cli_random_seed_travels_in_the_workload_name():
    """The replay command names random:SEED, and replaying it shows the same violation."""
    r = CliRunner().invoke(main, ["explore", "tl2-no-commit-validation", "--workload", "random:1", "--json"])
    assert r.exit_code == 1
    v = json.loads(r.output)["violations"][0]
    assert "--workload random:1 " in v["replay"]
    argv = shlex.split(v["replay"])[1:]
    again = CliRunner().invoke(main, argv)
    assert again.exit_code == 1 and v["kind"].upper() in again.output
    clean = ["explore", "tl2", "--workload", "random:3", "--retries", "1"]
    first, second = CliRunner().invoke(main, clean), CliRunner().invoke(main, clean)
    assert first.exit_code == 0 and "random:3" in first.output and first.output == second.output


def test_random_invariant_catches_a_lost_update_the_criteria_cannot_see():
    """random:3 has two blind writes to r1; without commit validation the later-serialised
    one lands first. The histories are serializable (nothing reads r1 afterwards), the
    final state is not: only the workload invariant sees it."""
    out = stmcheck.explore("tl2-no-commit-validation", "random:3", max_executions=5000, time_limit=None,
                           shrink=False)
    assert out.violations[0].kind == "invariant"


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_repeated_programs_keep_their_values_finite(name):
    """`Workload.cycle`: what a thread repeats in a cyclic run. Run serially over and over, in
    any interleaving of whole transactions, the states must stay in a small set (a round trip
    for transfer, counting modulo 3 for counter and ww-pathology), which is what makes the
    starvation graph finite."""
    wl = make_workload(name, 2, 1)
    assert wl.finite_cycle
    cycles = {t: [body for _, body in wl.cycle(t)] for t in (1, 2)}
    seen, frontier = set(), [(tuple(sorted(wl.keys.items())), 0, 0)]
    while frontier:
        state, i1, i2 = frontier.pop()
        if (state, i1, i2) in seen:
            continue
        seen.add((state, i1, i2))
        assert len(seen) < 5000, f"{name}: the repeated programs leave ever new states"
        for t, i in ((1, i1), (2, i2)):
            after = run_serial(cycles[t][i % len(cycles[t])], dict(state))
            nxt = (i + 1) % len(cycles[t])
            frontier.append((tuple(sorted(after.items())), nxt if t == 1 else i1, nxt if t == 2 else i2))
    if name == "transfer":   # there and back: one thread's round trip leaves the balances as they were
        (body_there, body_back) = cycles[1]
        assert run_serial(body_back, run_serial(body_there, wl.keys)) == wl.keys
