"""Progress properties on the state graph of cyclic programs (checker/explore/progress.py):
obstruction-freedom and survival of a stopped thread, against an oracle that runs each
thread alone from every reachable state, and the others without it, step by step."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from stmcheck.checker import api
from stmcheck.checker.cli import main
from stmcheck.checker.explore.progress import progress
from stmcheck.checker.explore.runtime import Positions, Run
from stmcheck.implementations.registry import load_design
from stmcheck.models.machine import Abort
from stmcheck.models.workloads import make_workload


class Unsynchronized:
    """Reads and writes memory directly, commits nothing: never waits (and is not serializable)."""

    def __init__(self, machine, keys, threads):
        self.cells = {k: machine.cell(k, v) for k, v in keys.items()}

    def begin(self, thread):
        return thread

    def read(self, tx, key):
        return (yield self.cells[key].load())

    def write(self, tx, key, value):
        yield self.cells[key].store(value)

    def commit(self, tx):
        return None

    def abort(self, tx):
        return None


class TryLock(Unsynchronized):
    """One lock, tried, never waited for: a transaction that finds it held aborts and retries at
    once. Nobody blocks, but a thread alone behind a stopped holder retries for ever."""

    def __init__(self, machine, keys, threads):
        super().__init__(machine, keys, threads)
        self.lock = machine.lock("G")

    def begin(self, thread):
        if not (yield self.lock.try_acquire()):
            raise Abort("G is held")
        return thread

    def commit(self, tx):
        yield self.lock.release()


class _To:
    """Take `schedule`, then `then` (one thread) while it can, at most `limit` steps."""

    def __init__(self, schedule, alone=None, limit=0, seen=None):
        self.schedule, self.alone, self.limit, self.seen = schedule, alone, limit, seen
        self.taken, self.others = [], []

    def pick(self, run, enabled):
        i = len(self.taken)
        if i < len(self.schedule):
            t = self.schedule[i]
        elif self.alone is not None:
            if self.alone not in enabled or i >= len(self.schedule) + self.limit:
                return None
            t = self.alone
        else:
            key = run.abstract_state()
            if key in self.seen:
                return None
            self.seen.add(key)
            t = enabled[0]
            self.others.extend(self.taken + [u] for u in enabled[1:])
        self.taken.append(t)
        return t


#: One table of positions for every run of the oracle: their states are compared.
POSITIONS = Positions()


def _runs(design_cls, wl, chooser):
    run = Run(design_cls, wl, max_steps=4000, detect_lassos=False, cyclic=True, positions=POSITIONS)
    run.execute(chooser)
    return run


def _states(design_cls, wl) -> list:
    """A schedule to every reachable state (a plain search over abstract states)."""
    seen, stack, out = set(), [[]], []
    while stack:
        prefix = stack.pop()
        c = _To(prefix, seen=seen)
        _runs(design_cls, wl, c)
        out.extend(c.taken[:i] for i in range(len(prefix), len(c.taken)))
        stack.extend(c.others)
    return out


def oracle(design_cls, wl, limit=300) -> tuple:
    """(obstruction-free, survives a stopped thread), step by step from every reachable state."""
    of = st = True
    threads = range(1, wl.threads + 1)
    for sched in _states(design_cls, wl):
        at = _runs(design_cls, wl, _To(sched, alone=0))      # the state itself (thread 0 never steps)
        for t in threads:
            run = _runs(design_cls, wl, _To(sched, alone=t, limit=limit))
            if run.commits == at.commits:          # alone, t never committed
                of = False
        for s in at.attempting():
            others = [u for u in threads if u != s]
            seen, stack = set(), [list(sched)]
            while stack and st:
                prefix = stack.pop()
                c = _Without(prefix, s, seen)
                run = _runs(design_cls, wl, c)
                if c.stuck or run.outcome == "deadlock":
                    st = False
                stack.extend(c.others)
    return of, st


class _Without:
    """Search the states the threads other than `s` reach after `prefix`; `stuck` when one of them
    has none of those threads able to step."""

    def __init__(self, prefix, s, seen):
        self.prefix, self.s, self.seen, self.taken, self.others, self.stuck = prefix, s, seen, [], [], False

    def pick(self, run, enabled):
        i = len(self.taken)
        if i < len(self.prefix):
            t = self.prefix[i]
        else:
            key = run.abstract_state()
            if key in self.seen:
                return None
            self.seen.add(key)
            mine = [u for u in enabled if u != self.s]
            if not mine:
                self.stuck = True
                return None
            t = mine[0]
            self.others.extend(self.taken + [u] for u in mine[1:])
        self.taken.append(t)
        return t


CASES = [(Unsynchronized, "counter"), (TryLock, "counter"), ("global-lock", "counter"), ("norec", "counter"),
         ("gencounter", "counter"), ("locks-naive", "counter"), ("locks-naive", "transfer")]


@pytest.mark.parametrize("design,workload", CASES)
def test_the_graph_decides_as_the_step_by_step_oracle(design, workload):
    cls = load_design(design)[0] if isinstance(design, str) else design
    wl = make_workload(workload, 2)
    p = progress(cls, wl, 60_000)
    assert p.complete
    of, st = oracle(cls, wl)
    assert (p.obstruction_free, p.survives_stopped_thread) == (
        "holds" if of else "violated", "holds" if st else "violated")


def test_a_design_that_never_waits_is_both_and_a_lock_is_neither():
    p = progress(Unsynchronized, make_workload("counter", 2))
    assert (p.obstruction_free, p.survives_stopped_thread) == ("holds", "holds")
    p = progress(TryLock, make_workload("counter", 2))
    assert (p.obstruction_free, p.survives_stopped_thread) == ("violated", "holds")
    assert "goes round for ever" in p.witnesses["obstruction-free"]["why"]
    p = progress(load_design("global-lock")[0], make_workload("transfer", 2))
    assert (p.obstruction_free, p.survives_stopped_thread) == ("violated", "violated")
    assert p.witnesses["survives-stopped-thread"]["waits"] == ["thread 2 waits for G (held by thread 1)"]


def test_tl2_makes_the_others_wait_for_a_stopped_committer_and_the_replay_shows_it():
    r = api.progress("tl2", "transfer")
    assert r.progress.complete
    assert r.progress.survives_stopped_thread == "violated"
    w = r.progress.witnesses["survives-stopped-thread"]
    assert w["waits"] and all("lock(" in text for text in w["waits"])
    run = Run(load_design("tl2")[0], make_workload("transfer", 2), max_steps=4000, detect_lassos=False, cyclic=True)
    run.execute(_To(w["prefix"] + w["steps"], alone=-1))
    assert w["thread"] in run.attempting()
    assert not [t for t in run.enabled_log[-1] if t != w["thread"]]   # the others wait


def test_the_command_prints_both_verdicts_and_exits_1_on_a_violation():
    out = CliRunner().invoke(main, ["explore", "tl2", "--progress"], prog_name="stmcheck")
    assert out.exit_code == 1, out.output
    assert "obstruction-free:          VIOLATED" in out.output
    assert "replay: stmcheck replay tl2 --workload transfer --threads 2 --txns 1 --cyclic --schedule" in out.output
    doc = json.loads(CliRunner().invoke(main, ["explore", "tl2", "--progress", "--json"]).output)
    assert doc["exhausted"] and doc["survives_stopped_thread"] == "violated"
    bad = CliRunner().invoke(main, ["explore", "tl2", "--progress", "--workload", "privatize"])
    assert bad.exit_code == 2 and "outside transactions" in bad.output


class Crashy(Unsynchronized):
    """Never waits, but its second thread's commit raises: a bug, not a progress property."""

    def commit(self, tx):
        if tx == 2:
            raise RuntimeError("a bug")


def test_a_crash_proves_nothing_and_a_deadlock_denies_both():
    p = progress(Crashy, make_workload("counter", 2))
    assert (p.obstruction_free, p.survives_stopped_thread) == ("unknown", "unknown")
    assert "crashed" in p.note
    p = progress(load_design("locks-naive")[0], make_workload("transfer", 2))
    assert p.complete and (p.obstruction_free, p.survives_stopped_thread) == ("violated", "violated")
