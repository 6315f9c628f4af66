"""Reading and writing `stmcheck.history/1` files (JSON document or JSON Lines).

See docs/formats.md (and the public contract it restates). Reading never
raises anything but `HistoryError`, whose text names the file, the event index
where there is one, and what is wrong: bad input must end in one clear line,
never a traceback.

JSON Lines files are streamed: a chunk of lines is parsed, folded into its
transactions and dropped, so memory follows the number of transactions, not
the size of the text. A C scanner (models/jsonl_fast.py) reads them first
where it can; on anything unusual it steps aside and this reader, whose
messages are the contract, reads the whole file.
"""

from __future__ import annotations

import json
import os

from . import jsonl_fast
from .history import HistoryBuilder, HistoryError, History, is_scalar, json_value

HISTORY_FORMAT = "stmcheck.history/1"
OPHISTORY_FORMAT = "stmcheck.ophistory/1"


def _open_text(path: str):
    if os.path.isdir(path):
        raise HistoryError("is a directory, not a history file", where=path)
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        raise HistoryError("no such file", where=path) from None
    except OSError as exc:
        raise HistoryError(f"cannot read: {exc.strerror or exc}", where=path) from None
    return handle


def _decode(raw: bytes, path: str, line: int | None = None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f" on line {line}" if line is not None else ""
        raise HistoryError(f"not UTF-8 text{where} (byte {exc.start}): is this a binary file?", where=path) from None


class _NotJson(ValueError):
    """NaN, Infinity or -Infinity: Python's json module accepts them, JSON does not."""


def _no_constant(name: str):
    raise _NotJson(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)


def _loads(text):
    """json.loads, strict about what JSON is (no NaN or Infinity); one shared decoder,
    since json.loads with any option builds a new decoder per call (a JSON Lines file
    calls this once per event)."""
    if type(text) is bytes:
        text = text.decode("utf-8")
    return _DECODER.decode(text)


def _parse_json(text: str, path: str, line: int | None = None):
    try:
        return _loads(text)
    except _NotJson as exc:
        where = f" on line {line}" if line is not None else ""
        raise HistoryError(f"not valid JSON{where}: {exc}", where=path) from None
    except json.JSONDecodeError as exc:
        if line is None:
            raise HistoryError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", where=path) from None
        raise HistoryError(f"line {line} is not valid JSON: {exc.msg} at column {exc.colno}", where=path) from None


def _header(obj, path: str, expected: str = HISTORY_FORMAT) -> tuple[dict, dict | None]:
    if not isinstance(obj, dict):
        raise HistoryError(f"the top level must be a JSON object with \"format\": \"{expected}\"", where=path)
    fmt = obj.get("format")
    if fmt is None:
        raise HistoryError(f"no \"format\" field (expected \"{expected}\")", where=path)
    if fmt != expected:
        raise HistoryError(f"format is {fmt!r}, expected \"{expected}\"", where=path)
    initial = obj.get("initial", {})
    if initial is None:
        initial = {}
    if not isinstance(initial, dict):
        raise HistoryError("\"initial\" must be an object mapping keys to values", where=path)
    for key, value in initial.items():
        if not is_scalar(value):
            raise HistoryError(f"\"initial\" value of key {key!r} must be a JSON scalar", where=path)
    from .history import canonical_value
    initial = {str(k): canonical_value(v) for k, v in initial.items()}
    versions = obj.get("versions")
    if versions is not None:
        if not isinstance(versions, dict):
            raise HistoryError("\"versions\" must be an object mapping keys to lists of values", where=path)
        clean = {}
        for key, values in versions.items():
            if not isinstance(values, list) or not all(is_scalar(v) for v in values):
                raise HistoryError(f"\"versions\" of key {key!r} must be a list of JSON scalars", where=path)
            clean[str(key)] = [canonical_value(v) for v in values]
        versions = clean
    return initial, versions


def read_history(path: str, fast: bool = True) -> History:
    """Read a `stmcheck.history/1` file, JSON document or JSON Lines (detected).

    `fast=False` skips the C scanner for JSON Lines (the result is the same).
    """
    with _open_text(path) as handle:
        first = handle.readline()
        if not first.strip():
            rest = handle.read(1)
            if not rest and not first.strip():
                raise HistoryError("empty file (expected a stmcheck.history/1 document)", where=path)
            return _read_document(first + rest + handle.read(), path)
        first_text = _decode(first, path, 1)
        try:
            head = _loads(first_text)
        except (json.JSONDecodeError, _NotJson):
            head = None
        if isinstance(head, dict) and "events" not in head:
            return _read_lines(head, handle, path, fast)
        return _read_document(first + handle.read(), path)


def _read_document(raw: bytes, path: str) -> History:
    text = _decode(raw, path)
    if not text.strip():
        raise HistoryError("empty file (expected a stmcheck.history/1 document)", where=path)
    obj = _parse_json(text, path)
    initial, versions = _header(obj, path)
    events = obj.get("events")
    if events is None:
        raise HistoryError("no \"events\" list", where=path)
    if not isinstance(events, list):
        raise HistoryError("\"events\" must be a list", where=path)
    builder = HistoryBuilder(initial, versions)
    try:
        for event in events:
            builder.add(event)
        return builder.finish()
    except HistoryError as exc:
        exc.where = path
        raise


# JSON Lines are parsed a chunk at a time: one json call per chunk instead of
# per line halves the cost of reading. Each line is wrapped in its own array
# ("[[" + "],[".join(lines) + "]]"); the chunk is accepted only if it parses to
# one wrapper per line, each an object with only event fields; the builder then
# checks that every field holds a scalar. No line can then have borrowed a
# bracket from a neighbour (that bracket would sit in some field), so the
# result is what parsing line by line gives. Anything else, or any error, is
# re-read line by line, which names the first bad line exactly.
_CHUNK = 4096
_EVENT_FIELDS = frozenset(("thread", "txn", "op", "key", "value", "time"))


class _Lines:
    """Feeds a JSON Lines stream into a builder, remembering the current line for errors."""

    def __init__(self, builder: HistoryBuilder, path: str):
        self.builder, self.path, self.line = builder, path, 1

    def feed(self, raw_lines: list) -> None:
        numbers, lines = [], []
        for i, raw in enumerate(raw_lines, self.line + 1):
            if raw.strip():
                numbers.append(i)
                lines.append(raw)
        end = self.line + len(raw_lines)
        add = self.builder.add
        events = self._parse_chunk(lines)
        if events is None:  # line by line, so the first problem is the one named
            for number, raw in zip(numbers, lines):
                self.line = number
                try:
                    event = _loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError, _NotJson):
                    _parse_json(_decode(raw, self.path, number), self.path, number)
                    raise
                add(event)
        else:
            try:
                for number, event in zip(numbers, events):
                    self.line = number
                    add(event)
            except HistoryError:
                for number, raw in zip(numbers, lines):  # a line that is not JSON alone comes first
                    if number > self.line:
                        break
                    _parse_json(_decode(raw, self.path, number), self.path, number)
                raise
        self.line = end

    @staticmethod
    def _parse_chunk(lines: list):
        if not lines:
            return []
        try:
            wrapped = _loads(b"[[" + b"],[".join(lines) + b"]]")
        except (json.JSONDecodeError, UnicodeDecodeError, _NotJson):
            return None
        if len(wrapped) != len(lines):
            return None
        events = []
        for w in wrapped:
            if type(w) is not list or len(w) != 1:
                return None
            e = w[0]
            if type(e) is not dict or not e.keys() <= _EVENT_FIELDS:
                return None
            events.append(e)
        return events


def _read_lines(head: dict, handle, path: str, fast: bool = True) -> History:
    initial, versions = _header(head, path)
    if fast:
        try:
            history = jsonl_fast.read(handle, initial, versions)
        except HistoryError as exc:  # 'versions' disagrees: as the Python reader says it
            exc.where = path
            raise
        if history is not None:
            return history
    feeder = _Lines(HistoryBuilder(initial, versions), path)
    try:
        chunk = []
        for raw in handle:
            chunk.append(raw)
            if len(chunk) == _CHUNK:
                feeder.feed(chunk)
                chunk = []
        feeder.feed(chunk)
        return feeder.builder.finish()
    except HistoryError as exc:
        exc.where = f"{path} (line {feeder.line})" if exc.index is not None else path
        raise


def history_to_dict(history: History) -> dict:
    doc = {"format": HISTORY_FORMAT,
           "initial": {k: json_value(v) for k, v in history.initial.items()},
           "events": history.events_in_order()}
    if history.versions is not None:
        doc["versions"] = {k: [json_value(v) for v in vs] for k, vs in history.versions.items()}
    return doc


def write_history(history: History, path: str) -> None:
    """Write a history; `.jsonl` paths get JSON Lines, anything else a JSON document."""
    doc = history_to_dict(history)
    with open(path, "w", encoding="utf-8") as out:
        if path.endswith(".jsonl"):
            events = doc.pop("events")
            out.write(json.dumps(doc) + "\n")
            for event in events:
                out.write(json.dumps(event) + "\n")
        else:
            json.dump(doc, out, indent=1)
            out.write("\n")
