"""The contract every state merge rests on, checked step by step on random runs.

A thread's position is what its attempt has seen since its last checkpoint (and the values that
checkpoint declared); the search merges runs whose threads stand at equal positions. That is
sound only if a thread's next move is a function of what it keeps: its position, its stamps,
the design's `local_state`, its transaction and its tries. The runtime's own audit compares the
step right after a checkpoint; a value a checkpoint leaves out can show only later (dstm's
'enemy' checkpoint once left out the backoff rounds, which only the manager's decision a load
further on reads). Here every step of many random 3-thread runs is recorded: from equal kept
state, the same checkpoints must be passed and the same step taken, whatever came before.
"""

from __future__ import annotations

import pytest

from stmcheck.checker import api
from stmcheck.checker.explore import runtime
from stmcheck.checker.explore.runtime import Run
from stmcheck.models import stamps
from stmcheck.models.machine import Step


def _raw(v):
    """`v` with each stamp as plain numbers (comparing stamps has effects of its own)."""
    if type(v) is stamps.Stamp:
        return ("stamp", v.domain.name, v.value, v.offset)
    if type(v) is tuple:
        return tuple(_raw(x) for x in v)
    return v


class Breach(AssertionError):
    pass


def _recording(monkeypatch):
    """Record, for each step a thread takes, (what it kept before) -> (the position it stands at
    after, its next step): a second arrival with the same kept state must agree."""
    seen: dict = {}
    again = [0]                       # arrivals at a kept state met before: what gives the test teeth
    advance = Run._advance

    def recorded(self, t, value, start=False, at=None):
        x = self._th[t]
        if start or self._lazy:
            return advance(self, t, value, start, at)
        local = getattr(self.design, "local_state", None)
        kept = (t, x.k, x.tries, x.pos, _raw(tuple(x.stamps)), _raw(local(t)) if local else None)
        ok = advance(self, t, value, start, at)
        then = (x.pos, runtime._signature(x.pending) if type(x.pending) is Step else None) if ok else "crashed"
        first = seen.setdefault(kept, then)
        if first is not then:
            again[0] += 1
        if first != then:
            raise Breach(f"thread {t} kept the same state and went on two ways: {first} and {then}")
        return ok
    monkeypatch.setattr(Run, "_advance", recorded)
    return seen, again


def _walk(design, workload, runs, monkeypatch):
    """`runs` random runs with 3 threads, every step checked: (kept states, arrivals met before)."""
    seen, again = _recording(monkeypatch)
    result = api.explore(design, workload, threads=3, strategy="random", max_executions=runs, seed=1,
                         stop_at_first=False, shrink=False, time_limit=None)
    assert result.executions == runs
    return len(seen), again[0]


@pytest.mark.parametrize("design,workload", [
    ("dstm+polite", "transfer"), ("dstm+karma", "counter"), ("dstm+any", "swap"), ("dstm", "transfer"),
    ("dstm-no-loser-wait", "counter"), ("eager+polka", "transfer"), ("eager+timestamp", "swap"), ("eager", "counter"),
    ("eager-aggressive", "transfer"), ("eager+any", "transfer"), ("tl2", "transfer"), ("tl2-quiescent", "swap"),
    ("norec", "swap"), ("lazy", "counter"), ("lazy-incremental", "transfer"),
])   # every design that declares checkpoints, each manager kind
def test_equal_kept_state_goes_on_alike(design, workload, monkeypatch):
    kept, again = _walk(design, workload, 150, monkeypatch)
    assert kept > 200 and again > kept


def test_a_checkpoint_that_leaves_out_the_rounds_is_caught(monkeypatch):
    """The mistake this test is for: dstm's 'enemy' checkpoint without the backoff rounds."""
    from stmcheck.implementations import dstm
    real = dstm.checkpoint
    dropped = []

    def forgetful(label, *values):
        if label == "enemy":          # (key, writing, loc, value, i, rounds, last, ...): drop the rounds
            dropped.append(values[5:7])
            values = values[:5] + values[7:]
        return real(label, *values)
    monkeypatch.setattr(dstm, "checkpoint", forgetful)
    with pytest.raises(Breach):
        _walk("dstm+polite", "transfer", 200, monkeypatch)
    assert any(rounds for rounds, _ in dropped)
