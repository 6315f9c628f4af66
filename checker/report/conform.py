"""The report of `stmcheck conform`: a divergence between a native design and its model."""

from __future__ import annotations

from ..explore.strategies.replay import encode


def _event_text(e) -> str:
    if e is None:
        return "(none: the history ended)"
    text = f"{e['txn']} {e['op']}"
    if e["op"] in ("read", "write"):
        text += f" key {e['key']} = {e['value']!r}"   # native keys are numbers: say which is the key
    return text


def replay_commands(d, ctx: dict) -> list[str]:
    """The commands that replay the divergent schedule on either side."""
    opts = f"--workload {ctx['workload']} --threads {ctx['threads']} --txns {ctx['txns']}"
    return [f"stmcheck replay {ctx[side]} {opts} --schedule {encode(d['schedule'])}" for side in ("model", "native")]


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
    lines += ["  replay either side with:"] + [f"    {cmd}" for cmd in replay_commands(d, ctx)]
    return "\n".join(lines)


def _side(run) -> dict:
    out = {"outcome": run.outcome, "final": run.final, "steps": len(run.steps), "events": list(run.events)}
    if run.outcome == "crash":
        out["crash"] = run.detail.get("error")
    return out


def divergence_json(d, ctx: dict) -> dict:
    """The divergence for `--json`: where, why, both sides' histories, and the replay commands."""
    return {"execution": d["execution"], "seed": d["seed"], "why": d["why"], "schedule": encode(d["schedule"]),
            "index": d["index"], "model": _side(d["model"]), "native": _side(d["native"]),
            "replay": replay_commands(d, ctx)}
