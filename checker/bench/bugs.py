"""`stmcheck bench bugs`: how many executions each strategy needs to find each bug.

For every broken variant: the smallest configuration that shows its bug
(fewest threads x transactions, then the workload where DPOR needs fewest
executions, among the workloads where the registry expects that bug), and the executions `dpor`, `random` and `pct` (depth 3) need to
find it there; random and pct over `SEEDS` seeds (median, worst, and how many
seeds found it within `BUDGET`). Written to reports/bugs.md; this is how a
user picks a strategy.

`BUGS` is the table the bench last measured, kept in code so that
tests/bench/test_bugs.py holds the strategies to it without parsing markdown; the
bench reports any row that no longer matches (then update `BUGS`). Everything
is counted in executions, so the numbers are the same on every machine.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass

import click

from stmcheck.implementations.registry import DESIGNS, expected_kinds
from stmcheck.models.terms import DEFAULT_CRITERIA
from stmcheck.models.workloads import WORKLOADS

from .. import api

SEEDS = 20
BUDGET = 5000                       # executions per search
SEARCH_BUDGET = 2000                # dpor executions per candidate configuration
CONFIGS = ((2, 1), (2, 2), (3, 1))  # (threads, transactions each), smallest first
PCT_DEPTH = 3
HISTORY = DEFAULT_CRITERIA

#: broken variant -> the kind of counterexample its bug gives.
VARIANTS = {
    "tl2-no-read-validation": "opacity",
    "tl2-no-commit-validation": "serializability",
    "lazy-unlocked-commit": "serializability",
    "norec-no-revalidation": "opacity",
    "eager-no-undo": "serializability",
    "locks-early-release": "serializability",
    "gencounter-racy": "serializability",
    "tl2-borrowed-clock": "serializability",
    "tl2-readonly-unchecked": "opacity",   # its serializability bug needs a read-only txn: tests/implementations/test_catalogue.py
    "native-tl2-no-read-validation": "opacity",
    "native-tl2-no-commit-validation": "serializability",
}


@dataclass(frozen=True)
class Bug:
    """One row: where the bug shows first, and what each strategy needed (seeds 0..SEEDS-1)."""
    design: str
    kind: str
    workload: str
    threads: int
    txns: int
    dpor: int
    random: tuple            # executions for seeds 0..SEEDS-1 (None: not found within BUDGET)
    pct: tuple

    @staticmethod
    def stats(runs) -> tuple:
        """(median over all seeds, a miss counting as infinitely many executions;
        the worst seed that found it; how many seeds found it)."""
        hits = [x for x in runs if x is not None]
        median = statistics.median([x if x is not None else float("inf") for x in runs])
        return median, max(hits, default=0), len(hits)


# Measured by `stmcheck bench bugs` (it prints these rows when they change).
BUGS = (
    Bug(design='tl2-no-read-validation', kind='opacity', workload='transfer', threads=2, txns=1, dpor=56,
        random=(425, 241, 595, 440, 713, 264, 301, 411, 154, 119, 110, 67, 1, 286, 167, 127, 376, 102, 1740, 72),
        pct=(12, 10, 30, 18, 1, 2, 95, 15, 25, 63, 34, 69, 21, 77, 2, 68, 16, 44, 2, 2)),
    Bug(design='tl2-no-commit-validation', kind='serializability', workload='write-skew', threads=2, txns=1, dpor=9,
        random=(3, 1, 1, 2, 3, 4, 2, 1, 2, 1, 2, 2, 2, 1, 6, 3, 1, 4, 1, 5),
        pct=(44, 5, 12, 37, 10, 16, 8, 3, 56, 18, 4, 3, 6, 4, 13, 2, 10, 1, 15, 10)),
    Bug(design='lazy-unlocked-commit', kind='serializability', workload='write-skew', threads=2, txns=1, dpor=6,
        random=(2, 4, 1, 1, 1, 4, 2, 1, 2, 1, 2, 2, 2, 3, 6, 3, 3, 4, 1, 1),
        pct=(19, 29, 46, 98, 24, 11, 52, 18, 13, 6, 19, 17, 20, 34, 18, 31, 4, 10, 26, 25)),
    Bug(design='norec-no-revalidation', kind='opacity', workload='transfer', threads=2, txns=1, dpor=12,
        random=(1, 3, 1, 1, 2, 6, 2, 1, 2, 2, 6, 9, 4, 1, 2, 4, 12, 1, 7, 4),
        pct=(18, 1, 32, 21, 36, 16, 6, 90, 9, 46, 4, 5, 23, 24, 46, 46, 9, 19, 33, 28)),
    Bug(design='eager-no-undo', kind='serializability', workload='ww-pathology', threads=2, txns=1, dpor=5,
        random=(2, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 2, 2, 1, 2, 1, 1, 1, 1, 1),
        pct=(2, 5, 12, 7, 3, 4, 7, 3, 13, 6, 1, 3, 3, 4, 1, 2, 4, 1, 3, 8)),
    Bug(design='locks-early-release', kind='serializability', workload='transfer', threads=2, txns=1, dpor=4,
        random=(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
        pct=(4, 1, 12, 16, 1, 2, 6, 3, 2, 6, 1, 3, 5, 4, 1, 2, 4, 1, 2, 2)),
    Bug(design='gencounter-racy', kind='serializability', workload='write-skew', threads=2, txns=1, dpor=6,
        random=(2, 2, 4, 4, 1, 1, 1, 2, 4, 1, 4, 2, 1, 3, 6, 3, 3, 4, 1, 2),
        pct=(12, 10, 30, 18, 66, 2, 95, 15, 25, 63, 77, 37, 21, 77, 2, 68, 16, 10, 2, 2)),
    Bug(design='tl2-borrowed-clock', kind='serializability', workload='write-skew', threads=2, txns=1, dpor=13,
        random=(5, 6, 1, 7, 3, 13, 2, 5, 2, 1, 26, 10, 2, 6, 17, 4, 1, 5, 3, 5),
        pct=(753, 427, 137, 258, 746, 514, 19, 26, 1005, 482, 290, 117, 514, 78, 716, 110, 245, 21, 821, 47)),
    Bug(design='tl2-readonly-unchecked', kind='opacity', workload='transfer', threads=2, txns=1, dpor=56,
        random=(425, 241, 595, 440, 713, 264, 301, 411, 154, 119, 110, 67, 1, 286, 167, 127, 376, 102, 1740, 72),
        pct=(12, 10, 30, 18, 1, 2, 95, 15, 25, 63, 34, 69, 21, 77, 2, 68, 16, 44, 2, 2)),
    Bug(design='native-tl2-no-read-validation', kind='opacity', workload='transfer', threads=2, txns=1, dpor=49,
        random=(425, 241, 595, 440, 713, 264, 301, 411, 154, 119, 110, 67, 1, 286, 167, 127, 376, 102, 1740, 72),
        pct=(12, 10, 30, 18, 1, 2, 95, 15, 25, 63, 34, 69, 21, 77, 2, 68, 16, 44, 2, 2)),
    Bug(design='native-tl2-no-commit-validation', kind='serializability', workload='counter', threads=2, txns=1, dpor=17,
        random=(11, 2, 41, 18, 24, 109, 17, 49, 36, 15, 31, 67, 1, 2, 13, 124, 17, 11, 40, 24),
        pct=(12, 10, 30, 18, 1, 2, 95, 15, 25, 63, 34, 37, 21, 77, 2, 68, 16, 39, 2, 2)),
)


def explorer(design, workload, threads, txns, strategy, budget=BUDGET, **kw):
    setup = api.prepare(design, workload, threads=threads, txns=txns)
    return api.make_explorer(setup, strategy, max_executions=budget, **kw)


def executions_to_find(design, kind, workload, threads, txns, strategy, budget=BUDGET, **kw):
    """Executions until the first violation of `kind`, or None within `budget`."""
    ex = explorer(design, workload, threads, txns, strategy, budget, **kw)
    ex.stop_at_first = False
    hit = {}

    judge = ex.judge

    def first(run, out=None):
        v = judge(run, out)
        if v is not None and v.kind == kind and out is not None and not hit:
            hit["n"] = out.executions       # this run included
            ex.max_executions = out.executions
        return v if v is None or v.kind == kind else None

    ex.judge = first
    ex.explore()
    return hit.get("n")


def candidates(design, kind) -> list:
    """The workloads to look on: those where the registry expects this kind, else every one
    the design runs (natives: those their entry names)."""
    expected = DESIGNS[design].expected
    named = [w for w in WORKLOADS if w in expected and kind in expected_kinds(expected[w])]
    if named:
        return named
    return [w for w in WORKLOADS if not design.startswith("native-") or w in expected]


def smallest(design, kind, budget=SEARCH_BUDGET):
    """(threads, txns, workload, dpor executions) of the smallest configuration that shows the bug."""
    for threads, txns in CONFIGS:
        found = []
        for w in candidates(design, kind):
            try:
                n = executions_to_find(design, kind, w, threads, txns, "dpor", budget)
            except ValueError:
                continue
            if n is not None:
                found.append((n, list(WORKLOADS).index(w), w))
        if found:
            n, _, w = min(found)
            return threads, txns, w, n
    return None


def sampled(design, kind, workload, threads, txns, strategy, seeds=SEEDS, **kw):
    """[executions or None] for seeds 0..seeds-1."""
    return [executions_to_find(design, kind, workload, threads, txns, strategy, seed=s, **kw)
            for s in range(seeds)]


def measure(design, kind) -> Bug | None:
    where = smallest(design, kind)
    if where is None:
        return None
    threads, txns, workload, n = where
    r = sampled(design, kind, workload, threads, txns, "random")
    p = sampled(design, kind, workload, threads, txns, "pct", depth=PCT_DEPTH)
    return Bug(design, kind, workload, threads, txns, n, tuple(r), tuple(p))


def _show(median):
    return f"> {BUDGET:,}" if median == float("inf") else f"{median:g}"


def _as_code(rows) -> str:
    rows = [f"    {r!r},".replace(", random=(", ",\n        random=(").replace("), pct=(", "),\n        pct=(")
            for r in rows]
    return "BUGS = (\n" + "\n".join(rows) + "\n)"


@click.command("bugs")
@click.option("--out", "out_path", default="reports/bugs.md", show_default=True, help="Where to write the table.")
@click.option("--designs", metavar="LIST", help="Comma list of broken variants (default: all).")
def bugs_bench(out_path, designs):
    """Executions dpor, random and pct need to find each broken variant's bug."""
    names = [d for d in (designs.split(",") if designs else VARIANTS) if d]
    bad = [d for d in names if d not in VARIANTS or (designs and d not in DESIGNS)]
    if bad:
        raise click.UsageError(f"not a shipped broken variant: {', '.join(bad)} (expected some of "
                               f"{', '.join(VARIANTS)})")
    missing = [f"{d}: not in the registry" for d in names if d not in DESIGNS]
    names = [d for d in names if d in DESIGNS]
    rows = []
    for d in names:
        click.echo(f"{d} ...", err=True)
        try:
            row = measure(d, VARIANTS[d])
        except Exception as exc:   # a native design without a compiler, say
            missing.append(f"{d}: {type(exc).__name__}: {exc}".splitlines()[0])
            continue
        if row is None:
            missing.append(f"{d}: no {VARIANTS[d]} counterexample in {CONFIGS} within {BUDGET:,} executions")
        else:
            rows.append(row)
    lines = ["# Executions to find each bug", "",
             "Written by `stmcheck bench bugs`. For each broken variant, the smallest configuration that shows "
             "its bug (fewest threads x transactions, then the workload where DPOR needs fewest executions), and "
             f"the executions each strategy runs until the first counterexample of that kind: dpor (deterministic), "
             f"random and pct (depth {PCT_DEPTH}) over seeds 0..{SEEDS - 1}: the median (a seed that found "
             f"nothing within {BUDGET:,} executions counts as infinitely many), the worst seed that found it, "
             "and how many seeds found it. Counts, not times: the same on every machine. tests/bench/test_bugs.py "
             "holds the strategies to these numbers (`BUGS` in checker/bench/bugs.py).",
             "", "| design | bug | workload | threads x txns | dpor | random median | random worst (found) | "
             "pct median | pct worst (found) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        (rm, rw, rh), (pm, pw, ph) = Bug.stats(r.random), Bug.stats(r.pct)
        lines.append(f"| {r.design} | {r.kind} | {r.workload} | {r.threads} x {r.txns} | {r.dpor} | "
                     f"{_show(rm)} | {rw} ({rh}/{SEEDS}) | {_show(pm)} | {pw} ({ph}/{SEEDS}) |")
    if missing:
        lines += ["", "Not measured:", ""] + [f"- {m}" for m in missing]
    lines.append("")
    os.makedirs(os.path.dirname(out_path) or ".", exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    click.echo("\n".join(lines))
    stale = [r for r in rows if r not in BUGS]
    if stale:
        click.echo("the table in checker/bench/bugs.py differs from this run; the new rows:", err=True)
        click.echo(_as_code(rows), err=True)
    click.echo(f"written to {out_path}", err=True)
