"""`ww-pathology`: odd threads increment keys front to back, even threads back to front.

Why: opposite update orders are the classic livelock benchmark for eager,
encounter-time designs.
"""

from __future__ import annotations

from .base import Workload


class WWPathology(Workload):
    """The classic livelock benchmark: a list of keys k0..k(M-1) (`--keys M`,
    default 2), each incremented by every transaction, odd threads front to
    back, even threads back to front (read then write each key in turn). Two
    eager transactions grab the first key of their order and then want the
    other's: unless a contention manager breaks the symmetry, they abort each
    other forever. Invariant: every key equals the number of committed
    transactions. Repeated (cyclic runs), the keys count modulo `MODULUS`: a
    finite state space."""

    name = "ww-pathology"
    finite_cycle = True
    about = "increment a list of keys, odd threads front to back, even back to front; invariant: no lost update"
    default_keys, min_keys = 2, 1
    MODULUS = 3

    def build(self):
        self.keys = {f"k{i}": 0 for i in range(self.nkeys)}
        for t in range(1, self.threads + 1):
            self.programs[t] = self._increments(t)

    def cycle(self, thread):
        return self._increments(thread, self.MODULUS)

    def thread_class(self, thread):
        return thread % 2                     # `_increments` reads nothing else of the thread

    def _increments(self, thread, modulus=None):
        """Thread `thread`'s transactions (odd threads front to back), modulo `modulus` when given."""
        keys = [f"k{i}" for i in range(self.nkeys)]
        keys = keys if thread % 2 == 1 else keys[::-1]
        label = f"increment {keys[0]}..{keys[-1]}" if len(keys) > 1 else f"increment {keys[0]}"
        label += f" modulo {modulus}" if modulus else ""
        return [(label, _increment_all(keys, modulus)) for _ in range(self.txns)]

    def invariant(self, final, committed):
        bad = [f"{k}={final[k]}" for k in self.keys if final[k] != committed]
        if bad:
            return f"{', '.join(bad)} after {committed} committed transactions (a lost update)"
        return None


def _increment_all(keys, modulus=None):
    def body(tx):
        for k in keys:
            v = yield from tx.read(k)
            yield from tx.write(k, v + 1 if modulus is None else (v + 1) % modulus)
    return body
