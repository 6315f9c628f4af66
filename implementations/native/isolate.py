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
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import signal
import sys
import traceback


class NativeCrash(RuntimeError):
    """The child process running native code died of a signal."""

    def __init__(self, signum: int, detail: str = ""):
        name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else f"signal {signum}"
        super().__init__(f"native code crashed with {name}" + (f" ({detail})" if detail else ""))
        self.signum = signum
        self.signal_name = name


class ChildFailed(RuntimeError):
    """The child raised a Python exception (its traceback went to stderr)."""


def run_isolated(fn, *args):
    """Yield the items of `fn(*args)`, computed in a forked child."""
    sys.stdout.flush()
    sys.stderr.flush()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            faulthandler.disable()  # the crash is the parent's to report, not a dump on stderr
            os.close(r)
            with os.fdopen(w, "wb") as out:
                for item in fn(*args):
                    pickle.dump(item, out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()
        except BrokenPipeError:
            code = 0  # the parent stopped listening: not an error
        except BaseException:
            traceback.print_exc()
            code = 70
        finally:
            os._exit(code)
    os.close(w)
    finished = False
    try:
        with os.fdopen(r, "rb") as inp:
            while True:
                try:
                    item = pickle.load(inp)
                except EOFError:
                    break
                yield item
        finished = True
    finally:
        if not finished:
            _kill(pid)
        _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        raise NativeCrash(os.WTERMSIG(status))
    if os.WEXITSTATUS(status) != 0:
        raise ChildFailed(f"the native worker process failed (exit status {os.WEXITSTATUS(status)})")


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
