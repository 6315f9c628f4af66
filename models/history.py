"""Transaction histories: events folded into transactions, with well-formedness.

A history is the contract between whoever records an execution (the explorer,
a native stress run, a user's own STM) and the criteria checkers. Events arrive
in real-time order; `HistoryBuilder` folds them one at a time into `Txn`
records, so a stream of 10^6 transactions is held as transactions, never as
text or as a list of event dicts.

Keys are normalised to strings (the `initial` map of the file format can only
have string keys, so the event key `1` and the initial entry `"1"` name the
same cell). Values are JSON scalars compared as JSON compares them, except
that booleans never equal numbers (Python's `True == 1` would otherwise let a
read of `true` pass as a read of `1`).
"""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_right
from dataclasses import dataclass, field

COMMITTED, ABORTED, LIVE = "committed", "aborted", "live"
READ, WRITE = "read", "write"

INFINITY = float("inf")


class HistoryError(ValueError):
    """Bad input: a history that breaks the format or a well-formedness rule.

    `index` is the 0-based event index where there is one; `where` is the file.
    """

    def __init__(self, message: str, index: int | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.index = index
        self.where = where

    def __str__(self) -> str:
        parts = []
        if self.where:
            parts.append(self.where)
        if self.index is not None:
            parts.append(f"event {self.index}")
        parts.append(self.message)
        return ": ".join(parts)


class JsonBool:
    """A JSON boolean that is equal to nothing but itself (unlike Python's bool)."""

    __slots__ = ("value",)

    def __init__(self, value: bool):
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"

    def __reduce__(self):
        return (canonical_value, (self.value,))


TRUE, FALSE = JsonBool(True), JsonBool(False)
_SCALARS = (str, int, float, type(None))


def canonical_value(value):
    """The in-memory form of a JSON scalar value (booleans become TRUE/FALSE)."""
    if value is True:
        return TRUE
    if value is False:
        return FALSE
    return value


def json_value(value):
    """The JSON form of an in-memory value (the inverse of canonical_value)."""
    if isinstance(value, JsonBool):
        return value.value
    return value


def is_scalar(value) -> bool:
    """True for a JSON scalar: string, number, boolean or null (bool is an int)."""
    return isinstance(value, _SCALARS)


def is_finite(value) -> bool:
    """False for a float that is NaN or infinite: no JSON number, and infinities compare
    equal to each other, so `1e400` read where `2e400` was written would pass as the same value."""
    return type(value) is not float or math.isfinite(value)


class EventLines:
    """The 1-based line of the file on which each event (by 0-based index) starts.

    Why: violations name events by index, a reader looks for them by line.
    Kept small because histories of 10^6 transactions are read routinely: the
    lines are stored as runs (first event, its line, lines per event), so a
    JSON Lines file (one event per line) costs a run per stretch between blank
    lines, not memory per event. A layout without such runs (a pretty-printed
    document whose events span varying numbers of lines) is kept as one
    unsigned 32-bit line number per event instead, whichever is smaller.
    Events must be noted in index order.
    """

    __slots__ = ("n", "_starts", "_firsts", "_steps", "_dense")

    def __init__(self):
        self.n = 0
        self._starts, self._firsts, self._steps = array("q"), array("q"), array("q")
        self._dense = None

    def note(self, index: int, line: int) -> None:
        """Event `index` (the next one) starts on `line`."""
        if index != self.n:
            raise ValueError(f"event {index} noted out of order (expected {self.n})")
        self.n = index + 1
        if self._dense is not None:
            self._append_dense(line)
            return
        starts, firsts, steps = self._starts, self._firsts, self._steps
        if starts:
            k = len(starts) - 1
            step = steps[k]
            if step < 0:  # a run of one event: the second sets its step
                if line >= firsts[k]:
                    steps[k] = line - firsts[k]
                    return
            elif line == firsts[k] + (index - starts[k]) * step:
                return
        starts.append(index)
        firsts.append(line)
        steps.append(-1)
        if len(starts) * 6 > self.n + 64:  # runs cost more than a line per event would: go dense
            self._to_dense()

    def note_all(self, first: int, lines) -> None:
        """Events `first`, `first + 1`, ... start on `lines` (in order): `note` for each,
        with the common case (the next line of the current run) kept to a comparison."""
        starts, firsts, steps = self._starts, self._firsts, self._steps
        index = first
        for line in lines:
            if self._dense is None and starts and index == self.n:
                k = len(starts) - 1
                step = steps[k]
                if step >= 0 and line == firsts[k] + (index - starts[k]) * step:
                    self.n = index = index + 1
                    continue
            self.note(index, line)
            index += 1

    @classmethod
    def from_runs(cls, starts, firsts, steps, n: int) -> "EventLines":
        """Events `starts[k]`, ... on lines `firsts[k]`, `steps[k]` further each (-1: a single event),
        as the fast reader found them; kept as the same runs, or dense where that is smaller."""
        lines = cls()
        lines._starts.extend(starts)
        lines._firsts.extend(firsts)
        lines._steps.extend(steps)
        lines.n = n
        if len(lines._starts) * 6 > n + 64:
            lines._to_dense()
        return lines

    def _to_dense(self) -> None:
        dense = array("I")
        self._dense = dense
        starts, firsts, steps = self._starts, self._firsts, self._steps
        n = self.n
        for k in range(len(starts)):
            end = starts[k + 1] if k + 1 < len(starts) else n
            step = max(steps[k], 0)
            for i in range(starts[k], end):
                self._append_dense(firsts[k] + (i - starts[k]) * step)
        self._starts, self._firsts, self._steps = array("q"), array("q"), array("q")

    def _append_dense(self, line: int) -> None:
        try:
            self._dense.append(line)
        except OverflowError:  # beyond 2^32 lines
            self._dense = array("q", self._dense)
            self._dense.append(line)

    def line(self, index: int) -> int | None:
        """The line event `index` starts on, or None when it was not noted."""
        if not 0 <= index < self.n:
            return None
        if self._dense is not None:
            return self._dense[index]
        k = bisect_right(self._starts, index) - 1
        return self._firsts[k] + (index - self._starts[k]) * max(self._steps[k], 0)

    def nbytes(self) -> int:
        """The memory the line numbers take (for measurements)."""
        if self._dense is not None:
            return self._dense.itemsize * len(self._dense)
        return 24 * len(self._starts)


class Txn:
    """One transaction attempt.

    `ops` lists `(kind, key, value, event_index)` in program order. `begin` and
    `end` are event indices (end is None while live); they give real-time order.
    (The last three arguments let a reader build a finished Txn in one call.)
    """

    __slots__ = ("id", "thread", "index", "begin", "end", "status", "ops")

    def __init__(self, id, thread, index: int, begin: int, end: int | None = None, status: str = LIVE,
                 ops: list | None = None):
        self.id = id
        self.thread = thread
        self.index = index
        self.begin = begin
        self.end = end
        self.status = status
        self.ops: list[tuple[str, str, object, int]] = [] if ops is None else ops

    @property
    def committed(self) -> bool:
        return self.status == COMMITTED

    @property
    def end_or_inf(self):
        return INFINITY if self.end is None else self.end

    def final_writes(self) -> dict:
        """key -> the last value this transaction wrote to it."""
        out = {}
        for kind, key, value, _ in self.ops:
            if kind is WRITE:
                out[key] = value
        return out

    def external_reads(self):
        """Reads that observe the world rather than this transaction's own writes.

        Yields `(key, value, event_index)` for each read of a key this
        transaction had not yet written.
        """
        written = set()
        for kind, key, value, idx in self.ops:
            if kind is WRITE:
                written.add(key)
            elif key not in written:
                yield key, value, idx

    def internal_violation(self):
        """The first read of an own-written key that does not return the own write.

        Returns `(key, expected, got, event_index)` or None.
        """
        own = {}
        for kind, key, value, idx in self.ops:
            if kind is WRITE:
                own[key] = value
            elif key in own and not same_value(own[key], value):
                return key, own[key], value, idx
        return None

    def __repr__(self) -> str:
        return f"Txn({self.id!r}, thread={self.thread!r}, {self.status}, ops={len(self.ops)})"


def same_value(a, b) -> bool:
    """JSON equality of two canonical values (1 == 1.0, true != 1)."""
    return a is b or (type(a) is not JsonBool and type(b) is not JsonBool and a == b)


@dataclass
class History:
    """A well-formed transaction history.

    `txns` are in begin order (`txn.index` is the position). `initial` maps
    key -> initial value (a missing key starts as None, i.e. JSON null).
    `versions`, when the recorder knew it, maps key -> the committed values in
    installation order; for a key in `versions_open` the list is only the known
    beginning of that order (an Elle list-append read reveals the appends before
    it, never those after): every other committed write of the key comes after
    the listed ones, in an order left to the checker. `rereads`, when the reader
    noted it, lists the transactions that read a key they had written (only these
    can be internally inconsistent); None means not noted. `lines`, for a history
    read from a file, gives the line each event starts on (`line_of`).

    Imported histories add: `source` (the format read, e.g. "elle", "cobra");
    `real_time` False when the recorder kept no global clock (Cobra's per-client
    logs: the event order across clients means nothing, so the real-time
    criteria cannot be judged); `findings`, violations the importer saw in
    what the event model cannot carry (two incompatible list reads), which
    every criterion reports.
    """

    initial: dict = field(default_factory=dict)
    txns: list[Txn] = field(default_factory=list)
    versions: dict | None = None
    events: int = 0
    rereads: list | None = None
    lines: EventLines | None = None
    versions_open: frozenset = frozenset()
    source: str | None = None
    real_time: bool = True
    findings: list = field(default_factory=list)

    def line_of(self, index: int) -> int | None:
        """The line of the file on which event `index` starts (None: not read from a file)."""
        return None if self.lines is None else self.lines.line(index)

    def by_id(self) -> dict:
        return {t.id: t for t in self.txns}

    def initial_value(self, key):
        return self.initial.get(key)

    def counts(self) -> dict:
        c = {COMMITTED: 0, ABORTED: 0, LIVE: 0}
        for t in self.txns:
            c[t.status] += 1
        return {"transactions": len(self.txns), "committed": c[COMMITTED],
                "aborted": c[ABORTED], "live": c[LIVE]}

    def events_in_order(self):
        """Re-create the event list (as dicts in the file format) in real-time order."""
        rows = []
        for t in self.txns:
            rows.append((t.begin, {"thread": t.thread, "txn": t.id, "op": "begin"}))
            for kind, key, value, idx in t.ops:
                rows.append((idx, {"thread": t.thread, "txn": t.id, "op": kind,
                                   "key": key, "value": json_value(value)}))
            if t.end is not None:
                op = "commit" if t.status == COMMITTED else "abort"
                rows.append((t.end, {"thread": t.thread, "txn": t.id, "op": op}))
        rows.sort(key=lambda r: r[0])
        return [r[1] for r in rows]


@dataclass
class Finding:
    """A violation an importer found in what the event model cannot express (Elle's
    `incompatible-order`: two reads of one list that no order of appends explains).

    It breaks every criterion (its reads are committed transactions'), so the checker
    reports it as it is. `cycle` lists `(from txn id, to txn id, kind, key)` edges
    when the violation is a cycle; `elle` is Elle's name for it where it has one.
    """

    anomaly: str
    explanation: str
    events: list = field(default_factory=list)
    cycle: list = field(default_factory=list)
    elle: str | None = None


_OPS = ("begin", "read", "write", "commit", "abort")
_MISSING = object()
_intern = sys.intern
_SCALAR_TYPES = frozenset((str, int, float, bool, type(None)))


def _check_id(value, what: str, index: int):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise HistoryError(f"'{what}' must be an integer or a string, got {_show(value)}", index)
    return value


def _a(op: str) -> str:
    """"a commit", "an abort"."""
    return f"an {op}" if op[:1] in "aeiou" else f"a {op}"


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class HistoryBuilder:
    """Folds events, in real-time order, into a History, checking every rule.

    Errors carry the 0-based index of the offending event. `add` is the only
    per-event work the checker does, so it is kept lean.
    """

    def __init__(self, initial: dict | None = None, versions: dict | None = None, versions_open=()):
        self.history = History()
        self.header(initial, versions)
        self.history.versions_open = frozenset(str(k) for k in versions_open)
        self._txns: dict = {}
        self._running: dict = {}  # thread -> live Txn
        self._n = 0

    def header(self, initial: dict | None, versions: dict | None) -> None:
        """Set the initial values and the version order (a reader may know them only after the events)."""
        # Keys and values in the same canonical form as the events' (string keys,
        # JSON booleans that equal no number), whoever built these maps.
        initial = {str(k): canonical_value(v) for k, v in (initial or {}).items()}
        if versions is not None:
            versions = {str(k): [canonical_value(v) for v in vs] for k, vs in versions.items()}
        for key, value in initial.items():
            if not is_finite(value):
                raise HistoryError(f"\"initial\" value of key {key!r} must be a finite number, got {_show(value)}")
        for key, values in (versions or {}).items():
            if not all(map(is_finite, values)):
                raise HistoryError(f"\"versions\" of key {key!r} must hold finite numbers only")
        self.history.initial, self.history.versions = initial, versions

    def add(self, event) -> None:
        index = self._n
        self._n += 1
        if type(event) is not dict:
            raise HistoryError(f"an event must be a JSON object, got {_show(event)}", index)
        op = event.get("op")
        # Fast paths for the common types; _check_id explains anything else.
        thread = event.get("thread", _MISSING)
        if type(thread) is not int and type(thread) is not str:
            if thread is _MISSING:
                raise HistoryError("event has no 'thread'", index)
            thread = _check_id(thread, "thread", index)
        tid = event.get("txn", _MISSING)
        if type(tid) is not int and type(tid) is not str:
            if tid is _MISSING:
                raise HistoryError("event has no 'txn'", index)
            tid = _check_id(tid, "txn", index)
        if "time" in event:
            t = event["time"]
            if isinstance(t, bool) or not isinstance(t, (int, float)):
                raise HistoryError(f"'time' must be a number, got {_show(t)}", index)
            if not is_finite(t):
                raise HistoryError(f"'time' must be a finite number, got {_show(t)}", index)
        if op == "read" or op == "write":
            key = event.get("key", _MISSING)
            if key is _MISSING:
                raise HistoryError(f"a {op} needs a 'key'", index)
            value = event.get("value", _MISSING)
            if value is _MISSING:
                raise HistoryError(f"a {op} needs a 'value'", index)
            if type(key) is not str and (isinstance(key, bool) or not isinstance(key, int)):
                raise HistoryError(f"'key' must be a string or an integer, got {_show(key)}", index)
            if type(value) not in _SCALAR_TYPES and not is_scalar(value):
                raise HistoryError(f"'value' must be a JSON scalar (string, number, boolean or null), got {_show(value)}", index)
            if type(value) is float and not math.isfinite(value):
                raise HistoryError(f"'value' must be a finite number, got {_show(value)}", index)
            txn = self._txns.get(tid)
            if txn is None:
                raise HistoryError(f"transaction {tid!r} has {_a(op)} before its begin", index)
            if txn.status is not LIVE or txn.end is not None:
                raise HistoryError(f"transaction {tid!r} has a {op} after its {'commit' if txn.status == COMMITTED else 'abort'}", index)
            if txn.thread != thread:
                raise HistoryError(f"transaction {tid!r} began on thread {txn.thread!r} but this event is on thread {thread!r}", index)
            # Keys repeat across events: one shared string each keeps memory per transaction.
            txn.ops.append((READ if op == "read" else WRITE, _intern(key if type(key) is str else str(key)),
                            value if type(value) is not bool else canonical_value(value), index))
        elif op == "begin":
            self._no_payload(event, op, index)
            if tid in self._txns:
                raise HistoryError(f"transaction {tid!r} begins twice (a retry must use a new 'txn')", index)
            current = self._running.get(thread)
            if current is not None:
                raise HistoryError(f"thread {thread!r} begins {tid!r} while its transaction {current.id!r} is still running", index)
            txn = Txn(tid, thread, len(self.history.txns), index)
            self._txns[tid] = txn
            self._running[thread] = txn
            self.history.txns.append(txn)
        elif op == "commit" or op == "abort":
            self._no_payload(event, op, index)
            txn = self._txns.get(tid)
            if txn is None:
                raise HistoryError(f"transaction {tid!r} has {_a(op)} before its begin", index)
            if txn.end is not None:
                raise HistoryError(f"transaction {tid!r} has {_a(op)} after it already ended", index)
            if txn.thread != thread:
                raise HistoryError(f"transaction {tid!r} began on thread {txn.thread!r} but this event is on thread {thread!r}", index)
            txn.end = index
            txn.status = COMMITTED if op == "commit" else ABORTED
            del self._running[thread]
        elif op is None:
            raise HistoryError("event has no 'op'", index)
        else:
            raise HistoryError(f"unknown op {_show(op)} (expected one of {', '.join(_OPS)})", index)

    @staticmethod
    def _no_payload(event, op, index):
        if "key" in event or "value" in event:
            raise HistoryError(f"{_a(op)} event must not have 'key' or 'value'", index)

    def finish(self) -> History:
        self.history.events = self._n
        _check_versions(self.history)
        return self.history

    def adopt(self, txns: list, events: int, rereads: list | None = None) -> History:
        """Finish with transactions a fast reader built and checked itself (models/jsonl_fast.py)."""
        self.history.txns = txns
        self.history.rereads = rereads
        self._n = events
        return self.finish()


def _check_versions(history: History) -> None:
    """`versions` must list, per key, exactly the committed final writes' values (for a key
    in `versions_open`, some of them: the known beginning of the order)."""
    if history.versions is None:
        return
    writers: dict = {}
    for t in history.txns:
        if t.status == COMMITTED:
            for key, value in t.final_writes().items():
                writers.setdefault(key, []).append(value)
    for key, listed in history.versions.items():
        written = writers.get(key, [])
        if len(listed) > len(written) or (key not in history.versions_open and len(listed) != len(written)):
            raise HistoryError(
                f"'versions' lists {len(listed)} value(s) for key {key!r} but {len(written)} committed "
                f"transaction(s) wrote it")
        # Counted in a dict: hashing agrees with same_value (1 == 1.0, and a JSON boolean equals
        # only itself), and a list searched per value would be quadratic in a long list's appends.
        pool: dict = {}
        for w in written:
            pool[w] = pool.get(w, 0) + 1
        for value in listed:
            if pool.get(value, 0) > 0:
                pool[value] -= 1
            else:
                raise HistoryError(f"'versions' lists value {value!r} for key {key!r}, which no committed transaction wrote")


def build_history(events, initial=None, versions=None, versions_open=()) -> History:
    """Convenience: a History from an iterable of event dicts (raises HistoryError)."""
    builder = HistoryBuilder(initial, versions, versions_open)
    for event in events:
        builder.add(event)
    return builder.finish()
