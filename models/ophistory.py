"""The data model of operation histories, shared by every reader (see `opformats`).

`Operation` and `OpHistory` are what the linearizability checker consumes;
`build_history` is the validation every format goes through, so the rules
(known operation, arity, call <= return, one operation at a time per client)
and their error messages are the same whatever the input format. Kept apart
from the readers so that they can all import it without importing each other.
"""

from __future__ import annotations

import os

from .history import HistoryError
from .specs import SPECS, Spec, freeze, get_spec, show


class Operation:
    """One method call: `ret is None` when it never returned (pending)."""

    __slots__ = ("index", "client", "op", "args", "call", "ret", "result")

    def __init__(self, index, client, op, args, call, ret, result):
        self.index = index
        self.client = client
        self.op = op
        self.args = args
        self.call = call
        self.ret = ret
        self.result = result

    @property
    def pending(self) -> bool:
        return self.ret is None

    def __repr__(self) -> str:
        ret = "pending" if self.ret is None else f"{self.ret}"
        return (f"Operation({self.index}, client={self.client!r}, {self.op}{self.args!r}"
                f" -> {self.result!r}, [{self.call}, {ret}])")


class OpHistory:
    """A validated operation history: the spec, its initial value and operations."""

    def __init__(self, spec: Spec, initial, operations: list[Operation], source: str = "ophistory"):
        self.spec = spec
        self.initial = initial
        self.operations = operations
        self.source = source

    @property
    def model(self) -> str:
        return self.spec.name

    def counts(self) -> dict:
        pending = sum(1 for o in self.operations if o.ret is None)
        return {"operations": len(self.operations), "completed": len(self.operations) - pending,
                "pending": pending, "clients": len({o.client for o in self.operations}),
                "model": self.spec.name, "format": self.source}

    def describe(self, op: Operation) -> str:
        return self.spec.describe(op.op, op.args, op.result, op.ret is None)


def build_history(spec: Spec, initial, rows, source: str, where: str | None = None,
                  label: str = "operation") -> OpHistory:
    """Validate raw `(client, op, args, call, ret, result, origin)` rows into an OpHistory.

    `origin` is what an error message names (an operation index or a line number).
    Checks what every format shares: the operation exists in the model with the
    right arity, times are numbers with call <= return, and each client is
    sequential (a client's next call comes no earlier than its last return).
    """
    try:
        spec.validate_initial(initial)
    except ValueError as exc:
        raise HistoryError(f"\"initial\": {exc}", where=where) from None
    ops: list[Operation] = []
    for client, op, args, call, ret, result, origin in rows:
        try:
            args = freeze(args)
            result = freeze(result)
            spec.validate(op, args, result, ret is None)
        except ValueError as exc:
            raise HistoryError(f"{label} {origin}: {exc}", where=where) from None
        if ret is not None and ret < call:
            raise HistoryError(f"{label} {origin}: returns at {ret}, before its call at {call}", where=where)
        ops.append(Operation(len(ops), client, op, args, call, ret, result))
    _check_clients(ops, where, label, [r[6] for r in rows])
    return OpHistory(spec, initial, ops, source)


def _check_clients(ops, where, label, origins) -> None:
    """A client runs one operation at a time; a pending one must be its last."""
    last: dict = {}
    for o in sorted(ops, key=lambda o: (o.call, o.index)):
        prev = last.get(o.client)
        if prev is not None and (prev.ret is None or prev.ret > o.call):
            name, pname = origins[o.index], origins[prev.index]
            how = "never returned" if prev.ret is None else f"returns at {prev.ret}"
            raise HistoryError(f"{label} {name}: client {show(o.client)} calls at {o.call} while its "
                               f"{label} {pname} is still running (it {how})", where=where)
        last[o.client] = o


def read_text(path: str) -> str:
    if os.path.isdir(path):
        raise HistoryError("is a directory, not a history file", where=path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise HistoryError("no such file", where=path) from None
    except OSError as exc:
        raise HistoryError(f"cannot read: {exc.strerror or exc}", where=path) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HistoryError(f"not UTF-8 text (byte {exc.start}): is this a binary file?", where=path) from None


def resolve_spec(model: str | None, where: str, needed_by: str) -> Spec:
    if model is None:
        raise HistoryError(f"{needed_by} does not name its model: give --model NAME "
                           f"(one of {', '.join(sorted(SPECS))})", where=where)
    try:
        return get_spec(model)
    except KeyError as exc:
        raise HistoryError(exc.args[0], where=where) from None
