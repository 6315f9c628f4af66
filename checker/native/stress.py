"""Checking the histories a native STM records on real threads (`stmcheck stress`).

The run is a series of rounds (see implementations/native/stress.py): each
records at most `max_txns` attempts and is checked on its own, because
checking grows faster than recording (a violated history of 20,000
transactions can take the checker many seconds and gigabytes). A deadline
bounds the whole run, recording and checking together; the first violation
ends it.

Checking uses `history.stress.check_stress`: on these histories the
dependency graph can be read off exactly (unique values, every write
preceded by a read), which decides most rounds in linear time, witness or
cycle; anything else goes to the general checker. Each round's bank
invariant (the total balance) is checked too.

Default criteria: opacity and strict serializability. Why these: both native
designs and libitm's methods promise opacity (every attempt, even one that
aborts, sees a consistent state), and the threads really run concurrently
under one clock, so real-time order is meaningful; strict serializability
says whether the committed transactions alone are fine when opacity fails,
and costs nothing when opacity holds (its witness is restricted). Plain
serializability is implied by both.
"""

from __future__ import annotations

import time

from stmcheck.implementations.native.isolate import NativeCrash
from stmcheck.models.formats import write_history
from stmcheck.models.terms import Criterion

from ..history.results import render_cycle
from ..history.stress import check_stress as check_history

DEFAULT_CRITERIA = (Criterion.STRICT_SERIALIZABILITY, Criterion.OPACITY)


class Summary:
    """Totals over the rounds, and the first problem found."""

    def __init__(self):
        self.rounds = self.commits = self.aborts = 0
        self.run_seconds = self.check_seconds = 0.0
        self.transactions = self.events = 0
        self.verdict = "clean"
        self.problem: dict | None = None

    def to_json(self) -> dict:
        rate = (lambda n: round(n / self.run_seconds, 1) if self.run_seconds else None)
        return {"rounds": self.rounds, "commits": self.commits, "aborts": self.aborts,
                "run_seconds": round(self.run_seconds, 4), "commits_per_s": rate(self.commits),
                "aborts_per_s": rate(self.aborts), "history": {"transactions": self.transactions,
                                                               "events": self.events},
                "check_seconds": round(self.check_seconds, 3), "verdict": self.verdict,
                "problem": self.problem}


def run_stress(rounds, criteria, timeout, keep=None, deadline=None) -> Summary:
    """Check every round until a problem, or until `deadline` (monotonic) has passed."""
    s = Summary()
    history = None
    try:
        for rnd in rounds:
            s.rounds += 1
            s.commits += rnd.commits
            s.aborts += rnd.aborts
            s.run_seconds += rnd.seconds
            t0 = time.perf_counter()
            history = rnd.history()
            results = check_history(history, criteria, timeout=timeout)
            s.check_seconds += time.perf_counter() - t0
            s.transactions += len(history.txns)
            s.events += history.events
            bad = [r for r in results if r.holds is False]
            if bad:
                s.verdict = "violated"
                s.problem = {"round": rnd.index, "results": [r.to_json() for r in results],
                             "cycle": render_cycle(bad[0].cycle) if bad[0].cycle else None,
                             "money_conserved": rnd.money_conserved()}
                break
            if not rnd.money_conserved():
                s.verdict = "violated"
                s.problem = {"round": rnd.index, "invariant": "the total balance changed: money was "
                             "created or destroyed by transfers", "results": [r.to_json() for r in results]}
                break
            if any(r.holds is None for r in results):
                s.verdict = "inconclusive"
                s.problem = {"round": rnd.index, "results": [r.to_json() for r in results]}
            if deadline is not None and time.monotonic() >= deadline:
                break
    except NativeCrash as exc:
        s.verdict = "crash"
        s.problem = {"round": getattr(exc, "round", s.rounds), "crash": str(exc)}
        history = None
    finally:
        if hasattr(rounds, "close"):
            rounds.close()  # stops the recording child
    if s.verdict == "clean" and s.commits == 0:
        # Nothing committed, so nothing was checked: never "clean" (a design that ends its own
        # process, or one that never commits, would otherwise pass a CI gate).
        s.verdict = "crash"
        s.problem = {"round": s.rounds, "crash": f"no transaction committed in {s.rounds} round(s): nothing "
                     f"was checked (did the design end its process, or never commit?)"}
    if keep and history is not None:
        write_history(history, keep)
    return s
