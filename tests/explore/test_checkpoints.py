"""Checkpoints (`machine.checkpoint`): a loop within one attempt whose states recur.

A thread's position is everything its attempt has seen; a loop that goes round
within one attempt (eager's "abort the owner, wait, try again", NOrec's
revalidation, DSTM's open) made it grow without end, so no state recurred and
the graph never ended. At a checkpoint the position restarts from the body's
reads and writes and the declared values. What must hold: the graph with
checkpoints finds what DPOR without them finds (the same final states and
failures), it now ends where it did not, and a checkpoint that leaves out a
variable its loop uses is caught by the audit, not believed.
"""

from __future__ import annotations

import textwrap

import pytest

from stmcheck.checker import api
from stmcheck.checker.api import UsageError
from stmcheck.checker.explore.strategies.dpor import DPOR
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.implementations import dstm, eager
from stmcheck.models.workloads import make_workload

from checkpoints_off import without_checkpoints
from test_explore_dpor_cache import Verdicts


def _finals(design, workload, strategy, budget):
    ex = api.make_explorer(api.prepare(design, make_workload(workload, 2, 1)), strategy, criterion="opacity",
                           explorer_cls=Verdicts, max_executions=budget, time_limit=600, stop_at_first=False,
                           exact_histories=isinstance(strategy, DPOR))
    ex.finals = set()
    out = ex.explore()
    assert out.exhausted, "the configuration must be small enough to exhaust"
    return ex.finals, out


@pytest.mark.parametrize("design,workload", [
    ("eager", "transfer"), ("eager+timestamp", "write-skew"), ("norec", "transfer"), ("lazy", "transfer"),
    ("dstm", "dict-update"), ("tl2", "transfer"), ("tl2", "swap"), ("tl2-no-commit-validation", "transfer"),
])
def test_the_graph_with_checkpoints_finds_what_dpor_without_them_finds(design, workload, monkeypatch):
    graph, gout = _finals(design, workload, GraphSearch(), None)
    with monkeypatch.context() as m:
        without_checkpoints(m)
        dpor, _ = _finals(design, workload, DPOR(), 20_000)
    assert graph == dpor and gout.states > 100


def test_a_loop_within_one_attempt_makes_a_finite_graph(monkeypatch):
    """eager-aggressive on transfer: the winner aborts the owner, which restarts and locks
    again, round and round within the winner's attempt. With checkpoints the graph ends (some
    thousands of states) and proves the livelock; without, 20,000 states are not enough."""
    result = api.explore("eager-aggressive", "transfer", strategy="graph", stop_at_first=False,
                         max_executions=None, time_limit=None)
    assert result.exhausted and result.states < 20_000
    assert [v.kind for v in result.violations] == ["livelock"]
    with monkeypatch.context() as m:
        without_checkpoints(m)
        bounded = api.explore("eager-aggressive", "transfer", strategy=GraphSearch(max_states=20_000),
                              stop_at_first=False, max_executions=None, time_limit=None)
    assert not bounded.exhausted and "max-states 20,000" in bounded.bounds


FORGETFUL = textwrap.dedent('''
    from stmcheck.models.machine import checkpoint

    class Forgetful:
        """Reads a key, then a flag, from one loop whose checkpoint leaves out `i`."""
        def __init__(self, machine, keys, threads):
            self.cells = {k: machine.cell(k, v) for k, v in keys.items()}
            self.flag = machine.cell("flag", 0)
        def begin(self, thread): return thread
        def read(self, tx, key):
            v = None
            for i in range(2):
                yield checkpoint("twice")
                v = yield (self.cells[key] if i == 0 else self.flag).load()
            return v
        def write(self, tx, key, value): yield self.cells[key].store(value)
        def commit(self, tx): pass
        def abort(self, tx): pass

    class ForgetfulLater(Forgetful):
        """Reads a key twice from one loop whose checkpoint leaves out `i`: the step after the
        checkpoint is the same either way (the audit passes), what `i` decides shows one step
        later (the second time round it stores to the flag)."""
        def read(self, tx, key):
            v = None
            for i in range(2):
                yield checkpoint("twice")
                v = yield self.cells[key].load()
                if i == 1:
                    yield self.flag.store(1)
            return v
''')


def test_a_checkpoint_that_forgets_a_variable_is_caught(tmp_path):
    path = tmp_path / "forgetful.py"
    path.write_text(FORGETFUL)
    with pytest.raises(UsageError, match=r"checkpoint 'twice' .*load a0.*then load flag"):
        api.explore(f"{path}:Forgetful", "transfer", strategy="graph")


@pytest.mark.parametrize("design,workload", [("dstm", "counter"), ("tl2", "transfer"), ("eager", "swap")])
def test_checkpoints_at_commit_and_abort_merge_states(design, workload, monkeypatch):
    """Attempts that read different words but commit (or clean up) alike meet at the checkpoint
    that starts commit or abort: fewer states, the same final states and failures."""
    graph, gout = _finals(design, workload, GraphSearch(), None)
    with monkeypatch.context() as m:
        without_checkpoints(m)
        before, bout = _finals(design, workload, GraphSearch(), None)
    assert graph == before
    assert gout.states < bout.states


@pytest.mark.parametrize("design,workload", [("dstm", "transfer"), ("eager", "transfer"), ("eager+timestamp", "dict-update"),
                                             ("eager+karma", "transfer")])
def test_a_checkpoint_after_the_managers_decision_merges_states(design, workload, monkeypatch):
    """Rounds that meet the same enemy and decide alike through different words (dstm: the
    locator and the finished enemies' status words; eager: the owner's status word, and its
    priority but where a timestamp waiter wakes on a new ticket) go on alike from the 'conflict'
    checkpoint: fewer states, the same final states and failures."""
    graph, gout = _finals(design, workload, GraphSearch(), None)
    with monkeypatch.context() as m:
        without_checkpoints(m, "conflict")
        before, bout = _finals(design, workload, GraphSearch(), None)
    assert graph == before
    assert gout.states < bout.states


@pytest.mark.parametrize("design,workload", [("dstm", "transfer"), ("dstm+aggressive", "counter"),
                                             ("dstm+karma", "counter")])
def test_dstm_forgets_the_words_it_is_done_with(design, workload, monkeypatch):
    """DSTM's checkpoints past its loop heads (dstm.py, "Checkpoints": after each enemy's word
    is found finished, after a locator is installed, around each clean-up compare-and-swap):
    the same final states, failures and livelocks as the graph that steps over them, on fewer
    states."""
    def explored():
        finals, out = _finals(design, workload, GraphSearch(), None)
        return finals, sorted(v.kind for v in out.violations), out.states
    graph, found, states = explored()
    with monkeypatch.context() as m:
        without_checkpoints(m, ("enemy", "opened", "read", "written", "clean", "cleaned"))
        before, found_before, states_before = explored()
    assert (graph, found) == (before, found_before)
    assert states < states_before


def test_a_checkpoint_that_forgets_what_shows_later_is_named_when_its_schedule_fails(tmp_path):
    """The audit compares only the step after the checkpoint; a forgotten value that shows later
    merges states that differ, and a schedule of the graph then replays to something else. The
    report must not only blame determinism (this design is deterministic) but name the checkpoint."""
    path = tmp_path / "forgetful.py"
    path.write_text(FORGETFUL)
    result = api.explore(f"{path}:ForgetfulLater", "transfer", strategy="graph")
    replayed_otherwise = [v for v in result.violations if "gave another result" in v.explanation]
    assert replayed_otherwise and all("checkpoint" in v.explanation for v in replayed_otherwise)


@pytest.mark.parametrize("design,workload", [
    ("eager+timestamp", "transfer"), ("eager", "swap"), ("dstm", "transfer"), ("dstm+timestamp", "swap"),
    ("eager+karma", "transfer"), ("dstm+polite", "counter"),
])
def test_the_last_enemy_is_forgotten_while_the_rounds_are_zero(design, workload, monkeypatch):
    """`contention.round_key`: at the head of a conflict loop the last enemy only decides whether
    the rounds start again at 0, so with 0 rounds it is left out of the checkpoint. The graph that
    keeps it whatever the rounds must find the same final states, failures and livelocks, on no
    fewer states (on strictly more where a manager never backs off: its rounds stay 0)."""
    def explored():
        finals, out = _finals(design, workload, GraphSearch(), None)
        return finals, sorted(v.kind for v in out.violations), out.states
    graph, found, states = explored()
    with monkeypatch.context() as m:
        for module in (eager, dstm):
            m.setattr(module, "round_key", lambda rounds, last: (rounds, last))
        before, found_before, states_before = explored()
    assert (graph, found) == (before, found_before)
    backs_off = any(name in design for name in ("polite", "karma", "polka"))
    assert states <= states_before if backs_off else states < states_before
