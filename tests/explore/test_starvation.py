"""Starvation: a proven fair loop, with cyclic programs, in which one thread
never commits while another does (checker/explore/liveness.py), reported apart from
livelock (a fair loop in which nobody commits).

The designs and the workload are hand-made so that states recur: two threads
toggle one bit, so memory goes 0, 1, 0, ... while commits happen.
"""

import pytest

import stmcheck
from stmcheck import Kind
from stmcheck.checker import api
from stmcheck.checker.explore.runtime import Run
from stmcheck.checker.explore.starvation import liveness
from stmcheck.checker.explore.strategies.replay import Replay
from stmcheck.implementations.global_lock import GlobalLock
from stmcheck.models.machine import Abort
from stmcheck.models.workloads import Workload


class Toggle(Workload):
    """Every transaction flips bit x (x := 1 - x): values recur, so loops with commits can close."""

    name = "toggle"
    default_keys, min_keys = 1, 1

    def build(self):
        self.keys = {"x": 0}

        def flip(tx):
            v = yield from tx.read("x")
            yield from tx.write("x", 1 - v)

        self.programs = {t: [("flip x", flip)] for t in range(1, self.threads + 1)}


class _Tx:
    def __init__(self):
        self.reads, self.writes = {}, {}


class Optimistic:
    """Reads go to memory, writes to a redo log; commit takes one lock, re-reads the
    read set, aborts if a value changed, else writes back. Safe, but a thread can
    lose every validation to a thread that keeps committing: it starves."""

    def __init__(self, machine, keys, threads):
        self.lock = machine.lock("G")
        self.cells = {k: machine.cell(k, v) for k, v in keys.items()}

    def begin(self, thread):
        return _Tx()

    def read(self, tx, key):
        if key in tx.writes:
            return tx.writes[key]
        v = yield self.cells[key].load()
        tx.reads.setdefault(key, v)
        return v

    def write(self, tx, key, value):
        tx.writes[key] = value

    def commit(self, tx):
        yield self.lock.acquire()
        tx.locked = True
        for k, v in tx.reads.items():
            if (yield self.cells[k].load()) != v:
                raise Abort(f"{k} changed")
        for k, v in tx.writes.items():
            yield self.cells[k].store(v)
        yield self.lock.release()

    def abort(self, tx):
        if getattr(tx, "locked", False):
            yield self.lock.release()


class Selfish:
    """Thread 1 aborts whenever thread 2 is inside a transaction (a flag): with the
    flag set for all of thread 2's attempt and thread 1 retrying, nobody commits."""

    def __init__(self, machine, keys, threads):
        self.inner = Optimistic(machine, keys, threads)
        self.busy = machine.cell("busy", 0)

    def begin(self, thread):
        if thread == 2:
            yield self.busy.store(1)
        tx = self.inner.begin(thread)
        tx.thread = thread
        return tx

    def read(self, tx, key):
        if tx.thread == 1 and (yield self.busy.load()):
            raise Abort("thread 2 is busy")
        return (yield from self.inner.read(tx, key))

    def write(self, tx, key, value):
        return self.inner.write(tx, key, value)

    def commit(self, tx):
        yield from self.inner.commit(tx)

    def abort(self, tx):
        yield from self.inner.abort(tx)


def explore(design, cyclic=True, budget=3000, max_steps=200, strategy="dpor", **kw):
    setup = api.prepare(design, Toggle(2), max_steps=max_steps, cyclic=cyclic)
    return api.make_explorer(setup, strategy, max_executions=budget, stop_at_first=True, **kw)


def test_optimistic_design_starves_a_thread():
    ex = explore(Optimistic)
    out = ex.explore()
    v = out.violations[0]
    d = v.detail
    assert v.kind == "starvation" and not v.suspected
    assert d["fair"] and d["committed"] and d["starving"]
    assert not set(d["committed"]) & set(d["starving"])
    # inside the loop the starved thread steps (it retries) and never commits; another one does
    commits = [(e["thread"], s) for e, s in zip(v.run.events, v.run.event_steps) if e["op"] == "commit"]
    starved = d["starving"][0]
    assert all(t != starved for t, s in commits if d["start"] <= s < d["end"])
    assert any(d["start"] <= s < d["end"] for _, s in commits)
    assert starved in v.run.schedule[d["start"]:d["end"]]


def test_starvation_replays_from_its_schedule():
    ex = explore(Optimistic)
    v = ex.explore().violations[0]
    run = Run(Optimistic, Toggle(2), 200, cyclic=True)
    run.execute(Replay(list(v.run.schedule), strict=True))
    assert run.outcome == "starvation" and run.detail["starving"] == v.detail["starving"]


def test_random_also_finds_it():
    out = explore(Optimistic, strategy="random", seed=1).explore()
    assert out.violations and out.violations[0].kind == "starvation"


def test_without_cyclic_programs_there_is_no_starvation():
    out = explore(Optimistic, cyclic=False).explore()
    assert out.exhausted and not out.violations


def test_global_lock_is_starvation_free():
    """Waiting at the lock is not starvation: the waiter is enabled whenever the lock
    is free, so a loop that never runs it is unfair. The state graph is finite and
    holds no fair loop that starves anyone (stateless DPOR cannot say this: the
    paths to the first repeated state are too many to exhaust)."""
    live = liveness(GlobalLock, Toggle(2))
    assert live["complete"] and live["starvation"] == "holds" and live["livelock"] == "holds"


def test_state_graph_finds_the_starvation_and_its_witness_replays():
    live = liveness(Optimistic, Toggle(2))
    assert live["complete"] and live["starvation"] == "violated" and live["livelock"] == "holds"
    w = live["starvation_witness"]
    (x,) = w["starving"]
    assert x not in w["committed"] and w["committed"]
    assert x in w["loop"]                      # the starved thread keeps stepping in the loop
    # run the prefix and the loop twice: the runtime closes a fair loop in which x never commits
    run = Run(Optimistic, Toggle(2), 500, cyclic=True)
    run.execute(Replay(w["prefix"] + w["loop"] * 2, strict=True))
    assert run.outcome == "starvation" and run.detail["starving"] == [x]


def test_state_graph_livelock():
    """Nobody commits in a fair loop: livelock, not starvation (eager-aggressive on 2 toggles)."""
    from stmcheck.implementations.eager_aggressive import EagerAggressive

    class TwoToggles(Toggle):
        def build(self):
            self.keys = {"x": 0, "y": 0}

            def flip(a, b):
                def body(tx):
                    u = yield from tx.read(a)
                    v = yield from tx.read(b)
                    yield from tx.write(a, 1 - u)
                    yield from tx.write(b, 1 - v)
                return body
            self.programs = {1: [("flip x, y", flip("x", "y"))], 2: [("flip y, x", flip("y", "x"))]}

    live = liveness(EagerAggressive, TwoToggles(2), max_states=1500)
    assert live["livelock"] == "violated"
    w = live["livelock_witness"]
    run = Run(EagerAggressive, TwoToggles(2), 2000, cyclic=True)
    run.execute(Replay(w["prefix"] + w["loop"] * 2, strict=True))
    assert run.outcome == "livelock"


class Growing(Workload):
    """A counter that only grows, also when repeated: no finite graph."""

    name = "growing"
    finite_cycle = False

    def build(self):
        self.keys = {"x": 0}

        def bump(tx):
            v = yield from tx.read("x")
            yield from tx.write("x", v + 1)

        self.programs = {t: [("bump x", bump)] for t in range(1, self.threads + 1)}


def test_unbounded_state_is_unknown_never_holds():
    """A counter that only grows has no finite graph: the verdict stays unknown."""
    live = liveness(GlobalLock, Growing(2), max_states=300)
    assert not live["complete"] and live["starvation"] == "unknown" and live["livelock"] == "unknown"


def test_shipped_cycles_are_finite():
    """The shipped workloads' cyclic programs keep values in a finite set (`Workload.cycle`): the
    global lock's graph is complete and starvation-free (the lock is not fair, but the cycle of
    a thread that keeps winning is not a fair one: the other, enabled, never steps in it)."""
    from stmcheck.models.workloads import WORKLOADS, make_workload
    for name in WORKLOADS:
        wl = make_workload(name, 2, 1)
        assert wl.finite_cycle, name
        live = liveness(GlobalLock, wl, max_states=5000)
        assert live["complete"] and live["starvation"] == "holds" and live["livelock"] == "holds", name


def test_a_thread_shut_out_for_good_starves():
    """Selfish: once thread 2 has begun, thread 1 aborts at every read; thread 2 goes on
    committing. Starvation of thread 1, in the state graph and by a random walk."""
    live = liveness(Selfish, Toggle(2))
    assert live["starvation"] == "violated" and live["starvation_witness"]["starving"] == [1]
    assert live["starvation_witness"]["committed"] == [2]


def test_a_witness_with_an_unfair_inner_loop_replays():
    """eager (Greedy) on transfer, cyclic: thread 1 commits twice per loop while thread 2 polls a
    lock that is always taken when it looks (it never meets the manager: the lock is free when
    it asks who owns it). The loop is fair, but inside it thread 1 runs alone round a smaller
    one; a replay must follow the schedule through it, not force thread 2 in (the matrix's
    replay command failed so: "only 2 can step there")."""
    setup = api.prepare("eager", "transfer", threads=2)
    live = liveness(setup.design_cls, setup.workload, 5000)
    assert live["starvation"] == "violated"
    w = live["starvation_witness"]
    run = Run(setup.design_cls, setup.workload, cyclic=True)
    run.execute(Replay(w["prefix"] + w["loop"] * 2, strict=True))
    assert run.outcome == "starvation"


def test_the_graph_stops_at_its_first_starving_cycle():
    """gencounter-racy's generation is a relative stamp: its cyclic graph never ends. Asked to stop
    at a starving cycle, the search decides the verdict long before the budget, the same verdict
    as when it runs to the budget; it never calls the graph complete."""
    setup = api.prepare("gencounter-racy", "transfer", threads=2)
    early = liveness(setup.design_cls, setup.workload, 20_000, stop_at_starvation=True)
    full = liveness(setup.design_cls, setup.workload, 20_000)
    assert early["starvation"] == full["starvation"] == "violated"
    assert not early["complete"] and not full["complete"]
    assert early["states"] < full["states"] == 20_000


# -- `explore --cyclic`: the same graph, searched by the explorer -----------------------------------

#: Cells whose cyclic graphs end within a few thousand states, with every kind of answer among
#: them: clean, starvation, livelock and starvation, a deadlock (whose dead end `liveness` notes).
_CYCLIC_CELLS = [(d, w) for d in ("global-lock", "gencounter", "norec", "locks-naive")
                 for w in ("transfer", "swap", "dict-update", "counter")] \
    + [("lazy", "dict-update"), ("lazy", "counter"), ("tl2", "counter"), ("eager+aggressive", "counter")]


@pytest.mark.parametrize("design, workload", _CYCLIC_CELLS)
def test_explore_cyclic_decides_what_the_starvation_graph_decides(design, workload):
    """The explorer's graph search over cyclic runs (the default of `explore --cyclic`) builds the
    same graph as `liveness` (the matrix's starvation column) and reaches the same verdicts:
    the same states, exhausted where that one is complete, a livelock and a starvation
    counterexample exactly where it proves one, and every counterexample a lasso the runtime
    proves again."""
    setup = api.prepare(design, workload, threads=2, cyclic=True)
    ex = api.make_explorer(setup, "graph", max_states=60_000, stop_at_first=False, max_executions=None)
    out = ex.explore()
    live = liveness(setup.design_cls, setup.workload, 60_000)
    assert out.states == live["states"] and out.exhausted == live["complete"] is True
    kinds = {v.kind for v in out.violations}
    assert (Kind.LIVELOCK in kinds) == (live["livelock"] == "violated")
    assert (Kind.STARVATION in kinds) == (live["starvation"] == "violated")
    assert (Kind.DEADLOCK in kinds) == (live["problem"] == "deadlock")
    for v in out.violations:
        if v.kind in (Kind.LIVELOCK, Kind.STARVATION):
            assert v.run.outcome == v.kind and v.detail["fair"] and not v.suspected


def test_explore_cyclic_starvation_replays_from_its_command():
    """`explore --cyclic` (graph by default) ends at a starvation lasso, and the printed schedule,
    `PREFIX (LOOP)*`, replays to the same starvation of the same thread."""
    r = stmcheck.explore("gencounter", "dict-update", cyclic=True)
    assert r.strategy == "graph" and r.violations
    (v,) = r.violations
    assert v.kind == Kind.STARVATION and "(" in v.replay and ")*" in v.replay
    schedule = v.replay.split("--schedule ")[1].strip("'")
    again = stmcheck.replay("gencounter", schedule, "dict-update", cyclic=True)
    assert again.violation is not None and again.violation.kind == Kind.STARVATION
    assert again.violation.detail["starving"] == v.detail["starving"]


def test_explore_cyclic_proves_a_starvation_free_design():
    """Where the graph ends without a starving cycle, explore says so: exhausted, no violation
    (the proof that stateless DPOR over cyclic runs could not give: it ends bounded)."""
    r = stmcheck.explore("norec", "swap", cyclic=True)
    setup = api.prepare("norec", "swap", threads=2)
    assert r.exhausted and not r.violations
    assert r.states == liveness(setup.design_cls, setup.workload, 60_000)["states"]
    d = stmcheck.explore("norec", "swap", cyclic=True, strategy="dpor", max_executions=300)
    assert not d.exhausted and not d.violations
