"""A graph search whose places were all met but whose history views were bounded decides
deadlock, livelock and crashes (`GraphSearch.places_exhausted`), against the whole search.

The oracle: the same configuration searched to the end. With the budget set to its number of
places, the runs meet every place and the fold of views stops short; the search must then say
so (`places_exhausted`, the count of places) and find exactly the deadlocks, livelocks and
crashes the whole search finds: no more (each is a real run) and no fewer (none needs a view).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from stmcheck.checker import api, matrix as M
from stmcheck.checker.cli import main
from stmcheck.checker.explore.strategies.graph import GraphSearch
from stmcheck.models.terms import Property, Verdict

#: The matrix's budget, small but for the 3-thread graph each test sets.
SMALL = M.Budget(executions=(600, 50), steps=(40_000, 5_000), states=3_000, probe=(20, 4_000), graph=(50_000, 12_000))


def _search(design, workload, threads, symmetry, max_states):
    g = GraphSearch(max_states=max_states, symmetry=symmetry)
    ex = api.make_explorer(api.prepare(design, workload, threads=threads), g, max_executions=None,
                           time_limit=600, stop_at_first=False)
    return ex.explore()


def _place_kinds(out) -> list:
    return sorted(v.kind for v in out.violations if v.kind in GraphSearch.DECIDED_BY_PLACES)


@pytest.mark.parametrize("design,workload,threads,symmetry", [
    ("locks-naive", "transfer", 3, False),        # a deadlock
    ("eager-aggressive", "transfer", 2, False),   # a livelock
    ("eager+passive", "transfer", 3, True),       # a livelock, by symmetry
    ("lazy", "write-skew", 3, False),             # a livelock, and write skew's history violations
    ("tl2", "counter", 3, True),                  # none, by symmetry
])
def test_every_place_met_decides_what_needs_no_view(design, workload, threads, symmetry):
    whole = _search(design, workload, threads, symmetry, 500_000)
    assert whole.exhausted and whole.places_exhausted
    places = whole.places_exhausted
    assert whole.states > places, "the configuration must have more states than places to test anything"
    cut = _search(design, workload, threads, symmetry, places)
    assert not cut.exhausted and any(b.startswith("max-states") for b in cut.bounds)
    assert cut.places_exhausted == places
    assert _place_kinds(cut) == _place_kinds(whole)


def test_a_bound_met_by_the_runs_decides_nothing():
    whole = _search("lazy", "write-skew", 3, False, 500_000)
    short = _search("lazy", "write-skew", 3, False, whole.places_exhausted - 1)
    assert not short.exhausted and short.places_exhausted is None


def test_the_report_says_what_every_place_met_decides():
    args = ["explore", "tl2", "--workload", "counter", "--threads", "3", "--symmetry", "--strategy", "graph"]
    places = _search("tl2", "counter", 3, True, 500_000).places_exhausted
    result = CliRunner().invoke(main, args + ["--max-states", str(places)])
    assert result.exit_code == 0, result.output
    assert "coverage:  BOUNDED, not exhausted: max-states" in result.output
    assert (f"\ndecided:   every place was met ({places:,} places): deadlock none, livelock none, crash none "
            "(proven); the criterion and the invariant") in result.output
    doc = json.loads(CliRunner().invoke(main, args + ["--max-states", str(places), "--json"]).output)
    assert doc["exhausted"] is False and doc["places_exhausted"] == places
    whole = CliRunner().invoke(main, args)
    assert "decided:" not in whole.output and "coverage:  exhausted" in whole.output
    dpor = json.loads(CliRunner().invoke(main, ["explore", "global-lock", "--strategy", "dpor", "--json"]).output)
    assert dpor["exhausted"] is True and dpor["places_exhausted"] is None      # no graph of places


def test_a_matrix_cell_whose_places_were_all_met_decides_deadlock_and_livelock():
    places = _search("tl2", "counter", 3, True, 500_000).places_exhausted     # the matrix's 3-thread search
    cell = M.run_cell("tl2", "counter", 3, replace(SMALL, graph=(50_000, places)))
    assert f"but its {places:,} places are: deadlock and livelock decided" in cell.coverage
    assert cell.verdicts[Property.DEADLOCK_FREE] == cell.verdicts[Property.LIVELOCK_FREE] == Verdict.HOLDS
    assert cell.verdicts[Property.OPAQUE] == Verdict.UNKNOWN
    fewer = M.run_cell("tl2", "counter", 3, replace(SMALL, graph=(50_000, places - 1)))
    assert fewer.verdicts[Property.DEADLOCK_FREE] == Verdict.UNKNOWN
