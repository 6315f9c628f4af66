"""Elle / Jepsen transactional histories (`stmcheck check FILE --format elle`).

A Jepsen history is a sequence of EDN maps, one per line or inside a vector:
`{:type :invoke, :f :txn, :value [[:r :x nil] [:append :x 3]], :process 0, :index 0}`.
Semantics as Elle's: each `:invoke` pairs with the next completion of the same
process; `:ok` committed; `:fail` did not happen; `:info` (or an invoke never
completed) may or may not have happened. Read values are taken from the `:ok`
completion (on an `:invoke` they are nil); the reads of a `:fail` or `:info`
transaction are unknown and dropped.

Mapping onto stmcheck's model (docs/formats.md, "Elle / Jepsen"): one
transaction per operation, `thread` = process (renamed `P.1`, `P.2`, ... after
an `:info`, as Jepsen replaces a crashed process), `begin` where it was
invoked, its reads, writes and commit where it completed. T1 therefore precedes
T2 in real time iff T1 completed before T2 was invoked: Elle's real-time order.
`:ok` commits; `:fail` aborts (its writes kept, so that a read of them is a
G1a); `:info` is handled in `_included`.

rw-register: `[:r k v]` and `[:w k v]` are reads and writes. list-append:
`[:append k v]` writes v to k, and `[:r k [v1 ... vn]]` reads vn (the empty
list reads the initial value, nil). A list read also reveals the order of every
append before it (Elle's insight), which a read of vn alone does not carry; so
each key's reads must be prefixes of its longest read L (else Elle's
`incompatible-order`), L must consist of whole transactions' appends in their
order (`_blocks`), and the writers of L, in order, become the known beginning
of the key's version order (`History.versions`, with the key in
`versions_open`: every append no read observed comes after them, in an order
the checker infers). With that order fixed, reading vn is reading exactly the
list L[:n] (the writers before the reader are L's first blocks), so the
mapping neither loses nor invents a constraint. What the model cannot carry
(two incompatible reads, a read holding an element twice, or a failed
transaction's element) is reported as a `Finding`, which breaks every criterion.
"""

from __future__ import annotations

from .history import EventLines, Finding, HistoryBuilder, HistoryError, History, same_value
from .jepsen import EdnError, Keyword, plain, read_edn

_TYPES = ("invoke", "ok", "fail", "info")
_FUNCS = ("r", "w", "append")
_END = float("inf")


class _Op:
    """One operation: its invoke, its completion (type None while never completed), its micro-ops."""

    __slots__ = ("proc", "thread", "name", "line", "pos", "type", "end_line", "end_pos", "mops", "done", "appends")

    def __init__(self, proc, line: int, pos: int, mops: list):
        self.proc, self.line, self.pos, self.mops = proc, line, pos, mops
        self.thread = self.name = None
        self.type = None                 # "ok", "fail" or "info" once completed
        self.end_line = self.end_pos = None
        self.done = None                 # the :ok completion's micro-ops (with the values read)
        self.appends: dict = {}          # key -> values appended to it, in order

    @property
    def fate(self) -> str:
        return self.type or "info"       # never completed: as :info


def parse_elle(text: str, path: str = "<elle>") -> History:
    """The history in `text` (read from `path`, which errors name): see the module docstring.
    models/txformats.py reads the file."""
    ops = _pair(_entries(text, path), path)
    if not ops:
        raise HistoryError("no :txn operations found (expected maps like {:type :invoke, :f :txn, "
                           ":value [[:r :x nil]], :process 0})", where=path)
    lists = _key_kinds(ops, path)
    _index_appends(ops, path)
    return _Builder(ops, lists, path).build()


# --- reading and pairing ---------------------------------------------------------------

def _entries(text: str, path: str) -> list:
    try:
        forms = read_edn(text)
    except EdnError as exc:
        raise HistoryError(f"line {exc.line}: {exc.describe()}", where=path) from None
    except RecursionError:
        raise HistoryError("nested too deeply to read", where=path) from None
    if len(forms) == 1 and isinstance(forms[0][0], list):
        return list(zip(forms[0][0], forms[0][2]))
    return [(form, line) for form, line, _ in forms]


def _pair(entries: list, path: str) -> list:
    """The operations in invoke order, each paired with the next completion of its process."""
    def fail(line, message):
        raise HistoryError(f"line {line}: {message}", where=path)

    ops: list = []
    open_op: dict = {}
    generation: dict = {}
    pos = 0
    for entry, line in entries:
        if not isinstance(entry, dict):
            fail(line, "expected an operation map like {:type :invoke, :f :txn, :value [[:r :x nil]], :process 0}")
        proc = entry.get("process")
        if isinstance(proc, Keyword):
            continue  # :nemesis
        for field in ("type", "f", "process"):
            if entry.get(field) is None:
                fail(line, f"the operation map has no :{field}")
        if isinstance(proc, bool) or not isinstance(proc, (int, str)):
            fail(line, f":process must be an integer, got {proc!r}")
        typ, f = plain(entry["type"]), plain(entry["f"])
        if typ not in _TYPES:
            fail(line, f"unknown :type {entry['type']!r} (expected :invoke, :ok, :fail or :info)")
        if f != "txn":
            fail(line, f":f is {entry['f']!r}, not :txn (an Elle transactional history holds :txn operations)")
        pos += 1
        if typ == "invoke":
            if proc in open_op:
                fail(line, f"process {proc} invokes again while its transaction from line "
                           f"{open_op[proc].line} has not completed")
            op = _Op(proc, line, pos, _mops(entry.get("value"), line, path, invoke=True))
            gen = generation.get(proc, 0)
            op.thread = proc if gen == 0 else f"{proc}.{gen}"
            op.name = entry.get("index")
            open_op[proc] = op
            ops.append(op)
            continue
        op = open_op.pop(proc, None)
        if op is None:
            fail(line, f"process {proc} completes (:{typ}) but has no transaction in progress "
                       "(a completion without its invoke)")
        op.type, op.end_line, op.end_pos = typ, line, pos
        if typ == "ok":
            op.done = _mops(entry.get("value"), line, path, invoke=False)
            _same_shape(op, line, path)
        elif typ == "info":
            generation[proc] = generation.get(proc, 0) + 1   # Jepsen replaces a crashed process
    names = [op.name for op in ops]
    if all(type(n) is int for n in names) and len(set(names)) == len(names):
        for op in ops:
            op.name = f"T{op.name}"
    else:
        for i, op in enumerate(ops):
            op.name = f"T{i}"
    return ops


def _scalar(value) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _mops(value, line: int, path: str, invoke: bool) -> list:
    """The micro-operations `[f key value]` of a :txn, checked; keywords become strings."""
    def fail(message):
        raise HistoryError(f"line {line}: {message}", where=path)

    if not isinstance(value, list):
        fail(f"the :value of a :txn must be a vector of micro-operations like [:r :x nil], got {value!r}")
    out = []
    for i, mop in enumerate(value):
        if not isinstance(mop, list) or len(mop) != 3:
            fail(f"micro-operation {i} is not a 3-vector [f key value]: {mop!r}")
        f, key, v = plain(mop[0]), plain(mop[1]), mop[2]
        if f not in _FUNCS:
            fail(f"micro-operation {i} has unknown function {mop[0]!r} (expected :r, :w or :append)")
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            fail(f"micro-operation {i}: the key must be an integer, a string or a keyword, got {mop[1]!r}")
        if f == "r":
            if invoke:
                v = None
            elif isinstance(v, list):
                v = [plain(e) for e in v]
                if not all(_scalar(e) for e in v):
                    fail(f"micro-operation {i}: a read list must hold scalars, got {mop[2]!r}")
            else:
                v = plain(v)
                if not _scalar(v):
                    fail(f"micro-operation {i}: a read must return a scalar or a list, got {mop[2]!r}")
        else:
            v = plain(v)
            if not _scalar(v):
                fail(f"micro-operation {i}: :{f} takes a scalar value, got {mop[2]!r}")
        out.append((f, str(key), v))
    return out


def _same_shape(op: _Op, line: int, path: str) -> None:
    if len(op.done) != len(op.mops):
        raise HistoryError(f"line {line}: the :ok completion has {len(op.done)} micro-operations, its invoke "
                           f"on line {op.line} has {len(op.mops)}", where=path)
    for i, ((f1, k1, v1), (f2, k2, v2)) in enumerate(zip(op.mops, op.done)):
        if f1 != f2 or k1 != k2 or (f1 != "r" and not same_value(v1, v2)):
            raise HistoryError(f"line {line}: micro-operation {i} of the :ok completion, [:{f2} {k2} {v2!r}], "
                               f"does not match its invoke on line {op.line}, [:{f1} {k1} {v1!r}]", where=path)


def _key_kinds(ops: list, path: str) -> set:
    """The list-append keys (the others are registers). A key is appended to or written, not both."""
    appended: dict = {}
    written: dict = {}
    list_read: dict = {}
    for op in ops:
        for f, key, v in op.done or op.mops:
            if f == "append":
                appended.setdefault(key, op.line)
            elif f == "w":
                written.setdefault(key, op.line)
            elif isinstance(v, list):
                list_read.setdefault(key, op.end_line)
    for key, line in written.items():
        other = appended.get(key) or list_read.get(key)
        if other is not None:
            raise HistoryError(f"line {max(line, other)}: key {key} is both a register ([:w ...] on line {line}) "
                               f"and a list ([:append ...] or a list read on line {other})", where=path)
    lists = set(appended) | set(list_read)
    for op in ops:
        for f, key, v in op.done or ():
            if f == "r" and key in lists and not isinstance(v, list) and v is not None:
                raise HistoryError(f"line {op.end_line}: key {key} is a list (appended to), but this read "
                                   f"returns {v!r}, not a list", where=path)
    return lists


def _tag(value):
    """A dict key that tells true from 1 (Python's True == 1), as stmcheck's values do."""
    return (type(value) is bool, value)


def _index_appends(ops: list, path: str) -> None:
    seen: dict = {}
    for op in ops:
        for f, key, v in op.mops:
            if f != "append":
                continue
            at = (key, _tag(v))
            if at in seen:
                first = seen[at].line
                raise HistoryError(f"line {op.line}: value {v!r} is appended to key {key} more than once (also on "
                                   f"line {first}); Elle requires unique appends (its 'duplicate-appends')",
                                   where=path)
            seen[at] = op
            op.appends.setdefault(key, []).append(v)


# --- building the history ----------------------------------------------------------------

class _Builder:
    def __init__(self, ops: list, lists: set, path: str):
        self.ops, self.lists, self.path = ops, lists, path
        self.writer: dict = {}            # (key, tag) -> op, for appends
        for op in ops:
            for key, values in op.appends.items():
                for v in values:
                    self.writer[(key, _tag(v))] = op
        self.read_event: dict = {}        # (op, micro-op number) -> event index
        self.findings: list = []

    def build(self) -> History:
        included = self._included()
        events, lines = self._events(included)
        self._future_reads()
        versions = self._versions()
        builder = HistoryBuilder({}, versions, versions.keys())
        try:
            for event in events:
                builder.add(event)
            history = builder.finish()
        except HistoryError as exc:   # not expected: every rule was checked above
            raise HistoryError(f"cannot be read as a history: {exc}", where=self.path) from None
        history.lines, history.source, history.findings = lines, "elle", self.findings
        return history

    def _included(self) -> list:
        """The operations that become transactions: every :ok (committed) and :fail (aborted,
        writes only), and the :info ones some :ok read observed (committed, writes only).

        Why an :info transaction may be left out or must be kept: it may or may not have
        happened. One whose write some :ok read observed happened (had it not, that read
        saw a write that never took effect: a violation anyway), so it is kept as
        committed, with all its writes (a transaction happens whole); its reads are
        unknown and dropped. One nobody observed is left out: added to any order that
        explains the rest, it can go last (its interval never ends, it is the last
        operation of its process, and an append nobody read may follow every observed
        one), where it changes no read. So leaving it out removes only constraints that
        never bind, the verdicts are the same either way, and "may not have happened"
        allows it. (Kept where a repeated register value only seems to observe it, it
        can likewise go last: keeping is always safe, leaving out is safe when unobserved.)
        """
        observed: set = set()
        for op in self.ops:
            for f, key, v in op.done or ():
                if f == "r":
                    for e in (v if isinstance(v, list) else [v]):
                        observed.add((key, _tag(e)))
        out = []
        for op in self.ops:
            if op.fate == "info" and not any((key, _tag(v)) in observed for f, key, v in op.mops if f != "r"):
                continue
            out.append(op)
        return out

    def _events(self, included: list):
        rows = []   # (position, operation number, event, line, (op, micro-op number) of a read)
        for n, op in enumerate(included):
            rows.append((op.pos, 0, {"thread": op.thread, "txn": op.name, "op": "begin"}, op.line, None))
            fate = op.fate
            end = op.end_pos if fate != "info" else _END
            line = op.end_line if op.end_line is not None else op.line
            for i, (f, key, v) in enumerate(op.done if fate == "ok" else op.mops):
                if f == "r":
                    if fate != "ok":
                        continue   # unknown
                    if key in self.lists:
                        v = v[-1] if v else None
                    rows.append((end, n, {"thread": op.thread, "txn": op.name, "op": "read", "key": key,
                                          "value": v}, line, (op, i)))
                else:
                    rows.append((end, n, {"thread": op.thread, "txn": op.name, "op": "write", "key": key,
                                          "value": v}, line, None))
            rows.append((end, n, {"thread": op.thread, "txn": op.name,
                                  "op": "abort" if fate == "fail" else "commit"}, line, None))
        rows.sort(key=lambda r: (r[0], r[1]))   # stable: an operation's own events keep their order
        lines = EventLines()
        events = []
        for index, (_, _, event, line, mop) in enumerate(rows):
            events.append(event)
            lines.note(index, line)
            if mop is not None:
                self.read_event[mop] = index
        return events, lines

    def _future_reads(self) -> None:
        """Elle's future-read: an :ok transaction reads a value it writes only later (values
        are unique, so nobody else wrote it). stmcheck would call it thin-air; found here, it
        carries Elle's name."""
        for op in self.ops:
            if op.type != "ok":
                continue
            seen: dict = {}   # (key, tag) -> micro-op number of the read that saw it
            for i, (f, key, v) in enumerate(op.done):
                if f == "r":
                    for e in (v if isinstance(v, list) else [v]):
                        if e is not None:
                            seen.setdefault((key, _tag(e)), i)
                elif (key, _tag(v)) in seen:
                    j = seen[(key, _tag(v))]
                    self._find("thin-air", "future-read",
                               f"{op.name} read {key} as {_show(op.done[j][2])} {self._at(op, j)}, which holds "
                               f"{_show(v)}, a value it writes only later: it read its own future.", [(op, j)])
                    return

    # -- list-append keys: the observed lists --------------------------------------------

    def _versions(self) -> dict:
        reads: dict = {}   # key -> [(list, op, micro-op number)]
        for op in self.ops:
            if op.type == "ok":
                for i, (f, key, v) in enumerate(op.done):
                    if f == "r" and key in self.lists:
                        reads.setdefault(key, []).append((v or [], op, i))
        versions = {}
        for key in sorted(reads):
            order = self._order(key, reads[key])
            if order:
                versions[key] = [op.appends[key][-1] for op in order]
        return versions

    def _order(self, key, reads: list):
        """The writers of the key's longest read, in order, or None after a finding."""
        for values, op, i in reads:
            tags = [_tag(v) for v in values]
            if len(set(tags)) != len(tags):
                twice = next(v for v, t in zip(values, tags) if tags.count(t) > 1)
                return self._find("duplicate-elements", "duplicate-elements",
                                  f"{op.name} read {key} as {_show(values)} {self._at(op, i)}, which holds {_show(twice)} "
                                  f"more than once; each value is appended once.", [(op, i)])
        reads = sorted(reads, key=lambda r: len(r[0]))
        for (a, op_a, i_a), (b, op_b, i_b) in zip(reads, reads[1:]):
            if not all(_tag(x) == _tag(y) for x, y in zip(a, b)):
                return self._find("incompatible-order", "incompatible-order",
                                  f"{op_a.name} read {key} as {_show(a)} {self._at(op_a, i_a)} and {op_b.name} read it as "
                                  f"{_show(b)} {self._at(op_b, i_b)}: neither list is a prefix of the other, so no "
                                  f"order of the appends to {key} explains both.", [(op_a, i_a), (op_b, i_b)])
        longest, reader, i = reads[-1] if reads else ([], None, None)
        return self._blocks(key, longest, reader, i)

    def _blocks(self, key, values: list, reader, i):
        """Cut the longest list into whole transactions' appends, in each one's own order (the last
        may be cut short: the list was read before the rest); None after a finding."""
        order: list = []
        prev, pos = None, 0
        where = f"{reader.name} read {key} as {_show(values)} {self._at(reader, i)}" if values else ""
        for n, v in enumerate(values):
            op = self.writer.get((key, _tag(v)))
            if op is None:
                return self._find("thin-air", None, f"{where}, which holds {_show(v)}: no transaction appended "
                                                    f"{_show(v)} to {key}.", [(reader, i)])
            if op.type == "fail":
                dirty = any(self.writer[(key, _tag(w))].type == "ok" for w in values[n + 1:]
                            if (key, _tag(w)) in self.writer)
                return self._find("G1a", "G1a, dirty-update" if dirty else "G1a",
                                  f"{where}, which holds {_show(v)}, appended by {op.name}, whose transaction failed "
                                  f"(line {op.end_line})" + ("; committed appends follow it (Elle's dirty-update)."
                                                             if dirty else "."), [(reader, i)])
            mine = op.appends[key]
            if op is prev:
                if pos >= len(mine) or not same_value(mine[pos], v):
                    return self._own_order(key, where, op, reader, i)
                pos += 1
                continue
            if prev is not None and pos < len(prev.appends[key]):
                rest = {_tag(w) for w in values[n + 1:]}
                if _tag(prev.appends[key][pos]) in rest:   # prev's appends stand on both sides of op's
                    return self._find("G0", "G0", f"{where}: {op.name}'s append of {_show(v)} stands between "
                                      f"{prev.name}'s appends, so {prev.name} wrote {key} before {op.name} and "
                                      f"{op.name} before {prev.name}.", [(reader, i)],
                                      cycle=[(prev.name, op.name, "ww", key), (op.name, prev.name, "ww", key)])
                return self._own_order(key, where, prev, reader, i)
            if op in order:   # cannot be reached after the check above (it would be a duplicate): kept safe
                return self._own_order(key, where, op, reader, i)
            if not same_value(mine[0], v):
                return self._own_order(key, where, op, reader, i)
            order.append(op)
            prev, pos = op, 1
        return order

    def _own_order(self, key, where: str, op: _Op, reader, i):
        return self._find("incompatible-order", None,
                          f"{where}, but {op.name} appended {_show(op.appends[key])} to {key} in that order "
                          f"(line {op.line}): the list shows them apart or out of order, which no order of whole "
                          f"transactions produces.", [(reader, i)])

    def _at(self, op: _Op, i: int) -> str:
        """"(event N)": the report adds the line."""
        index = self.read_event.get((op, i))
        return f"(line {op.end_line})" if index is None else f"(event {index})"

    def _find(self, anomaly, elle, text, reads, cycle=()):
        events = sorted(self.read_event[r] for r in reads if r in self.read_event)
        self.findings.append(Finding(anomaly, text, events, list(cycle), elle))
        return None


def _show(value) -> str:
    """EDN-like: [1 2 3], nil, "s"."""
    if isinstance(value, list):
        return "[" + " ".join(_show(v) for v in value) + "]"
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


# --- Elle's names for stmcheck's anomalies -----------------------------------------------

def elle_name(anomaly: str | None, kinds: list | None = None) -> str | None:
    """Elle's name for a violation stmcheck calls `anomaly` (its cycle's edge kinds in
    `kinds`), where Elle's differs; None where it is the same or Elle has none.

    G2-item whose anti-dependency edges are never adjacent is Elle's G-nonadjacent;
    a cycle closed by real time is Elle's `<class>-realtime`, by a process's own order
    `<class>-process`.
    """
    if not kinds:
        return None
    base = [k for k in kinds if k not in ("rt", "po")]
    rw = [k == "rw" for k in kinds]
    n = rw.count(True)
    if n == 0:
        cls = "G0" if all(k == "ww" for k in base) else "G1c"
    elif n == 1:
        cls = "G-single"
    else:
        cls = "G2-item" if any(rw[j] and rw[j - 1] for j in range(len(rw))) else "G-nonadjacent"
    if "rt" in kinds:
        name = cls + "-realtime"
    elif "po" in kinds:
        name = cls + "-process"
    else:
        name = cls
    return None if name == anomaly else name
