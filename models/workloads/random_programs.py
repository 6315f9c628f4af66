"""`random`: generated transaction programs over a few keys, one program per seed.

Why: hand-written workloads test the races their author thought of; programs
drawn at random reach shapes nobody wrote (read-only transactions, blind
writes, reads after writes, early exits) at no cost.

The seed is part of the workload's name, `random:SEED` (`random` is seed 0),
not the explorer's `--seed`: that one seeds the random and pct strategies, and
a program must stay the same while the schedules vary. Because the name
carries it, replay commands, shrinking and the matrix rebuild the same
programs by name.

Generation (`random.Random`, string-seeded, so the same on every machine and
Python run): each key's initial value comes from (seed, key index), and thread
t's j-th transaction from (seed, t, j) alone, so that fewer threads or fewer
transactions (as shrinking tries) give a prefix of the same programs. A
transaction is 2 to 4 operations (at least one a write) over the keys r0..r(M-1) (`--keys M`, default
2): `read k`; `write k := (sum of this attempt's reads + c) mod 10`; `guard k`
(read k and stop, committing, when the value is odd). A body is a function of
the values it read and nothing else, as the livelock detector needs.

Invariant: the final state is one that some serial order (any order) of the
committed transactions leaves, computed once per workload by running the
bodies serially over every subset (`run_serial`); for more than
`MAX_SERIAL` transactions in all the check is skipped (2^n subsets).
"""

from __future__ import annotations

import random

from .base import Workload, run_serial

MAX_SERIAL = 10


class RandomPrograms(Workload):
    """Generated transaction programs; see the module docstring."""

    name = "random"
    finite_cycle = True
    about = "generated programs over a few keys (random:SEED); invariant: the final state of a serial order"
    default_keys, min_keys = 2, 1
    seeded = True

    def __init__(self, threads, txns=1, keys=None, retries=None, seed: int = 0):
        if seed < 0:
            raise ValueError("the seed of random:SEED must be a non-negative integer")
        self.seed = seed
        self.name = "random" if seed == 0 else f"random:{seed}"
        self._serial: dict = {}
        super().__init__(threads, txns, keys, retries)

    def build(self):
        m = self.nkeys
        self.keys = {f"r{i}": random.Random(f"stmcheck/random/{self.seed}/init/{i}").randrange(4)
                     for i in range(m)}
        self.bodies = []
        for t in range(1, self.threads + 1):
            prog = []
            for j in range(self.txns):
                ops = generate(random.Random(f"stmcheck/random/{self.seed}/{t}/{j}"), m)
                body = _body(ops)
                self.bodies.append(body)
                prog.append((describe(ops), body))
            self.programs[t] = prog

    def serial_finals(self, committed: int) -> set | None:
        """Final states (sorted item tuples) of every serial order of `committed`
        of the transactions; None when there are too many transactions."""
        n = len(self.bodies)
        if n > MAX_SERIAL:
            return None
        if not self._serial:
            self._serial = _serial_finals(self.bodies, self.keys)
        return self._serial.get(committed, set())

    def invariant(self, final, committed):
        finals = self.serial_finals(committed)
        if finals is None:
            return None
        state = tuple(sorted((k, final[k]) for k in self.keys))
        if state in finals:
            return None
        shown = ", ".join(f"{k}={v}" for k, v in state)
        return f"{shown} is not what any serial order of the {committed} committed transactions leaves"


def generate(rng: random.Random, m: int) -> list:
    """2 to 4 operations, at least one a write: ("read", k), ("write", k, c) or ("guard", k)."""
    ops = []
    for _ in range(rng.randint(2, 4)):
        kind = rng.choices(("read", "write", "guard"), weights=(4, 4, 1))[0]
        k = f"r{rng.randrange(m)}"
        ops.append((kind, k, rng.randint(1, 3)) if kind == "write" else (kind, k))
    if all(op[0] != "write" for op in ops):  # at least one write: read-only programs rarely race
        ops[-1] = ("write", ops[-1][1], rng.randint(1, 3))
    return ops


def describe(ops) -> str:
    out = []
    for op in ops:
        if op[0] == "read":
            out.append(f"r {op[1]}")
        elif op[0] == "write":
            out.append(f"w {op[1]}:=sum+{op[2]}")
        else:
            out.append(f"guard {op[1]}")
    return "; ".join(out)


def _body(ops):
    def body(tx):
        total = 0
        for op in ops:
            if op[0] == "write":
                yield from tx.write(op[1], (total + op[2]) % 10)
                continue
            v = yield from tx.read(op[1])
            total += v
            if op[0] == "guard" and v % 2 == 1:
                return
    return body


def _serial_finals(bodies, initial) -> dict:
    """Dynamic programming over subsets: the states after running the transactions
    of each subset in every order, gathered by the size of the subset."""
    n = len(bodies)
    states = {0: {tuple(sorted(initial.items()))}}
    out: dict = {}
    for mask in range(1 << n):  # increasing: every subset comes before its supersets
        here = states.pop(mask)
        out.setdefault(bin(mask).count("1"), set()).update(here)
        for i in range(n):
            if mask >> i & 1:
                continue
            nxt = states.setdefault(mask | 1 << i, set())
            for s in here:
                nxt.add(tuple(sorted(run_serial(bodies[i], dict(s)).items())))
    return out
