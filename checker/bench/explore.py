"""`stmcheck bench explore`: the explorer's figures, written to reports/explore.md.

Measures (1) throughput of `tl2` with 2 and 3 threads: executions and steps
per second, both for the whole pipeline (DPOR + judging every history) and for
the runtime alone; (2) executions DPOR (stateful, and stateless) needs against
the exact number of executions plain enumeration runs, counted over the graph
of states (run as well where it is small), and tl2 transfer 2 x 2, the issue's
1/100 target (skipped with --quick); (3) executions each strategy needs
to find each shipped bug; (4) the wall time of the README's main command;
(5) the graph search by symmetry beside the one without, on 3-thread cells;
(6) the graph search merging guarded steps beside the one that does not;
(7) with --large, tl2 transfer 3 x 2 by the graph search, without and with
symmetry, its runs and its fold of views timed apart, its peak memory (a
child process each, alone); without --large, the section the last --large
run wrote is kept (it takes an hour). Timings vary with the machine; counts
do not.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import time

import click

from stmcheck.models.terms import DEFAULT_CRITERIA
from stmcheck.models.workloads import Workload

from .. import api
from ..explore import runtime
from ..explore.strategies.dpor import DPOR
from ..explore.strategies.graph import GraphSearch
from ..explore.strategies.random_walk import RandomWalk
from ..explore.strategies.statecache import count_interleavings


class ReadVsIncrement(Workload):
    """A `tl2` configuration small enough to enumerate every interleaving: thread 1
    reads x once, thread 2 increments it, one attempt each (`retries=0`). Even
    2 x 1 `counter` on tl2 has millions of interleavings."""

    name = "read-vs-increment"
    default_keys, min_keys = 1, 1

    def build(self):
        self.keys = {"x": 0}

        def reader(tx):
            yield from tx.read("x")

        def increment(tx):
            v = yield from tx.read("x")
            yield from tx.write("x", v + 1)

        self.programs = {1: [("read x", reader)], 2: [("x += 1", increment)]}


def _explorer(design, workload, threads, txns, strategy, max_executions, time_limit=120.0, stop=True, exact=False,
              **kw):
    wl = ReadVsIncrement(2, retries=0) if workload == ReadVsIncrement.name else workload
    setup = api.prepare(design, wl, threads=threads, txns=txns)
    return api.make_explorer(setup, strategy, max_executions=max_executions, time_limit=time_limit,
                             stop_at_first=stop, exact_histories=exact, **kw)


def _throughput(threads, executions):
    ex = _explorer("tl2", "transfer", threads, 1, "dpor", executions)
    t0 = time.perf_counter()
    out = ex.explore()
    dt = time.perf_counter() - t0
    # the runtime alone: random schedules, nothing judged
    rw = RandomWalk(1)
    steps, t1 = 0, time.perf_counter()
    for _ in range(executions):
        run = ex.new_run().execute(rw)
        steps += len(run.steps)
    dt2 = time.perf_counter() - t1
    return out.executions / dt, out.steps / dt, executions / dt2, steps / dt2


def _compare(design, workload, threads, txns, budget):
    """DPOR (histories merged by what opacity can tell apart), DPOR with the whole history in
    the key, stateless DPOR, the exact number of plain executions (counted over the graph of
    states, not run), and plain enumeration itself when that number fits the budget."""
    d = _explorer(design, workload, threads, txns, "dpor", budget, stop=False).explore()
    whole = _explorer(design, workload, threads, txns, "dpor", budget, stop=False, exact=True).explore()
    sl = _explorer(design, workload, threads, txns, DPOR(), budget, stop=False).explore()
    n, _, _ = count_interleavings(lambda st: _explorer(design, workload, threads, txns, st, None, None,
                                                       stop=False).explore())
    same = "n/a"
    if n <= budget:
        p = _explorer(design, workload, threads, txns, "plain", budget, stop=False).explore()
        assert p.exhausted and p.executions == n, "the count must be what plain enumeration runs"
        same = "yes" if whole.exhausted and whole.signatures == p.signatures else "NO"
    return d, whole, sl, n, same


def _count(out):
    return f"{out.executions:,}" if out.exhausted else f"> {out.executions:,}"


def _to_find(design, workload, strategy, seeds, budget):
    found = []
    for seed in seeds:
        out = _explorer(design, workload, 2, 1, strategy, budget, seed=seed).explore()
        found.append(out.executions if out.violations else None)
    hits = [f for f in found if f is not None]
    if not hits:
        return f"not found in {budget:,} (x{len(seeds)} seeds)"
    med = statistics.median(hits)
    text = f"{med:g}" + (f" (median of {len(seeds)} seeds)" if len(seeds) > 1 else "")
    if len(hits) < len(found):
        text += f"; missed by {len(found) - len(hits)} seed(s) within {budget:,}"
    return text


@click.command("explore")
@click.option("--out", "out_path", default="reports/explore.md", show_default=True, help="Where to write the table.")
@click.option("--quick", is_flag=True, help="Smaller budgets (for a smoke test).")
@click.option("--large", "large_limit", type=click.IntRange(1), default=None, metavar="SECONDS",
              help="Also tl2 transfer 3 x 2 by the graph search, for at most SECONDS (tens of minutes here).")
def explore_bench(out_path, quick, large_limit):
    """Explorer throughput, DPOR against plain enumeration, executions to find each bug."""
    scale = 0.1 if quick else 1.0
    lines = ["# `stmcheck bench explore`", "",
             "Written by `stmcheck bench explore`. Counts are deterministic; rates depend on the machine "
             f"(this run: {os.cpu_count()} CPUs, shared).", ""]

    click.echo("throughput ...", err=True)
    lines += ["## Throughput of `tl2` (transfer, 1 transaction per thread)", "",
              "| threads | executions/s (DPOR + judging) | steps/s (DPOR + judging) | executions/s (runtime only) "
              "| steps/s (runtime only) |", "|---|---|---|---|---|"]
    for threads in (2, 3):
        n = max(50, int((200 if threads == 2 else 3000) * scale))
        a, b, c, d = _throughput(threads, n)
        lines.append(f"| {threads} | {a:,.0f} | {b:,.0f} | {c:,.0f} | {d:,.0f} |")
    lines += ["", "(2 threads: DPOR exhausts the space in fewer executions than the budget, so its rate includes "
              "the start-up.)", ""]

    click.echo("DPOR against plain enumeration ...", err=True)
    budget = int(40000 * scale) or 1000
    lines += ["## DPOR against plain enumeration", "",
              "`dpor` is stateful DPOR (source sets, sleep sets, and a cache of explored states: "
              "checker/explore/strategies/dpor_cache.py) whose states keep of the history so far only what opacity "
              "can still tell apart (checker/explore/witnesskey.py); \"whole history\" is the same with "
              "the whole history so far in each state's key; \"stateless\" is DPOR without the cache. "
              "\"plain\" is the exact number of executions plain enumeration runs, counted over the graph of "
              "states (checker/explore/strategies/statecache.py) instead of run; where it is at most "
              f"{budget:,}, plain enumeration is also run, must run exactly that many executions, and \"same "
              "histories\" says whether it found exactly the distinct histories DPOR with whole histories "
              "found (merged histories are compared with plain enumeration by the tests: same final states "
              "and verdicts).", "",
              "| design | workload | threads x txns | DPOR executions | whole history | stateless DPOR "
              "| plain executions | ratio | same histories |", "|---|---|---|---|---|---|---|---|---|"]
    counts = {}
    for design, workload, threads, txns in [("global-lock", "counter", 2, 1), ("global-lock", "transfer", 2, 1),
                                            ("global-lock", "counter", 2, 2), ("global-lock", "transfer", 2, 2),
                                            ("global-lock", "counter", 3, 1), ("tl2", "counter", 2, 1),
                                            ("tl2", "transfer", 2, 1), ("tl2", ReadVsIncrement.name, 2, 1)]:
        d, whole, sl, n, same = _compare(design, workload, threads, txns, budget)
        counts[(design, workload, threads, txns)] = n
        ratio = f"1/{n / d.executions:,.0f}" if d.exhausted else "n/a"
        lines.append(f"| {design} | {workload} | {threads} x {txns} | {_count(d)} | {_count(whole)} | {_count(sl)} "
                     f"| {n:,} | {ratio} | {same} |")
    if not quick:
        for workload in ("counter", "transfer"):
            click.echo(f"tl2 {workload} 2 x 2 ...", err=True)
            low = counts[("tl2", workload, 2, 1)]
            d = _explorer("tl2", workload, 2, 2, "dpor", 2_000_000, time_limit=3600.0, stop=False).explore()
            ratio = f"< 1/{low / d.executions:,.0f}" if d.exhausted else "n/a"
            lines.append(f"| tl2 | {workload} | 2 x 2 | {_count(d)} | not run here | not run here | > {low:,} "
                         f"| {ratio} | n/a |")
            if workload == "transfer":
                transfer = d
        d = transfer
        lines += ["", f"`tl2` transfer 2 x 2 (the issue's target): DPOR "
                  f"{'exhausts the space in' if d.exhausted else 'stops after'} {d.executions:,} executions "
                  f"({d.histories:,} distinct histories run, {d.elapsed:.0f} s here). Plain enumeration runs more "
                  "executions than the exact count for 2 x 1 (\"> \" in the table): every complete 2 x 1 schedule "
                  "is a prefix of a different complete 2 x 2 execution (each thread's first transaction is the "
                  "2 x 1 transaction). Measured by hand in an earlier session (not by this bench: they take too long), neither "
                  "DPOR with the whole history in the key (474,838 executions in 1,200 s) nor stateless DPOR "
                  "(310,758 in 1,500 s) exhausts it: almost every execution is a distinct Mazurkiewicz trace, "
                  "and the histories so far differ in what opacity cannot tell apart (what an aborted attempt "
                  "read once every attempt that overlapped it has ended, an attempt that aborted before "
                  "touching anything)."]
        if not d.exhausted:
            lines[-1] += (f" Not exhausted within this bench's budget, so the issue's 1/100 target is not shown "
                          f"met here; it is met as soon as DPOR exhausts in fewer than {low // 100:,} executions.")
    lines += ["", f"`{ReadVsIncrement.name}`: thread 1 reads x, thread 2 increments it, one attempt each (a tl2 "
              "configuration small enough to enumerate).", ""]

    click.echo("executions to find each bug ...", err=True)
    seeds = list(range(5))
    bb = max(500, int(5000 * scale))
    lines += ["## Executions each strategy needs to find each shipped bug (2 threads, 1 transaction each)", "",
              "| design | workload | bug | dpor | random | pct (depth 3) | pct (depth 6) |", "|---|---|---|---|---|---|---|"]
    for design, workload, bug in [("locks-naive", "swap", "deadlock"), ("locks-naive", "transfer", "deadlock"),
                                  ("tl2-no-read-validation", "transfer", "opacity"),
                                  ("eager-aggressive", "transfer", "livelock")]:
        row = [_to_find(design, workload, "dpor", [0], bb), _to_find(design, workload, "random", seeds, bb)]
        for depth in (3, 6):
            found = []
            for seed in seeds:
                out = _explorer(design, workload, 2, 1, "pct", bb, seed=seed, depth=depth).explore()
                found.append(out.executions if out.violations else None)
            hits = [f for f in found if f is not None]
            row.append(f"{statistics.median(hits):g} ({len(hits)}/{len(seeds)} seeds)" if hits
                       else f"not found in {bb:,} (x{len(seeds)} seeds)")
        lines.append(f"| {design} | {workload} | {bug} | " + " | ".join(row) + " |")
    lines.append("")

    click.echo("the card command ...", err=True)
    t0 = time.perf_counter()
    out = api.explore("tl2", threads=3)
    dt = time.perf_counter() - t0
    lines += ["## The README's main command", "", card_line(out, dt), ""]

    click.echo("symmetry ...", err=True)
    lines += _symmetry()
    click.echo("guarded steps merged ...", err=True)
    lines += _merged()

    if large_limit is not None:
        click.echo(f"tl2 transfer 3 x 2, at most {large_limit:,} s each ...", err=True)
        lines += _large(large_limit)
    else:
        lines += _kept_section(out_path, LARGE_TITLE)

    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    click.echo("\n".join(lines))
    click.echo(f"written to {out_path}", err=True)


#: Where threads run the same program: (design, workload) searched with 3 threads, with and without symmetry.
SYMMETRY_CELLS = [("tl2", "transfer"), ("tl2", "counter"), ("tl2", "swap"), ("norec", "swap"),
                  ("eager+passive", "transfer"), ("eager+passive", "counter")]


def _searched(design, workload, threads=3, symmetry=False) -> tuple:
    """One graph search, every violation collected (not stopped at the first): (states, seconds,
    exhausted, the violations)."""
    g = GraphSearch(max_states=2_000_000, symmetry=symmetry)
    ex = api.make_explorer(api.prepare(design, workload, threads=threads), g, max_executions=None,
                           time_limit=600, stop_at_first=False)
    t0 = time.perf_counter()
    out = ex.explore()
    return out.states, time.perf_counter() - t0, out.exhausted, out.violations


def _symmetry() -> list:
    """The graph search with and without symmetry, on cells where both end: states, seconds,
    verdicts."""
    lines = ["## Symmetry: threads that run the same program (`--symmetry`)", "",
             "The graph search (opacity, every violation collected) without and with `--symmetry` "
             "(checker/explore/symmetry.py) on 3 threads, 1 transaction each; \"same verdicts\": the same kinds "
             "of violation and the same exhaustion.", "",
             "| design | workload | states | s | states by symmetry | s | states ratio | same verdicts |",
             "|---|---|---|---|---|---|---|---|"]
    for design, workload in SYMMETRY_CELLS:
        (a, ta, ea, va), (b, tb, eb, vb) = (_searched(design, workload, symmetry=s) for s in (False, True))
        same = (ea, sorted({v.kind for v in va})) == (eb, sorted({v.kind for v in vb}))
        lines.append(f"| {design} | {workload} | {a:,} | {ta:.1f} | {b:,} | {tb:.1f} | {a / max(b, 1):.2f} | "
                     f"{'yes' if same else 'NO'} |")
    return lines + [""]


#: Designs that declare guarded cells: (design, workload, threads, by symmetry).
MERGED_CELLS = [("global-lock", "transfer", 3, False), ("locks-ordered", "transfer", 3, False),
                ("locks-early-release", "transfer", 3, False), ("eager+passive", "transfer", 3, False),
                ("eager+passive", "counter", 3, True), ("eager", "counter", 3, False)]


def _merged() -> list:
    """The graph search with and without guarded steps merged (runtime.py): states, seconds,
    verdicts (the criteria as one kind: which one a history is named after depends on which of an
    end's histories a run meets first)."""
    lines = ["## Guarded steps merged (`machine.cell(guarded_by=lock)`)", "",
             "The graph search (opacity, every violation collected) with each step on a cell guarded by a "
             "lock its thread holds a scheduling point of its own, and with it merged into the thread's step "
             "before it (checker/explore/runtime.py, \"Guarded steps merged\"); \"same verdicts\": the same "
             "exhaustion and kinds of violation (serializability, strict serializability and opacity as one).", "",
             "| design | workload | threads | states | s | states merged | s | states ratio | same verdicts |",
             "|---|---|---|---|---|---|---|---|---|"]
    for design, workload, threads, symmetry in MERGED_CELLS:
        found = []
        for merge in (False, True):
            kept, runtime.MERGE_GUARDED = runtime.MERGE_GUARDED, merge
            try:
                states, seconds, exhausted, violations = _searched(design, workload, threads, symmetry)
            finally:
                runtime.MERGE_GUARDED = kept
            kinds = sorted({"criterion" if v.kind in DEFAULT_CRITERIA else str(v.kind) for v in violations})
            found.append((states, seconds, exhausted, kinds))
        (a, ta, ea, ka), (b, tb, eb, kb) = found
        label = f"{threads}, by symmetry" if symmetry else str(threads)
        lines.append(f"| {design} | {workload} | {label} | {a:,} | {ta:.1f} | {b:,} | {tb:.1f} | {a / max(b, 1):.2f} | "
                     f"{'yes' if (ea, ka) == (eb, kb) else 'NO'} |")
    return lines + [""]


LARGE_TITLE = "## tl2 transfer, 3 threads x 2 transactions (`--large`)"


KEPT = "(Kept from the last run with `--large`: a run without it does not repeat this one.)"


def _kept_section(path: str, title: str) -> list:
    """The section `title` of the report at `path` as it stands (its lines up to the next
    section), saying it was kept (`KEPT`), or nothing."""
    try:
        with open(path, encoding="utf-8") as f:
            old = f.read().split("\n")
    except OSError:
        return []
    if title not in old:
        return []
    start = old.index(title)
    end = next((i for i in range(start + 1, len(old)) if old[i].startswith("## ")), len(old))
    kept = old[start:end]
    return kept if KEPT in kept else kept[:2] + [KEPT, ""] + kept[2:]


def _three_by_two(time_limit: int, symmetry: bool, pipe) -> None:
    """tl2 transfer 3 x 2 by the graph search (a child process): what it found, sent on `pipe`."""
    g = GraphSearch(max_states=120_000_000, symmetry=symmetry)
    ex = api.make_explorer(api.prepare("tl2", "transfer", threads=3, txns=2), g, max_executions=None,
                           time_limit=time_limit)
    t0 = time.perf_counter()
    out = ex.explore()
    fold = g.views_after
    pipe.send({"places": g.nodes, "runs": out.executions, "steps": out.steps, "states": out.states,
               "transitions": out.transitions, "views": len(fold.views) if fold else None,
               "fold": fold.seconds if fold else None, "seconds": time.perf_counter() - t0,
               "bytes": out.store_bytes, "exhausted": out.exhausted, "bounds": out.bounds,
               "violations": len(out.violations),
               "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})   # MiB, this process's own


def _large(time_limit: int) -> list:
    """The 3 x 2 section: without and with symmetry, each run in a child process, so that its
    peak memory is its own."""
    lines = [LARGE_TITLE, "",
             "The graph search with views after places (checker/explore/strategies/views_after.py), judged for "
             "opacity as `stmcheck explore tl2 --threads 3 --txns 2` does (with `--symmetry`: threads 1 and 3 "
             "interchangeable); the runs that build the graph of places and the fold of views over it timed apart "
             "(the rest: judging the ends and looking for a livelock); peak memory of the process that ran it.",
             "", "| symmetry | places | runs | steps | runs and the rest s | states | transitions | views | fold s "
             "| total s | peak MiB | stored bytes/state | violations | coverage |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for symmetry in (False, True):
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_three_by_two, args=(time_limit, symmetry, send))
        child.start()
        send.close()
        try:
            r = receive.recv()
        except EOFError:       # it died (out of memory, a signal): say so, no figures
            child.join()
            lines.append(f"| {'yes' if symmetry else 'no'} | the process died (exit status {child.exitcode}) "
                         "before it could report |" + " |" * 12)
            continue
        child.join()
        fold = r["fold"] or 0.0
        end = "exhausted" if r["exhausted"] else "bounded: " + ", ".join(r["bounds"])
        lines.append(f"| {'yes' if symmetry else 'no'} | {r['places']:,} | {r['runs']:,} | {r['steps']:,} | "
                     f"{r['seconds'] - fold:.0f} | {r['states']:,} | {r['transitions']:,} | {r['views'] or 0:,} | "
                     f"{fold:.0f} | {r['seconds']:.0f} | {r['peak']:,.0f} | {r['bytes'] / max(r['states'], 1):.0f} | "
                     f"{r['violations']} | {end} |")
    return lines + [""]


def card_line(out, seconds: float) -> str:
    """The README's main command, as measured: time, what it searched, how it ended."""
    searched = (f"{out.states:,} states, {out.transitions:,} transitions ({out.executions:,} runs)"
                if out.states is not None else f"{out.executions:,} executions")
    return (f"`stmcheck explore tl2 --threads 3`: {seconds:.1f} s wall time here; {searched}, "
            f"{out.histories:,} distinct histories, {len(out.violations)} violations; bounds: "
            f"{', '.join(out.bounds) or 'none (exhausted)'}.")
