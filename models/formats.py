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

import io
import json
from array import array
import os
import re
import select
import stat
import sys
import time
from json.decoder import scanstring

from . import jsonl_fast
from .history import EventLines, HistoryBuilder, HistoryError, History, is_scalar, json_value

HISTORY_FORMAT = "stmcheck.history/1"
OPHISTORY_FORMAT = "stmcheck.ophistory/1"


MAX_DOCUMENT_BYTES = 512 << 20
"""The most stmcheck reads as one JSON document (a `.json` history, an operation
history, or the first line of a file, which may hold a whole document): reading
and parsing a document holds all of it in memory at once. JSON Lines files are
streamed and have no total limit."""

MAX_LINE_BYTES = 16 << 20
"""The most stmcheck reads as one line of a JSON Lines file (after its first):
one event, which is a few dozen bytes unless its value is a long string."""

_NO_WRITER_GRACE = 0.5
"""Seconds a named pipe may take to get its writer (a producer started alongside)."""


def _size(n: int) -> str:
    return f"{n} bytes" + (f" ({n >> 20} MiB)" if n >= 1 << 20 and n % (1 << 20) == 0 else "")


class _Pipe(io.RawIOBase):
    """A named pipe (or /dev/stdin on a pipe), opened without blocking, read with a timeout.

    Opening a FIFO for reading blocks until a writer opens it, possibly forever;
    opened non-blocking, a pipe with no writer reads as end of file at once,
    and one whose writer is silent reports "try again", so each read waits in
    poll() at most `timeout` seconds (`--timeout`): a writer that streams a
    long history slowly is read to the end, one that falls silent is not
    waited for.
    """

    def __init__(self, fd: int, path: str, timeout: float | None):
        super().__init__()
        self.fd, self.path, self.timeout = fd, path, timeout
        self._first = self._first_bytes()

    def _first_bytes(self) -> bytes:
        grace = _NO_WRITER_GRACE if self.timeout is None else min(_NO_WRITER_GRACE, self.timeout)
        give_up = time.monotonic() + grace
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:  # a writer, with nothing written yet
                return b""
            if data:
                return data
            if time.monotonic() >= give_up:
                raise HistoryError("is a named pipe (FIFO) with no writer: nothing to read", where=self.path)
            time.sleep(0.02)

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def readinto(self, buffer) -> int:
        if self._first:
            n = min(len(buffer), len(self._first))
            buffer[:n] = self._first[:n]
            self._first = self._first[n:]
            return n
        while True:
            try:
                data = os.read(self.fd, len(buffer))
            except BlockingIOError:
                self._wait()
                continue
            buffer[:len(data)] = data
            return len(data)

    def _wait(self) -> None:
        poller = select.poll()
        poller.register(self.fd, select.POLLIN | select.POLLHUP)
        if not poller.poll(None if self.timeout is None else self.timeout * 1000):
            raise HistoryError(f"the pipe's writer sent nothing for {self.timeout:g} s (--timeout): "
                               "the history was not read to its end", where=self.path)

    def close(self) -> None:
        if not self.closed:
            os.close(self.fd)
        super().close()


_REFUSED = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
            (stat.S_ISSOCK, "a socket"))


def open_input(path: str, timeout: float | None = None):
    """A binary stream of the file at `path`, or HistoryError naming the problem.

    A regular file is opened as it is. A named pipe is read as it arrives,
    without blocking forever: with no writer it is refused at once, and a
    silent writer runs out the `timeout`. Devices (/dev/zero would be read
    forever, a terminal would wait for typing), sockets and directories are
    refused before they are opened.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise HistoryError("no such file", where=path) from None
    except OSError as exc:
        raise HistoryError(f"cannot read: {exc.strerror or exc}", where=path) from None
    if stat.S_ISDIR(mode):
        raise HistoryError("is a directory, not a history file", where=path)
    for test, what in _REFUSED:
        if test(mode):
            raise HistoryError(f"is {what}, not a history file", where=path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # never blocks, even on a FIFO
    except FileNotFoundError:
        raise HistoryError("no such file", where=path) from None
    except OSError as exc:
        raise HistoryError(f"cannot read: {exc.strerror or exc}", where=path) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode):
            os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
        if stat.S_ISFIFO(mode):
            return io.BufferedReader(_Pipe(fd, path, timeout), 1 << 16)
        raise HistoryError("is not a regular file or a pipe, not a history file", where=path)
    except BaseException:
        os.close(fd)
        raise


def read_document_bytes(handle, path: str, head: bytes = b"") -> bytes:
    """The rest of `handle` after `head`, refused beyond MAX_DOCUMENT_BYTES (see there)."""
    left = MAX_DOCUMENT_BYTES - len(head)
    try:
        status = os.fstat(handle.fileno())
        if stat.S_ISREG(status.st_mode):
            size = status.st_size - handle.tell()
            if size > left:
                raise _too_large(path)
            rest = handle.read(size + 1) if size > 0 else handle.read(left + 1)  # /proc files say 0
        else:  # a pipe: in pieces, so that nothing larger than what came is allocated
            pieces = []
            while left >= 0:
                piece = handle.read(min(left + 1, 1 << 20))
                if not piece:
                    break
                pieces.append(piece)
                left -= len(piece)
            rest = b"".join(pieces)
    except OSError as exc:
        raise HistoryError(f"cannot read: {exc.strerror or exc}", where=path) from None
    if len(head) + len(rest) > MAX_DOCUMENT_BYTES:
        raise _too_large(path)
    return head + rest


def _too_large(path: str) -> HistoryError:
    return HistoryError(f"larger than {_size(MAX_DOCUMENT_BYTES)}, the most stmcheck reads as one JSON "
                        "document (JSON Lines are streamed and have no such limit)", where=path)


def _readline(handle, limit: int, path: str) -> bytes:
    try:
        return handle.readline(limit + 1)
    except OSError as exc:
        raise HistoryError(f"cannot read: {exc.strerror or exc}", where=path) from None


def _decode(raw: bytes, path: str, line: int | None = None) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        where = f" on line {line}" if line is not None else ""
        raise HistoryError(f"not UTF-8 text{where} (byte {exc.start}): is this a binary file?", where=path) from None


class _NotJson(ValueError):
    """NaN, Infinity or -Infinity: Python's json module accepts them, JSON does not."""


class _OutOfRange(ValueError):
    """A number JSON allows but no double holds (1e400, 1e-400): every such number would
    read as the same infinity or zero, so values nobody wrote would compare equal."""

    def __init__(self, token: str):
        shown = token if len(token) <= 30 else token[:27] + "..."
        super().__init__(f"the number {shown} is out of the range of a double (numbers are compared as doubles)")
        self.token = token


def _no_constant(name: str):
    raise _NotJson(f"{name} is not a JSON value")


def _finite_float(token: str) -> float:
    value = float(token)
    if value in (_INF, _NEG_INF) or (value == 0.0 and _NONZERO.search(token.split("e")[0].split("E")[0])):
        raise _OutOfRange(token)
    return value


_INF, _NEG_INF = float("inf"), float("-inf")
_NONZERO = re.compile(r"[1-9]")
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)


def _loads(text):
    """json.loads, strict about what JSON is (no NaN or Infinity) and about numbers (none beyond
    a double); one shared decoder, since json.loads with any option builds a new decoder per
    call (a JSON Lines file calls this once per event)."""
    if type(text) is bytes:
        text = text.decode("utf-8")
    return _DECODER.decode(text)


_LONG_INT = re.compile(r"(?<![0-9.])-?[0-9]{%d,}(?![0-9.eE])")


def _line_at(text: str, needle: str | None, pattern: str | None = None) -> int | None:
    """The line where `needle` (or a match of `pattern`) first stands in `text`, for a message."""
    if pattern is not None:
        m = re.search(pattern, text)
        pos = m.start() if m else -1
    else:
        pos = text.find(needle)
    return None if pos < 0 else text.count("\n", 0, pos) + 1


def _parse_json(text: str, path: str, line: int | None = None):
    """Parse JSON text; any problem is a HistoryError naming the line (of a JSON Lines file, or in the text)."""
    try:
        return _loads(text)
    except _NotJson as exc:
        at = line if line is not None else _line_at(text, str(exc).split()[0])
        where = f" on line {at}" if at is not None else ""
        raise HistoryError(f"not valid JSON{where}: {exc}", where=path) from None
    except _OutOfRange as exc:
        at = line if line is not None else _line_at(text, exc.token)
        raise HistoryError(f"line {at}: {exc}" if at is not None else str(exc), where=path) from None
    except json.JSONDecodeError as exc:
        msg = exc.msg[:-3] if exc.msg.endswith(" at") else exc.msg  # "starting at" + " at line ..."
        if line is None:
            raise HistoryError(f"not valid JSON: {msg} at line {exc.lineno} column {exc.colno}", where=path) from None
        body = text.rstrip("\r\n")
        if exc.pos >= len(body):  # json points past the newline: the line is cut short
            raise HistoryError(f"line {line} is not valid JSON: {msg} at column {len(body) + 1}, the end of "
                               "the line", where=path) from None
        raise HistoryError(f"line {line} is not valid JSON: {msg} at column {exc.colno}", where=path) from None
    except RecursionError:
        at = line if line is not None else _deep_line(text)
        where = f"line {at} is " if at is not None else ""
        raise HistoryError(f"{where}nested too deeply to read", where=path) from None
    except ValueError as exc:  # Python's limit on the digits of an integer (int("9" * 5000))
        if "integer string conversion" not in str(exc):
            raise HistoryError(f"not valid JSON: {exc}", where=path) from None
        limit = sys.get_int_max_str_digits()
        at = line if line is not None else _line_at(text, None, _LONG_INT.pattern % (limit + 1))
        what = f"an integer with more than {limit} digits, the most stmcheck reads"
        raise HistoryError(f"line {at}: {what}" if at is not None else what, where=path) from None


def parse_json(text: str, path: str):
    """A whole JSON document read strictly (no NaN or Infinity, no number beyond a double or
    beyond Python's digits); any problem is a HistoryError naming `path` and the line."""
    return _parse_json(text, path)


def decode_text(raw: bytes, path: str) -> str:
    """UTF-8 text, or a HistoryError naming `path`."""
    return _decode(raw, path)


_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _deep_line(text: str, depth: int = 500, budget: int = 1_000_000) -> int | None:
    """The line where `text` first nests `depth` deep (None if not within `budget` tokens): for the
    message about a document nested too deeply for the json module."""
    level = 0
    for n, m in enumerate(_STRUCTURE.finditer(text)):
        c = m.group()
        if c in "[{":
            level += 1
            if level >= depth:
                return text.count("\n", 0, m.start()) + 1
        elif c in "]}":
            level -= 1
        if n >= budget:
            return None
    return None


_WS = re.compile(r"[ \t\n\r]*")
_STREAMED = object()


def _stream_document(text: str, builder: HistoryBuilder):
    """Walk the top-level object, feeding each element of "events" to `builder` as it is parsed.

    Returns the other top-level fields (with "events" marked as streamed) and
    the line each event starts on, or None for anything unusual (the caller
    then reads the document the plain way, whose messages count). Why: the
    offset of each event is known only here, where it is parsed, and an event
    dropped as soon as the builder has it costs no memory, where a list of
    them all would.
    """
    ws, scan = _WS.match, _DECODER.scan_once
    i = ws(text, 0).end()
    if text[i:i + 1] != "{":
        return None
    obj: dict = {}
    lines = None
    i = ws(text, i + 1).end()
    if text[i:i + 1] == "}":
        i += 1
    else:
        while True:
            if text[i:i + 1] != '"':
                return None
            key, i = scanstring(text, i + 1, True)
            i = ws(text, i).end()
            if text[i:i + 1] != ":":
                return None
            i = ws(text, i + 1).end()
            if key == "events":
                if "events" in obj or text[i:i + 1] != "[":
                    return None
                lines, i = _stream_events(text, i, builder)
                value = _STREAMED
            else:
                value, i = scan(text, i)
            obj[key] = value
            i = ws(text, i).end()
            c = text[i:i + 1]
            if c == ",":
                i = ws(text, i + 1).end()
                continue
            if c != "}":
                return None
            i += 1
            break
    if ws(text, i).end() != len(text):
        return None
    return obj, lines


def _stream_events(text: str, i: int, builder: HistoryBuilder | None):
    """Parse the array at `i`, noting where each element starts and handing it to `builder`
    (when there is one); returns (EventLines, the offset after the array)."""
    scan, sep, add = _DECODER.scan_once, _SEP.match, None if builder is None else builder.add
    found = array("q")
    at, line = 0, 1
    i = _WS.match(text, i + 1).end()
    if text[i:i + 1] != "]":
        while True:
            line += text.count("\n", at, i)
            at = i
            found.append(line)
            value, i = scan(text, i)
            if add is not None:
                add(value)
            m = sep(text, i)
            if m is None:
                raise ValueError("not an array")
            i = m.end()
            if m.group(1) == "]":
                break
    else:
        i += 1
    lines = EventLines()
    lines.note_all(0, found)
    return lines, i


_SEP = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")


def _event_lines(text: str, obj) -> EventLines | None:
    """The lines of a document's events, found again (the error path of a document that did not stream)."""
    if not isinstance(obj, dict) or not isinstance(obj.get("events"), list):
        return None
    try:
        found = _stream_document(text, None)
    except (ValueError, RecursionError, StopIteration):
        return None
    return None if found is None else found[1]


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


def read_history(path: str, fast: bool = True, timeout: float | None = None) -> History:
    """Read a `stmcheck.history/1` file, JSON document or JSON Lines (detected).

    `fast=False` skips the C scanner for JSON Lines (the result is the same).
    `timeout` bounds the wait for a pipe's writer (see `open_input`).
    """
    with open_input(path, timeout) as handle:
        return read_history_from(handle, path, fast)


def read_history_from(handle, path: str, fast: bool = True) -> History:
    """`read_history` on an open binary stream (models/txformats.py peeks at it first)."""
    first = _readline(handle, MAX_DOCUMENT_BYTES, path)  # a document may be one line
    if len(first) > MAX_DOCUMENT_BYTES:
        raise _too_large(path)
    if not first.strip():
        raw = read_document_bytes(handle, path, first)
        if not raw.strip():
            raise HistoryError("empty file (expected a stmcheck.history/1 document)", where=path)
        return _read_document(raw, path)
    first_text = _decode(first, path, 1)
    try:
        head = _loads(first_text)
    except (ValueError, RecursionError):
        head = None
    if isinstance(head, dict) and "events" not in head:
        return _read_lines(head, handle, path, fast)
    return _read_document(read_document_bytes(handle, path, first), path)


def _read_document(raw: bytes, path: str) -> History:
    text = _decode(raw, path)
    del raw
    if not text.strip():
        raise HistoryError("empty file (expected a stmcheck.history/1 document)", where=path)
    builder = HistoryBuilder()
    try:
        streamed = _stream_document(text, builder)
    except (ValueError, RecursionError, StopIteration):  # HistoryError included: judged again below
        streamed = None
    if streamed is None:  # the plain way: JSON errors first, then the header's, then the events'
        obj = _parse_json(text, path)
        lines = _event_lines(text, obj)
        del text
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
        except HistoryError as exc:
            line = None if lines is None or exc.index is None else lines.line(exc.index)
            exc.where = path if line is None else f"{path}: line {line}"
            raise
    else:
        del text
        obj, lines = streamed
        initial, versions = _header(obj, path)
        if "events" not in obj:
            raise HistoryError("no \"events\" list", where=path)
        builder.header(initial, versions)
    try:
        history = builder.finish()
    except HistoryError as exc:
        exc.where = path
        raise
    history.lines = lines
    return history


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
    """Feeds a JSON Lines stream into a builder, remembering the current line for errors
    and the line of every event (`lines`)."""

    def __init__(self, builder: HistoryBuilder, path: str):
        self.builder, self.path, self.line = builder, path, 1
        self.lines = EventLines()

    def feed(self, raw_lines: list) -> None:
        numbers, lines = [], []
        for i, raw in enumerate(raw_lines, self.line + 1):
            if raw.strip():
                numbers.append(i)
                lines.append(raw)
        end = self.line + len(raw_lines)
        add = self.builder.add
        first = self.lines.n
        events = self._parse_chunk(lines)
        if events is None:  # line by line, so the first problem is the one named
            for number, raw in zip(numbers, lines):
                self.line = number
                try:
                    event = _loads(raw)
                except (ValueError, RecursionError):  # not JSON, not UTF-8, a number out of range
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
        self.lines.note_all(first, numbers)
        self.line = end

    @staticmethod
    def _parse_chunk(lines: list):
        if not lines:
            return []
        try:
            wrapped = _loads(b"[[" + b"],[".join(lines) + b"]]")
        except (ValueError, RecursionError):
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
            history = jsonl_fast.read(handle, initial, versions, max_line=MAX_LINE_BYTES, loads=_loads)
        except HistoryError as exc:  # 'versions' disagrees: as the Python reader says it
            exc.where = path
            raise
        if history is not None:
            return history
    feeder = _Lines(HistoryBuilder(initial, versions), path)
    limit = MAX_LINE_BYTES
    try:
        chunk = []
        while True:
            raw = _readline(handle, limit, path)
            if not raw:
                break
            if len(raw) > limit and raw[-1:] != b"\n":  # the earlier lines are judged first
                feeder.feed(chunk)
                feeder.line += 1
                raise HistoryError(f"line {feeder.line} is longer than {_size(limit)}, the most stmcheck "
                                   "reads as one line of JSON Lines", where=path)
            chunk.append(raw)
            if len(chunk) == _CHUNK:
                feeder.feed(chunk)
                chunk = []
        feeder.feed(chunk)
        history = feeder.builder.finish()
    except HistoryError as exc:
        exc.where = f"{path}: line {feeder.line}" if exc.index is not None else path
        raise
    history.lines = feeder.lines
    return history


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
