"""The verdict matrix (checker/matrix.py) and its CI gate, `stmcheck matrix --check`.

The gate runs every shipped design, broken variants included, on its smallest
revealing workload with 2 threads (small budgets: the full matrix is
reports/matrix.md); the unit tests pin down how a cell's verdicts are derived
and compared with the registry's expectations.
"""

import json
import re
from dataclasses import replace

import pytest
from click.testing import CliRunner

from stmcheck.checker import api, matrix as M
from stmcheck.checker.cli import main
from stmcheck.implementations.registry import (DESIGNS, FAR_BEYOND, FROM_MATRIX, HORIZON_PROGRESS_STATES,
                                               RELATIVE_CYCLIC_STATES,
                                               THREE_THREAD_WITNESSES, WITH_THREE_THREADS, expected_kinds,
                                               expected_verdicts)

#: design -> the cheapest workload on which its expectation (bug or clean) shows.
PREFERRED = {"tl2-no-read-validation": "transfer", "lazy": "transfer", "gencounter": "transfer",
             "tl2-readonly-unchecked": "transfer", "norec-no-revalidation": "transfer",
             "tl2-borrowed-clock": "write-skew", "locks-naive": "swap", "eager-no-undo": "counter",
             # the racy variants' cyclic graphs never end where they starve (relative stamps):
             # write-skew's is finite (144 and 361 states) and decides every column
             "gencounter-racy": "write-skew", "lazy-unlocked-commit": "write-skew",
             "dstm-no-loser-wait": "counter",
             # DSTM's backoff managers (their cells all from the matrix): these 2-thread graphs end
             # within SMALL's 50,000 states (10,825, 14,922, 21,268), deciding every column
             "dstm+polite": "counter", "dstm+karma": "write-skew", "dstm+polka": "write-skew"}
#: The verdicts of the graph of cyclic programs: with 3 threads, unknown (like starvation).
CYCLIC = ("starvation-free", "obstruction-free", "survives-stopped-thread")
SMALL = M.Budget(executions=(600, 50), steps=(40_000, 5_000), states=3_000, probe=(400, 40_000), graph=(50_000, 12_000))


def ci_cell(design):
    """The workload the gate runs `design` on: the preferred one, else the first with a bug
    (cheap ones first), else counter."""
    entry = DESIGNS[design]
    if design in PREFERRED and PREFERRED[design] in entry.expected:
        return PREFERRED[design]
    own = [w for w in ["counter", "transfer", "swap", "write-skew"] + list(entry.expected)
           if w in entry.expected and (design, w) not in FROM_MATRIX and M.supported(design, w)]
    return next((w for w in own if expected_kinds(entry.expected[w])), own[0])


def _broken(design):
    """A design whose own registry entry names a bug (cells filled from the matrix aside)."""
    return any(expected_kinds(v) for w, v in DESIGNS[design].expected.items() if (design, w) not in FROM_MATRIX)


@pytest.mark.parametrize("design", sorted(DESIGNS))
def test_gate_every_design(design):
    """`matrix --check` semantics on each design's CI cell: no difference, and a design
    expected to be broken there is caught by DPOR."""
    workload = ci_cell(design)
    budget = SMALL
    if "starvation" in expected_kinds(DESIGNS[design].expected[workload]):
        budget = M.Budget(executions=SMALL.executions, steps=SMALL.steps, states=M.DEFAULT_BUDGET.states,
                          graph=SMALL.graph, probe=SMALL.probe)
    cell = M.run_cell(design, workload, 2, budget)
    assert cell.status == "ok", cell.note
    assert M.differences(cell) == []
    want = expected_verdicts(DESIGNS[design].expected[workload])
    for verdict, holds in want.items():
        if not holds:
            assert cell.verdicts[verdict] == M.VIOLATED and verdict in cell.witnesses


def test_every_broken_variant_is_gated_where_it_is_broken():
    broken = [d for d in DESIGNS if _broken(d)]
    assert {"tl2-no-commit-validation", "lazy-unlocked-commit", "locks-early-release", "gencounter-racy",
            "tl2-readonly-unchecked"} <= set(broken)
    for d in broken:
        assert expected_kinds(DESIGNS[d].expected[ci_cell(d)]), d


def test_check_command_passes_and_fails():
    runner = CliRunner()
    ok = runner.invoke(main, ["matrix", "--check", "--designs", "global-lock,locks-naive", "--workloads", "swap",
                              "--threads", "2", "--states", "100", "--quiet"])
    assert ok.exit_code == 0, ok.output
    assert "0 difference(s)" in ok.output
    # a cell the registry expects clean, made to differ: locks-naive on swap deadlocks
    entry = DESIGNS["locks-naive"]
    saved = dict(entry.expected)
    entry.expected["swap"] = "clean"
    try:
        bad = runner.invoke(main, ["matrix", "--check", "--designs", "locks-naive", "--workloads", "swap",
                                   "--threads", "2", "--states", "100", "--quiet"])
    finally:
        entry.expected.clear()
        entry.expected.update(saved)
    assert bad.exit_code == 1
    assert "DIFFERS: locks-naive on swap, 2 threads: deadlock-free expected to hold, violated" in bad.output


def test_json_and_usage_errors(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["matrix", "--designs", "norec", "--workloads", "write-skew", "--threads", "3", "--json",
                             "--out", str(tmp_path), "--write"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    (cell,) = doc["cells"]
    assert cell["threads"] == 3 and cell["verdicts"]["opaque"] == "holds"
    assert cell["coverage"].startswith("exhausted: ") and cell["verdicts"]["starvation-free"] == "unknown"
    assert (tmp_path / "matrix.md").exists() and json.loads((tmp_path / "matrix.json").read_text())["cells"]
    r = runner.invoke(main, ["matrix", "--designs", "tl3"])
    assert r.exit_code == 2 and "unknown design tl3" in r.output and "Traceback" not in r.output


def test_native_cells_outside_their_workloads_are_na():
    cell = M.run_cell("native-tl2", "intset", 2, SMALL)
    assert cell.status == "n/a" and set(cell.verdicts.values()) == {"n/a"}
    assert M.differences(cell) == []


def test_verdicts_of_a_cell():
    """Exhausted: everything not violated holds; opacity failing alone keeps serializability."""
    cell = M.run_cell("lazy", "transfer", 2, SMALL)
    assert cell.coverage.startswith("exhausted: ") and cell.coverage.endswith(" states (state graph)")
    assert cell.verdicts["serializable"] == cell.verdicts["strictly-serializable"] == "holds"
    assert cell.verdicts["opaque"] == "violated" and cell.verdicts["deadlock-free"] == "holds"
    # starvation: a lasso within SMALL's states; lazy locks at commit: neither progress property holds
    assert M.found_kinds(cell) == ("opacity", "starvation")          # the progress columns: the design's
    assert cell.verdicts["obstruction-free"] == cell.verdicts["survives-stopped-thread"] == "violated"
    assert cell.verdicts["starvation-free"] == "violated" and cell.verdicts["gil"] == "holds"
    assert "stmcheck replay lazy --workload transfer --threads 2" in cell.witnesses["opaque"]
    # bounded 3-thread search: nothing can be proven to hold
    cell3 = M.run_cell("tl2", "counter", 3, replace(SMALL, graph=(50_000, 300)))   # (839 places by symmetry)
    assert set(cell3.verdicts.values()) == {"unknown"}


@pytest.mark.parametrize("design,workload", [("lazy", "transfer"), ("locks-naive", "swap"),
                                             ("tl2-no-commit-validation", "write-skew"), ("norec", "publish")])
def test_two_thread_cells_decide_alike_by_graph_and_by_dpor(design, workload):
    """2 threads: the state graph comes first; where it is cut short (here at one state), DPOR
    decides instead and the coverage says both. Where both exhaust, the verdicts agree."""
    by_graph = M.run_cell(design, workload, 2, SMALL)
    by_dpor = M.run_cell(design, workload, 2, replace(SMALL, graph=(1, SMALL.graph[1])))
    assert by_graph.coverage.startswith("exhausted: ") and by_graph.coverage.endswith("(state graph)")
    assert by_dpor.coverage == "exhausted; state graph: 1 states, not exhausted"
    assert by_graph.verdicts == by_dpor.verdicts and by_graph.others == by_dpor.others
    assert by_graph.witnesses.keys() == by_dpor.witnesses.keys()


def test_three_threads_are_decided_by_the_state_graph_where_it_fits():
    """tl2 on counter with 3 threads: bounded DPOR proves nothing, the state graph (by symmetry:
    its threads run the same program) decides the cell when its budget holds the graph, and names
    the states it reached when not."""
    cell = M.run_cell("tl2", "counter", 3, replace(SMALL, graph=(50_000, 30_000)))
    # its three threads run the same program: the graph is searched by symmetry
    assert cell.coverage.startswith("exhausted: ") and cell.coverage.endswith(" states (state graph by symmetry)")
    assert {v: x for v, x in cell.verdicts.items() if x != "holds"} == dict.fromkeys(CYCLIC, "unknown")
    assert M.differences(cell) == []
    small = M.run_cell("tl2", "counter", 3, replace(SMALL, graph=(50_000, 100)))
    assert small.coverage.startswith("bounded: ") and \
        small.coverage.endswith("; state graph by symmetry: 100 states, not exhausted")
    assert set(small.verdicts.values()) == {"unknown"}


def test_differences_rules():
    cell = M.Cell("lazy", "swap", 2, verdicts={v: "holds" for v in M.VERDICTS})
    assert any(d.startswith("lazy on swap, 2 threads: obstruction-free expected violated, found holds")
               for d in M.differences(cell))
    cell.verdicts.update({"obstruction-free": "violated", "survives-stopped-thread": "violated"})   # lazy blocks
    cell.verdicts["opaque"] = "unknown"
    assert any("opaque expected violated, found unknown" in d for d in M.differences(cell))
    cell.verdicts["opaque"] = "violated"
    assert M.differences(cell) == []
    cell.verdicts["starvation-free"] = "unknown"     # bounded where "holds" is expected: fine
    assert M.differences(cell) == []
    cell.others = ["invariant"]
    assert M.differences(cell) == ["lazy on swap, 2 threads: unexpected invariant counterexample"]
    three = M.Cell("lazy", "swap", 3, verdicts={v: "unknown" for v in M.VERDICTS})
    assert M.differences(three) == []                  # bounded: a bug not found is no difference
    three.verdicts["deadlock-free"] = "violated"
    assert len(M.differences(three)) == 1
    # a violation proven with 3 threads (registry.WITH_THREE_THREADS) must be found again
    dstm3 = M.Cell("dstm", "transfer", 3, verdicts={v: "holds" for v in M.VERDICTS})
    dstm3.verdicts["livelock-free"] = "unknown"
    assert any("livelock-free expected violated, found unknown" in d for d in M.differences(dstm3))
    dstm3.verdicts["livelock-free"] = "violated"
    assert M.differences(dstm3) == []
    none = M.Cell("lazy", "no-such-workload", 2, verdicts={v: "holds" for v in M.VERDICTS})
    assert "no expectation" in M.differences(none)[0]


def test_expected_format():
    assert expected_kinds("clean") == () and expected_kinds(("livelock", "opacity")) == ("livelock", "opacity")
    v = expected_verdicts("serializability")
    assert not v["serializable"] and not v["strictly-serializable"] and not v["opaque"] and v["deadlock-free"]
    v = expected_verdicts("strict-serializability")
    assert v["serializable"] and not v["strictly-serializable"] and not v["opaque"]
    v = expected_verdicts(("opacity", "starvation"))
    assert v["strictly-serializable"] and not v["opaque"] and not v["starvation-free"] and v["livelock-free"]
    for bad in ("clean-ish", ("clean", "deadlock"), ()):
        with pytest.raises(ValueError):
            expected_kinds(bad)


def test_update_merges_cells_into_an_existing_matrix(tmp_path):
    runner = CliRunner()
    common = ["--workloads", "counter", "--threads", "2", "--states", "50", "--out", str(tmp_path), "--quiet"]
    assert runner.invoke(main, ["matrix", "--designs", "global-lock", "--write", *common]).exit_code == 0
    r = runner.invoke(main, ["matrix", "--designs", "locks-ordered", "--update", "--check", *common])
    assert r.exit_code == 0, r.output
    cells = json.loads((tmp_path / "matrix.json").read_text())["cells"]
    assert [(c["design"], c["workload"]) for c in cells] == [("global-lock", "counter"),
                                                             ("locks-ordered", "counter")]


def test_a_design_may_widen_its_search():
    """`Entry.search` raises figures of the matrix's budget (never lowers them, but for
    "graph3", which replaces the 3-thread graph's, and "states" per workload, which replaces
    the cyclic graph's there), rejects what is not a figure, and is what `stmcheck matrix`
    runs that design's cells with."""
    base = M.Budget(executions=(100, 10), steps=(1_000, 100), probe=(5, 500))
    wide = base.widened({"executions": 300, "steps": 50, "probe": (2, 900), "graph": 1_000_000})
    assert wide.executions == (300, 10) and wide.steps == (1_000, 100) and wide.probe == (5, 900)
    assert wide.graph == (1_000_000, base.graph[1]) and base.widened({"graph": 5}).graph == base.graph
    assert base.widened({}) == base
    assert base.widened({"states": 10 ** 6}).states == 10 ** 6 and base.widened({"states": 5}).states == base.states
    assert base.widened({"graph3": 7}).graph == (base.graph[0], 7)
    # per workload, "states" replaces the cyclic graph's figure there, raised or lowered, and nowhere else
    per = base.widened({"states": {"write-skew": 10 ** 6, "counter": 5}})
    assert per.states == base.states and per.cyclic_states("write-skew") == 10 ** 6
    assert per.cyclic_states("counter") == 5 and per.cyclic_states("swap") == base.states
    # per workload, "graph3" replaces the 3-thread graph's figure there; "*" every other workload's
    per3 = base.widened({"graph3": {"*": 7, "counter": 10 ** 6}})
    assert per3.graph_states(3, "counter") == 10 ** 6 and per3.graph_states(3, "swap") == 7
    assert per3.graph_states(2, "counter") == base.graph[0]
    assert base.widened({"horizon": {"counter": 9}}).horizon_states("counter") == (9, True)
    assert base.widened({"horizon": {"counter": 9}}).horizon_states("swap") == (base.horizon, False)
    only = base.widened({"graph3": {"intset": 9}})
    assert only.graph_states(3, "intset") == 9 and only.graph_states(3, "swap") == base.graph[1]
    for bad in ({"execution": 5}, {"probe": (5,)}, {"steps": -1}, {"probe": (1.5, 10)}, {"graph": 0}, {"states": 0},
                {"graph3": 0}, {"states": {}}, {"states": {"counter": 0}}, {"states": {"countr": 5}},
                {"states": {"counter": 1.5}}, {"graph3": {}}, {"graph3": {"countr": 5}}, {"graph3": {"*": 0}},
                {"graph3": {"counter": 2.5}}, {"horizon": 5}, {"horizon": {}}, {"horizon": {"countr": 5}},
                {"horizon": {"counter": 0}}):
        with pytest.raises(ValueError, match="bad search budget"):
            base.widened(bad)
    searching = [d for d, e in DESIGNS.items() if e.search]
    assert {"dstm+polite", "dstm+karma", "dstm+polka"} <= set(searching)
    for d in DESIGNS:                       # every registry figure is valid; only those designs widen
        assert (M.DEFAULT_BUDGET.for_design(d) != M.DEFAULT_BUDGET) == (d in searching)
    described = M.DEFAULT_BUDGET.describe()
    assert set(searching) <= set(described) and "3,500 executions and 250,000 steps" in described["dstm+karma"]
    assert f"with 3 threads the state graph at most {FAR_BEYOND:,} states" in described["eager+karma"]
    assert "starvation on write-skew: at most 200,000 states" in described["dstm-no-loser-wait"]
    racy = M.DEFAULT_BUDGET.for_design("gencounter-racy")
    assert racy.cyclic_states("write-skew") == M.DEFAULT_BUDGET.states          # its finite graph: all of it
    assert racy.cyclic_states("swap") == RELATIVE_CYCLIC_STATES                  # a graph without end


def test_a_cell_s_cyclic_graph_gets_its_workload_s_budget(monkeypatch):
    """The figure a design names for one workload is what that cell's graph of cyclic programs
    is given; its other workloads get the default."""
    given = {}
    monkeypatch.setattr(M, "_cyclic", lambda cell, states, *horizon: given.setdefault(cell.workload, states))
    for workload in ("counter", "write-skew"):
        M._run_cell("lazy-unlocked-commit", workload, 2, None)
    assert given == {"counter": DESIGNS["lazy-unlocked-commit"].search["states"]["counter"],
                     "write-skew": M.DEFAULT_BUDGET.states}
    assert given["counter"] != given["write-skew"]


def test_the_matrix_runs_each_design_with_its_own_budget(monkeypatch):
    seen = []
    real = M.run_cell

    def spy(design, workload, threads, budget=None, saves=None):
        seen.append((design, budget))
        return real("global-lock", workload, threads, SMALL)

    monkeypatch.setattr(M, "run_cell", spy)
    r = CliRunner().invoke(main, ["matrix", "--designs", "global-lock,dstm+karma", "--workloads", "counter",
                                  "--threads", "2", "--executions", "700", "--quiet"])
    assert r.exit_code == 0, r.output
    budgets = dict(seen)
    assert budgets["global-lock"].executions[0] == 700 and budgets["global-lock"].probe == M.DEFAULT_BUDGET.probe
    karma = DESIGNS["dstm+karma"].search
    assert budgets["dstm+karma"].graph == (karma["graph"], karma["graph3"]) and budgets["dstm+karma"].probe == karma["probe"]


def test_three_thread_cells_are_decided_where_their_graph_is_small():
    """With 3 threads DPOR is bounded by preemptions, so it proves nothing; the state graph
    after it decides a lock-based design's cell (starvation aside: not searched there), and
    proves the deadlock of naive locking there too."""
    cell = M.run_cell("global-lock", "transfer", 3)
    assert cell.coverage.startswith("exhausted:") and "state graph" in cell.coverage
    assert all(cell.verdicts[v] == M.HOLDS for v in M.VERDICTS if v not in CYCLIC)
    assert all(cell.verdicts[v] == M.UNKNOWN for v in CYCLIC)
    naive = M.run_cell("locks-naive", "transfer", 3)
    assert naive.coverage.startswith("exhausted:") and naive.verdicts["deadlock-free"] == M.VIOLATED


@pytest.mark.parametrize("where", sorted(THREE_THREAD_WITNESSES))
def test_each_registry_witness_proves_its_three_thread_counterexample(where):
    """The matrix replays `THREE_THREAD_WITNESSES` (a bounded search may miss what it met once):
    each must prove, on its own, the kinds `WITH_THREE_THREADS` expects there."""
    design, workload = where
    cell = M.Cell(design, workload, 3, verdicts={v: "holds" for v in M.VERDICTS})

    class Nothing:
        broken: set = set()
    M._known_witness(cell, Nothing(), THREE_THREAD_WITNESSES[where])
    for kind in WITH_THREE_THREADS[where]:
        prop = M.PROPERTY_OF[kind]
        assert cell.verdicts[prop] == "violated" and "--schedule" in cell.witnesses[prop]
    assert set(THREE_THREAD_WITNESSES) <= set(WITH_THREE_THREADS)


@pytest.mark.parametrize("workload", ["privatize", "print-counter"])
def test_a_livelock_found_on_the_graph_replays_from_the_cells_witness(workload):
    """eager+any's 2-thread livelock on the state graph: the shortest prefix whose non-preemptive
    continuation is the lasso's run goes elsewhere when replayed (a choice's alternative goes on
    as its thread there), so the witness must be more than that prefix: replayed, it is the
    livelock."""
    cell = M.run_cell("eager+any", workload, 2)
    assert cell.verdicts["livelock-free"] == M.VIOLATED
    text = re.search(r"--schedule '([^']*)'", cell.witnesses["livelock-free"]).group(1)
    replayed = api.replay("eager+any", text, workload, threads=2)
    assert replayed.violation is not None and replayed.violation.kind == "livelock"


def test_a_native_cell_runs_in_a_worker_and_gives_the_cell_a_search_here_gives(monkeypatch):
    """A design that runs C (`native_code`) is explored in a forked worker, its C side stepping
    in-process there: the cell is the one a search in this process gives (a C worker per step)."""
    from stmcheck.checker.explore import isolation

    if DESIGNS["native-tl2"].load().preflight() is not None:
        pytest.skip("no C compiler here")
    assert M._runs_native_code("native-tl2") and not M._runs_native_code("tl2")
    worker = M.run_cell("native-tl2-no-read-validation", "transfer", 2, SMALL)
    monkeypatch.setattr(isolation, "available", lambda: False)
    here = M.run_cell("native-tl2-no-read-validation", "transfer", 2, SMALL)
    assert worker.status == here.status == "ok"
    assert (worker.verdicts, worker.coverage, worker.states, worker.witnesses) == \
        (here.verdicts, here.coverage, here.states, here.witnesses)


def test_a_native_cell_whose_worker_dies_is_an_error_cell_and_the_matrix_goes_on(monkeypatch):
    import os
    import signal

    def dies(*args):
        os.kill(os.getpid(), signal.SIGSEGV)

    monkeypatch.setattr(M, "_run_cell", dies)
    monkeypatch.setattr(M, "_runs_native_code", lambda design: True)
    cell = M.run_cell("native-tl2", "transfer", 2, SMALL)
    assert cell.status == "error" and "SIGSEGV" in cell.note
    assert set(cell.verdicts.values()) == {M.UNKNOWN}


def test_cluster_cells_are_handed_out_longest_first():
    from stmcheck.checker.cli.matrix import _longest_first

    jobs = [("a", "transfer", 2, None), ("b", "transfer", 3, None), ("c", "swap", 2, None), ("d", "swap", 3, None)]
    assert _longest_first(jobs, {("c", "swap", 2): 50.0, ("b", "transfer", 3): 5.0}) == [2, 3, 1, 0]
    assert _longest_first(jobs, {}) == [1, 3, 0, 2]        # unknown: 3-thread cells first, then matrix order


def test_jobs_give_the_cells_one_process_gives_in_matrix_order():
    args = ["matrix", "--designs", "global-lock,locks-naive,gencounter-racy", "--workloads", "transfer,counter",
            "--threads", "2", "--states", "5000", "--json", "--no-timings", "-q"]
    one = CliRunner().invoke(main, args)
    two = CliRunner().invoke(main, args + ["-j", "2"])
    assert one.exit_code == two.exit_code == 0
    assert json.loads(two.stdout) == json.loads(one.stdout)


def test_starvation_left_unknown_by_relative_stamps_goes_to_the_horizon_graph(monkeypatch):
    """gencounter-racy on swap: its graph of cyclic programs has no end (relative stamps), so the
    cell asks the horizon graph (explore/horizon.py), within the budget's states, and takes its
    "holds"; a design without relative stamps gets no answer from it (tl2 on swap, its graph
    bounded here) and keeps its "unknown"."""
    asked, real = [], M.horizon.verdicts

    def horizon_says(design_cls, workload, max_states):
        asked.append((design_cls.__name__, workload.name, max_states))
        if design_cls.__name__ == "GenCounterRacy":
            return {"starvation": "holds", "obstruction_free": "unknown", "survives_stopped_thread": "holds",
                    "states": 7, "horizon": 2, "why": None}
        return real(design_cls, workload, max_states)
    monkeypatch.setattr(M.horizon, "verdicts", horizon_says)
    budget = replace(SMALL, horizon=1234)
    cell = M.run_cell("gencounter-racy", "swap", 2, budget)
    assert asked == [("GenCounterRacy", "swap", 1234)]
    assert cell.verdicts["starvation-free"] == "holds" and cell.verdicts["obstruction-free"] == "unknown"
    assert cell.verdicts["survives-stopped-thread"] == "holds"
    assert "starvation-free, survives a stopped thread on the horizon graph (7 states" in cell.note
    cell = M.run_cell("tl2", "swap", 2, budget)
    assert asked[1:] == [("TL2", "swap", 1234)]
    assert cell.verdicts["starvation-free"] == "unknown" and "horizon" not in cell.note


def test_the_progress_columns_go_to_the_horizon_graph_where_the_registry_names_the_workload(monkeypatch):
    """gencounter-racy on counter starves (its graph of cyclic programs shows it and stops there,
    too soon to prove the progress columns): where its entry names the workload ("horizon"), the
    horizon graph proves both; where it does not (transfer), it is not asked."""
    asked, real = [], M.horizon.verdicts

    def spy(design_cls, workload, max_states):
        asked.append((workload.name, max_states))
        return real(design_cls, workload, max_states)
    monkeypatch.setattr(M.horizon, "verdicts", spy)
    budget = M.DEFAULT_BUDGET.for_design("gencounter-racy")
    assert budget.horizon_states("counter") == (HORIZON_PROGRESS_STATES, True)
    cell = M.run_cell("gencounter-racy", "counter", 2, budget)
    assert asked == [("counter", HORIZON_PROGRESS_STATES)]
    assert cell.verdicts["starvation-free"] == "violated"
    assert cell.verdicts["obstruction-free"] == cell.verdicts["survives-stopped-thread"] == "holds"
    assert budget.horizon_states("transfer") == (M.DEFAULT_BUDGET.horizon, False)
    cell = M.run_cell("gencounter-racy", "transfer", 2, budget)
    assert len(asked) == 1 and cell.verdicts["obstruction-free"] == "unknown"


def test_a_horizon_graph_past_its_budget_leaves_starvation_unknown():
    cell = M.run_cell("gencounter-racy", "swap", 2, replace(SMALL, horizon=500))
    assert cell.verdicts["starvation-free"] == "unknown" and "more than 500 states" in cell.note


def test_a_witness_the_design_no_longer_fits_is_a_note_not_a_crash(monkeypatch):
    """The registry's 3-thread witnesses are schedules of the designs as they are: a design
    changed since (its steps no longer line up) leaves the cell to its own search and says so."""
    monkeypatch.setitem(M.THREE_THREAD_WITNESSES, ("global-lock", "counter"), "1*500")
    cell = M.run_cell("global-lock", "counter", 3, SMALL)
    assert cell.status == "ok"
    assert "witness (THREE_THREAD_WITNESSES) no longer fits the design" in cell.note
    assert cell.verdicts["livelock-free"] == M.HOLDS      # what the exhausted graph proves


def test_graph_ended_reads_back_what_a_decided_cell_says():
    """`graph_ended` is `_GRAPH_EXHAUSTED` read back (`matrix --merge` trusts it): both forms, and
    nothing from a graph that did not end."""
    for how in ("", M._BY_SYMMETRY):
        assert M.graph_ended(M._GRAPH_EXHAUSTED.format(6_438_257, how)) == 6_438_257
    assert M.graph_ended("state graph by symmetry: 12,000 states, not exhausted") is None
    assert M.graph_ended(M._GRAPH_EXHAUSTED.format(500, "") + M._PLACES_EXHAUSTED.format(90)) is None
