"""The `any` manager stands for aggressive, polite, karma and polka (contention.AnyManager).

The claim: a run of eager or dstm with one of the four, with the steps only managers take
dropped (priority cells, back-off re-checks) and the explorer's pick put where the manager
decided, is a run of the same design with `any`, with the same history, end state and outcome.
Here that map is built for random runs and replayed on the stand-in, step by step: every kept
step must be the stand-in's next step, and the histories must be equal. DSTM's karma and polka
publish karma in the status words (dstm.py, `_decide`): their runs map through `AGAIN` and the
check after an open, which the test picks from what the real run's steps returned.
"""

from __future__ import annotations

import random

import pytest

from stmcheck.checker import api
from stmcheck.checker.explore.runtime import COMPLETE, DEADLOCK, Run
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.checker.matrix import Cell, lift, run_cell
from stmcheck.implementations.contention import ABORT_OTHER, STOOD_FOR, Wait
from stmcheck.implementations.registry import DESIGNS, stand_in
from stmcheck.models.machine import CAS, CHOICE_STRIDE, CHOOSE, HOLDER, LOAD, STORE, picked


class _Recorder:
    """A manager that logs each decision: (steps taken then, thread, decision)."""

    def __init__(self, inner, run, log):
        self._inner, self._run, self._log = inner, run, log

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def resolve(self, me, other, rounds):
        decision = self._inner.resolve(me, other, rounds)
        self._log.append((len(self._run.steps), picked(self._run.schedule[-1], self._run.threads)[0], decision))
        return decision


def _real_run(design: str, workload: str, threads: int, seed: int):
    setup = api.prepare(design, workload, threads=threads)
    run = Run(setup.design_cls, setup.workload, max_steps=300, detect_lassos=False)
    log: list = []
    run.design.cm = _Recorder(run.design.cm, run, log)
    rng = random.Random(seed)

    class Walk:
        fair = False

        def pick(self, r, enabled):
            return enabled[rng.randrange(len(enabled))]

    run.execute(Walk())
    return run, log


def _own_status(step, t) -> bool:
    return step.obj is not None and getattr(step.obj, "name", "") == f"status{t}"


def _kept(run, log, dstm: bool) -> tuple:
    """The real run's steps that the stand-in takes too ([(index, thread)]), and each thread's
    decisions in order (thread -> [decision]): the priority cells' steps and each back-off's
    re-checks dropped."""
    backing = {}                     # thread -> in a back-off, from this step index on
    decisions: dict = {}
    by_index: dict = {}
    for i, t, d in log:
        decisions.setdefault(t, []).append(d)
        by_index.setdefault(i, []).append((t, d))
    kept = []
    for i, (v, step) in enumerate(zip(run.schedule, run.steps)):
        for t, d in by_index.get(i, ()):
            if isinstance(d, Wait):
                backing[t] = True
        t = picked(v, run.threads)[0]
        name = getattr(step.obj, "name", "") if step.obj is not None and not isinstance(step.obj, tuple) else ""
        if name.startswith("prio"):
            continue
        if backing.get(t):
            if dstm and step.op == LOAD and name.startswith("status") and not _own_status(step, t):
                continue
            if not dstm and step.op == HOLDER:
                continue
            backing[t] = False       # the back-off's last step: the check that it is alive
        kept.append((i, t))
    return kept, decisions


def _stand_in_run(design: str, workload: str, threads: int, real, kept, decisions, seen: dict):
    """Replay the kept steps on the stand-in, picking its choices from the real run."""
    setup = api.prepare(stand_in(design), workload, threads=threads)
    run = Run(setup.design_cls, setup.workload, max_steps=10_000, detect_lassos=False)
    queue = {t: list(ds) for t, ds in decisions.items()}
    kept = list(kept)
    pos = [0]

    class Follow:
        fair = False
        takes_choices = True

        def pick(self, r, enabled):
            # a choice is taken at once after the thread's step before it, where the real
            # manager decided (and where the history's next event comes)
            last = picked(r.schedule[-1], r.threads)[0] if r.schedule else 0
            if last and r._th[last].pending is not None and r._th[last].pending.op == CHOOSE \
                    and not self.at_karma(last):
                return self.choose(r, last)
            if pos[0] >= len(kept):
                return None
            i, t = kept[pos[0]]
            mine = r._th[t].pending
            if mine is not None and mine.op == CHOOSE:
                if self.at_karma(t) and real.results[i] is True:
                    pos[0] += 1          # karma published: the stand-in's pick of no check stands for it
                return self.choose(r, t)
            want = real.steps[i]
            # (karma's failed CAS on its own word: the stand-in's check that it is alive, a load)
            op = LOAD if _publishes_karma(want, t) else want.op
            assert mine is not None and mine.op == op and mine.objs == want.objs, \
                f"step {i} of the real run: thread {t} takes {want.describe()}, the stand-in {mine!r}"
            pos[0] += 1
            return t

        def next_of(self, t):
            """The index of thread t's next real step still to take, or None."""
            return next((j for j, u in kept[pos[0]:] if u == t), None)

        def at_karma(self, t) -> bool:
            """t's next real step publishes karma: the stand-in's choice after an open waits for it."""
            i = self.next_of(t)
            return i is not None and _publishes_karma(real.steps[i], t)

        def choose(self, r, t):
            mine = r._th[t].pending
            i = self.next_of(t)
            if mine.a == 2 and design.startswith("dstm"):      # the check after an open
                check = i is not None and _karma_check(real, i, t)
                seen["karma failed"] += check
                return t + check * CHOICE_STRIDE
            if not queue.get(t):
                return None              # the real run ended before this decision
            d = queue[t].pop(0)
            alt = 0 if d == ABORT_OTHER else 1
            seen["wait"] += alt
            if design.startswith("dstm") and d == ABORT_OTHER and i is not None and _failed_on_karma(real, i, t):
                alt = 2                                          # AGAIN
                seen["again"] += 1
                kept.remove((i, t))                               # (the failed CAS is not taken)
            return t + alt * CHOICE_STRIDE

    run.execute(Follow())
    return run


def _karma_check(real, i, t) -> int:
    """1 where the real run's next step of t is karma's CAS on its own status that failed (the stand-in
    then checks it is alive, and aborts), else 0 (no check: a CAS that succeeded only published karma,
    and is dropped in `_kept` with the other priority steps where it stands)."""
    step = real.steps[i]
    return int(_publishes_karma(step, t) and real.results[i] is False)


def _publishes_karma(step, t) -> bool:
    """DSTM's CAS of its own status word from active to active (more karma: dstm.py, `_opened`)."""
    return step.op == CAS and _own_status(step, t) and step.a[1] == step.b[1] == "active"


def _failed_on_karma(real, i, t) -> bool:
    """The real run's abort (a CAS of the enemy's status word) failed though the word differs
    from the one read only in its karma: the stand-in's words hold none, so it picks AGAIN."""
    step = real.steps[i]
    if not (step.op == CAS and not _own_status(step, t) and real.results[i] is False):
        return False
    before = _value_before(real, i, step)
    return before is not None and before[:3] == step.a[:3]


def _value_before(real, i, step):
    """The value `step`'s cell held just before step i of the real run (the run's steps replayed)."""
    value = None
    for j in range(i):
        s = real.steps[j]
        if s.obj is step.obj:
            if s.op == CAS and real.results[j] is True or s.op == STORE:      # a CAS that swapped, a store
                value = s.b if s.op == CAS else s.a
    return value


def _events(run) -> list:
    return [(e["thread"], e["op"], e.get("key"), e.get("value")) for e in run.events]


@pytest.mark.parametrize("base", ["eager", "dstm"])
@pytest.mark.parametrize("manager", STOOD_FOR)
@pytest.mark.parametrize("workload,threads", [("transfer", 2), ("swap", 2), ("counter", 3), ("transfer", 3)])
def test_every_run_of_a_stood_for_manager_is_a_run_of_any(base, manager, workload, threads):
    design = f"{base}+{manager}"
    dstm = base == "dstm"
    seen = {"wait": 0, "karma failed": 0, "again": 0}
    for seed in range(40):
        real, log = _real_run(design, workload, threads, seed)
        kept, decisions = _kept(real, log, dstm)
        model = _stand_in_run(design, workload, threads, real, kept, decisions, seen)
        assert _events(model) == _events(real), f"{design} {workload} seed {seed}: the histories differ"
        if real.outcome in (COMPLETE, DEADLOCK):
            assert model.outcome == real.outcome, f"{design} {workload} seed {seed}"
            assert model.final == real.final
    # the map's every case was taken (so that the test can fail where the claim would)
    assert (seen["wait"] > 0) == (manager != "aggressive"), seen
    if dstm and manager in ("karma", "polka"):
        assert seen["karma failed"] > 0 and seen["again"] > 0, seen


def test_stand_in_names():
    assert stand_in("eager+karma") == "eager+any" and stand_in("dstm+polite") == "dstm+any"
    assert stand_in("eager+timestamp") is None and stand_in("eager") is None and stand_in("tl2") is None
    assert stand_in("dstm-no-loser-wait") is None and stand_in("eager-aggressive") is None
    assert "eager+any" in DESIGNS and "dstm+any" in DESIGNS


def test_the_stand_in_catches_a_broken_core():
    """The stand-in is no blanket "holds": over eager without its undo log it finds the dirty read
    (G1c: not even serializable)."""
    from stmcheck.implementations.eager_no_undo import EagerNoUndo
    setup = api.prepare(EagerNoUndo.with_manager("any"), "transfer", threads=2)
    ex = api.make_explorer(setup, GraphSearch(max_states=5_000), criterion="opacity", stop_at_first=False)
    out = ex.explore()
    assert "serializability" in {v.kind for v in out.violations}     # (the weakest criterion it breaks)


def test_lift_sets_holds_from_the_stand_in_and_undoes_it():
    unknown = {v: "unknown" for v in ("serializable", "strictly-serializable", "opaque", "deadlock-free",
                                        "livelock-free", "gil")}
    karma = Cell("eager+karma", "swap", 3, verdicts=dict(unknown, **{"livelock-free": "violated"}))
    model = Cell("eager+any", "swap", 3, verdicts=dict(unknown, serializable="holds", opaque="holds",
                                                        **{"deadlock-free": "holds", "livelock-free": "violated"}))
    lift([karma, model])
    assert karma.verdicts["serializable"] == "holds" and karma.verdicts["opaque"] == "holds"
    assert karma.verdicts["strictly-serializable"] == "unknown" and karma.verdicts["livelock-free"] == "violated"
    assert karma.lifted == ["serializable", "opaque", "deadlock-free"] and "eager+any's graph" in karma.note
    model.verdicts["opaque"] = "unknown"          # the stand-in's cell as it stands now
    lift([karma, model])
    assert karma.verdicts["opaque"] == "unknown" and karma.lifted == ["serializable", "deadlock-free"]
    assert karma.note.count("eager+any") == 1
    lift([karma])                                  # no stand-in cell: nothing lifted
    assert karma.verdicts["serializable"] == "unknown" and karma.lifted == [] and karma.note == ""


def test_a_stand_in_cell_is_the_graph_alone():
    cell = run_cell("eager+any", "counter", 2)
    assert cell.coverage.startswith("exhausted") and cell.verdicts["opaque"] == "holds"
    assert cell.verdicts["livelock-free"] == "violated" and cell.verdicts["starvation-free"] == "n/a"


def test_picks_of_alternatives_are_spelt_and_replayed():
    from stmcheck.checker.explore.strategies.replay import ScheduleError, decode, encode
    assert decode("1*2,2/1,3/2*2") == [1, 1, 18, 35, 35] and encode([1, 1, 18, 35, 35]) == "1*2,2/1,3/2*2"
    with pytest.raises(ScheduleError, match="alternative"):
        decode("2/4")
    found = api.explore("eager+any", "transfer", threads=2)
    (v,) = found.violations
    assert v.kind == "livelock" and "/1" in v.schedule_text()
    again = api.replay("eager+any", v.schedule_text(), "transfer")
    assert again.violation is not None and again.violation.kind == "livelock"


def test_strategies_that_take_no_choices_say_so():
    setup = api.prepare("eager+any", "counter", threads=2)
    for strategy in ("dpor", "pct", "plain"):
        with pytest.raises(Exception, match="makes choices"):
            api.make_explorer(setup, strategy).explore()
