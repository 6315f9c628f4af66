"""Reports of `stmcheck explore` and `stmcheck replay`: human text and JSON.

The human report is plain text and contains nothing that varies between two
runs of the same command (no timings, no addresses), so it can be diffed and
pasted into bug reports; `--json` carries `elapsed` for machines (not with
`--no-timings`) and the timeline as rows. No cell of the timeline is ever cut:
a value a reader needs may be the one that explains the run.
"""

from __future__ import annotations

import textwrap

from stmcheck.models.machine import BEGIN, END, HOLDER, LOAD, picked
from stmcheck.models.terms import Kind

from ..explore.config import RunConfig
from ..explore.estimate import Size
from ..explore.result import ExploreResult
from ..explore.strategies.graph import GraphSearch
from ..explore.strategies.replay import encode, preemptions
from ..history.results import render_cycle
from . import timings as timings_on
from .objects import operation_json, operation_lines

COL = 34
"""Width of a thread's column. A longer cell wraps within it (`--wide`: the column widens instead),
so that no value a reader needs is ever cut."""


def timeline_rows(run, all_steps: bool = False, mark: dict | None = None, tail=(), events: bool = False) -> list[dict]:
    """The timeline as rows `{"step", "thread", "text"}`: one per step that matters, one per event.

    Loads and the BEGIN/END marks are left out unless `all_steps` (a load appears as the
    read it serves). `mark` puts a line before a step (`thread` None); `tail` adds rows
    after the last step (`step` None), such as what each blocked thread waits for. The
    human timeline and `--json` are both built from these rows; with `events`, an event's row
    also says which event it is (`"event"`: its index in the history; the HTML page's).
    """
    rows: list[dict] = []
    by_step: dict = {}
    for i, (e, s) in enumerate(zip(run.events, run.event_steps)):
        by_step.setdefault(s, []).append((i, e))
    mark = mark or {}
    output = getattr(run, "output_cell", None)   # a program with steps outside transactions
    attempting: set = set()                       # the threads inside an attempt (between its events)
    for s, (t, step, result) in enumerate(zip(run.schedule, run.steps, run.results)):
        t = picked(t, run.threads)[0]      # (a choice's pick names its thread and alternative: machine.choose)
        if s in mark:
            rows.append({"step": s, "thread": None, "text": mark[s]})
        if output is not None and t not in attempting and step.op != BEGIN:
            rows.append({"step": s, "thread": t, "text": _outside_text(step, result, output)})
        elif all_steps or step.op not in (LOAD, HOLDER, BEGIN, END):
            rows.append({"step": s, "thread": t, "text": step.describe(result)})
        for i, e in by_step.get(s, ()):
            if e["op"] == "begin":
                attempting.add(e["thread"])
            elif e["op"] in ("commit", "abort"):
                attempting.discard(e["thread"])
            rows.append({"step": s, "thread": e["thread"], "text": _event_text(e), **({"event": i} if events else {})})
            reason = run.abort_reasons.get(e["txn"]) if e["op"] == "abort" else None
            if reason:
                rows.append({"step": s, "thread": e["thread"], "text": f"  ({reason})"})
    if len(run.steps) in mark:
        rows.append({"step": len(run.steps), "thread": None, "text": mark[len(run.steps)]})
    for t, text in tail:
        rows.append({"step": None, "thread": t, "text": text})
    return rows


def _outside_text(step, result, output) -> str:
    """A step outside transactions, as the program wrote it: a print, a plain load or store."""
    if step.obj is output:
        return f"print {step.a[0][1]!r}"
    if step.op == LOAD:
        return f"outside: {step.obj.name} = {result!r}"
    return "outside: " + step.describe(result)


def render_timeline(rows: list[dict], threads: int, wide: bool = False) -> list[str]:
    """One column per thread; a step's number on the first row of that step.

    A cell longer than its column wraps within it, continuation lines indented;
    with `wide` each column is as wide as its longest cell instead."""
    widths = [COL] * (threads + 1)
    if wide:
        for r in rows:
            if r["thread"] is not None:
                widths[r["thread"]] = max(widths[r["thread"]], len(r["text"]) + 2)
    lines = [("  step  " + "".join(f"thread {t}".ljust(widths[t]) for t in range(1, threads + 1))).rstrip()]
    last = None
    for r in rows:
        t = r["thread"]
        if t is None:
            lines.append(f"  ---- {r['text']} ----")
            continue
        label = f"{r['step']:>6}" if r["step"] is not None and r["step"] != last else "      "
        if r["step"] is not None:
            last = r["step"]
        text = r["text"]
        indent = " " * (len(text) - len(text.lstrip(" ")) + 2)
        parts = [text] if wide or len(text) < widths[t] else \
            textwrap.wrap(text, width=widths[t] - 1, subsequent_indent=indent, break_on_hyphens=False)
        pad = "".join(" " * widths[u] for u in range(1, t))
        for i, part in enumerate(parts):
            lines.append(((label if i == 0 else "      ") + "  " + pad + part).rstrip())
    return lines


def timeline(run, all_steps: bool = False, mark: dict | None = None, tail=(), wide: bool = False) -> list[str]:
    """One row per step that matters, one column per thread."""
    return render_timeline(timeline_rows(run, all_steps, mark, tail), run.threads, wide)


def _stored(result) -> str:
    """How much the state graph's store holds per state (deterministic: counted, not sampled)."""
    if not result.store_bytes or not result.states:
        return ""
    return f" ({round(result.store_bytes / result.states):,} bytes each stored)"


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
    return v.replay_command(config.resized(**v.config) if v.config else config)


def violation_marks(v) -> tuple[dict, list]:
    """What a violation adds to its timeline: lines before steps (a lasso's loop) and rows
    after the last step (what each blocked thread of a deadlock waits for)."""
    mark: dict = {}
    tail: list = []
    if v.kind == Kind.DEADLOCK:
        waits: dict = {}
        for w in v.detail.get("waits", []):
            waits.setdefault(w["thread"], []).append(w)
        for t, ws in waits.items():
            tail.append((t, "BLOCKED on " + " or ".join(
                f"{w['waits_for']} (held by {w['held_by']})" if w["held_by"]
                else f"a condition on {w['waits_for']}" for w in ws)))
    if v.kind in (Kind.LIVELOCK, Kind.STARVATION) and not v.suspected:
        d = v.detail
        mark = {d["start"]: "loop starts here", d["end"]: f"back to the state before step {d['start']}: "
                                                             f"the loop repeats forever"}
    return mark, tail


def hidden_loads(run) -> list[str]:
    """The cells whose loads the timeline hides although they serve no read: a design's
    control cells (lock words, status words, clocks), in order of first load."""
    reads = {s for e, s in zip(run.events, run.event_steps) if e["op"] == "read"}
    names: list[str] = []
    for s, step in enumerate(run.steps):
        if step.op in (LOAD, HOLDER) and s not in reads and step.obj.name not in names:
            names.append(step.obj.name)
    return names


def violation_lines(v, config: RunConfig, all_steps: bool = False, wide: bool = False) -> list[str]:
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
    mark, tail = violation_marks(v)
    if v.kind in (Kind.LIVELOCK, Kind.STARVATION) and not v.suspected:
        d = v.detail
        if v.kind == Kind.STARVATION:
            out.append(f"  starved: thread {', '.join(map(str, d['starving']))}; committing in the loop: thread "
                       f"{', '.join(map(str, d['committed']))}")
            out.append(f"  lasso: prefix = steps 0..{d['start'] - 1}, loop = steps {d['start']}..{d['end'] - 1} "
                       f"({d['end'] - d['start']} steps by threads {', '.join(map(str, d['threads']))}); "
                       f"fair: {'yes' if d['fair'] else 'no'}")   # a livelock's explanation says all this
    if v.kind == Kind.GIL:
        for label, o in (("this run", v.detail["outcome"]), ("closest GIL run", v.detail["closest_gil_outcome"])):
            printed = ", ".join(f"thread {t}: {x!r}" for t, x in o["output"]) or "nothing"
            memory = ", ".join(f"{k} = {x!r}" for k, x in o["memory"].items())
            out.append(f"  {label + ':':17}printed {printed}; memory {memory}")
    if v.kind == Kind.CRASH and v.detail.get("traceback"):
        out.append("  traceback:")
        out.extend("    " + ln for ln in v.detail["traceback"].splitlines())
    if v.shrunk_from:
        pre, steps = v.shrunk_from
        now = preemptions(v.run)
        out.append(f"  shrunk from {steps} steps with {_n(pre, 'preemption')} to {len(v.run.steps)} steps with "
                   f"{_n(now, 'preemption')}" + _smaller(v))
    out.append("")
    out.append(f"timeline (schedule {v.schedule_text() or '(non-preemptive)'}; loads appear as the reads they serve):")
    out.extend(timeline(v.run, all_steps, mark, tail, wide))
    hidden = hidden_loads(v.run) if v.kind == Kind.DEADLOCK and not all_steps else []
    if hidden:
        out.append(f"note: the timeline hides the loads of {', '.join(hidden)}, which serve no read but may "
                   f"explain why the threads block; run the replay command below with --all-steps to see "
                   f"every step")
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


def _expectation(expected, cyclic: bool, criterion) -> tuple:
    """(text, kinds this run can show) of the registry's expectation (a kind, "clean" or several
    kinds, see implementations/registry.py): starvation needs cyclic programs and a GIL outcome
    the GIL criterion, so a run without them is told them apart ("clean; starvation with
    --cyclic; gil with --criterion gil")."""
    if expected is None:
        return None, []
    kinds = [str(k) for k in ((expected,) if isinstance(expected, str) else expected) if str(k) != "clean"]
    apart = {"starvation": not cyclic and "starvation with --cyclic",
             "gil": criterion != "gil" and "gil with --criterion gil"}
    shown = [k for k in kinds if not apart.get(k)]
    text = " + ".join(shown) or "clean"
    return "; ".join([text] + [apart[k] for k in kinds if apart.get(k)]), shown


def _horizon_lines(found: dict | None) -> list:
    """What the horizon graph (explore/horizon.py) decided where the graph of cyclic programs did
    not end on a design with relative stamps."""
    if found is None:
        return []
    if found["starvation"] == "holds":
        return [f"proven:    starvation-free, on the horizon graph ({found['states']:,} states: relative stamps' "
                f"differences capped at {found['horizon']}; it holds every run, so no run starves a thread; "
                f"deadlock and livelock are as above)"]
    return [f"horizon:   starvation not decided on the horizon graph ({found['states']:,} states, differences "
            f"capped at {found['horizon']}): {found['why']}"]


def human(result: ExploreResult, wide: bool = False) -> str:
    c = result.config
    lines = [f"stmcheck explore {c.design} {' '.join(c.program_flag())} --threads {c.threads} "
             f"--txns {c.txns} --strategy {result.strategy}"]
    exp, shown = _expectation(result.expected, c.cyclic, result.criterion)
    lines.append(f"design:    {result.about}" + (f" (expected on {c.program}: {exp})" if exp else ""))
    lines.append(f"workload:  {c.program}: {result.workload_about} ({c.threads} threads, "
                 f"{c.txns} transaction{'s' if c.txns != 1 else ''} each"
                 + (f", {result.keys_used} keys" if result.keys_used is not None else "")
                 + (f", at most {_n(c.retries, 'retry')}" if c.retries is not None else "") + ")")
    judged = "cyclic programs, no history judged" if c.cyclic else f"criterion: {result.criterion}"
    lines.append(f"strategy:  {result.strategy_desc}; {judged}; max {c.max_steps} steps per execution")
    if result.states is not None:   # the state graph: its runs replay paths, the states are what counts
        lines.append(f"explored:  {result.states:,} states{_stored(result)}, {result.transitions:,} transitions; "
                     f"{_n(result.executions, 'run')}, {_n(result.histories, 'distinct history')}, "
                     f"{_n(result.steps, 'step')}")
    else:
        lines.append(f"explored:  {_n(result.executions, 'execution')}, {_n(result.histories, 'distinct history')}, "
                     f"{_n(result.steps, 'step')}")
    if result.exhausted and result.states is not None:
        lines.append(f"coverage:  exhausted: {result.states:,} states, {result.transitions:,} transitions")
    elif result.exhausted:
        lines.append("coverage:  exhausted: every execution, up to reordering of independent steps, was run")
    elif result.violations:
        lines.append("coverage:  stopped at the first violation"
                     + (f" (bounds that applied: {', '.join(result.bounds)})" if result.bounds else ""))
    elif result.bounds:
        lines.append(f"coverage:  BOUNDED, not exhausted: {', '.join(result.bounds)}")
    else:
        lines.append("coverage:  sampled (this strategy never exhausts the space)")
    if result.places_exhausted and not result.exhausted:
        lines.append("decided:   " + _places_decided(result))
    if result.saved is not None:
        lines.append("saved:     " + _saved(result.saved))
    if result.cut:
        lines.append(f"note:      {_n(result.cut, 'execution')} ended at an unfair loop (a thread retrying while "
                     f"the one it waits for never ran); its continuations are those of the same state earlier")
    if not result.violations:
        checked = (f"linearizability of every operation history against the {result.spec} spec" if c.object
                   else f"the {c.workload} invariant")
        if c.cyclic:
            lines.append("verdict:   no violation found (cyclic programs: deadlock, livelock and starvation; "
                         "histories are not judged)")
            lines += _horizon_lines(result.horizon)
        elif result.criterion == Kind.GIL:
            lines.append("verdict:   no violation found (every complete run's output and final memory are a GIL "
                         "run's, deadlock and livelock)")
        else:
            lines.append(f"verdict:   no violation found ({result.criterion} on every complete history, "
                         f"{checked}, deadlock and livelock)")
        if shown:
            lines.append(f"note:      the registry expects {exp} for this design on {c.program}")
        return "\n".join(lines + output_lines(result.design_output, "every execution run")) + "\n"
    lines.append("")
    for v in result.violations:
        lines.extend(violation_lines(v, c, wide=wide))
    return "\n".join(lines + output_lines(result.design_output, "every execution run")) + "\n"


def progress_lines(result) -> list[str]:
    """`explore --progress`: the two progress verdicts, each violation with its witness."""
    c, p = result.config, result.progress
    lines = [f"stmcheck explore {c.design} {' '.join(c.program_flag())} --threads {c.threads} --txns {c.txns} "
             f"--progress",
             f"design:    {result.about}",
             f"workload:  {c.workload}: {result.workload_about} ({c.threads} threads, each program repeated "
             f"for ever)",
             f"graph:     {p.states:,} states of cyclic programs, "
             + ("exhausted" if p.complete else f"BOUNDED, not exhausted ({', '.join(p.bounds)})")]
    for name, verdict, key in (("obstruction-free", p.obstruction_free, "obstruction-free"),
                               ("survives a stopped thread", p.survives_stopped_thread, "survives-stopped-thread")):
        w = p.witnesses.get(key)
        shown = verdict.upper() if verdict == "violated" else verdict
        lines.append(f"{name + ':':27}{shown}" + (f": {w['why']}" if w else ""))
        if w:
            lines.append(f"  state:  after steps 0..{len(w['prefix']) - 1}; then {_n(len(w['steps']), 'step')} "
                         f"of thread(s) {', '.join(map(str, sorted(set(w['steps'])))) or '-'}")
            lines.extend(f"  then:   {text}" for text in w["waits"])
            lines.append(f"  replay: {result.replays[key]}")
    if p.note:
        lines.append(f"note:      {p.note}")
    elif "unknown" in (p.obstruction_free, p.survives_stopped_thread):
        lines.append("note:      a verdict left unknown needs the whole graph: raise --max-states")
    return lines


def progress_json(result) -> dict:
    """`explore --progress --json`."""
    c, p = result.config, result.progress
    return {"implementation": c.design, "workload": c.workload, "threads": c.threads, "txns": c.txns,
            "states": p.states, "exhausted": p.complete, "bounds": p.bounds, "note": p.note,
            "obstruction_free": p.obstruction_free, "survives_stopped_thread": p.survives_stopped_thread,
            "witnesses": {k: {"thread": w["thread"], "why": w["why"], "waits": w["waits"],
                              "prefix": encode(w["prefix"]), "steps": encode(w["steps"]),
                              "replay": result.replays[k]}
                          for k, w in p.witnesses.items()}}


def estimate_lines(size: Size) -> list[str]:
    """`explore --estimate`: the graph's size (or a lower bound) and, unless timings are off, the
    search's time here (the only line that varies between two runs of the same command)."""
    c = size.config
    judged = "--cyclic" if c.cyclic else f"--criterion {size.criterion}"    # cyclic runs judge no history
    lines = [f"stmcheck explore {c.design} {' '.join(c.program_flag())} --threads {c.threads} --txns {c.txns} "
             f"--strategy graph {judged} --estimate"]
    if size.exact:
        lines.append(f"estimate:  {size.states:,} states, {size.transitions:,} transitions: the whole state graph, "
                     f"counted (it ended within the budget of {size.budget:,} states)")
    else:
        why = "; ".join(f"its budget of {size.budget:,} states, --estimate-states" if b.startswith("max-states")
                        else b for b in size.stopped_by)
        lines.append(f"estimate:  more than {size.states:,} states and {size.transitions:,} transitions: the count "
                     f"stopped before the graph ended ({why})")
    if timings_on():
        lines.append(f"time:      {size.seconds:.1f} s here ({size.rate:,.0f} states/s): "
                     + ("what the search takes" if size.exact else "the search takes longer")
                     + ", unless a counterexample stops it first")
    return lines


def estimate_json(size: Size) -> dict:
    """`explore --estimate --json`; `elapsed` and `states_per_second` only with timings."""
    c = size.config
    doc = {"implementation": c.design, "workload": c.program, **({"object": c.object} if c.object else {}),
           "threads": c.threads, "txns": c.txns, "criterion": size.criterion, "states": size.states,
           "transitions": size.transitions, "exact": size.exact, "budget": size.budget,
           "stopped_by": list(size.stopped_by), "runs": size.runs}
    if c.cyclic:
        doc["cyclic"] = True        # the graph of cyclic programs: no history judged (criterion unused)
    if timings_on():
        doc["elapsed"] = round(size.seconds, 3)
        doc["states_per_second"] = round(size.rate)
    return doc


def output_lines(text: str, source: str) -> list:
    """What the design printed while it ran, captured (never interleaved with the report)."""
    text = text.rstrip("\n")
    if not text:
        return []
    rows = text.splitlines()
    return ["", f"the design printed ({_n(len(rows), 'line')}, from {source}):"] + ["  | " + row for row in rows]


def violation_json(v, config: RunConfig, all_steps: bool = False) -> dict:
    mark, tail = violation_marks(v)
    out = {"kind": v.kind, "suspected": v.suspected, "schedule": v.schedule_text(),
           "replay": replay_of(v, config), "explanation": v.explanation,
           "steps": len(v.run.steps), "preemptions": preemptions(v.run),
           "history": v.run.history_doc(), "timeline": timeline_rows(v.run, all_steps, mark, tail)}
    if v.results:
        out["results"] = [r.to_json() for r in v.results]
    if v.kind == Kind.DEADLOCK:
        out["wait_for"] = v.detail
    if v.kind in (Kind.LIVELOCK, Kind.STARVATION) and not v.suspected:
        out["lasso"] = {k: v.detail[k] for k in ("start", "end", "fair", "threads", "committed", "starving")
                        if k in v.detail}
    if v.kind == Kind.CRASH:
        out["traceback"] = v.detail.get("traceback", "")
    if v.kind == Kind.GIL:
        out["gil"] = dict(v.detail)
    if v.detail.get("operations") is not None:
        out.update(operation_json(v.detail["operations"]))
    return out


def _places_decided(result: ExploreResult) -> str:
    """The verdicts a graph search whose places were all met decides though its views were bounded."""
    found = {v.kind for v in result.violations}
    each = ", ".join(f"{k.value} {'found' if k in found else 'none'}" for k in GraphSearch.DECIDED_BY_PLACES)
    return (f"every place was met ({result.places_exhausted:,} places): {each} (proven); the criterion and "
            "the invariant, which read the history views folded over the places, stay unknown")


def _saved(saved: dict) -> str:
    """The `saved:` line: where the search was saved, whether it went on from there, and whether
    the file holds it now (a ^C before the first save leaves what was there)."""
    went_on = "went on from the search saved there; " if saved["went_on"] else ""
    if saved["saves"]:
        return f"{saved['file']} ({went_on}the same command again goes on from it)"
    if saved["went_on"]:
        return f"{saved['file']} ({went_on}not saved again: the same command goes on from where it was)"
    return f"{saved['file']} (nothing saved: stopped before its first save)"


def as_json(result: ExploreResult, timings: bool | None = None) -> dict:
    """The `--json` object; `elapsed` only with timings (see `report.timings`)."""
    c = result.config
    doc = {
        "implementation": c.design, "workload": c.program, **({"object": c.object} if c.object else {}),
        "threads": c.threads, "txns": c.txns, "keys": result.keys_used, "strategy": result.strategy,
        "criterion": result.criterion, "executions": result.executions,
        "distinct_histories": result.histories, "steps": result.steps,
        "exhausted": result.exhausted, "bounds": result.bounds, "cut_at_unfair_loops": result.cut,
        "states": result.states, "transitions": result.transitions, "store_bytes": result.store_bytes,
        "places_exhausted": result.places_exhausted,
        "elapsed": round(result.elapsed, 3),
        "violations": [violation_json(v, c) for v in result.violations],
        "native_loop": result.native_loop,
    }
    if result.horizon is not None:
        doc["horizon"] = result.horizon
    if result.saved is not None:
        doc["saved"] = result.saved
    if result.design_output:
        doc["design_output"] = result.design_output
    timed = timings_on() if timings is None else timings
    if result.cluster:
        doc["cluster"] = {k: v for k, v in result.cluster.items() if timed or not k.endswith("_seconds")}
    if not timed:
        del doc["elapsed"]
    return doc
