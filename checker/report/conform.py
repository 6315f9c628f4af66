"""The report of `stmcheck conform`: a divergence between a native design and its model."""

from __future__ import annotations

from ..explore.strategies.replay import encode


def _event_text(e) -> str:
    if e is None:
        return "(none: the history ended)"
    text = f"{e['txn']} {e['op']}"
    if e["op"] in ("read", "write"):
        text += f" {e['key']} = {e['value']!r}"
    return text


def divergence_text(d, ctx: dict) -> str:
    model, native, i = d["model"], d["native"], d["index"]
    lines = [f"DIVERGENCE in execution {d['execution']} (random seed {d['seed']}): {d['why']}",
             f"  schedule: {encode(d['schedule'])}"]
    if i is not None:
        me = model.events[i] if i < len(model.events) else None
        ne = native.events[i] if i < len(native.events) else None
        lines += [f"  first differing event: #{i}",
                  f"    model  ({ctx['model']}): {_event_text(me)}",
                  f"    native ({ctx['native']}): {_event_text(ne)}"]
    for name, run in (("model", model), ("native", native)):
        lines.append(f"  {name} history ({ctx[name]}; outcome {run.outcome}, final {run.final}):")
        for k, e in enumerate(run.events):
            mark = "  <-- first difference" if k == i else ""
            lines.append(f"    {k:3}  T{e['thread']}  {_event_text(e)}{mark}")
        if run.outcome == "crash":
            lines.append(f"    crash: {run.detail.get('error')}")
    opts = f"--workload {ctx['workload']} --threads {ctx['threads']} --txns {ctx['txns']}"
    lines += ["  replay either side with:",
              f"    stmcheck replay {ctx['model']} {opts} --schedule {encode(d['schedule'])}",
              f"    stmcheck replay {ctx['native']} {opts} --schedule {encode(d['schedule'])}"]
    return "\n".join(lines)
