"""`stmcheck matrix` as a person reads it on a terminal, and what its reports carry.

The terminal lines are codes (`+++x+?+xx`) a newcomer cannot read without a
header and a legend; a cell whose nine verdicts are all unknown proved nothing
and must not read "clean"; matrix.json must say what matrix.md says about each
cell's expectation; a subset run writes nothing unless told, and says so; and
matrix.md lists only the budgets that applied to the run.
"""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

from stmcheck.checker.cli import main

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args):
    result = CliRunner().invoke(main, ["matrix", *args], prog_name="stmcheck")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_terminal_lines_have_a_header_and_a_legend():
    out = run("--designs", "locks-naive", "--workloads", "transfer", "--threads", "2", "--no-write").stdout
    lines = out.splitlines()
    header = next(ln for ln in lines if ln.split()[:2] == ["design", "workload"])
    assert "verdicts" in header and "executions" in header and "coverage" in header
    legend = "\n".join(ln for ln in lines if "+ holds" in ln or "legend" in ln.lower())
    for text in ("+ holds", "x violated", "? unknown", ". n/a", "serializable", "starvation-free"):
        assert text in legend, (text, out)
    assert any(ln.startswith("locks-naive") and "+++x++" in ln and "deadlock" in ln for ln in lines)


def test_a_cell_with_nine_unknown_verdicts_is_not_clean():
    out = run("--designs", "eager", "--workloads", "dict-update", "--threads", "3", "--no-write").stdout
    row = next(ln for ln in out.splitlines() if ln.startswith("eager"))
    assert "?????????" in row and "clean" not in row and "unknown" in row


def test_a_subset_run_says_it_wrote_nothing(tmp_path):
    result = run("--designs", "locks-naive", "--workloads", "transfer", "--threads", "2", "--out", str(tmp_path))
    assert not os.listdir(tmp_path)
    assert "--write" in result.stderr and "not written" in result.stderr
    # asked not to write: nothing to say
    assert "not written" not in run("--designs", "locks-naive", "--workloads", "transfer", "--threads", "2",
                                     "--no-write").stderr
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        line = next(ln for ln in f if ln.startswith("stmcheck matrix --designs"))
    assert "--write" in line


def test_matrix_json_carries_the_expectation_and_md_lists_only_the_run_budgets(tmp_path):
    run("--designs", "locks-naive,tl2", "--workloads", "transfer,counter", "--threads", "2", "--write",
        "--out", str(tmp_path))
    doc = json.loads((tmp_path / "matrix.json").read_text())
    by = {(c["design"], c["workload"]): c for c in doc["cells"]}
    assert by["locks-naive", "transfer"]["expected"] == "deadlock"
    assert by["locks-naive", "counter"]["expected"] == "clean"
    assert by["tl2", "transfer"]["expected"] == "starvation"   # proven on the finite cyclic transfer
    md = (tmp_path / "matrix.md").read_text()
    assert "| locks-naive | transfer | 2 |" in md and "deadlock |" in md
    assert "dstm+karma" not in md and "dstm+polite" not in md
    assert not any(k.startswith("dstm") for k in doc["budgets"])


def test_md_lists_a_wider_budget_when_its_design_ran(tmp_path):
    run("--designs", "dstm+polite", "--workloads", "counter", "--threads", "2", "--write", "--out", str(tmp_path))
    md = (tmp_path / "matrix.md").read_text()
    assert "- dstm+polite: its entry's own search" in md and "dstm+karma" not in md


def test_a_long_cell_shows_its_graph_growing_and_the_result_is_the_same(monkeypatch):
    """Cells run one after the other in this process report their state graph as it grows (in a
    log, a line a minute: here every run); what the matrix prints on stdout is unchanged."""
    import importlib
    cli_matrix = importlib.import_module("stmcheck.checker.cli.matrix")
    args = ("--designs", "tl2", "--workloads", "transfer", "--threads", "2", "--no-write", "--json")
    quiet = run(*args, "-q")
    monkeypatch.setitem(cli_matrix._Ticker.EVERY, "lines", 0.0)
    shown = run(*args)
    ticks = [ln for ln in shown.stderr.splitlines() if ln.startswith("matrix: tl2 / transfer / 2 threads: ")
             and "states so far" in ln]
    counts = [int(ln.split(": ")[2].split()[0].replace(",", "")) for ln in ticks]
    assert len(counts) > 3 and counts[-1] > counts[0]
    strip = lambda doc: [{k: v for k, v in c.items() if k != "seconds"} for c in json.loads(doc)["cells"]]  # noqa: E731
    assert strip(shown.stdout) == strip(quiet.stdout)


def test_graph3_sets_every_three_thread_graphs_budget_and_the_cells_are_not_written(tmp_path):
    """`--graph3 N` replaces the default and an entry's own 3-thread budget (dstm+aggressive's
    entry gives swap 12,000 states); its cells match no budget the reports list, so they are
    shown, never written."""
    args = ("--workloads", "swap", "--threads", "3", "--json", "-q", "--no-timings")
    for design in ("tl2", "dstm+aggressive"):
        cell = json.loads(run("--designs", design, *args, "--graph3", "700").stdout)["cells"][0]
        assert "state graph by symmetry: 700 states, not exhausted" in cell["coverage"], cell["coverage"]
    refused = run("--designs", "tl2", *args, "--graph3", "700", "--write", "--out", str(tmp_path))
    assert refused.exit_code == 2 and "not written into the reports" in refused.output
    assert os.listdir(tmp_path) == []


def test_merge_takes_cells_run_before_and_refuses_what_the_budgets_do_not_give(tmp_path):
    """`--merge FILE`: 3-thread cells computed earlier (a long --graph3 run) go into the reports
    without running again, where the registry's budget would give them; a graph cut short, or
    one that ended past its entry's budget, is refused with the cell named, and nothing written."""
    import shutil
    shutil.copy(os.path.join(REPO, "reports", "matrix.json"), tmp_path / "matrix.json")
    args = ("--designs", "tl2", "--workloads", "transfer", "--threads", "3", "--json", "-q", "--no-timings")
    ran = json.loads(run(*args, "--graph3", "400000").stdout)["cells"][0]
    assert ran["coverage"].startswith("exhausted: ")
    path = tmp_path / "cells.json"
    path.write_text(json.dumps({"format": "stmcheck.matrix/1", "cells": [ran]}))
    assert run("--merge", str(path), "--out", str(tmp_path), "-q").exit_code == 0
    merged = json.loads((tmp_path / "matrix.json").read_text())["cells"]
    assert next(c for c in merged if (c["design"], c["workload"], c["threads"]) == ("tl2", "transfer", 3)) == \
        {**ran, "seconds": 0.0}
    before = (tmp_path / "matrix.json").read_text()
    for coverage, says in (("state graph by symmetry: 700 states, not exhausted", "did not end"),
                           ("exhausted: 300,000 states (state graph by symmetry)", "past the 200,000")):
        path.write_text(json.dumps({"format": "stmcheck.matrix/1", "cells": [{**ran, "coverage": coverage}]}))
        refused = run("--merge", str(path), "--out", str(tmp_path), "-q")
        assert refused.exit_code == 2 and says in refused.output and "tl2 / transfer / 3 threads" in refused.output
    assert (tmp_path / "matrix.json").read_text() == before


def test_save_dir_saves_each_three_thread_graph_and_a_run_again_goes_on_to_the_same_cells(tmp_path):
    """`--save-dir`: a file per 3-thread cell (2-thread cells save nothing); the same command
    again gives the same bytes (its graphs gone on from their files); with --cluster, refused."""
    saved = tmp_path / "saved"
    args = ("--designs", "tl2", "--workloads", "counter", "--json", "-q", "--no-timings", "--save-dir", str(saved))
    first = run(*args)
    assert first.exit_code == 0 and os.listdir(saved) == ["tl2_counter_3.saved"]
    again = run(*args)
    assert again.stdout == first.stdout
    refused = run(*args, "--cluster", "local:1")
    assert refused.exit_code == 2 and "without --cluster" in refused.output
