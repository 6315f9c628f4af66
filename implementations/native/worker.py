"""Native sessions hosted in a child process, so that a crash in C is a finding.

When the Python runtime drives a native design (design.py), every design
call runs C code of the design under test, which may segfault. In-process,
that would kill stmcheck. Here the C session lives in a *worker*: a child
forked once per native library (after it is loaded, so nothing is re-imported
or rebuilt), which serves design calls over two pipes, one request and one
reply per machine step (the serving loop is C: `stm_session_serve` in
controlled.c). When the worker dies of a signal, the call that was running
raises `NativeCrash` in the parent; the runtime turns that into a `crash`
counterexample with the schedule of the run, and the next session starts a
fresh worker.

Why a persistent worker and not a fork per execution or a pre-flight run:
a fork per execution costs more than a whole execution of a small workload,
and a pre-flight cannot know the schedule in advance (DPOR and PCT choose as
the run goes); a round trip per step keeps the C side's memory exactly in
step with the runtime's mirror, and every crash is caught where it happens.

Protocol (all int64, native byte order): a request is 6 words
(cmd, session, a, b, c, d); NEW is followed by `nkeys` initial values and
answered by (session, ncells) and `ncells` values; CALL and RESUME are
answered by 8 words (done, result, status, value, op, obj, x, y): when done,
`status`/`value` are the call's outcome, else (op, obj, x, y) is the parked
access. FREE is not answered.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import struct
import sys
import traceback

from .isolate import NativeCrash
from .loader import load, split_design

NEW, CALL, RESUME, FREE = 1, 2, 3, 4
REQ = struct.Struct("=6q")
REPLY = struct.Struct("=8q")
HEAD = struct.Struct("=2q")

_workers: dict = {}


class WorkerFailed(RuntimeError):
    """The worker process ended without a signal (an internal error)."""


def _readn(fd: int, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return buf
        buf += chunk
    return buf


class Worker:
    """One child process serving sessions of one native design library."""

    def __init__(self, spec: str):
        self.lib, name = load("controlled", spec)  # build errors surface here, in the parent
        sys.stdout.flush()
        sys.stderr.flush()
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                faulthandler.disable()  # a crash is the parent's to report, not a dump on stderr
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent
                for other in list(_workers.values()):
                    other._close_fds()
                os.close(req_w)
                os.close(rep_r)
                code = 0 if self.lib.stm_session_serve(name.encode(), req_r, rep_w) == 0 else 70
            except BaseException:
                traceback.print_exc()  # a bug here, not in the design under test
                code = 70
            finally:
                os._exit(code)
        os.close(req_r)
        os.close(rep_w)
        self.pid, self.req, self.rep = pid, req_w, rep_r
        self.owner = os.getpid()  # a forked copy of this process must not share the pipes
        self.dead: str | None = None

    def _close_fds(self) -> None:
        fds, self.req, self.rep = (self.req, self.rep), -1, -1  # never close a reused number twice
        for fd in fds:
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _died(self):
        """The worker is gone: reap it and raise what happened."""
        self._close_fds()
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            status = 0
        if os.WIFSIGNALED(status):
            exc = NativeCrash(os.WTERMSIG(status))
        else:
            exc = WorkerFailed(f"the native worker process ended (exit status {os.WEXITSTATUS(status)})")
        self.dead = str(exc)
        raise exc

    def request(self, req: bytes, reply_size: int) -> bytes:
        if self.dead or self.owner != os.getpid():
            raise WorkerFailed(f"the native worker is gone or belongs to another process: {self.dead}")
        try:
            os.write(self.req, req)
            out = _readn(self.rep, reply_size)
        except (BrokenPipeError, OSError):
            out = b""
        if len(out) < reply_size:
            self._died()
        return out

    def close(self) -> None:
        if self.dead is None and self.owner == os.getpid():
            self.dead = "closed"
            self._close_fds()
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass


def _worker(spec: str) -> Worker:
    name, source, symbol = split_design(spec)
    key = (name, source and os.path.abspath(source), symbol)
    w = _workers.get(key)
    if w is not None and w.owner != os.getpid():  # inherited through a fork: not ours to talk to
        w._close_fds()
        w.dead = "inherited"
    if w is None or w.dead:
        w = _workers[key] = Worker(spec)
    return w


class IsolatedSession:
    """A native session in the worker; the same calls as design.InProcessSession."""

    def __init__(self, spec: str, threads: int, initial: list):
        self.worker = w = _worker(spec)
        head = w.request(REQ.pack(NEW, 0, threads, len(initial), 0, 0)
                         + struct.pack(f"={len(initial)}q", *initial), HEAD.size)
        self.sid, n = HEAD.unpack(head)
        if self.sid < 0:
            raise ValueError(f"cannot start a session of {spec} with {threads} threads")
        self.values = list(struct.unpack(f"={n}q", w.request(b"", 8 * n))) if n else []

    def call(self, t: int, call: int, key: int = 0, value: int = 0) -> tuple:
        return REPLY.unpack(self.worker.request(REQ.pack(CALL, self.sid, t, call, key, value), REPLY.size))

    def resume(self, t: int) -> tuple:
        return REPLY.unpack(self.worker.request(REQ.pack(RESUME, self.sid, t, 0, 0, 0), REPLY.size))

    def close(self) -> None:
        w = self.worker
        if w.dead is None and w.owner == os.getpid():
            try:
                os.write(w.req, REQ.pack(FREE, self.sid, 0, 0, 0, 0))
            except OSError:
                pass


def shutdown() -> None:
    """Stop every worker (they also stop by themselves when this process exits)."""
    for w in list(_workers.values()):
        w.close()
    _workers.clear()
