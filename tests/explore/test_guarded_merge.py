"""Guarded steps merged (runtime.py): a step on a cell guarded by a lock its thread holds is taken
with that thread's step before it, in the state-graph search.

Three oracles, each the same enumeration with nothing merged (`MERGE_GUARDED` off):
- the places: a breadth-first enumeration of the reachable places (memory and positions, one
  table of positions for both) by replayed runs finds, merging, exactly the places the full
  enumeration finds where no thread has such a step pending (what the runtime's docstring
  proves), and the same ends (how a run ended, with the final memory); on shipped designs and
  on random programs (hypothesis);
- every execution (small acyclic cases): the criteria some history violates at each end;
- the graph search's verdicts: the kinds of violation and the ends met, over the whole graph,
  by symmetry and on cyclic programs (starvation) too, and the progress properties.
And the contract: a step on a guarded cell by a thread that does not hold its lock, or a wait on
one, is a usage error that names both."""

from __future__ import annotations

from collections import deque
from contextlib import contextmanager

import pytest
from hypothesis import given, settings, strategies as st

from stmcheck.checker import api
from stmcheck.checker.explore import runtime
from stmcheck.checker.explore.runtime import STOPPED, Positions, Run
from stmcheck.checker.explore import progress
from stmcheck.checker.history.criteria import check
from stmcheck.models.machine import Abort, DesignMisuse, Machine, wait_any
from stmcheck.models.terms import DEFAULT_CRITERIA

from test_symmetry import _search


class _To:
    """Follow `path` (marks fused, as the graph search's runs do), then stop."""
    fuses_marks = True

    def __init__(self, path):
        self.path, self.i = path, 0

    def pick(self, run, enabled):
        if self.i == len(self.path):
            return None
        t = self.path[self.i]
        self.i += 1
        assert t in enabled
        return t


def _merged_next(run, t) -> bool:
    """Is thread t's pending step one the runtime merges: on a cell guarded by a lock t holds?"""
    step = run.pending_step(t)
    return step is not None and step.guard >= 0 and run.mem[step.guard] == t


@contextmanager
def _merging(on: bool):
    kept = runtime.MERGE_GUARDED
    runtime.MERGE_GUARDED = on
    try:
        yield
    finally:
        runtime.MERGE_GUARDED = kept


def _run_to(setup, path, positions=None):
    run = Run(setup.design_cls, setup.workload, detect_lassos=False, positions=positions)
    return run.execute(_To(path))


def _end(run) -> tuple:
    return run.outcome, tuple(sorted((run.final or {}).items()))


def _places(setup, merge, positions):
    """Every reachable place -> whether some thread has a merged step pending there; and the ends
    (outcome, final memory). Brute force: each place reached by replaying its path."""
    places, ends = {}, set()
    queue = deque([()])
    with _merging(merge):
        while queue:
            path = queue.popleft()
            run = _run_to(setup, path, positions)
            if run.outcome != STOPPED:
                ends.add(_end(run))
                continue
            key = run.abstract_state()
            if key in places:
                continue
            places[key] = any(_merged_next(run, t) for t in range(1, run.threads + 1))
            queue.extend(path + (t,) for t in run.enabled_now())
    return places, ends


def _violated_at_each_end(setup, merge) -> dict:
    """Every execution, brute force (designs whose graphs have no cycle): each end (outcome, final
    memory) -> the criteria some history ending there violates."""
    out: dict = {}
    stack = [()]
    with _merging(merge):
        while stack:
            path = stack.pop()
            run = _run_to(setup, path)
            if run.outcome == STOPPED:
                stack.extend(path + (t,) for t in run.enabled_now())
                continue
            failed = out.setdefault(_end(run), set())
            if run.outcome == "complete":
                failed.update(r.criterion for r in check(run.history(), DEFAULT_CRITERIA) if not r.holds)
    return out


@pytest.mark.parametrize("design,workload,threads", [
    ("global-lock", "transfer", 2),
    ("locks-ordered", "transfer", 2),
    ("locks-naive", "transfer", 2),            # deadlocks
    ("locks-early-release", "transfer", 2),    # releases between accesses
    ("eager-aggressive", "counter", 2),        # livelocks: cycles
    ("eager+karma", "counter", 2),
    ("eager", "swap", 2),                      # tickets (stamps), undo on abort
])
def test_merged_places_are_the_full_places_with_no_merged_step_pending(design, workload, threads):
    setup = api.prepare(design, workload, threads=threads)
    positions = Positions()
    full, full_ends = _places(setup, False, positions)
    merged, merged_ends = _places(setup, True, positions)
    assert any(full.values()), "nothing to merge: the test would prove nothing"
    assert set(merged) == {key for key, pending in full.items() if not pending}
    assert not any(merged.values())
    assert merged_ends == full_ends


def _verdicts(design, workload, threads, merge, cyclic=False, symmetry=False):
    """(states, (the kinds of violation found, the ends runs met)) of the whole graph. Which of the
    criteria a history violating the chosen one is reported as, and which of an end's histories a
    run met, depend on the paths the runs took: the criteria are compared as one kind here, and
    the histories by brute force (`test_merging_keeps_what_each_end_violates`)."""
    with _merging(merge):
        g, ex, out = _search(design, workload, threads, symmetry, cyclic)
    assert out.exhausted
    kinds = {"criterion" if v.kind in DEFAULT_CRITERIA else v.kind for v in out.violations}
    return len(g.store), (sorted(kinds, key=str), {end[:2] for end in ex.finals})


@pytest.mark.parametrize("design,workload,threads,cyclic,symmetry", [
    ("global-lock", "transfer", 3, False, False),
    ("locks-ordered", "swap", 3, False, False),
    ("locks-naive", "transfer", 3, False, False),           # deadlock
    ("locks-early-release", "transfer", 3, False, False),   # serializability
    ("eager+passive", "transfer", 2, False, False),         # livelock
    ("eager", "transfer", 2, False, False),
    ("eager-no-undo", "counter", 2, False, False),          # opacity
    ("eager+passive", "counter", 3, False, True),           # with symmetry
    ("eager+aggressive", "counter", 2, True, False),        # cyclic: starvation
    ("global-lock", "counter", 3, True, True),
])
def test_merging_keeps_every_verdict(design, workload, threads, cyclic, symmetry):
    full_states, full = _verdicts(design, workload, threads, False, cyclic, symmetry)
    merged_states, merged = _verdicts(design, workload, threads, True, cyclic, symmetry)
    assert merged == full
    assert merged_states < full_states


@pytest.mark.parametrize("design,workload", [
    ("global-lock", "transfer"), ("locks-ordered", "counter"), ("eager+passive", "counter"),
    ("eager-aggressive", "transfer"), ("locks-naive", "transfer"),
])
def test_merging_keeps_the_progress_verdicts(design, workload):
    """Obstruction-freedom and surviving a stopped thread, on the graph of cyclic programs."""
    found = []
    for merge in (False, True):
        setup = api.prepare(design, workload, threads=2, cyclic=True)
        with _merging(merge):
            out = progress.progress(setup.design_cls, setup.workload, max_states=200_000)
        assert out.complete
        found.append((out.obstruction_free, out.survives_stopped_thread))
    assert found[0] == found[1]


@pytest.mark.parametrize("design,workload", [
    ("locks-early-release", "counter"),     # serializability violated at some ends
    ("locks-naive", "transfer"),            # a deadlock
    ("locks-ordered", "transfer"),
    ("global-lock", "swap"),
])
def test_merging_keeps_what_each_end_violates(design, workload):
    """Over every execution (2 threads; designs whose graphs have no cycle, and small programs:
    locks-early-release on transfer has too many): each end is reached merging, and the criteria
    some history ending there violates are the same (a merged step moves its thread's events, and an
    END after it, earlier: more real-time order, never less; the runtime's docstring)."""
    setup = api.prepare(design, workload, threads=2)
    full = _violated_at_each_end(setup, False)
    merged = _violated_at_each_end(setup, True)
    assert merged == full
    if design == "locks-early-release":
        assert any(full.values())


# -- random programs on a guarded design ---------------------------------------------------------

class _TwoLocks:
    """Each key's cell guarded by one of two locks (by the key's rank); a transaction takes the
    locks of its keys in lock order, and a first attempt's write of an odd-ranked key aborts, to
    roll back. The attempt count is its local state, set at begin and commit only, so that a
    thread's position and local state decide its next step (the contract every search rests on:
    set where the attempt decides to abort, two attempts would meet in one state and go on apart)."""

    def __init__(self, machine: Machine, keys: dict, threads: int):
        self.locks = [machine.lock("L0"), machine.lock("L1")]
        names = sorted(keys)
        self.lock_of = {k: self.locks[names.index(k) % 2] for k in keys}
        self.cells = {k: machine.cell(k, v, guarded_by=self.lock_of[k]) for k, v in keys.items()}
        self.odd = {k: names.index(k) % 2 == 1 for k in keys}
        self.attempt = {t: 0 for t in range(1, threads + 1)}   # 1: a first attempt, 2: a retry

    def local_state(self, thread):
        return self.attempt[thread]

    def begin(self, thread):
        self.attempt[thread] = 2 if self.attempt[thread] else 1
        return {"thread": thread, "held": [], "undo": []}

    def _own(self, tx, key):
        lock = self.lock_of[key]
        if lock not in tx["held"]:
            for other in self.locks:
                if other not in tx["held"] and (other is lock or self.locks.index(other) < self.locks.index(lock)):
                    yield other.acquire()
                    tx["held"].append(other)

    def read(self, tx, key):
        yield from self._own(tx, key)
        return (yield self.cells[key].load())

    def write(self, tx, key, value):
        yield from self._own(tx, key)
        tx["undo"].append((key, (yield self.cells[key].load())))
        yield self.cells[key].store(value)
        if self.odd[key] and self.attempt[tx["thread"]] == 1:
            raise Abort("a first attempt's write of an odd key")

    def commit(self, tx):
        self.attempt[tx["thread"]] = 0
        for lock in reversed(tx["held"]):
            yield lock.release()

    def abort(self, tx):
        for key, old in reversed(tx["undo"]):
            yield self.cells[key].store(old)
        for lock in reversed(tx["held"]):
            yield lock.release()


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), threads=st.sampled_from([2, 3]))
def test_merging_keeps_the_places_of_random_programs(seed, threads):
    """Random programs (`random:SEED`) on a design with two guarding locks and rolled-back writes:
    the same places without merged steps pending, and the same ends."""
    setup = api.prepare(_TwoLocks, f"random:{seed}", threads=threads)
    positions = Positions()
    full, full_ends = _places(setup, False, positions)
    merged, merged_ends = _places(setup, True, positions)
    assert any(full.values())
    assert set(merged) == {key for key, pending in full.items() if not pending}
    assert merged_ends == full_ends


# -- the contract --------------------------------------------------------------------------------

class _ReadsUnlocked:
    """Guards its cells and then reads one without the lock: a usage error, not a verdict."""

    def __init__(self, machine, keys, threads):
        self.lock = machine.lock("G")
        self.cells = {k: machine.cell(k, v, guarded_by=self.lock) for k, v in keys.items()}

    def begin(self, thread):
        return thread

    def read(self, tx, key):
        return (yield self.cells[key].load())

    def write(self, tx, key, value):
        yield self.lock.acquire()
        yield self.cells[key].store(value)
        yield self.lock.release()

    def commit(self, tx):
        return None

    def abort(self, tx):
        return None


@pytest.mark.parametrize("strategy", ["graph", "dpor", "random"])
def test_a_step_on_a_guarded_cell_without_its_lock_is_a_usage_error(strategy):
    with pytest.raises(api.UsageError) as err:
        api.explore(_ReadsUnlocked, "transfer", threads=2, strategy=strategy, max_executions=50)
    text = str(err.value)
    assert "guarded by G" in text and "load" in text and "nobody holds it" in text


def test_waiting_on_a_guarded_cell_or_guarding_with_a_stranger_is_misuse():
    m = Machine()
    lock = m.lock("L")
    cell = m.cell("x", 0, guarded_by=lock)
    with pytest.raises(DesignMisuse, match="waits on x, a cell guarded"):
        wait_any((cell, lambda v: v == 1))
    with pytest.raises(DesignMisuse, match="not a lock of this machine"):
        m.cell("y", 0, guarded_by=Machine().lock("L"))
    with pytest.raises(DesignMisuse, match="not a lock of this machine"):
        m.cell("z", 0, guarded_by=cell)


@pytest.mark.parametrize("design", ["global-lock", "eager"])
def test_steps_outside_transactions_touch_guarded_cells_and_merge_nothing(design):
    """A workload's own non-transactional load or store of a key takes no lock (docs/gil.md): it
    is no misuse, and since it races with the lock's holder such runs merge no step."""
    setup = api.prepare(design, "privatize", threads=2)
    assert any(c.guard >= 0 for c in Run(setup.design_cls, setup.workload).outside_cells.values())
    assert not Run(setup.design_cls, setup.workload)._merges
    out = api.explore(design, "privatize", threads=2, stop_at_first=False)
    assert out.exhausted and out.steps > 0
