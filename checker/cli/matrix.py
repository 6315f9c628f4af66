"""`stmcheck matrix`: every design on every workload, written to reports/matrix.md and .json.

The cell logic is in `matrix.py`; this module selects cells, runs them (in
`--jobs` worker processes if asked), shows progress on stderr (cells run here: their state
graph growing, `_Ticker`), writes the
reports and, with `--check`, compares every cell with the registry.
"""

from __future__ import annotations

import json
import os
import sys
import time

import click

from stmcheck.implementations.registry import DESIGNS

from .. import cluster, matrix as M
from ..report import timings
from ..report.matrix import markdown, terminal_lines
from ..report.junit import matrix_suites
from .options import (fail, junit_option, no_timings_option, save_every_needs, save_every_option, unknown_name,
                      write_junit)


def _names(text, known, what):
    if text is None:
        return list(known)
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        fail(f"--{what}s {text!r} names no {what}: give a comma list (`stmcheck list {what}s` lists them)")
    for n in names:
        if n not in known and n.partition(":")[0] not in known:   # random:SEED
            fail(unknown_name(what, n, known, f"stmcheck list {what}s", quote=False))
    return names


def _budgets(budgets: dict, cells) -> dict:
    """The budgets that applied to these cells: the defaults, and the wider ones of the designs among them."""
    ran = {c.design for c in cells}
    return {k: v for k, v in budgets.items() if k not in DESIGNS or k in ran}


def _run_cells(jobs_list, jobs, quiet, cluster_spec, out_dir, junit) -> list:
    """The cells of `jobs_list`, run here, in `jobs` processes or on a cluster, lifted; the JUnit
    file written. A ^C shows the cells finished and exits 130, writing no report."""
    show = None if quiet else ("bar" if sys.stderr.isatty() else "lines")
    if cluster_spec is not None and jobs > 1:
        fail("--cluster and --jobs both say where the cells run: give one")
    try:
        cells, interrupted = _run(jobs_list, jobs, show, cluster_spec,
                                  _costs(out_dir) if cluster_spec is not None or jobs > 1 else None)
    except (cluster.ClusterUnavailable, cluster.ClusterFailure) as exc:
        fail(f"{exc}; nothing written to {out_dir}/")
    cells = M.lift(cells)      # what a stand-in's cell run beside them proves (registry.stand_in)
    write_junit(junit, matrix_suites(cells, M.differences))   # the cells run (a cell per test case)
    if interrupted:     # what finished is shown; nothing is written: a partial matrix is no report
        if cells:
            click.echo("\n".join(terminal_lines(cells)))
        click.echo(f"stmcheck: interrupted after {len(cells)} of {len(jobs_list)} cells; nothing written to "
                   f"{out_dir}/", err=True)
        sys.exit(130)
    return cells


def _cells_to_merge(path: str) -> list:
    """The cells of `path` (`matrix --json`), each a 3-thread cell whose state graph ended within
    what its design's entry gives now: what a run with the registry's budgets gives (the search
    is deterministic, and a budget past where it ends changes nothing). Anything else is a usage
    error naming the cell: a graph cut short, or one larger than the reports' budgets say."""
    cells = _read_cells(path, "the cells to merge")
    if not cells:
        fail(f"{path}: no cells to merge")
    for c in cells:
        where = f"{path}: {c.design} / {c.workload} / {c.threads} threads"
        if c.design not in DESIGNS or c.workload not in M.MATRIX_WORKLOADS:
            fail(f"{where}: no such cell in the matrix")
        if c.threads != 3:
            fail(f"{where}: only 3-thread cells are merged (--update recomputes 2-thread ones)")
        have, room = M.graph_ended(c.coverage), M.DEFAULT_BUDGET.for_design(c.design).graph_states(3, c.workload)
        if have is None:
            fail(f"{where}: its state graph did not end ({c.coverage}): nothing proven to merge")
        if have > room:
            fail(f"{where}: its graph ended at {have:,} states, past the {room:,} its entry gives: give the "
                 f"entry (`search`, \"graph3\") at least that many first, so that the reports say so")
    return cells


def _read_cells(path: str, what: str) -> list:
    """The cells of a matrix document (matrix.json, `matrix --json`); a usage error naming `what`
    when it cannot be read as one."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if doc.get("format") != "stmcheck.matrix/1":
            raise ValueError("not format stmcheck.matrix/1")
        return [M.Cell(**c) for c in doc["cells"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        fail(f"{path}: cannot read {what} ({exc})")


def _run_one(args):
    return M.run_cell(*args)


def _longest_first(jobs_list, costs: dict) -> list:
    """The cells' indices, the longest first (a cell's seconds in the last matrix written, `costs`;
    one not there: 3-thread cells before 2-thread ones): the workers then end together, where
    matrix order left one running the longest cells alone at the end. Order of running only:
    the results come back in matrix order."""
    def cost(j):
        design, workload, threads = jobs_list[j][:3]
        return -costs.get((design, workload, threads), 10.0 if threads == 3 else 1.0)
    return sorted(range(len(jobs_list)), key=lambda j: (cost(j), j))


def _costs(out_dir: str) -> dict:
    """(design, workload, threads) -> seconds, from the last matrix.json written there (empty if none)."""
    try:
        with open(os.path.join(out_dir, "matrix.json"), encoding="utf-8") as f:
            return {(c["design"], c["workload"], c["threads"]): float(c.get("seconds") or 0)
                    for c in json.load(f)["cells"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _finished(jobs_list, jobs, cluster_spec, costs, starting):
    """(index into `jobs_list`, cell) as each cell finishes: one after the other here (`starting(args)`
    called before each), or handed out longest first (`_longest_first`) to `jobs` processes here or to
    the Ray cluster `cluster_spec`, in the order they finish."""
    if cluster_spec is None and jobs == 1:
        for i, args in enumerate(jobs_list):
            starting(args)
            yield i, _run_one(args)
        return
    order = _longest_first(jobs_list, costs or {})
    todo = [jobs_list[j] for j in order]
    if cluster_spec is not None:
        with cluster.connect(cluster_spec) as ray:
            for i, cell in cluster.as_completed(ray, M.run_cell, todo):
                yield order[i], cell
    else:
        import multiprocessing
        with multiprocessing.get_context("spawn").Pool(jobs) as pool:
            for i, cell in enumerate(pool.imap(_run_one, todo)):
                yield order[i], cell


class _Ticker:
    """A running cell's state graph as it grows (cells run in this process only): the bar's
    description, four times a second at most, or ("lines") a line a minute, so that a log shows a
    3-thread cell that searches for an hour moving."""

    EVERY = {"bar": 0.25, "lines": 60.0}

    def __init__(self, show, progress, task):
        self.show, self.progress, self.task = show, progress, task
        self.name, self.began, self.last = "", 0.0, 0.0
        self.err = sys.stderr   # as it is now, not a capture a search may set

    def start(self, args):
        self.name = f"{args[0]} / {args[1]} / {args[2]} threads"
        self.began = self.last = time.monotonic()

    def __call__(self, out):
        now = time.monotonic()
        if out.states is None or now - self.last < self.EVERY[self.show]:
            return
        self.last = now
        so_far = f"{out.states:,} states so far"
        if self.progress is not None:
            self.progress.update(self.task, description=f"{self.name}: {so_far}")
        else:
            click.echo(f"matrix: {self.name}: {so_far} ({now - self.began:,.0f} s)", file=self.err)


def _run(jobs_list, jobs, show, cluster_spec=None, costs=None):
    """Run the cells, showing progress on stderr: a rich progress bar (`show` "bar", a terminal),
    one line per finished cell ("lines": a CI log, which must show a long run moving), or nothing
    (None); here, in `jobs` processes, or as tasks on the Ray cluster `cluster_spec` (`_finished`).
    The cells come back in matrix order, whatever order they finished in. A ^C stops it: the cells
    finished so far, and True (interrupted)."""
    progress = task = None
    got: dict = {}
    interrupted = False
    if show == "bar":
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        progress = Progress(TextColumn("matrix"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TextColumn("{task.description}"), console=Console(stderr=True), transient=True)
        progress.start()
        task = progress.add_task("", total=len(jobs_list))

    ticker = _Ticker(show, progress, task)
    # cells run here show their graph growing (`M.WATCH`: worker processes are not given it); in a
    # log not with --no-timings, whose output is the same bytes every time
    watching = M.WATCH.set(ticker if show == "bar" or (show == "lines" and timings()) else None)

    def starting(args):
        ticker.start(args)
        if progress:
            progress.update(task, description=f"{args[0]} / {args[1]} / {args[2]} threads")
    try:
        for i, cell in _finished(jobs_list, jobs, cluster_spec, costs, starting):
            got[i] = cell
            if show == "lines":
                click.echo(f"matrix: {len(got)}/{len(jobs_list)} {cell.design} / {cell.workload} / "
                           f"{cell.threads} threads: {M.summary(cell)}, {cell.coverage}", err=True)
            if progress:
                progress.update(task, advance=1, description=f"{cell.design} / {cell.workload}")
    except KeyboardInterrupt:
        interrupted = True
    finally:
        M.WATCH.reset(watching)
        if progress:
            progress.stop()
    return [got[i] for i in sorted(got)], interrupted


def _merged(path, cells):
    """The cells of an earlier matrix.json with `cells` in place of the same ones, in matrix order."""
    old = _read_cells(path, "the matrix to update")
    by = {c.key(): c for c in old if c.design in DESIGNS}
    by.update({c.key(): c for c in cells})
    order = {d: i for i, d in enumerate(DESIGNS)}
    worder = {w: i for i, w in enumerate(M.MATRIX_WORKLOADS)}
    return sorted(by.values(), key=lambda c: (order[c.design], worder.get(c.workload, 99), c.workload, c.threads))


def _doc(cells, budget: M.Budget) -> dict:
    """The matrix as JSON, with the budgets that applied and, unless --no-timings, each cell's seconds."""
    doc = M.to_json(cells, _budgets(budget.describe(), cells))
    if not timings():
        for c in doc["cells"]:
            c.pop("seconds", None)
    return doc


@click.command()
@click.option("--designs", metavar="LIST", help="Comma list of designs (default: all shipped).")
@click.option("--workloads", metavar="LIST", help="Comma list of workloads (default: all, those with steps "
                                                   "outside transactions too).")
@click.option("--threads", type=click.Choice(["2", "3", "both"]), default="both", show_default=True,
              help="2: the state graph (DPOR where it is not exhausted), starvation; 3: bounded DPOR, "
                   "then a smaller state graph (by symmetry where threads run the same program and the design allows it).")
@click.option("--check", "check_flag", is_flag=True,
              help="Compare every cell with the registry's expectation; exit 1 on any difference.")
@click.option("--json", "as_json", is_flag=True, help="Print the matrix as JSON on stdout.")
@click.option("--out", "out_dir", default="reports", show_default=True, metavar="DIR",
              help="Directory for matrix.md and matrix.json (written only for the full matrix, or with --write).")
@click.option("--write/--no-write", default=None, help="Write the reports even for a subset (or never).")
@click.option("--update", is_flag=True,
              help="Recompute the selected cells and merge them into DIR/matrix.json, rewriting both reports "
                   "(after changing one design).")
@click.option("--jobs", "-j", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Worker processes (cells are independent, handed out longest first; output order is fixed).")
@click.option("--cluster", "cluster_spec", metavar="ADDRESS|local[:N]",
              help="Run the cells as tasks on a Ray cluster (pip install -e '.[cluster]'): local[:N] starts one "
                   "here with N workers (default: one per core), ADDRESS joins a running one (ray start). "
                   "Same cells, same order, same verdicts as a run here.")
@click.option("--executions", type=click.IntRange(1), default=M.DEFAULT_BUDGET.executions[0], show_default=True,
              help="Execution budget per cell with 2 threads (a design's own `search` may raise it).")
@click.option("--states", type=click.IntRange(1), default=M.DEFAULT_BUDGET.states, show_default=True,
              help="State budget of the graph of cyclic programs per cell: starvation and the progress columns "
                   "(2 threads). A design's registry entry may name its own for some workloads (matrix.md "
                   "lists them).")
@click.option("--graph3", type=click.IntRange(1), metavar="STATES",
              help="States of the 3-thread state graph per cell, in place of the default and of a design's "
                   "own: to push a cell further (its cells are shown or given as --json, not written into "
                   "the reports, whose budgets they would not match).")
@click.option("--merge", "merge_file", metavar="FILE",
              help="Run nothing: merge the 3-thread cells of FILE (an earlier --json, e.g. of a --graph3 run) "
                   "into DIR/matrix.json and rewrite both reports. Each cell's state graph must have ended "
                   "within what its design's entry gives now (give the entry those states first).")
@click.option("--save-dir", metavar="DIR",
              help="Each 3-thread cell's state graph saves itself in DIR (a file per cell) every --save-every "
                   "seconds and when its runs stop, and a cell run again goes on from its file: a search longer "
                   "than one sitting, over several (files of other code are refused: the cell says so).")
@save_every_option("--save-dir")
@click.option("--quiet", "-q", is_flag=True, help="No progress display.")
@no_timings_option
@junit_option
def matrix(designs, workloads, threads, check_flag, as_json, out_dir, write, update, jobs, cluster_spec, executions,
           states, graph3, merge_file, save_dir, save_every, quiet, junit):
    """Run every design on every workload and tabulate nine verdicts per cell.

    \b
    Per cell: serializable, strictly serializable, opaque, deadlock-free,
    livelock-free, starvation-free, gil (every run's output and final memory
    are a global-lock run's), obstruction-free, survives a stopped thread,
    each holds / violated / unknown (bounded) / n/a. Starvation and the two
    progress properties come from the graph of cyclic programs (2 threads);
    privatize, publish, print-counter and print-in-batch (steps outside
    transactions; 2 threads, designs with outside_cell) are judged by the GIL
    criterion, deadlock and livelock.
    2 threads: the state graph (when exhausted it decides every verdict), then,
    where it is not exhausted, DPOR over every execution (coverage says which),
    and starvation from the state graph of cyclic programs; 3 threads: DPOR
    with at most 2 preemptions and 300 executions (finds bugs), then the state
    graph of at most 200,000 states (proves where it is exhausted; a cell it
    does not exhaust names the states it reached).
    A search that does not exhaust is followed by a seeded random walk. A
    design's registry entry may widen these budgets for its cells (`search`:
    counts, never seconds; listed in matrix.md), e.g. DSTM with backoff managers.
    Native designs run transfer and the workloads their entry names (others: n/a).
    The stand-ins eager+any and dstm+any (a manager whose decisions the explorer
    picks: it stands for aggressive, polite, karma and polka) run the state graph
    alone; a cell of a design they stand for takes from theirs (same workload and
    threads, in this run or, with --update, in DIR/matrix.json) the history
    criteria, deadlock-freedom and gil proven there, and its note says so.
    The terminal shows one line per cell: its nine verdicts as a code
    (+ holds, x violated, ? unknown, . n/a), what it found ("clean" only when
    something was proven, "unknown" when all nine are unknown), executions and
    coverage. The reports are written for the full matrix only, unless --write
    (a subset run says so on stderr). matrix.json (format stmcheck.matrix/1)
    carries each cell's verdicts and the registry's expectation (`expected`).
    \b
    Examples:
      stmcheck matrix                                   # everything, writes reports/matrix.*
      stmcheck matrix --designs tl2,lazy --threads 2    # prints the cells; writes nothing without --write
      stmcheck matrix --check --designs eager+karma --workloads intset,dict-update
      stmcheck matrix --designs tl2 --threads 2 --junit matrix.xml   # a test case per cell
      stmcheck matrix --cluster local:2                 # the cells as Ray tasks, 2 workers here
      stmcheck matrix --designs dstm --workloads swap --threads 3 --graph3 20000000 --json > cells.json
      stmcheck matrix --merge cells.json                # once the entry gives those states: into reports/
      stmcheck matrix --designs dstm --workloads counter --threads 3 --save-dir saved/   # again: goes on
    \b
    Exit status: 0 done (with --check: every cell as the registry expects),
    1 --check found differences (printed), 2 usage error, 130 interrupted (^C: the cells
    finished are shown, nothing is written).
    """
    dnames = _names(designs, DESIGNS, "design")
    wnames = _names(workloads, M.MATRIX_WORKLOADS, "workload")
    tlist = (2, 3) if threads == "both" else (int(threads),)
    budget = M.Budget(executions=(executions, M.DEFAULT_BUDGET.executions[1]), states=states)
    if merge_file is not None and (designs or workloads or graph3 is not None or update or cluster_spec is not None):
        fail("--merge runs nothing: give it without --designs, --workloads, --graph3, --update or --cluster")
    save_every_needs("--save-dir", save_dir)
    if save_dir is not None and (cluster_spec is not None or merge_file is not None):
        fail("--save-dir saves searches run here: give it without --cluster or --merge")
    if graph3 is not None and (write or update):
        fail("--graph3 changes the 3-thread cells' budget: their cells are shown (or --json), not written "
             "into the reports; give the design's entry that budget (`search`, \"graph3\") to record them")
    if merge_file is not None:
        cells, update = _cells_to_merge(merge_file), True
    else:
        write = False if graph3 is not None else write
        saves = None if save_dir is None else (save_dir, save_every)
        cells = _run_cells([(d, w, t, budget.for_design(d).with_graph3(graph3), saves)
                            for d in dnames for w in wnames for t in tlist], jobs, quiet, cluster_spec, out_dir, junit)
    doc = _doc(cells, budget)
    full = designs is None and workloads is None and threads == "both"
    if update:
        cells = M.lift(_merged(os.path.join(out_dir, "matrix.json"), cells))
        dnames, wnames = list(DESIGNS), list(M.MATRIX_WORKLOADS)
        write = True
    budgets = _budgets(budget.describe(), cells)
    if write is None and not full:
        click.echo(f"not written: {out_dir}/matrix.md and {out_dir}/matrix.json (a subset of the matrix is "
                   f"written only with --write)", err=True)
    if write or (write is None and full):
        doc = _doc(cells, budget)
        os.makedirs(out_dir, exist_ok=True)
        with open(os.path.join(out_dir, "matrix.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        with open(os.path.join(out_dir, "matrix.md"), "w", encoding="utf-8") as f:
            f.write(markdown(cells, budgets, dnames, wnames))
        click.echo(f"written to {out_dir}/matrix.md and {out_dir}/matrix.json", err=True)
    if as_json:
        click.echo(json.dumps(doc, indent=1))
    elif not check_flag:
        click.echo("\n".join(terminal_lines(cells)))
    if check_flag:
        diffs = [d for c in cells for d in M.differences(c)]
        for d in diffs:
            click.echo(f"DIFFERS: {d}")
        ran = sum(c.status != M.NA for c in cells)
        click.echo(f"matrix --check: {ran} cells, {len(diffs)} difference(s) from the registry")
        sys.exit(1 if diffs else 0)
