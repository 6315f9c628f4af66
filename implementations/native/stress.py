"""Free mode: native designs and libitm on real threads, recorded in rounds.

Why rounds: a recorded history has to be checked, and a history of 10^6
transactions takes far longer to check than to record. So a stress run is a
series of rounds, each recording about `max_txns` attempts (threads stop at a
transaction boundary when their buffer is full, or when time is up) and each
checked on its own: memory is quiescent between rounds, so round r+1 starts
from round r's final state, which becomes its `initial` map. Every round's
history is complete (no unrecorded transaction ever ran), which is what makes
checking it meaningful.

Native rounds run in one forked child (`run_isolated`), which records round
r+1 while the parent checks round r; libitm rounds are runs of the separate
`itm_bank` program. Either way a crash is reported, never suffered.

What libitm runs can and cannot establish. They check GCC's TM as a
programmer sees it: the values `__transaction_atomic` blocks read and wrote,
attempt by attempt (aborted attempts included, so opacity is checked, not
only the committed outcome), under each method and on this machine, with
noise injected inside transactions. A violation is a real, replayable-in-
principle bug report (the kept history shows it). A clean verdict is
evidence, not proof: only the interleavings that happened were checked,
only this workload (word-sized accounts, no allocation, no irrevocable
actions, no nesting), and only this compiler, libitm version and memory
model (x86-TSO here: weaker machines are not covered). libitm's internals
(orecs, locks, undo logs, its switch to serial mode after repeated aborts)
are invisible: an attempt aborted before its first logged read leaves no
trace, and a retry's begin is stamped at the first statement of the body
(libitm gives no hook between abort and restart), which is sound for the
attempt's observations but cannot see work libitm does before it.
serialirr runs transactions one at a time, so its runs test the recording
pipeline more than libitm.
"""

from __future__ import annotations

import os
import struct
import subprocess
import time
from dataclasses import dataclass, field

from .build import NativeUnavailable, build_itm
from .events import stamped_history
from .isolate import NativeCrash, run_isolated
from .loader import ffi, load

SCALE = 10 ** 9
INITIAL = 100 * SCALE
EVENT_BYTES = 48
EVENTS_PER_ATTEMPT = 6   # a transfer: begin, 2 reads, 2 writes, commit
ITM_METHODS = ("serialirr", "gl_wt", "ml_wt")
HANG_GRACE = 10.0        # seconds past a run's end after which a silent worker is hung (killed)


@dataclass
class Round:
    index: int
    commits: int
    aborts: int
    seconds: float
    buffers: list = field(default_factory=list)   # per-thread raw event buffers
    initial: list = field(default_factory=list)
    final: list = field(default_factory=list)

    def history(self):
        return stamped_history(self.buffers, self.initial)

    @property
    def attempts(self) -> int:
        return self.commits + self.aborts

    def money_conserved(self) -> bool:
        """The bank invariant: transfers move money, never make or lose it."""
        return sum(v // SCALE for v in self.final) == sum(v // SCALE for v in self.initial)


def per_thread_capacity(max_txns: int, threads: int) -> int:
    return max(64, -(-max_txns // threads) * EVENTS_PER_ATTEMPT)


def _native_worker(design, threads, accounts, seed, deadline, max_txns, audit_pct, noise):
    lib, name = load("noisy" if noise > 0 else "free", design)
    f = ffi()
    cap = per_thread_capacity(max_txns, threads)
    events = f.new("stm_event[]", cap * threads)
    counts = f.new("int64_t[]", threads)
    base = f.new("int64_t[]", threads)
    stats = f.new("int64_t[3]")
    state = f.new("int64_t[]", [INITIAL] * accounts)
    r = 0
    while r == 0 or time.monotonic() < deadline:
        initial = list(state)
        seconds = max(deadline - time.monotonic(), 0.05)
        rc = lib.stm_stress_run(name.encode(), threads, accounts, state, seed * 7919 + r, seconds, audit_pct,
                                events, cap, counts, base, stats, int(noise * 1e6))
        if rc != 0:
            raise RuntimeError(f"stm_stress_run failed for {design}")
        buffers = [bytes(f.buffer(events + t * cap, counts[t] * EVENT_BYTES)) for t in range(threads)]
        yield Round(r, stats[0], stats[1], stats[2] / 1e9, buffers, initial, list(state))
        r += 1


def native_rounds(design, threads=8, seconds=10.0, accounts=10, seed=0, max_txns=20000, audit_pct=10,
                  noise=0.0):
    """Yield `Round`s of a native design until `seconds` have passed (at least one round).

    `noise` > 0 runs the noise-injection build: at that fraction of shared
    accesses a thread yields its CPU or spins briefly. Why: with more
    threads than free cores (or short transactions) the OS rarely preempts
    a thread inside a transaction, and then real threads barely interleave.
    Raises NativeCrash (with `.round` set) if the design crashes.
    """
    load("noisy" if noise > 0 else "free", design)  # build errors surface here, before the fork
    deadline = time.monotonic() + seconds
    received = 0
    try:
        for rnd in run_isolated(_native_worker, design, threads, accounts, seed, deadline, max_txns,
                                audit_pct, noise, quiet_after=deadline, grace=HANG_GRACE):
            received += 1
            yield rnd
    except NativeCrash as exc:
        exc.round = received
        raise


def itm_round(method, threads=8, seconds=1.0, accounts=10, seed=0, max_txns=20000, audit_pct=10,
              index=0, noise=0.0) -> Round:
    """One round of the libitm workload under ITM_DEFAULT_METHOD=method (noise as in native_rounds,
    injected at the workload's logging calls, inside transactions)."""
    if method not in ITM_METHODS:
        raise NativeUnavailable(f"unknown libitm method {method!r} (expected one of {', '.join(ITM_METHODS)})")
    exe = build_itm()
    cap = per_thread_capacity(max_txns, threads)
    env = dict(os.environ, ITM_DEFAULT_METHOD=method)
    args = [exe, str(threads), str(accounts), repr(max(seconds, 0.05)), str(cap), str(seed), str(audit_pct),
            str(int(noise * 1e6))]
    proc = subprocess.run(args, env=env, capture_output=True, timeout=seconds + 120)
    if proc.returncode < 0:
        crash = NativeCrash(-proc.returncode, f"libitm method {method}")
        crash.round = index
        raise crash
    if proc.returncode != 0:
        message = proc.stderr.decode(errors="replace").strip().splitlines()
        raise NativeUnavailable(f"the libitm workload failed: {message[-1] if message else proc.returncode}")
    return _parse_itm(proc.stdout, index)


def _parse_itm(data: bytes, index: int) -> Round:
    magic, threads, accounts, commits, aborts, elapsed, _, _ = struct.unpack_from("8q", data, 0)
    if magic != 0x49544D31:
        raise NativeUnavailable("the libitm workload wrote an unexpected output")
    pos = 64
    counts = struct.unpack_from(f"{threads}q", data, pos)
    pos += 8 * threads
    initial = list(struct.unpack_from(f"{accounts}q", data, pos))
    pos += 8 * accounts
    final = list(struct.unpack_from(f"{accounts}q", data, pos))
    pos += 8 * accounts
    buffers = []
    for n in counts:
        buffers.append(data[pos:pos + n * EVENT_BYTES])
        pos += n * EVENT_BYTES
    return Round(index, commits, aborts, elapsed / 1e9, buffers, initial, final)


def itm_rounds(method, threads=8, seconds=10.0, accounts=10, seed=0, max_txns=20000, audit_pct=10, noise=0.0):
    """Yield libitm `Round`s until `seconds` have passed (at least one round)."""
    deadline = time.monotonic() + seconds
    r = 0
    while r == 0 or time.monotonic() < deadline:
        yield itm_round(method, threads, max(deadline - time.monotonic(), 0.05), accounts, seed * 7919 + r,
                        max_txns, audit_pct, r, noise)
        r += 1


def _throughput_worker(design, threads, seconds, accounts, max_txns, noise):
    lib, name = load("noisy" if noise > 0 else "free", design)
    f = ffi()
    cap = per_thread_capacity(max_txns, threads)
    events = f.new_allocator(should_clear_after_alloc=False)("stm_event[]", cap * threads)
    counts, base, stats = f.new("int64_t[]", threads), f.new("int64_t[]", threads), f.new("int64_t[3]")
    state = f.new("int64_t[]", [INITIAL] * accounts)
    lib.stm_stress_run(name.encode(), threads, accounts, state, 1, seconds, 10, events, cap, counts, base,
                       stats, int(noise * 1e6))
    yield stats[0], stats[1], stats[2] / 1e9


def native_throughput(design, threads, seconds=0.5, accounts=10, max_txns=400_000, noise=0.0):
    """(commits, aborts, seconds) of one recorded free-mode run, without shipping the events."""
    load("noisy" if noise > 0 else "free", design)
    for item in run_isolated(_throughput_worker, design, threads, seconds, accounts, max_txns, noise,
                             quiet_after=time.monotonic() + seconds, grace=HANG_GRACE):
        return item
    raise RuntimeError("the native worker returned nothing")
