"""The verdict matrix as Markdown (reports/matrix.md) and as one short code per cell.

A cell's code spells its six verdicts in column order, `+` holds, `x` violated,
`?` unknown (bounded), `.` n/a, so that `+++x+?` reads "deadlocks, starvation
not decided" at a glance in a table or a terminal line.
"""

from __future__ import annotations

from stmcheck.implementations.registry import DESIGNS, describe_expected
from stmcheck.models.terms import Property, Verdict

from .. import matrix as M

_MARK = {Verdict.HOLDS: "+", Verdict.VIOLATED: "x", Verdict.UNKNOWN: "?", Verdict.NA: "."}
_SHORT = ("ser", "strict", "opaque", "no-deadlock", "no-livelock", "no-starvation")
VERDICTS = tuple(Property)


def code(cell) -> str:
    return "".join(_MARK[cell.verdicts.get(v, M.UNKNOWN)] for v in VERDICTS)


def markdown(cells, budgets, designs, workloads) -> str:
    by = {c.key(): c for c in cells}
    lines = ["# The verdict matrix", "",
             "Written by `stmcheck matrix`. Each design on each workload, one transaction per thread. "
             "Verdicts, in this order: serializable, strictly serializable, opaque, deadlock-free, "
             "livelock-free, starvation-free; `+` holds, `x` violated, `?` unknown (bounded), `.` n/a. "
             "Counts are deterministic; seconds depend on the machine (2 shared CPUs here).", "",
             "Budgets (counts, never seconds; after the defaults, the designs whose registry entry widens "
             "them for its cells, `Entry.search`):", ""]
    lines += [f"- {k.replace('_', ' ')}: {v}" for k, v in budgets.items()]
    lines.append("")
    for threads in (2, 3):
        if not any(c.threads == threads for c in cells):
            continue
        lines += [f"## {threads} threads", "", "| design | " + " | ".join(workloads) + " |",
                  "|---|" + "---|" * len(workloads)]
        for d in designs:
            row = []
            for w in workloads:
                c = by.get((d, w, threads))
                row.append("" if c is None else f"`{code(c)}`" + ("" if c.status != "error" else " error"))
            lines.append(f"| {d} | " + " | ".join(row) + " |")
        lines.append("")
    lines += ["## Cells", "",
              "| design | workload | threads | " + " | ".join(_SHORT) + " | other | executions | coverage | "
              "graph states | seconds | expected | note |",
              "|---|---|---|" + "---|" * len(_SHORT) + "---|---|---|---|---|---|---|"]
    for c in cells:
        if c.status == M.NA:
            continue
        entry = DESIGNS.get(c.design)
        exp = entry.expected.get(c.workload) if entry else None
        diff = M.differences(c)
        exp_text = ("none" if exp is None else describe_expected(exp)) + ("" if not diff else " (DIFFERS)")
        lines.append(f"| {c.design} | {c.workload} | {c.threads} | "
                     + " | ".join(c.verdicts.get(v, "") for v in VERDICTS)
                     + f" | {', '.join(c.others) or '-'} | {c.executions:,} | {c.coverage} | "
                       f"{'' if c.states is None else f'{c.states:,}'} | {c.seconds:.1f} | {exp_text} | {c.note} |")
    lines += ["", "## Counterexamples", "", "The first schedule found for each violated verdict, as a replay command.", ""]
    for c in cells:
        for name, cmd in sorted(c.witnesses.items()):
            lines.append(f"- {c.design} / {c.workload} / {c.threads} threads, {name}: `{cmd}`")
    lines.append("")
    return "\n".join(lines)
