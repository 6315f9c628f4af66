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
    return {"format": "stmcheck.history/1", "initial": {}}, events


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
