"""`explore --estimate` (checker/explore/estimate.py): the state graph counted within a budget is the
graph the search explores, state for state; past the budget, a lower bound; one line per misuse."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from stmcheck.checker import api
from stmcheck.checker.cli import main
from stmcheck.checker.explore import isolation

# Four designs, four workloads, 2 threads, and a 3-thread graph (7,729 states; 1.2 s).
SMALL = [("tl2", "transfer", 2), ("norec", "swap", 2), ("dstm", "transfer", 2), ("lazy", "counter", 2),
         ("norec", "counter", 3)]


def whole_graph(design, workload, threads):
    """The true count: the graph search itself, not stopping at counterexamples."""
    r = api.explore(design, workload, threads=threads, strategy="graph", stop_at_first=False, shrink=False)
    assert r.exhausted
    return r


@pytest.mark.parametrize("design,workload,threads", SMALL)
def test_within_its_budget_the_count_is_the_search_s_graph(design, workload, threads):
    truth = whole_graph(design, workload, threads)
    size = api.estimate(design, workload, threads=threads)
    assert size.exact and size.stopped_by == ()
    assert (size.states, size.transitions) == (truth.states, truth.transitions)


@pytest.mark.parametrize("budget", [1, 97, 400])
def test_past_its_budget_the_count_is_a_lower_bound(budget):
    truth = whole_graph("tl2", "transfer", 2)           # 444 states
    size = api.estimate("tl2", threads=2, budget=budget)
    assert not size.exact and size.states == budget < truth.states
    assert size.transitions < truth.transitions and size.stopped_by == (f"max-states {budget:,}",)


def test_the_budget_that_fits_the_graph_exactly_is_enough():
    n = whole_graph("norec", "swap", 2).states
    assert api.estimate("norec", "swap", threads=2, budget=n).exact
    assert not api.estimate("norec", "swap", threads=2, budget=n - 1).exact


def test_the_criterion_s_history_view_is_part_of_the_count():
    for criterion in ("strict-serializability", "serializability"):
        truth = api.explore("tl2", threads=2, strategy="graph", criterion=criterion, stop_at_first=False)
        assert api.estimate("tl2", threads=2, criterion=criterion).states == truth.states


@pytest.mark.skipif(not isolation.available(), reason="no fork() here, or isolation turned off")
def test_a_user_design_is_counted_in_its_worker(tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text("from stmcheck.implementations.tl2 import TL2\n\n\nclass Mine(TL2):\n    pass\n")
    monkeypatch.chdir(tmp_path)
    mine, shipped = api.estimate("mine.py:Mine"), api.estimate("tl2")
    assert (mine.states, mine.transitions, mine.exact) == (shipped.states, shipped.transitions, True)


def run(*args):
    r = CliRunner().invoke(main, ["explore", *args], prog_name="stmcheck")
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


def test_the_cli_prints_the_size_and_the_time_and_exits_0():
    r = run("tl2", "--estimate")
    assert r.exit_code == 0, r.output
    head, size, time = r.output.splitlines()
    assert head == ("stmcheck explore tl2 --workload transfer --threads 2 --txns 1 --strategy graph --criterion opacity "
                    "--estimate")
    truth = whole_graph("tl2", "transfer", 2)
    assert size == (f"estimate:  {truth.states:,} states, {truth.transitions:,} transitions: the whole state graph, "
                    f"counted (it ended within the budget of 20,000 states)")
    assert time.startswith("time:      ") and " states/s): what the search takes" in time
    r = run("tl2", "--estimate", "--estimate-states", "100")
    assert r.exit_code == 0 and "estimate:  more than 100 states and " in r.output
    assert "the count stopped before the graph ended (its budget of 100 states, --estimate-states)" in r.output
    assert "the search takes longer, unless a counterexample stops it first" in r.output


def test_the_same_command_prints_the_same_bytes_but_for_the_time():
    a, b = run("norec", "--workload", "swap", "--estimate"), run("norec", "--workload", "swap", "--estimate")
    assert a.output.splitlines()[:2] == b.output.splitlines()[:2]
    quiet = run("norec", "--workload", "swap", "--estimate", "--no-timings").output
    assert quiet == "\n".join(a.output.splitlines()[:2]) + "\n"


def test_json():
    truth = whole_graph("tl2", "transfer", 2)
    doc = json.loads(run("tl2", "--estimate", "--json", "--no-timings").output)
    assert doc == {"implementation": "tl2", "workload": "transfer", "threads": 2, "txns": 1, "criterion": "opacity",
                   "states": truth.states, "transitions": truth.transitions, "exact": True, "budget": 20000, "stopped_by": [],
                   "runs": doc["runs"]}
    timed = json.loads(run("tl2", "--estimate", "--json").output)
    assert timed["elapsed"] > 0 and timed["states_per_second"] > 0


@pytest.mark.parametrize("args,says", [
    (["--strategy", "dpor"], "this exploration would be a dpor search"),
    (["--strategy", "random"], "this exploration would be a random search"),
    (["--object", "dict"], "--object explores with dpor unless --strategy graph"),
    (["--cluster", "local"], "--cluster does not apply"),
    (["--seed", "3"], "--seed does not apply"),
    (["--max-states", "10"], "--max-states does not apply"),
    (["--time-limit", "5"], "--time-limit does not apply"),
    (["--wide"], "--wide does not apply"),
    (["--depth", "2"], "--depth does not apply"),
])
def test_what_a_count_cannot_take_is_one_line_exit_2(args, says):
    r = run("tl2", "--estimate", *args)
    assert r.exit_code == 2, r.output
    (line,) = r.stderr.splitlines()
    assert line.startswith("stmcheck: error: --estimate counts the state graph") and says in line
    assert r.stdout == ""


def test_a_budget_without_estimate_is_an_error():
    r = run("tl2", "--estimate-states", "100")
    assert r.exit_code == 2 and r.stderr.strip() == "stmcheck: error: --estimate-states is the budget of --estimate"


def test_an_object_program_is_counted_with_the_graph_strategy():
    r = run("tl2", "--object", "counter", "--strategy", "graph", "--estimate", "--no-timings")
    assert r.exit_code == 0 and "the whole state graph, counted" in r.output


def test_the_count_of_cyclic_programs_is_the_graph_explore_cyclic_searches():
    """`explore --cyclic --estimate`: the graph that `explore --cyclic` searches for starvation,
    counted whole where it ends (gencounter on swap: starvation-free, every state of it)."""
    size = api.estimate("gencounter", "swap", cyclic=True)
    r = api.explore("gencounter", "swap", cyclic=True)
    assert size.exact and r.exhausted and not r.violations
    assert (size.states, size.transitions) == (r.states, r.transitions)
    assert size.config.cyclic and not api.estimate("gencounter", "swap").config.cyclic
