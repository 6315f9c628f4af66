"""What `explore` searches with unless told: the state graph, bounded by states, not executions;
DPOR where the graph does not serve (object programs)."""

from __future__ import annotations

import stmcheck
from stmcheck.checker import api
from stmcheck.checker.explore.strategies.replay import Replay, decode, spell


def test_the_graph_is_the_default_and_counts_states():
    r = stmcheck.explore("tl2", "write-skew")
    assert r.strategy == "graph" and r.states > 0
    assert r.violations and r.violations[0].kind == stmcheck.Kind.LIVELOCK


def test_max_executions_bounds_the_graph_only_when_given():
    assert stmcheck.explore("tl2", "transfer").exhausted           # 277 runs, more than any small bound
    r = stmcheck.explore("tl2", "transfer", max_executions=50)
    assert not r.exhausted and r.bounds == ["max-executions 50"]
    r = stmcheck.explore("tl2", "transfer", max_states=100)
    assert not r.exhausted and r.bounds == ["max-states 100"] and r.states == 100


def test_object_programs_default_to_dpor_and_cyclic_ones_to_the_graph():
    assert stmcheck.explore("tl2", object="counter", max_executions=20).strategy == "dpor"
    r = stmcheck.explore("tl2", "swap", cyclic=True)
    assert r.strategy == "graph" and r.exhausted and not r.violations     # starvation-free, proven


def test_the_graphs_choices_spell_a_schedule_that_replays_the_same_run():
    """The graph's paths count choices (a BEGIN or END rides with a step); `spell` gives the schedule of
    every step, which an ordinary replay (every step a choice) follows to the same execution."""
    setup = api.prepare("tl2", "write-skew", threads=2)
    ex = api.make_explorer(setup, "graph", stop_at_first=False, max_executions=None)
    choices = [2, 1, 1, 2, 2, 2, 1, 1, 1, 1, 2, 2]
    prefix, rest = spell(ex.new_run, choices, (5,))
    assert len(prefix) + len(rest) > len(choices)                    # marks rode along
    full = ex.new_run()
    full.execute(Replay(choices, strict=True, fused=True))
    plain = ex.new_run()
    plain.execute(Replay(prefix + rest, strict=True))
    n = len(prefix) + len(rest)
    assert plain.schedule[:n] == full.schedule[:n] == list(prefix + rest)
    assert list(map(repr, plain.results[:n])) == list(map(repr, full.results[:n]))   # stamps: per run
    assert [e for e, s in zip(plain.events, plain.event_steps) if s < n] == \
        [e for e, s in zip(full.events, full.event_steps) if s < n]
    assert decode(",".join(map(str, prefix + rest))) == list(prefix + rest)
