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
from stmcheck.checker.explore.strategies.replay import Replay
from stmcheck.implementations.global_lock import GlobalLock
from stmcheck.models.machine import Abort
from stmcheck.models.workloads import make_workload
from state_search import search


class Unsynchronized(GlobalLock):
    """`global-lock` that never takes its lock: never waits (and is not serializable)."""

    def __init__(self, machine, keys, threads):
        super().__init__(machine, keys, threads)
        # its cells are no longer guarded by the lock (a step on one would be a usage error)
        self.cells = {k: machine.cell(k, v) for k, v in keys.items()}

    def begin(self, thread):
        return thread

    def commit(self, tx):
        return None

    def abort(self, tx):
        return None


class TryLock(GlobalLock):
    """`global-lock` that tries its lock, never waits for it: a transaction that finds it held
    aborts (in `begin`: no `abort` call) and retries at once. Nobody blocks, but a thread alone
    behind a stopped holder retries for ever."""

    def begin(self, thread):
        if not (yield self.lock.try_acquire()):
            raise Abort("G is held")
        return thread


class _Alone:
    """Take `schedule`, then thread `alone` while it can, at most `limit` steps."""

    def __init__(self, schedule, alone, limit):
        self.schedule, self.alone, self.limit, self.i = schedule, alone, limit, 0

    def pick(self, run, enabled):
        i, self.i = self.i, self.i + 1
        if i < len(self.schedule):
            return self.schedule[i]
        return self.alone if self.alone in enabled and i < len(self.schedule) + self.limit else None


#: One table of positions for every run of the oracle: their states are compared.
POSITIONS = Positions()


def _runs(design_cls, wl, chooser=None):
    """A cyclic run of the oracle's (a builder for `state_search.search` without `chooser`)."""
    run = Run(design_cls, wl, max_steps=4000, detect_lassos=False, cyclic=True, positions=POSITIONS)
    if chooser is not None:
        run.execute(chooser)
    return run


def oracle(design_cls, wl, limit=300) -> tuple:
    """(obstruction-free, survives a stopped thread), step by step from every reachable state.
    A property found violated is not looked at again: the answer is the same, sooner (norec on
    counter: 36 s looking on, 4 s not)."""
    of = st = True
    threads = range(1, wl.threads + 1)
    states = [c.taken[:i] for _, c in search(lambda: _runs(design_cls, wl))
              for i in range(len(c.prefix), len(c.taken))]
    for sched in states:
        if not (of or st):
            break
        at = _runs(design_cls, wl, Replay(sched, then_stop=True))
        for t in threads if of else ():
            if _runs(design_cls, wl, _Alone(sched, t, limit)).commits == at.commits:   # alone, no commit
                of = False
        for s in at.attempting() if st else ():
            for run, c in search(lambda: _runs(design_cls, wl), sched, lambda en: [u for u in en if u != s]):
                if c.stuck or run.outcome == "deadlock":
                    st = False
                    break
    return of, st


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
    run = _runs(load_design("tl2")[0], make_workload("transfer", 2), Replay(w["prefix"] + w["steps"], then_stop=True))
    assert w["thread"] in run.attempting()
    assert not [t for t in run.enabled_log[-1] if t != w["thread"]]   # the others wait


def test_the_command_prints_both_verdicts_and_exits_1_on_a_violation():
    out = CliRunner().invoke(main, ["explore", "tl2", "--progress"], prog_name="stmcheck")
    assert out.exit_code == 1, out.output
    assert "obstruction-free:          VIOLATED" in out.output
    assert "replay: stmcheck replay tl2 --workload transfer --threads 2 --txns 1 --cyclic --schedule" in out.output
    doc = json.loads(CliRunner().invoke(main, ["explore", "tl2", "--progress", "--json"]).output)
    assert doc["exhausted"] and doc["survives_stopped_thread"] == "violated" and doc["bounds"] == []
    small = CliRunner().invoke(main, ["explore", "tl2", "--progress", "--max-states", "500"]).output
    assert "500 states of cyclic programs, BOUNDED, not exhausted (max-states 500)" in small   # what bounded it
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


def test_a_dstm_that_waits_nowhere_does_not_block_where_dstm_does():
    """DSTM's own guarantee: nobody waits for a stopped transaction. `dstm` waits (the loser for
    its winner, greedy for the older): both properties violated at once; `dstm-no-loser-wait`
    (aggressive, no loser wait) shows no counterexample in the same part of its graph (its
    whole write-skew graph, 165,329 states, proves both: the matrix's cell)."""
    waits = api.progress("dstm", "write-skew", max_states=5_000).progress
    assert waits.obstruction_free == waits.survives_stopped_thread == "violated"
    free = api.progress("dstm-no-loser-wait", "write-skew", max_states=5_000).progress
    assert not free.complete and free.obstruction_free == free.survives_stopped_thread == "unknown"
    assert free.witnesses == {}
