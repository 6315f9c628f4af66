"""The native (C) linearizability search, built with cffi on first use.

Why native: the pure-Python search (`search.search_python`) spends about a
microsecond per step, and Porcupine's test histories need up to a million
steps; in C a step is tens of nanoseconds. The specification stays in
Python: C asks `trans(state, op)` through a callback and caches every answer,
so user-written specs work unchanged and Python runs once per distinct
(state, operation) pair instead of once per step.

Build: the C source (core.c, next to this file) goes through the shared
builder, stmcheck.models.cbuild, like the native STM designs and the fast
JSON Lines reader: the compiler is $CC, else cc, gcc or clang on PATH; the
library is compiled into the per-user cache (`$STMCHECK_CACHE`, else
`$XDG_CACHE_HOME/stmcheck`, else `~/.cache/stmcheck`; a private folder in
the temporary directory when the cache cannot be written) as
`lincore-<hash>.so`, the hash covering the source, the compiler, the flags
and the cffi declarations, so a change rebuilds and nothing else does; it
is marked as used on every load, a new build prunes the builds unused for a
day, and it is loaded with cffi's ABI mode (no Python headers needed). No
compiler, no cffi, or `STMCHECK_NO_NATIVE` set: `available()` is False and
the checker uses the Python search.
"""

from __future__ import annotations

import os
import time

from stmcheck.models import cbuild, specs
from stmcheck.models.history import FALSE, TRUE
from stmcheck.models.specs import UNKNOWN

from .base import REJECT, Outcome, Part, StepLimit, Timeout, event_list, transition

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "core.c")
CFLAGS = ("-O2", "-fPIC", "-shared")
CDEF = """
typedef int (*lin_trans_fn)(int state, int op);
typedef struct lin_ctx lin_ctx;
lin_ctx *lin_new(int n, int m, const int *ev_op, const unsigned char *ev_call,
                 const unsigned char *completed, int init, lin_trans_fn trans, int kernel,
                 const int *op_kind, const int *op_a, const int *op_b, const int *op_res,
                 int nstr, const unsigned char *str_bytes, const long long *str_off, const int *str_len);
int lin_run(lin_ctx *x, double budget, long long max_steps);
long long lin_result(lin_ctx *x, int *out_order, int *out_prefix, int *out_info,
                     unsigned char *out_str, long long out_cap);
void lin_free(lin_ctx *x);
"""
_library = cbuild.OnDemand(SOURCE, CDEF, "lincore", "the linearizability core", CFLAGS)


class NativeError(RuntimeError):
    """The native core could not be built or ran out of memory."""


def load():
    """The cffi (ffi, lib) pair, building the library if needed; raises NativeError."""
    loaded = _library.get()
    if loaded is None:
        raise NativeError(_library.error)
    return loaded


def available() -> bool:
    try:
        load()
        return True
    except NativeError:
        return False


def kernel_for(part: Part) -> int:
    """Which C kernel can run this part's spec exactly (0: the Python callback)."""
    t = type(part.spec)
    if t is specs.Register or t is specs.CasRegister:
        return 1
    if t is specs.KV and part.key is not None:
        return 2
    return 0


def _kernel_arrays(part: Part, kernel: int):
    """Per-operation codes for kernels 1 and 2, the initial state and the string table.

    Kernel 1 interns values (a dict, so ids are equal exactly when the frozen
    values are); kernel 2 interns strings as UTF-8. Result -1 means "any
    result" (pending or unknown); -2 a result that can never match.
    """
    ops = part.ops
    kind, a, b, res = [], [], [], []
    if kernel == 1:
        values: dict = {}

        def vid(v):
            return values.setdefault(v, len(values))
        init = vid(part.init)
        codes = {"read": 0, "write": 1, "cas": 2}
        for o in ops:
            kind.append(codes[o.op])
            a.append(vid(o.args[0]) if o.args else 0)
            b.append(vid(o.args[1]) if len(o.args) > 1 else 0)
            if o.ret is None or o.result is UNKNOWN:
                res.append(-1)
            elif o.op == "cas":
                res.append(1 if o.result is TRUE else 0 if o.result is FALSE else -2)
            elif o.op == "read":
                res.append(vid(o.result))
            else:
                res.append(-1)  # write's result is not compared by kernel 1 ...
                if o.result is not None:
                    res[-1] = -2  # ... unless it can never match (the spec returns null)
        return kind, a, b, res, init, [v for v in values], None
    strings: dict = {}

    def sid(text):
        return strings.setdefault(text, len(strings))
    init = sid(dict(part.init).get(part.key, ""))
    codes = {"get": 0, "put": 1, "append": 2}
    for o in ops:
        kind.append(codes[o.op])
        a.append(sid(o.args[1]) if len(o.args) > 1 else 0)
        b.append(0)
        if o.ret is None or o.result is UNKNOWN:
            res.append(-1)
        elif o.op == "get":
            res.append(sid(o.result) if type(o.result) is str else -2)
        else:
            res.append(-1 if o.result is None else -2)
    encoded = [t.encode("utf-8") for t in strings]
    return kind, a, b, res, init, None, encoded


class NativeSearch:
    """`PythonSearch`'s contract, run in C (kernel: force one, for tests)."""

    def __init__(self, part: Part, kernel: int | None = None):
        ffi, lib = self._ffi, self._lib = load()
        self.part = part
        self.explored = 0
        ops = part.ops
        n = self.n = len(ops)
        events = event_list(ops)
        m = len(events)
        self.kernel = kernel = kernel_for(part) if kernel is None else kernel
        self.states = [part.init]
        self.errors: list = []
        self.encoded: list = []
        if kernel == 0:
            trans = [transition(part.spec, o) for o in ops]
            states, ids = self.states, {part.init: 0}

            def step(s, i):
                new = trans[i](states[s])
                if new is REJECT:
                    return -1
                sid = ids.get(new)
                if sid is None:
                    sid = len(states)
                    states.append(new)
                    ids[new] = sid
                return sid
            kind = a = b = res = [0] * n
            init = 0
        else:
            kind, a, b, res, init, values, encoded = _kernel_arrays(part, kernel)
            if values is not None:
                self.states = values
            self.encoded = encoded or []

            def step(s, i):  # never called by kernels 1 and 2
                return -2

        def on_error(exc_type, exc, tb):
            self.errors.append(exc)
            return -2

        self._callback = ffi.callback("lin_trans_fn", step, onerror=on_error)
        encoded = self.encoded
        offsets, pos = [], 0
        for e in encoded:
            offsets.append(pos)
            pos += len(e)
        self.cap = (max((len(e) for e in encoded), default=0)
                    + sum(len(encoded[x]) for x, k in zip(a, kind) if k == 2)) if kernel == 2 else 0
        ctx = lib.lin_new(n, m, ffi.new("int[]", [i for _, _, i in events] or [0]),
                          ffi.new("unsigned char[]", [1 - k for _, k, _ in events] or [0]),
                          ffi.new("unsigned char[]", [0 if o.ret is None else 1 for o in ops] or [0]),
                          init, self._callback, kernel,
                          *[ffi.new("int[]", x or [0]) for x in (kind, a, b, res)],
                          len(encoded), ffi.new("unsigned char[]", b"".join(encoded) or b"\0"),
                          ffi.new("long long[]", offsets or [0]),
                          ffi.new("int[]", [len(e) for e in encoded] or [0]))
        if ctx == ffi.NULL:
            raise MemoryError("the linearizability search ran out of memory")
        self._ctx = ffi.gc(ctx, lib.lin_free)

    def run(self, deadline: float | None = None, max_steps: int | None = None) -> Outcome | None:
        ffi, lib = self._ffi, self._lib
        budget = -1.0 if deadline is None else max(0.0, deadline - time.monotonic())
        rc = lib.lin_run(self._ctx, budget, -1 if max_steps is None else max_steps)
        n = self.n
        out_order = ffi.new("int[]", n + 1)
        out_prefix = ffi.new("int[]", n + 1)
        out_info = ffi.new("int[]", 5)
        out_str = ffi.new("unsigned char[]", self.cap + 1)
        self.explored = lib.lin_result(self._ctx, out_order, out_prefix, out_info, out_str, self.cap)
        if rc == -4:
            return None
        if rc == -2:
            raise self.errors[0] if self.errors else NativeError("the native search failed")
        if rc == -3:
            raise MemoryError("the linearizability search ran out of memory")
        if rc == -1:
            raise Timeout(self.explored)
        if rc == 1:
            return Outcome(True, order=list(out_order[0:out_info[0]]), explored=self.explored)
        if self.kernel == 2:
            text = bytes(ffi.buffer(out_str, out_info[4])).decode("utf-8")
            state = ((self.part.key, text),) if text != "" else ()
        else:
            state = self.states[out_info[3]]
        return Outcome(False, prefix=list(out_prefix[0:out_info[1]]), blocked=out_info[2],
                       blocked_state=state, explored=self.explored)


def search(part: Part, deadline: float | None = None, max_steps: int | None = None,
           kernel: int | None = None) -> Outcome:
    """Run the native search on one part to the end (StepLimit after max_steps)."""
    searcher = NativeSearch(part, kernel)
    out = searcher.run(deadline, max_steps)
    if out is None:
        raise StepLimit(searcher.explored)
    return out
