"""Cobra's per-client logs (`stmcheck check FOLDER --format cobra`).

Cobra (Tan et al., OSDI 2020) checks serializability of histories that its
benchmark, CobraBench, records from a database: each client thread appends its
committed transactions to its own binary file `T<thread>.log` in one folder,
and the verifier reads every `*.log` file there. Each entry is a one-byte tag
and big-endian 64-bit integers:

    S txn                       a transaction begins
    W write_id key value        a write (key and value are hashes)
    R writer_txn write_id key value
                                a read, naming the write it read (reads-from is known)
    C txn                       it commits

Aborted transactions are not logged (CobraBench drops their entries); an `A
txn` entry, which it never writes, is read as an abort. A read of the initial
state names a reserved writer (0xbebeebee: a value loaded before the run,
0xdeadbeef: no value); a delete writes the reserved id 0xabcdefab.

Mapping onto stmcheck's model: one transaction per S..C, `thread` = the file's
name, ids and keys in hexadecimal; a write's value is its write id (unique), a
read's value the write id it names, so reads-from is exact; reads of the
initial state and deletes read and write null. A read whose value hash is not
the one its write logged read something nobody wrote (`thin-air`). The logs
keep each client's order and nothing else: no clock, no order across clients.
So the history has `real_time = False` (the real-time criteria are refused by
the checker) and only each thread's order means anything; transactions are
laid out round-robin across clients, an order nothing is judged by. What is
left out: the rounds mode's fence and garbage-collection transactions are read
as ordinary ones; logs written with timestamps (the verifier's TIME_ORDER_ON)
are not read.
"""

from __future__ import annotations

import os
import re
import struct

from .formats import open_input, read_document_bytes
from .history import HistoryBuilder, HistoryError, History

INIT_TXN, NULL_TXN, DELETE_ID = 0xBEBEEBEE, 0xDEADBEEF, 0xABCDEFAB
_SIZES = {ord("S"): 9, ord("C"): 9, ord("A"): 9, ord("W"): 25, ord("R"): 33}
_LONGS = {9: struct.Struct(">Q"), 25: struct.Struct(">QQQ"), 33: struct.Struct(">QQQQ")}


class _Txn:
    __slots__ = ("id", "thread", "file", "offset", "ops", "end")

    def __init__(self, txn_id, thread, file, offset):
        self.id, self.thread, self.file, self.offset = txn_id, thread, file, offset
        self.ops: list = []     # ("W", wid, key, value hash) or ("R", writer txn, wid, key, value hash, offset)
        self.end = None         # "commit" or "abort"


def read_cobra(folder: str) -> History:
    """Read a folder of Cobra client logs (see the module docstring)."""
    if not os.path.isdir(folder):
        raise HistoryError("is not a folder: --format cobra reads a folder of Cobra's per-client *.log files",
                           where=folder)
    try:
        names = sorted((n for n in os.listdir(folder) if n.endswith(".log")), key=_natural)
    except OSError as exc:
        raise HistoryError(f"cannot read: {exc.strerror or exc}", where=folder) from None
    names = [n for n in names if os.path.isfile(os.path.join(folder, n))]
    if not names:
        raise HistoryError("holds no *.log files (Cobra's logs are one T<thread>.log per client)", where=folder)
    clients = []
    for name in names:
        path = os.path.join(folder, name)
        with open_input(path) as handle:
            data = read_document_bytes(handle, path)
        clients.append(_parse(data, path, name[:-len(".log")]))
    return _build(clients, folder)


def _natural(name: str):
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def _parse(data: bytes, path: str, thread: str) -> list:
    """The transactions of one client log, in its order."""
    def fail(offset, message):
        raise HistoryError(f"offset {offset}: {message}", where=path)

    txns, cur, i, n = [], None, 0, len(data)
    while i < n:
        tag = data[i]
        size = _SIZES.get(tag)
        if size is None:
            fail(i, f"unknown entry type byte 0x{tag:02x} (expected S, W, R, C or A; logs written with "
                    "timestamps are not read)")
        if i + size > n:
            fail(i, f"the log ends inside {chr(tag)} entry ({size} bytes, {n - i} left)")
        fields = _LONGS[size].unpack_from(data, i + 1)
        op = chr(tag)
        if op == "S":
            if cur is not None:
                fail(i, f"transaction {fields[0]:x} begins while {cur.id:x} (offset {cur.offset}) has not ended")
            cur = _Txn(fields[0], thread, path, i)
        elif cur is None:
            fail(i, f"a {op} entry outside any transaction (no S before it)")
        elif op in "CA":
            if fields[0] != cur.id:
                fail(i, f"{op} of transaction {fields[0]:x} inside transaction {cur.id:x} (offset {cur.offset})")
            cur.end = "commit" if op == "C" else "abort"
            txns.append(cur)
            cur = None
        else:
            cur.ops.append((op, *fields, i))
        i += size
    if cur is not None:
        fail(cur.offset, f"transaction {cur.id:x} has no C entry (the log ends inside it)")
    return txns


def _build(clients: list, folder: str) -> History:
    seen: dict = {}
    writes: dict = {}   # write id -> (txn, key, value hash)
    for txns in clients:
        for t in txns:
            if t.id in seen:
                raise HistoryError(f"offset {t.offset}: transaction {t.id:x} also appears in {seen[t.id].file} "
                                   f"(offset {seen[t.id].offset})", where=t.file)
            seen[t.id] = t
            for op in t.ops:
                if op[0] == "W" and op[1] != DELETE_ID:
                    wid, key, value = op[1:4]
                    if wid in writes and t.end == "commit":
                        other = writes[wid][0]
                        raise HistoryError(f"offset {op[4]}: write id {wid:x} also written by transaction "
                                           f"{other.id:x} in {other.file}", where=t.file)
                    if t.end == "commit" or wid not in writes:
                        writes[wid] = (t, key, value)
    builder = HistoryBuilder()
    rounds = max((len(txns) for txns in clients), default=0)
    count = 0
    for r in range(rounds):   # round-robin: no order across clients is known, and none is judged
        for txns in clients:
            if r < len(txns):
                _add(builder, txns[r], writes)
                count += 1
    if not count:
        raise HistoryError("no transactions in any *.log file", where=folder)
    try:
        history = builder.finish()
    except HistoryError as exc:
        exc.where = folder
        raise
    history.source, history.real_time = "cobra", False
    return history


def _add(builder: HistoryBuilder, t: _Txn, writes: dict) -> None:
    name = f"{t.id:x}"
    base = {"thread": t.thread, "txn": name}
    builder.add({**base, "op": "begin"})
    for op in t.ops:
        if op[0] == "W":
            wid, key = op[1], op[2]
            builder.add({**base, "op": "write", "key": f"{key:x}", "value": None if wid == DELETE_ID else wid})
            continue
        writer, wid, key, value_hash, offset = op[1:]
        if writer in (INIT_TXN, NULL_TXN, DELETE_ID):
            value = None
        else:
            value = wid
            known = writes.get(wid)
            if known is not None:
                w, w_key, w_hash = known
                if w.id != writer:
                    raise HistoryError(f"offset {offset}: a read names transaction {writer:x} as the writer of "
                                       f"write id {wid:x}, which transaction {w.id:x} wrote", where=t.file)
                if w_key != key or w_hash != value_hash:
                    value = f"{wid:x} with value hash {value_hash:x}"   # not what that write wrote
        builder.add({**base, "op": "read", "key": f"{key:x}", "value": value})
    builder.add({**base, "op": t.end})
