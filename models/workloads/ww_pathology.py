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
    transactions."""

    name = "ww-pathology"
    about = "increment a list of keys, odd threads front to back, even back to front; invariant: no lost update"
    default_keys, min_keys = 2, 1

    def build(self):
        order = [f"k{i}" for i in range(self.nkeys)]
        self.keys = {k: 0 for k in order}
        for t in range(1, self.threads + 1):
            keys = order if t % 2 == 1 else order[::-1]
            label = f"increment {keys[0]}..{keys[-1]}" if len(keys) > 1 else f"increment {keys[0]}"
            self.programs[t] = [(label, _increment_all(keys)) for _ in range(self.txns)]

    def invariant(self, final, committed):
        bad = [f"{k}={final[k]}" for k in self.keys if final[k] != committed]
        if bad:
            return f"{', '.join(bad)} after {committed} committed transactions (a lost update)"
        return None


def _increment_all(keys):
    def body(tx):
        for k in keys:
            v = yield from tx.read(k)
            yield from tx.write(k, v + 1)
    return body
