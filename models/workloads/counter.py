"""`counter`: every transaction increments a counter."""

from __future__ import annotations

from .base import Workload


class Counter(Workload):
    """Every transaction increments a shared counter (with --keys M, thread t's
    j-th transaction increments counter c[(t-1+j) % M]). Invariant: the counters
    add up to the number of committed transactions (no lost update). Repeated
    (cyclic runs), the counters count modulo `MODULUS`: a finite state space."""

    name = "counter"
    finite_cycle = True
    about = "increment a shared counter; invariant: no lost update"
    default_keys, min_keys = 1, 1
    MODULUS = 3

    def build(self):
        self.keys = {f"c{i}": 0 for i in range(self.nkeys)}
        for t in range(1, self.threads + 1):
            self.programs[t] = self._increments(t)

    def cycle(self, thread):
        return self._increments(thread, self.MODULUS)

    def thread_class(self, thread):
        return (thread - 1) % self.nkeys      # `_increments` reads nothing else of the thread

    def _increments(self, thread, modulus=None):
        """Thread `thread`'s transactions, counting modulo `modulus` when given."""
        keys = [f"c{(thread - 1 + j) % self.nkeys}" for j in range(self.txns)]
        suffix = f" modulo {modulus}" if modulus else ""
        return [(f"increment {k}{suffix}", _increment(k, modulus)) for k in keys]

    def invariant(self, final, committed):
        total = sum(final.values())
        if total != committed:
            return f"the counters add up to {total} after {committed} committed increments (a lost update)"
        return None


def _increment(key, modulus=None):
    def body(tx):
        v = yield from tx.read(key)
        yield from tx.write(key, v + 1 if modulus is None else (v + 1) % modulus)
    return body
