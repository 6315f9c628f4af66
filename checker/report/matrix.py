"""The verdict matrix as Markdown (reports/matrix.md) and as one short code per cell.

A cell's code spells its nine verdicts in column order, `+` holds, `x` violated,
`?` unknown (bounded), `.` n/a, so that `+++x+?+xx` reads "deadlocks, starvation
not decided, every run a GIL run, blocking" at a glance in a table or a terminal line.
"""

from __future__ import annotations

from stmcheck.models.terms import Property, Verdict

from .. import matrix as M
from . import timings

_MARK = {Verdict.HOLDS: "+", Verdict.VIOLATED: "x", Verdict.UNKNOWN: "?", Verdict.NA: "."}
_SHORT = ("ser", "strict", "opaque", "no-deadlock", "no-livelock", "no-starvation", "gil", "obstruction-free",
          "survives-stop")
VERDICTS = tuple(Property)


LEGEND = ("verdicts, in order: serializable, strictly serializable, opaque, deadlock-free, livelock-free, "
          "starvation-free, gil, obstruction-free, survives a stopped thread; + holds, x violated, "
          "? unknown (bounded), . n/a")


def code(cell) -> str:
    return "".join(_MARK[cell.verdicts.get(v, M.UNKNOWN)] for v in VERDICTS)


def summary(cell) -> str:
    """What the cell found, in a word: its kinds of counterexample; "clean" when none and
    something was proven; "unknown" when none and nothing was (all nine verdicts unknown,
    as on every 3-thread cell without a bug): a bounded search that found nothing is not clean."""
    found = M.found_kinds(cell)
    if found:
        return " + ".join(found)
    if all(cell.verdicts.get(v, M.UNKNOWN) == M.UNKNOWN for v in VERDICTS):
        return "unknown"
    return "clean"


def terminal_lines(cells) -> list[str]:
    """The cells as `stmcheck matrix` prints them: a legend, a header, one line per cell that ran."""
    lines = [LEGEND, f"{'design':34} {'workload':14} {'threads':7}  {'verdicts':9}  {'summary':44} "
                     f"{'executions':>17}  coverage"]
    for c in cells:
        if c.status != M.NA:
            lines.append(f"{c.design:34} {c.workload:14} {c.threads:<7}  {code(c):9}  {summary(c):44} "
                         f"{c.executions:>6} executions  {c.coverage}")
    return lines


def markdown(cells, budgets, designs, workloads) -> str:
    by = {c.key(): c for c in cells}
    timed = timings()
    lines = ["# The verdict matrix", "",
             "Written by `stmcheck matrix`. Each design on each workload, one transaction per thread. "
             "Verdicts, in this order: serializable, strictly serializable, opaque, deadlock-free, "
             "livelock-free, starvation-free, gil (every run's output and final memory are a global-lock "
             "run's), obstruction-free, survives a stopped thread (docs/gil.md); `+` holds, `x` violated, "
             "`?` unknown (bounded), `.` n/a. The last four columns are the programs with steps outside "
             "transactions (2 threads; judged by the GIL criterion, deadlock and livelock). "
             + ("Counts are deterministic; seconds depend on the machine (2 shared CPUs here)." if timed
                else "Counts are deterministic."), "",
             "Budgets (counts, never seconds; after the defaults, the designs whose registry entry widens "
             "them for its cells, `Entry.search`):", ""]
    lines += [f"- {k.replace('_', ' ')}: {v}" for k, v in budgets.items()]
    lines.append("")
    for threads in (2, 3):
        if not any(c.threads == threads for c in cells):
            continue
        shown = [w for w in workloads if any(c.threads == threads and c.workload == w and c.status != M.NA
                                             for c in cells)]
        lines += [f"## {threads} threads", "", "| design | " + " | ".join(shown) + " |",
                  "|---|" + "---|" * len(shown)]
        for d in designs:
            row = []
            for w in shown:
                c = by.get((d, w, threads))
                row.append("" if c is None else f"`{code(c)}`" + ("" if c.status != "error" else " error"))
            lines.append(f"| {d} | " + " | ".join(row) + " |")
        lines.append("")
    lines += ["## Cells", "",
              "| design | workload | threads | " + " | ".join(_SHORT) + " | other | executions | coverage | "
              "graph states | " + ("seconds | " if timed else "") + "expected | note |",
              "|---|---|---|" + "---|" * len(_SHORT) + "---|---|---|---|" + ("---|" if timed else "") + "---|---|"]
    for c in cells:
        if c.status == M.NA:
            continue
        exp = M.expectation(c)
        exp_text = ("none" if exp is None else exp) + ("" if not M.differences(c) else " (DIFFERS)")
        lines.append(f"| {c.design} | {c.workload} | {c.threads} | "
                     + " | ".join(c.verdicts.get(v, "") for v in VERDICTS)
                     + f" | {', '.join(c.others) or '-'} | {c.executions:,} | {c.coverage} | "
                       f"{'' if c.states is None else f'{c.states:,}'} | "
                     + (f"{c.seconds:.1f} | " if timed else "") + f"{exp_text} | {c.note} |")
    lines += ["", "## Counterexamples", "", "The first schedule found for each violated verdict, as a replay command.", ""]
    for c in cells:
        for name, cmd in sorted(c.witnesses.items()):
            lines.append(f"- {c.design} / {c.workload} / {c.threads} threads, {name}: `{cmd}`")
    lines.append("")
    return "\n".join(lines)
