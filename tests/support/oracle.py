"""A brute-force oracle for the four transactional criteria, written from the spec.

This module deliberately imports nothing from `stmcheck`: it reads the raw
history document (the dict of `../shared/spec/histories.md`) and decides each
criterion by exhaustive search over total orders, straight from the text of
the definitions:

- the *legal* read of key k by T placed in S returns T's own latest earlier
  write to k if it has one, else the value of the last write to k by a
  committed transaction before T in S, else the initial value of k (a key
  missing from `initial` is null);
- T1 *precedes* T2 in real time when T1's commit/abort event stands before
  T2's begin event;
- serializability orders the committed transactions; session serializability
  also keeps each thread's order; strict serializability also extends real
  time; opacity orders every transaction (committed, aborted, live), extends
  real time, checks every read, and lets no one see uncommitted writes;
- `versions`, when given, fixes per key the order in which the committed
  writes are installed: the committed writers of k, taken in S order, must
  install exactly the listed values; for a key listed in `versions_open` (not
  a file field: stmcheck's Elle import sets it) the list is only the beginning
  of that order, and any committed writes may follow it;
- an own write not read back breaks every criterion when the transaction
  committed, opacity only when it aborted or is live (the others say nothing
  about transactions that did not commit).

The search extends a prefix of S one transaction at a time and cuts as soon as
a read is illegal, a precedence constraint breaks or a version is installed
out of order. It remembers failed (placed set, memory) states: the rest of
the search depends on nothing else, so the memo keeps it exhaustive.
"""

from __future__ import annotations

SERIAL = "serializability"
SESSION = "session-serializability"
STRICT = "strict-serializability"
OPACITY = "opacity"
CRITERIA = (SERIAL, SESSION, STRICT, OPACITY)

MAX_TXNS = 8


def json_eq(a, b) -> bool:
    """JSON equality of two scalars: booleans equal only booleans (true != 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    return a == b  # numbers: 1 == 1.0 in JSON


def _tag(v):
    """A hashable stand-in that keeps true and 1 apart (for the memo)."""
    if isinstance(v, bool):
        return ("bool", v)
    if v is None:
        return ("null",)
    if isinstance(v, str):
        return ("str", v)
    return ("num", v)


class OTxn:
    __slots__ = ("id", "thread", "begin", "end", "status", "ops", "pos")

    def __init__(self, id, thread, begin, pos):
        self.id, self.thread, self.begin, self.pos = id, thread, begin, pos
        self.end = None
        self.status = "live"
        self.ops = []  # (kind, key, value)

    @property
    def committed(self):
        return self.status == "committed"

    def final_writes(self):
        out = {}
        for kind, key, value in self.ops:
            if kind == "write":
                out[key] = value
        return out

    def internal_ok(self):
        own = {}
        for kind, key, value in self.ops:
            if kind == "write":
                own[key] = value
            elif key in own and not json_eq(own[key], value):
                return False
        return True


class Parsed:
    def __init__(self, doc: dict):
        self.initial = {str(k): v for k, v in (doc.get("initial") or {}).items()}
        versions = doc.get("versions")
        self.versions = None if versions is None else {str(k): list(v) for k, v in versions.items()}
        self.versions_open = {str(k) for k in doc.get("versions_open", ())}
        self.txns: list[OTxn] = []
        by_id = {}
        for i, e in enumerate(doc["events"]):
            op = e["op"]
            if op == "begin":
                assert e["txn"] not in by_id, "oracle expects well-formed histories"
                t = OTxn(e["txn"], e["thread"], i, len(self.txns))
                by_id[e["txn"]] = t
                self.txns.append(t)
                continue
            t = by_id[e["txn"]]
            assert t.end is None and t.thread == e["thread"]
            if op in ("read", "write"):
                t.ops.append((op, str(e["key"]), e["value"]))
            else:
                t.end = i
                t.status = "committed" if op == "commit" else "aborted"
        self.by_id = by_id

    def members(self, criterion):
        if criterion == OPACITY:
            return list(self.txns)
        return [t for t in self.txns if t.committed]

    def must_precede(self, criterion, a: OTxn, b: OTxn) -> bool:
        """Does the criterion force a before b (a != b)?"""
        if criterion in (STRICT, OPACITY):
            if a.end is not None and a.end < b.begin:
                return True
        if criterion == SESSION:
            if a.thread == b.thread and a.begin < b.begin:
                return True
        return False

    def internal_violation(self) -> bool:
        return any(not t.internal_ok() for t in self.txns)


def parse(doc) -> Parsed:
    return doc if isinstance(doc, Parsed) else Parsed(doc)


def _reads_legal(t: OTxn, memory: dict) -> bool:
    own = {}
    for kind, key, value in t.ops:
        if kind == "write":
            own[key] = value
        else:
            expected = own[key] if key in own else memory.get(key)
            if not json_eq(expected, value):
                return False
    return True


def decide(doc, criterion: str):
    """(holds, witness order of txn ids or None), by exhaustive search."""
    h = parse(doc)
    if criterion not in CRITERIA:
        raise ValueError(criterion)
    members = h.members(criterion)
    if any(not t.internal_ok() for t in members):
        return False, None
    n = len(members)
    if n > MAX_TXNS:
        raise ValueError(f"the oracle is for at most {MAX_TXNS} transactions, got {n}")
    preds = [0] * n
    for i, a in enumerate(members):
        for j, b in enumerate(members):
            if i != j and h.must_precede(criterion, a, b):
                preds[j] |= 1 << i
    finals = [t.final_writes() if t.committed else {} for t in members]
    versions = h.versions or {}
    writers_mask = {}
    for i, f in enumerate(finals):
        for key in f:
            writers_mask[key] = writers_mask.get(key, 0) | (1 << i)
    full = (1 << n) - 1
    failed = set()
    order = []

    def installs_in_order(i, mask):
        for key, value in finals[i].items():
            if key in versions:
                slot = bin(mask & writers_mask[key]).count("1")
                listed = versions[key]
                if slot >= len(listed):
                    if key not in h.versions_open:
                        return False
                elif not json_eq(listed[slot], value):
                    return False
        return True

    def rec(mask, memory):
        if mask == full:
            return True
        memo = (mask, tuple(sorted((k, _tag(v)) for k, v in memory.items())))
        if memo in failed:
            return False
        for i in range(n):
            bit = 1 << i
            if mask & bit or preds[i] & ~mask:
                continue
            t = members[i]
            if not _reads_legal(t, memory):
                continue
            if not installs_in_order(i, mask):
                continue
            nxt = memory
            if finals[i]:
                nxt = dict(memory)
                nxt.update(finals[i])
            order.append(t.id)
            if rec(mask | bit, nxt):
                return True
            order.pop()
        failed.add(memo)
        return False

    if rec(0, dict(h.initial)):
        return True, list(order)
    return False, None


def decide_all(doc) -> dict:
    h = parse(doc)
    return {c: decide(h, c)[0] for c in CRITERIA}


def check_witness(doc, criterion: str, order) -> str | None:
    """None when `order` is a legal witness for `criterion`, else what is wrong.

    Independent of `decide`: replays the order once against one memory.
    """
    h = parse(doc)
    members = h.members(criterion)
    ids = [t.id for t in members]
    if order is None:
        return "no order"
    if len(order) != len(set(map(repr, order))):
        return "the order repeats a transaction"
    if sorted(map(repr, order)) != sorted(map(repr, ids)):
        return f"the order {order!r} must list exactly {ids!r}"
    by_id = {t.id: t for t in members}
    txns = [by_id[i] for i in order]
    if any(not t.internal_ok() for t in members):
        return "an own write is not read back: no order is a witness"
    for x, a in enumerate(txns):
        for b in txns[:x]:
            if h.must_precede(criterion, a, b):
                return f"{a.id} must come before {b.id}"
    memory = dict(h.initial)
    installed = {}
    for t in txns:
        if not _reads_legal(t, memory):
            return f"a read of {t.id} is illegal in this order"
        if t.committed:
            for key, value in t.final_writes().items():
                if h.versions is not None and key in h.versions:
                    slot = installed.get(key, 0)
                    listed = h.versions[key]
                    if (slot >= len(listed) and key not in h.versions_open) or (
                            slot < len(listed) and not json_eq(listed[slot], value)):
                        return f"{t.id} installs {key}={value!r} out of the 'versions' order"
                    installed[key] = slot + 1
                memory[key] = value
    return None
