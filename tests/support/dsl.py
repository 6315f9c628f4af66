"""A compact way to write histories by hand in tests.

    H("1:T1 begin", "1:T1 r x 0", "1:T1 w x 1", "1:T1 commit", initial={"x": 0})

Each step is `THREAD:TXN OP [KEY VALUE]`; OP is begin/b, read/r, write/w,
commit/c or abort/a; VALUE is JSON (`1`, `true`, `null`, `"s"`). Thread and
transaction names that are all digits become integers.
"""

from __future__ import annotations

import json

_OPS = {"b": "begin", "r": "read", "w": "write", "c": "commit", "a": "abort"}


def _ident(text: str):
    return int(text) if text.isdigit() else text


def H(*steps: str, initial: dict | None = None, versions: dict | None = None) -> dict:
    events = []
    for step in steps:
        who, op, *rest = step.split(maxsplit=3)
        thread, txn = who.split(":")
        op = _OPS.get(op, op)
        event = {"thread": _ident(thread), "txn": _ident(txn), "op": op}
        if rest:
            key, value = rest[0], json.loads(rest[1])
            event["key"] = key
            event["value"] = value
        events.append(event)
    doc = {"format": "stmcheck.history/1", "initial": dict(initial or {}), "events": events}
    if versions is not None:
        doc["versions"] = versions
    return doc
