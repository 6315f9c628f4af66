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
        m = self.nkeys
        self.keys = {f"c{i}": 0 for i in range(m)}
        for t in range(1, self.threads + 1):
            self.programs[t] = [(f"increment c{(t - 1 + j) % m}", _increment(f"c{(t - 1 + j) % m}"))
                                for j in range(self.txns)]

    def cycle(self, thread):
        m = self.nkeys
        return [(f"increment c{(thread - 1 + j) % m} modulo {self.MODULUS}",
                 _increment(f"c{(thread - 1 + j) % m}", self.MODULUS)) for j in range(self.txns)]

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
