"""The operation view of an object program's execution, for the human report and JSON.

The view itself (the operation history and its linearizability verdict) is
built in checker/explore/objects.py; this module only renders it.
"""

from __future__ import annotations

import json

from ..explore.objects import ObjectVerdict


def operation_lines(verdict: ObjectVerdict) -> list[str]:
    """The operation view for the human report: each call with its interval, and the verdict."""
    h, r = verdict.history, verdict.result
    out = [f"operation history ({h.spec.name} spec, initial {json.dumps(verdict.doc['initial'])}; "
           f"times are step numbers):"]
    marks = {}
    if r.holds is False:
        marks = {i: "in prefix" for i in (r.prefix or [])}
        if r.unplaceable is not None:
            marks[r.unplaceable] = "CANNOT BE PLACED"
    for op in h.operations:
        client = f"thread {op.client}" if isinstance(op.client, int) else str(op.client)
        span = f"[{op.call}, {op.ret}]" if op.client != "observer" else "(after the end)"
        note = f"   <- {marks[op.index]}" if op.index in marks else ""
        out.append(f"  {op.index:>3}  {client:<9} {h.describe(op):<34} {span}{note}".rstrip())
    if r.holds:
        out.append("  linearizable: " + ", ".join(str(i) for i in r.order or []))
    elif r.holds is False:
        out.append(f"  NOT linearizable: operation {r.unplaceable} cannot be placed after the prefix "
                   f"{', '.join(str(i) for i in r.prefix or []) or '(empty)'}, where the state is "
                   f"{json.dumps(h.spec.state_json(r.state))}")
    else:
        out.append("  linearizability undecided: " + r.explanation)
    return out


def operation_json(verdict: ObjectVerdict) -> dict:
    r = verdict.result
    out = {"holds": r.holds, "explanation": r.explanation}
    if r.holds:
        out["order"] = list(r.order or [])
    elif r.holds is False:
        out["prefix"] = list(r.prefix or [])
        out["unplaceable"] = r.unplaceable
        out["state"] = verdict.history.spec.state_json(r.state)
    return {"operation_history": verdict.doc, "linearizability": out}
