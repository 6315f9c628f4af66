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


class GivenPrograms(RandomPrograms):
    """Programs given operation by operation (`programs[t][j]`: thread t+1's j-th transaction, a list
    of ("read", k), ("write", k, c), ("guard", k) as `generate` makes), over `initial` values:
    what a hypothesis strategy draws (`stmcheck.programs`). Same semantics and invariant as
    `random`; threads may run different numbers of transactions."""

    about = "given programs (drawn by hypothesis); invariant: the final state of a serial order"
    seeded = False

    def __init__(self, programs: list, initial: dict, retries=None):
        if not programs or any(not txns or any(not ops for ops in txns) for txns in programs):
            raise ValueError("given programs need at least one thread, each with at least one non-empty transaction")
        self._given = [[[tuple(op) for op in ops] for ops in txns] for txns in programs]
        self._initial, self.seed = dict(initial), 0
        self._serial: dict = {}
        self.name = "programs:" + encode(self._given, self._initial)   # rebuilt by name (`from_name`)
        Workload.__init__(self, len(programs), max(len(p) for p in programs), len(initial), retries)

    @classmethod
    def from_name(cls, spec: str, threads: int, txns: int = 1, keys: int | None = None, retries=None):
        """The programs `encode` wrote, cut to `threads` threads and `txns` transactions each (a
        shrunk counterexample's replay command names fewer)."""
        programs, initial = decode(spec)
        if threads > len(programs) or txns > max(len(p) for p in programs):
            raise ValueError(f"workload programs:{spec} has {len(programs)} threads and at most "
                             f"{max(len(p) for p in programs)} transactions each")
        if keys is not None and keys != len(initial):
            raise ValueError(f"workload programs:{spec} has {len(initial)} keys")
        return cls([p[:txns] for p in programs[:threads]], initial, retries)

    def options(self) -> dict:
        return {"txns": self.txns, "keys": None}

    def build(self):
        self.keys = dict(self._initial)
        self.bodies = []
        for t, txns in enumerate(self._given, 1):
            prog = []
            for ops in txns:
                ops = [tuple(op) for op in ops]
                body = _body(ops)
                self.bodies.append(body)
                prog.append((describe(ops), body))
            self.programs[t] = prog

    def describe_programs(self) -> list:
        """One line per thread: its transactions, as `describe` writes them."""
        return [f"thread {t}: " + " | ".join(label for label, _ in self.programs[t]) for t in self.programs]


def encode(programs: list, initial: dict) -> str:
    """Programs as a name: initial values (r0.r1...), then each thread after `_`, its transactions
    separated by `/`, operations by `-`: `r0` read, `w0+2` write, `g1` guard; shell-safe."""
    values = ".".join(str(initial[f"r{i}"]) for i in range(len(initial)))
    def op(o):
        k = o[1][1:]
        return f"r{k}" if o[0] == "read" else f"g{k}" if o[0] == "guard" else f"w{k}+{o[2]}"
    return "_".join([values] + ["/".join("-".join(op(o) for o in ops) for ops in txns) for txns in programs])


def decode(spec: str) -> tuple:
    """(programs, initial) from `encode`'s text; ValueError with what is wrong."""
    try:
        values, *threads = spec.split("_")
        initial = {f"r{i}": int(v) for i, v in enumerate(values.split("."))}
        programs = []
        for thread in threads:
            txns = []
            for txn in thread.split("/"):
                ops = []
                for o in txn.split("-"):
                    k = f"r{int(o[1:].split('+')[0])}"
                    if k not in initial:
                        raise ValueError(f"key {k} has no initial value")
                    ops.append(("read", k) if o[0] == "r" else ("guard", k) if o[0] == "g" else
                               ("write", k, int(o.split("+")[1])) if o[0] == "w" else None)
                    if ops[-1] is None:
                        raise ValueError(f"operation {o!r}")
                txns.append(ops)
            programs.append(txns)
        if not programs:
            raise ValueError("no thread")
        return programs, initial
    except (ValueError, IndexError) as exc:
        raise ValueError(f"bad programs:{spec} ({exc}); write it as programs:INIT_THREAD_THREAD..., e.g. "
                         f"programs:0.0_r0-r0_w0+1 (values of r0 and r1; thread 1 reads r0 twice; thread 2 "
                         f"writes r0 := sum + 1)") from None
