"""The data model of operation histories, shared by every reader (see `opformats`).

`Operation` and `OpHistory` are what the linearizability checker consumes;
`build_history` is the validation every format goes through, so the rules
(known operation, arity, call <= return, values nested at most MAX_NESTING
deep) and their error messages are the same whatever the input format. A
client is a label (the contract, section 4): it may call again while an
earlier operation of its own is pending, and its operations may overlap;
each operation is judged by its own interval. Kept apart from the readers so
that they can all import it without importing each other.
"""

from __future__ import annotations

from .formats import decode_text, open_input, read_document_bytes
from .history import HistoryError
from .specs import SPECS, Spec, freeze, get_spec

MAX_NESTING = 100
"""The deepest an operation's arguments, result or the initial state may nest
(lists and maps within one another): values are frozen, compared and printed
by recursion, which must not run out of stack on a hostile file."""


def nesting(value, limit: int = MAX_NESTING) -> int:
    """How deep `value` nests (a scalar 0, [1] 1, [[1]] 2), counting no further than limit + 1."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        v, depth = todo.pop()
        if isinstance(v, dict):
            v = v.values()
        elif not isinstance(v, (list, tuple, frozenset)):
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if depth > limit:
                return depth
        todo.extend((x, depth) for x in v)
    return deepest


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
    right arity, times are numbers with call <= return, values are not nested
    too deeply. Clients are labels: one may have several operations running.
    """
    if nesting(initial) > MAX_NESTING:
        raise HistoryError(f"\"initial\" is nested more than {MAX_NESTING} deep", where=where)
    try:
        spec.validate_initial(initial)
    except ValueError as exc:
        raise HistoryError(f"\"initial\": {exc}", where=where) from None
    ops: list[Operation] = []
    for client, op, args, call, ret, result, origin in rows:
        if nesting(args) > MAX_NESTING or nesting(result) > MAX_NESTING:
            what = "arguments are" if nesting(args) > MAX_NESTING else "result is"
            raise HistoryError(f"{label} {origin}: its {what} nested more than {MAX_NESTING} deep", where=where)
        try:
            args = freeze(args)
            result = freeze(result)
            spec.validate(op, args, result, ret is None)
        except ValueError as exc:
            raise HistoryError(f"{label} {origin}: {exc}", where=where) from None
        if ret is not None and ret < call:
            raise HistoryError(f"{label} {origin}: returns at {ret}, before its call at {call}", where=where)
        ops.append(Operation(len(ops), client, op, args, call, ret, result))
    return OpHistory(spec, initial, ops, source)


def read_text(path: str, timeout: float | None = None) -> str:
    """The whole file as text, read as transaction histories are (special files, size limit: see
    `formats.open_input` and `formats.MAX_DOCUMENT_BYTES`)."""
    with open_input(path, timeout) as handle:
        return decode_text(read_document_bytes(handle, path), path)


def resolve_spec(model: str | None, where: str, needed_by: str) -> Spec:
    if model is None:
        raise HistoryError(f"{needed_by} does not name its model: give --model NAME "
                           f"(one of {', '.join(sorted(SPECS))})", where=where)
    try:
        return get_spec(model)
    except KeyError as exc:
        raise HistoryError(exc.args[0], where=where) from None
