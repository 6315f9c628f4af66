"""`swap`: the PyPy "kill the GIL" post's example, moving list items in both directions."""

from __future__ import annotations

from .base import Workload


class Swap(Workload):
    """The example of the PyPy "kill the GIL" post: pop the top of one list and
    push it onto the other, with threads doing it in both directions at once.

    A list `l` is the keys `l.n` (its length) and `l.0`, `l.1`, ... (its slots),
    so that a transaction touches exactly the cells a real list would. Thread t's
    j-th transaction moves from l1 to l2 when t-1+j is even, else from l2 to l1.
    Invariant: together the lists hold exactly the elements they started with.
    """

    name = "swap"
    finite_cycle = True
    about = "pop the top of one list and push it onto the other, both directions; invariant: no element lost or duplicated"
    default_keys, min_keys = 2, 2
    INITIAL = {"l1": [1], "l2": [2]}

    def build(self):
        slots = sum(len(v) for v in self.INITIAL.values())
        for name, items in self.INITIAL.items():
            self.keys[f"{name}.n"] = len(items)
            for i in range(slots):
                self.keys[f"{name}.{i}"] = items[i] if i < len(items) else None
        for t in range(1, self.threads + 1):
            prog = []
            for j in range(self.txns):
                a, b = ("l1", "l2") if (t - 1 + j) % 2 == 0 else ("l2", "l1")
                prog.append((f"move top of {a} to {b}", _move(a, b, slots)))
            self.programs[t] = prog

    def thread_class(self, thread):
        return (thread - 1) % 2               # `build` reads nothing else of the thread

    def options(self):
        return {"txns": self.txns}

    def invariant(self, final, committed):
        found = []
        for name in self.INITIAL:
            n = final[f"{name}.n"]
            found.extend(final[f"{name}.{i}"] for i in range(n))
        want = sorted(x for v in self.INITIAL.values() for x in v)
        if sorted(found, key=repr) != sorted(want, key=repr):
            return f"the lists hold {sorted(found, key=repr)}, not {want}"
        return None


def _move(a, b, slots):
    def body(tx):
        n = yield from tx.read(f"{a}.n")
        if not n:
            return
        x = yield from tx.read(f"{a}.{n - 1}")
        yield from tx.write(f"{a}.n", n - 1)
        m = yield from tx.read(f"{b}.n")
        if m >= slots:
            return  # cannot happen with a consistent state; a zombie just stops
        yield from tx.write(f"{b}.{m}", x)
        yield from tx.write(f"{b}.n", m + 1)
    return body
