"""Hypothesis strategies for well-formed `stmcheck.history/1` documents with realistic faults.

`histories()` simulates a few threads running transactions against one shared
memory and records what a (possibly broken) STM would report. Each transaction
follows a read discipline:

- *validating*: reads the current committed state and aborts as soon as an
  earlier read no longer holds, and at commit (value-based validation, as in
  NOrec): histories made only of these are opaque;
- *snapshot*: reads the state as of its begin and never validates (snapshot
  isolation: write skew, lost updates, zombies that saw an old snapshot);
- *current*: reads whatever is committed at the time of each read, without
  validation (read committed: non-repeatable reads, inconsistent zombies);
- *stale snapshot* (a fault): a snapshot of some older committed state, as a
  lagging replica or a broken clock gives (consistent, but stale in real time).

On top of that, per-history fault rates inject the classic bugs: stale reads
of an older committed version, dirty reads of a write that is not (yet)
committed or was aborted, intermediate reads, values out of thin air, own
writes not read back. Values come from a small pool (so they repeat, and a
read may have several possible writers) or are unique; writes may be blind;
a transaction may write a key twice; transactions may abort, or stay live at
the end (zombies). Sometimes the document carries a `versions` map: the true
installation order, or a shuffled one.

Hypothesis draws the shape of a history (how many transactions, threads and
keys, which faults at which rates, unique or repeated values, a versions map
or not), all of which shrink towards the simplest history; the fine-grained
choices (the interleaving, each read's source, each value) come from a
`random.Random` seeded by hypothesis. Drawing those one by one from
hypothesis would bias them towards the first choice and make a third of the
examples duplicates of one another; a seed keeps every run reproducible
(`derandomize=True`) and makes repeats rare (the differential tests skip the
few that remain).
"""

from __future__ import annotations

import random

from hypothesis import strategies as st

POOL = [0, 1, 2, 3]
EXOTIC = [True, False, None, "a", 1.0, "1"]
DISCIPLINES = ("validating", "snapshot", "current", "stale-snapshot")


class Shape:
    """The parameters of one simulated history."""

    def __init__(self, **kw):
        self.txns = 4
        self.threads = 2
        self.keys = 2
        self.int_keys = False
        self.str_ids = True
        self.with_time = False
        self.ambiguous = False   # values from a small pool (repeats) rather than unique
        self.exotic = False      # booleans, null, strings and 1.0 in the pool
        self.pool = 4            # how many small integers the pool holds
        self.disciplines = ("validating", "snapshot", "current")
        self.stale = 0           # % of reads that return an older committed version
        self.dirty = 0           # % of reads that return an uncommitted/aborted/intermediate write
        self.thin = 0            # % of reads that return a value from the pool
        self.internal = 0        # % of own-write reads that return something else
        self.abort = 14          # % of ends that abort
        self.live = 8            # % of ends where the transaction stays live (the thread stops)
        self.max_ops = 4
        self.read_pct = 60
        self.rmw = 50            # % of writes that go to a key the transaction read
        self.versions = 0        # % chance of a versions map
        self.bad_versions = 40   # % chance, per key, that the versions list is shuffled
        self.__dict__.update(kw)


def simulate(shape: Shape, seed: int) -> dict:
    """One history document for `shape`, all fine-grained choices taken from `seed`."""
    rng = random.Random(seed)
    pct = lambda p: rng.randrange(100) < p  # noqa: E731
    keys = [i if shape.int_keys else "xyz"[i] for i in range(shape.keys)]
    pool = POOL[:shape.pool] + (EXOTIC if shape.exotic else [])
    counter = [0]

    def value():
        if shape.ambiguous:
            return rng.choice(pool)
        counter[0] += 1
        return 100 + counter[0]

    initial = {}
    for k in keys:
        if not pct(25):  # else missing: starts as null
            initial[str(k)] = rng.choice(pool) if shape.ambiguous or pct(30) else 0
    committed = {str(k): initial.get(str(k)) for k in keys}
    states = [dict(committed)]                            # committed state after each commit
    old_versions = {str(k): [committed[str(k)]] for k in keys}
    dirty_writes = []   # (key, value) of writes that are running, aborted or intermediate
    installs = {}       # key -> values installed by commits, in order
    events = []
    threads = [f"t{i}" if shape.str_ids else i for i in range(1, shape.threads + 1)]
    running = {}
    done_threads = set()
    started = 0

    def emit(thread, txn, op, key=None, val=None, payload=False):
        e = {"thread": thread, "txn": txn, "op": op}
        if payload:
            e["key"] = key
            e["value"] = val
        if shape.with_time:
            e["time"] = rng.randrange(50)  # never used to order events: may go backwards
        events.append(e)

    def valid(rec):
        return all(_same(committed[k], v) for k, v in rec["reads"])

    def begin(thread):
        nonlocal started
        started += 1
        tid = f"T{started}" if shape.str_ids else started
        discipline = rng.choice(shape.disciplines)
        snapshot = dict(committed)
        if discipline == "stale-snapshot":
            snapshot = dict(rng.choice(states))
            discipline = "snapshot"  # a consistent but possibly old snapshot
        ops = 0 if pct(10) else rng.randint(1, shape.max_ops)
        running[thread] = {"id": tid, "discipline": discipline, "snapshot": snapshot,
                           "reads": [], "own": {}, "left": ops, "doomed": False}
        emit(thread, tid, "begin")

    def read(thread, rec):
        k = rng.choice(keys)
        sk = str(k)
        if sk in rec["own"]:
            v = rec["own"][sk]
            if pct(shape.internal):
                v = rng.choice(pool)
            emit(thread, rec["id"], "read", k, v, True)
            return
        if rec["discipline"] == "validating" and not valid(rec) and not pct(shape.stale):
            rec["doomed"] = True  # validation fails: the next step aborts
            return
        v = rec["snapshot"][sk] if rec["discipline"] == "snapshot" else committed[sk]
        roll = rng.randrange(100)
        if roll < shape.stale:
            v = rng.choice(old_versions[sk])
        elif roll < shape.stale + shape.dirty:
            cands = [val for key, val in dirty_writes if key == sk]
            if cands:
                v = rng.choice(cands)
        elif roll < shape.stale + shape.dirty + shape.thin:
            v = rng.choice(pool + [77])
        rec["reads"].append((sk, v))
        emit(thread, rec["id"], "read", k, v, True)

    def write(thread, rec):
        read_keys = [k for k in keys if any(str(k) == rk for rk, _ in rec["reads"])]
        k = rng.choice(read_keys) if read_keys and pct(shape.rmw) else rng.choice(keys)
        sk = str(k)
        v = value()
        if sk in rec["own"]:
            dirty_writes.append((sk, rec["own"][sk]))  # the older own write is now intermediate
        rec["own"][sk] = v
        dirty_writes.append((sk, v))
        emit(thread, rec["id"], "write", k, v, True)

    def finish(thread, rec, commit):
        if commit:
            for sk, v in rec["own"].items():
                committed[sk] = v
                old_versions[sk].append(v)
                installs.setdefault(sk, []).append(v)
                for i in range(len(dirty_writes) - 1, -1, -1):  # the final value is clean now
                    if dirty_writes[i] == (sk, v):
                        del dirty_writes[i]
                        break
            states.append(dict(committed))
        emit(thread, rec["id"], "commit" if commit else "abort")
        del running[thread]

    while True:
        choices = [t for t in threads if t in running or (t not in done_threads and started < shape.txns)]
        if not choices:
            break
        thread = rng.choice(choices)
        rec = running.get(thread)
        if rec is None:
            begin(thread)
        elif rec["doomed"]:
            finish(thread, rec, False)
        elif rec["left"] > 0:
            rec["left"] -= 1
            (read if pct(shape.read_pct) else write)(thread, rec)
        else:
            roll = rng.randrange(100)
            if roll < shape.live:
                running.pop(thread)  # stays live; its thread runs nothing more
                done_threads.add(thread)
            elif roll < shape.live + shape.abort:
                finish(thread, rec, False)
            elif rec["discipline"] == "validating" and not valid(rec) and not pct(shape.stale):
                finish(thread, rec, False)
            else:
                finish(thread, rec, True)

    doc = {"format": "stmcheck.history/1", "initial": initial, "events": events}
    if pct(shape.versions):
        vmap = {}
        for k in keys:
            sk = str(k)
            vals = list(installs.get(sk, []))
            if not vals and pct(50):
                continue
            if len(vals) > 1 and pct(shape.bad_versions):
                rng.shuffle(vals)
            if pct(80):
                vmap[sk] = vals
        doc["versions"] = vmap
    return doc


def _same(a, b) -> bool:
    """JSON equality (true != 1, 1 == 1.0)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


_RATES = [  # (stale, dirty, thin, internal) per fault level
    (0, 0, 0, 0),
    (5, 5, 2, 0),
    (12, 12, 4, 2),
    (20, 20, 8, 4),
]


@st.composite
def shapes(draw, min_txns=1, max_txns=8, max_threads=4, fault_level=None, aborts=True,
           versions=None, ambiguous=None, pool=None, min_threads=1, read_pct=None, exotic=None,
           zombies=False):
    """The shape of a history: sizes, faults and value style (all shrink towards simple).

    `fault_level` 0..3 (or a `(lo, hi)` range; drawn when None) scales the fault rates;
    `versions` forces a versions map on or off; `ambiguous` forces repeated values from a
    pool of `pool` small integers (plus booleans, null, strings and 1.0 with `exotic`) or
    unique ones; `aborts=False` lets every transaction commit unless validation fails;
    `zombies` drops the validating discipline and raises the abort and live rates.
    """
    if isinstance(fault_level, tuple):
        level = draw(st.integers(*fault_level))
    else:
        level = draw(st.integers(0, 3)) if fault_level is None else fault_level
    stale, dirty, thin, internal = _RATES[level]
    if ambiguous is None:
        ambiguous = draw(st.booleans())
    disciplines = list(DISCIPLINES if level else DISCIPLINES[:3])
    if zombies:
        disciplines = [d for d in disciplines if d != "validating"]
    if draw(st.booleans()):
        # one discipline dominates (an STM is usually one design, not a mix)
        disciplines = [draw(st.sampled_from(disciplines))] * 3 + disciplines
    if versions is None:
        versions_pct = draw(st.sampled_from([0, 0, 30, 100]))
    else:
        versions_pct = 100 if versions else 0
    return Shape(
        txns=draw(st.integers(min_txns, max_txns)),
        threads=draw(st.integers(min_threads, max_threads)) if draw(st.integers(0, 9)) == 0
        else draw(st.integers(max(min_threads, min(2, max_threads)), max_threads)),
        keys=draw(st.integers(1, 3)),
        int_keys=draw(st.integers(0, 9)) == 9,
        str_ids=draw(st.booleans()),
        with_time=draw(st.integers(0, 9)) == 9,
        ambiguous=ambiguous,
        exotic=(ambiguous and pool is None and draw(st.integers(0, 4)) == 4) if exotic is None else exotic,
        pool=draw(st.integers(2, 4)) if pool is None else pool,
        disciplines=tuple(disciplines),
        stale=stale, dirty=dirty, thin=thin, internal=internal,
        abort=(30 if zombies else draw(st.sampled_from([14, 0, 30]))) if aborts else 0,
        live=(25 if zombies else draw(st.sampled_from([8, 0, 20]))) if aborts else 0,
        max_ops=draw(st.integers(2, 5)),
        read_pct=draw(st.sampled_from([60, 40, 80])) if read_pct is None else read_pct,
        versions=versions_pct,
    )


@st.composite
def histories(draw, **shape_args):
    """A well-formed history document (a dict, as in the file format); see `shapes`."""
    shape = draw(shapes(**shape_args))
    seed = draw(st.integers(0, 2**63 - 1))
    return simulate(shape, seed)
