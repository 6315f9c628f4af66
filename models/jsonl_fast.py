"""The fast path for reading JSON Lines histories: a C scanner (jsonl_fast.c) via cffi.

Why: at 10^6 transactions (about 7M lines) reading was most of the cost of
`stmcheck check`: a Python dict per line, then the builder's checks. The C
scanner parses, checks every well-formedness rule and interns ids, keys and
string values in one pass, and Python turns its arrays into the same
`History` the builder makes, with a handful of C-level list operations.

Exactness: the scanner accepts a line only where the Python reader is sure
to read the same thing (see the C file); on anything else, a history error
included, `read` returns None and the caller reads the whole file with the
Python reader, so every message, exit code and value rule stays its. Built
at first use with the system C compiler into the shared cache
(stmcheck.models.cbuild); without a compiler or cffi, or with
`STMCHECK_NO_NATIVE` set, `read` returns None (a debug log line says why).
"""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import stat
import sys

from . import cbuild
from .history import ABORTED, COMMITTED, FALSE, LIVE, READ, TRUE, WRITE, EventLines, HistoryBuilder, Txn

_log = logging.getLogger(__name__)

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jsonl_fast.c")
CFLAGS = ("-std=gnu11", "-O2", "-fPIC", "-shared")
CDEF = """
typedef struct {
    char *bytes; uint64_t len, cap;
    int64_t *off; uint32_t *slen; uint8_t *tag;
    uint64_t n, ncap;
    uint32_t *slots; uint64_t nslots;
} jr_table;
typedef struct {
    int64_t events, txns, ops, line;
    const char *reason;
    jr_table threads, ids, keys, strings, raws;
    uint32_t *t_thread, *t_begin;
    int64_t *t_end;
    uint8_t *t_status;
    uint8_t *t_reread;
    uint64_t *t_ops;
    uint64_t tcap;
    uint8_t *g_kind, *g_vtag;
    uint32_t *g_key, *g_idx;
    int64_t *g_val;
    int64_t nonint;
    uint32_t *o_txn, *o_key, *o_idx;
    uint8_t *o_kind, *o_vtag;
    int64_t *o_val;
    uint64_t ocap;
    int32_t *running;
    uint64_t rcap;
    int64_t *l_start, *l_first, *l_step;
    uint64_t nruns, lcap;
} jr_result;
jr_result *jr_read(int fd, int64_t offset, int64_t line, int64_t max_line, int *status);
void jr_free(jr_result *r);
"""
_OK, _FALLBACK = 0, 1
_library = cbuild.OnDemand(SOURCE, CDEF, "jsonl", "the fast JSON Lines reader", CFLAGS)


class _Fallback(Exception):
    """The arrays hold something the Python reader must judge (e.g. a string that is not UTF-8)."""


def _load():
    """(ffi, lib), or None when the fast path is unavailable here (cached either way)."""
    loaded = _library.get()
    if loaded is None and _library.error is not None:
        _log.debug("fast JSON Lines reader unavailable: %s", _library.error)
    return loaded


def available() -> bool:
    return _load() is not None


def read(handle, initial: dict, versions: dict | None, first_line: int = 1, max_line: int = 16 << 20,
         loads=None):
    """The History of the events from `handle`'s position on (a regular file), or None.

    None means: read it with the Python reader (anything unusual, any error,
    a line longer than `max_line` bytes, no fast path here). A `versions` map
    that does not match the committed writes raises the builder's
    HistoryError, as the Python reader would. `loads` decodes the JSON tokens
    of odd values (floats, long integers, escaped strings): the Python
    reader's own function, so that both read them alike; any error it raises
    hands the file to the Python reader.
    """
    loaded = _load()
    if loaded is None:
        return None
    ffi, lib = loaded
    fd = handle.fileno()
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        return None  # a pipe cannot be read twice: leave it to the Python reader
    status = ffi.new("int *")
    result = lib.jr_read(fd, handle.tell(), first_line, max_line, status)
    if result == ffi.NULL:
        return None
    try:
        if status[0] != _OK:
            why = ffi.string(result.reason).decode() if result.reason != ffi.NULL else f"status {status[0]}"
            _log.debug("fast JSON Lines reader gave up at line %d (%s); reading in Python", result.line, why)
            return None
        enabled = gc.isenabled()
        gc.disable()  # millions of new tuples would trigger needless collections
        try:
            return _history(ffi, result, initial, versions, loads or _DECODER.decode)
        except _Fallback as exc:
            _log.debug("fast JSON Lines reader gave up (%s); reading in Python", exc)
            return None
        except Exception as exc:  # a fast path never fails a read: the Python reader decides
            _log.debug("fast JSON Lines reader failed (%r); reading in Python", exc)
            return None
        finally:
            if enabled:
                gc.enable()
    finally:
        lib.jr_free(result)


def _table(ffi, t) -> list:
    """An interned table as Python objects: ints, or str (decoded strictly as UTF-8)."""
    n = t.n
    if n == 0:
        return []
    values = ffi.unpack(t.off, n)
    tags = ffi.buffer(t.tag, n)[:]
    if b"\x01" not in tags and b"\x02" not in tags:
        return values
    arena = ffi.buffer(t.bytes, t.len)[:]
    lengths = ffi.unpack(t.slen, n)
    try:
        if b"\x00" not in tags and b"\x02" not in tags:  # all ASCII strings: decode once, slice
            text = arena.decode("ascii")
            return [text[o:o + k] for o, k in zip(values, lengths)]
        for i, tag in enumerate(tags):
            if tag:
                o = values[i]
                values[i] = arena[o:o + lengths[i]].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Fallback(f"a string that is not UTF-8: {exc}") from None
    return values


_KINDS = (READ, WRITE)
_STATUS = (LIVE, COMMITTED, ABORTED)
_CONSTANTS = (None, TRUE, FALSE)


_DECODER = json.JSONDecoder()


def _token(text: str, loads):
    """One JSON value token, decoded as the Python reader decodes it."""
    try:
        return loads(text)
    except (ValueError, RecursionError) as exc:  # e.g. a bad escape: the Python reader names the line
        raise _Fallback(f"a value the Python reader rejects: {exc}") from None


def _view(ffi, ptr, n: int, fmt: str, size: int):
    """The C array as a memoryview of ints: iterating it makes each int as it is used, no list."""
    return memoryview(ffi.buffer(ptr, n * size)).cast(fmt) if n else ()


def _history(ffi, r, initial, versions, loads):
    threads = _table(ffi, r.threads)
    ids = _table(ffi, r.ids)
    intern = sys.intern
    keys = [intern(k) for k in _table(ffi, r.keys)]
    nt, no = r.txns, r.ops
    values = _view(ffi, r.g_val, no, "q", 8)
    if r.nonint:
        values = values.tolist()
        strings, raws = _table(ffi, r.strings), _table(ffi, r.raws)
        vtags = ffi.buffer(r.g_vtag, no)[:]
        for m in re.finditer(b"[^\x00]", vtags):
            i = m.start()
            tag = vtags[i]
            if tag == 1:
                values[i] = strings[values[i]]
            elif tag == 5:  # a float, a long integer, an escaped string: json decodes its token
                values[i] = _token(raws[values[i]], loads)
            else:
                values[i] = _CONSTANTS[tag - 2]
    ops = list(zip(map(_KINDS.__getitem__, _view(ffi, r.g_kind, no, "B", 1)),
                   map(keys.__getitem__, _view(ffi, r.g_key, no, "I", 4)),
                   values,
                   _view(ffi, r.g_idx, no, "I", 4)))
    starts = ffi.unpack(r.t_ops, nt + 1)
    op_lists = list(map(ops.__getitem__, map(slice, starts, starts[1:])))
    del ops, starts
    ends = _view(ffi, r.t_end, nt, "q", 8)
    status = ffi.buffer(r.t_status, nt)[:] if nt else b""
    if 0 in status:
        ends = [None if e < 0 else e for e in ends]
    txns = list(map(Txn, ids, map(threads.__getitem__, _view(ffi, r.t_thread, nt, "I", 4)),
                    range(nt), _view(ffi, r.t_begin, nt, "I", 4), ends,
                    map(_STATUS.__getitem__, status), op_lists))
    reread = ffi.buffer(r.t_reread, nt)[:] if nt else b""
    rereads = [txns[m.start()] for m in re.finditer(b"\x01", reread)]
    history = HistoryBuilder(initial, versions).adopt(txns, r.events, rereads)
    nruns = r.nruns
    history.lines = EventLines.from_runs(ffi.unpack(r.l_start, nruns), ffi.unpack(r.l_first, nruns),
                                         ffi.unpack(r.l_step, nruns), r.events) if nruns else EventLines()
    return history
