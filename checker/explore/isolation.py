"""Running a user's Python design where it cannot end, stall or talk over stmcheck.

Why: a design is arbitrary code. `sys.exit()` and exceptions the runtime
catches, but `os._exit(3)`, a crash inside a C extension or `while True: pass`
inside one method would end stmcheck with the design's exit status (a CI gate
reading 0 as "clean"), or hang it past every time limit; and its prints would
interleave with `--json`. So the exploration runs in a forked worker, as the
native designs' C side already does (implementations/native/worker.py):

- the worker writes, into memory shared with this process (`Watch`), how many
  executions it ran, the schedule of the current one step by step, and whether
  it is inside the design's code right now; its stdout and stderr go to a file;
- the parent waits for the worker's result (plain data through a pipe), calls
  the progress display from the shared counts, and watches: if the worker dies
  (any exit without a result), or stays inside the design's code without taking
  a step for `step_timeout` seconds (its Python stack is dumped first, with
  faulthandler), the parent reports `Died` with the schedule that led there.

The caller turns `Died` into a `crash` counterexample (checker/api.py): the
steps before the fatal one replay safely in this process (the worker came back
from each of them), the fatal one is described, never run here.
"""

from __future__ import annotations

import faulthandler
import io
import mmap
import os
import pickle
import select
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field

from stmcheck.models.terms import Kind

from . import runtime
from .engine import Outcome, Violation
from .runtime import CRASH

# int64s: executions started, steps of the current execution, inside the design (0/1), the thread
# whose design code runs, distinct histories and steps of the finished executions (`counts`).
_HEADER = 6
OUTPUT_LIMIT = 64 * 1024   # bytes of the design's output kept for the report
INTERRUPT_GRACE = 20.0     # seconds a worker has, after a ^C, to send what it explored


class Watch:
    """Memory shared by the worker (which writes) and the parent (which reads)."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._mem = mmap.mmap(-1, 8 * _HEADER + capacity + 1)
        view = memoryview(self._mem)
        self.ints = view[:8 * _HEADER].cast("q")
        self.sched = view[8 * _HEADER:]

    def start(self) -> None:
        """A new execution begins."""
        self.ints[0] += 1
        self.ints[1] = 0

    def schedule(self) -> list:
        return list(self.sched[:min(self.ints[1], self.capacity)])

    def counts(self, outcome) -> None:
        """The explorer's running totals, after each execution (its `progress` in the worker)."""
        self.ints[4], self.ints[5] = outcome.histories, outcome.steps


@dataclass
class Died:
    """The worker ended without a result: how, and where the design was."""

    how: str                      # "exited with status 3", "was killed by SIGSEGV", "did not return within 10 s"
    schedule: list                # the current execution's steps, up to and including the last one taken
    executions: int
    histories: int
    steps: int
    in_design: bool
    thread: int                   # the thread whose design code was running (0: the constructor)
    stack: str = ""               # the worker's Python stack at a timeout
    output: str = ""
    hang: bool = False


@dataclass
class Finished:
    value: object
    output: str = ""
    error: BaseException | None = field(default=None)


def run(fn, capacity: int, step_timeout: float | None, progress=None):
    """`fn(watch)` in a forked worker: a `Finished` with its (picklable) value, or the exception
    it raised, or `Died`. `progress(executions, histories)` is called from here while it runs."""
    watch = Watch(capacity)
    out = tempfile.TemporaryFile()
    stack = tempfile.TemporaryFile()
    rfd, wfd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:                                   # the worker
        code = 0
        try:
            os.close(rfd)
            os.dup2(out.fileno(), 1)       # C-level writes
            os.dup2(out.fileno(), 2)
            sys.stdout = sys.stderr = io.TextIOWrapper(open(out.fileno(), "wb", closefd=False),
                                                       write_through=True)    # the caller may have replaced them
            faulthandler.register(signal.SIGUSR1, file=stack, all_threads=False, chain=False)
            if faulthandler.is_enabled():   # (pytest's, or PYTHONFAULTHANDLER): a crash's dump would reach
                faulthandler.enable(file=stack, all_threads=False)   # the terminal past the captured output
            runtime.WATCH = watch
            # this process is the isolation: a native design steps its C side here, not in a
            # worker of its own (implementations/native/design.py, `isolated`)
            os.environ["STMCHECK_NATIVE_INPROCESS"] = "1"
            try:
                payload = ("ok", fn(watch))
            except BaseException as exc:           # handed to the parent, raised there
                payload = ("error", exc)
            try:
                data = pickle.dumps(payload)
            except Exception as exc:
                data = pickle.dumps(("error", RuntimeError(f"the worker's result cannot be sent: {exc}")))
            with os.fdopen(wfd, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            code = 70
        finally:
            try:
                sys.stdout.flush()
            except BaseException:
                pass
            os._exit(code)
    os.close(wfd)
    try:
        with _interruptible():
            data, status, hang = _wait(pid, rfd, watch, step_timeout, progress)
    finally:
        os.close(rfd)
    output = _read(out)
    if data:
        kind, value = pickle.loads(data)
        if kind == "error":
            return Finished(None, output, error=value)
        return Finished(value, output)
    ints = watch.ints
    return Died(how=hang or _status(status), schedule=watch.schedule(), executions=int(ints[0]),
                histories=int(ints[4]), steps=int(ints[5] + ints[1]), in_design=bool(ints[2]), thread=int(ints[3]),
                stack=_read(stack) if hang else "", output=output, hang=bool(hang))


@contextmanager
def _interruptible():
    """While the worker runs, SIGINT raises KeyboardInterrupt here (for `_wait` to pass it on) even
    where it was inherited ignored (a job a script starts in the background without job control):
    a search in this process installs its own handler (`runtime.user_interrupts`), and `kill -INT`
    must stop a worker's search as it stops that one. Any other handler stays."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _wait(pid, rfd, watch, step_timeout, progress):
    """Read the worker's result while watching it; (data, wait status, hang text or None).

    A ^C here is passed on to the worker (a terminal sends it to both; the worker takes the
    two as one, `runtime.SAME_INTERRUPT`), whose search then stops and sends what it explored
    so far, as a search in this process would: the caller reports it, coverage "interrupted".
    A second ^C, or no answer within `INTERRUPT_GRACE` seconds, ends the worker at once and
    raises KeyboardInterrupt here; the worker is never left running."""
    chunks = []
    last = (-1, -1)
    since = time.monotonic()
    hang = None
    interrupted = None
    while True:
        try:
            if interrupted is not None and time.monotonic() - interrupted > INTERRUPT_GRACE:
                _end(pid)
                raise KeyboardInterrupt
            ready, _, _ = select.select([rfd], [], [], 0.1)
            if ready:
                chunk = os.read(rfd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
                continue
            ints = watch.ints
            now = time.monotonic()
            if progress is not None and interrupted is None:
                progress(int(ints[0]), int(ints[4]))
            state = (ints[0], ints[1])
            if state != last or not ints[2]:
                last, since = state, now
            elif step_timeout is not None and now - since > step_timeout:
                hang = f"did not return within {step_timeout:g} s"
                os.kill(pid, signal.SIGUSR1)          # faulthandler writes the worker's stack
                time.sleep(0.3)
                os.kill(pid, signal.SIGKILL)
                chunks = []
                break
        except KeyboardInterrupt:
            if interrupted is not None:
                _end(pid)
                raise
            interrupted = time.monotonic()
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
    _, status = os.waitpid(pid, 0)
    return b"".join(chunks), status, hang


def _end(pid: int) -> None:
    """Kill the worker and reap it."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def _status(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return f"was killed by {name}"
    return f"ended the process with exit status {os.WEXITSTATUS(status)}"


def _read(handle) -> str:
    handle.seek(0)
    data = handle.read(OUTPUT_LIMIT + 1)
    handle.close()
    text = data[:OUTPUT_LIMIT].decode("utf-8", "replace")
    return text + ("\n[... more output cut]" if len(data) > OUTPUT_LIMIT else "")


class Prefix:
    """A chooser that takes exactly `schedule`'s steps, then stops the run (never resumes
    the design after the last of them: that is where the worker died)."""

    fair = True

    def __init__(self, schedule):
        self.schedule = schedule

    def pick(self, run, enabled):
        i = len(run.schedule)
        if i >= len(self.schedule):
            return None
        t = self.schedule[i]
        return t if t in enabled else None


def _own_prefixes() -> tuple:
    checker = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return checker + os.sep, os.path.join(os.path.dirname(checker), "models") + os.sep


def design_stack(stack: str) -> str:
    """The dumped stack (most recent call first) down to the first frame of stmcheck's own:
    what the design was doing, not how stmcheck called it."""
    own = _own_prefixes()
    lines = []
    for line in stack.splitlines():
        text = line.strip()
        if text.startswith("File ") and '"' in text and os.path.abspath(text.split('"')[1]).startswith(own):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def design_frame(stack: str) -> str:
    """The innermost frame of the dumped stack that is the design's, as "function (file, line N)"."""
    own = _own_prefixes()
    for line in stack.splitlines():
        line = line.strip()
        if not line.startswith("File "):
            continue
        try:
            path = line.split('"')[1]
            where, func = line.rsplit(" in ", 1)
            number = where.rsplit("line ", 1)[1].strip()
        except (IndexError, ValueError):
            continue
        if os.path.abspath(path).startswith(own):
            continue   # stmcheck's own frames (the checker, the machine model)
        return f"{func} ({os.path.basename(path)}, line {number})"
    return ""


class _Bounded(io.StringIO):
    """A capture that keeps the first `OUTPUT_LIMIT` characters."""

    def write(self, text):
        room = OUTPUT_LIMIT - self.tell()
        if room > 0:
            super().write(text[:room])
        return len(text)


@contextmanager
def captured():
    """What the design prints while it runs in this process, kept apart from the caller's output."""
    buffer = _Bounded()
    with redirect_stdout(buffer), redirect_stderr(buffer):
        yield buffer


def plain(outcome: Outcome) -> dict:
    """An outcome as plain data a pipe can carry (a run holds generators): each violation
    by what rebuilds it, its schedule and configuration."""
    return {"executions": outcome.executions, "steps": outcome.steps, "histories": outcome.histories,
            "exhausted": outcome.exhausted, "bounds": list(outcome.bounds), "elapsed": outcome.elapsed,
            "cut": outcome.cut, "states": outcome.states, "transitions": outcome.transitions,
            "store_bytes": outcome.store_bytes, "horizon": outcome.horizon,
            "places_exhausted": outcome.places_exhausted, "went_on": outcome.went_on,
            "earlier": outcome.earlier, "saves": outcome.saves,
            "violations": [{"schedule": list(v.schedule), "config": v.config, "shrunk_from": v.shrunk_from,
                            "kind": str(v.kind), "suspected": v.suspected} for v in outcome.violations]}


def crash_outcome(explorer, died: Died) -> Outcome:
    """The worker ended, or stalled inside the design's code: a crash counterexample, shown up to
    the last step the worker came back from (those steps run here safely)."""
    if not died.in_design:
        raise WorkerLost(f"stmcheck's worker {died.how} outside the design's code (out of memory?); no verdict")
    run = explorer.new_run()
    run.execute(Prefix(died.schedule[:-1]))
    t = died.thread
    where = design_frame(died.stack)
    if t == 0:
        who = "the design's constructor"
    else:
        pending = run.pending_step(t) if died.schedule else None
        step = pending.describe().removesuffix(" = None") if pending is not None else None
        who = f"thread {t}" + (f", after its step `{step}`" if step else "")
    text = f"{who}: the design {died.how}" + (f", in {where}" if where else "")
    run.outcome = CRASH
    run.detail = {"thread": t or None, "error": f"the design {died.how}" + (f" in {where}" if where else ""),
                  "traceback": design_stack(died.stack)}
    v = Violation(Kind.CRASH, text, run, detail=dict(run.detail), schedule=list(died.schedule))
    return Outcome(executions=died.executions, steps=died.steps, histories=died.histories, violations=[v])


class WorkerLost(RuntimeError):
    """The worker died outside the design's code: no counterexample to show, and no verdict."""


def available() -> bool:
    """Forking is how the worker starts: POSIX only; `STMCHECK_PYTHON_INPROCESS=1` opts out."""
    return hasattr(os, "fork") and os.environ.get("STMCHECK_PYTHON_INPROCESS") != "1"
