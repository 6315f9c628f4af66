"""Running native code in a child process, so that its crash is a finding.

A broken design under test may segfault; stmcheck must report that as a
`crash`, not die of it. `run_isolated(fn, *args)` forks; the child runs the
generator `fn(*args)` and sends each item it yields up a pipe (pickled);
the parent yields them as they arrive, so the parent can check one history
while the child produces the next (two cores are used). When the child dies
of a signal, the parent raises `NativeCrash` after the last item received;
anything else the child writes to `shared` (an anonymous shared mapping
made before the fork) survives for the report, such as the schedule prefix.

Why fork and not multiprocessing: nothing needs to be re-imported or
pickled on the way in (the C libraries are loaded already), and the crash of
the child is seen directly in its wait status.

A child that spins inside the design (a `for (;;)` in read) never sends and
never dies; `quiet_after` bounds that: once that monotonic time has passed,
silence for `grace` seconds kills the child and raises `NativeHang`.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback


class NativeCrash(RuntimeError):
    """The child process running native code died of a signal."""

    def __init__(self, signum: int, detail: str = ""):
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else f"signal {signum}"
        super().__init__(f"native code crashed with {name}" + (f" ({detail})" if detail else ""))
        self.signum = signum
        self.signal_name = name


class NativeHang(NativeCrash):
    """The child produced nothing long after it should have finished: it was killed."""

    def __init__(self, seconds: float):
        RuntimeError.__init__(self, f"native code did not return within {seconds:g} s after the run should have "
                              f"ended (a thread spinning or blocked inside the design?); it was killed")
        self.signum = signal.SIGKILL
        self.signal_name = "hang"


class ChildFailed(RuntimeError):
    """The child raised a Python exception (its traceback went to stderr)."""


def run_isolated(fn, *args, quiet_after: float | None = None, grace: float = 10.0):
    """Yield the items of `fn(*args)`, computed in a forked child.

    With `quiet_after` (a `time.monotonic()` value), the child must send its
    next item or finish within `grace` seconds of that time, else `NativeHang`.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            faulthandler.disable()  # the crash is the parent's to report, not a dump on stderr
            os.close(r)
            for item in fn(*args):
                data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
                _write_all(w, _LENGTH.pack(len(data)) + data)
        except BrokenPipeError:
            code = 0  # the parent stopped listening: not an error
        except BaseException:
            traceback.print_exc()
            code = 70
        finally:
            os._exit(code)
    os.close(w)
    until = None if quiet_after is None else quiet_after + grace
    finished = hung = False
    try:
        while True:
            head, body = _read_exact(r, _LENGTH.size, until), b""
            if head is not None and len(head) == _LENGTH.size:
                size = _LENGTH.unpack(head)[0]
                body = _read_exact(r, size, until)
                if body is not None and len(body) == size:
                    yield pickle.loads(body)
                    continue
            hung = head is None or body is None
            break  # end of file (or a torn item: the child died while sending)
        finished = not hung
    finally:
        os.close(r)
        if not finished:
            _kill(pid)
        _, status = os.waitpid(pid, 0)
    if hung:
        raise NativeHang(grace)
    if os.WIFSIGNALED(status):
        raise NativeCrash(os.WTERMSIG(status))
    if os.WEXITSTATUS(status) != 0:
        raise ChildFailed(f"the native worker process failed (exit status {os.WEXITSTATUS(status)})")


_LENGTH = struct.Struct("<Q")   # each item is sent as its pickle's length, then the pickle


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exact(fd: int, n: int, until: float | None) -> bytes | None:
    """`n` bytes from `fd`, fewer at end of file; None if `until` (monotonic) passes first."""
    parts, got = [], 0
    while got < n:
        if until is not None:
            left = until - time.monotonic()
            if not select.select([fd], [], [], max(left, 0))[0]:
                return None
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
