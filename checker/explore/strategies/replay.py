"""`replay`: re-run exactly one execution from a schedule string.

A schedule is the sequence of threads that stepped, written run-length encoded:
`1*5,2*12,1` is five steps of thread 1, twelve of thread 2, one of thread 1.
After the schedule ends the execution continues *non-preemptively* (the last
thread keeps running while it can, else the lowest-numbered enabled thread), so
a counterexample's schedule only needs to spell out its preemptions: the
shrinker cuts the tail that this rule reproduces.

A design that makes choices (`machine.choose`, a contention manager standing for several)
has its picks spelt `THREAD/ALTERNATIVE`: `2/1` is thread 2 taking its choice's alternative 1
(`2` alone takes alternative 0).

A proven livelock or starvation is a lasso, written `PREFIX (LOOP)*`: the
prefix once, then the loop, which returns to the state it started from and so
can repeat forever. Replaying it runs the prefix and the loop `K` times
(`(LOOP)*K`, once by default); the run stops as soon as the loop has brought
it back to a state it was in, which is the proof.
"""

from __future__ import annotations

import re

from stmcheck.models.machine import CHOICE_STRIDE, MAX_ALTERNATIVES, picked

from ..runtime import restricted_choices
from .base import Strategy, non_preemptive


class ScheduleError(ValueError):
    """A schedule string that does not parse, or does not fit the execution."""


def encode(schedule) -> str:
    out, i = [], 0
    while i < len(schedule):
        j = i
        while j < len(schedule) and schedule[j] == schedule[i]:
            j += 1
        # (a pick above 16 is spelt as a choice's: a run of more threads, which makes none, reads
        # thread 17 as 1/1, which decodes to 17 again)
        t, a = picked(schedule[i])
        name = f"{t}/{a}" if a else f"{t}"
        out.append(f"{name}*{j - i}" if j - i > 1 else name)
        i = j
    return ",".join(out)


def encode_lasso(schedule, start: int, end: int) -> str:
    """`PREFIX (LOOP)*`: steps before `start` once, steps `start`..`end - 1` repeating."""
    prefix = encode(schedule[:start])
    return (prefix + " " if prefix else "") + f"({encode(schedule[start:end])})*"


_LASSO = re.compile(r"^(?P<prefix>[^()]*)\((?P<loop>[^()]*)\)\*(?P<times>[0-9]*)$")


def decode(text: str, limit: int | None = None) -> list:
    """The schedule a string spells; with `limit`, one longer than `limit` steps is an error
    found before it is spelled out (`1*99999999999` must not fill the memory first)."""
    text = text.strip()
    if "(" in text or ")" in text:
        m = _LASSO.match(text)
        if m is None:
            raise ScheduleError(f"bad lasso schedule {text[:60]!r} (expected PREFIX (LOOP)* or PREFIX (LOOP)*K, "
                                f"e.g. 1*5,2 (1*3,2*3)*)")
        loop = _blocks(m["loop"])
        if not loop:
            raise ScheduleError("the loop of a lasso schedule is empty")
        times = int(m["times"]) if m["times"] else 1
        if times < 1:
            raise ScheduleError("a lasso's loop runs at least once")
        prefix = _blocks(m["prefix"])
        _fits(sum(n for _, n in prefix) + times * sum(n for _, n in loop), limit)
        return _spell(prefix) + _spell(loop) * times
    blocks = _blocks(text)
    _fits(sum(n for _, n in blocks), limit)
    return _spell(blocks)


def _spell(blocks) -> list:
    return [t for t, n in blocks for _ in range(n)]


def _fits(total: int, limit: int | None) -> None:
    if limit is not None and total > limit:
        raise ScheduleError(f"the schedule has {total:,} steps, more than the {limit:,} an execution may take "
                            f"(--max-steps): it cannot fit")


def _blocks(text: str) -> list:
    blocks = []
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        t, _, n = part.partition("*")
        t, _, a = t.partition("/")
        try:
            t, n, a = int(t), int(n) if n else 1, int(a) if a else 0
        except ValueError:
            raise ScheduleError(f"bad schedule element {part[:40]!r} (expected THREAD or THREAD*COUNT, "
                                f"e.g. 1*5,2*3,1; THREAD/ALTERNATIVE picks a choice's alternative)") from None
        if t < 1 or n < 1:
            raise ScheduleError(f"bad schedule element {part[:40]!r}: threads are numbered from 1, counts are "
                                f"positive")
        if a and not (t < CHOICE_STRIDE and 0 < a < MAX_ALTERNATIVES):
            raise ScheduleError(f"bad schedule element {part[:40]!r}: a choice's alternative is 1 to "
                                f"{MAX_ALTERNATIVES - 1} (0 is the thread alone), of a thread below {CHOICE_STRIDE}")
        blocks.append((t + a * CHOICE_STRIDE, n))
    return blocks


def preemptions(run) -> int:
    """Context switches away from a thread that could have gone on."""
    n, sched, enabled = 0, run.schedule, run.enabled_log
    for i in range(1, len(sched)):
        if sched[i] != sched[i - 1] and sched[i - 1] in enabled[i]:
            n += 1
    return n


class Replay(Strategy):
    """Follow `schedule`, then continue non-preemptively (`then_stop`: end the run there, in the
    state the schedule leads to).

    Strict (the `replay` command): a scheduled thread that cannot step is an
    error. Lenient (the shrinker): such an entry is skipped.
    """

    name = "replay"
    fair = True
    takes_choices = True      # a pick of a choice's alternative is spelt THREAD/ALTERNATIVE

    def __init__(self, schedule, strict: bool = True, fused: bool = False, then_stop: bool = False):
        super().__init__()
        self.schedule = list(schedule)
        self.strict = strict
        self.then_stop = then_stop
        self.i = 0
        self.used = False
        #: `fused`: the schedule names the choices of a search with fused marks (the graph's), one
        #: per transition (runtime.py, "Fused marks"); `at[i]` is where choice i's steps begin
        #: in the run's schedule, which spells every step.
        self.fuses_marks = fused
        self.at: list = []

    def following(self) -> bool:
        """Still following the given schedule: the runtime then lets it step as written, even
        through a loop it finds unfair (a starvation lasso may run one thread alone round a
        smaller loop inside the fair one)."""
        return self.i < len(self.schedule)

    def start(self):
        if self.used:
            return False
        self.used = True
        return True

    def pick(self, run, enabled):
        self.at.append(len(run.schedule))
        while self.i < len(self.schedule):
            t = self.schedule[self.i]
            self.i += 1
            if t in enabled:
                return t
            if self.strict:
                raise ScheduleError(f"the schedule does not fit: at step {len(run.schedule)} it names thread {t}, "
                                    f"but only {', '.join(map(str, enabled))} can step there")
        return None if self.then_stop else non_preemptive(run, enabled)


def spell(new_run, choices: list, cuts: tuple = ()) -> tuple:
    """The schedule of every step for the `choices` of a search with fused marks (runtime.py),
    cut where the choices are cut at `cuts` (choice indices): a counterexample found on the
    state graph then replays with `stmcheck replay`, which takes every step as a choice."""
    return spelt_run(new_run, choices, cuts)[1]


def spelt_run(new_run, choices: list, cuts: tuple = ()) -> tuple:
    """(the run, `spell`'s pieces): the run stops where the choices lead, so its state is theirs."""
    run, follow = new_run(), Replay(choices, strict=True, fused=True, then_stop=True)
    run.execute(follow)
    if len(follow.at) < len(choices):
        raise ScheduleError(f"the run ended ({run.outcome}) after {len(follow.at)} of the {len(choices)} "
                            f"choices it was to spell: give it more steps")
    at = follow.at + [len(run.schedule)]
    ends = [at[c] for c in cuts] + [at[len(choices)]]
    return run, tuple(run.schedule[a:b] for a, b in zip([0] + ends[:-1], ends))


def needed_prefix(run) -> list:
    """The shortest prefix of the run's schedule from which a replay's continuation
    reproduces the rest of it: non-preemptive (`non_preemptive`: the last thread, a choice's
    alternative counted as its thread, else the lowest), among the starved threads where the
    run's lasso detector met an unfair loop (`Run.restricted`: the replay meets it too)."""
    sched, enabled, threads, restricted = run.schedule, run.enabled_log, run.threads, run.restricted
    last = -1
    for i, t in enumerate(sched):
        here = restricted_choices(enabled[i], restricted[i]) if i in restricted else enabled[i]
        before = picked(sched[i - 1], threads)[0] if i else None
        default = before if before in here else here[0]
        if t != default:
            last = i
    return sched[:last + 1]
