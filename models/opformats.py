"""Operation histories for linearizability: reading `stmcheck.ophistory/1` and choosing a reader.

An operation history lists method calls on one object, each with the interval
`[call, return]` in which it ran (closed: intervals that touch are concurrent,
so a clock that repeats a value never invents an order) and the result it
returned. `return: null` marks an operation that never returned: it may have
taken effect with any result, or not at all.

`read_ophistory` is the one entry point: it reads `stmcheck.ophistory/1`
itself and hands Jepsen logs and EDN histories to `jepsen.py`, choosing
by `fmt` or by looking at the content. Whatever the format, bad input raises
`HistoryError` only, naming the file, the operation (or line) and the problem,
so the CLI can print one line and exit 2. The data model (`Operation`,
`OpHistory`) and the validation shared by all formats live in
`ophistory.py`; this module re-exports them.
"""

from __future__ import annotations

import json
import math

from .formats import parse_json
from .history import HistoryError
from . import jepsen
from .ophistory import Operation, OpHistory, build_history, read_text, resolve_spec

__all__ = ["OPHISTORY_FORMAT", "FORMATS", "Operation", "OpHistory", "build_history", "read_ophistory",
           "parse_ophistory", "sniff_format"]

OPHISTORY_FORMAT = "stmcheck.ophistory/1"
FORMATS = ("ophistory", "jepsen", "porcupine-kv", "edn")
_OP_KEYS = {"client", "op", "args", "call", "return", "result"}
_TOP_KEYS = {"format", "model", "initial", "operations"}


# --- reading ------------------------------------------------------------------

def sniff_format(text: str) -> str | None:
    """Recognise the format from the first meaningful characters."""
    head = text.lstrip()[:4096]
    if head.startswith("{\""):
        return "ophistory"
    if head.startswith(("{:", "[", "(", "{ :", ";")):
        return "porcupine-kv" if ":key" in head.split("}", 1)[0] else "edn"
    if head.startswith("{"):
        return "ophistory"
    sample = text[:1_000_000]
    if "jepsen.util" in sample:
        return "jepsen"
    return None


def read_ophistory(path: str, fmt: str | None = None, model: str | None = None,
                   timeout: float | None = None) -> OpHistory:
    """Read an operation history in any supported format (see module docstring).

    `timeout` bounds the wait for a pipe's writer (see `formats.open_input`)."""
    if fmt is not None and fmt not in FORMATS:
        raise HistoryError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})", where=path)
    if model is not None:
        resolve_spec(model, path, "")
    text = read_text(path, timeout)
    if not text.strip():
        raise HistoryError("empty file (expected an operation history)", where=path)
    fmt = fmt or sniff_format(text)
    if fmt is None:
        raise HistoryError("cannot tell the format of this file: give --format "
                           f"({', '.join(FORMATS)})", where=path)
    if fmt == "ophistory":
        return parse_ophistory(text, path, model)
    if fmt == "jepsen":
        return jepsen.parse_jepsen_log(text, path, model)
    return jepsen.parse_edn_history(text, path, model, kv=(fmt == "porcupine-kv"))


def _number(value) -> bool:
    """A time: a number a double holds (times are compared, and printed, as such)."""
    if type(value) not in (int, float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond any double
        return False


def _shown(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_ophistory(text: str, path: str, model: str | None = None) -> OpHistory:
    """Parse and validate a `stmcheck.ophistory/1` JSON document.

    JSON is read strictly, as transaction histories are: NaN, Infinity and
    numbers beyond a double are refused (they would print as invalid JSON in
    `--json` and compare equal to each other)."""
    doc = parse_json(text, path)
    if not isinstance(doc, dict):
        raise HistoryError(f"the top level must be a JSON object with \"format\": \"{OPHISTORY_FORMAT}\"",
                           where=path)
    fmt = doc.get("format")
    if fmt != OPHISTORY_FORMAT:
        got = "no \"format\" field" if fmt is None else f"format is {fmt!r}"
        raise HistoryError(f"{got}, expected \"{OPHISTORY_FORMAT}\"", where=path)
    extra = sorted(set(doc) - _TOP_KEYS)
    if extra:
        raise HistoryError(f"unknown top-level field {extra[0]!r} (allowed: {', '.join(sorted(_TOP_KEYS))})",
                           where=path)
    named = doc.get("model")
    if named is not None and not isinstance(named, str):
        raise HistoryError("\"model\" must be a string naming a model", where=path)
    if named is not None and model is not None and named != model:
        raise HistoryError(f"the file names model {named!r} but --model says {model!r}", where=path)
    spec = resolve_spec(named or model, path, "this history")
    operations = doc.get("operations")
    if not isinstance(operations, list):
        raise HistoryError("\"operations\" must be a list" if "operations" in doc
                           else "no \"operations\" list", where=path)
    rows = []
    for i, raw in enumerate(operations):
        rows.append(_ophistory_row(raw, i, path))
    return build_history(spec, doc.get("initial"), rows, "ophistory", where=path)


def _ophistory_row(raw, i: int, path: str):
    def bad(message):
        return HistoryError(f"operation {i}: {message}", where=path)

    if not isinstance(raw, dict):
        raise bad("must be a JSON object")
    extra = sorted(set(raw) - _OP_KEYS)
    if extra:
        raise bad(f"unknown field {extra[0]!r} (allowed: {', '.join(sorted(_OP_KEYS))})")
    for key in ("client", "op", "call", "return"):
        if key not in raw:
            raise bad(f"missing {key!r}")
    client = raw["client"]
    if not (type(client) is str or type(client) is int):
        raise bad(f"\"client\" must be a string or an integer, got {_shown(client)}")
    op = raw["op"]
    if type(op) is not str:
        raise bad("\"op\" must be a string naming an operation of the model")
    args = raw.get("args", [])
    if not isinstance(args, list):
        raise bad("\"args\" must be a list")
    call, ret = raw["call"], raw["return"]
    if not _number(call):
        raise bad(f"\"call\" must be a number, got {_shown(call)}")
    if ret is not None and not _number(ret):
        raise bad(f"\"return\" must be a number or null, got {_shown(ret)}")
    result = raw.get("result")
    if ret is None and result is not None:
        raise bad("has a \"result\" but \"return\" is null (a pending operation has no result)")
    return client, op, args, call, ret, result, i
