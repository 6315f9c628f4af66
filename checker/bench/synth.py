"""Synthetic histories of any size, for benchmarks and scale tests.

`simulate` interleaves threads running transactions against an idealised
lazy STM that validates its read set on every read and at commit (so the
histories are opaque, hence strictly serializable), with a hot/cold key mix,
aborts, and transactions that overlap in real time. `inject_stale_read` then
plants exactly one anomaly: a committed transaction reads a value that was
overwritten by a commit that finished before it began (a real-time and, with
the transaction's own write, a serializability violation).
"""

from __future__ import annotations

import json
import random


def simulate(txns: int, threads: int = 8, keys: int = 1000, hot: int = 20, reads: int = 3,
             writes: int = 2, seed: int = 0, unique_values: bool = True):
    """Yield `(header, events)`: the header dict, then event dicts in real-time order."""
    rng = random.Random(seed)
    state = {}        # key -> (value, version)
    version = {}      # key -> version counter
    running = {}      # thread -> attempt record
    started = 0
    finished = 0
    counter = 0
    header = {"format": "stmcheck.history/1", "initial": {}}

    def pick_key():
        return f"k{rng.randrange(hot)}" if rng.random() < 0.3 else f"k{rng.randrange(keys)}"

    def events():
        nonlocal started, finished, counter
        while finished < txns:
            th = rng.randrange(threads)
            a = running.get(th)
            if a is None:
                if started >= txns:
                    continue
                started += 1
                plan = [("r", pick_key()) for _ in range(reads)] + [("w", pick_key()) for _ in range(writes)]
                a = running[th] = {"id": started, "plan": plan, "pc": 0, "rs": {}, "ws": {}}
                yield {"thread": th, "txn": started, "op": "begin"}
                continue
            tid = a["id"]
            if a["pc"] < len(a["plan"]):
                kind, key = a["plan"][a["pc"]]
                a["pc"] += 1
                if kind == "r":
                    if key in a["ws"]:
                        yield {"thread": th, "txn": tid, "op": "read", "key": key, "value": a["ws"][key]}
                        continue
                    if not _valid(a, version) or (key in a["rs"] and a["rs"][key] != version.get(key, 0)):
                        del running[th]
                        finished += 1
                        yield {"thread": th, "txn": tid, "op": "abort"}
                        continue
                    a["rs"][key] = version.get(key, 0)
                    yield {"thread": th, "txn": tid, "op": "read", "key": key,
                           "value": state.get(key, (None, 0))[0]}
                else:
                    counter += 1
                    value = counter if unique_values else rng.randrange(4)
                    a["ws"][key] = value
                    yield {"thread": th, "txn": tid, "op": "write", "key": key, "value": value}
                continue
            del running[th]
            finished += 1
            if _valid(a, version):
                for key, value in a["ws"].items():
                    version[key] = version.get(key, 0) + 1
                    state[key] = (value, version[key])
                yield {"thread": th, "txn": tid, "op": "commit"}
            else:
                yield {"thread": th, "txn": tid, "op": "abort"}

    return header, events()


def _valid(attempt, version) -> bool:
    return all(version.get(k, 0) == v for k, v in attempt["rs"].items())


def inject_stale_read(events: list, seed: int = 0) -> bool:
    """Make one committed read return the value a completed commit had overwritten.

    Works on a list of event dicts in place; True when an anomaly was planted.
    """
    rng = random.Random(seed)
    begin_at, committed = {}, set()
    for i, e in enumerate(events):
        if e["op"] == "begin":
            begin_at[e["txn"]] = i
        elif e["op"] == "commit":
            committed.add(e["txn"])
    history_of = {}  # key -> [(commit index, previous value, new value)]
    last = {}
    pending = {}
    for i, e in enumerate(events):
        if e["op"] == "write":
            pending.setdefault(e["txn"], {})[e["key"]] = e["value"]
        elif e["op"] == "commit":
            for k, v in pending.pop(e["txn"], {}).items():
                history_of.setdefault(k, []).append((i, last.get(k), v))
                last[k] = v
    start = len(events) // 2 + rng.randrange(max(1, len(events) // 10))
    written = set()  # (txn, key) already written: such a read sees its own write
    for i, e in enumerate(events):
        if e["op"] == "write":
            written.add((e["txn"], e["key"]))
        if i < start or e["op"] != "read" or e["txn"] not in committed or (e["txn"], e["key"]) in written:
            continue
        changes = [c for c in history_of.get(e["key"], []) if c[0] < begin_at[e["txn"]]]
        if changes and changes[-1][1] != e["value"] and changes[-1][2] == e["value"]:
            e["value"] = changes[-1][1]
            return True
    return False


def simulate_database(txns: int, keys: int = 2000, ops: int = 4, spread: float = 40.0, seed: int = 0):
    """A history as a serializable database with snapshot reads would record it (Cobra's BlindW-RW).

    Half the transactions read `ops` keys, half blind-write `ops` keys with
    unique values; no version order is given. Each transaction takes effect
    at a serialization point inside its [begin, commit] interval and reads
    the state there, so commit order is not a witness and, without real time,
    the order of blind writes is what the checker must discover.
    Returns (header, events).
    """
    rng = random.Random(seed)
    timed = []
    state: dict = {}
    counter = 0
    for i in range(txns):
        begin = i - rng.uniform(0, spread)
        end = i + rng.uniform(0, spread)
        ops_at = sorted(rng.uniform(begin, end) for _ in range(ops))
        chosen = rng.sample(range(keys), ops)
        if rng.random() < 0.5:
            body = [("read", f"k{k}", state.get(f"k{k}")) for k in chosen]
        else:
            body = []
            for k in chosen:
                counter += 1
                state[f"k{k}"] = counter
                body.append(("write", f"k{k}", counter))
        timed.append((begin, i, "begin", None, None))
        for t, (op, key, value) in zip(ops_at, body):
            timed.append((t, i, op, key, value))
        timed.append((end, i, "commit", None, None))
    return {"format": "stmcheck.history/1", "initial": {}}, _lay_out(timed)


def write_jsonl(path: str, header: dict, events) -> int:
    """Write a JSON Lines history; returns the number of events."""
    n = 0
    dumps = json.dumps
    with open(path, "w", encoding="utf-8") as out:
        out.write(dumps(header) + "\n")
        buf = []
        for e in events:
            buf.append(dumps(e))
            n += 1
            if len(buf) >= 10000:
                out.write("\n".join(buf) + "\n")
                buf.clear()
        if buf:
            out.write("\n".join(buf) + "\n")
    return n


ANOMALIES = ("lost update", "write skew", "stale read")


def simulate_rmw_database(txns: int, keys: int = 1000, hot: int = 8, hot_share: float = 0.25,
                          clients: int = 24, timed: bool = True, spread: float = 40.0,
                          anomaly: str | None = None, seed: int = 0):
    """A database-like history with unknown version order (Cobra's RUBiS/TPC-C-like mixes).

    Transactions take effect one after another (the serial order is the
    generator's); each is a read-modify-write of 1-3 keys (40%), a blind write
    of 1-3 keys (25%), a read-only of 2-4 keys (25%) or reads some keys and
    writes others (10%). Keys are drawn from `hot` hot keys with probability
    `hot_share`, else from `keys`. Every written value is unique (reads-from is
    known) and no `versions` map is given. With `timed`, each transaction's
    [begin, commit] interval surrounds its serialization point by up to
    `spread` places (as `simulate_database`); without, events are laid out
    round-robin over `clients` sessions, as the Cobra importer lays out logs
    with no clock (begin and commit say nothing about the serial order).

    `anomaly` plants one violation of serializability at the middle of the run:
    - "lost update": a read-modify-write of a key reads the version the
      previous read-modify-write of that key read too (both install a write);
    - "write skew": two transactions read the same versions of two keys and
      each writes one of them;
    - "stale read": a read-only transaction reads a key at the version a
      read-modify-write overwrote, and another key written by a transaction
      that read that read-modify-write's version (a read skew through a third).
    Returns (header, events).
    """
    if anomaly is not None and anomaly not in ANOMALIES:
        raise ValueError(f"unknown anomaly {anomaly!r}")
    rng = random.Random(seed)
    state: dict = {}          # key -> value
    prev: dict = {}           # key -> the value before the last write
    last_rmw: dict = {}       # key -> (value it read, value it wrote) of the last read-modify-write
    readers_of: dict = {}     # value -> [(txn, key2, value2) written by a reader of that value]
    counter = 0
    bodies = []
    at = txns // 2 if anomaly else -1

    def key():
        return f"h{rng.randrange(hot)}" if rng.random() < hot_share else f"k{rng.randrange(keys)}"

    def keys_(n):
        out = []
        while len(out) < n:
            k = key()
            if k not in out:
                out.append(k)
        return out

    def write(body, k):
        nonlocal counter
        counter += 1
        body.append(("write", k, counter))
        prev[k] = state.get(k)
        state[k] = counter
        return counter

    i = 0
    while i < txns:
        body = []
        if i == at and anomaly == "lost update":
            k = next((k for k in last_rmw if k.startswith("h")), None) or next(iter(last_rmw))
            old, _ = last_rmw[k]
            body.append(("read", k, old))
            write(body, k)
        elif i == at and anomaly == "write skew":
            x, y = keys_(2)
            vx, vy = state.get(x), state.get(y)
            body = [("read", x, vx), ("read", y, vy)]
            write(body, x)
            bodies.append(body)
            i += 1
            body = [("read", x, vx), ("read", y, vy)]
            write(body, y)
        elif i == at and anomaly == "stale read":
            # k's last read-modify-write W read `old` and wrote `new`; T read `new` and wrote (k2, v2)
            found = None
            for k, (old, new) in last_rmw.items():
                for k2, v2 in readers_of.get(new, ()):
                    if k2 != k:
                        found = (k, old, k2, v2)
                        break
                if found:
                    break
            if found is None:
                raise ValueError("no read-modify-write chain to plant a stale read on")
            k, old, k2, v2 = found
            body = [("read", k2, v2), ("read", k, old)]
        else:
            roll = rng.random()
            if roll < 0.40:
                ks = keys_(rng.randint(1, 3))
                reads = [(k, state.get(k)) for k in ks]
                body = [("read", k, v) for k, v in reads]
                for k, v in reads:
                    w = write(body, k)
                    last_rmw[k] = (v, w)
            elif roll < 0.65:
                for k in keys_(rng.randint(1, 3)):
                    write(body, k)
            elif roll < 0.90:
                body = [("read", k, state.get(k)) for k in keys_(rng.randint(2, 4))]
            else:
                ks = keys_(rng.randint(2, 4))
                body = [("read", k, state.get(k)) for k in ks[:len(ks) // 2]]
                for k in ks[len(ks) // 2:]:
                    write(body, k)
            got = [(k, v) for op, k, v in body if op == "read"]
            put = [(k, v) for op, k, v in body if op == "write"]
            for k, v in got:
                if v is not None and put:
                    readers_of.setdefault(v, []).extend(put)
        bodies.append(body)
        i += 1
    header = {"format": "stmcheck.history/1", "initial": {}}
    return header, (_timed_events(bodies, spread, rng) if timed else _round_robin_events(bodies, clients, rng))


def _timed_events(bodies, spread, rng) -> list:
    timed = []
    for i, body in enumerate(bodies):
        begin, end = i - rng.uniform(0, spread), i + rng.uniform(0, spread)
        ops_at = sorted(rng.uniform(begin, end) for _ in body)
        timed.append((begin, i, "begin", None, None))
        for t, (op, key, value) in zip(ops_at, body):
            timed.append((t, i, op, key, value))
        timed.append((end, i, "commit", None, None))
    return _lay_out(timed)


def _lay_out(timed: list) -> list:
    """Events from (time, transaction, op, key, value) points: in time order, each
    transaction on a thread that is free at its begin (the fewest threads that fit)."""
    timed.sort(key=lambda x: x[0])
    thread_of, free, threads = {}, [], 0
    events = []
    for _, i, op, key, value in timed:
        if op == "begin":
            if not free:
                free.append(threads)
                threads += 1
            thread_of[i] = free.pop()
        e = {"thread": thread_of[i], "txn": i + 1, "op": op}
        if key is not None:
            e["key"], e["value"] = key, value
        events.append(e)
        if op == "commit":
            free.append(thread_of[i])
    return events


def _round_robin_events(bodies, clients, rng) -> list:
    """Each transaction to a random client; then one whole transaction per client in turn."""
    queues = [[] for _ in range(clients)]
    for i, body in enumerate(bodies):
        queues[rng.randrange(clients)].append((i, body))
    events = []
    pos = [0] * clients
    left = len(bodies)
    while left:
        for c in range(clients):
            if pos[c] < len(queues[c]):
                i, body = queues[c][pos[c]]
                pos[c] += 1
                left -= 1
                events.append({"thread": c, "txn": i + 1, "op": "begin"})
                for op, key, value in body:
                    events.append({"thread": c, "txn": i + 1, "op": op, "key": key, "value": value})
                events.append({"thread": c, "txn": i + 1, "op": "commit"})
    return events


def simulate_elle_append(txns: int, clients: int = 10, per_key: int = 16, seed: int = 0) -> str:
    """A serializable Jepsen/Elle list-append history (EDN, one map a line), as Elle's own
    generator makes them: each transaction 1-4 micro-operations, half appends of unique
    values, half reads of a whole list, run one after another on `clients` processes; a
    key is retired after `per_key` appends (its lists would grow without end) and a new
    one takes its place, 8 keys in use at a time."""
    rng = random.Random(seed)
    lists: dict = {}
    live, fresh = list(range(8)), 8
    lines = []
    for i in range(txns):
        invoke, done = [], []
        for j in range(rng.randint(1, 4)):
            k = rng.choice(live)
            if rng.random() < 0.5:
                v = i * 4 + j
                lists.setdefault(k, []).append(v)
                if len(lists[k]) >= per_key:
                    live.remove(k)
                    live.append(fresh)
                    fresh += 1
                invoke.append(f"[:append {k} {v}]")
                done.append(invoke[-1])
            else:
                invoke.append(f"[:r {k} nil]")
                done.append(f"[:r {k} [{' '.join(map(str, lists.get(k, ())))}]]")
        p = i % clients
        lines.append(f"{{:type :invoke, :f :txn, :value [{' '.join(invoke)}], :process {p}, :time {2 * i}, :index {2 * i}}}")
        lines.append(f"{{:type :ok, :f :txn, :value [{' '.join(done)}], :process {p}, :time {2 * i + 1}, "
                     f":index {2 * i + 1}}}")
    return "\n".join(lines) + "\n"
