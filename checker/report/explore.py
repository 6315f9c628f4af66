"""Reports of `stmcheck explore` and `stmcheck replay`: human text and JSON.

The human report is plain text and contains nothing that varies between two
runs of the same command (no timings, no addresses), so it can be diffed and
pasted into bug reports; `--json` carries `elapsed` for machines.
"""

from __future__ import annotations

from stmcheck.models.machine import BEGIN, END, HOLDER, LOAD
from stmcheck.models.terms import Kind

from ..explore.config import RunConfig
from ..explore.result import ExploreResult
from ..explore.strategies.replay import encode, preemptions
from ..history.results import render_cycle
from .objects import operation_json, operation_lines

COL = 34


def timeline(run, all_steps: bool = False, mark: dict | None = None, tail=()) -> list[str]:
    """One row per step that matters, one column per thread."""
    n = run.threads
    head = "  step  " + "".join(f"thread {t}".ljust(COL) for t in range(1, n + 1))
    lines = [head.rstrip()]
    by_step: dict = {}
    for e, s in zip(run.events, run.event_steps):
        by_step.setdefault(s, []).append(e)
    mark = mark or {}

    def row(step_no, t, text):
        cells = [""] * n
        cells[t - 1] = text if len(text) < COL else text[:COL - 2] + "…"
        label = f"{step_no:>6}" if step_no is not None else "      "
        lines.append((label + "  " + "".join(c.ljust(COL) for c in cells)).rstrip())

    for s, (t, step, result) in enumerate(zip(run.schedule, run.steps, run.results)):
        if s in mark:
            lines.append(f"  ---- {mark[s]} ----")
        shown = False
        if all_steps or step.op not in (LOAD, HOLDER, BEGIN, END):
            if step.op not in (BEGIN, END) or all_steps:
                row(s, t, step.describe(result))
                shown = True
        for e in by_step.get(s, ()):
            row(None if shown else s, e["thread"], _event_text(e))
            shown = True
            reason = run.abort_reasons.get(e["txn"]) if e["op"] == "abort" else None
            if reason:
                row(None, e["thread"], f"  ({reason})")
    if len(run.steps) in mark:
        lines.append(f"  ---- {mark[len(run.steps)]} ----")
    for t, text in tail:
        row(None, t, text)
    return lines


def _n(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{count} " + (word[:-1] + "ies" if word.endswith("y") else word + "s")


def _event_text(e) -> str:
    op = e["op"]
    if op == "read":
        return f"{e['txn']} read {e['key']} = {e['value']!r}"
    if op == "write":
        return f"{e['txn']} write {e['key']} := {e['value']!r}"
    return f"{e['txn']} {op.upper()}"


def replay_of(v, config: RunConfig) -> str:
    """The violation's replay command: the one the API set, else built from the configuration
    (resized when shrinking found it on fewer threads or transactions)."""
    if v.replay:
        return v.replay
    return (config.resized(**v.config) if v.config else config).replay_command(v.schedule)


def violation_lines(v, config: RunConfig, all_steps: bool = False) -> list[str]:
    out = []
    label = v.kind.upper() + (" (SUSPECTED, not proven)" if v.suspected else "")
    out.append(f"VIOLATION: {label}")
    if v.results:
        verdicts = ", ".join(f"{r.criterion} {'holds' if r.holds else 'VIOLATED' if r.holds is False else 'unknown'}"
                             for r in v.results)
        out.append(f"  criteria: {verdicts}")
        bad = (next((r for r in v.results if r.criterion == v.kind), None)
               or next((r for r in v.results if r.holds is False), None))
        if bad is not None and bad.anomaly:
            out.append(f"  anomaly:  {bad.anomaly}")
        if bad is not None and bad.cycle:
            out.append(f"  cycle:    {render_cycle(bad.cycle)}")
    out.append(f"  {v.explanation}")
    mark = {}
    tail = []
    if v.kind == Kind.DEADLOCK:
        for w in v.detail.get("waits", []):
            by = f"held by {w['held_by']}" if w["held_by"] else "condition"
            tail.append((w["thread"], f"BLOCKED on {w['waits_for']} ({by})"))
    if v.kind in (Kind.LIVELOCK, Kind.STARVATION) and not v.suspected:
        d = v.detail
        if v.kind == Kind.STARVATION:
            out.append(f"  starved: thread {', '.join(map(str, d['starving']))}; committing in the loop: thread "
                       f"{', '.join(map(str, d['committed']))}")
        out.append(f"  lasso: prefix = steps 0..{d['start'] - 1}, loop = steps {d['start']}..{d['end'] - 1} "
                   f"({d['end'] - d['start']} steps by threads {', '.join(map(str, d['threads']))}); "
                   f"fair: {'yes' if d['fair'] else 'no'}")
        mark = {d["start"]: "loop starts here", d["end"]: f"back to the state before step {d['start']}: "
                                                             f"the loop repeats forever"}
    if v.kind == Kind.CRASH and v.detail.get("traceback"):
        out.append("  traceback:")
        out.extend("    " + ln for ln in v.detail["traceback"].splitlines())
    if v.shrunk_from:
        pre, steps = v.shrunk_from
        now = preemptions(v.run)
        out.append(f"  shrunk from {steps} steps with {_n(pre, 'preemption')} to {len(v.run.steps)} steps with "
                   f"{_n(now, 'preemption')}" + _smaller(v))
    out.append("")
    out.append(f"timeline (schedule {encode(v.schedule) or '(non-preemptive)'}; loads appear as the reads they serve):")
    out.extend(timeline(v.run, all_steps, mark, tail))
    if v.detail.get("operations") is not None:  # object workloads: the operation view of the same execution
        out.append("")
        out.extend(operation_lines(v.detail["operations"]))
    out.append("")
    out.append(f"replay: {replay_of(v, config)}")
    return out


def _smaller(v) -> str:
    """Shrinking may re-find the violation with fewer threads or transactions (see shrink.shrink_all)."""
    c = v.config
    return f", on {_n(c['threads'], 'thread')} x {_n(c['txns'], 'transaction')} each" if c else ""


def human(result: ExploreResult) -> str:
    c = result.config
    lines = [f"stmcheck explore {c.design} {' '.join(c.program_flag())} --threads {c.threads} "
             f"--txns {c.txns} --strategy {result.strategy}"]
    exp = result.expected
    if exp is not None and not isinstance(exp, str):   # several kinds (see implementations/registry.py)
        exp = " + ".join(exp)
    lines.append(f"design:    {result.about}" + (f" (expected on {c.program}: {exp})" if exp else ""))
    lines.append(f"workload:  {c.program}: {result.workload_about} ({c.threads} threads, "
                 f"{c.txns} transaction{'s' if c.txns != 1 else ''} each"
                 + (f", {result.keys_used} keys" if result.keys_used is not None else "")
                 + (f", at most {c.retries} retries" if c.retries is not None else "") + ")")
    lines.append(f"strategy:  {result.strategy_desc}; criterion: {result.criterion}; max {c.max_steps} steps "
                 f"per execution")
    lines.append(f"explored:  {_n(result.executions, 'execution')}, {_n(result.histories, 'distinct history')}, "
                 f"{_n(result.steps, 'step')}")
    if result.exhausted:
        lines.append("coverage:  exhausted: every execution, up to reordering of independent steps, was run")
    elif result.violations:
        lines.append("coverage:  stopped at the first violation"
                     + (f" (bounds that applied: {', '.join(result.bounds)})" if result.bounds else ""))
    elif result.bounds:
        lines.append(f"coverage:  BOUNDED, not exhausted: {', '.join(result.bounds)}")
    else:
        lines.append("coverage:  sampled (this strategy never exhausts the space)")
    if result.cut:
        lines.append(f"note:      {_n(result.cut, 'execution')} ended at an unfair loop (a thread retrying while "
                     f"the one it waits for never ran); its continuations are those of the same state earlier")
    if not result.violations:
        checked = (f"linearizability of every operation history against the {result.spec} spec" if c.object
                   else f"the {c.workload} invariant")
        if c.cyclic:
            lines.append("verdict:   no violation found (cyclic programs: deadlock, livelock and starvation; "
                         "histories are not judged)")
        else:
            lines.append(f"verdict:   no violation found ({result.criterion} on every complete history, "
                         f"{checked}, deadlock and livelock)")
        if exp and exp != "clean":
            lines.append(f"note:      the registry expects {exp} for this design on {c.program}")
        return "\n".join(lines) + "\n"
    lines.append("")
    for v in result.violations:
        lines.extend(violation_lines(v, c))
    return "\n".join(lines) + "\n"


def violation_json(v, config: RunConfig) -> dict:
    out = {"kind": v.kind, "suspected": v.suspected, "schedule": encode(v.schedule),
           "replay": replay_of(v, config), "explanation": v.explanation,
           "steps": len(v.run.steps), "preemptions": preemptions(v.run),
           "history": v.run.history_doc()}
    if v.results:
        out["results"] = [r.to_json() for r in v.results]
    if v.kind == Kind.DEADLOCK:
        out["wait_for"] = v.detail
    if v.kind in (Kind.LIVELOCK, Kind.STARVATION) and not v.suspected:
        out["lasso"] = {k: v.detail[k] for k in ("start", "end", "fair", "threads", "committed", "starving")
                        if k in v.detail}
    if v.kind == Kind.CRASH:
        out["traceback"] = v.detail.get("traceback", "")
    if v.detail.get("operations") is not None:
        out.update(operation_json(v.detail["operations"]))
    return out


def as_json(result: ExploreResult) -> dict:
    c = result.config
    return {
        "implementation": c.design, "workload": c.program, **({"object": c.object} if c.object else {}),
        "threads": c.threads, "txns": c.txns, "keys": result.keys_used, "strategy": result.strategy,
        "criterion": result.criterion, "executions": result.executions,
        "distinct_histories": result.histories, "steps": result.steps,
        "exhausted": result.exhausted, "bounds": result.bounds, "cut_at_unfair_loops": result.cut,
        "elapsed": round(result.elapsed, 3),
        "violations": [violation_json(v, c) for v in result.violations],
        "native_loop": result.native_loop,
    }
