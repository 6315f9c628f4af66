"""Workloads: the transaction programs the simulated threads run.

What a workload is (`Workload`: transactions per thread, keys, an end-state
invariant; the retry policy; `run_serial`) is in workloads_base.py.
Here: transfer, swap and counter; in workloads_more.py: write-skew,
dict-update, intset and ww-pathology; in workloads_random.py: random.
`WORKLOADS` below is the one registry of them all; `make_workload` builds one
by name (`random:SEED` for a seeded random workload).
"""

from __future__ import annotations

from .base import Workload, run_serial  # noqa: F401  (re-exported: the public home)
from .crossing import DictUpdate, IntSet, WriteSkew, WWPathology
from .random_programs import RandomPrograms


class Transfer(Workload):
    """Thread t's j-th transaction moves one unit from account a[(t-1+j) % M] to
    the next account. With the default M = 2, odd and even threads move money in
    opposite directions, the classic way to make two lock-based transactions
    take the same locks in opposite orders. Invariant: the sum of balances."""

    name = "transfer"
    about = "move one unit between two accounts; invariant: the sum of balances"
    default_keys, min_keys = 2, 2
    BALANCE = 10

    def build(self):
        m = self.nkeys
        self.keys = {f"a{i}": self.BALANCE for i in range(m)}
        for t in range(1, self.threads + 1):
            prog = []
            for j in range(self.txns):
                src = (t - 1 + j) % m
                dst = (src + 1) % m
                prog.append((f"transfer a{src}->a{dst}", _transfer(f"a{src}", f"a{dst}")))
            self.programs[t] = prog

    def invariant(self, final, committed):
        total = sum(final.values())
        want = self.BALANCE * self.nkeys
        if total != want:
            shown = ", ".join(f"{k}={v}" for k, v in final.items())
            return f"the sum of balances is {total}, not {want} ({shown})"
        return None


def _transfer(src, dst):
    def body(tx):
        a = yield from tx.read(src)
        b = yield from tx.read(dst)
        yield from tx.write(src, a - 1)
        yield from tx.write(dst, b + 1)
    return body


class Swap(Workload):
    """The example of the PyPy "kill the GIL" post: pop the top of one list and
    push it onto the other, with threads doing it in both directions at once.

    A list `l` is the keys `l.n` (its length) and `l.0`, `l.1`, ... (its slots),
    so that a transaction touches exactly the cells a real list would. Thread t's
    j-th transaction moves from l1 to l2 when t-1+j is even, else from l2 to l1.
    Invariant: together the lists hold exactly the elements they started with.
    """

    name = "swap"
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


class Counter(Workload):
    """Every transaction increments a shared counter (with --keys M, thread t's
    j-th transaction increments counter c[(t-1+j) % M]). Invariant: the counters
    add up to the number of committed transactions (no lost update)."""

    name = "counter"
    about = "increment a shared counter; invariant: no lost update"
    default_keys, min_keys = 1, 1

    def build(self):
        m = self.nkeys
        self.keys = {f"c{i}": 0 for i in range(m)}
        for t in range(1, self.threads + 1):
            self.programs[t] = [(f"increment c{(t - 1 + j) % m}", _increment(f"c{(t - 1 + j) % m}"))
                                for j in range(self.txns)]

    def invariant(self, final, committed):
        total = sum(final.values())
        if total != committed:
            return f"the counters add up to {total} after {committed} committed increments (a lost update)"
        return None


def _increment(key):
    def body(tx):
        v = yield from tx.read(key)
        yield from tx.write(key, v + 1)
    return body


WORKLOADS = {w.name: w for w in (Transfer, Swap, Counter, WriteSkew, DictUpdate, IntSet, WWPathology,
                                 RandomPrograms)}
DEFAULT_WORKLOAD = "transfer"


def workload_class(name: str):
    """`(class, seed)` for a workload name; `random:SEED` names a seeded random workload.

    The seed is part of the name so that everything that rebuilds a workload by
    name (replay commands, shrinking, the matrix) rebuilds the same programs."""
    base, sep, seed = name.partition(":")
    cls = WORKLOADS.get(base)
    if cls is None:
        raise ValueError(f"unknown workload {name!r} (expected one of {', '.join(WORKLOADS)}, "
                         f"or random:SEED)")
    if not sep:
        return cls, None
    if not getattr(cls, "seeded", False):
        raise ValueError(f"workload {base} takes no seed (only random:SEED does)")
    if not (seed.isascii() and seed.isdigit()):
        raise ValueError(f"workload {name!r}: the seed must be a non-negative integer")
    return cls, int(seed)


def make_workload(name: str, threads: int, txns: int = 1, keys: int | None = None,
                  retries: int | None = None) -> Workload:
    """Build a workload by name (raises ValueError with the valid names)."""
    cls, seed = workload_class(name)
    if seed is not None:
        return cls(threads, txns, keys, retries, seed=seed)
    return cls(threads, txns, keys, retries)
