"""`dict-update`: the PyPy post's `d1.update(d2)` racing `d2.update(d1)`.

Why: it is the post's deadlock trap for lock-based designs and a write skew
at once for STMs whose validation misses read-write conflicts.
"""

from __future__ import annotations

from ..objects import TDict
from .base import Workload


class DictUpdate(Workload):
    """The PyPy post's `d1.update(d2)` racing `d2.update(d1)`: two dicts over the
    keys k0..k(M-1) (`--keys M`, default 2), stored as in `models/objects.TDict`
    (one transactional key `d.k` per dict key, 0 for absent). d1 holds the even
    keys (value 100+i), d2 the odd ones (200+i) and k0 too (200), so that the
    order of the updates decides k0. Thread t's j-th transaction is
    `d1.update(d2)` when t-1+j is even, else `d2.update(d1)`: each reads the
    whole source, then writes its entries into the destination.

    Invariant: the final dicts are what some serial order of the committed
    updates leaves. Serially, after one update of each kind both dicts are
    equal (to the union, with the first update's source winning on k0); a
    write skew leaves d1.k0 = 200 and d2.k0 = 100, which no order produces."""

    name = "dict-update"
    finite_cycle = True
    about = "d1.update(d2) racing d2.update(d1); invariant: the dicts are what a serial order leaves"
    default_keys, min_keys = 2, 1

    def build(self):
        universe = [f"k{i}" for i in range(self.nkeys)]
        d1 = TDict("d1", universe, {k: 100 + i for i, k in enumerate(universe) if i % 2 == 0})
        d2 = TDict("d2", universe, {k: 200 + i for i, k in enumerate(universe) if i % 2 == 1 or i == 0})
        self.keys = {**d1.keys(), **d2.keys()}
        self.universe = universe
        self._finals = {}  # committed -> serial_finals(committed), once per workload
        self.kinds = {}  # thread -> list of "A" (d1.update(d2)) / "B" (d2.update(d1))
        for t in range(1, self.threads + 1):
            prog, kinds = [], []
            for j in range(self.txns):
                a = (t - 1 + j) % 2 == 0
                call = d1.update(d2) if a else d2.update(d1)
                prog.append(("d1.update(d2)" if a else "d2.update(d1)", call.body))
                kinds.append("A" if a else "B")
            self.programs[t], self.kinds[t] = prog, kinds

    def _apply(self, state, kind):
        dst, src = ("d1", "d2") if kind == "A" else ("d2", "d1")
        out = dict(state)
        for k in self.universe:
            if state[f"{src}.{k}"] != 0:
                out[f"{dst}.{k}"] = state[f"{src}.{k}"]
        return out

    def serial_finals(self, committed: int) -> list:
        """Every state some serial order of `committed` of the updates leaves.

        Only whether each kind ran and which kind ran first matter (an update
        is idempotent, and after one of each the dicts are equal, so every
        further update is a no-op): counts above 2 per kind add no state."""
        n = {"A": sum(k.count("A") for k in self.kinds.values())}
        n["B"] = sum(k.count("B") for k in self.kinds.values())
        out = []
        for a in range(max(0, committed - n["B"]), min(n["A"], committed) + 1):
            frontier = [(dict(self.keys), min(a, 2), min(committed - a, 2))]
            while frontier:
                state, ra, rb = frontier.pop()
                if ra == rb == 0:
                    if state not in out:
                        out.append(state)
                    continue
                if ra:
                    frontier.append((self._apply(state, "A"), ra - 1, rb))
                if rb:
                    frontier.append((self._apply(state, "B"), ra, rb - 1))
        return out

    def invariant(self, final, committed):
        state = {k: final[k] for k in self.keys}
        finals = self._finals.get(committed)
        if finals is None:
            finals = self._finals[committed] = self.serial_finals(committed)
        if state in finals:
            return None
        return (f"{_dicts(state, self.universe)} is not what any serial order of the {committed} committed "
                f"updates leaves ({' or '.join(_dicts(s, self.universe) for s in finals)})")


def _dicts(state, universe):
    def one(d):
        return "{" + ", ".join(f"{k}: {state[f'{d}.{k}']}" for k in universe if state[f"{d}.{k}"]) + "}"
    return f"d1 = {one('d1')}, d2 = {one('d2')}"
