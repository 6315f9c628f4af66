"""Reports of `stmcheck explore` and `stmcheck replay`: human text and JSON.

The human report is plain text and contains nothing that varies between two
runs of the same command (no timings, no addresses), so it can be diffed and
pasted into bug reports; `--json` carries `elapsed` for machines.
"""

from __future__ import annotations

import shlex

from stmcheck.models.machine import BEGIN, END, HOLDER, LOAD

from ..explore.objects import operation_json, operation_lines
from ..history.results import render_cycle
from ..explore.strategies.replay import encode, preemptions

COL = 34


def replay_command(ctx: dict, schedule: list) -> str:
    parts = ["stmcheck", "replay", shlex.quote(ctx["impl"]), *_program_flag(ctx),
             "--threads", str(ctx["threads"]), "--txns", str(ctx["txns"])]
    if ctx.get("keys") is not None:
        parts += ["--keys", str(ctx["keys"])]
    if ctx.get("retries") is not None:
        parts += ["--retries", str(ctx["retries"])]
    if ctx.get("max_steps_flag"):
        parts += ["--max-steps", str(ctx["max_steps"])]
    if ctx.get("cyclic"):
        parts.append("--cyclic")
    parts += ["--schedule", shlex.quote(encode(schedule) or "1")]
    return " ".join(parts)


def _program_flag(ctx: dict) -> list:
    """`--object KIND` for object workloads, else `--workload NAME`."""
    return ["--object", ctx["object"]] if ctx.get("object") else ["--workload", ctx["workload"]]


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


def violation_lines(v, ctx: dict, all_steps: bool = False) -> list[str]:
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
    if v.kind == "deadlock":
        for w in v.detail.get("waits", []):
            by = f"held by {w['held_by']}" if w["held_by"] else "condition"
            tail.append((w["thread"], f"BLOCKED on {w['waits_for']} ({by})"))
    if v.kind in ("livelock", "starvation") and not v.suspected:
        d = v.detail
        if v.kind == "starvation":
            out.append(f"  starved: thread {', '.join(map(str, d['starving']))}; committing in the loop: thread "
                       f"{', '.join(map(str, d['committed']))}")
        out.append(f"  lasso: prefix = steps 0..{d['start'] - 1}, loop = steps {d['start']}..{d['end'] - 1} "
                   f"({d['end'] - d['start']} steps by threads {', '.join(map(str, d['threads']))}); "
                   f"fair: {'yes' if d['fair'] else 'no'}")
        mark = {d["start"]: "loop starts here", d["end"]: f"back to the state before step {d['start']}: "
                                                             f"the loop repeats forever"}
    if v.kind == "crash" and v.detail.get("traceback"):
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
    out.append(f"replay: {replay_command({**ctx, **getattr(v, 'config', {})}, v.schedule)}")
    return out


def _smaller(v) -> str:
    """Shrinking may re-find the violation with fewer threads or transactions (see shrink.shrink_all)."""
    c = getattr(v, "config", None)
    return f", on {_n(c['threads'], 'thread')} x {_n(c['txns'], 'transaction')} each" if c else ""


def human(outcome, ctx: dict) -> str:
    lines = [f"stmcheck explore {ctx['impl']} {' '.join(_program_flag(ctx))} --threads {ctx['threads']} "
             f"--txns {ctx['txns']} --strategy {ctx['strategy']}"]
    exp = ctx.get("expected")
    if exp is not None and not isinstance(exp, str):   # several kinds (see implementations/registry.py)
        exp = " + ".join(exp)
    lines.append(f"design:    {ctx['about']}" + (f" (expected on {ctx['workload']}: {exp})" if exp else ""))
    lines.append(f"workload:  {ctx['workload']}: {ctx['workload_about']} ({ctx['threads']} threads, "
                 f"{ctx['txns']} transaction{'s' if ctx['txns'] != 1 else ''} each"
                 + (f", {ctx['keys_used']} keys" if ctx.get("keys_used") is not None else "")
                 + (f", at most {ctx['retries']} retries" if ctx.get("retries") is not None else "") + ")")
    lines.append(f"strategy:  {ctx['strategy_desc']}; criterion: {ctx['criterion']}; max {ctx['max_steps']} steps "
                 f"per execution")
    lines.append(f"explored:  {_n(outcome.executions, 'execution')}, {_n(outcome.histories, 'distinct history')}, "
                 f"{_n(outcome.steps, 'step')}")
    if outcome.exhausted:
        lines.append("coverage:  exhausted: every execution, up to reordering of independent steps, was run")
    elif outcome.violations:
        lines.append("coverage:  stopped at the first violation"
                     + (f" (bounds that applied: {', '.join(outcome.bounds)})" if outcome.bounds else ""))
    elif outcome.bounds:
        lines.append(f"coverage:  BOUNDED, not exhausted: {', '.join(outcome.bounds)}")
    else:
        lines.append("coverage:  sampled (this strategy never exhausts the space)")
    if outcome.cut:
        lines.append(f"note:      {_n(outcome.cut, 'execution')} ended at an unfair loop (a thread retrying while "
                     f"the one it waits for never ran); its continuations are those of the same state earlier")
    if not outcome.violations:
        checked = (f"linearizability of every operation history against the {ctx['spec']} spec" if ctx.get("object")
                   else f"the {ctx['workload']} invariant")
        if ctx.get("cyclic"):
            lines.append("verdict:   no violation found (cyclic programs: deadlock, livelock and starvation; "
                         "histories are not judged)")
        else:
            lines.append(f"verdict:   no violation found ({ctx['criterion']} on every complete history, "
                         f"{checked}, deadlock and livelock)")
        if exp and exp != "clean":
            lines.append(f"note:      the registry expects {exp} for this design on {ctx['workload']}")
        return "\n".join(lines) + "\n"
    lines.append("")
    for v in outcome.violations:
        lines.extend(violation_lines(v, ctx))
    return "\n".join(lines) + "\n"


def violation_json(v, ctx: dict) -> dict:
    out = {"kind": v.kind, "suspected": v.suspected, "schedule": encode(v.schedule),
           "replay": replay_command({**ctx, **getattr(v, "config", {})}, v.schedule), "explanation": v.explanation,
           "steps": len(v.run.steps), "preemptions": preemptions(v.run),
           "history": v.run.history_doc()}
    if v.results:
        out["results"] = [r.to_json() for r in v.results]
    if v.kind == "deadlock":
        out["wait_for"] = v.detail
    if v.kind in ("livelock", "starvation") and not v.suspected:
        out["lasso"] = {k: v.detail[k] for k in ("start", "end", "fair", "threads", "committed", "starving")
                        if k in v.detail}
    if v.kind == "crash":
        out["traceback"] = v.detail.get("traceback", "")
    if v.detail.get("operations") is not None:
        out.update(operation_json(v.detail["operations"]))
    return out


def as_json(outcome, ctx: dict) -> dict:
    return {
        "implementation": ctx["impl"], "workload": ctx["workload"], **({"object": ctx["object"]} if ctx.get("object")
                                                                      else {}), "threads": ctx["threads"],
        "txns": ctx["txns"], "keys": ctx.get("keys_used"), "strategy": ctx["strategy"],
        "criterion": ctx["criterion"], "executions": outcome.executions,
        "distinct_histories": outcome.histories, "steps": outcome.steps,
        "exhausted": outcome.exhausted, "bounds": outcome.bounds, "cut_at_unfair_loops": outcome.cut,
        "elapsed": round(outcome.elapsed, 3),
        "violations": [violation_json(v, ctx) for v in outcome.violations],
    }
